-- Administrators manage users, tokens and namespaces from the console.
ALTER TABLE users ADD COLUMN admin BOOLEAN NOT NULL DEFAULT FALSE;

-- Console sessions: the BLAKE3 hash of the session cookie (hex; the cookie
-- itself is never stored), its user, the CSRF token of its forms, when it
-- began and when it was last used (updated at most once a minute).
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    seen_at_us BIGINT NOT NULL
);
CREATE INDEX console_sessions_username ON console_sessions (username);
CREATE INDEX console_sessions_seen ON console_sessions (seen_at_us);
