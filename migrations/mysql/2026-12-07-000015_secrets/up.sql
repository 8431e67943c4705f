-- Secret namespaces: the namespace's public age recipient (age1...; NULL
-- for a namespace that is not secret). Its values are age ciphertexts.
ALTER TABLE namespaces ADD COLUMN recipient VARCHAR(100) CHARACTER SET ascii NULL;
-- The namespace's identity, wrapped (age-encrypted) to each granted
-- holder's or edge's own recipient; the center never holds it unwrapped.
CREATE TABLE secret_grants (
    namespace VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    recipient VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    wrapped TEXT CHARACTER SET ascii NOT NULL,
    granted_by VARCHAR(255) CHARACTER SET utf8mb4 NOT NULL,
    granted_at_us BIGINT NOT NULL,
    PRIMARY KEY (namespace, recipient)
) ENGINE = InnoDB;
