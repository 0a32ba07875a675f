-- Managed connections (one storage account each). Secrets are AES-256-GCM ciphertext
-- written by the engine (`v1:` + base64); the store never sees their plain text.
-- The unused `sources` table of 0001 is left as it is. LONGTEXT columns have no
-- DEFAULT (MySQL 8 allows none); the store always writes them.

CREATE TABLE IF NOT EXISTS connections (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    connector_type VARCHAR(32) NOT NULL,
    connection_type VARCHAR(64) NOT NULL,
    config_json LONGTEXT NOT NULL,
    -- JSON array of the stored secrets' names, so listing never needs the key.
    secret_names LONGTEXT NOT NULL,
    secrets_ciphertext LONGTEXT NULL,
    status VARCHAR(32) NOT NULL,
    schedule VARCHAR(255) NULL,
    environment VARCHAR(255) NOT NULL DEFAULT '',
    env_type VARCHAR(255) NOT NULL DEFAULT '',
    data_source_type VARCHAR(255) NOT NULL DEFAULT '',
    tags LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    last_tested_at DATETIME(6) NULL,
    last_test_error TEXT NULL,
    UNIQUE KEY connections_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The discoveries of one connection (GET /api/connections/{id}/discoveries).
CREATE INDEX discoveries_source_name ON discoveries (source_name);
