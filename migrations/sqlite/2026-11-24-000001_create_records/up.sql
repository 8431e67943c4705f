-- Records, live and tombstones; one row per key.
CREATE TABLE records (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT 0,
    born BIGINT NOT NULL,
    gone BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX records_revision ON records (revision);

-- Store-wide counters: 'revision' (the last one taken) and 'purged_through'
-- (the newest revision whose tombstone was purged).
CREATE TABLE meta (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('revision', 0), ('purged_through', 0);
