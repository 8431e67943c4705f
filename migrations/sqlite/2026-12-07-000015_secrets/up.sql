-- Secret namespaces: the namespace's public age recipient (age1...; NULL
-- for a namespace that is not secret). Its values are age ciphertexts.
ALTER TABLE namespaces ADD COLUMN recipient TEXT;
-- The namespace's identity, wrapped (age-encrypted) to each granted
-- holder's or edge's own recipient; the center never holds it unwrapped.
CREATE TABLE secret_grants (
    namespace TEXT NOT NULL,
    recipient TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at_us BIGINT NOT NULL,
    PRIMARY KEY (namespace, recipient)
);
