-- A gray release of an approved change request (changes.release), on a
-- namespace that requires reviews: the request it carries, published with
-- the release's promotion.
ALTER TABLE gray_releases ADD COLUMN request_id BIGINT;
