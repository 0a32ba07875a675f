//! Logical datasets: Hive-style partition folders (`key=value/`) and numbered part files
//! roll up into one dataset (DESIGN.md section 4), while each file stays a discovery.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::location::StorageLocation;
use crate::schema::Schema;

/// Where a file rolls up: the dataset's root folder and the file's partition values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetKey {
    /// The dataset's root folder inside the container, `/`-separated, no trailing slash;
    /// "" for the container root.
    pub path: String,
    /// `(column, value)` of every `key=value` folder of the file's path, in path order,
    /// values percent-decoded. Empty for a folder of part files.
    pub partitions: Vec<(String, String)>,
}

impl DatasetKey {
    /// The partition column names, in path order.
    pub fn columns(&self) -> Vec<String> {
        self.partitions.iter().map(|(k, _)| k.clone()).collect()
    }
}

/// The dataset a file at `path` belongs to, or `None` when it is a dataset of its own.
///
/// 1. Any folder segment `key=value` (key a non-empty identifier: letters, digits, `_`, `-`,
///    not starting with a digit or `-`; the value may be empty and is percent-decoded):
///    the root is the path up to the first such segment, and every `key=value` folder
///    segment is a partition. `curated/sales/year=2024/month=01/part-00000.parquet` →
///    (`curated/sales`, [(year, 2024), (month, 01)]).
/// 2. Else a numbered part file (`part-00000…`, `part_0001…`, `part-r-00000`, Hive
///    `000000_0`, `…-00001-of-00010.…`): the root is its folder, no partitions.
/// 3. Else `None`: a lone file is not rolled up.
pub fn dataset_of(path: &str) -> Option<DatasetKey> {
    let segments: Vec<&str> = path.split('/').collect();
    let (name, folders) = segments.split_last()?;
    let mut root: Option<usize> = None;
    let mut partitions = Vec::new();
    for (i, segment) in folders.iter().enumerate() {
        if let Some((key, value)) = partition_segment(segment) {
            root.get_or_insert(i);
            partitions.push((key.to_string(), percent_decode(value)));
        }
    }
    if let Some(root) = root {
        return Some(DatasetKey {
            path: folders[..root].join("/"),
            partitions,
        });
    }
    is_part_file(name).then(|| DatasetKey {
        path: folders.join("/"),
        partitions: Vec::new(),
    })
}

/// `key=value` with an identifier-like key.
fn partition_segment(segment: &str) -> Option<(&str, &str)> {
    let (key, value) = segment.split_once('=')?;
    let mut chars = key.chars();
    let first = chars.next()?;
    let ok = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some((key, value))
}

/// `%xx` → byte; anything else (including a malformed `%`) is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(|_| bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Numbered part files as Spark, Hadoop, Hive and dataset exporters write them.
fn is_part_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    // Spark/Hadoop: part-00000…, part_0001…, part-r-00000 / part-m-00000.
    if let Some(rest) = lower.strip_prefix("part-").or_else(|| lower.strip_prefix("part_")) {
        let rest = ["r-", "m-", "r_", "m_"]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        if numbered(rest) {
            return true;
        }
    }
    // Hive: 000000_0, 000000_0_copy_1, 000001_0.gz.
    if let Some((task, rest)) = lower.split_once('_')
        && task.len() >= 5
        && task.bytes().all(|b| b.is_ascii_digit())
        && numbered(rest)
    {
        return true;
    }
    // Sharded exports: train-00001-of-00010.parquet.
    lower.match_indices("-of-").any(|(at, _)| {
        let before = &lower[..at];
        let shard = before.rsplit_once('-').map_or(before, |(_, n)| n);
        !shard.is_empty() && shard.bytes().all(|b| b.is_ascii_digit()) && numbered(&lower[at + 4..])
    })
}

/// Digits, then the end of the name or a separator (`.`, `-`, `_`).
fn numbered(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(s.as_bytes().get(digits), None | Some(b'.' | b'-' | b'_'))
}

/// A logical dataset: the files that roll up into one root folder, with aggregates over
/// its live (not deleted) files computed when read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: i64,
    pub location: StorageLocation,
    /// The root folder inside the container ("" = the container root).
    pub path: String,
    /// OpenLineage-style URN of the root folder.
    pub urn: String,
    /// Partition column names in path order (empty for a folder of part files).
    pub partition_columns: Vec<String>,
    /// Live files.
    pub file_count: i64,
    pub deleted_file_count: i64,
    /// Bytes over live files.
    pub total_size: i64,
    /// Distinct formats of live files, sorted.
    pub formats: Vec<String>,
    /// Distinct partition value combinations over live files.
    pub partition_count: i64,
    /// The schema of the most recently changed live file that has one.
    pub schema: Option<Schema>,
    pub schema_hash: Option<String>,
    /// Distinct schema hashes over live files.
    pub distinct_schema_count: i64,
    pub first_seen: DateTime<Utc>,
    /// The newest `last_changed` of its files (deleted ones too: a deletion is a change).
    pub last_changed: DateTime<Utc>,
}

impl Dataset {
    /// The URN of a dataset rooted at `path` (no trailing slash, also for the container root).
    pub fn urn_of(location: &StorageLocation, path: &str) -> String {
        let urn = location.urn(path);
        if path.is_empty() {
            urn.trim_end_matches('/').to_string()
        } else {
            urn
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::StorageType;

    fn key(path: &str, partitions: &[(&str, &str)]) -> Option<DatasetKey> {
        Some(DatasetKey {
            path: path.into(),
            partitions: partitions.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        })
    }

    #[test]
    fn partition_folders_name_the_root_and_the_values() {
        assert_eq!(
            dataset_of("curated/sales/year=2024/month=01/part-00000.parquet"),
            key("curated/sales", &[("year", "2024"), ("month", "01")])
        );
        assert_eq!(
            dataset_of("year=2024/data.csv"),
            key("", &[("year", "2024")]),
            "partitions right under the container root"
        );
        assert_eq!(
            dataset_of("a/dt=2024-01-01/extra/region=eu/f.json"),
            key("a", &[("dt", "2024-01-01"), ("region", "eu")]),
            "every key=value folder, in order; plain folders in between are skipped"
        );
        assert_eq!(
            dataset_of("t/event_type=/x.parquet"),
            key("t", &[("event_type", "")]),
            "empty value"
        );
        assert_eq!(
            dataset_of("t/city=New%20York/k=a%3Db/x.parquet"),
            key("t", &[("city", "New York"), ("k", "a=b")]),
            "values are percent-decoded"
        );
        assert_eq!(
            dataset_of("t/p=100%/q=%zz%4/x.csv"),
            key("t", &[("p", "100%"), ("q", "%zz%4")]),
            "malformed escapes stay as they are"
        );
        assert_eq!(
            dataset_of("t/k=a=b/x.csv"),
            key("t", &[("k", "a=b")]),
            "value after the first ="
        );
        assert_eq!(
            dataset_of("t/dt=__HIVE_DEFAULT_PARTITION__/x.orc"),
            key("t", &[("dt", "__HIVE_DEFAULT_PARTITION__")])
        );
    }

    #[test]
    fn things_that_look_like_partitions_but_are_not() {
        assert_eq!(dataset_of("raw/a=b"), None, "a file name is never a partition");
        assert_eq!(dataset_of("raw/a=b.csv"), None);
        assert_eq!(dataset_of("raw/=x/file.csv"), None, "empty key");
        assert_eq!(dataset_of("raw/1y=2024/file.csv"), None, "key starts with a digit");
        assert_eq!(dataset_of("raw/a b=1/file.csv"), None, "key with a space");
        assert_eq!(dataset_of("raw/x.y=1/file.csv"), None, "key with a dot");
        assert_eq!(dataset_of("orders.csv"), None);
        assert_eq!(dataset_of(""), None);
    }

    #[test]
    fn part_files_roll_up_into_their_folder() {
        for name in [
            "part-00000",
            "part-00000.parquet",
            "part_0001.csv",
            "PART-00003.csv",
            "part-00000-1b2c3d4e-aaaa-bbbb-cccc-0123456789ab.c000.snappy.parquet",
            "part-00000-1b2c3d4e-aaaa-bbbb-cccc-0123456789ab-c000.csv",
            "part-r-00000",
            "part-m-00012.avro",
            "000000_0",
            "000000_0_copy_1",
            "000001_0.gz",
            "train-00001-of-00010.parquet",
            "data-00000-of-00001",
        ] {
            assert_eq!(
                dataset_of(&format!("exports/orders/{name}")),
                key("exports/orders", &[]),
                "{name}"
            );
        }
        assert_eq!(dataset_of("part-00000.parquet"), key("", &[]), "at the container root");
    }

    #[test]
    fn names_that_are_not_part_files() {
        for name in [
            "part-of-speech.csv",
            "part.csv",
            "part-.csv",
            "parts-00000.csv",
            "department-00001.csv",
            "spare_part_0001x.csv",
            "2024_1.csv",
            "000000_x",
            "chapter-one-of-two.txt",
            "x-of-00010.csv",
            "orders.parquet",
        ] {
            assert_eq!(dataset_of(&format!("a/{name}")), None, "{name}");
        }
    }

    #[test]
    fn dataset_urns_have_no_trailing_slash() {
        let s3 = StorageLocation {
            storage_type: StorageType::S3,
            account: "".into(),
            container: "lake".into(),
        };
        assert_eq!(Dataset::urn_of(&s3, "curated/sales"), "s3://lake/curated/sales");
        assert_eq!(Dataset::urn_of(&s3, ""), "s3://lake");
        let local = StorageLocation {
            storage_type: StorageType::Local,
            account: "host1".into(),
            container: "/data/lake".into(),
        };
        assert_eq!(Dataset::urn_of(&local, ""), "file://host1/data/lake");
    }
}
