//! Bodies of the `/api/scans` endpoints and of `POST /api/discovery/trigger`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use torro_model::{ScanCounts, ScanError, ScanRun};
use utoipa::ToSchema;

use super::{Pagination, enum_text};

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanCountsBody {
    /// Objects listed.
    pub listed: i64,
    pub new: i64,
    pub changed: i64,
    pub unchanged: i64,
    pub deleted: i64,
    pub failed: i64,
    pub bytes_read: i64,
    pub requests: i64,
}

impl From<&ScanCounts> for ScanCountsBody {
    fn from(c: &ScanCounts) -> Self {
        ScanCountsBody {
            listed: c.listed,
            new: c.new,
            changed: c.changed,
            unchanged: c.unchanged,
            deleted: c.deleted,
            failed: c.failed,
            bytes_read: c.bytes_read,
            requests: c.requests,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanLinks {
    #[serde(rename = "self")]
    #[schema(example = "/api/scans/7")]
    pub self_: String,
    #[schema(example = "/api/scans/7/errors")]
    pub errors: String,
}

impl ScanLinks {
    pub fn for_scan(id: i64) -> Self {
        ScanLinks {
            self_: format!("/api/scans/{id}"),
            errors: format!("/api/scans/{id}/errors"),
        }
    }
}

/// A scan run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanRunBody {
    pub id: i64,
    /// manual, api, cli, schedule...
    pub trigger: String,
    /// The sources and roots the run covers.
    pub target: String,
    /// queued, running, succeeded, failed or cancelled.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub counts: ScanCountsBody,
    /// Why the run failed as a whole, when it did.
    pub message: Option<String>,
    /// Per-file errors recorded.
    pub error_count: i64,
    pub links: ScanLinks,
}

impl From<&ScanRun> for ScanRunBody {
    fn from(r: &ScanRun) -> Self {
        ScanRunBody {
            id: r.id,
            trigger: r.trigger.clone(),
            target: r.target.clone(),
            status: r.status.as_str().to_string(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            counts: ScanCountsBody::from(&r.counts),
            message: r.message.clone(),
            error_count: r.error_count,
            links: ScanLinks::for_scan(r.id),
        }
    }
}

/// `GET /api/scans`: newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanRunList {
    pub scans: Vec<ScanRunBody>,
    pub pagination: Pagination,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanErrorBody {
    pub id: i64,
    pub scan_id: i64,
    pub path: String,
    /// read, format, empty or catalog.
    pub kind: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

impl From<&ScanError> for ScanErrorBody {
    fn from(e: &ScanError) -> Self {
        ScanErrorBody {
            id: e.id,
            scan_id: e.scan_id,
            path: e.path.clone(),
            kind: enum_text(&e.kind),
            message: e.message.clone(),
            at: e.at,
        }
    }
}

/// `GET /api/scans/{id}`: the run and the first page of its errors.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanRunDetail {
    #[serde(flatten)]
    pub run: ScanRunBody,
    /// The queue job that runs it (absent for scans run by `torro scan`).
    pub job: Option<JobBody>,
    pub errors: Vec<ScanErrorBody>,
    pub errors_pagination: Pagination,
}

/// `GET /api/scans/{id}/errors`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanErrorList {
    pub scan_id: i64,
    pub errors: Vec<ScanErrorBody>,
    pub pagination: Pagination,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SelfLink {
    #[serde(rename = "self")]
    #[schema(example = "/api/scans/7")]
    pub self_: String,
}

/// The queue job behind a scan run.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobBody {
    pub id: i64,
    /// queued, running, succeeded, dead or cancelled.
    pub status: String,
    /// Claims so far (a take-over after a worker died counts).
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not run before this time (retries wait with exponential backoff).
    pub run_at: DateTime<Utc>,
    /// The worker holding it (`host-pid/slot`) while it runs.
    pub worker: Option<String>,
    pub cancel_requested: bool,
    pub last_error: Option<String>,
}

impl From<&torro_catalog::Job> for JobBody {
    fn from(j: &torro_catalog::Job) -> Self {
        JobBody {
            id: j.id,
            status: j.status.as_str().to_string(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            worker: j.lease_owner.clone(),
            cancel_requested: j.cancel_requested,
            last_error: j.last_error.clone(),
        }
    }
}

/// `POST /api/discovery/trigger` and `POST /api/connections/{id}/scan` (202).
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerResponse {
    pub scan_id: i64,
    /// "queued": a worker picks it up; follow links.self.
    #[schema(example = "queued")]
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub links: SelfLink,
}

impl From<&ScanRun> for TriggerResponse {
    fn from(r: &ScanRun) -> Self {
        TriggerResponse {
            scan_id: r.id,
            status: r.status.as_str().to_string(),
            started_at: r.started_at,
            links: SelfLink {
                self_: format!("/api/scans/{}", r.id),
            },
        }
    }
}
