-- Lineage: datasets named by URN, processes (jobs, views, dbt models), their runs, edges
-- source -> target produced by a process (NULL for manual edges) with column mappings,
-- and an audit trail. Edges are never deleted: a vanished edge gets `valid_to`.
-- `*_key` columns are SHA-256 of the URN (InnoDB cannot index long text).
-- `open_key` is the edge's identity (source, target, process) while it is open and NULL once
-- closed, so a UNIQUE index allows one open edge per identity.

CREATE TABLE IF NOT EXISTS lineage_datasets (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    urn_key CHAR(64) NOT NULL,
    urn LONGTEXT NOT NULL,
    namespace VARCHAR(512) NOT NULL,
    name LONGTEXT NOT NULL,
    description LONGTEXT NULL,
    facets_json LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY lineage_datasets_urn (urn_key),
    KEY lineage_datasets_namespace (namespace)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS lineage_processes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    urn_key CHAR(64) NOT NULL,
    urn LONGTEXT NOT NULL,
    namespace VARCHAR(512) NOT NULL,
    name LONGTEXT NOT NULL,
    process_type VARCHAR(64) NOT NULL,
    source_system VARCHAR(512) NOT NULL,
    job_id LONGTEXT NULL,
    job_name LONGTEXT NULL,
    definition LONGTEXT NULL,
    description LONGTEXT NULL,
    facets_json LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY lineage_processes_urn (urn_key),
    KEY lineage_processes_namespace (namespace)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS lineage_runs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    process_id BIGINT NOT NULL,
    run_key CHAR(64) NOT NULL,
    run_id VARCHAR(512) NOT NULL,
    state VARCHAR(32) NOT NULL,
    started_at DATETIME(6) NULL,
    ended_at DATETIME(6) NULL,
    updated_at DATETIME(6) NOT NULL,
    facets_json LONGTEXT NOT NULL,
    UNIQUE KEY lineage_runs_key (run_key),
    KEY lineage_runs_process (process_id, updated_at),
    CONSTRAINT lineage_runs_process_fk FOREIGN KEY (process_id) REFERENCES lineage_processes (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS lineage_edges (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source_id BIGINT NOT NULL,
    target_id BIGINT NOT NULL,
    process_id BIGINT NULL,
    relationship VARCHAR(255) NOT NULL,
    origin VARCHAR(32) NOT NULL,
    confidence BIGINT NOT NULL,
    metadata_json LONGTEXT NOT NULL,
    content_hash CHAR(64) NOT NULL,
    open_key CHAR(64) NULL,
    valid_from DATETIME(6) NOT NULL,
    valid_to DATETIME(6) NULL,
    UNIQUE KEY lineage_edges_open (open_key),
    KEY lineage_edges_source (source_id, valid_from),
    KEY lineage_edges_target (target_id, valid_from),
    KEY lineage_edges_process (process_id, valid_to),
    CONSTRAINT lineage_edges_source_fk FOREIGN KEY (source_id) REFERENCES lineage_datasets (id),
    CONSTRAINT lineage_edges_target_fk FOREIGN KEY (target_id) REFERENCES lineage_datasets (id),
    CONSTRAINT lineage_edges_process_fk FOREIGN KEY (process_id) REFERENCES lineage_processes (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS lineage_column_edges (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    edge_id BIGINT NOT NULL,
    source_column VARCHAR(1024) NOT NULL,
    target_column VARCHAR(1024) NOT NULL,
    transformation VARCHAR(32) NOT NULL,
    expression LONGTEXT NULL,
    KEY lineage_column_edges_edge (edge_id),
    CONSTRAINT lineage_column_edges_edge_fk FOREIGN KEY (edge_id) REFERENCES lineage_edges (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS lineage_audit (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at DATETIME(6) NOT NULL,
    action VARCHAR(32) NOT NULL,
    entity_type VARCHAR(32) NOT NULL,
    entity_id BIGINT NOT NULL,
    entity LONGTEXT NOT NULL,
    before_json LONGTEXT NULL,
    after_json LONGTEXT NULL,
    actor VARCHAR(255) NOT NULL,
    source_system VARCHAR(512) NOT NULL,
    ingestion_id VARCHAR(512) NULL,
    KEY lineage_audit_entity (entity_type, entity_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
