-- Users, personal API tokens, browser sessions; who-and-where columns on the audit trails.
-- Only hashes are kept: Argon2id for passwords, SHA-256 for tokens and session ids.
-- Usernames compare exactly (case-sensitive), as on the other backends.

CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT,
    email TEXT,
    -- viewer, engineer, steward, admin
    role TEXT NOT NULL,
    -- NULL for OIDC users.
    password_hash TEXT,
    -- local, oidc
    auth_source TEXT NOT NULL,
    oidc_issuer TEXT,
    oidc_subject TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_login_at TEXT,
    UNIQUE (oidc_issuer, oidc_subject)
);

CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    source_ip TEXT,
    user_agent TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);

ALTER TABLE audit_log ADD COLUMN source_ip TEXT;
ALTER TABLE lineage_audit ADD COLUMN role TEXT;
ALTER TABLE lineage_audit ADD COLUMN source_ip TEXT;

-- The audit search (GET /api/audit): newest first, by actor or over a time range.
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, at);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS lineage_audit_actor ON lineage_audit (actor, at);
CREATE INDEX IF NOT EXISTS lineage_audit_at ON lineage_audit (at);
