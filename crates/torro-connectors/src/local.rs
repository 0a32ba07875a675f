//! Local disks. Reads go through `object_store`'s `LocalFileSystem`; listing is our own
//! walk, because `object_store`'s local listing ends at the first entry it cannot walk
//! (a symlink loop, an unreadable folder), losing everything after it.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::{ObjectStore, ObjectStoreExt};
use torro_model::{StorageLocation, StorageType};

use crate::{ListEntry, ObjectInfo, ObjectSource, SourceError, SourceStats};

pub struct LocalSource {
    root: PathBuf,
    store: Arc<dyn ObjectStore>,
    location: StorageLocation,
    stats: SourceStats,
}

impl LocalSource {
    /// A source over the folder `root`, which must exist.
    pub fn new(root: &Path) -> Result<Self, SourceError> {
        let root = root.canonicalize().map_err(|e| {
            SourceError::Config(format!(
                "cannot open folder {}: {e}; check the path exists",
                root.display()
            ))
        })?;
        if !root.is_dir() {
            return Err(SourceError::Config(format!("{} is not a folder", root.display())));
        }
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| SourceError::Config(format!("cannot open folder {}: {e}", root.display())))?;
        let location = StorageLocation {
            storage_type: StorageType::Local,
            account: host_name(),
            container: root.to_string_lossy().into_owned(),
        };
        Ok(LocalSource {
            root,
            store: Arc::new(store),
            location,
            stats: SourceStats::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// This machine's name, for `file://{host}` URNs.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[async_trait]
impl ObjectSource for LocalSource {
    fn location(&self) -> &StorageLocation {
        &self.location
    }

    fn list(&self, prefix: &str) -> BoxStream<'_, Result<ListEntry, SourceError>> {
        self.stats
            .list_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let prefix = prefix.trim_matches('/').to_string();
        let start = if prefix.is_empty() {
            self.root.clone()
        } else {
            self.root.join(&prefix)
        };
        if !start.is_dir() {
            let err = SourceError::NotFound {
                path: start.to_string_lossy().into_owned(),
            };
            return futures::stream::once(async move { Err(err) }).boxed();
        }
        let root = self.root.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        tokio::task::spawn_blocking(move || walk(&root, &start, &tx));
        tokio_stream(rx).boxed()
    }

    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        let location = object_store::path::Path::from_iter(path.split('/'));
        let bytes = self.store.get_range(&location, range).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => SourceError::NotFound { path: path.to_string() },
            other => SourceError::Io {
                path: path.to_string(),
                message: other.to_string(),
            },
        })?;
        self.stats.record_get(bytes.len());
        Ok(bytes)
    }

    async fn test_connection(&self) -> Result<(), SourceError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || std::fs::read_dir(&root).map(|_| ()))
            .await
            .map_err(|e| SourceError::Io {
                path: self.location.container.clone(),
                message: e.to_string(),
            })?
            .map_err(|e| SourceError::Io {
                path: self.location.container.clone(),
                message: e.to_string(),
            })
    }

    fn stats(&self) -> &SourceStats {
        &self.stats
    }
}

fn tokio_stream<T: Send + 'static>(mut rx: tokio::sync::mpsc::Receiver<T>) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Walks `start` (inside `root`), following symlinks, sending one entry per regular file
/// and one `Skipped` per entry it cannot walk. Stops early only when the receiver is gone.
fn walk(root: &Path, start: &Path, tx: &tokio::sync::mpsc::Sender<Result<ListEntry, SourceError>>) {
    let relative = |p: &Path| -> Result<String, String> {
        let rel = p.strip_prefix(root).unwrap_or(p);
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        parts.map(|p| p.join("/")).ok_or_else(|| {
            format!(
                "{}: the name is not valid UTF-8; rename it to be cataloged",
                rel.display()
            )
        })
    };
    for entry in walkdir::WalkDir::new(start).min_depth(1).follow_links(true) {
        let item = match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let path = match relative(entry.path()) {
                    Ok(path) => path,
                    Err(message) => {
                        let path = entry.path().to_string_lossy().into_owned();
                        if tx.blocking_send(Ok(ListEntry::Skipped { path, message })).is_err() {
                            return;
                        }
                        continue;
                    }
                };
                match entry.metadata() {
                    Ok(meta) => ListEntry::Object(ObjectInfo {
                        path,
                        size: meta.len(),
                        last_modified: meta.modified().ok().map(DateTime::<Utc>::from),
                        etag: None,
                    }),
                    Err(e) => ListEntry::Skipped {
                        path,
                        message: e.to_string(),
                    },
                }
            }
            // Folders are walked; sockets, pipes and devices are not data files.
            Ok(_) => continue,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| relative(p).unwrap_or_else(|_| p.to_string_lossy().into_owned()))
                    .unwrap_or_default();
                let message = if let Some(ancestor) = e.loop_ancestor() {
                    format!("symbolic link loop back to {}; not followed", ancestor.display())
                } else if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
                    "broken symbolic link (its target does not exist)".to_string()
                } else {
                    e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string())
                };
                ListEntry::Skipped { path, message }
            }
        };
        if tx.blocking_send(Ok(item)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    async fn list_all(source: &LocalSource, prefix: &str) -> (Vec<ObjectInfo>, Vec<(String, String)>) {
        let entries: Vec<ListEntry> = source.list(prefix).try_collect().await.unwrap();
        let mut objects = Vec::new();
        let mut skipped = Vec::new();
        for e in entries {
            match e {
                ListEntry::Object(o) => objects.push(o),
                ListEntry::Skipped { path, message } => skipped.push((path, message)),
            }
        }
        objects.sort_by(|a, b| a.path.cmp(&b.path));
        (objects, skipped)
    }

    #[tokio::test]
    async fn lists_nested_files_with_relative_paths_and_reads_ranges() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("raw/sales/year=2024")).unwrap();
        std::fs::write(dir.path().join("raw/sales/year=2024/a b.csv"), b"id,name\n1,x\n").unwrap();
        std::fs::write(dir.path().join("top.json"), b"[]").unwrap();
        let source = LocalSource::new(dir.path()).unwrap();

        let (objects, skipped) = list_all(&source, "").await;
        assert!(skipped.is_empty(), "{skipped:?}");
        let paths: Vec<_> = objects.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, ["raw/sales/year=2024/a b.csv", "top.json"]);
        assert_eq!(objects[0].size, 12);
        assert!(objects[0].last_modified.is_some());

        let (under_raw, _) = list_all(&source, "raw").await;
        assert_eq!(under_raw.len(), 1);
        let bytes = source.get_range("raw/sales/year=2024/a b.csv", 3..7).await.unwrap();
        assert_eq!(&bytes[..], b"name");
        assert_eq!(source.stats().bytes(), 4);
        assert!(matches!(
            source.get_range("nope.csv", 0..1).await,
            Err(SourceError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn symlink_loops_and_broken_links_are_skipped_and_the_walk_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("a/b/loop")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("missing.csv"), dir.path().join("a/dangling.csv")).unwrap();
        std::fs::write(dir.path().join("a/b/z.csv"), b"x\n1\n").unwrap();
        std::fs::write(dir.path().join("zz.csv"), b"x\n1\n").unwrap();
        let source = LocalSource::new(dir.path()).unwrap();

        let (objects, skipped) = list_all(&source, "").await;
        let paths: Vec<_> = objects.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, ["a/b/z.csv", "zz.csv"]);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped.iter().any(|(p, m)| p == "a/b/loop" && m.contains("loop")),
            "{skipped:?}"
        );
        assert!(
            skipped
                .iter()
                .any(|(p, m)| p == "a/dangling.csv" && m.contains("broken")),
            "{skipped:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_root_or_prefix_is_a_clear_error() {
        let err = LocalSource::new(Path::new("/definitely/not/here")).err().unwrap();
        assert!(err.to_string().contains("check the path exists"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let source = LocalSource::new(dir.path()).unwrap();
        let first = source.list("nope").next().await.unwrap();
        assert!(matches!(first, Err(SourceError::NotFound { .. })));
        source.test_connection().await.unwrap();
    }
}
