ALTER TABLE fleet_edges DROP COLUMN labels;
