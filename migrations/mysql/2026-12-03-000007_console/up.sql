-- Administrators manage users, tokens and namespaces from the console.
ALTER TABLE users ADD COLUMN admin BOOLEAN NOT NULL DEFAULT FALSE;

-- Console sessions: the BLAKE3 hash of the session cookie (hex; the cookie
-- itself is never stored), its user, the CSRF token of its forms, when it
-- began and when it was last used (updated at most once a minute).
CREATE TABLE console_sessions (
    id_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    csrf CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at_us BIGINT NOT NULL,
    seen_at_us BIGINT NOT NULL,
    INDEX console_sessions_username (username),
    INDEX console_sessions_seen (seen_at_us)
) ENGINE = InnoDB;
