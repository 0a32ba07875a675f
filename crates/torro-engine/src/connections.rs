//! Managed connections: the one service the API and the CLI call to create, change,
//! test and remove connections (STYLE.md section 5: the handlers only validate shapes).
//!
//! Secrets are encrypted here ([`SecretBox`]) before they reach the catalog, which keeps
//! only the ciphertext and the secrets' names. Decrypted secrets live only in the
//! [`ConnectorConfig`]s built for a test or a scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use torro_catalog::{CatalogError, CatalogStore, NewConnectionRow};
use torro_model::{
    Actor, Connection, ConnectionInput, ConnectionSettings, ConnectorConfig, DatabaseConfig, SECRET_KEYS, StorageType,
};

use crate::secrets::{SecretBox, SecretsError};
use crate::{EngineError, SourceConfig};

/// Statuses a connection may have; only active ones are scanned.
pub const STATUSES: &[&str] = &["active", "disabled"];

/// How long one container's test may take before it counts as failed.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The outcome of testing every container of a connection. A failed test is an
/// outcome (`ok: false`), not an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    /// Every container passed.
    pub ok: bool,
    pub results: Vec<ContainerTest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerTest {
    /// Bucket / container name, or the folder for local connections.
    pub container: String,
    pub ok: bool,
    /// What failed and what to check; never holds a secret value.
    pub error: Option<String>,
}

impl ConnectionTest {
    /// "container: error; ..." of the failed containers, `None` when all passed.
    pub fn error_summary(&self) -> Option<String> {
        let failed: Vec<String> = self
            .results
            .iter()
            .filter(|r| !r.ok)
            .map(|r| format!("{}: {}", r.container, r.error.as_deref().unwrap_or("failed")))
            .collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

/// Creates, changes, tests and removes managed connections. Cheap to clone.
#[derive(Clone)]
pub struct Connections {
    store: Arc<dyn CatalogStore>,
    /// `None`: no key configured; connections without secrets still work.
    secrets: Option<Arc<SecretBox>>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

impl Connections {
    pub fn new(store: Arc<dyn CatalogStore>, secrets: Option<SecretBox>) -> Self {
        Connections {
            store,
            secrets: secrets.map(Arc::new),
        }
    }

    fn secret_box(&self) -> Result<&SecretBox, EngineError> {
        self.secrets.as_deref().ok_or_else(|| {
            EngineError::Secrets(
                "no secret key is configured: set TORRO_SECRET_KEY or TORRO_SECRET_KEY_FILE".to_string(),
            )
        })
    }

    /// Checks `input` and returns it tidied (trimmed names, defaults filled in).
    /// Errors name the field: `name`, `config.root`, `secrets.<name>`, `schedule`, ...
    pub fn validate(input: &ConnectionInput) -> Result<ConnectionInput, EngineError> {
        let mut out = input.clone();
        out.name = input.name.trim().to_string();
        if out.name.is_empty() {
            return Err(invalid("name", "name is required and must not be empty"));
        }
        if out.name.chars().count() > 255 {
            return Err(invalid("name", "name must be at most 255 characters"));
        }
        out.connection_type = input.connection_type.trim().to_string();
        if out.connection_type.is_empty() {
            out.connection_type = default_connection_type(input.connector_type).to_string();
        }
        let c = &mut out.config;
        let tidy = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        c.account = tidy(&c.account);
        c.root = tidy(&c.root);
        c.endpoint = tidy(&c.endpoint);
        c.region = tidy(&c.region);
        c.containers = c.containers.iter().map(|s| s.trim().to_string()).collect();
        c.folders = c
            .folders
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        c.file_extensions = c
            .file_extensions
            .iter()
            .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(i) = c.containers.iter().position(|s| s.is_empty()) {
            return Err(invalid(
                format!("config.containers[{i}]"),
                "a container name must not be empty",
            ));
        }
        match input.connector_type {
            StorageType::Local => {
                let Some(root) = &c.root else {
                    return Err(invalid(
                        "config.root",
                        "a local connection needs config.root, the folder that holds its containers",
                    ));
                };
                if !Path::new(root).is_absolute() {
                    return Err(invalid(
                        "config.root",
                        format!("config.root must be an absolute path, got {root:?}"),
                    ));
                }
                for (i, container) in c.containers.iter().enumerate() {
                    if Path::new(container).is_absolute() || container.split(['/', '\\']).any(|p| p == "..") {
                        return Err(invalid(
                            format!("config.containers[{i}]"),
                            format!("{container:?} must be a folder under config.root (relative, without ..)"),
                        ));
                    }
                }
            }
            StorageType::AzureBlob => {
                if c.account.is_none() {
                    return Err(invalid(
                        "config.account",
                        "an azure_blob connection needs config.account, the storage account name",
                    ));
                }
                if c.containers.is_empty() {
                    return Err(invalid(
                        "config.containers",
                        "an azure_blob connection needs at least one container",
                    ));
                }
            }
            db if db.is_database() => {
                let Some(settings) = &c.database else {
                    return Err(invalid(
                        "config.database",
                        format!("a {db} connection needs config.database (host, port, database, user or jdbc_url)"),
                    ));
                };
                torro_model::DatabaseConfig::resolve(db, settings, &input.secrets)
                    .map_err(|e| invalid(e.field, e.message))?;
            }
            // S3 and GCS.
            _ => {
                if c.containers.is_empty() {
                    return Err(invalid(
                        "config.containers",
                        format!(
                            "an {} connection needs at least one bucket in config.containers",
                            input.connector_type
                        ),
                    ));
                }
            }
        }
        if let Some(key) = c.options.keys().find(|k| SECRET_KEYS.contains(&k.as_str())) {
            return Err(invalid(
                format!("config.options.{key}"),
                format!("{key} is a secret: send it in secrets, which are stored encrypted"),
            ));
        }
        for name in input.secrets.keys() {
            if !SECRET_KEYS.contains(&name.as_str()) {
                return Err(invalid(
                    format!("secrets.{name}"),
                    format!("unknown secret {name:?}; allowed: {}", SECRET_KEYS.join(", ")),
                ));
            }
        }
        out.status = Some(match input.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => "active".to_string(),
            Some(s) if STATUSES.contains(&s) => s.to_string(),
            Some(s) => {
                return Err(invalid(
                    "status",
                    format!("unknown status {s:?}; expected active or disabled"),
                ));
            }
        });
        out.schedule = match input.schedule.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                check_cron(s).map_err(|m| invalid("schedule", m))?;
                Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
            }
        };
        out.labels.source_name = out.name.clone();
        out.labels.environment = out.labels.environment.trim().to_string();
        out.labels.env_type = out.labels.env_type.trim().to_string();
        out.labels.data_source_type = out.labels.data_source_type.trim().to_string();
        out.labels.tags = out
            .labels
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        Ok(out)
    }

    /// Validates, encrypts the secrets (empty values are ignored) and stores a new
    /// connection with its audit row. AlreadyExists when the name is taken.
    pub async fn create(&self, input: &ConnectionInput, actor: &Actor) -> Result<Connection, EngineError> {
        let input = Self::validate(input)?;
        let secrets = given_secrets(&input);
        let row = self.row(&input, &secrets)?;
        Ok(self.store.create_connection(&row, actor).await?)
    }

    /// Replaces connection `id`'s settings. Secrets merge: a name left out keeps its
    /// stored value, a name set to "" removes it, any other value replaces it.
    pub async fn update(&self, id: i64, input: &ConnectionInput, actor: &Actor) -> Result<Connection, EngineError> {
        let input = Self::validate(input)?;
        let current = self.get(id).await?;
        let row = if input.secrets.is_empty() {
            // Nothing to merge: keep the stored ciphertext as it is (no key needed).
            let mut row = self.row(&input, &BTreeMap::new())?;
            row.secret_names = current.secret_names.clone();
            row.secrets_ciphertext = self.store.connection_secrets(id).await?;
            row
        } else {
            let mut merged = self.stored_secrets(&current).await?;
            for (name, value) in &input.secrets {
                if value.is_empty() {
                    merged.remove(name);
                } else {
                    merged.insert(name.clone(), value.clone());
                }
            }
            self.row(&input, &merged)?
        };
        Ok(self.store.update_connection(id, &row, actor).await?)
    }

    /// Removes connection `id` (its discoveries stay in the catalog). NotFound when missing.
    pub async fn delete(&self, id: i64, actor: &Actor) -> Result<(), EngineError> {
        Ok(self.store.delete_connection(id, actor).await?)
    }

    /// Connection `id` (secret names only). NotFound when missing.
    pub async fn get(&self, id: i64) -> Result<Connection, EngineError> {
        self.store
            .get_connection(id)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("connection {id}")).into())
    }

    pub async fn get_by_name(&self, name: &str) -> Result<Connection, EngineError> {
        self.store
            .get_connection_by_name(name)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("connection {name:?}")).into())
    }

    /// Every connection, by name.
    pub async fn list(&self) -> Result<Vec<Connection>, EngineError> {
        Ok(self.store.list_connections().await?)
    }

    /// What a connector needs to open each container of `connection`, secrets decrypted.
    /// Local: one per container folder under the root, or the root when there are none.
    pub async fn connector_configs(&self, connection: &Connection) -> Result<Vec<ConnectorConfig>, EngineError> {
        let secrets = self.stored_secrets(connection).await?;
        Ok(connector_configs_of(
            connection.connector_type,
            &connection.connection_type,
            &connection.config,
            &secrets,
        ))
    }

    /// The scan source of `connection`, secrets decrypted: what
    /// [`crate::Engine::trigger_connection_scan`] scans. Its discoveries carry the
    /// connection's name as `source_name`.
    pub async fn source_config(&self, connection: &Connection) -> Result<SourceConfig, EngineError> {
        let secrets = self.stored_secrets(connection).await?;
        let c = &connection.config;
        Ok(SourceConfig {
            name: connection.name.clone(),
            storage_type: connection.connector_type,
            root: c.root.as_ref().map(PathBuf::from),
            account: c.account.clone(),
            containers: c.containers.clone(),
            folders: c.folders.clone(),
            auth: auth_of(&connection.connection_type),
            endpoint: c.endpoint.clone(),
            region: c.region.clone(),
            options: c.options.clone(),
            secrets,
            environment: connection.labels.environment.clone(),
            env_type: connection.labels.env_type.clone(),
            data_source_type: connection.labels.data_source_type.clone(),
            file_extensions: c.file_extensions.clone(),
            tags: connection.labels.tags.clone(),
        })
    }

    /// The resolved database settings of database connection `connection`, secrets decrypted.
    pub async fn database_config(&self, connection: &Connection) -> Result<DatabaseConfig, EngineError> {
        let secrets = self.stored_secrets(connection).await?;
        database_config_of(connection.connector_type, &connection.config, &secrets)
    }

    /// Tests settings before they are saved: opens each container with
    /// `torro_connectors::open` and calls `test_connection`. Invalid settings are an
    /// error; an unreachable or refused container is a result with `ok: false`.
    pub async fn test_config(&self, input: &ConnectionInput) -> Result<ConnectionTest, EngineError> {
        let input = Self::validate(input)?;
        let secrets = given_secrets(&input);
        if input.connector_type.is_database() {
            return Ok(test_database(&database_config_of(input.connector_type, &input.config, &secrets)?).await);
        }
        let configs = connector_configs_of(input.connector_type, &input.connection_type, &input.config, &secrets);
        Ok(test_configs(&configs).await)
    }

    /// Tests stored connection `id` and records the outcome on it (`last_tested_at`,
    /// `last_test_error`).
    pub async fn test(&self, id: i64) -> Result<ConnectionTest, EngineError> {
        let connection = self.get(id).await?;
        let result = if connection.connector_type.is_database() {
            test_database(&self.database_config(&connection).await?).await
        } else {
            test_configs(&self.connector_configs(&connection).await?).await
        };
        self.store
            .record_connection_test(id, Utc::now(), result.error_summary().as_deref())
            .await?;
        Ok(result)
    }

    /// The decrypted secrets of a stored connection (empty when it has none).
    async fn stored_secrets(&self, connection: &Connection) -> Result<BTreeMap<String, String>, EngineError> {
        let Some(text) = self.store.connection_secrets(connection.id).await? else {
            return Ok(BTreeMap::new());
        };
        let name = &connection.name;
        self.secret_box()?.decrypt(&text).map_err(|e| match e {
            SecretsError::Decrypt => EngineError::Secrets(format!(
                "cannot decrypt the secrets of connection {name}: was TORRO_SECRET_KEY changed? \
                 (restore the key, or re-enter the connection's secrets)"
            )),
            other => EngineError::Secrets(format!("cannot read the secrets of connection {name}: {other}")),
        })
    }

    /// The store row of a validated input with these (plain-text) secrets, encrypted.
    fn row(
        &self,
        input: &ConnectionInput,
        secrets: &BTreeMap<String, String>,
    ) -> Result<NewConnectionRow, EngineError> {
        let secrets_ciphertext = if secrets.is_empty() {
            None
        } else {
            Some(
                self.secret_box()?
                    .encrypt(secrets)
                    .map_err(|e| EngineError::Secrets(e.to_string()))?,
            )
        };
        Ok(NewConnectionRow {
            name: input.name.clone(),
            connector_type: input.connector_type,
            connection_type: input.connection_type.clone(),
            config: input.config.clone(),
            secret_names: secrets.keys().cloned().collect(),
            secrets_ciphertext,
            status: input.status.clone().unwrap_or_else(|| "active".into()),
            schedule: input.schedule.clone(),
            labels: input.labels.clone(),
        })
    }
}

fn default_connection_type(t: StorageType) -> &'static str {
    match t {
        StorageType::Local => "none",
        // The store's default credential chain (environment, instance metadata...).
        _ => "environment",
    }
}

/// The connector `auth` of a connection type; "none" (local) means no setting.
fn auth_of(connection_type: &str) -> Option<String> {
    match connection_type {
        "" | "none" => None,
        other => Some(other.to_string()),
    }
}

/// One connector config per container (see [`Connections::connector_configs`]).
pub fn connector_configs_of(
    connector_type: StorageType,
    connection_type: &str,
    settings: &ConnectionSettings,
    secrets: &BTreeMap<String, String>,
) -> Vec<ConnectorConfig> {
    let auth = auth_of(connection_type);
    let config = |container: String| ConnectorConfig {
        storage_type: connector_type,
        account: settings.account.clone(),
        container,
        auth: auth.clone(),
        endpoint: settings.endpoint.clone(),
        region: settings.region.clone(),
        options: settings.options.clone(),
        secrets: secrets.clone(),
    };
    match connector_type {
        StorageType::Local => {
            let root = Path::new(settings.root.as_deref().unwrap_or_default());
            if settings.containers.is_empty() {
                vec![config(root.display().to_string())]
            } else {
                settings
                    .containers
                    .iter()
                    .map(|c| config(root.join(c).display().to_string()))
                    .collect()
            }
        }
        _ => settings.containers.iter().cloned().map(config).collect(),
    }
}

/// Opens and tests each config; never fails, never lets a secret value into a message.
pub async fn test_configs(configs: &[ConnectorConfig]) -> ConnectionTest {
    let mut results = Vec::with_capacity(configs.len());
    for config in configs {
        let outcome = match torro_connectors::open(config) {
            Err(e) => Err(e.to_string()),
            Ok(source) => match tokio::time::timeout(TEST_TIMEOUT, source.test_connection()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!(
                    "no answer within {} s; check the endpoint and network",
                    TEST_TIMEOUT.as_secs()
                )),
            },
        };
        let error = outcome.err().map(|message| redact(&message, &config.secrets));
        results.push(ContainerTest {
            container: config.container.clone(),
            ok: error.is_none(),
            error,
        });
    }
    ConnectionTest {
        ok: results.iter().all(|r| r.ok),
        results,
    }
}

/// The connector settings of a database connection; InvalidInput when they are incomplete.
fn database_config_of(
    kind: StorageType,
    settings: &ConnectionSettings,
    secrets: &BTreeMap<String, String>,
) -> Result<DatabaseConfig, EngineError> {
    let database = settings.database.clone().unwrap_or_default();
    DatabaseConfig::resolve(kind, &database, secrets).map_err(|e| invalid(e.field, e.message))
}

/// Connects to the database and runs one query; never fails, never shows a secret.
pub async fn test_database(config: &DatabaseConfig) -> ConnectionTest {
    let outcome = match torro_connectors::database::open(config) {
        Err(e) => Err(e.to_string()),
        Ok(source) => match tokio::time::timeout(TEST_TIMEOUT, source.test_connection()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "no answer within {} s; check the host, port and network",
                TEST_TIMEOUT.as_secs()
            )),
        },
    };
    let error = outcome.err().map(|message| redact(&message, &config.secrets));
    ConnectionTest {
        ok: error.is_none(),
        results: vec![ContainerTest {
            container: config.namespace(),
            ok: error.is_none(),
            error,
        }],
    }
}

/// `message` with every secret value replaced by `***`.
fn redact(message: &str, secrets: &BTreeMap<String, String>) -> String {
    let mut out = message.to_string();
    for value in secrets.values().filter(|v| v.len() >= 4) {
        out = out.replace(value.as_str(), "***");
    }
    out
}

/// The secrets an input sets: empty values mean "none given" and are dropped.
fn given_secrets(input: &ConnectionInput) -> BTreeMap<String, String> {
    input
        .secrets
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A light check of a 5-field cron expression (minute hour day-of-month month day-of-week):
/// five fields of digits, names, `*`, `/`, `,`, `-`, `?`, `L`, `W`, `#`, with numbers in range.
/// The scheduler parses it fully.
pub fn check_cron(expr: &str) -> Result<(), String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "schedule must be a 5-field cron expression (minute hour day month weekday), got {} fields in {expr:?}",
            fields.len()
        ));
    }
    const NAMES: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];
    const MAX: [u32; 5] = [59, 23, 31, 12, 7];
    for (i, field) in fields.iter().enumerate() {
        if !field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?' | '#'))
        {
            return Err(format!(
                "schedule: the {} field {field:?} has an invalid character",
                NAMES[i]
            ));
        }
        for number in field.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()) {
            let n: u32 = number
                .parse()
                .map_err(|_| format!("schedule: {number:?} is not a number"))?;
            // Step values (`*/90`) are not bounded by the field's range; others are.
            let is_step = field.contains(&format!("/{number}"));
            if !is_step && n > MAX[i] {
                return Err(format!(
                    "schedule: the {} field {field:?} is out of range (at most {})",
                    NAMES[i], MAX[i]
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretKey;
    use torro_model::SourceLabels;

    fn local_input(name: &str, root: &Path) -> ConnectionInput {
        ConnectionInput {
            name: name.into(),
            connector_type: StorageType::Local,
            connection_type: String::new(),
            config: ConnectionSettings {
                root: Some(root.display().to_string()),
                ..ConnectionSettings::default()
            },
            secrets: BTreeMap::new(),
            status: None,
            schedule: None,
            labels: SourceLabels::default(),
        }
    }

    fn azure_input(name: &str) -> ConnectionInput {
        ConnectionInput {
            name: name.into(),
            connector_type: StorageType::AzureBlob,
            connection_type: "account_key".into(),
            config: ConnectionSettings {
                account: Some("acct".into()),
                containers: vec!["raw".into()],
                ..ConnectionSettings::default()
            },
            secrets: [("account_key".to_string(), "super-secret-key".to_string())].into(),
            status: None,
            schedule: Some("0 2 * * *".into()),
            labels: SourceLabels::default(),
        }
    }

    async fn service() -> (Connections, torro_catalog::testing::TestDb) {
        let db = torro_catalog::testing::sqlite(true).await.unwrap();
        let key = SecretKey::generate().unwrap();
        (Connections::new(db.store.clone(), Some(SecretBox::new(&key))), db)
    }

    fn field_of(e: EngineError) -> String {
        match e {
            EngineError::InvalidInput { field, .. } => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        let dir = Path::new("/data");
        let mut i = local_input(" ", dir);
        assert_eq!(field_of(Connections::validate(&i).unwrap_err()), "name");
        i.name = "x".into();
        i.config.root = None;
        assert_eq!(field_of(Connections::validate(&i).unwrap_err()), "config.root");
        i.config.root = Some("relative/dir".into());
        assert_eq!(field_of(Connections::validate(&i).unwrap_err()), "config.root");
        i.config.root = Some("/data".into());
        i.config.containers = vec!["../etc".into()];
        assert_eq!(field_of(Connections::validate(&i).unwrap_err()), "config.containers[0]");

        let mut a = azure_input("a");
        a.config.account = None;
        assert_eq!(field_of(Connections::validate(&a).unwrap_err()), "config.account");
        let mut a = azure_input("a");
        a.config.containers.clear();
        assert_eq!(field_of(Connections::validate(&a).unwrap_err()), "config.containers");
        let mut s3 = azure_input("s");
        s3.connector_type = StorageType::S3;
        s3.secrets.clear();
        s3.config.containers.clear();
        assert_eq!(field_of(Connections::validate(&s3).unwrap_err()), "config.containers");

        let mut a = azure_input("a");
        a.secrets.insert("api_token".into(), "x".into());
        let err = Connections::validate(&a).unwrap_err();
        assert!(err.to_string().contains("allowed: secret_access_key"), "{err}");
        assert_eq!(field_of(err), "secrets.api_token");
        let mut a = azure_input("a");
        a.config.options.insert("account_key".into(), "oops".into());
        assert_eq!(
            field_of(Connections::validate(&a).unwrap_err()),
            "config.options.account_key"
        );
        let mut a = azure_input("a");
        a.status = Some("paused".into());
        assert_eq!(field_of(Connections::validate(&a).unwrap_err()), "status");
        for bad in ["* * *", "61 * * * *", "0 2 * * * *", "0 2 * * $"] {
            let mut a = azure_input("a");
            a.schedule = Some(bad.into());
            assert_eq!(field_of(Connections::validate(&a).unwrap_err()), "schedule", "{bad}");
        }
        for good in ["*/15 * * * *", "0 2 * * MON-FRI", "0 0 1,15 * ?", "*/90 * * * *"] {
            assert!(check_cron(good).is_ok(), "{good}");
        }

        let ok = Connections::validate(&local_input(" lake ", dir)).unwrap();
        assert_eq!((ok.name.as_str(), ok.connection_type.as_str()), ("lake", "none"));
        assert_eq!(ok.status.as_deref(), Some("active"));
        assert_eq!(ok.labels.source_name, "lake");
    }

    #[tokio::test]
    async fn secrets_merge_on_update_and_never_reach_the_store_in_plain_text() {
        let (svc, db) = service().await;
        let c = svc.create(&azure_input("az"), &Actor::system("alice")).await.unwrap();
        assert_eq!(c.secret_names, ["account_key"]);
        let stored = db.store.connection_secrets(c.id).await.unwrap().unwrap();
        assert!(stored.starts_with("v1:") && !stored.contains("super-secret-key"));

        // Omitted secrets are kept.
        let mut keep = azure_input("az");
        keep.secrets.clear();
        keep.config.containers = vec!["raw".into(), "curated".into()];
        let u = svc.update(c.id, &keep, &Actor::system("bob")).await.unwrap();
        assert_eq!(u.secret_names, ["account_key"]);
        let configs = svc.connector_configs(&u).await.unwrap();
        assert_eq!(configs.len(), 2);
        assert_eq!(configs[1].container, "curated");
        assert_eq!(configs[0].secrets["account_key"], "super-secret-key");
        assert_eq!(configs[0].auth.as_deref(), Some("account_key"));

        // A new one is added, an empty one removes.
        let mut change = keep.clone();
        change.secrets = [
            ("account_key".to_string(), String::new()),
            ("sas_token".to_string(), "sv=1&sig=zz".to_string()),
        ]
        .into();
        let u = svc.update(c.id, &change, &Actor::system("bob")).await.unwrap();
        assert_eq!(u.secret_names, ["sas_token"]);
        let configs = svc.connector_configs(&u).await.unwrap();
        assert_eq!(
            configs[0].secrets,
            [("sas_token".to_string(), "sv=1&sig=zz".to_string())].into()
        );

        // Removing the last secret leaves no ciphertext.
        let mut none = keep.clone();
        none.secrets = [("sas_token".to_string(), String::new())].into();
        let u = svc.update(c.id, &none, &Actor::system("bob")).await.unwrap();
        assert!(u.secret_names.is_empty());
        assert_eq!(db.store.connection_secrets(c.id).await.unwrap(), None);
        db.drop_database().await;
    }

    #[tokio::test]
    async fn a_changed_key_gives_a_clear_error() {
        let (svc, db) = service().await;
        let c = svc
            .create(&azure_input("finance"), &Actor::system("alice"))
            .await
            .unwrap();
        let other = Connections::new(db.store.clone(), Some(SecretBox::new(&SecretKey::generate().unwrap())));
        let err = other.connector_configs(&c).await.unwrap_err();
        assert_eq!(
            err.to_string().split(" (").next().unwrap(),
            "cannot decrypt the secrets of connection finance: was TORRO_SECRET_KEY changed?"
        );
        // Without any key, secrets cannot be stored.
        let keyless = Connections::new(db.store.clone(), None);
        let err = keyless
            .create(&azure_input("other"), &Actor::system("alice"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("TORRO_SECRET_KEY"), "{err}");
        db.drop_database().await;
    }

    #[tokio::test]
    async fn local_connections_test_each_container_folder() {
        let (svc, db) = service().await;
        let lake = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(lake.path().join("raw")).unwrap();
        let mut input = local_input("lake", lake.path());
        let result = svc.test_config(&input).await.unwrap();
        assert!(result.ok, "{result:?}");
        assert_eq!(result.results[0].container, lake.path().display().to_string());

        input.config.containers = vec!["raw".into(), "missing".into()];
        let result = svc.test_config(&input).await.unwrap();
        assert!(!result.ok);
        assert!(result.results[0].ok);
        let failed = &result.results[1];
        assert!(!failed.ok && failed.container.ends_with("missing"));
        assert!(failed.error.as_deref().unwrap().contains("missing"), "{failed:?}");

        let c = svc.create(&input, &Actor::system("alice")).await.unwrap();
        let result = svc.test(c.id).await.unwrap();
        assert!(!result.ok);
        let c = svc.get(c.id).await.unwrap();
        assert!(c.last_tested_at.is_some());
        assert!(c.last_test_error.as_deref().unwrap().contains("missing"));
        std::fs::create_dir_all(lake.path().join("missing")).unwrap();
        assert!(svc.test(c.id).await.unwrap().ok);
        assert_eq!(svc.get(c.id).await.unwrap().last_test_error, None);

        assert!(matches!(
            svc.test(c.id + 10).await,
            Err(EngineError::Catalog(CatalogError::NotFound(_)))
        ));
        db.drop_database().await;
    }

    #[test]
    fn test_errors_never_show_secret_values() {
        let secrets = [("account_key".to_string(), "s3cr3t-value".to_string())].into();
        assert_eq!(
            redact("bad key s3cr3t-value in request", &secrets),
            "bad key *** in request"
        );
    }
}
