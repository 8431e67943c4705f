-- Webhooks. The outbox: one row per event, written in the transaction of
-- the change it reports, so a crash never loses one. Ids come from meta's
-- 'webhook_event' counter; `payload` is the JSON body sent (bounded).
CREATE TABLE webhook_events (
    id BIGINT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    payload TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX webhook_events_at ON webhook_events (at_us);
INSERT INTO meta (name, value) VALUES ('webhook_event', 0);

-- Where each webhook stands: the last event it is done with, the center
-- holding its lease (one center delivers a webhook at a time), and its
-- retries.
CREATE TABLE webhook_cursors (
    webhook TEXT NOT NULL PRIMARY KEY,
    last_event BIGINT NOT NULL,
    owner TEXT NOT NULL,
    lease_until_us BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_us BIGINT NOT NULL,
    failing_since_us BIGINT
);

-- Each attempt, newest kept for the delivery log (pruned by age).
CREATE TABLE webhook_deliveries (
    webhook TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    status BIGINT,
    error TEXT NOT NULL,
    PRIMARY KEY (webhook, event_id, attempt)
);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at_us);

-- Webhooks added over RPC (webhooks.add), beside those of [[webhook]]:
-- events and namespaces as JSON arrays (empty: every one).
CREATE TABLE webhooks (
    name TEXT NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    namespaces TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
