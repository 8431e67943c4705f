-- Namespaces: named datasets. 'default' always exists and receives every
-- existing record. `revision` is the last revision that changed the
-- namespace (records.apply's if_revision compares with it); live_records and
-- live_bytes (keys and values, in bytes) are kept by every write.
CREATE TABLE namespaces (
    name VARCHAR(64) COLLATE "C" PRIMARY KEY NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    value_schema TEXT,
    revision BIGINT NOT NULL DEFAULT 0,
    live_records BIGINT NOT NULL DEFAULT 0,
    live_bytes BIGINT NOT NULL DEFAULT 0,
    created_at_us BIGINT NOT NULL
);
INSERT INTO namespaces (name, description, revision, created_at_us)
SELECT 'default', 'The namespace of every call that names none.', value,
       CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)
FROM meta WHERE name = 'revision';

-- Records: one row per (namespace, key), live or a tombstone.
ALTER TABLE records ADD COLUMN namespace VARCHAR(64) COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE records ALTER COLUMN namespace DROP DEFAULT;
ALTER TABLE records DROP CONSTRAINT records_pkey;
ALTER TABLE records ADD PRIMARY KEY (namespace, key);
DROP INDEX records_revision;
CREATE INDEX records_namespace_revision ON records (namespace, revision);

UPDATE namespaces SET
    live_records = (SELECT COUNT(*) FROM records WHERE deleted = FALSE),
    live_bytes = (SELECT COALESCE(SUM(octet_length(key) + octet_length(value)), 0) FROM records WHERE deleted = FALSE)
WHERE name = 'default';

-- Every write, newest last: the value written (NULL for a delete), who
-- wrote it and when. Seeded with the live records, so `records.at` answers
-- from the revision of this migration on ('history_from').
CREATE TABLE history (
    namespace VARCHAR(64) COLLATE "C" NOT NULL,
    record_key VARCHAR(255) COLLATE "C" NOT NULL,
    revision BIGINT NOT NULL,
    value TEXT,
    author VARCHAR(128) NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (namespace, record_key, revision)
);
CREATE INDEX history_namespace_revision ON history (namespace, revision);
INSERT INTO history (namespace, record_key, revision, value, author, at_us)
SELECT namespace, key, revision, value, '', updated_at_us FROM records WHERE deleted = FALSE;
INSERT INTO meta (name, value) SELECT 'history_from', value FROM meta WHERE name = 'revision';

-- One entry per committed revision.
CREATE TABLE audit (
    revision BIGINT PRIMARY KEY NOT NULL,
    at_us BIGINT NOT NULL,
    author VARCHAR(128) NOT NULL,
    address VARCHAR(64) NOT NULL,
    method VARCHAR(64) NOT NULL,
    namespace VARCHAR(64) COLLATE "C" NOT NULL,
    keys_changed BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at_us);

-- Permissions per namespace ('*': every namespace). Existing users keep
-- what they had, on every namespace.
CREATE TABLE grants (
    username VARCHAR(64) COLLATE "C" NOT NULL,
    namespace VARCHAR(64) COLLATE "C" NOT NULL,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (username, namespace)
);
INSERT INTO grants (username, namespace, can_write) SELECT username, '*', can_write FROM users;
ALTER TABLE users DROP COLUMN can_write;
