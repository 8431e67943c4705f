ALTER TABLE gray_releases DROP COLUMN request_id;
