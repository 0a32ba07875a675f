-- Database assets (tables, views, materialized views, routines, triggers) found by
-- database scans. Files and datasets stay in `discoveries` / `datasets`; the assets API
-- lists all three (see docs/databases.md). Rows are never removed: a dropped object is
-- marked deleted.

CREATE TABLE IF NOT EXISTS assets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of (connector id, type, catalog, schema, name): the idempotent upsert key.
    asset_key TEXT NOT NULL,
    connector_id INTEGER,
    source_name TEXT NOT NULL DEFAULT '',
    asset_type TEXT NOT NULL,
    catalog_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    name TEXT NOT NULL,
    qualified_name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    technical_json TEXT NOT NULL,
    operational_json TEXT NOT NULL,
    business_json TEXT NOT NULL,
    source_comment TEXT,
    columns_json TEXT NOT NULL,
    definition_language TEXT,
    definition_text TEXT,
    schema_hash TEXT,
    fingerprint TEXT NOT NULL,
    discovered_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at TEXT,
    last_scan_id INTEGER REFERENCES scan_runs (id),
    UNIQUE (asset_key)
);
CREATE INDEX IF NOT EXISTS assets_connector ON assets (connector_id, deleted);
CREATE INDEX IF NOT EXISTS assets_qualified_name ON assets (qualified_name);

CREATE TABLE IF NOT EXISTS asset_schema_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id INTEGER NOT NULL REFERENCES assets (id),
    version INTEGER NOT NULL,
    schema_hash TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    diff_json TEXT,
    observed_at TEXT NOT NULL,
    scan_id INTEGER REFERENCES scan_runs (id),
    UNIQUE (asset_id, version)
);
