ALTER TABLE audit DROP COLUMN review;
DROP TABLE change_reviews;
DROP TABLE change_requests;
DELETE FROM meta WHERE name = 'change_request';
ALTER TABLE namespaces DROP COLUMN reviews_required;
