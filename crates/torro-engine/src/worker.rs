//! The worker: `concurrency` slots, each claiming a due job from the catalog's queue,
//! renewing its lease while it runs, and ending it (done, retry later, dead, cancelled).
//! Any number of worker processes may share one PostgreSQL or MySQL catalog.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use torro_catalog::{Job, JobStatus, Lease};
use torro_model::ScanStatus;

use crate::jobs::is_transient;
use crate::scan::ScanControl;
use crate::{Engine, EngineError};

#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Names this worker in leases and logs (`host-pid` by default); slots add `/N`.
    pub name: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// A job is taken over by another worker this long after our last heartbeat.
    pub lease: Duration,
    /// How often an idle slot looks for work (a job queued in this process wakes it at once).
    pub poll: Duration,
    /// On shutdown, running jobs get this long to finish; then they are stopped and queued again.
    pub shutdown_grace: Duration,
}

impl WorkerOptions {
    pub fn new(concurrency: usize) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
        WorkerOptions {
            name: format!("{host}-{}", std::process::id()),
            concurrency: concurrency.max(1),
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

pub struct Worker {
    engine: Engine,
    options: WorkerOptions,
}

impl Worker {
    pub fn new(engine: Engine, options: WorkerOptions) -> Self {
        Worker { engine, options }
    }

    /// Runs until `shutdown` is cancelled and the running jobs have ended. With
    /// notifications configured, a sibling task delivers the outbox.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut slots = tokio::task::JoinSet::new();
        if self.engine.config().notifications.enabled() {
            slots.spawn(crate::notify::run_outbox(
                self.engine.clone(),
                format!("{}/outbox", self.options.name),
                self.options.poll,
                shutdown.clone(),
            ));
        }
        for slot in 0..self.options.concurrency {
            let engine = self.engine.clone();
            let options = self.options.clone();
            let owner = format!("{}/{slot}", options.name);
            let shutdown = shutdown.clone();
            slots.spawn(async move { slot_loop(engine, options, owner, shutdown).await });
        }
        while slots.join_next().await.is_some() {}
    }

    /// Starts the worker on the current runtime; cancel `shutdown` and await the handle to stop it.
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }
}

async fn slot_loop(engine: Engine, options: WorkerOptions, owner: String, shutdown: CancellationToken) {
    let kinds = engine.job_kinds();
    while !shutdown.is_cancelled() {
        match engine
            .store()
            .jobs()
            .claim(&owner, &kinds, options.lease, Utc::now())
            .await
        {
            Ok(Some(job)) => run_job(&engine, &options, &owner, job, &shutdown).await,
            Ok(None) => {
                let wake = engine.inner.local.wake.notified();
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = wake => {}
                    _ = tokio::time::sleep(options.poll) => {}
                }
            }
            Err(e) => {
                tracing::warn!(worker = owner, error = %e, "cannot claim a job; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(options.poll) => {}
                }
            }
        }
    }
}

/// Why a running job's token was cancelled.
#[derive(Default)]
struct Stop {
    /// Another worker took the job over: leave it alone.
    lost: AtomicBool,
    /// This worker is shutting down: queue the job again.
    shutdown: AtomicBool,
}

async fn run_job(engine: &Engine, options: &WorkerOptions, owner: &str, job: Job, shutdown: &CancellationToken) {
    let token = CancellationToken::new();
    let stop = Arc::new(Stop::default());
    let heartbeat = tokio::spawn(keep_lease(
        engine.clone(),
        options.clone(),
        owner.to_string(),
        job.id,
        token.clone(),
        stop.clone(),
        shutdown.clone(),
    ));
    let control = ScanControl {
        cancel: token.clone(),
        events: engine.events().clone(),
        notify: None,
    };
    if let Some(scan_id) = job.scan_id {
        engine.inner.local.started(scan_id, token.clone());
    }
    tracing::info!(
        worker = owner,
        job_id = job.id,
        scan_id = job.scan_id,
        attempt = job.attempts,
        "job started"
    );
    let result = engine.run_scan_job(&job, owner, &control).await;
    heartbeat.abort();
    if let Some(scan_id) = job.scan_id {
        engine.inner.local.ended(scan_id);
    }
    if stop.lost.load(Ordering::SeqCst) {
        tracing::warn!(
            worker = owner,
            job_id = job.id,
            "lost the job's lease to another worker; stopped"
        );
        return;
    }
    if let Err(e) = end_job(engine, owner, &job, result, stop.shutdown.load(Ordering::SeqCst)).await {
        tracing::error!(worker = owner, job_id = job.id, error = %e, "cannot record the job's end; its lease will expire and it will run again");
    }
}

async fn end_job(
    engine: &Engine,
    owner: &str,
    job: &Job,
    result: Result<torro_model::ScanRun, EngineError>,
    shutting_down: bool,
) -> Result<(), EngineError> {
    let jobs = engine.store().jobs();
    let now = Utc::now();
    match result {
        Ok(run) if run.status == ScanStatus::Cancelled && shutting_down => {
            let message = "the worker shut down; queued again";
            jobs.fail(job.id, owner, message, true, Duration::ZERO, now).await?;
            jobs.requeue_scan_run(run.id, message).await?;
        }
        Ok(run) if run.status == ScanStatus::Cancelled => {
            jobs.finish_cancelled(job.id, owner, now).await?;
        }
        Ok(run) => {
            jobs.complete(job.id, owner, now).await?;
            tracing::info!(worker = owner, job_id = job.id, scan_id = run.id, status = %run.status, "job done");
        }
        Err(e) => {
            let message = e.to_string();
            let retry = is_transient(&e);
            let Some(after) = jobs
                .fail(job.id, owner, &message, retry, engine.retry_base(), now)
                .await?
            else {
                return Ok(());
            };
            let Some(scan_id) = job.scan_id else { return Ok(()) };
            if after.status == JobStatus::Dead {
                let counts = match engine.store().get_scan_run(scan_id).await? {
                    Some(run) => run.counts,
                    None => Default::default(),
                };
                // A scan that failed for good is news too: its notifications go with its end.
                let connection_id = serde_json::from_value::<crate::jobs::ScanJob>(job.payload.clone())
                    .ok()
                    .and_then(|p| p.connection_id);
                let plan = engine.notify_plan(connection_id).await;
                let run = crate::notify::finish_run(
                    engine.store(),
                    plan.as_ref(),
                    scan_id,
                    ScanStatus::Failed,
                    &counts,
                    Some(&message),
                )
                .await?;
                engine.events().send(crate::EngineEvent::ScanFinished {
                    scan_id,
                    status: run.status,
                    counts: run.counts,
                    message: run.message,
                });
                tracing::error!(
                    worker = owner,
                    job_id = job.id,
                    scan_id,
                    error = message,
                    "scan job failed"
                );
            } else {
                let note = format!(
                    "attempt {} failed: {message}; retrying at {}",
                    after.attempts,
                    after.run_at.to_rfc3339()
                );
                jobs.requeue_scan_run(scan_id, &note).await?;
                tracing::warn!(worker = owner, job_id = job.id, scan_id, "{note}");
            }
        }
    }
    Ok(())
}

/// Renews the lease every third of its length; cancels the job's token when a person
/// cancelled it, when another worker took it over, or after the shutdown grace period.
async fn keep_lease(
    engine: Engine,
    options: WorkerOptions,
    owner: String,
    job_id: i64,
    token: CancellationToken,
    stop: Arc<Stop>,
    shutdown: CancellationToken,
) {
    let every = options.lease / 3;
    let grace = async {
        shutdown.cancelled().await;
        tokio::time::sleep(options.shutdown_grace).await;
    };
    tokio::pin!(grace);
    let mut grace_over = false;
    loop {
        tokio::select! {
            // Keeps renewing the lease afterwards, until the job has been queued again.
            _ = &mut grace, if !grace_over => {
                grace_over = true;
                stop.shutdown.store(true, Ordering::SeqCst);
                token.cancel();
            }
            _ = tokio::time::sleep(every) => {
                match engine.store().jobs().heartbeat(job_id, &owner, options.lease, Utc::now()).await {
                    Ok(Lease::Held { cancel_requested: true }) => token.cancel(),
                    Ok(Lease::Held { .. }) => {}
                    Ok(Lease::Lost) => {
                        stop.lost.store(true, Ordering::SeqCst);
                        token.cancel();
                        return;
                    }
                    Err(e) => tracing::warn!(worker = owner, job_id, error = %e, "heartbeat failed; retrying"),
                }
            }
        }
    }
}
