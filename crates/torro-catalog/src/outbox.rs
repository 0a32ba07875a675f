//! The notification outbox: messages (e-mails, webhooks) that must go out after a
//! catalog change. They are written in the same transaction as the change (a scan run's
//! finish, see [`OutboxStore::finish_scan_run_with_outbox`]), then workers claim them with
//! a lease like jobs, deliver them, and mark them delivered, or retry them with
//! exponential backoff until they are dead. A worker that dies mid-delivery loses its
//! lease and another worker delivers the message; the message id travels with it
//! (`Message-ID`, `X-Torro-Delivery`) so a receiver can drop the rare duplicate of a
//! delivery that succeeded just before the crash.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use torro_model::{ScanCounts, ScanRun, ScanStatus};

use crate::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for `run_at` and a worker (or held by `lease_owner` until `lease_expires_at`).
    Pending,
    Delivered,
    /// Failed `max_attempts` times; `last_error` says why.
    Dead,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Dead => "dead",
        }
    }
}

impl fmt::Display for OutboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutboxStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "pending" => OutboxStatus::Pending,
            "delivered" => OutboxStatus::Delivered,
            "dead" => OutboxStatus::Dead,
            _ => {
                return Err(format!(
                    "unknown outbox status {s:?}; expected pending, delivered or dead"
                ));
            }
        })
    }
}

/// A message to write to the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOutboxMessage {
    /// "email" or "webhook".
    pub channel: String,
    /// What the deliverer needs (recipients, webhook name...); never secrets.
    pub payload: serde_json::Value,
    pub max_attempts: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: String,
    pub payload: serde_json::Value,
    pub status: OutboxStatus,
    /// Claims so far.
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A file first seen by a scan run, for notification digests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewFile {
    pub id: i64,
    pub storage_type: String,
    pub container: String,
    pub path: String,
    pub format: Option<String>,
    pub size: i64,
    pub column_count: Option<i64>,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Finishes scan run `id` like [`crate::CatalogStore::finish_scan_run`] and writes
    /// `messages` to the outbox in the same transaction: the run is finished with its
    /// notifications, or not at all.
    async fn finish_scan_run_with_outbox(
        &self,
        id: i64,
        status: ScanStatus,
        counts: &ScanCounts,
        message: Option<&str>,
        messages: &[NewOutboxMessage],
    ) -> Result<ScanRun>;

    /// Writes one message, due at once.
    async fn enqueue_outbox(&self, message: &NewOutboxMessage, now: DateTime<Utc>) -> Result<OutboxMessage>;

    /// Claims the oldest due message for `owner` with a lease until `now + lease`
    /// (PostgreSQL/MySQL: `FOR UPDATE SKIP LOCKED`). A message whose lease expired is due
    /// again; one whose lease expired after its last attempt is marked dead on the way.
    async fn claim_outbox(&self, owner: &str, lease: Duration, now: DateTime<Utc>) -> Result<Option<OutboxMessage>>;

    /// Marks a held message delivered. False when `owner` no longer held it.
    async fn outbox_delivered(&self, id: i64, owner: &str, now: DateTime<Utc>) -> Result<bool>;

    /// Records a failed delivery: due again after [`crate::jobs::backoff`]`(retry_base,
    /// attempts)` while attempts remain, else dead. `None` when `owner` no longer held it.
    async fn outbox_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_base: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxMessage>>;

    async fn get_outbox(&self, id: i64) -> Result<Option<OutboxMessage>>;
    /// Newest first, optionally of one status.
    async fn list_outbox(&self, status: Option<OutboxStatus>, limit: u32) -> Result<Vec<OutboxMessage>>;

    /// Files first seen by scan run `scan_id` (at most `limit`, by path), and how many there are.
    async fn new_files_of_scan(&self, scan_id: i64, limit: u32) -> Result<(Vec<NewFile>, i64)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in ["pending", "delivered", "dead"] {
            assert_eq!(s.parse::<OutboxStatus>().unwrap().as_str(), s);
        }
        assert!("sent".parse::<OutboxStatus>().unwrap_err().contains("expected pending"));
    }
}
