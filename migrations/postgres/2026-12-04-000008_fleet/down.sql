DROP TABLE fleet_edges;
