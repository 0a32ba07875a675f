-- Managed connections (one storage account each). Secrets are AES-256-GCM ciphertext
-- written by the engine (`v1:` + base64); the store never sees their plain text.
-- The unused `sources` table of 0001 is left as it is.

CREATE TABLE IF NOT EXISTS connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    connector_type TEXT NOT NULL,
    connection_type TEXT NOT NULL,
    config_json TEXT NOT NULL,
    -- JSON array of the stored secrets' names, so listing never needs the key.
    secret_names TEXT NOT NULL DEFAULT '[]',
    secrets_ciphertext TEXT,
    status TEXT NOT NULL,
    schedule TEXT,
    environment TEXT NOT NULL DEFAULT '',
    env_type TEXT NOT NULL DEFAULT '',
    data_source_type TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_tested_at TEXT,
    last_test_error TEXT
);

-- The discoveries of one connection (GET /api/connections/{id}/discoveries).
CREATE INDEX IF NOT EXISTS discoveries_source_name ON discoveries (source_name);
