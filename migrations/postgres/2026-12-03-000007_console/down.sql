DROP TABLE console_sessions;
ALTER TABLE users DROP COLUMN admin;
