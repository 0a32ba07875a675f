-- The job queue (scans run by workers) and the notification outbox.
-- Workers claim jobs with FOR UPDATE SKIP LOCKED (MySQL 8, MariaDB 10.6+) and hold a
-- lease they renew; a job whose lease expired is taken over by another worker.
-- LONGTEXT columns have no DEFAULT (MySQL 8 allows none); the store always writes them.

CREATE TABLE IF NOT EXISTS jobs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind VARCHAR(64) NOT NULL,
    payload LONGTEXT NOT NULL,
    -- queued, running, succeeded, dead, cancelled
    status VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL,
    run_at DATETIME(6) NOT NULL,
    lease_owner VARCHAR(255) NULL,
    lease_expires_at DATETIME(6) NULL,
    -- Enqueueing a second job with the same key returns the first (scheduled ticks).
    dedupe_key VARCHAR(255) NULL,
    -- Jobs sharing this key run one at a time (a connection's scans).
    concurrency_key VARCHAR(255) NULL,
    -- Set to concurrency_key while the job runs (unique: one at a time).
    running_key VARCHAR(255) NULL,
    scan_id BIGINT NULL,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    finished_at DATETIME(6) NULL,
    UNIQUE KEY jobs_dedupe (dedupe_key),
    UNIQUE KEY jobs_running (running_key),
    KEY jobs_ready (status, run_at, id),
    KEY jobs_scan (scan_id),
    CONSTRAINT jobs_scan_fk FOREIGN KEY (scan_id) REFERENCES scan_runs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- email, webhook
    channel VARCHAR(32) NOT NULL,
    payload LONGTEXT NOT NULL,
    -- pending, delivered, dead
    status VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL,
    run_at DATETIME(6) NOT NULL,
    lease_owner VARCHAR(255) NULL,
    lease_expires_at DATETIME(6) NULL,
    last_error TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    delivered_at DATETIME(6) NULL,
    KEY outbox_ready (status, run_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The connection a scan run covers (NULL: the config file's sources), for GET /api/scans?connection=.
ALTER TABLE scan_runs ADD COLUMN connection_id BIGINT NULL,
    ADD KEY scan_runs_connection (connection_id, id),
    ADD KEY scan_runs_status (status, id);
