-- Users, personal API tokens, browser sessions; who-and-where columns on the audit trails.
-- Only hashes are kept: Argon2id for passwords, SHA-256 for tokens and session ids.
-- Usernames are COLLATE "C": exact, case-sensitive comparison as on the other backends.

CREATE TABLE IF NOT EXISTS users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name TEXT,
    email TEXT,
    -- viewer, engineer, steward, admin
    role TEXT NOT NULL,
    -- NULL for OIDC users.
    password_hash TEXT,
    -- local, oidc
    auth_source TEXT NOT NULL,
    oidc_issuer TEXT COLLATE "C",
    oidc_subject TEXT COLLATE "C",
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ,
    UNIQUE (oidc_issuer, oidc_subject)
);

CREATE TABLE IF NOT EXISTS api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    source_ip TEXT,
    user_agent TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);

ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS source_ip TEXT;
ALTER TABLE lineage_audit ADD COLUMN IF NOT EXISTS role TEXT;
ALTER TABLE lineage_audit ADD COLUMN IF NOT EXISTS source_ip TEXT;

-- The audit search (GET /api/audit): newest first, by actor or over a time range.
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, at);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS lineage_audit_actor ON lineage_audit (actor, at);
CREATE INDEX IF NOT EXISTS lineage_audit_at ON lineage_audit (at);
