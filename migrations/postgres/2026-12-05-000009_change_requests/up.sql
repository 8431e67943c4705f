-- Review before publish. A namespace's policy: how many approving reviews a
-- change needs before it is published (0: writers publish directly).
ALTER TABLE namespaces ADD COLUMN reviews_required BIGINT NOT NULL DEFAULT 0;

-- Change requests: a proposed change set (records.apply's shape, as JSON),
-- its author and comment, the namespace revision it was made on, and how it
-- ended. Ids come from meta's 'change_request' counter.
CREATE TABLE change_requests (
    id BIGINT NOT NULL PRIMARY KEY,
    namespace TEXT NOT NULL,
    author TEXT NOT NULL,
    base_revision BIGINT NOT NULL,
    changes TEXT NOT NULL,
    comment TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    closed_at_us BIGINT,
    closed_by TEXT,
    revision BIGINT
);
CREATE INDEX change_requests_namespace_state ON change_requests (namespace, state);
CREATE INDEX change_requests_state ON change_requests (state);
INSERT INTO meta (name, value) VALUES ('change_request', 0);

-- One review per reviewer and request.
CREATE TABLE change_reviews (
    request_id BIGINT NOT NULL,
    reviewer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    comment TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (request_id, reviewer)
);

-- How a revision passed the review policy: NULL for a direct write, else
-- JSON naming the request, its approvers and their comments, or the reason
-- of a break-glass publish.
ALTER TABLE audit ADD COLUMN review TEXT;
