-- Namespaces: named datasets. 'default' always exists and receives every
-- existing record. `revision` is the last revision that changed the
-- namespace (records.apply's if_revision compares with it); live_records and
-- live_bytes (keys and values, in bytes) are kept by every write.
CREATE TABLE namespaces (
    name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    description TEXT CHARACTER SET utf8mb4 NOT NULL,
    value_schema LONGTEXT CHARACTER SET utf8mb4 NULL,
    revision BIGINT NOT NULL DEFAULT 0,
    live_records BIGINT NOT NULL DEFAULT 0,
    live_bytes BIGINT NOT NULL DEFAULT 0,
    created_at_us BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO namespaces (name, description, revision, created_at_us)
SELECT 'default', 'The namespace of every call that names none.', value,
       CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)
FROM meta WHERE name = 'revision';

-- Records: one row per (namespace, key), live or a tombstone.
ALTER TABLE records
    ADD COLUMN namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'default' FIRST,
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (namespace, `key`),
    DROP INDEX records_revision,
    ADD INDEX records_namespace_revision (namespace, revision);
ALTER TABLE records ALTER COLUMN namespace DROP DEFAULT;

UPDATE namespaces SET
    live_records = (SELECT COUNT(*) FROM records WHERE deleted = FALSE),
    live_bytes = (SELECT COALESCE(SUM(LENGTH(`key`) + LENGTH(value)), 0) FROM records WHERE deleted = FALSE)
WHERE name = 'default';

-- Every write, newest last: the value written (NULL for a delete), who
-- wrote it and when. Seeded with the live records, so `records.at` answers
-- from the revision of this migration on ('history_from').
CREATE TABLE history (
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    record_key VARBINARY(255) NOT NULL,
    revision BIGINT NOT NULL,
    value LONGTEXT CHARACTER SET utf8mb4 NULL,
    author VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (namespace, record_key, revision),
    INDEX history_namespace_revision (namespace, revision)
) ENGINE = InnoDB;
INSERT INTO history (namespace, record_key, revision, value, author, at_us)
SELECT namespace, `key`, revision, value, '', updated_at_us FROM records WHERE deleted = FALSE;
INSERT INTO meta (name, value) SELECT 'history_from', value FROM meta WHERE name = 'revision';

-- One entry per committed revision.
CREATE TABLE audit (
    revision BIGINT NOT NULL PRIMARY KEY,
    at_us BIGINT NOT NULL,
    author VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    address VARCHAR(64) NOT NULL,
    method VARCHAR(64) NOT NULL,
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    keys_changed BIGINT NOT NULL,
    comment TEXT CHARACTER SET utf8mb4 NOT NULL,
    INDEX audit_at (at_us)
) ENGINE = InnoDB;

-- Permissions per namespace ('*': every namespace). Existing users keep
-- what they had, on every namespace.
CREATE TABLE grants (
    username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (username, namespace)
) ENGINE = InnoDB;
INSERT INTO grants (username, namespace, can_write) SELECT username, '*', can_write FROM users;
ALTER TABLE users DROP COLUMN can_write;
