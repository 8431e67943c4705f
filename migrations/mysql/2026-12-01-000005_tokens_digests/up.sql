-- Tokens: per-edge (or per-script) bearer secrets. Only a BLAKE3 hash of
-- the token is kept (hex); `namespaces` is '*' or names separated by
-- spaces; the token may read them, and write them with can_write.
CREATE TABLE tokens (
    name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL UNIQUE,
    can_write BOOLEAN NOT NULL DEFAULT FALSE,
    namespaces TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT,
    last_used_us BIGINT
) ENGINE = InnoDB;

-- Bumped by every change to users, grants and tokens: centers compare it
-- with what they loaded at each revision check.
INSERT INTO meta (name, value) VALUES ('credentials', 0);

-- The LtHash of each namespace's live records (2,048 bytes), kept by every
-- write; NULL until a center computes it (at start, after this migration).
ALTER TABLE namespaces ADD COLUMN digest BLOB;
