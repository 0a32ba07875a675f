-- The job queue (scans run by workers) and the notification outbox.
-- Workers claim jobs with FOR UPDATE SKIP LOCKED and hold a lease they renew;
-- a job whose lease expired is taken over by another worker.

CREATE TABLE IF NOT EXISTS jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- queued, running, succeeded, dead, cancelled
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    -- Enqueueing a second job with the same key returns the first (scheduled ticks).
    dedupe_key TEXT UNIQUE,
    -- Jobs sharing this key run one at a time (a connection's scans).
    concurrency_key TEXT,
    -- Set to concurrency_key while the job runs: the unique index makes "one at a time" hold
    -- even when two workers claim at the same instant.
    running_key TEXT UNIQUE,
    scan_id BIGINT REFERENCES scan_runs (id),
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (status, run_at, id);
CREATE INDEX IF NOT EXISTS jobs_scan ON jobs (scan_id);

CREATE TABLE IF NOT EXISTS outbox (
    id BIGSERIAL PRIMARY KEY,
    -- email, webhook
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- pending, delivered, dead
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS outbox_ready ON outbox (status, run_at, id);

-- The connection a scan run covers (NULL: the config file's sources), for GET /api/scans?connection=.
ALTER TABLE scan_runs ADD COLUMN IF NOT EXISTS connection_id BIGINT;
CREATE INDEX IF NOT EXISTS scan_runs_connection ON scan_runs (connection_id, id);
CREATE INDEX IF NOT EXISTS scan_runs_status ON scan_runs (status, id);
