-- The job queue (scans run by workers) and the notification outbox.
-- On SQLite one process runs the scheduler and its workers; the write lock
-- (BEGIN IMMEDIATE) serializes claims.

CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- queued, running, succeeded, dead, cancelled
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    -- Enqueueing a second job with the same key returns the first (scheduled ticks).
    dedupe_key TEXT UNIQUE,
    -- Jobs sharing this key run one at a time (a connection's scans).
    concurrency_key TEXT,
    -- Set to concurrency_key while the job runs (unique: one at a time).
    running_key TEXT UNIQUE,
    scan_id INTEGER REFERENCES scan_runs (id),
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (status, run_at, id);
CREATE INDEX IF NOT EXISTS jobs_scan ON jobs (scan_id);

CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- email, webhook
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- pending, delivered, dead
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_ready ON outbox (status, run_at, id);

-- The connection a scan run covers (NULL: the config file's sources), for GET /api/scans?connection=.
ALTER TABLE scan_runs ADD COLUMN connection_id INTEGER;
CREATE INDEX IF NOT EXISTS scan_runs_connection ON scan_runs (connection_id, id);
CREATE INDEX IF NOT EXISTS scan_runs_status ON scan_runs (status, id);
