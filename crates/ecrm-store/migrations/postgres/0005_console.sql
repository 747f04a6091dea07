-- Console sessions (the cookie's token stored only as a SHA-256 hash, with its CSRF token and
-- expiry) and snapshots of expensive console aggregates, refreshed in the background.
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE console_snapshots (
    name TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);
