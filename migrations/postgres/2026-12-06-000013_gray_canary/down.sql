ALTER TABLE gray_releases DROP COLUMN auto;
ALTER TABLE fleet_edges DROP COLUMN gray;
ALTER TABLE fleet_edges DROP COLUMN health_reason;
ALTER TABLE fleet_edges DROP COLUMN health;
