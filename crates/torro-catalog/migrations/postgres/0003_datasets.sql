-- Logical datasets: partition folders (`key=value/`) and numbered part files roll up into
-- one dataset per root folder; each file stays a discovery pointing at it. Aggregates
-- (file count, size, formats, schemas...) are computed from `discoveries` when read.
-- `location_key` = SHA-256 of (storage_type, account, container, root path), as for files.

CREATE TABLE IF NOT EXISTS datasets (
    id BIGSERIAL PRIMARY KEY,
    location_key TEXT NOT NULL UNIQUE,
    storage_type TEXT NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    container TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    -- JSON array of partition column names, in path order.
    partition_columns TEXT NOT NULL DEFAULT '[]',
    first_seen TIMESTAMPTZ NOT NULL
);

ALTER TABLE discoveries ADD COLUMN IF NOT EXISTS dataset_id BIGINT REFERENCES datasets (id);
-- JSON array of [column, value] pairs, in path order; NULL unless partitioned.
ALTER TABLE discoveries ADD COLUMN IF NOT EXISTS partition_values TEXT;
CREATE INDEX IF NOT EXISTS discoveries_dataset ON discoveries (dataset_id, last_changed, id);
