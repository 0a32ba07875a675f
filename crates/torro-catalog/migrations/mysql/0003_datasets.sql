-- Logical datasets: partition folders (`key=value/`) and numbered part files roll up into
-- one dataset per root folder; each file stays a discovery pointing at it. Aggregates
-- (file count, size, formats, schemas...) are computed from `discoveries` when read.
-- The unique key is `location_key` = SHA-256 of (storage_type, account, container, root
-- path), as for files: InnoDB cannot index the full key.

CREATE TABLE IF NOT EXISTS datasets (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    location_key CHAR(64) NOT NULL,
    storage_type VARCHAR(32) NOT NULL,
    account VARCHAR(255) NOT NULL,
    container VARCHAR(1024) NOT NULL,
    path VARCHAR(4096) NOT NULL,
    -- JSON array of partition column names, in path order (written by the store).
    partition_columns LONGTEXT NOT NULL,
    first_seen DATETIME(6) NOT NULL,
    UNIQUE KEY datasets_location_key (location_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- partition_values: JSON array of [column, value] pairs, in path order; NULL unless partitioned.
ALTER TABLE discoveries
    ADD COLUMN dataset_id BIGINT NULL,
    ADD COLUMN partition_values LONGTEXT NULL,
    ADD KEY discoveries_dataset (dataset_id, last_changed, id),
    ADD CONSTRAINT discoveries_dataset_fk FOREIGN KEY (dataset_id) REFERENCES datasets (id);
