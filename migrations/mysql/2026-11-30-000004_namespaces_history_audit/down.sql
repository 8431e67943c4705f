ALTER TABLE users ADD COLUMN can_write BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET can_write = TRUE WHERE username IN (SELECT username FROM grants WHERE can_write = TRUE);
DROP TABLE grants;
DROP TABLE audit;
DROP TABLE history;
DELETE FROM meta WHERE name = 'history_from';
DELETE FROM records WHERE namespace <> 'default';
ALTER TABLE records
    DROP INDEX records_namespace_revision,
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (`key`),
    ADD INDEX records_revision (revision),
    DROP COLUMN namespace;
DROP TABLE namespaces;
