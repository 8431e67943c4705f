-- Namespaces: named datasets. 'default' always exists and receives every
-- existing record. `revision` is the last revision that changed the
-- namespace (records.apply's if_revision compares with it); live_records and
-- live_bytes (keys and values, in bytes) are kept by every write.
CREATE TABLE namespaces (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    value_schema TEXT,
    revision BIGINT NOT NULL DEFAULT 0,
    live_records BIGINT NOT NULL DEFAULT 0,
    live_bytes BIGINT NOT NULL DEFAULT 0,
    created_at_us BIGINT NOT NULL
);
INSERT INTO namespaces (name, description, revision, created_at_us)
SELECT 'default', 'The namespace of every call that names none.', value,
       CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
FROM meta WHERE name = 'revision';

-- Records: one row per (namespace, key), live or a tombstone.
CREATE TABLE records_by_namespace (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT 0,
    born BIGINT NOT NULL,
    gone BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (namespace, key)
);
INSERT INTO records_by_namespace
SELECT 'default', key, value, revision, updated_at_us, deleted, born, gone FROM records;
DROP TABLE records;
ALTER TABLE records_by_namespace RENAME TO records;
CREATE INDEX records_namespace_revision ON records (namespace, revision);

UPDATE namespaces SET
    live_records = (SELECT COUNT(*) FROM records WHERE deleted = 0),
    live_bytes = (SELECT COALESCE(SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0) FROM records WHERE deleted = 0)
WHERE name = 'default';

-- Every write, newest last: the value written (NULL for a delete), who
-- wrote it and when. Seeded with the live records, so `records.at` answers
-- from the revision of this migration on ('history_from').
CREATE TABLE history (
    namespace TEXT NOT NULL,
    record_key TEXT NOT NULL,
    revision BIGINT NOT NULL,
    value TEXT,
    author TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (namespace, record_key, revision)
);
CREATE INDEX history_namespace_revision ON history (namespace, revision);
INSERT INTO history (namespace, record_key, revision, value, author, at_us)
SELECT namespace, key, revision, value, '', updated_at_us FROM records WHERE deleted = 0;
INSERT INTO meta (name, value) SELECT 'history_from', value FROM meta WHERE name = 'revision';

-- One entry per committed revision.
CREATE TABLE audit (
    revision BIGINT PRIMARY KEY NOT NULL,
    at_us BIGINT NOT NULL,
    author TEXT NOT NULL,
    address TEXT NOT NULL,
    method TEXT NOT NULL,
    namespace TEXT NOT NULL,
    keys_changed BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at_us);

-- Permissions per namespace ('*': every namespace). Existing users keep
-- what they had, on every namespace.
CREATE TABLE grants (
    username TEXT NOT NULL,
    namespace TEXT NOT NULL,
    can_write BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (username, namespace)
);
INSERT INTO grants (username, namespace, can_write) SELECT username, '*', can_write FROM users;
ALTER TABLE users DROP COLUMN can_write;
