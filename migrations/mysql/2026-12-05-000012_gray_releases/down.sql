DROP TABLE gray_steps;
DROP TABLE gray_releases;
DELETE FROM meta WHERE name = 'gray_release';
