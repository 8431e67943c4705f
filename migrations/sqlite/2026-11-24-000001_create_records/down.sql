DROP TABLE meta;
DROP TABLE records;
