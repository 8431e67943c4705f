-- Users for HTTP Basic authentication; everyone may read, can_write may write.
CREATE TABLE users (
    username VARCHAR(64) COLLATE "C" PRIMARY KEY NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_us BIGINT NOT NULL
);
