-- Users for HTTP Basic authentication; everyone may read, can_write may write.
CREATE TABLE users (
    username TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    can_write BOOLEAN NOT NULL DEFAULT 0,
    created_at_us BIGINT NOT NULL
);
