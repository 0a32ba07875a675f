-- Logical datasets: partition folders (`key=value/`) and numbered part files roll up into
-- one dataset per root folder; each file stays a discovery pointing at it. Aggregates
-- (file count, size, formats, schemas...) are computed from `discoveries` when read.
-- `location_key` = SHA-256 of (storage_type, account, container, root path), as for files.

CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    location_key TEXT NOT NULL UNIQUE,
    storage_type TEXT NOT NULL,
    account TEXT NOT NULL,
    container TEXT NOT NULL,
    path TEXT NOT NULL,
    -- JSON array of partition column names, in path order.
    partition_columns TEXT NOT NULL DEFAULT '[]',
    first_seen TEXT NOT NULL
);

-- SQLite has no ADD COLUMN IF NOT EXISTS; a concurrent start that loses the race fails
-- this migration and retries (see `migrate`), finding it applied.
ALTER TABLE discoveries ADD COLUMN dataset_id INTEGER REFERENCES datasets (id);
-- JSON array of [column, value] pairs, in path order; NULL unless partitioned.
ALTER TABLE discoveries ADD COLUMN partition_values TEXT;
CREATE INDEX IF NOT EXISTS discoveries_dataset ON discoveries (dataset_id, last_changed, id);
