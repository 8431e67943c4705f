-- The fleet view keeps each edge's labels (client.labels), canonical:
-- `k=v,k=v` sorted by key; '' for none.
ALTER TABLE fleet_edges ADD COLUMN labels VARCHAR(600) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
