//! Torro's configuration file (TOML). Each `[[sources]]` entry mirrors one account of
//! the seed deployment: name, folders (empty = the root), labels, extension filter.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use torro_model::{SourceLabels, StorageType};

use crate::EngineError;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TorroConfig {
    #[serde(default)]
    pub scan: ScanSettings,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanSettings {
    /// Objects read at once.
    pub concurrency: usize,
    /// Records written per catalog transaction.
    pub batch_size: usize,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            concurrency: 16,
            batch_size: 500,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    /// Only `local` for now.
    #[serde(rename = "type", default = "local")]
    pub storage_type: StorageType,
    /// For `local`: the folder that holds the containers.
    pub root: PathBuf,
    /// Folders (relative to `root`) to scan; empty = all of `root`.
    #[serde(default)]
    pub containers: Vec<String>,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub env_type: String,
    #[serde(default)]
    pub data_source_type: String,
    /// Extensions to keep (`csv`, `parquet`, `csv.gz`...), without dots; empty = every format Torro reads.
    #[serde(default)]
    pub file_extensions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn local() -> StorageType {
    StorageType::Local
}

impl SourceConfig {
    /// A source for one local folder, named after it, with default labels.
    pub fn local_folder(root: &Path) -> Self {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "local".to_string());
        SourceConfig {
            name,
            storage_type: StorageType::Local,
            root: root.to_path_buf(),
            containers: Vec::new(),
            environment: "development".into(),
            env_type: "non-prod".into(),
            data_source_type: "local".into(),
            file_extensions: Vec::new(),
            tags: Vec::new(),
        }
    }

    pub fn labels(&self) -> SourceLabels {
        SourceLabels {
            source_name: self.name.clone(),
            environment: self.environment.clone(),
            env_type: self.env_type.clone(),
            data_source_type: self.data_source_type.clone(),
            tags: self.tags.clone(),
        }
    }

    /// True when `extension` (as from `split_path`, lower-case) passes the filter.
    pub fn accepts_extension(&self, extension: &str) -> bool {
        self.file_extensions.is_empty()
            || self
                .file_extensions
                .iter()
                .any(|e| e.trim_start_matches('.').eq_ignore_ascii_case(extension))
    }
}

impl TorroConfig {
    pub fn from_toml(text: &str) -> Result<Self, EngineError> {
        let config: TorroConfig = toml::from_str(text).map_err(|e| EngineError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Self, EngineError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EngineError::Config(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| match e {
            EngineError::Config(m) => EngineError::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    pub fn validate(&self) -> Result<(), EngineError> {
        if self.scan.concurrency == 0 || self.scan.batch_size == 0 {
            return Err(EngineError::Config(
                "scan.concurrency and scan.batch_size must be at least 1".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for s in &self.sources {
            if s.name.trim().is_empty() {
                return Err(EngineError::Config("every source needs a non-empty name".into()));
            }
            if !names.insert(&s.name) {
                return Err(EngineError::Config(format!("source name {:?} is used twice", s.name)));
            }
            if s.storage_type != StorageType::Local {
                return Err(EngineError::Config(format!(
                    "source {:?}: storage type {} is not supported yet; use type = \"local\"",
                    s.name, s.storage_type
                )));
            }
            if s.containers.iter().any(|c| c.split('/').any(|part| part == "..")) {
                return Err(EngineError::Config(format!(
                    "source {:?}: containers may not contain \"..\"",
                    s.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_source_and_applies_defaults() {
        let c = TorroConfig::from_toml(
            r#"
            [scan]
            concurrency = 4
            [[sources]]
            name = "finance"
            root = "/data/lake"
            containers = ["raw", "curated"]
            environment = "production"
            env_type = "prod"
            data_source_type = "finance"
            file_extensions = ["csv", ".Parquet"]
            "#,
        )
        .unwrap();
        assert_eq!(c.scan.concurrency, 4);
        assert_eq!(c.scan.batch_size, 500);
        let s = &c.sources[0];
        assert_eq!(s.storage_type, StorageType::Local);
        assert!(s.accepts_extension("parquet"));
        assert!(!s.accepts_extension("json"));
        assert_eq!(s.labels().environment, "production");
    }

    #[test]
    fn rejects_bad_config_with_a_clear_message() {
        let dup = "[[sources]]\nname='a'\nroot='/x'\n[[sources]]\nname='a'\nroot='/y'\n";
        assert!(
            TorroConfig::from_toml(dup)
                .unwrap_err()
                .to_string()
                .contains("used twice")
        );
        let typo = "[[sources]]\nname='a'\nroot='/x'\nenvironmnet='p'\n";
        assert!(
            TorroConfig::from_toml(typo)
                .unwrap_err()
                .to_string()
                .contains("environmnet")
        );
        let s3 = "[[sources]]\nname='a'\ntype='s3'\nroot='/x'\n";
        assert!(
            TorroConfig::from_toml(s3)
                .unwrap_err()
                .to_string()
                .contains("not supported yet")
        );
    }
}
