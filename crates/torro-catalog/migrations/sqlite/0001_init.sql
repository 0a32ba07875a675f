-- Torro catalog, SQLite flavour. Timestamps are TEXT in one fixed format
-- (YYYY-MM-DDTHH:MM:SS.ffffffZ, UTC, microseconds) so they sort as strings.

CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    storage_type TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT '',
    container TEXT NOT NULL DEFAULT '',
    labels_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS scan_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    listed INTEGER NOT NULL DEFAULT 0,
    new_count INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    deleted_count INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    bytes_read INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    message TEXT
);
CREATE INDEX IF NOT EXISTS scan_runs_started ON scan_runs (started_at, id);

CREATE TABLE IF NOT EXISTS scan_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id INTEGER NOT NULL REFERENCES scan_runs (id),
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_errors_scan ON scan_errors (scan_id, id);

CREATE TABLE IF NOT EXISTS discoveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- sha256(storage_type, account, container, path): the same key on every backend.
    location_key TEXT NOT NULL UNIQUE,
    storage_type TEXT NOT NULL,
    account TEXT NOT NULL,
    container TEXT NOT NULL,
    path TEXT NOT NULL,
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    extension TEXT NOT NULL,
    format TEXT,
    size INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    fingerprint TEXT NOT NULL,
    row_count INTEGER,
    column_count INTEGER,
    schema_json TEXT,
    schema_hash TEXT,
    format_details TEXT NOT NULL DEFAULT 'null',
    status TEXT NOT NULL,
    approval_status TEXT NOT NULL,
    error TEXT,
    source_name TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    env_type TEXT NOT NULL DEFAULT '',
    data_source_type TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    search_doc TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at TEXT,
    last_scan_id INTEGER REFERENCES scan_runs (id),
    UNIQUE (storage_type, account, container, path)
);
CREATE INDEX IF NOT EXISTS discoveries_status ON discoveries (status);
CREATE INDEX IF NOT EXISTS discoveries_approval ON discoveries (approval_status);
CREATE INDEX IF NOT EXISTS discoveries_environment ON discoveries (environment);
CREATE INDEX IF NOT EXISTS discoveries_dst ON discoveries (data_source_type);
CREATE INDEX IF NOT EXISTS discoveries_format ON discoveries (format);
CREATE INDEX IF NOT EXISTS discoveries_deleted ON discoveries (deleted);
CREATE INDEX IF NOT EXISTS discoveries_last_changed ON discoveries (last_changed, id);
CREATE INDEX IF NOT EXISTS discoveries_first_seen ON discoveries (first_seen, id);
CREATE INDEX IF NOT EXISTS discoveries_last_seen ON discoveries (last_seen, id);
CREATE INDEX IF NOT EXISTS discoveries_name ON discoveries (name, id);
CREATE INDEX IF NOT EXISTS discoveries_path ON discoveries (path, id);
CREATE INDEX IF NOT EXISTS discoveries_size ON discoveries (size, id);

-- Full-text index over file name, path and column names; rowid = discoveries.id.
-- The store writes `doc` (already split into words) in the same transaction as the row.
CREATE VIRTUAL TABLE IF NOT EXISTS discoveries_fts USING fts5 (doc, tokenize = 'unicode61');

CREATE TABLE IF NOT EXISTS schema_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    discovery_id INTEGER NOT NULL REFERENCES discoveries (id),
    version INTEGER NOT NULL,
    schema_hash TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    diff_json TEXT,
    seen_at TEXT NOT NULL,
    scan_id INTEGER REFERENCES scan_runs (id),
    UNIQUE (discovery_id, version)
);

CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    at TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_entity ON audit_log (entity_type, entity_id, at, id);
