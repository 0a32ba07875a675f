use std::sync::{Arc, Mutex};

use chrono::Utc;
use torro_catalog::CatalogStore;
use torro_model::{NewScanRun, ScanCounts, ScanRun};

use crate::connections::Connections;
use crate::events::Events;
use crate::jobs::LocalJobs;
use crate::scan::ScanControl;
use crate::secrets::SecretBox;
use crate::{EngineError, TorroConfig};

/// Receives a running scan's counters, for progress bars and logs.
pub trait ScanProgress: Send + Sync {
    fn update(&self, counts: &ScanCounts);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl ScanProgress for NoProgress {
    fn update(&self, _: &ScanCounts) {}
}

/// Cheap to clone; clones share the store, the config and the "one scan at a time" guard.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn CatalogStore>,
    pub(crate) config: TorroConfig,
    running: Mutex<Option<i64>>,
    connections: Connections,
    /// Live events for the API's event stream.
    pub(crate) events: Events,
    /// Scan jobs this process runs, and a wake-up for its idle workers.
    pub(crate) local: LocalJobs,
}

impl Engine {
    /// An engine without a secret key: managed connections without secrets work, storing
    /// or reading secrets fails with a message naming `TORRO_SECRET_KEY`.
    pub fn new(store: Arc<dyn CatalogStore>, config: TorroConfig) -> Self {
        Self::build(store, config, None)
    }

    /// An engine that encrypts connection secrets with `secrets` (see [`crate::secrets`]).
    pub fn with_secrets(store: Arc<dyn CatalogStore>, config: TorroConfig, secrets: SecretBox) -> Self {
        Self::build(store, config, Some(secrets))
    }

    fn build(store: Arc<dyn CatalogStore>, config: TorroConfig, secrets: Option<SecretBox>) -> Self {
        Engine {
            inner: Arc::new(Inner {
                connections: Connections::new(store.clone(), secrets),
                store,
                config,
                running: Mutex::new(None),
                events: Events::default(),
                local: LocalJobs::default(),
            }),
        }
    }

    /// Managed connections: create, change, test, remove.
    pub fn connections(&self) -> &Connections {
        &self.inner.connections
    }

    pub fn store(&self) -> &Arc<dyn CatalogStore> {
        &self.inner.store
    }

    pub fn config(&self) -> &TorroConfig {
        &self.inner.config
    }

    /// Live scan events of this process (the API streams them at `GET /api/events`).
    pub fn events(&self) -> &Events {
        &self.inner.events
    }

    /// The id of the scan this process is running, if any.
    pub fn running_scan(&self) -> Option<i64> {
        *self.inner.running.lock().expect("scan guard poisoned")
    }

    /// Queues a scan of every configured source and returns its run record at once
    /// (status `queued`); a worker runs it. Follow it with `store().get_scan_run(id)`.
    /// NoSources when the config has none.
    pub async fn trigger_scan(&self, trigger: &str) -> Result<ScanRun, EngineError> {
        Ok(self.enqueue_sources_scan(trigger, None, Utc::now()).await?.run)
    }

    /// Scans every configured source in this process and returns the finished run.
    pub async fn run_scan(&self, trigger: &str, progress: &dyn ScanProgress) -> Result<ScanRun, EngineError> {
        let run = self.begin(trigger).await?;
        self.execute(run.id, progress).await
    }

    /// Queues a scan of managed connection `id` only, like [`Engine::trigger_scan`].
    /// NotFound when there is no such connection; Conflict when it is disabled.
    pub async fn trigger_connection_scan(&self, id: i64) -> Result<ScanRun, EngineError> {
        Ok(self.enqueue_connection_scan(id, "api", None, Utc::now()).await?.run)
    }

    /// The connection-scan entry point: scans managed connection `id` into scan run
    /// `scan_id` (already created), whatever kind of source the connection is. Workers
    /// call this for every connection scan job.
    pub async fn run_connection_scan(
        &self,
        id: i64,
        scan_id: i64,
        control: &ScanControl,
    ) -> Result<ScanRun, EngineError> {
        let connections = self.connections();
        let connection = connections.get(id).await?;
        if connection.status != "active" {
            return Err(torro_catalog::CatalogError::Conflict(format!(
                "connection {} is {}; set its status to active to scan it",
                connection.name, connection.status
            ))
            .into());
        }
        if connection.connector_type.is_database() {
            let config = connections.database_config(&connection).await?;
            return crate::database_scan::execute(
                &self.inner.store,
                &connection,
                &config,
                scan_id,
                &NoProgress,
                control,
            )
            .await;
        }
        let config = TorroConfig {
            scan: self.inner.config.scan.clone(),
            sources: vec![connections.source_config(&connection).await?],
            ..TorroConfig::default()
        };
        crate::scan::execute(&self.inner.store, &config, scan_id, &NoProgress, control).await
    }

    /// Claims the one-scan slot and writes the run record.
    async fn begin(&self, trigger: &str) -> Result<ScanRun, EngineError> {
        self.begin_with(trigger, &self.inner.config).await
    }

    /// [`Engine::begin`] for the sources of `config`.
    async fn begin_with(&self, trigger: &str, config: &TorroConfig) -> Result<ScanRun, EngineError> {
        if config.sources.is_empty() {
            return Err(EngineError::NoSources);
        }
        let target = config
            .sources
            .iter()
            .map(|s| format!("{} ({})", s.name, s.describe()))
            .collect::<Vec<_>>()
            .join(", ");
        self.claim(trigger, target).await
    }

    /// Claims the one-scan slot and writes a run record for `target`.
    async fn claim(&self, trigger: &str, target: String) -> Result<ScanRun, EngineError> {
        const CLAIMING: i64 = -1;
        {
            let mut running = self.inner.running.lock().expect("scan guard poisoned");
            if let Some(id) = *running {
                return Err(EngineError::AlreadyRunning(id));
            }
            *running = Some(CLAIMING);
        }
        let new = NewScanRun {
            trigger: trigger.to_string(),
            target,
            started_at: Utc::now(),
        };
        match self.inner.store.create_scan_run(&new).await {
            Ok(run) => {
                *self.inner.running.lock().expect("scan guard poisoned") = Some(run.id);
                Ok(run)
            }
            Err(e) => {
                *self.inner.running.lock().expect("scan guard poisoned") = None;
                Err(e.into())
            }
        }
    }

    /// Runs the claimed scan to its end and releases the slot, whatever happens.
    async fn execute(&self, id: i64, progress: &dyn ScanProgress) -> Result<ScanRun, EngineError> {
        let control = ScanControl {
            events: self.inner.events.clone(),
            ..ScanControl::default()
        };
        let result = crate::scan::execute(&self.inner.store, &self.inner.config, id, progress, &control).await;
        *self.inner.running.lock().expect("scan guard poisoned") = None;
        result
    }
}
