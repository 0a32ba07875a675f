-- Torro catalog, MySQL 8 / MariaDB 10.11 flavour.
-- Tables use utf8mb4_bin: paths are case-sensitive (S3 keys are) and sort byte-wise as on SQLite.
-- InnoDB limits an index key to 3072 bytes (768 utf8mb4 characters), so the unique
-- key on (storage_type, account, container, path) is a SHA-256 `location_key`
-- computed by the store, and the lookup index uses prefix lengths.
-- Timestamps are DATETIME(6) in UTC (sqlx sets time_zone = '+00:00').

CREATE TABLE IF NOT EXISTS sources (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    storage_type VARCHAR(32) NOT NULL,
    account VARCHAR(255) NOT NULL DEFAULT '',
    container VARCHAR(1024) NOT NULL DEFAULT '',
    labels_json LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY sources_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS scan_runs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    trigger_kind VARCHAR(64) NOT NULL,
    target TEXT NOT NULL,
    status VARCHAR(32) NOT NULL,
    started_at DATETIME(6) NOT NULL,
    finished_at DATETIME(6) NULL,
    duration_ms BIGINT NULL,
    listed BIGINT NOT NULL DEFAULT 0,
    new_count BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    deleted_count BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    message TEXT NULL,
    KEY scan_runs_started (started_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS scan_errors (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    scan_id BIGINT NOT NULL,
    path TEXT NOT NULL,
    kind VARCHAR(32) NOT NULL,
    message TEXT NOT NULL,
    at DATETIME(6) NOT NULL,
    KEY scan_errors_scan (scan_id, id),
    CONSTRAINT scan_errors_scan_fk FOREIGN KEY (scan_id) REFERENCES scan_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS discoveries (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    location_key CHAR(64) NOT NULL,
    storage_type VARCHAR(32) NOT NULL,
    account VARCHAR(255) NOT NULL,
    container VARCHAR(1024) NOT NULL,
    path VARCHAR(4096) NOT NULL,
    folder VARCHAR(4096) NOT NULL,
    name VARCHAR(1024) NOT NULL,
    extension VARCHAR(64) NOT NULL,
    format VARCHAR(32) NULL,
    size BIGINT NOT NULL,
    etag VARCHAR(255) NULL,
    last_modified DATETIME(6) NULL,
    fingerprint VARCHAR(512) NOT NULL,
    row_count BIGINT NULL,
    column_count BIGINT NULL,
    schema_json LONGTEXT NULL,
    schema_hash CHAR(64) NULL,
    format_details LONGTEXT NOT NULL,
    status VARCHAR(32) NOT NULL,
    approval_status VARCHAR(32) NOT NULL,
    error TEXT NULL,
    source_name VARCHAR(255) NOT NULL DEFAULT '',
    environment VARCHAR(255) NOT NULL DEFAULT '',
    env_type VARCHAR(255) NOT NULL DEFAULT '',
    data_source_type VARCHAR(255) NOT NULL DEFAULT '',
    tags LONGTEXT NOT NULL,
    -- File name, path and column names split into words; FULLTEXT-indexed.
    search_doc LONGTEXT NOT NULL,
    first_seen DATETIME(6) NOT NULL,
    last_seen DATETIME(6) NOT NULL,
    last_changed DATETIME(6) NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at DATETIME(6) NULL,
    last_scan_id BIGINT NULL,
    UNIQUE KEY discoveries_location_key (location_key),
    KEY discoveries_location (storage_type, account(190), container(190), path(250)),
    KEY discoveries_status (status),
    KEY discoveries_approval (approval_status),
    KEY discoveries_environment (environment),
    KEY discoveries_dst (data_source_type),
    KEY discoveries_format (format),
    KEY discoveries_deleted (deleted),
    KEY discoveries_last_changed (last_changed, id),
    KEY discoveries_first_seen (first_seen, id),
    KEY discoveries_last_seen (last_seen, id),
    KEY discoveries_name (name(250)),
    KEY discoveries_path (path(250)),
    KEY discoveries_size (size, id),
    FULLTEXT KEY discoveries_search (search_doc),
    CONSTRAINT discoveries_scan_fk FOREIGN KEY (last_scan_id) REFERENCES scan_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS schema_versions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    discovery_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    schema_hash CHAR(64) NOT NULL,
    schema_json LONGTEXT NOT NULL,
    diff_json LONGTEXT NULL,
    seen_at DATETIME(6) NOT NULL,
    scan_id BIGINT NULL,
    UNIQUE KEY schema_versions_unique (discovery_id, version),
    CONSTRAINT schema_versions_discovery_fk FOREIGN KEY (discovery_id) REFERENCES discoveries (id),
    CONSTRAINT schema_versions_scan_fk FOREIGN KEY (scan_id) REFERENCES scan_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS audit_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    entity_type VARCHAR(64) NOT NULL,
    entity_id BIGINT NOT NULL,
    action VARCHAR(64) NOT NULL,
    actor VARCHAR(255) NOT NULL,
    role VARCHAR(255) NULL,
    at DATETIME(6) NOT NULL,
    before_json LONGTEXT NULL,
    after_json LONGTEXT NULL,
    comment TEXT NULL,
    KEY audit_log_entity (entity_type, entity_id, at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
