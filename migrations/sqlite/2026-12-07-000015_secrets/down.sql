DROP TABLE secret_grants;
ALTER TABLE namespaces DROP COLUMN recipient;
