-- Records that expire: when set (microseconds since the epoch), the center
-- deletes the record at that time as an ordinary change. History keeps the
-- expiry each write set.
ALTER TABLE records ADD COLUMN expires_at_us BIGINT;
CREATE INDEX records_expires_at ON records (expires_at_us);
ALTER TABLE history ADD COLUMN expires_at_us BIGINT;
