-- The automatic canary. The fleet view keeps each edge's last health
-- report ('' none, 'healthy', 'unhealthy'), the reason it gave, and the
-- gray releases its data held when it reported (ids, comma-separated), so
-- every center judges a release's members alike. A release may carry a
-- schedule (domain::gray_auto, as JSON).
ALTER TABLE fleet_edges ADD COLUMN health VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '';
ALTER TABLE fleet_edges ADD COLUMN health_reason VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '';
ALTER TABLE fleet_edges ADD COLUMN gray VARCHAR(1400) CHARACTER SET ascii NOT NULL DEFAULT '';
ALTER TABLE gray_releases ADD COLUMN auto TEXT CHARACTER SET utf8mb4 NULL;
