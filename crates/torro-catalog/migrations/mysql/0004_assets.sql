-- Database assets (tables, views, materialized views, routines, triggers) found by
-- database scans. Files and datasets stay in `discoveries` / `datasets`; the assets API
-- lists all three (see docs/databases.md). Rows are never removed: a dropped object is
-- marked deleted.

CREATE TABLE IF NOT EXISTS assets (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- SHA-256 of (connector id, type, catalog, schema, name): the idempotent upsert key.
    asset_key CHAR(64) NOT NULL,
    connector_id BIGINT NULL,
    source_name VARCHAR(255) NOT NULL DEFAULT '',
    asset_type VARCHAR(32) NOT NULL,
    catalog_name VARCHAR(255) NOT NULL,
    schema_name VARCHAR(255) NOT NULL,
    name TEXT NOT NULL,
    qualified_name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    technical_json LONGTEXT NOT NULL,
    operational_json LONGTEXT NOT NULL,
    business_json LONGTEXT NOT NULL,
    source_comment LONGTEXT NULL,
    columns_json LONGTEXT NOT NULL,
    definition_language VARCHAR(64) NULL,
    definition_text LONGTEXT NULL,
    schema_hash CHAR(64) NULL,
    fingerprint CHAR(64) NOT NULL,
    discovered_at DATETIME(6) NOT NULL,
    last_seen DATETIME(6) NOT NULL,
    last_changed DATETIME(6) NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at DATETIME(6) NULL,
    last_scan_id BIGINT NULL,
    UNIQUE KEY assets_key_unique (asset_key),
    KEY assets_connector (connector_id, deleted),
    KEY assets_qualified_name (qualified_name(191)),
    CONSTRAINT assets_scan_fk FOREIGN KEY (last_scan_id) REFERENCES scan_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS asset_schema_versions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    asset_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    schema_hash CHAR(64) NOT NULL,
    schema_json LONGTEXT NOT NULL,
    diff_json LONGTEXT NULL,
    observed_at DATETIME(6) NOT NULL,
    scan_id BIGINT NULL,
    UNIQUE KEY asset_schema_versions_unique (asset_id, version),
    CONSTRAINT asset_schema_versions_asset_fk FOREIGN KEY (asset_id) REFERENCES assets (id),
    CONSTRAINT asset_schema_versions_scan_fk FOREIGN KEY (scan_id) REFERENCES scan_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
