//! Live events of scans (queued, started, progress, finished) and new discoveries, for
//! the API's Server-Sent Events stream. A broadcast channel: slow listeners skip events
//! (they can always read the catalog), and nobody listening costs nothing.

use serde::Serialize;
use tokio::sync::broadcast;
use torro_model::{ScanCounts, ScanStatus};

/// Buffered events per listener before it starts skipping.
const CAPACITY: usize = 1024;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    ScanQueued {
        scan_id: i64,
        job_id: i64,
        trigger: String,
        target: String,
        connection_id: Option<i64>,
    },
    ScanStarted {
        scan_id: i64,
        job_id: i64,
        worker: String,
        attempt: i32,
    },
    ScanProgress {
        scan_id: i64,
        counts: ScanCounts,
    },
    ScanFinished {
        scan_id: i64,
        status: ScanStatus,
        counts: ScanCounts,
        message: Option<String>,
    },
    /// A file seen for the first time.
    Discovered {
        scan_id: i64,
        discovery_id: i64,
        path: String,
        format: Option<String>,
    },
}

impl EngineEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            EngineEvent::ScanQueued { .. } => "scan_queued",
            EngineEvent::ScanStarted { .. } => "scan_started",
            EngineEvent::ScanProgress { .. } => "scan_progress",
            EngineEvent::ScanFinished { .. } => "scan_finished",
            EngineEvent::Discovered { .. } => "discovered",
        }
    }
}

/// The sending side, shared by everything in one process. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<EngineEvent>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Events {
    pub fn send(&self, event: EngineEvent) {
        // An error only means nobody listens right now.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.tx.subscribe()
    }
}
