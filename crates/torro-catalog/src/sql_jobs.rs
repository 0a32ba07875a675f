//! [`JobStore`] on the SQL backends, stamped out per backend like `impl_catalog_store!`.
//!
//! Claims: PostgreSQL and MySQL/MariaDB pick a due row with `FOR UPDATE SKIP LOCKED`, so
//! concurrent claimers never wait for or take the same job; SQLite's write transaction
//! (`BEGIN IMMEDIATE`) serializes them. "One at a time per concurrency key" holds through
//! the unique `running_key` column: two workers claiming two jobs of one connection at
//! the same instant cannot both set it, and the loser tries the next job.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Database;
use torro_model::{NewScanRun, ScanStatus};

use crate::dialect::{Arg, Dialect};
use crate::jobs::{Enqueued, EnqueuedScan, Job, JobStatus, JobStore, Lease, NewJob, ScanRunFilter, backoff};
use crate::sql::{SCAN_RUN_COLUMNS, SqlStore, corrupt, limits, parse};
use crate::{CatalogError, Result};

const JOB_COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, lease_owner, lease_expires_at, \
     dedupe_key, concurrency_key, scan_id, cancel_requested, last_error, created_at, updated_at, finished_at";

/// How often a claim retries when another worker won the race for a concurrency key.
const CLAIM_RETRIES: usize = 5;

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::hours(1))
}

/// A lost race with another claimer: a unique `running_key` or `dedupe_key` taken
/// meanwhile, or a deadlock/serialization failure the database resolved by aborting us.
fn is_race(e: &CatalogError) -> bool {
    match e {
        CatalogError::Database(e) => e
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation() || matches!(d.code().as_deref(), Some("40001" | "40P01"))),
        _ => false,
    }
}

macro_rules! impl_job_store {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn job(row: &<$db as Database>::Row) -> Result<Job> {
                use sqlx::Row;
                Ok(Job {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)
                        .map_err(|e| corrupt("job payload", e))?,
                    status: parse("job status", &row.try_get::<String, _>("status")?)?,
                    attempts: row.try_get("attempts")?,
                    max_attempts: row.try_get("max_attempts")?,
                    run_at: Self::ts(row, "run_at")?,
                    lease_owner: row.try_get("lease_owner")?,
                    lease_expires_at: Self::opt_ts(row, "lease_expires_at")?,
                    dedupe_key: row.try_get("dedupe_key")?,
                    concurrency_key: row.try_get("concurrency_key")?,
                    scan_id: row.try_get("scan_id")?,
                    cancel_requested: row.try_get("cancel_requested")?,
                    last_error: row.try_get("last_error")?,
                    created_at: Self::ts(row, "created_at")?,
                    updated_at: Self::ts(row, "updated_at")?,
                    finished_at: Self::opt_ts(row, "finished_at")?,
                })
            }

            async fn job_in(conn: &mut <$db as Database>::Connection, id: i64, lock: bool) -> Result<Option<Job>> {
                let lock = if lock { <$db as Dialect>::FOR_UPDATE } else { "" };
                let row = Self::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?{lock}"), vec![Arg::I64(id)])
                    .fetch_optional(&mut *conn)
                    .await?;
                row.as_ref().map(Self::job).transpose()
            }

            async fn job_by_dedupe_key(&self, key: &str) -> Result<Option<Job>> {
                let row = Self::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE dedupe_key = ?"), vec![Arg::Str(key.into())])
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::job).transpose()
            }

            /// Inserts the job row inside `conn`'s transaction and returns its id.
            async fn insert_job(conn: &mut <$db as Database>::Connection, job: &NewJob, now: DateTime<Utc>) -> Result<i64> {
                let payload = serde_json::to_string(&job.payload).map_err(|e| corrupt("job payload", e))?;
                Ok(Self::insert_id(
                    &mut *conn,
                    "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, dedupe_key, \
                     concurrency_key, cancel_requested, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, FALSE, ?, ?)",
                    vec![
                        Arg::Str(job.kind.clone()),
                        Arg::Str(payload),
                        Arg::Str(JobStatus::Queued.as_str().into()),
                        Arg::I64(job.max_attempts.max(1) as i64),
                        Arg::Ts(job.run_at),
                        Arg::OptStr(job.dedupe_key.clone()),
                        Arg::OptStr(job.concurrency_key.clone()),
                        Arg::Ts(now),
                        Arg::Ts(now),
                    ],
                )
                .await?)
            }

            /// A job with `job`'s dedupe key, when it has one and it is taken.
            async fn existing_duplicate(&self, job: &NewJob) -> Result<Option<Job>> {
                match &job.dedupe_key {
                    Some(key) => self.job_by_dedupe_key(key).await,
                    None => Ok(None),
                }
            }

            /// Jobs whose lease expired after their last attempt die here (with their scan
            /// run): no worker will come back for them.
            async fn reap_expired(&self, now: DateTime<Utc>) -> Result<()> {
                let expired = "status = 'running' AND lease_expires_at < ? AND attempts >= max_attempts";
                let message = "its worker stopped (lease expired) on the last attempt";
                // A plain read first: the locking UPDATEs below run only when there is work.
                if self.count(&format!("SELECT COUNT(*) FROM jobs WHERE {expired}"), vec![Arg::Ts(now)]).await? == 0 {
                    return Ok(());
                }
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                Self::query(
                    &format!(
                        "UPDATE scan_runs SET status = 'failed', finished_at = ?, message = ? \
                         WHERE status IN ('queued', 'running') AND id IN (SELECT scan_id FROM jobs WHERE {expired})"
                    ),
                    vec![Arg::Ts(now), Arg::Str(message.into()), Arg::Ts(now)],
                )
                .execute(&mut *tx)
                .await?;
                Self::query(
                    &format!(
                        "UPDATE jobs SET status = 'dead', running_key = NULL, last_error = ?, finished_at = ?, \
                         updated_at = ? WHERE {expired}"
                    ),
                    vec![Arg::Str(message.into()), Arg::Ts(now), Arg::Ts(now), Arg::Ts(now)],
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            /// One claim attempt in one transaction.
            async fn try_claim(&self, owner: &str, kinds: &[&str], lease: Duration, now: DateTime<Utc>) -> Result<Option<Job>> {
                if kinds.is_empty() {
                    return Ok(None);
                }
                use sqlx::Row;
                let skip_locked = if <$db as Dialect>::FOR_UPDATE.is_empty() { "" } else { " FOR UPDATE SKIP LOCKED" };
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let row = Self::query(
                    &format!(
                        "SELECT j.id FROM jobs j WHERE ((j.status = 'queued' AND j.run_at <= ?) \
                         OR (j.status = 'running' AND j.lease_expires_at < ?)) \
                         AND (j.concurrency_key IS NULL OR j.status = 'running' \
                              OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.running_key = j.concurrency_key)) \
                         AND j.kind IN ({}) ORDER BY j.run_at ASC, j.id ASC LIMIT 1{skip_locked}",
                        crate::sql::placeholders(kinds.len())
                    ),
                    [Arg::Ts(now), Arg::Ts(now)].into_iter().chain(kinds.iter().map(|k| Arg::Str(k.to_string()))).collect(),
                )
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                Self::query(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?, \
                     lease_expires_at = ?, running_key = concurrency_key, updated_at = ? WHERE id = ?",
                    vec![Arg::Str(owner.into()), Arg::Ts(lease_end(now, lease)), Arg::Ts(now), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                let job = Self::job_in(&mut *tx, id, false).await?;
                tx.commit().await?;
                Ok(job)
            }

            /// The job if `owner` holds it (running, its lease), locked for update.
            async fn held(conn: &mut <$db as Database>::Connection, id: i64, owner: &str) -> Result<Option<Job>> {
                Ok(Self::job_in(&mut *conn, id, true)
                    .await?
                    .filter(|j| j.status == JobStatus::Running && j.lease_owner.as_deref() == Some(owner)))
            }

            /// Ends a held job with `status`. False when `owner` no longer holds it.
            async fn end_held(&self, id: i64, owner: &str, status: JobStatus, now: DateTime<Utc>) -> Result<bool> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                if Self::held(&mut *tx, id, owner).await?.is_none() {
                    return Ok(false);
                }
                Self::query(
                    "UPDATE jobs SET status = ?, running_key = NULL, lease_expires_at = NULL, finished_at = ?, \
                     updated_at = ? WHERE id = ?",
                    vec![Arg::Str(status.as_str().into()), Arg::Ts(now), Arg::Ts(now), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
        }

        #[async_trait::async_trait]
        impl JobStore for SqlStore<$db> {
            async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> Result<Enqueued> {
                if let Some(job) = self.existing_duplicate(job).await? {
                    return Ok(Enqueued { job, created: false });
                }
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                match Self::insert_job(&mut *tx, job, now).await {
                    Ok(id) => {
                        let created = Self::job_in(&mut *tx, id, false)
                            .await?
                            .ok_or_else(|| CatalogError::NotFound(format!("job {id}")))?;
                        tx.commit().await?;
                        Ok(Enqueued { job: created, created: true })
                    }
                    Err(e) if is_race(&e) => {
                        // Another process enqueued the same key between our read and insert.
                        drop(tx);
                        let existing = self.existing_duplicate(job).await?.ok_or(e)?;
                        Ok(Enqueued { job: existing, created: false })
                    }
                    Err(e) => Err(e),
                }
            }

            async fn enqueue_scan(
                &self,
                job: &NewJob,
                run: &NewScanRun,
                connection_id: Option<i64>,
                now: DateTime<Utc>,
            ) -> Result<EnqueuedScan> {
                use crate::CatalogStore;
                let existing_scan = |job: Job| async move {
                    let scan_id = job.scan_id.ok_or_else(|| CatalogError::Corrupt(format!("job {} has no scan run", job.id)))?;
                    let run = self.get_scan_run(scan_id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {scan_id}")))?;
                    Ok::<_, CatalogError>(EnqueuedScan { job, run, created: false })
                };
                if let Some(job) = self.existing_duplicate(job).await? {
                    return existing_scan(job).await;
                }
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let job_id = match Self::insert_job(&mut *tx, job, now).await {
                    Ok(id) => id,
                    Err(e) if is_race(&e) => {
                        drop(tx);
                        let existing = self.existing_duplicate(job).await?.ok_or(e)?;
                        return existing_scan(existing).await;
                    }
                    Err(e) => return Err(e),
                };
                let scan_id = Self::insert_id(
                    &mut *tx,
                    "INSERT INTO scan_runs (trigger_kind, target, status, started_at, connection_id) VALUES (?, ?, ?, ?, ?)",
                    vec![
                        Arg::Str(run.trigger.clone()),
                        Arg::Str(run.target.clone()),
                        Arg::Str(ScanStatus::Queued.as_str().into()),
                        Arg::Ts(run.started_at),
                        Arg::OptI64(connection_id),
                    ],
                )
                .await?;
                Self::query("UPDATE jobs SET scan_id = ? WHERE id = ?", vec![Arg::I64(scan_id), Arg::I64(job_id)])
                    .execute(&mut *tx)
                    .await?;
                let created = Self::job_in(&mut *tx, job_id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("job {job_id}")))?;
                tx.commit().await?;
                let run = self.get_scan_run(scan_id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {scan_id}")))?;
                Ok(EnqueuedScan { job: created, run, created: true })
            }

            async fn claim(&self, owner: &str, kinds: &[&str], lease: Duration, now: DateTime<Utc>) -> Result<Option<Job>> {
                self.reap_expired(now).await?;
                for attempt in 1..=CLAIM_RETRIES {
                    match self.try_claim(owner, kinds, lease, now).await {
                        Err(e) if is_race(&e) && attempt < CLAIM_RETRIES => {
                            tracing::debug!(owner, "lost a claim race, trying the next job: {e}");
                        }
                        other => return other,
                    }
                }
                Ok(None)
            }

            async fn heartbeat(&self, id: i64, owner: &str, lease: Duration, now: DateTime<Utc>) -> Result<Lease> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let Some(job) = Self::held(&mut *tx, id, owner).await? else {
                    return Ok(Lease::Lost);
                };
                Self::query(
                    "UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ?",
                    vec![Arg::Ts(lease_end(now, lease)), Arg::Ts(now), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Lease::Held { cancel_requested: job.cancel_requested })
            }

            async fn complete(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<bool> {
                self.end_held(id, owner, JobStatus::Succeeded, now).await
            }

            async fn finish_cancelled(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<bool> {
                self.end_held(id, owner, JobStatus::Cancelled, now).await
            }

            async fn fail(
                &self,
                id: i64,
                owner: &str,
                error: &str,
                retry: bool,
                retry_base: Duration,
                now: DateTime<Utc>,
            ) -> Result<Option<Job>> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let Some(job) = Self::held(&mut *tx, id, owner).await? else {
                    return Ok(None);
                };
                if retry && job.attempts < job.max_attempts {
                    let delay = chrono::Duration::from_std(backoff(retry_base, job.attempts)).unwrap_or(chrono::Duration::hours(1));
                    Self::query(
                        "UPDATE jobs SET status = 'queued', run_at = ?, lease_owner = NULL, lease_expires_at = NULL, \
                         running_key = NULL, last_error = ?, updated_at = ? WHERE id = ?",
                        vec![Arg::Ts(now + delay), Arg::Str(error.into()), Arg::Ts(now), Arg::I64(id)],
                    )
                    .execute(&mut *tx)
                    .await?;
                } else {
                    Self::query(
                        "UPDATE jobs SET status = 'dead', lease_expires_at = NULL, running_key = NULL, last_error = ?, \
                         finished_at = ?, updated_at = ? WHERE id = ?",
                        vec![Arg::Str(error.into()), Arg::Ts(now), Arg::Ts(now), Arg::I64(id)],
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                let job = Self::job_in(&mut *tx, id, false).await?;
                tx.commit().await?;
                Ok(job)
            }

            async fn cancel(&self, id: i64, now: DateTime<Utc>) -> Result<Job> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let job = Self::job_in(&mut *tx, id, true).await?.ok_or_else(|| CatalogError::NotFound(format!("job {id}")))?;
                match job.status {
                    JobStatus::Queued => {
                        Self::query(
                            "UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                            vec![Arg::Ts(now), Arg::Ts(now), Arg::I64(id)],
                        )
                        .execute(&mut *tx)
                        .await?;
                        if let Some(scan_id) = job.scan_id {
                            Self::query(
                                "UPDATE scan_runs SET status = 'cancelled', finished_at = ?, message = ? WHERE id = ?",
                                vec![Arg::Ts(now), Arg::Str("cancelled before it started".into()), Arg::I64(scan_id)],
                            )
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    JobStatus::Running => {
                        Self::query(
                            "UPDATE jobs SET cancel_requested = TRUE, updated_at = ? WHERE id = ?",
                            vec![Arg::Ts(now), Arg::I64(id)],
                        )
                        .execute(&mut *tx)
                        .await?;
                    }
                    JobStatus::Succeeded | JobStatus::Dead | JobStatus::Cancelled => {}
                }
                let job = Self::job_in(&mut *tx, id, false).await?.ok_or_else(|| CatalogError::NotFound(format!("job {id}")))?;
                tx.commit().await?;
                Ok(job)
            }

            async fn get_job(&self, id: i64) -> Result<Option<Job>> {
                let mut conn = self.pool.acquire().await?;
                Self::job_in(&mut *conn, id, false).await
            }

            async fn job_for_scan(&self, scan_id: i64) -> Result<Option<Job>> {
                let row = Self::query(
                    &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE scan_id = ? ORDER BY id DESC LIMIT 1"),
                    vec![Arg::I64(scan_id)],
                )
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::job).transpose()
            }

            async fn list_jobs(&self, status: Option<JobStatus>, limit: u32) -> Result<Vec<Job>> {
                let (limit, _) = limits(0, limit);
                let (cond, mut args) = match status {
                    Some(s) => (" WHERE status = ?", vec![Arg::Str(s.as_str().into())]),
                    None => ("", vec![]),
                };
                args.push(Arg::I64(limit));
                let rows = Self::query(&format!("SELECT {JOB_COLUMNS} FROM jobs{cond} ORDER BY id DESC LIMIT ?"), args)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::job).collect()
            }

            async fn start_scan_run(&self, id: i64, now: DateTime<Utc>) -> Result<torro_model::ScanRun> {
                use crate::CatalogStore;
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let res = Self::query(
                    "UPDATE scan_runs SET status = 'running', started_at = ?, finished_at = NULL, duration_ms = NULL, \
                     listed = 0, new_count = 0, changed = 0, unchanged = 0, deleted_count = 0, failed = 0, \
                     bytes_read = 0, requests = 0, message = NULL WHERE id = ?",
                    vec![Arg::Ts(now), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                if res.rows_affected() == 0 {
                    return Err(CatalogError::NotFound(format!("scan run {id}")));
                }
                Self::query("DELETE FROM scan_errors WHERE scan_id = ?", vec![Arg::I64(id)]).execute(&mut *tx).await?;
                tx.commit().await?;
                self.get_scan_run(id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {id}")))
            }

            async fn requeue_scan_run(&self, id: i64, message: &str) -> Result<()> {
                let res = Self::query(
                    "UPDATE scan_runs SET status = 'queued', finished_at = NULL, message = ? WHERE id = ?",
                    vec![Arg::Str(message.into()), Arg::I64(id)],
                )
                .execute(&self.pool)
                .await?;
                if res.rows_affected() == 0 {
                    return Err(CatalogError::NotFound(format!("scan run {id}")));
                }
                Ok(())
            }

            async fn list_scan_runs_filtered(&self, f: &ScanRunFilter) -> Result<torro_model::Page<torro_model::ScanRun>> {
                let (limit, offset) = limits(f.page, f.size);
                let mut conds = Vec::new();
                let mut args = Vec::new();
                if let Some(s) = f.status {
                    conds.push("r.status = ?");
                    args.push(Arg::Str(s.as_str().into()));
                }
                if let Some(c) = f.connection_id {
                    conds.push("r.connection_id = ?");
                    args.push(Arg::I64(c));
                }
                let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
                let total = self.count(&format!("SELECT COUNT(*) FROM scan_runs r{where_sql}"), args.clone()).await?;
                args.extend([Arg::I64(limit), Arg::I64(offset)]);
                let rows = Self::query(
                    &format!(
                        "SELECT {SCAN_RUN_COLUMNS} FROM scan_runs r{where_sql} ORDER BY r.started_at DESC, r.id DESC LIMIT ? OFFSET ?"
                    ),
                    args,
                )
                .fetch_all(&self.pool)
                .await?;
                let items = rows.iter().map(Self::scan_run).collect::<Result<_>>()?;
                Ok(torro_model::Page { items, page: f.page, size: limit as u32, total })
            }

            async fn scan_run_connection(&self, scan_id: i64) -> Result<Option<i64>> {
                use sqlx::Row;
                let row = Self::query("SELECT connection_id FROM scan_runs WHERE id = ?", vec![Arg::I64(scan_id)])
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("scan run {scan_id}")))?;
                Ok(row.try_get::<Option<i64>, _>("connection_id")?)
            }
        }
    };
}

impl_job_store!(sqlx::Sqlite);
impl_job_store!(sqlx::Postgres);
impl_job_store!(sqlx::MySql);
