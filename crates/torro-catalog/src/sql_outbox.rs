//! [`OutboxStore`] on the SQL backends, stamped out per backend like `impl_job_store!`.
//! Claims follow the job queue: `FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL, the
//! write lock of `BEGIN IMMEDIATE` on SQLite.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Database;
use torro_model::{ScanCounts, ScanRun, ScanStatus};

use crate::dialect::{Arg, Dialect};
use crate::jobs::backoff;
use crate::outbox::{NewFile, NewOutboxMessage, OutboxMessage, OutboxStatus, OutboxStore};
use crate::sql::{SqlStore, corrupt, now, parse};
use crate::{CatalogError, Result};

const OUTBOX_COLUMNS: &str = "id, channel, payload, status, attempts, max_attempts, run_at, lease_owner, \
     lease_expires_at, last_error, created_at, delivered_at";

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::hours(1))
}

macro_rules! impl_outbox_store {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn outbox_row(row: &<$db as Database>::Row) -> Result<OutboxMessage> {
                use sqlx::Row;
                Ok(OutboxMessage {
                    id: row.try_get("id")?,
                    channel: row.try_get("channel")?,
                    payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)
                        .map_err(|e| corrupt("outbox payload", e))?,
                    status: parse("outbox status", &row.try_get::<String, _>("status")?)?,
                    attempts: row.try_get("attempts")?,
                    max_attempts: row.try_get("max_attempts")?,
                    run_at: Self::ts(row, "run_at")?,
                    lease_owner: row.try_get("lease_owner")?,
                    lease_expires_at: Self::opt_ts(row, "lease_expires_at")?,
                    last_error: row.try_get("last_error")?,
                    created_at: Self::ts(row, "created_at")?,
                    delivered_at: Self::opt_ts(row, "delivered_at")?,
                })
            }

            async fn outbox_in(
                conn: &mut <$db as Database>::Connection,
                id: i64,
                lock: bool,
            ) -> Result<Option<OutboxMessage>> {
                let lock = if lock { <$db as Dialect>::FOR_UPDATE } else { "" };
                let row = Self::query(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?{lock}"), vec![Arg::I64(id)])
                    .fetch_optional(&mut *conn)
                    .await?;
                row.as_ref().map(Self::outbox_row).transpose()
            }

            async fn insert_outbox(
                conn: &mut <$db as Database>::Connection,
                m: &NewOutboxMessage,
                now: DateTime<Utc>,
            ) -> Result<i64> {
                let payload = serde_json::to_string(&m.payload).map_err(|e| corrupt("outbox payload", e))?;
                Ok(Self::insert_id(
                    &mut *conn,
                    "INSERT INTO outbox (channel, payload, status, attempts, max_attempts, run_at, created_at) \
                     VALUES (?, ?, 'pending', 0, ?, ?, ?)",
                    vec![
                        Arg::Str(m.channel.clone()),
                        Arg::Str(payload),
                        Arg::I64(m.max_attempts.max(1) as i64),
                        Arg::Ts(now),
                        Arg::Ts(now),
                    ],
                )
                .await?)
            }

            /// The message if `owner` holds its lease, locked for update.
            async fn outbox_held(
                conn: &mut <$db as Database>::Connection,
                id: i64,
                owner: &str,
            ) -> Result<Option<OutboxMessage>> {
                Ok(Self::outbox_in(&mut *conn, id, true)
                    .await?
                    .filter(|m| m.status == OutboxStatus::Pending && m.lease_owner.as_deref() == Some(owner)))
            }
        }

        #[async_trait::async_trait]
        impl OutboxStore for SqlStore<$db> {
            async fn finish_scan_run_with_outbox(
                &self,
                id: i64,
                status: ScanStatus,
                c: &ScanCounts,
                message: Option<&str>,
                messages: &[NewOutboxMessage],
            ) -> Result<ScanRun> {
                use crate::CatalogStore;
                let run = self.get_scan_run(id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {id}")))?;
                let finished = now().max(run.started_at);
                let duration = (finished - run.started_at).num_milliseconds();
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                Self::query(
                    "UPDATE scan_runs SET status = ?, finished_at = ?, duration_ms = ?, listed = ?, new_count = ?, \
                     changed = ?, unchanged = ?, deleted_count = ?, failed = ?, bytes_read = ?, requests = ?, \
                     message = ? WHERE id = ?",
                    vec![
                        Arg::Str(status.as_str().into()),
                        Arg::Ts(finished),
                        Arg::I64(duration),
                        Arg::I64(c.listed),
                        Arg::I64(c.new),
                        Arg::I64(c.changed),
                        Arg::I64(c.unchanged),
                        Arg::I64(c.deleted),
                        Arg::I64(c.failed),
                        Arg::I64(c.bytes_read),
                        Arg::I64(c.requests),
                        Arg::OptStr(message.map(str::to_string)),
                        Arg::I64(id),
                    ],
                )
                .execute(&mut *tx)
                .await?;
                for m in messages {
                    Self::insert_outbox(&mut *tx, m, finished).await?;
                }
                tx.commit().await?;
                self.get_scan_run(id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {id}")))
            }

            async fn enqueue_outbox(&self, m: &NewOutboxMessage, now: DateTime<Utc>) -> Result<OutboxMessage> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let id = Self::insert_outbox(&mut *tx, m, now).await?;
                let row = Self::outbox_in(&mut *tx, id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("outbox message {id}")))?;
                tx.commit().await?;
                Ok(row)
            }

            async fn claim_outbox(&self, owner: &str, lease: Duration, now: DateTime<Utc>) -> Result<Option<OutboxMessage>> {
                use sqlx::Row;
                // Messages whose last attempt's lease ran out: nobody will finish them.
                Self::query(
                    "UPDATE outbox SET status = 'dead', last_error = COALESCE(last_error, 'the worker delivering it stopped') \
                     WHERE status = 'pending' AND attempts >= max_attempts AND lease_expires_at < ?",
                    vec![Arg::Ts(now)],
                )
                .execute(&self.pool)
                .await?;
                let skip_locked = if <$db as Dialect>::FOR_UPDATE.is_empty() { "" } else { " FOR UPDATE SKIP LOCKED" };
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let row = Self::query(
                    &format!(
                        "SELECT id FROM outbox WHERE status = 'pending' AND run_at <= ? AND attempts < max_attempts \
                         AND (lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY run_at ASC, id ASC LIMIT 1{skip_locked}"
                    ),
                    vec![Arg::Ts(now), Arg::Ts(now)],
                )
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                Self::query(
                    "UPDATE outbox SET attempts = attempts + 1, lease_owner = ?, lease_expires_at = ? WHERE id = ?",
                    vec![Arg::Str(owner.into()), Arg::Ts(lease_end(now, lease)), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                let m = Self::outbox_in(&mut *tx, id, false).await?;
                tx.commit().await?;
                Ok(m)
            }

            async fn outbox_delivered(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<bool> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                if Self::outbox_held(&mut *tx, id, owner).await?.is_none() {
                    return Ok(false);
                }
                Self::query(
                    "UPDATE outbox SET status = 'delivered', lease_expires_at = NULL, delivered_at = ? WHERE id = ?",
                    vec![Arg::Ts(now), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn outbox_failed(
                &self,
                id: i64,
                owner: &str,
                error: &str,
                retry_base: Duration,
                now: DateTime<Utc>,
            ) -> Result<Option<OutboxMessage>> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let Some(m) = Self::outbox_held(&mut *tx, id, owner).await? else {
                    return Ok(None);
                };
                if m.attempts < m.max_attempts {
                    let delay =
                        chrono::Duration::from_std(backoff(retry_base, m.attempts)).unwrap_or(chrono::Duration::hours(1));
                    Self::query(
                        "UPDATE outbox SET run_at = ?, lease_owner = NULL, lease_expires_at = NULL, last_error = ? WHERE id = ?",
                        vec![Arg::Ts(now + delay), Arg::Str(error.into()), Arg::I64(id)],
                    )
                    .execute(&mut *tx)
                    .await?;
                } else {
                    Self::query(
                        "UPDATE outbox SET status = 'dead', lease_expires_at = NULL, last_error = ? WHERE id = ?",
                        vec![Arg::Str(error.into()), Arg::I64(id)],
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                let m = Self::outbox_in(&mut *tx, id, false).await?;
                tx.commit().await?;
                Ok(m)
            }

            async fn get_outbox(&self, id: i64) -> Result<Option<OutboxMessage>> {
                let mut conn = self.pool.acquire().await?;
                Self::outbox_in(&mut *conn, id, false).await
            }

            async fn list_outbox(&self, status: Option<OutboxStatus>, limit: u32) -> Result<Vec<OutboxMessage>> {
                let (cond, mut args) = match status {
                    Some(s) => (" WHERE status = ?", vec![Arg::Str(s.as_str().into())]),
                    None => ("", vec![]),
                };
                args.push(Arg::I64(limit.clamp(1, 1000) as i64));
                let rows = Self::query(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox{cond} ORDER BY id DESC LIMIT ?"), args)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::outbox_row).collect()
            }

            async fn new_files_of_scan(&self, scan_id: i64, limit: u32) -> Result<(Vec<NewFile>, i64)> {
                use sqlx::Row;
                // First seen by this run: last written by it, and first seen after it started
                // (a retried run restarts at its new start, so earlier attempts do not count).
                let cond = "d.last_scan_id = ? AND d.first_seen >= (SELECT r.started_at FROM scan_runs r WHERE r.id = ?)";
                let total = self
                    .count(&format!("SELECT COUNT(*) FROM discoveries d WHERE {cond}"), vec![Arg::I64(scan_id), Arg::I64(scan_id)])
                    .await?;
                let rows = Self::query(
                    &format!(
                        "SELECT d.id, d.storage_type, d.container, d.path, d.format, d.size, d.column_count \
                         FROM discoveries d WHERE {cond} ORDER BY d.container, d.path LIMIT ?"
                    ),
                    vec![Arg::I64(scan_id), Arg::I64(scan_id), Arg::I64(limit.clamp(1, 10_000) as i64)],
                )
                .fetch_all(&self.pool)
                .await?;
                let files = rows
                    .iter()
                    .map(|r| {
                        Ok(NewFile {
                            id: r.try_get("id")?,
                            storage_type: r.try_get("storage_type")?,
                            container: r.try_get("container")?,
                            path: r.try_get("path")?,
                            format: r.try_get("format")?,
                            size: r.try_get("size")?,
                            column_count: r.try_get("column_count")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((files, total))
            }
        }
    };
}

impl_outbox_store!(sqlx::Sqlite);
impl_outbox_store!(sqlx::Postgres);
impl_outbox_store!(sqlx::MySql);
