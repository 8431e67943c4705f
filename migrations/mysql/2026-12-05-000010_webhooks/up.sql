-- Webhooks. The outbox: one row per event, written in the transaction of
-- the change it reports, so a crash never loses one. Ids come from meta's
-- 'webhook_event' counter; `payload` is the JSON body sent (bounded).
CREATE TABLE webhook_events (
    id BIGINT NOT NULL PRIMARY KEY,
    kind VARCHAR(32) CHARACTER SET ascii NOT NULL,
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payload LONGTEXT CHARACTER SET utf8mb4 NOT NULL,
    at_us BIGINT NOT NULL,
    INDEX webhook_events_at (at_us)
) ENGINE = InnoDB;
INSERT INTO meta (name, value) VALUES ('webhook_event', 0);

-- Where each webhook stands: the last event it is done with, the center
-- holding its lease (one center delivers a webhook at a time), and its
-- retries.
CREATE TABLE webhook_cursors (
    webhook VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    last_event BIGINT NOT NULL,
    owner VARCHAR(64) CHARACTER SET ascii NOT NULL,
    lease_until_us BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_us BIGINT NOT NULL,
    failing_since_us BIGINT NULL
) ENGINE = InnoDB;

-- Each attempt, newest kept for the delivery log (pruned by age).
CREATE TABLE webhook_deliveries (
    webhook VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_id BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    outcome VARCHAR(16) CHARACTER SET ascii NOT NULL,
    status BIGINT NULL,
    error TEXT CHARACTER SET utf8mb4 NOT NULL,
    PRIMARY KEY (webhook, event_id, attempt),
    INDEX webhook_deliveries_at (at_us)
) ENGINE = InnoDB;

-- Webhooks added over RPC (webhooks.add), beside those of [[webhook]]:
-- events and namespaces as JSON arrays (empty: every one).
CREATE TABLE webhooks (
    name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    url TEXT CHARACTER SET utf8mb4 NOT NULL,
    secret VARCHAR(128) CHARACTER SET ascii NOT NULL,
    events TEXT CHARACTER SET ascii NOT NULL,
    namespaces TEXT CHARACTER SET ascii NOT NULL,
    created_by VARCHAR(128) CHARACTER SET utf8mb4 NOT NULL,
    created_at_us BIGINT NOT NULL
) ENGINE = InnoDB;
