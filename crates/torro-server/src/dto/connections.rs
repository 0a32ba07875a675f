//! Bodies of the `/api/connections` endpoints. Secret values go in, never out: responses
//! show each stored secret's name with the value `***`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use torro_engine::{ConnectionTest, ContainerTest};
use torro_model::{Connection, ConnectionInput, ConnectionSettings, SourceLabels, StorageType};
use utoipa::ToSchema;

use crate::error::ApiError;

/// Non-secret settings of a connection.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfigBody {
    /// Azure storage account name (azure_blob: required).
    #[serde(default)]
    pub account: Option<String>,
    /// Absolute folder holding the containers (local: required).
    #[serde(default)]
    pub root: Option<String>,
    /// Buckets / containers (s3, gcs, azure_blob: at least one); for local, folders under
    /// root (empty = root itself).
    #[serde(default)]
    pub containers: Vec<String>,
    /// Prefixes inside each container; empty = everything.
    #[serde(default)]
    pub folders: Vec<String>,
    /// Extensions to keep, without dots; empty = every format Torro reads.
    #[serde(default)]
    pub file_extensions: Vec<String>,
    /// Custom endpoint (S3-compatible stores, emulators).
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Non-secret connector settings: allow_http, virtual_hosted_style, use_emulator,
    /// access_key_id, client_id, tenant_id, ...
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Database connections (postgres, mysql, sqlite, snowflake, oracle): jdbc_url, host,
    /// port, database, user, path (sqlite), account/warehouse/role (snowflake),
    /// service_name/sid (oracle), include_schemas, exclude_schemas, include_tables,
    /// exclude_tables (glob patterns), statement_timeout_secs. See docs/databases.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub database: Option<torro_model::DatabaseSettings>,
}

impl From<ConnectionConfigBody> for ConnectionSettings {
    fn from(c: ConnectionConfigBody) -> Self {
        ConnectionSettings {
            account: c.account,
            root: c.root,
            containers: c.containers,
            folders: c.folders,
            file_extensions: c.file_extensions,
            endpoint: c.endpoint,
            region: c.region,
            options: c.options,
            database: c.database,
        }
    }
}

impl From<&ConnectionSettings> for ConnectionConfigBody {
    fn from(c: &ConnectionSettings) -> Self {
        ConnectionConfigBody {
            account: c.account.clone(),
            root: c.root.clone(),
            containers: c.containers.clone(),
            folders: c.folders.clone(),
            file_extensions: c.file_extensions.clone(),
            endpoint: c.endpoint.clone(),
            region: c.region.clone(),
            options: c.options.clone(),
            database: c.database.clone(),
        }
    }
}

/// `POST /api/connections`, `PUT /api/connections/{id}`, `POST /api/connections/test-config`.
/// On PUT a secret left out keeps its stored value and a secret set to "" removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRequest {
    /// Unique.
    #[schema(example = "finance-lake")]
    pub name: String,
    /// local, s3, azure_blob, gcs, postgres, mysql, sqlite, snowflake or oracle.
    #[schema(example = "azure_blob")]
    pub connector_type: String,
    /// How it authenticates: account_key, sas_token, connection_string, service_principal,
    /// access_key, service_account, anonymous, environment (default; "none" for local).
    #[serde(default)]
    #[schema(example = "account_key")]
    pub connection_type: Option<String>,
    #[serde(default)]
    pub config: ConnectionConfigBody,
    /// Secret settings by name (secret_access_key, session_token, account_key, sas_token,
    /// connection_string, client_secret, service_account_json, password). Stored
    /// encrypted; never returned.
    #[serde(default)]
    #[schema(example = json!({"account_key": "…"}))]
    pub secrets: BTreeMap<String, String>,
    /// active (default) or disabled.
    #[serde(default)]
    pub status: Option<String>,
    /// 5-field cron expression for scheduled scans.
    #[serde(default)]
    #[schema(example = "0 2 * * *")]
    pub schedule: Option<String>,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub env_type: String,
    #[serde(default)]
    pub data_source_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl ConnectionRequest {
    /// The engine's input, or a 400 naming `connector_type`.
    pub fn into_input(self) -> Result<ConnectionInput, ApiError> {
        let raw = self.connector_type.trim();
        let connector_type = raw.parse::<StorageType>().map_err(|_| {
            let expected: Vec<_> = StorageType::ALL.iter().map(|t| t.as_str()).collect();
            ApiError::invalid(format!(
                "unknown connector_type {raw:?}; expected one of {}",
                expected.join(", ")
            ))
        })?;
        Ok(ConnectionInput {
            name: self.name,
            connector_type,
            connection_type: self.connection_type.unwrap_or_default(),
            config: self.config.into(),
            secrets: self.secrets,
            status: self.status,
            schedule: self.schedule,
            labels: SourceLabels {
                source_name: String::new(),
                environment: self.environment,
                env_type: self.env_type,
                data_source_type: self.data_source_type,
                tags: self.tags,
            },
        })
    }
}

/// Links of a connection.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub test: String,
    pub scan: String,
    pub discoveries: String,
}

/// A connection as the API shows it: secret values are always `***`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionBody {
    pub id: i64,
    pub name: String,
    /// local, s3, azure_blob or gcs.
    pub connector_type: String,
    pub connection_type: String,
    pub config: ConnectionConfigBody,
    /// Stored secrets by name; the value is always "***".
    #[schema(example = json!({"account_key": "***"}))]
    pub secrets: BTreeMap<String, String>,
    /// active or disabled.
    pub status: String,
    pub schedule: Option<String>,
    pub environment: String,
    pub env_type: String,
    pub data_source_type: String,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_tested_at: Option<DateTime<Utc>>,
    /// The last test's error; null when it passed or never ran.
    pub last_test_error: Option<String>,
    pub links: ConnectionLinks,
}

impl From<&Connection> for ConnectionBody {
    fn from(c: &Connection) -> Self {
        let base = format!("/api/connections/{}", c.id);
        ConnectionBody {
            id: c.id,
            name: c.name.clone(),
            connector_type: c.connector_type.as_str().to_string(),
            connection_type: c.connection_type.clone(),
            config: ConnectionConfigBody::from(&c.config),
            secrets: c.secret_names.iter().map(|n| (n.clone(), "***".to_string())).collect(),
            status: c.status.clone(),
            schedule: c.schedule.clone(),
            environment: c.labels.environment.clone(),
            env_type: c.labels.env_type.clone(),
            data_source_type: c.labels.data_source_type.clone(),
            tags: c.labels.tags.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_tested_at: c.last_tested_at,
            last_test_error: c.last_test_error.clone(),
            links: ConnectionLinks {
                test: format!("{base}/test"),
                scan: format!("{base}/scan"),
                discoveries: format!("{base}/discoveries"),
                self_: base,
            },
        }
    }
}

/// `GET /api/connections`: every connection, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionBody>,
}

/// The test of one container.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContainerTestBody {
    /// Bucket / container, or the folder of a local connection.
    pub container: String,
    pub ok: bool,
    /// What failed and what to check; null when ok.
    pub error: Option<String>,
}

/// `POST /api/connections/test-config` and `POST /api/connections/{id}/test`: a failed
/// test is a 200 with `ok: false`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionTestBody {
    /// Every container passed.
    pub ok: bool,
    pub results: Vec<ContainerTestBody>,
}

impl From<ConnectionTest> for ConnectionTestBody {
    fn from(t: ConnectionTest) -> Self {
        ConnectionTestBody {
            ok: t.ok,
            results: t
                .results
                .into_iter()
                .map(|ContainerTest { container, ok, error }| ContainerTestBody { container, ok, error })
                .collect(),
        }
    }
}
