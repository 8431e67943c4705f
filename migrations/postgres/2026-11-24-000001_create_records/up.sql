-- Records, live and tombstones; one row per key. Keys compare bytewise ("C").
CREATE TABLE records (
    key VARCHAR(255) COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    born BIGINT NOT NULL,
    gone BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX records_revision ON records (revision);

-- Store-wide counters: 'revision' (the last one taken; writers lock this row,
-- so revisions are taken in commit order) and 'purged_through'.
CREATE TABLE meta (
    name VARCHAR(64) PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('revision', 0), ('purged_through', 0);
