-- The automatic canary. The fleet view keeps each edge's last health
-- report ('' none, 'healthy', 'unhealthy'), the reason it gave, and the
-- gray releases its data held when it reported (ids, comma-separated), so
-- every center judges a release's members alike. A release may carry a
-- schedule (domain::gray_auto, as JSON).
ALTER TABLE fleet_edges ADD COLUMN health TEXT NOT NULL DEFAULT '';
ALTER TABLE fleet_edges ADD COLUMN health_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE fleet_edges ADD COLUMN gray TEXT NOT NULL DEFAULT '';
ALTER TABLE gray_releases ADD COLUMN auto TEXT;
