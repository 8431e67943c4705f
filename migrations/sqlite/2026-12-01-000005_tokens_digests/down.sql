ALTER TABLE namespaces DROP COLUMN digest;
DELETE FROM meta WHERE name = 'credentials';
DROP TABLE tokens;
