-- Gray releases: a change set (records.apply's shape, as JSON) served on top
-- of a namespace to the edges its target reaches (domain::gray; the target
-- as JSON), until it is promoted into the namespace or aborted. `version`
-- rises with every change of the target, so edges' views follow it. Ids
-- come from meta's 'gray_release' counter.
CREATE TABLE gray_releases (
    id BIGINT NOT NULL PRIMARY KEY,
    namespace TEXT NOT NULL,
    author TEXT NOT NULL,
    base_revision BIGINT NOT NULL,
    changes TEXT NOT NULL,
    target TEXT NOT NULL,
    comment TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    closed_by TEXT,
    reason TEXT,
    revision BIGINT
);
CREATE INDEX gray_releases_namespace_state ON gray_releases (namespace, state);
CREATE INDEX gray_releases_state ON gray_releases (state);
INSERT INTO meta (name, value) VALUES ('gray_release', 0);

-- Each release's history: created, retargeted (by hand or by its schedule),
-- aborted, promoted; who or what did it, the target after it, and why.
CREATE TABLE gray_steps (
    release_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (release_id, seq)
);
