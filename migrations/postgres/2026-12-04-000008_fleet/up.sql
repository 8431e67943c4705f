-- The fleet view: every edge that pulled from a center on this database,
-- one row per name and address, written by each center in batches and
-- bounded by server.fleet_window and server.fleet_max_edges.
CREATE TABLE fleet_edges (
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    version TEXT NOT NULL,
    namespaces TEXT NOT NULL,
    revision BIGINT NOT NULL,
    in_step BOOLEAN NOT NULL,
    digest TEXT NOT NULL,
    hold_us BIGINT NOT NULL,
    first_seen_us BIGINT NOT NULL,
    last_pull_us BIGINT NOT NULL,
    PRIMARY KEY (name, address)
);
CREATE INDEX fleet_edges_last_pull ON fleet_edges (last_pull_us);
