-- Lineage: datasets named by URN, processes (jobs, views, dbt models), their runs, edges
-- source -> target produced by a process (NULL for manual edges) with column mappings,
-- and an audit trail. Edges are never deleted: a vanished edge gets `valid_to`.
-- `*_key` columns are SHA-256 of the URN (MySQL cannot index long text; same on all backends).
-- `open_key` is the edge's identity (source, target, process) while it is open and NULL once
-- closed, so a UNIQUE index allows one open edge per identity on every backend.

CREATE TABLE IF NOT EXISTS lineage_datasets (
    id BIGSERIAL PRIMARY KEY,
    urn_key TEXT NOT NULL UNIQUE,
    urn TEXT COLLATE "C" NOT NULL,
    namespace TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    description TEXT,
    facets_json TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS lineage_datasets_namespace ON lineage_datasets (namespace, name);

CREATE TABLE IF NOT EXISTS lineage_processes (
    id BIGSERIAL PRIMARY KEY,
    urn_key TEXT NOT NULL UNIQUE,
    urn TEXT COLLATE "C" NOT NULL,
    namespace TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    process_type TEXT NOT NULL,
    source_system TEXT NOT NULL,
    job_id TEXT,
    job_name TEXT,
    definition TEXT,
    description TEXT,
    facets_json TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS lineage_processes_namespace ON lineage_processes (namespace, name);

CREATE TABLE IF NOT EXISTS lineage_runs (
    id BIGSERIAL PRIMARY KEY,
    process_id BIGINT NOT NULL REFERENCES lineage_processes (id),
    run_key TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    facets_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS lineage_runs_process ON lineage_runs (process_id, updated_at);

CREATE TABLE IF NOT EXISTS lineage_edges (
    id BIGSERIAL PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES lineage_datasets (id),
    target_id BIGINT NOT NULL REFERENCES lineage_datasets (id),
    process_id BIGINT REFERENCES lineage_processes (id),
    relationship TEXT NOT NULL,
    origin TEXT NOT NULL,
    confidence BIGINT NOT NULL,
    metadata_json TEXT NOT NULL DEFAULT 'null',
    content_hash TEXT NOT NULL,
    open_key TEXT UNIQUE,
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS lineage_edges_source ON lineage_edges (source_id, valid_from);
CREATE INDEX IF NOT EXISTS lineage_edges_target ON lineage_edges (target_id, valid_from);
CREATE INDEX IF NOT EXISTS lineage_edges_process ON lineage_edges (process_id, valid_to);

CREATE TABLE IF NOT EXISTS lineage_column_edges (
    id BIGSERIAL PRIMARY KEY,
    edge_id BIGINT NOT NULL REFERENCES lineage_edges (id),
    source_column TEXT NOT NULL,
    target_column TEXT NOT NULL,
    transformation TEXT NOT NULL,
    expression TEXT
);
CREATE INDEX IF NOT EXISTS lineage_column_edges_edge ON lineage_column_edges (edge_id);

CREATE TABLE IF NOT EXISTS lineage_audit (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    actor TEXT NOT NULL,
    source_system TEXT NOT NULL,
    ingestion_id TEXT
);
CREATE INDEX IF NOT EXISTS lineage_audit_entity ON lineage_audit (entity_type, entity_id, id);
