-- Records, live and tombstones; one row per key. Keys compare bytewise
-- (utf8mb4_bin), as on SQLite and PostgreSQL.
CREATE TABLE records (
    `key` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    value LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    revision BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    born BIGINT NOT NULL,
    gone BIGINT NOT NULL DEFAULT 0,
    INDEX records_revision (revision)
) ENGINE = InnoDB;

-- Store-wide counters: 'revision' (the last one taken; writers lock this row,
-- so revisions are taken in commit order) and 'purged_through'.
CREATE TABLE meta (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO meta (name, value) VALUES ('revision', 0), ('purged_through', 0);
