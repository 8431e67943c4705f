-- Review before publish. A namespace's policy: how many approving reviews a
-- change needs before it is published (0: writers publish directly).
ALTER TABLE namespaces ADD COLUMN reviews_required BIGINT NOT NULL DEFAULT 0;

-- Change requests: a proposed change set (records.apply's shape, as JSON),
-- its author and comment, the namespace revision it was made on, and how it
-- ended. Ids come from meta's 'change_request' counter.
CREATE TABLE change_requests (
    id BIGINT NOT NULL PRIMARY KEY,
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    author VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    base_revision BIGINT NOT NULL,
    changes LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    comment TEXT CHARACTER SET utf8mb4 NOT NULL,
    state VARCHAR(16) CHARACTER SET ascii NOT NULL,
    created_at_us BIGINT NOT NULL,
    closed_at_us BIGINT NULL,
    closed_by VARCHAR(128) CHARACTER SET utf8mb4 NULL,
    revision BIGINT NULL,
    INDEX change_requests_namespace_state (namespace, state),
    INDEX change_requests_state (state)
) ENGINE = InnoDB;
INSERT INTO meta (name, value) VALUES ('change_request', 0);

-- One review per reviewer and request.
CREATE TABLE change_reviews (
    request_id BIGINT NOT NULL,
    reviewer VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    verdict VARCHAR(8) CHARACTER SET ascii NOT NULL,
    comment TEXT CHARACTER SET utf8mb4 NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (request_id, reviewer)
) ENGINE = InnoDB;

-- How a revision passed the review policy: NULL for a direct write, else
-- JSON naming the request, its approvers and their comments, or the reason
-- of a break-glass publish.
ALTER TABLE audit ADD COLUMN review TEXT CHARACTER SET utf8mb4 NULL;
