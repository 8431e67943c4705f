-- The fleet view: every edge that pulled from a center on this database,
-- one row per name and address, written by each center in batches and
-- bounded by server.fleet_window and server.fleet_max_edges.
CREATE TABLE fleet_edges (
    name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    address VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    version VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    namespaces TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    revision BIGINT NOT NULL,
    in_step BOOLEAN NOT NULL,
    digest VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    hold_us BIGINT NOT NULL,
    first_seen_us BIGINT NOT NULL,
    last_pull_us BIGINT NOT NULL,
    PRIMARY KEY (name, address),
    INDEX fleet_edges_last_pull (last_pull_us)
) ENGINE = InnoDB;
