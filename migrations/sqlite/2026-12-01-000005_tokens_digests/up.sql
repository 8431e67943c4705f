-- Tokens: per-edge (or per-script) bearer secrets. Only a BLAKE3 hash of
-- the token is kept (hex); `namespaces` is '*' or names separated by
-- spaces; the token may read them, and write them with can_write.
CREATE TABLE tokens (
    name TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    can_write BOOLEAN NOT NULL DEFAULT 0,
    namespaces TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT,
    last_used_us BIGINT
);

-- Bumped by every change to users, grants and tokens: centers compare it
-- with what they loaded at each revision check.
INSERT INTO meta (name, value) VALUES ('credentials', 0);

-- The LtHash of each namespace's live records (2,048 bytes), kept by every
-- write; NULL until a center computes it (at start, after this migration).
ALTER TABLE namespaces ADD COLUMN digest BLOB;
