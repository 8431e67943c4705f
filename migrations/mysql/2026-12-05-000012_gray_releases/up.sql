-- Gray releases: a change set (records.apply's shape, as JSON) served on top
-- of a namespace to the edges its target reaches (domain::gray; the target
-- as JSON), until it is promoted into the namespace or aborted. `version`
-- rises with every change of the target, so edges' views follow it. Ids
-- come from meta's 'gray_release' counter.
CREATE TABLE gray_releases (
    id BIGINT NOT NULL PRIMARY KEY,
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    author VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    base_revision BIGINT NOT NULL,
    changes LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    target MEDIUMTEXT CHARACTER SET utf8mb4 NOT NULL,
    comment TEXT CHARACTER SET utf8mb4 NOT NULL,
    state VARCHAR(16) CHARACTER SET ascii NOT NULL,
    version BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    closed_by VARCHAR(128) CHARACTER SET utf8mb4 NULL,
    reason TEXT CHARACTER SET utf8mb4 NULL,
    revision BIGINT NULL,
    INDEX gray_releases_namespace_state (namespace, state),
    INDEX gray_releases_state (state)
) ENGINE = InnoDB;
INSERT INTO meta (name, value) VALUES ('gray_release', 0);

-- Each release's history: created, retargeted (by hand or by its schedule),
-- aborted, promoted; who or what did it, the target after it, and why.
CREATE TABLE gray_steps (
    release_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    actor VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    action VARCHAR(16) CHARACTER SET ascii NOT NULL,
    target MEDIUMTEXT CHARACTER SET utf8mb4 NOT NULL,
    reason TEXT CHARACTER SET utf8mb4 NOT NULL,
    PRIMARY KEY (release_id, seq)
) ENGINE = InnoDB;
