//! Connections to storage accounts: what a connector needs to open one store, and the
//! managed connection records the API, the CLI and the config file create.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::SourceLabels;
use crate::location::StorageType;

/// Everything needed to open one container (bucket, blob container, local folder).
/// Built by the engine from a connection or a config-file source; `secrets` hold
/// plain text only in memory, never in the catalog or in logs (`Debug` hides them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorConfig {
    pub storage_type: StorageType,
    /// Azure storage account name; unused for S3 and GCS; the host name for local.
    #[serde(default)]
    pub account: Option<String>,
    /// Bucket (S3, GCS), container (Azure) or absolute folder (local).
    pub container: String,
    /// How to authenticate ("access_key", "account_key", "sas_token", "connection_string",
    /// "service_principal", "service_account", "anonymous", "environment"); `None` = the store's default chain.
    #[serde(default)]
    pub auth: Option<String>,
    /// Custom endpoint (S3-compatible stores, emulators).
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Non-secret settings by name: `allow_http`, `virtual_hosted_style`, `use_emulator`,
    /// `access_key_id`, `client_id`, `tenant_id`, ...
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Secret settings by name: `secret_access_key`, `session_token`, `account_key`,
    /// `sas_token`, `connection_string`, `client_secret`, `service_account_json`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorConfig")
            .field("storage_type", &self.storage_type)
            .field("account", &self.account)
            .field("container", &self.container)
            .field("auth", &self.auth)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("options", &self.options)
            .field(
                "secrets",
                &self.secrets.keys().map(|k| (k, "***")).collect::<BTreeMap<_, _>>(),
            )
            .finish()
    }
}

/// Names of the settings that are secrets, wherever they appear.
pub const SECRET_KEYS: &[&str] = &[
    "secret_access_key",
    "session_token",
    "account_key",
    "sas_token",
    "connection_string",
    "client_secret",
    "service_account_json",
    "password",
    "private_key",
    "private_key_passphrase",
];

/// A managed connection: one storage account with its containers, folders, labels and
/// schedule. Secrets are stored encrypted and never leave the server; only their names do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: i64,
    /// Unique.
    pub name: String,
    /// The kind of store: local, s3, azure_blob, gcs.
    pub connector_type: StorageType,
    /// How it authenticates ("account_key", "sas_token", "access_key", "service_account", ...).
    pub connection_type: String,
    /// Non-secret settings: account, endpoint, region, options.
    pub config: ConnectionSettings,
    /// Names of the stored secrets (values are never returned).
    pub secret_names: Vec<String>,
    /// "active" or "disabled"; a disabled connection is not scanned.
    pub status: String,
    /// 5-field cron expression, used by the scheduler.
    pub schedule: Option<String>,
    pub labels: SourceLabels,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_tested_at: Option<DateTime<Utc>>,
    /// The last test's error, `None` when it passed (or never ran).
    pub last_test_error: Option<String>,
}

/// The non-secret part of a connection's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Azure account name.
    #[serde(default)]
    pub account: Option<String>,
    /// Local folder that holds the containers (local connections only).
    #[serde(default)]
    pub root: Option<String>,
    /// Buckets / containers (for local: folders under root); empty = root (local only).
    #[serde(default)]
    pub containers: Vec<String>,
    /// Prefixes inside each container; empty = everything.
    #[serde(default)]
    pub folders: Vec<String>,
    /// Extensions to keep, without dots; empty = every format Torro reads.
    #[serde(default)]
    pub file_extensions: Vec<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Database connections (postgres, mysql, sqlite, snowflake, oracle): host, JDBC URL,
    /// include/exclude patterns. `None` for object stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<crate::database::DatabaseSettings>,
}

/// What creating or replacing a connection takes. On update, a secret left out keeps
/// its stored value; a secret set to "" removes it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionInput {
    pub name: String,
    pub connector_type: StorageType,
    pub connection_type: String,
    pub config: ConnectionSettings,
    pub secrets: BTreeMap<String, String>,
    pub status: Option<String>,
    pub schedule: Option<String>,
    pub labels: SourceLabels,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("name", &self.name)
            .field("connector_type", &self.connector_type)
            .field("connection_type", &self.connection_type)
            .field("config", &self.config)
            .field(
                "secrets",
                &self.secrets.keys().map(|k| (k, "***")).collect::<BTreeMap<_, _>>(),
            )
            .field("status", &self.status)
            .field("schedule", &self.schedule)
            .field("labels", &self.labels)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secret_values() {
        let mut secrets = BTreeMap::new();
        secrets.insert("account_key".to_string(), "hunter2".to_string());
        let input = ConnectionInput {
            name: "n".into(),
            connector_type: StorageType::AzureBlob,
            connection_type: "account_key".into(),
            config: ConnectionSettings::default(),
            secrets: secrets.clone(),
            status: None,
            schedule: None,
            labels: SourceLabels::default(),
        };
        let config = ConnectorConfig {
            storage_type: StorageType::AzureBlob,
            account: None,
            container: "c".into(),
            auth: None,
            endpoint: None,
            region: None,
            options: BTreeMap::new(),
            secrets,
        };
        for text in [format!("{input:?}"), format!("{config:?}")] {
            assert!(text.contains("account_key") && !text.contains("hunter2"), "{text}");
        }
    }
}
