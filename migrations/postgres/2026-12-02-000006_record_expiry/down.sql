DROP INDEX records_expires_at;
ALTER TABLE history DROP COLUMN expires_at_us;
ALTER TABLE records DROP COLUMN expires_at_us;
