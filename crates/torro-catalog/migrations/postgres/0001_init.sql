-- Torro catalog, PostgreSQL flavour.
-- Text columns that are sorted or prefix-matched use COLLATE "C" so order and
-- LIKE 'prefix%' index use are byte-wise, as on SQLite and MySQL (utf8mb4_bin).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS sources (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    storage_type TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT '',
    container TEXT NOT NULL DEFAULT '',
    labels_json TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS scan_runs (
    id BIGSERIAL PRIMARY KEY,
    trigger_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    duration_ms BIGINT,
    listed BIGINT NOT NULL DEFAULT 0,
    new_count BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    deleted_count BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    message TEXT
);
CREATE INDEX IF NOT EXISTS scan_runs_started ON scan_runs (started_at, id);

CREATE TABLE IF NOT EXISTS scan_errors (
    id BIGSERIAL PRIMARY KEY,
    scan_id BIGINT NOT NULL REFERENCES scan_runs (id),
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_errors_scan ON scan_errors (scan_id, id);

CREATE TABLE IF NOT EXISTS discoveries (
    id BIGSERIAL PRIMARY KEY,
    -- sha256(storage_type, account, container, path): the same key on every backend.
    location_key TEXT NOT NULL UNIQUE,
    storage_type TEXT NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    container TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    folder TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    extension TEXT NOT NULL,
    format TEXT,
    size BIGINT NOT NULL,
    etag TEXT,
    last_modified TIMESTAMPTZ,
    fingerprint TEXT NOT NULL,
    row_count BIGINT,
    column_count BIGINT,
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
    -- File name, path and column names split into words; indexed below.
    search_doc TEXT NOT NULL DEFAULT '',
    search_tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search_doc)) STORED,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    last_changed TIMESTAMPTZ NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at TIMESTAMPTZ,
    last_scan_id BIGINT REFERENCES scan_runs (id),
    CONSTRAINT discoveries_location_unique UNIQUE (storage_type, account, container, path)
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
CREATE INDEX IF NOT EXISTS discoveries_search ON discoveries USING GIN (search_tsv);
-- Substring / fuzzy matches on the path (which ends with the file name).
CREATE INDEX IF NOT EXISTS discoveries_path_trgm ON discoveries USING GIN (lower(path) gin_trgm_ops);

CREATE TABLE IF NOT EXISTS schema_versions (
    id BIGSERIAL PRIMARY KEY,
    discovery_id BIGINT NOT NULL REFERENCES discoveries (id),
    version BIGINT NOT NULL,
    schema_hash TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    diff_json TEXT,
    seen_at TIMESTAMPTZ NOT NULL,
    scan_id BIGINT REFERENCES scan_runs (id),
    CONSTRAINT schema_versions_unique UNIQUE (discovery_id, version)
);

CREATE TABLE IF NOT EXISTS audit_log (
    id BIGSERIAL PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    at TIMESTAMPTZ NOT NULL,
    before_json TEXT,
    after_json TEXT,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_entity ON audit_log (entity_type, entity_id, at, id);
