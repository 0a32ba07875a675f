//! The job queue: work (scans) that any worker process may run, kept in the catalog
//! database so several `torro worker` processes on several machines share it.
//!
//! A worker claims a due job (PostgreSQL/MySQL: `FOR UPDATE SKIP LOCKED`, so claimers
//! never wait on each other; SQLite: its write lock), holds a lease it renews with
//! [`JobStore::heartbeat`], and ends the job with [`JobStore::complete`] or
//! [`JobStore::fail`]. A job whose lease expired (its worker died) is claimed again by
//! another worker. Times are passed in by the caller, so tests control the clock.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use torro_model::{NewScanRun, Page, ScanRun, ScanStatus};

use crate::Result;

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at` and a free worker.
    Queued,
    /// Claimed by `lease_owner` until `lease_expires_at`.
    Running,
    Succeeded,
    /// Failed `max_attempts` times (or failed permanently); `last_error` says why.
    Dead,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Dead => "dead",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "dead" => JobStatus::Dead,
            "cancelled" => JobStatus::Cancelled,
            _ => {
                return Err(format!(
                    "unknown job status {s:?}; expected queued, running, succeeded, dead or cancelled"
                ));
            }
        })
    }
}

/// A job to enqueue.
#[derive(Clone, Debug, PartialEq)]
pub struct NewJob {
    /// What runs it, e.g. "scan".
    pub kind: String,
    pub payload: serde_json::Value,
    /// Not claimed before this time.
    pub run_at: DateTime<Utc>,
    /// Claims (including take-overs after a lost lease) before the job is dead.
    pub max_attempts: i32,
    /// A second enqueue with the same key returns the first job instead of adding one
    /// (a scheduled tick fired by several `serve` processes runs once).
    pub dedupe_key: Option<String>,
    /// Jobs with the same key never run at the same time (one scan per connection).
    pub concurrency_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    /// Claims so far.
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub dedupe_key: Option<String>,
    pub concurrency_key: Option<String>,
    /// The scan run this job executes, for scan jobs.
    pub scan_id: Option<i64>,
    /// Someone asked to cancel it while it ran; the worker sees this at its next heartbeat.
    pub cancel_requested: bool,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What [`JobStore::enqueue`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Enqueued {
    pub job: Job,
    /// False when a job with the same dedupe key already existed (and is returned).
    pub created: bool,
}

/// What [`JobStore::enqueue_scan`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct EnqueuedScan {
    pub job: Job,
    pub run: ScanRun,
    pub created: bool,
}

/// The answer to a heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// Still ours, renewed.
    Held { cancel_requested: bool },
    /// Another worker took the job over (our lease had expired), or it ended.
    Lost,
}

/// Filters of [`JobStore::list_scan_runs_filtered`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanRunFilter {
    pub status: Option<ScanStatus>,
    pub connection_id: Option<i64>,
    pub page: u32,
    pub size: u32,
}

/// Retry delay after the `attempt`-th failure: `base`·2^(attempt-1), at most one hour.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exp = attempt.clamp(1, 20) as u32 - 1;
    base.saturating_mul(1u32 << exp).min(Duration::from_secs(3600))
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Adds a queued job; with a dedupe key already taken, returns that job (`created` false).
    async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> Result<Enqueued>;

    /// Enqueues a scan job and writes its scan run (status `queued`) in one transaction;
    /// the job's `scan_id` names the run. With a dedupe key already taken nothing is
    /// written and the existing job and run are returned.
    async fn enqueue_scan(
        &self,
        job: &NewJob,
        run: &NewScanRun,
        connection_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<EnqueuedScan>;

    /// Claims the oldest due job for `owner` with a lease until `now + lease`: a queued job
    /// whose `run_at` has come, or a running one whose lease expired. Skips jobs whose
    /// concurrency key is held by a running job. Jobs whose lease expired after their last
    /// attempt are marked dead on the way. Only jobs of `kinds` (a worker claims what it can
    /// run). `None` when nothing is due.
    async fn claim(&self, owner: &str, kinds: &[&str], lease: Duration, now: DateTime<Utc>) -> Result<Option<Job>>;

    /// Renews `owner`'s lease on job `id`.
    async fn heartbeat(&self, id: i64, owner: &str, lease: Duration, now: DateTime<Utc>) -> Result<Lease>;

    /// Marks the job succeeded. False when `owner` no longer held it (its lease was lost).
    async fn complete(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<bool>;

    /// Records a failure: the job is queued again after [`backoff`]`(retry_base, attempts)`
    /// while attempts remain and `retry` is true, else it is dead. Returns the job, or
    /// `None` when `owner` no longer held it.
    async fn fail(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry: bool,
        retry_base: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>>;

    /// Cancels a job: a queued one at once; a running one is flagged and its worker stops
    /// it (see [`Lease::Held`]). Ended jobs are returned unchanged. NotFound when unknown.
    async fn cancel(&self, id: i64, now: DateTime<Utc>) -> Result<Job>;

    /// The worker's end of a cancellation: marks the job cancelled. False when not held.
    async fn finish_cancelled(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<bool>;

    async fn get_job(&self, id: i64) -> Result<Option<Job>>;
    /// The job that runs scan run `scan_id`.
    async fn job_for_scan(&self, scan_id: i64) -> Result<Option<Job>>;
    /// Newest first, optionally of one status.
    async fn list_jobs(&self, status: Option<JobStatus>, limit: u32) -> Result<Vec<Job>>;

    /// Marks scan run `id` running from `now` (a worker starts it, or restarts it after a
    /// lost lease: counters reset, errors of the earlier attempt are removed).
    async fn start_scan_run(&self, id: i64, now: DateTime<Utc>) -> Result<ScanRun>;
    /// Puts scan run `id` back in the queue (status `queued`) with a note on why.
    async fn requeue_scan_run(&self, id: i64, message: &str) -> Result<()>;
    /// Scan runs, newest first, filtered by status and connection.
    async fn list_scan_runs_filtered(&self, filter: &ScanRunFilter) -> Result<Page<ScanRun>>;
    /// The connection a scan run covers (`None`: the config file's sources).
    async fn scan_run_connection(&self, scan_id: i64) -> Result<Option<i64>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1), Duration::from_secs(10));
        assert_eq!(backoff(base, 2), Duration::from_secs(20));
        assert_eq!(backoff(base, 4), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), Duration::from_secs(3600));
        assert_eq!(backoff(base, 0), Duration::from_secs(10));
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["queued", "running", "succeeded", "dead", "cancelled"] {
            assert_eq!(s.parse::<JobStatus>().unwrap().as_str(), s);
        }
        assert!("done".parse::<JobStatus>().unwrap_err().contains("expected queued"));
    }
}
