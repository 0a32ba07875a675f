//! Scan jobs: what the API, the CLI and the scheduler enqueue, and what a worker does
//! with one it claimed. The queue itself is the catalog's [`torro_catalog::JobStore`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use torro_catalog::{CatalogError, EnqueuedScan, Job, NewJob};
use torro_model::{NewScanRun, ScanRun, ScanStatus};

use crate::events::EngineEvent;
use crate::scan::ScanControl;
use crate::{Engine, EngineError, NoProgress};

/// A scan of one managed connection; any worker runs it (settings are in the catalog).
pub const CONNECTION_SCAN: &str = "scan";
/// A scan of the config file's sources; only workers started with that config run it.
pub const SOURCES_SCAN: &str = "scan_sources";

/// The payload of both scan job kinds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanJob {
    /// `None`: the config file's sources.
    #[serde(default)]
    pub connection_id: Option<i64>,
    /// The cron tick that queued it, for scheduled scans.
    #[serde(default)]
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// The scan jobs this process runs (so a cancel here stops them at once, without waiting
/// for the next heartbeat), and a wake-up for idle workers when a job is queued here.
#[derive(Default)]
pub(crate) struct LocalJobs {
    running: Mutex<HashMap<i64, CancellationToken>>,
    pub(crate) wake: Notify,
}

impl LocalJobs {
    pub(crate) fn started(&self, scan_id: i64, token: CancellationToken) {
        self.running.lock().expect("job map poisoned").insert(scan_id, token);
    }

    pub(crate) fn ended(&self, scan_id: i64) {
        self.running.lock().expect("job map poisoned").remove(&scan_id);
    }

    fn cancel(&self, scan_id: i64) {
        if let Some(token) = self.running.lock().expect("job map poisoned").get(&scan_id) {
            token.cancel();
        }
    }
}

/// True for failures worth another attempt: the catalog database failed or was unreachable.
pub fn is_transient(e: &EngineError) -> bool {
    matches!(e, EngineError::Catalog(CatalogError::Database(_)))
}

impl Engine {
    /// Queues a scan of managed connection `id`. `dedupe_key` makes the enqueue idempotent
    /// (the scheduler's ticks); `run_at` delays it. NotFound / Conflict (disabled) up front.
    pub async fn enqueue_connection_scan(
        &self,
        id: i64,
        trigger: &str,
        scheduled_for: Option<DateTime<Utc>>,
        run_at: DateTime<Utc>,
    ) -> Result<EnqueuedScan, EngineError> {
        let connection = self.connections().get(id).await?;
        if connection.status != "active" {
            return Err(CatalogError::Conflict(format!(
                "connection {} is {}; set its status to active to scan it",
                connection.name, connection.status
            ))
            .into());
        }
        let settings = &self.config().jobs;
        let job = NewJob {
            kind: CONNECTION_SCAN.into(),
            payload: serde_json::to_value(ScanJob {
                connection_id: Some(id),
                scheduled_for,
            })
            .map_err(|e| EngineError::Config(e.to_string()))?,
            run_at,
            max_attempts: settings.max_attempts,
            dedupe_key: scheduled_for.map(|t| format!("schedule:connection:{id}:{}", t.timestamp())),
            concurrency_key: (!settings.parallel_scans_per_connection).then(|| format!("connection:{id}")),
        };
        let target = format!("{} ({})", connection.name, connection.connector_type.as_str());
        self.enqueue_scan(job, trigger, target, Some(id)).await
    }

    /// Queues a scan of the config file's sources. NoSources when there are none.
    pub async fn enqueue_sources_scan(
        &self,
        trigger: &str,
        scheduled_for: Option<DateTime<Utc>>,
        run_at: DateTime<Utc>,
    ) -> Result<EnqueuedScan, EngineError> {
        let config = self.config();
        if config.sources.is_empty() {
            return Err(EngineError::NoSources);
        }
        let target = config
            .sources
            .iter()
            .map(|s| format!("{} ({})", s.name, s.describe()))
            .collect::<Vec<_>>()
            .join(", ");
        let job = NewJob {
            kind: SOURCES_SCAN.into(),
            payload: serde_json::to_value(ScanJob {
                connection_id: None,
                scheduled_for,
            })
            .map_err(|e| EngineError::Config(e.to_string()))?,
            run_at,
            max_attempts: config.jobs.max_attempts,
            dedupe_key: scheduled_for.map(|t| format!("schedule:sources:{}", t.timestamp())),
            concurrency_key: (!config.jobs.parallel_scans_per_connection).then(|| "sources".to_string()),
        };
        self.enqueue_scan(job, trigger, target, None).await
    }

    async fn enqueue_scan(
        &self,
        job: NewJob,
        trigger: &str,
        target: String,
        connection_id: Option<i64>,
    ) -> Result<EnqueuedScan, EngineError> {
        let now = Utc::now();
        let run = NewScanRun {
            trigger: trigger.to_string(),
            target: target.clone(),
            started_at: now,
        };
        let queued = self.store().jobs().enqueue_scan(&job, &run, connection_id, now).await?;
        if queued.created {
            self.inner.local.wake.notify_waiters();
            self.events().send(EngineEvent::ScanQueued {
                scan_id: queued.run.id,
                job_id: queued.job.id,
                trigger: trigger.to_string(),
                target,
                connection_id,
            });
        }
        Ok(queued)
    }

    /// Cancels scan run `scan_id`: a queued one at once, a running one at its next object
    /// (here at once; in another worker process within one heartbeat). Returns the run.
    /// NotFound when there is no such run; Conflict when it was not started by a job.
    pub async fn cancel_scan(&self, scan_id: i64) -> Result<ScanRun, EngineError> {
        let store = self.store();
        let not_found = || CatalogError::NotFound(format!("scan run {scan_id}"));
        store.get_scan_run(scan_id).await?.ok_or_else(not_found)?;
        let job = store.jobs().job_for_scan(scan_id).await?.ok_or_else(|| {
            CatalogError::Conflict(format!(
                "scan run {scan_id} was started by the command line, not queued; stop that process instead"
            ))
        })?;
        let job = store.jobs().cancel(job.id, Utc::now()).await?;
        self.inner.local.cancel(scan_id);
        let run = store.get_scan_run(scan_id).await?.ok_or_else(not_found)?;
        if job.status == torro_catalog::JobStatus::Cancelled && run.status == ScanStatus::Cancelled {
            self.events().send(EngineEvent::ScanFinished {
                scan_id,
                status: run.status,
                counts: run.counts.clone(),
                message: run.message.clone(),
            });
        }
        Ok(run)
    }

    /// The job kinds this process can run: connection scans always; the config file's
    /// sources only when it has some.
    pub fn job_kinds(&self) -> Vec<&'static str> {
        let mut kinds = vec![CONNECTION_SCAN];
        if !self.config().sources.is_empty() {
            kinds.push(SOURCES_SCAN);
        }
        kinds
    }

    /// Runs a claimed scan job: marks its run started and scans the connection (through
    /// [`Engine::run_connection_scan`]) or the config's sources.
    pub async fn run_scan_job(&self, job: &Job, worker: &str, control: &ScanControl) -> Result<ScanRun, EngineError> {
        let payload: ScanJob = serde_json::from_value(job.payload.clone())
            .map_err(|e| EngineError::Config(format!("job {} has an unreadable payload: {e}", job.id)))?;
        let scan_id = job
            .scan_id
            .ok_or_else(|| EngineError::Config(format!("job {} names no scan run", job.id)))?;
        self.store().jobs().start_scan_run(scan_id, Utc::now()).await?;
        self.events().send(EngineEvent::ScanStarted {
            scan_id,
            job_id: job.id,
            worker: worker.to_string(),
            attempt: job.attempts,
        });
        let control = ScanControl {
            notify: self.notify_plan(payload.connection_id).await.map(std::sync::Arc::new),
            ..control.clone()
        };
        match payload.connection_id {
            Some(id) => self.run_connection_scan(id, scan_id, &control).await,
            None if self.config().sources.is_empty() => Err(EngineError::NoSources),
            None => crate::scan::execute(self.store(), self.config(), scan_id, &NoProgress, &control).await,
        }
    }

    /// The retry delay base of scan jobs.
    pub(crate) fn retry_base(&self) -> Duration {
        Duration::from_secs(self.config().jobs.retry_base_secs)
    }
}
