//! Torro's configuration file (TOML). Each `[[sources]]` entry mirrors one account of
//! the seed deployment: name, store type and credentials, containers and folders (empty
//! = everything), labels, extension filter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use torro_model::{ConnectorConfig, SourceLabels, StorageType};

use crate::EngineError;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TorroConfig {
    #[serde(default)]
    pub scan: ScanSettings,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// Scheduling and the job queue (see docs/scheduling.md).
    #[serde(default)]
    pub jobs: JobSettings,
    /// E-mails and webhooks sent when a scan found something (see docs/scheduling.md).
    #[serde(default)]
    pub notifications: crate::notify::NotificationSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobSettings {
    /// Cron (5 fields: minute hour day month weekday) for connections without a schedule
    /// of their own; "" = such connections are scanned only on demand.
    pub default_schedule: String,
    /// When the config file's sources are scanned; "" (default) = only on demand.
    pub sources_schedule: String,
    /// Time zone of the schedules (IANA name, e.g. "Europe/Paris").
    pub timezone: String,
    /// Claims of a scan job (take-overs after a worker died count too) before it fails.
    pub max_attempts: i32,
    /// First retry delay in seconds; doubles with each further attempt.
    pub retry_base_secs: u64,
    /// Two scans of one connection never run at the same time unless this is true.
    pub parallel_scans_per_connection: bool,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            default_schedule: "*/5 * * * *".into(),
            sources_schedule: String::new(),
            timezone: "UTC".into(),
            max_attempts: 3,
            retry_base_secs: 30,
            parallel_scans_per_connection: false,
        }
    }
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

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    /// local, s3, azure_blob or gcs.
    #[serde(rename = "type", default = "local")]
    pub storage_type: StorageType,
    /// For `local`: the folder that holds the containers.
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// Azure storage account name.
    #[serde(default)]
    pub account: Option<String>,
    /// Buckets / containers to scan (for `local`: folders under `root`; empty = all of root).
    #[serde(default)]
    pub containers: Vec<String>,
    /// Prefixes inside each container; empty = everything.
    #[serde(default)]
    pub folders: Vec<String>,
    /// How to authenticate (see docs/connectors.md); none = the store's default chain.
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Non-secret connector settings (`allow_http`, `access_key_id`, ...).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Secret connector settings; `${NAME}` takes the value of environment variable NAME,
    /// so config files need not hold secrets.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
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

impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field("name", &self.name)
            .field("storage_type", &self.storage_type)
            .field("root", &self.root)
            .field("account", &self.account)
            .field("containers", &self.containers)
            .field("folders", &self.folders)
            .field("endpoint", &self.endpoint)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One store to open and the prefixes to scan in it.
#[derive(Debug)]
pub struct ScanTarget {
    pub connector: ConnectorConfig,
    /// "" = the whole container.
    pub prefixes: Vec<String>,
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
            root: Some(root.to_path_buf()),
            account: None,
            containers: Vec::new(),
            folders: Vec::new(),
            auth: None,
            endpoint: None,
            region: None,
            options: BTreeMap::new(),
            secrets: BTreeMap::new(),
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

    /// Where this source's data is, for people ("/data/lake", "s3 lake, archive").
    pub fn describe(&self) -> String {
        match (&self.root, self.storage_type) {
            (Some(root), StorageType::Local) => root.display().to_string(),
            _ => format!("{} {}", self.storage_type, self.containers.join(", ")),
        }
    }

    /// The stores to open and the prefixes to scan in each. Local sources open their
    /// root once and scan each container folder (and folder within it) as a prefix;
    /// cloud sources open each container.
    pub fn targets(&self) -> Result<Vec<ScanTarget>, EngineError> {
        let folders: Vec<String> = self.folders.iter().map(|f| f.trim_matches('/').to_string()).collect();
        let connector = |container: String| ConnectorConfig {
            storage_type: self.storage_type,
            account: self.account.clone(),
            container,
            auth: self.auth.clone(),
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            options: self.options.clone(),
            secrets: self.secrets.clone(),
        };
        let under = |base: &str| -> Vec<String> {
            if folders.is_empty() {
                vec![base.to_string()]
            } else {
                folders.iter().map(|f| join_prefix(base, f)).collect()
            }
        };
        if self.storage_type == StorageType::Local {
            let root = self.root.as_ref().ok_or_else(|| {
                EngineError::Config(format!(
                    "source {:?}: a local source needs root = \"/path/to/folder\"",
                    self.name
                ))
            })?;
            let prefixes = if self.containers.is_empty() {
                under("")
            } else {
                self.containers
                    .iter()
                    .flat_map(|c| under(c.trim_matches('/')))
                    .collect()
            };
            return Ok(vec![ScanTarget {
                connector: connector(root.to_string_lossy().into_owned()),
                prefixes,
            }]);
        }
        Ok(self
            .containers
            .iter()
            .map(|c| ScanTarget {
                connector: connector(c.clone()),
                prefixes: under(""),
            })
            .collect())
    }
}

fn join_prefix(base: &str, folder: &str) -> String {
    match (base.is_empty(), folder.is_empty()) {
        (true, _) => folder.to_string(),
        (false, true) => base.to_string(),
        (false, false) => format!("{base}/{folder}"),
    }
}

/// `${NAME}` → the value of environment variable NAME; anything else is taken as it is.
fn expand_env(source: &str, key: &str, value: &str) -> Result<String, EngineError> {
    match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        Some(var) => std::env::var(var).map_err(|_| {
            EngineError::Config(format!(
                "source {source:?}: secret {key} refers to environment variable {var}, which is not set"
            ))
        }),
        None => Ok(value.to_string()),
    }
}

impl TorroConfig {
    /// Parses a config file. `${NAME}` secret values are read from the environment here,
    /// for config files only: a secret stored in the catalog is never expanded.
    pub fn from_toml(text: &str) -> Result<Self, EngineError> {
        let mut config: TorroConfig = toml::from_str(text).map_err(|e| EngineError::Config(e.to_string()))?;
        for source in &mut config.sources {
            for (key, value) in source.secrets.iter_mut() {
                *value = expand_env(&source.name, key, value)?;
            }
        }
        config.notifications.expand_env()?;
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
        self.jobs.validate()?;
        self.notifications.validate()?;
        let mut names = std::collections::HashSet::new();
        for s in &self.sources {
            if s.name.trim().is_empty() {
                return Err(EngineError::Config("every source needs a non-empty name".into()));
            }
            if !names.insert(&s.name) {
                return Err(EngineError::Config(format!("source name {:?} is used twice", s.name)));
            }
            if s.containers
                .iter()
                .chain(&s.folders)
                .any(|c| c.split('/').any(|part| part == ".."))
            {
                return Err(EngineError::Config(format!(
                    "source {:?}: containers and folders may not contain \"..\"",
                    s.name
                )));
            }
            match s.storage_type {
                StorageType::Local if s.root.is_none() => {
                    return Err(EngineError::Config(format!(
                        "source {:?}: a local source needs root = \"/path/to/folder\"",
                        s.name
                    )));
                }
                StorageType::Local => {}
                _ if s.containers.is_empty() => {
                    return Err(EngineError::Config(format!(
                        "source {:?}: name the buckets or containers to scan with containers = [...]",
                        s.name
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl JobSettings {
    pub fn validate(&self) -> Result<(), EngineError> {
        for (field, expr) in [
            ("jobs.default_schedule", &self.default_schedule),
            ("jobs.sources_schedule", &self.sources_schedule),
        ] {
            if !expr.trim().is_empty() {
                crate::scheduler::parse_cron(expr).map_err(|e| EngineError::Config(format!("{field}: {e}")))?;
            }
        }
        crate::scheduler::parse_timezone(&self.timezone)
            .map_err(|e| EngineError::Config(format!("jobs.timezone: {e}")))?;
        if self.max_attempts < 1 {
            return Err(EngineError::Config("jobs.max_attempts must be at least 1".into()));
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
    fn targets_open_each_cloud_container_and_expand_env_secrets() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("TORRO_TEST_CONFIG_SECRET", "s3cr3t") };
        let c = TorroConfig::from_toml(
            r#"
            [[sources]]
            name = "lake"
            type = "s3"
            containers = ["raw", "curated"]
            folders = ["sales/", "hr"]
            endpoint = "http://127.0.0.1:9000"
            auth = "access_key"
            options = { access_key_id = "k", allow_http = "true" }
            secrets = { secret_access_key = "${TORRO_TEST_CONFIG_SECRET}" }
            "#,
        )
        .unwrap();
        let targets = c.sources[0].targets().unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[1].connector.container, "curated");
        assert_eq!(targets[0].prefixes, ["sales", "hr"]);
        assert_eq!(targets[0].connector.secrets["secret_access_key"], "s3cr3t");
        assert!(
            !format!("{:?}", c.sources[0]).contains("s3cr3t"),
            "Debug must not show secrets"
        );

        let err = TorroConfig::from_toml(
            "[[sources]]\nname='x'\ntype='gcs'\ncontainers=['b']\nsecrets={service_account_json='${TORRO_NOT_SET_ANYWHERE}'}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("TORRO_NOT_SET_ANYWHERE") && err.contains("not set"),
            "{err}"
        );
    }

    #[test]
    fn local_targets_scan_container_folders_under_one_root() {
        let mut s = SourceConfig::local_folder(Path::new("/data/lake"));
        assert_eq!(s.targets().unwrap()[0].prefixes, [""]);
        s.containers = vec!["raw".into(), "curated/".into()];
        s.folders = vec!["sales".into()];
        let t = s.targets().unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].connector.container, "/data/lake");
        assert_eq!(t[0].prefixes, ["raw/sales", "curated/sales"]);
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
        let s3 = "[[sources]]\nname='a'\ntype='s3'\n";
        assert!(
            TorroConfig::from_toml(s3)
                .unwrap_err()
                .to_string()
                .contains("containers = [...]")
        );
        let no_root = "[[sources]]\nname='a'\n";
        assert!(
            TorroConfig::from_toml(no_root)
                .unwrap_err()
                .to_string()
                .contains("needs root")
        );
    }
}
