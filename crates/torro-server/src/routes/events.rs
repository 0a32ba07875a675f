//! `GET /api/events`: a Server-Sent Events stream of scan progress and new discoveries.
//!
//! Events of scans run in this process come from the engine's broadcast channel as they
//! happen. Scans run by other worker processes are seen by polling the catalog every
//! couple of seconds (their progress and end; their discoveries show in the catalog).
//! Each scan's state is sent only when it changed, whichever source saw it first.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use torro_catalog::ScanRunFilter;
use torro_engine::EngineEvent;
use torro_model::{ScanCounts, ScanStatus};

use crate::AppState;

/// How often the catalog is polled for scans of other processes.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// Live scan events: `scan_queued`, `scan_started`, `scan_progress`, `scan_finished`,
/// `discovered` (a file seen for the first time). Each `data` is JSON with a `type` field
/// equal to the event name.
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "scans",
    responses((status = 200, description = "text/event-stream of scan events", content_type = "text/event-stream", body = String))
)]
pub async fn events(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures::stream::unfold(Watcher::new(state), |mut w| async move {
        let event = w.next().await;
        Some((Ok(event), w))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

struct Watcher {
    state: AppState,
    rx: tokio::sync::broadcast::Receiver<EngineEvent>,
    /// The last state sent per scan, so polling repeats nothing.
    sent: HashMap<i64, (ScanStatus, ScanCounts)>,
    pending: Vec<EngineEvent>,
    poll: tokio::time::Interval,
}

impl Watcher {
    fn new(state: AppState) -> Self {
        let rx = state.engine().events().subscribe();
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Watcher {
            state,
            rx,
            sent: HashMap::new(),
            pending: Vec::new(),
            poll,
        }
    }

    async fn next(&mut self) -> Event {
        loop {
            if let Some(event) = self.pending.pop() {
                return to_sse(&event);
            }
            tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(event) => {
                        if self.is_news(&event) {
                            return to_sse(&event);
                        }
                    }
                    // A slow reader skips events; the next poll catches up on scan states.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                },
                _ = self.poll.tick() => self.poll_catalog().await,
            }
        }
    }

    /// Records a scan state event; false when it repeats what was already sent.
    fn is_news(&mut self, event: &EngineEvent) -> bool {
        let (id, state) = match event {
            EngineEvent::ScanProgress { scan_id, counts } => (*scan_id, (ScanStatus::Running, counts.clone())),
            EngineEvent::ScanFinished {
                scan_id,
                status,
                counts,
                ..
            } => (*scan_id, (*status, counts.clone())),
            _ => return true,
        };
        self.sent.insert(id, state.clone()) != Some(state)
    }

    /// Scans of other processes: active ones, and those that ended since we last saw them.
    async fn poll_catalog(&mut self) {
        let jobs = self.state.store().jobs();
        let mut seen = Vec::new();
        for status in [ScanStatus::Running, ScanStatus::Queued] {
            let filter = ScanRunFilter {
                status: Some(status),
                size: 100,
                ..ScanRunFilter::default()
            };
            match jobs.list_scan_runs_filtered(&filter).await {
                Ok(page) => seen.extend(page.items),
                Err(e) => tracing::debug!(error = %e, "event stream: cannot poll scan runs"),
            }
        }
        let active: Vec<i64> = seen.iter().map(|r| r.id).collect();
        let ended: Vec<i64> = self
            .sent
            .iter()
            .filter(|(id, (status, _))| status.is_active() && !active.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for id in ended {
            if let Ok(Some(run)) = self.state.store().get_scan_run(id).await {
                seen.push(run);
            }
        }
        for run in seen {
            let event = if run.status.is_active() {
                if run.status == ScanStatus::Queued {
                    continue;
                }
                EngineEvent::ScanProgress {
                    scan_id: run.id,
                    counts: run.counts,
                }
            } else {
                EngineEvent::ScanFinished {
                    scan_id: run.id,
                    status: run.status,
                    counts: run.counts,
                    message: run.message,
                }
            };
            if self.is_news(&event) {
                self.pending.push(event);
            }
        }
    }
}

fn to_sse(event: &EngineEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Event::default().event(event.name()).data(data)
}
