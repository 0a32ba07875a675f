//! One scan run: list every configured source, skip unchanged objects by fingerprint
//! with zero reads, read only the read plan of new or changed ones, write the catalog
//! in batched transactions, and mark vanished objects deleted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use torro_catalog::CatalogStore;
use torro_connectors::{ListEntry, ObjectInfo, ObjectSource};
use torro_model::{
    FileFormat, NewScanError, Observation, ScanCounts, ScanErrorKind, ScanRun, ScanStatus, SourceLabels,
    StorageLocation, StorageType, fingerprint, split_path,
};

use crate::events::{EngineEvent, Events};
use crate::inspect::{Inspection, inspect};
use crate::known::{KnownObjects, fingerprint_key};
use crate::tables::{TableRead, Tables, read_table};
use crate::{EngineError, ScanProgress, SourceConfig, TorroConfig};

/// How often running counters are written to the catalog for people watching.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Unchanged objects are touched in batches this large.
const TOUCH_BATCH: usize = 5000;

/// How a running scan is stopped and where it reports live events.
#[derive(Clone, Default)]
pub struct ScanControl {
    /// Cancelled: the scan stops at the next object and ends as `cancelled`.
    pub cancel: tokio_util::sync::CancellationToken,
    pub events: Events,
    /// Who is told when the scan found something (outbox rows written with its finish).
    pub notify: Option<Arc<crate::notify::NotifyPlan>>,
}

pub(crate) async fn execute(
    store: &Arc<dyn CatalogStore>,
    config: &TorroConfig,
    scan_id: i64,
    progress: &dyn ScanProgress,
    control: &ScanControl,
) -> Result<ScanRun, EngineError> {
    let mut run = RunState::new(store.clone(), scan_id, progress, control);
    let mut failures = Vec::new();
    for source in &config.sources {
        match scan_source(&mut run, config, source).await {
            Ok(()) => {}
            Err(Failure::Cancelled) => {
                run.flush_errors().await?;
                let done = crate::notify::finish_run(
                    store,
                    control.notify.as_deref(),
                    scan_id,
                    ScanStatus::Cancelled,
                    &run.counts,
                    Some("cancelled"),
                )
                .await?;
                run.finished(&done);
                return Ok(done);
            }
            Err(Failure::Source(message)) => {
                let message = format!("source {:?}: {message}", source.name);
                run.error(source.describe(), ScanErrorKind::Read, message.clone());
                failures.push(message);
            }
            Err(Failure::Catalog(e)) => {
                // The catalog itself failed: record what we can and stop.
                let message = format!("the catalog could not be written: {e}");
                let _ = run.flush_errors().await;
                if let Ok(done) = crate::notify::finish_run(
                    store,
                    control.notify.as_deref(),
                    scan_id,
                    ScanStatus::Failed,
                    &run.counts,
                    Some(&message),
                )
                .await
                {
                    run.finished(&done);
                }
                return Err(EngineError::Catalog(e));
            }
        }
    }
    run.flush_errors().await?;
    let (status, message) = if failures.is_empty() {
        (ScanStatus::Succeeded, None)
    } else {
        (ScanStatus::Failed, Some(failures.join("; ")))
    };
    let done = crate::notify::finish_run(
        store,
        control.notify.as_deref(),
        scan_id,
        status,
        &run.counts,
        message.as_deref(),
    )
    .await?;
    run.finished(&done);
    Ok(done)
}

pub(crate) enum Failure {
    /// The source could not be opened or listed; other sources still run.
    Source(String),
    Catalog(torro_catalog::CatalogError),
    /// The scan was cancelled; stop at once.
    Cancelled,
}

impl From<torro_catalog::CatalogError> for Failure {
    fn from(e: torro_catalog::CatalogError) -> Self {
        Failure::Catalog(e)
    }
}

/// Counters and pending writes of the running scan.
struct RunState<'a> {
    store: Arc<dyn CatalogStore>,
    scan_id: i64,
    progress: &'a dyn ScanProgress,
    control: &'a ScanControl,
    counts: ScanCounts,
    errors: Vec<NewScanError>,
    last_progress: Instant,
}

impl<'a> RunState<'a> {
    fn new(
        store: Arc<dyn CatalogStore>,
        scan_id: i64,
        progress: &'a dyn ScanProgress,
        control: &'a ScanControl,
    ) -> Self {
        RunState {
            store,
            scan_id,
            progress,
            control,
            counts: ScanCounts::default(),
            errors: Vec::new(),
            last_progress: Instant::now(),
        }
    }

    fn check_cancelled(&self) -> Result<(), Failure> {
        if self.control.cancel.is_cancelled() {
            Err(Failure::Cancelled)
        } else {
            Ok(())
        }
    }

    fn finished(&self, run: &ScanRun) {
        self.control.events.send(EngineEvent::ScanFinished {
            scan_id: run.id,
            status: run.status,
            counts: run.counts.clone(),
            message: run.message.clone(),
        });
    }

    /// Writes a batch and announces the files seen for the first time.
    async fn apply(&mut self, batch: &[Observation]) -> Result<(), torro_catalog::CatalogError> {
        let results = self.store.apply_observations(self.scan_id, batch).await?;
        for (o, r) in batch.iter().zip(&results) {
            if r.outcome == torro_model::UpsertOutcome::Inserted {
                self.control.events.send(EngineEvent::Discovered {
                    scan_id: self.scan_id,
                    discovery_id: r.id,
                    path: o.path.clone(),
                    format: o.format.map(|f| f.as_str().to_string()),
                });
            }
        }
        Ok(())
    }

    fn error(&mut self, path: String, kind: ScanErrorKind, message: String) {
        tracing::warn!(scan_id = self.scan_id, path, ?kind, message, "scan error");
        self.counts.failed += 1;
        self.errors.push(NewScanError { path, kind, message });
    }

    async fn flush_errors(&mut self) -> Result<(), torro_catalog::CatalogError> {
        if !self.errors.is_empty() {
            self.store.record_scan_errors(self.scan_id, &self.errors).await?;
            self.errors.clear();
        }
        Ok(())
    }

    /// Tells the caller at once, and the catalog at most once a second.
    async fn report(&mut self, force: bool) -> Result<(), torro_catalog::CatalogError> {
        self.progress.update(&self.counts);
        if force || self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.flush_errors().await?;
            self.store.update_scan_progress(self.scan_id, &self.counts).await?;
            self.control.events.send(EngineEvent::ScanProgress {
                scan_id: self.scan_id,
                counts: self.counts.clone(),
            });
            self.last_progress = Instant::now();
        }
        Ok(())
    }
}

/// A listed object that must be read: new, changed, or back after deletion.
struct Work {
    info: ObjectInfo,
    fingerprint: String,
    format: Option<(FileFormat, torro_formats::Compression)>,
    is_new: bool,
}

async fn scan_source(run: &mut RunState<'_>, config: &TorroConfig, cfg: &SourceConfig) -> Result<(), Failure> {
    let targets = cfg.targets().map_err(|e| Failure::Source(e.to_string()))?;
    let labels = cfg.labels();
    let mut first_failure = None;
    for target in targets {
        run.check_cancelled()?;
        let source = match torro_connectors::open(&target.connector) {
            Ok(source) => source,
            Err(e) => {
                first_failure.get_or_insert(e.to_string());
                continue;
            }
        };
        for prefix in &target.prefixes {
            let (requests_before, bytes_before) = (source.stats().requests(), source.stats().bytes());
            let result = scan_prefix(run, config, cfg, source.as_ref(), &labels, prefix).await;
            run.counts.requests += (source.stats().requests() - requests_before) as i64;
            run.counts.bytes_read += (source.stats().bytes() - bytes_before) as i64;
            run.report(true).await?;
            match result {
                Ok(()) => {}
                Err(Failure::Source(m)) => {
                    let place = match (target.connector.storage_type, prefix.is_empty()) {
                        (StorageType::Local, true) => String::new(),
                        (StorageType::Local, false) => format!("folder {prefix:?}: "),
                        (_, _) => format!("{}/{prefix}: ", target.connector.container),
                    };
                    first_failure.get_or_insert(format!("{place}{m}"));
                }
                Err(e) => return Err(e),
            }
        }
    }
    match first_failure {
        Some(m) => Err(Failure::Source(m)),
        None => Ok(()),
    }
}

/// Lists `prefix` and, while the listing streams, reads new and changed objects
/// `concurrency` at a time and writes results in batches. Memory holds the catalog's
/// fingerprints of this prefix, the objects in flight and one batch.
async fn scan_prefix(
    run: &mut RunState<'_>,
    config: &TorroConfig,
    cfg: &SourceConfig,
    source: &dyn ObjectSource,
    labels: &SourceLabels,
    prefix: &str,
) -> Result<(), Failure> {
    let location = source.location().clone();
    let mut known = KnownObjects::load(run.store.as_ref(), &location, prefix, cfg).await?;

    let mut listing_failed = None;
    // Paths the listing could not walk: what we knew under them is not known to be gone.
    let mut skipped_paths = Vec::new();
    let mut unchanged_ids = Vec::new();
    let mut batch: Vec<Observation> = Vec::with_capacity(config.scan.batch_size);
    let mut in_flight = FuturesUnordered::new();
    let mut entries = source.list(prefix);
    let mut listing_done = false;
    let mut tables = Tables::default();

    loop {
        run.check_cancelled()?;
        tokio::select! {
            // Guarded like the others, so `else` still ends the loop when all work is done.
            _ = run.control.cancel.cancelled(), if !listing_done || !in_flight.is_empty() => {
                return Err(Failure::Cancelled);
            }
            Some((work, inspection)) = in_flight.next(), if !in_flight.is_empty() => {
                if let Some(observation) = record(run, &location, labels, work, inspection) {
                    batch.push(observation);
                    if batch.len() >= config.scan.batch_size {
                        run.apply(&batch).await?;
                        batch.clear();
                        run.report(false).await?;
                    }
                }
            }
            entry = entries.next(), if !listing_done && in_flight.len() < config.scan.concurrency => match entry {
                None => listing_done = true,
                Some(Err(e)) => {
                    listing_failed = Some(e.to_string());
                    listing_done = true;
                }
                Some(Ok(ListEntry::Skipped { path, message })) => {
                    skipped_paths.push(path.clone());
                    run.error(path, ScanErrorKind::Read, message);
                }
                Some(Ok(ListEntry::Object(info))) => {
                    if tables.take(&info) {
                        continue;
                    }
                    if !is_in_scope(cfg, &info.path) {
                        continue;
                    }
                    run.counts.listed += 1;
                    let fp = fingerprint(info.size as i64, info.etag.as_deref(), info.last_modified);
                    match known.remove(&info.path) {
                        Some(k) if k.fingerprint == fingerprint_key(&fp) && !k.deleted => {
                            unchanged_ids.push(k.id);
                            run.counts.unchanged += 1;
                            if unchanged_ids.len() >= TOUCH_BATCH {
                                run.store.touch_seen(run.scan_id, &unchanged_ids, Utc::now(), labels).await?;
                                unchanged_ids.clear();
                                run.report(false).await?;
                            }
                        }
                        previous => {
                            let work = Work {
                                format: FileFormat::from_file_name(&info.path),
                                info,
                                fingerprint: fp,
                                is_new: previous.is_none(),
                            };
                            in_flight.push(async move {
                                let inspection = match work.format {
                                    Some((format, compression)) => inspect(source, &work.info, format, compression).await,
                                    None => Inspection::NotRead,
                                };
                                (work, inspection)
                            });
                        }
                    }
                }
            },
            else => break,
        }
    }
    drop(entries);
    for table in tables.found() {
        if !cfg.accepts_extension(table.format.as_str()) {
            continue;
        }
        run.counts.listed += 1;
        match known.remove(&table.root) {
            Some(k) if k.fingerprint == fingerprint_key(&table.fingerprint) && !k.deleted => {
                unchanged_ids.push(k.id);
                run.counts.unchanged += 1;
            }
            previous => {
                let inspection = match read_table(source, &table).await {
                    TableRead::Read(inferred) => Inspection::Inferred(inferred),
                    TableRead::Invalid(message) => Inspection::Invalid {
                        kind: ScanErrorKind::Format,
                        message,
                    },
                    TableRead::Unreachable(message) => Inspection::Unreachable(message),
                };
                let work = Work {
                    info: ObjectInfo {
                        path: table.root,
                        size: 0,
                        last_modified: None,
                        etag: None,
                    },
                    fingerprint: table.fingerprint,
                    format: Some((table.format, torro_formats::Compression::None)),
                    is_new: previous.is_none(),
                };
                batch.extend(record(run, &location, labels, work, inspection));
            }
        }
    }
    if !batch.is_empty() {
        run.apply(&batch).await?;
    }
    if !unchanged_ids.is_empty() {
        run.store
            .touch_seen(run.scan_id, &unchanged_ids, Utc::now(), labels)
            .await?;
    }

    if let Some(message) = listing_failed {
        // An incomplete listing proves nothing about what is gone: delete nothing.
        return Err(Failure::Source(format!(
            "{message} (listing stopped; no files were marked deleted)"
        )));
    }
    let vanished = known
        .vanished(run.store.as_ref(), &location, prefix, &skipped_paths)
        .await?;
    if !vanished.is_empty() {
        run.counts.deleted += run.store.mark_deleted(run.scan_id, &vanished, Utc::now()).await? as i64;
    }
    Ok(())
}

/// Turns one inspected object into the observation to write (or `None` when it could
/// not be read at all), counting it and recording its error.
fn record(
    run: &mut RunState<'_>,
    location: &StorageLocation,
    labels: &SourceLabels,
    work: Work,
    inspection: Inspection,
) -> Option<Observation> {
    let mut observation = Observation {
        location: location.clone(),
        path: work.info.path.clone(),
        size: work.info.size as i64,
        etag: work.info.etag.clone(),
        last_modified: work.info.last_modified,
        fingerprint: work.fingerprint,
        format: work.format.map(|(f, _)| f),
        schema: None,
        row_count: None,
        format_details: serde_json::Value::Null,
        error: None,
        labels: labels.clone(),
        seen_at: Utc::now(),
    };
    match inspection {
        Inspection::Inferred(inferred) => {
            observation.format = Some(inferred.format);
            observation.row_count = inferred.row_count.map(|n| n as i64);
            observation.schema = Some(inferred.schema);
            observation.format_details = inferred.details;
        }
        Inspection::NotRead => {}
        Inspection::Invalid { kind, message } => {
            // The file is there but unreadable as its format: catalog it with the error.
            observation.error = Some(message.clone());
            run.error(work.info.path, kind, message);
            return Some(observation);
        }
        Inspection::Unreachable(message) => {
            // Could not read it at all (vanished, I/O): record the error, leave the
            // catalog as it was, and retry on the next scan.
            run.error(work.info.path, ScanErrorKind::Read, message);
            return None;
        }
    }
    if work.is_new {
        run.counts.new += 1;
    } else {
        run.counts.changed += 1;
    }
    Some(observation)
}

/// True when the source catalogs `path`: not hidden, and passing its extension filter.
pub(crate) fn is_in_scope(cfg: &SourceConfig, path: &str) -> bool {
    let (_, _, extension) = split_path(path);
    !is_hidden(path) && cfg.accepts_extension(&extension)
}

/// Dot-files and folders (`.git`, `.DS_Store`) and `_`-prefixed markers (`_SUCCESS`,
/// `_temporary/`) written by Spark and Hadoop are not datasets.
pub(crate) fn is_hidden(path: &str) -> bool {
    path.split('/')
        .any(|part| part.starts_with('.') || part.starts_with('_'))
}

pub(crate) fn is_same_or_under(path: &str, folder: &str) -> bool {
    path == folder || (path.starts_with(folder) && path[folder.len()..].starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_marker_files_are_skipped() {
        assert!(is_hidden(".git/config"));
        assert!(is_hidden("sales/_SUCCESS"));
        assert!(is_hidden("a/_temporary/0/part.csv"));
        assert!(!is_hidden("sales/year=2024/part-0.parquet"));
    }

    #[test]
    fn under_means_a_path_boundary() {
        assert!(is_same_or_under("a/b/c.csv", "a/b"));
        assert!(is_same_or_under("a/b", "a/b"));
        assert!(!is_same_or_under("a/bc/d.csv", "a/b"));
    }
}
