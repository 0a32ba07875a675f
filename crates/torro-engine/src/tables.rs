//! Delta Lake and Iceberg tables: a folder whose metadata (`_delta_log/`, or
//! `metadata/*.metadata.json`) describes one dataset. The listing hands their metadata
//! files here instead of cataloging them one by one; after the listing each table is
//! read from its newest metadata and cataloged as one entry at the table's folder.
//! Its data files stay visible as files of their own.

use std::collections::BTreeMap;

use torro_connectors::{ObjectInfo, ObjectSource, SourceError};
use torro_formats::{FormatError, Inferred, table_from_log, table_from_metadata};
use torro_model::{FileFormat, fingerprint};

/// Metadata files larger than this are not read (a Delta checkpoint or Iceberg metadata
/// file of this size would be a very unusual table).
const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Default)]
pub(crate) struct Tables {
    delta: BTreeMap<String, DeltaLog>,
    iceberg: BTreeMap<String, Vec<(u64, ObjectInfo)>>,
}

#[derive(Default)]
struct DeltaLog {
    commits: Vec<(u64, ObjectInfo)>,
    checkpoints: Vec<(u64, ObjectInfo)>,
}

/// A table found in the listing, ready to be compared and read.
pub(crate) struct FoundTable {
    /// The table's folder: the catalog path of its entry.
    pub root: String,
    pub format: FileFormat,
    /// Changes whenever the table's newest metadata file does.
    pub fingerprint: String,
    metadata: TableMetadata,
}

enum TableMetadata {
    Delta {
        commits: Vec<(u64, ObjectInfo)>,
        checkpoint: Option<ObjectInfo>,
    },
    Iceberg(ObjectInfo),
}

impl Tables {
    /// Takes `info` when it is table metadata (true), so it is not cataloged as a file.
    pub fn take(&mut self, info: &ObjectInfo) -> bool {
        if let Some((root, name)) = split_at_folder(&info.path, "_delta_log") {
            let log = self.delta.entry(root.to_string()).or_default();
            if let Some(v) = name.strip_suffix(".json").and_then(|v| v.parse().ok()) {
                log.commits.push((v, info.clone()));
            } else if let Some(v) = name.strip_suffix(".checkpoint.parquet").and_then(|v| v.parse().ok()) {
                log.checkpoints.push((v, info.clone()));
            }
            // .crc files, _last_checkpoint and multi-part checkpoints are not needed.
            return true;
        }
        if let Some((root, name)) = split_at_folder(&info.path, "metadata") {
            if let Some(version) = iceberg_version(name) {
                self.iceberg
                    .entry(root.to_string())
                    .or_default()
                    .push((version, info.clone()));
                return true;
            }
            // Manifest lists and manifests (Avro) and the version hint belong to the table too.
            return name.starts_with("snap-") && name.ends_with(".avro")
                || name.ends_with(".avro") && name.contains("-m")
                || name == "version-hint.text";
        }
        false
    }

    /// Every table seen, each with the metadata files that describe its current state.
    pub fn found(self) -> Vec<FoundTable> {
        let mut out = Vec::new();
        for (root, mut log) in self.delta {
            log.commits.sort_by_key(|(v, _)| *v);
            log.checkpoints.sort_by_key(|(v, _)| *v);
            let checkpoint = log.checkpoints.pop();
            let since = checkpoint.as_ref().map(|(v, _)| *v);
            let commits: Vec<_> = log
                .commits
                .into_iter()
                .filter(|(v, _)| since.is_none_or(|c| *v > c))
                .collect();
            let newest = commits.last().or(checkpoint.as_ref());
            let Some((version, newest)) = newest else { continue };
            out.push(FoundTable {
                fingerprint: format!("delta:{version}:{}", object_fingerprint(newest)),
                root,
                format: FileFormat::Delta,
                metadata: TableMetadata::Delta {
                    commits,
                    checkpoint: checkpoint.map(|(_, o)| o),
                },
            });
        }
        for (root, mut versions) in self.iceberg {
            versions.sort_by_key(|(v, _)| *v);
            let Some((version, newest)) = versions.pop() else {
                continue;
            };
            out.push(FoundTable {
                fingerprint: format!("iceberg:{version}:{}", object_fingerprint(&newest)),
                root,
                format: FileFormat::Iceberg,
                metadata: TableMetadata::Iceberg(newest),
            });
        }
        out
    }
}

fn object_fingerprint(o: &ObjectInfo) -> String {
    fingerprint(o.size as i64, o.etag.as_deref(), o.last_modified)
}

/// `a/b/<folder>/name` → (`a/b`, `name`) when `name` sits directly in `folder`.
fn split_at_folder<'a>(path: &'a str, folder: &str) -> Option<(&'a str, &'a str)> {
    let (dir, name) = path.rsplit_once('/')?;
    let root = match dir.rsplit_once('/') {
        Some((root, last)) if last == folder => root,
        None if dir == folder => "",
        _ => return None,
    };
    Some((root, name))
}

/// `v3.metadata.json` → 3, `00007-<uuid>.metadata.json` → 7.
fn iceberg_version(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".metadata.json")?;
    let digits = stem.strip_prefix('v').unwrap_or(stem);
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse().ok()
}

pub(crate) enum TableRead {
    Read(Inferred),
    Invalid(String),
    Unreachable(String),
}

/// Reads a table's current metadata whole (metadata files are small) and describes it.
pub(crate) async fn read_table(source: &dyn ObjectSource, table: &FoundTable) -> TableRead {
    match read(source, table).await {
        Ok(Ok(inferred)) => TableRead::Read(inferred),
        Ok(Err(e)) => TableRead::Invalid(e.to_string()),
        Err(e) => TableRead::Unreachable(e.to_string()),
    }
}

async fn read(source: &dyn ObjectSource, table: &FoundTable) -> Result<Result<Inferred, FormatError>, SourceError> {
    match &table.metadata {
        TableMetadata::Delta { commits, checkpoint } => {
            let checkpoint = match checkpoint {
                Some(c) => Some(fetch_whole(source, c).await?),
                None => None,
            };
            let mut bodies = Vec::with_capacity(commits.len());
            for (version, info) in commits {
                bodies.push((*version, fetch_whole(source, info).await?));
            }
            let log: Vec<(u64, &[u8])> = bodies.iter().map(|(v, b)| (*v, &b[..])).collect();
            Ok(table_from_log(&log, checkpoint.as_deref()).map(|t| Inferred {
                format: FileFormat::Delta,
                row_count: None,
                schema: t.schema,
                details: t.details,
            }))
        }
        TableMetadata::Iceberg(info) => {
            let bytes = fetch_whole(source, info).await?;
            Ok(table_from_metadata(&bytes).map(|t| Inferred {
                format: FileFormat::Iceberg,
                row_count: t.total_records,
                schema: t.schema,
                details: t.details,
            }))
        }
    }
}

async fn fetch_whole(source: &dyn ObjectSource, info: &ObjectInfo) -> Result<bytes::Bytes, SourceError> {
    if info.size > MAX_METADATA_BYTES {
        return Err(SourceError::Io {
            path: info.path.clone(),
            message: format!(
                "table metadata of {} bytes is above the {MAX_METADATA_BYTES}-byte limit",
                info.size
            ),
        });
    }
    if info.size == 0 {
        return Ok(bytes::Bytes::new());
    }
    source.get_range(&info.path, 0..info.size).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str) -> ObjectInfo {
        ObjectInfo {
            path: path.into(),
            size: 10,
            last_modified: None,
            etag: Some(path.into()),
        }
    }

    #[test]
    fn delta_and_iceberg_metadata_are_taken_and_grouped_by_table() {
        let mut t = Tables::default();
        assert!(t.take(&info("curated/orders/_delta_log/00000000000000000000.json")));
        assert!(t.take(&info("curated/orders/_delta_log/00000000000000000001.json")));
        assert!(t.take(&info("curated/orders/_delta_log/00000000000000000001.crc")));
        assert!(t.take(&info("_delta_log/00000000000000000000.json")));
        assert!(t.take(&info("warehouse/db/events/metadata/v1.metadata.json")));
        assert!(t.take(&info("warehouse/db/events/metadata/00002-8a1b.metadata.json")));
        assert!(t.take(&info("warehouse/db/events/metadata/snap-123-1-abc.avro")));
        assert!(!t.take(&info("warehouse/db/events/data/part-0.parquet")));
        assert!(!t.take(&info("curated/orders/part-0.parquet")));
        assert!(!t.take(&info("docs/metadata/readme.json")));

        let found = t.found();
        let roots: Vec<_> = found.iter().map(|f| (f.root.as_str(), f.format)).collect();
        assert_eq!(
            roots,
            [
                ("", FileFormat::Delta),
                ("curated/orders", FileFormat::Delta),
                ("warehouse/db/events", FileFormat::Iceberg)
            ]
        );
        assert!(found[1].fingerprint.starts_with("delta:1:"), "{}", found[1].fingerprint);
        assert!(
            found[2].fingerprint.starts_with("iceberg:2:"),
            "{}",
            found[2].fingerprint
        );
    }

    #[test]
    fn a_delta_checkpoint_replaces_the_commits_before_it() {
        let mut t = Tables::default();
        for v in 0..12 {
            t.take(&info(&format!("t/_delta_log/{v:020}.json")));
        }
        t.take(&info("t/_delta_log/00000000000000000010.checkpoint.parquet"));
        let found = t.found();
        let TableMetadata::Delta { commits, checkpoint } = &found[0].metadata else {
            panic!()
        };
        assert_eq!(commits.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [11]);
        assert!(checkpoint.is_some());
        assert!(found[0].fingerprint.starts_with("delta:11:"));
    }
}
