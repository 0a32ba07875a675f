//! Where a file lives: storage type, account and container, as in the
//! catalog's unique key (storage type + account + container + path).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    Local,
    S3,
    AzureBlob,
    Gcs,
    /// Databases (issue 4): scanned into assets, not discoveries.
    Postgres,
    Mysql,
    Sqlite,
    Snowflake,
    Oracle,
}

impl StorageType {
    pub const ALL: [StorageType; 9] = [
        StorageType::Local,
        StorageType::S3,
        StorageType::AzureBlob,
        StorageType::Gcs,
        StorageType::Postgres,
        StorageType::Mysql,
        StorageType::Sqlite,
        StorageType::Snowflake,
        StorageType::Oracle,
    ];

    /// A database, scanned by `torro_connectors::database` rather than listed as files.
    pub fn is_database(self) -> bool {
        matches!(
            self,
            StorageType::Postgres
                | StorageType::Mysql
                | StorageType::Sqlite
                | StorageType::Snowflake
                | StorageType::Oracle
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::Local => "local",
            StorageType::S3 => "s3",
            StorageType::AzureBlob => "azure_blob",
            StorageType::Gcs => "gcs",
            StorageType::Postgres => "postgres",
            StorageType::Mysql => "mysql",
            StorageType::Sqlite => "sqlite",
            StorageType::Snowflake => "snowflake",
            StorageType::Oracle => "oracle",
        }
    }
}

impl fmt::Display for StorageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StorageType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StorageType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown storage type {s:?}; expected local, s3, azure_blob, gcs, postgres, mysql, sqlite, snowflake or oracle"))
    }
}

/// The store a file sits in. For local disks `account` is the host name and
/// `container` the absolute root folder that was scanned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StorageLocation {
    pub storage_type: StorageType,
    pub account: String,
    pub container: String,
}

impl StorageLocation {
    /// The OpenLineage namespace of datasets in this store (DESIGN.md section 4).
    pub fn namespace(&self) -> String {
        match self.storage_type {
            StorageType::Local => format!("file://{}", self.account),
            StorageType::S3 => format!("s3://{}", self.container),
            StorageType::Gcs => format!("gs://{}", self.container),
            StorageType::AzureBlob => format!("abfss://{}@{}.dfs.core.windows.net", self.container, self.account),
            // Databases: `account` is host:port (or the Snowflake account, or the SQLite file).
            db => format!("{}://{}", db.as_str(), self.account),
        }
    }

    /// The OpenLineage dataset name of `path` (relative to the container).
    pub fn dataset_name(&self, path: &str) -> String {
        match self.storage_type {
            StorageType::Local => format!("{}/{}", self.container.trim_end_matches('/'), path),
            _ => path.to_string(),
        }
    }

    /// `namespace/name`, the URN the catalog shows and lineage matches on.
    pub fn urn(&self, path: &str) -> String {
        let name = self.dataset_name(path);
        let ns = self.namespace();
        if name.starts_with('/') {
            format!("{ns}{name}")
        } else {
            format!("{ns}/{name}")
        }
    }
}

/// Splits a `/`-separated path into (folder, file name, extension).
/// The extension is lower-case and keeps a compression suffix: `a/b.csv.gz` → `csv.gz`.
pub fn split_path(path: &str) -> (String, String, String) {
    let (folder, name) = match path.rsplit_once('/') {
        Some((folder, name)) => (folder.to_string(), name.to_string()),
        None => (String::new(), path.to_string()),
    };
    let lower = name.to_ascii_lowercase();
    let ext = match lower.strip_suffix(".gz") {
        Some(stem) => stem
            .rsplit_once('.')
            .map(|(_, e)| format!("{e}.gz"))
            .unwrap_or_else(|| "gz".into()),
        None => lower.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default(),
    };
    (folder, name, ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_follow_openlineage_naming() {
        let s3 = StorageLocation {
            storage_type: StorageType::S3,
            account: "".into(),
            container: "lake".into(),
        };
        assert_eq!(s3.urn("raw/a.csv"), "s3://lake/raw/a.csv");
        let az = StorageLocation {
            storage_type: StorageType::AzureBlob,
            account: "acct".into(),
            container: "c".into(),
        };
        assert_eq!(az.urn("x.parquet"), "abfss://c@acct.dfs.core.windows.net/x.parquet");
        let local = StorageLocation {
            storage_type: StorageType::Local,
            account: "host1".into(),
            container: "/data/lake".into(),
        };
        assert_eq!(local.urn("raw/a.csv"), "file://host1/data/lake/raw/a.csv");
    }

    #[test]
    fn paths_split_into_folder_name_extension() {
        assert_eq!(split_path("a/b/c.CSV"), ("a/b".into(), "c.CSV".into(), "csv".into()));
        assert_eq!(split_path("c.csv.gz"), ("".into(), "c.csv.gz".into(), "csv.gz".into()));
        assert_eq!(split_path("dir/README"), ("dir".into(), "README".into(), "".into()));
    }
}
