-- Users for HTTP Basic authentication; everyone may read, can_write may write.
CREATE TABLE users (
    username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    password_hash VARCHAR(255) NOT NULL,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_us BIGINT NOT NULL
) ENGINE = InnoDB;
