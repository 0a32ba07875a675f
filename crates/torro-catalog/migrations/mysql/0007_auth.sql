-- Users, personal API tokens, browser sessions; who-and-where columns on the audit trails.
-- Only hashes are kept: Argon2id for passwords, SHA-256 for tokens and session ids.
-- utf8mb4_bin: usernames compare exactly (case-sensitive), as on the other backends.
-- The OIDC key (issuer 512 + subject 255 characters) stays under InnoDB's 3072-byte limit.

CREATE TABLE IF NOT EXISTS users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) NOT NULL,
    display_name VARCHAR(512) NULL,
    email VARCHAR(512) NULL,
    -- viewer, engineer, steward, admin
    role VARCHAR(32) NOT NULL,
    -- NULL for OIDC users.
    password_hash VARCHAR(512) NULL,
    -- local, oidc
    auth_source VARCHAR(32) NOT NULL,
    oidc_issuer VARCHAR(512) NULL,
    oidc_subject VARCHAR(255) NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    last_login_at DATETIME(6) NULL,
    UNIQUE KEY users_username (username),
    UNIQUE KEY users_oidc (oidc_issuer, oidc_subject)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS api_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    prefix VARCHAR(64) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NULL,
    last_used_at DATETIME(6) NULL,
    revoked_at DATETIME(6) NULL,
    UNIQUE KEY api_tokens_hash (token_hash),
    KEY api_tokens_user (user_id, id),
    CONSTRAINT api_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS sessions (
    id_hash CHAR(64) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf_token VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    source_ip VARCHAR(64) NULL,
    user_agent TEXT NULL,
    KEY sessions_user (user_id),
    KEY sessions_expires (expires_at),
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE audit_log ADD COLUMN source_ip VARCHAR(64) NULL,
    ADD KEY audit_log_actor (actor, at),
    ADD KEY audit_log_at (at);
ALTER TABLE lineage_audit ADD COLUMN role VARCHAR(255) NULL,
    ADD COLUMN source_ip VARCHAR(64) NULL,
    ADD KEY lineage_audit_actor (actor, at),
    ADD KEY lineage_audit_at (at);
