//! Builds S3, Azure Blob and GCS sources from a [`ConnectorConfig`]. All checks of the
//! settings happen here, before any request: a missing or malformed setting is a
//! `SourceError::Config` that names it. Secrets never appear in these messages.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};
use torro_model::{ConnectorConfig, StorageLocation, StorageType};

use crate::SourceError;
use crate::cloud::{CountingConnector, ObjectStoreSource, SourceContext};

/// Azurite's well-known development account and key (public, documented by Microsoft).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const DEFAULT_MAX_RETRIES: usize = 3;
const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
const DEFAULT_CONNECT_TIMEOUT_SECONDS: u64 = 5;
const DEFAULT_RETRY_TIMEOUT_SECONDS: u64 = 60;

/// Reads settings out of a config, with errors that name the setting.
struct Settings<'a> {
    config: &'a ConnectorConfig,
}

impl<'a> Settings<'a> {
    /// What error messages may name (endpoint, auth method) and must scrub (secret values).
    fn context(&self, endpoint: Option<&url::Url>, default_endpoint: &str, credentials: &str) -> SourceContext {
        SourceContext {
            endpoint: endpoint
                .map(|u| u.as_str().trim_end_matches('/').to_string())
                .unwrap_or_else(|| default_endpoint.to_string()),
            credentials: credentials.into(),
            secrets: self.secret_values(),
        }
    }

    fn kind(&self) -> StorageType {
        self.config.storage_type
    }

    fn option(&self, key: &str) -> Option<&'a str> {
        self.config.options.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn secret(&self, key: &str) -> Option<&'a str> {
        self.config.secrets.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn auth_name(&self) -> &'a str {
        self.config.auth.as_deref().unwrap_or("default")
    }

    fn required_option(&self, key: &str) -> Result<&'a str, SourceError> {
        self.option(key).ok_or_else(|| {
            SourceError::Config(format!(
                "{} connection with auth {}: option {key} is missing",
                self.kind(),
                self.auth_name()
            ))
        })
    }

    fn required_secret(&self, key: &str) -> Result<&'a str, SourceError> {
        self.secret(key).ok_or_else(|| {
            SourceError::Config(format!(
                "{} connection with auth {}: secret {key} is missing",
                self.kind(),
                self.auth_name()
            ))
        })
    }

    fn bool_option(&self, key: &str, default: bool) -> Result<bool, SourceError> {
        match self.option(key).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" || v == "1" || v == "yes" => Ok(true),
            Some(v) if v == "false" || v == "0" || v == "no" => Ok(false),
            Some(v) => Err(SourceError::Config(format!(
                "option {key} must be \"true\" or \"false\", not {v:?}"
            ))),
        }
    }

    fn number_option(&self, key: &str, default: u64) -> Result<u64, SourceError> {
        match self.option(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| SourceError::Config(format!("option {key} must be a whole number, not {v:?}"))),
        }
    }

    fn container(&self) -> Result<&'a str, SourceError> {
        let container = self.config.container.trim();
        if container.is_empty() || container.contains('/') {
            let what = if self.kind() == StorageType::AzureBlob {
                "container"
            } else {
                "bucket"
            };
            return Err(SourceError::Config(format!(
                "{} connection: container must be a {what} name (no slashes), not {container:?}",
                self.kind()
            )));
        }
        Ok(container)
    }

    /// The custom endpoint, checked to be an http(s) URL with a host.
    fn endpoint(&self) -> Result<Option<url::Url>, SourceError> {
        let Some(raw) = self.config.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
            return Ok(None);
        };
        parse_endpoint(raw).map(Some)
    }

    /// Plain HTTP is allowed when option allow_http says so, or by default when the
    /// endpoint itself is written `http://` (emulators, MinIO on a private network).
    fn allow_http(&self, endpoint: Option<&url::Url>) -> Result<bool, SourceError> {
        let default = endpoint.is_some_and(|e| e.scheme() == "http");
        let allow = self.bool_option("allow_http", default)?;
        if let Some(e) = endpoint.filter(|e| e.scheme() == "http" && !allow) {
            return Err(SourceError::Config(format!(
                "endpoint {e} uses plain http but option allow_http is \"false\": use https or set allow_http = \"true\""
            )));
        }
        Ok(allow)
    }

    /// Timeouts and retries: exponential backoff with jitter on 429, 5xx, connection
    /// errors and timeouts, `max_retries` times, within `retry_timeout_seconds` in all.
    fn client_and_retry(&self, allow_http: bool) -> Result<(ClientOptions, RetryConfig), SourceError> {
        let timeout = self.number_option("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)?;
        let connect = self.number_option("connect_timeout_seconds", DEFAULT_CONNECT_TIMEOUT_SECONDS)?;
        let max_retries = self.number_option("max_retries", DEFAULT_MAX_RETRIES as u64)?;
        let retry_timeout = self.number_option("retry_timeout_seconds", DEFAULT_RETRY_TIMEOUT_SECONDS)?;
        if timeout == 0 || connect == 0 {
            return Err(SourceError::Config(
                "options timeout_seconds and connect_timeout_seconds must be at least 1".into(),
            ));
        }
        let client = ClientOptions::new()
            .with_allow_http(allow_http)
            .with_timeout(Duration::from_secs(timeout))
            .with_connect_timeout(Duration::from_secs(connect));
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: max_retries.min(20) as usize,
            retry_timeout: Duration::from_secs(retry_timeout),
        };
        Ok((client, retry))
    }

    fn unknown_auth(&self, expected: &str) -> SourceError {
        SourceError::Config(format!(
            "{} connection: unknown auth method {:?}; expected one of {expected}",
            self.kind(),
            self.auth_name()
        ))
    }

    fn secret_values(&self) -> Vec<String> {
        self.config.secrets.values().map(|v| v.trim().to_string()).collect()
    }
}

pub(crate) fn parse_endpoint(raw: &str) -> Result<url::Url, SourceError> {
    let bad = |why: &str| SourceError::Config(format!("endpoint {raw:?} is not a valid URL: {why}"));
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("it must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    Ok(url)
}

/// `host:port` of an endpoint, the account of sources on custom S3 endpoints.
fn host_port(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn config_error(kind: StorageType, e: object_store::Error, secrets: &SourceContext) -> SourceError {
    SourceError::Config(secrets.redact(&format!("{kind} connection: {e}")))
}

/// S3 and S3-compatible stores (MinIO, SeaweedFS, Ceph, R2, ...).
pub(crate) fn open_s3(config: &ConnectorConfig) -> Result<ObjectStoreSource, SourceError> {
    let s = Settings { config };
    let bucket = s.container()?;
    let endpoint = s.endpoint()?;
    let allow_http = s.allow_http(endpoint.as_ref())?;
    let (client, retry) = s.client_and_retry(allow_http)?;
    let (mut builder, credentials) = match config.auth.as_deref() {
        Some("access_key") => {
            let mut b = AmazonS3Builder::new()
                .with_access_key_id(s.required_option("access_key_id")?)
                .with_secret_access_key(s.required_secret("secret_access_key")?);
            if let Some(token) = s.secret("session_token") {
                b = b.with_token(token);
            }
            (b, "the access key id and secret access key")
        }
        None | Some("environment") => (
            AmazonS3Builder::from_env(),
            "the AWS credentials in the environment (AWS_ACCESS_KEY_ID, profile, instance role)",
        ),
        Some("anonymous") => (
            AmazonS3Builder::new().with_skip_signature(true),
            "whether the bucket allows anonymous reads",
        ),
        Some(_) => return Err(s.unknown_auth("access_key, environment, anonymous")),
    };
    builder = builder.with_bucket_name(bucket);
    if let Some(region) = config.region.as_deref().filter(|r| !r.trim().is_empty()) {
        builder = builder.with_region(region.trim());
    } else if endpoint.is_some() {
        // S3-compatible stores ignore the region but signing needs one.
        builder = builder.with_region("us-east-1");
    }
    let account = match &endpoint {
        Some(url) => {
            builder = builder
                .with_endpoint(url.as_str().trim_end_matches('/'))
                .with_virtual_hosted_style_request(s.bool_option("virtual_hosted_style", false)?);
            host_port(url)
        }
        None => {
            builder = builder.with_virtual_hosted_style_request(s.bool_option("virtual_hosted_style", false)?);
            String::new()
        }
    };
    let connector = CountingConnector::default();
    let context = s.context(endpoint.as_ref(), "https://s3.amazonaws.com", credentials);
    let store = builder
        .with_client_options(client)
        .with_retry(retry)
        .with_http_connector(connector.clone())
        .build()
        .map_err(|e| config_error(StorageType::S3, e, &context))?;
    let location = StorageLocation {
        storage_type: StorageType::S3,
        account,
        container: bucket.to_string(),
    };
    Ok(ObjectStoreSource::with_counting(
        Arc::new(store),
        location,
        context,
        &connector,
    ))
}

/// The parts of an Azure storage connection string Torro uses.
#[derive(Default, PartialEq, Eq)]
pub(crate) struct ConnectionString {
    pub account_name: Option<String>,
    pub account_key: Option<String>,
    pub blob_endpoint: Option<String>,
    pub sas: Option<String>,
    pub protocol: Option<String>,
    pub endpoint_suffix: Option<String>,
    pub development: bool,
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionString")
            .field("account_name", &self.account_name)
            .field("account_key", &self.account_key.as_ref().map(|_| "***"))
            .field("blob_endpoint", &self.blob_endpoint)
            .field("sas", &self.sas.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// Parses `Key=Value;Key=Value` (values may contain `=`, as keys and SAS tokens do).
pub(crate) fn parse_connection_string(text: &str) -> Result<ConnectionString, SourceError> {
    let mut out = ConnectionString::default();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(SourceError::Config(
                "secret connection_string is malformed: expected Key=Value pairs separated by ';'".into(),
            ));
        };
        let value = Some(value.trim().to_string());
        match key.trim().to_ascii_lowercase().as_str() {
            "accountname" => out.account_name = value,
            "accountkey" => out.account_key = value,
            "blobendpoint" => out.blob_endpoint = value,
            "sharedaccesssignature" => out.sas = value,
            "defaultendpointsprotocol" => out.protocol = value,
            "endpointsuffix" => out.endpoint_suffix = value,
            "usedevelopmentstorage" => out.development = value.as_deref() == Some("true"),
            _ => {}
        }
    }
    Ok(out)
}

/// Azure Blob Storage (and Azurite).
pub(crate) fn open_azure(config: &ConnectorConfig) -> Result<ObjectStoreSource, SourceError> {
    let s = Settings { config };
    let container = s.container()?;
    let mut account = config
        .account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from);
    let mut endpoint_text = config
        .endpoint
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(String::from);
    let mut use_emulator = s.bool_option("use_emulator", false)?;

    let mut builder = MicrosoftAzureBuilder::new();
    let credentials = match config.auth.as_deref() {
        Some("connection_string") => {
            let cs = parse_connection_string(s.required_secret("connection_string")?)?;
            use_emulator |= cs.development;
            account = cs.account_name.clone().or(account);
            if endpoint_text.is_none() {
                endpoint_text = cs.blob_endpoint.clone().or_else(|| {
                    let account = account.as_deref()?;
                    let suffix = cs.endpoint_suffix.as_deref()?;
                    let protocol = cs.protocol.as_deref().unwrap_or("https");
                    Some(format!("{protocol}://{account}.blob.{suffix}"))
                });
            }
            if let Some(key) = &cs.account_key {
                builder = builder.with_access_key(key);
            } else if let Some(sas) = &cs.sas {
                builder = builder.with_config(AzureConfigKey::SasKey, sas.trim_start_matches('?'));
            } else if !cs.development {
                return Err(SourceError::Config(
                    "secret connection_string has neither AccountKey nor SharedAccessSignature".into(),
                ));
            }
            "the connection string (account name and key or SAS)"
        }
        Some("account_key") => {
            builder = builder.with_access_key(s.required_secret("account_key")?);
            "the account name and account key"
        }
        Some("sas_token") => {
            let sas = s.required_secret("sas_token")?.trim_start_matches('?');
            builder = builder.with_config(AzureConfigKey::SasKey, sas);
            "the SAS token (its permissions must include read and list, and it must not be expired)"
        }
        Some("service_principal") => {
            builder = builder.with_client_secret_authorization(
                s.required_option("client_id")?,
                s.required_secret("client_secret")?,
                s.required_option("tenant_id")?,
            );
            "the service principal (client id, tenant id, client secret) and its role on the account"
        }
        Some("managed_identity") => {
            builder = builder.with_credential_type("managed_identity");
            if let Some(id) = s.option("client_id") {
                builder = builder.with_client_id(id);
            }
            "the managed identity and its role on the account"
        }
        Some("azure_cli") => {
            builder = builder.with_use_azure_cli(true);
            "the Azure CLI login (az login) and its role on the account"
        }
        Some("anonymous") => {
            builder = builder.with_skip_signature(true);
            "whether the container allows anonymous reads"
        }
        None | Some("environment") => {
            if use_emulator {
                builder = builder.with_access_key(AZURITE_KEY);
                "the emulator's account key"
            } else {
                builder = MicrosoftAzureBuilder::from_env();
                "the Azure credentials in the environment (AZURE_STORAGE_*, managed identity)"
            }
        }
        Some(_) => {
            return Err(s.unknown_auth(
                "connection_string, account_key, sas_token, service_principal, managed_identity, azure_cli, anonymous, environment",
            ));
        }
    };

    if use_emulator {
        // object_store's emulator mode reads Azurite's address only from the environment
        // (AZURITE_BLOB_STORAGE_URL), so point at it as an ordinary endpoint instead: with
        // the account in the path, requests and signatures are the same.
        let name = account.get_or_insert_with(|| AZURITE_ACCOUNT.to_string()).clone();
        let raw = endpoint_text.unwrap_or_else(|| "http://127.0.0.1:10000".into());
        let mut url = parse_endpoint(&raw)?;
        if url.path().trim_matches('/').is_empty() {
            url.set_path(&name);
        }
        endpoint_text = Some(url.to_string());
    }
    let account = account.ok_or_else(|| {
        SourceError::Config(format!(
            "azure_blob connection with auth {}: account (the storage account name) is missing",
            s.auth_name()
        ))
    })?;
    let endpoint = endpoint_text.as_deref().map(parse_endpoint).transpose()?;
    let allow_http = s.allow_http(endpoint.as_ref())?;
    let (client, retry) = s.client_and_retry(allow_http)?;
    builder = builder.with_account(&account).with_container_name(container);
    if let Some(url) = &endpoint {
        builder = builder.with_endpoint(url.as_str().trim_end_matches('/').to_string());
    }
    let connector = CountingConnector::default();
    let context = s.context(
        endpoint.as_ref(),
        &format!("https://{account}.blob.core.windows.net"),
        credentials,
    );
    let store = builder
        .with_client_options(client)
        .with_retry(retry)
        .with_http_connector(connector.clone())
        .build()
        .map_err(|e| config_error(StorageType::AzureBlob, e, &context))?;
    let location = StorageLocation {
        storage_type: StorageType::AzureBlob,
        account,
        container: container.to_string(),
    };
    Ok(ObjectStoreSource::with_counting(
        Arc::new(store),
        location,
        context,
        &connector,
    ))
}

/// Google Cloud Storage (and fake-gcs-server).
pub(crate) fn open_gcs(config: &ConnectorConfig) -> Result<ObjectStoreSource, SourceError> {
    let s = Settings { config };
    let bucket = s.container()?;
    let endpoint = s.endpoint()?;
    let allow_http = s.allow_http(endpoint.as_ref())?;
    let (client, retry) = s.client_and_retry(allow_http)?;
    let (mut builder, credentials) = match config.auth.as_deref() {
        Some("service_account") => {
            let json = s.required_secret("service_account_json")?;
            if !looks_like_json_object(json) {
                return Err(SourceError::Config(
                    "secret service_account_json is not a JSON object: paste the whole key file".into(),
                ));
            }
            (
                GoogleCloudStorageBuilder::new().with_service_account_key(json),
                "the service account key and its role on the bucket",
            )
        }
        Some("anonymous") => (
            GoogleCloudStorageBuilder::new().with_skip_signature(true),
            "whether the bucket allows anonymous reads",
        ),
        None | Some("environment") => (
            GoogleCloudStorageBuilder::from_env(),
            "the application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud login)",
        ),
        Some(_) => return Err(s.unknown_auth("service_account, anonymous, environment")),
    };
    builder = builder.with_bucket_name(bucket);
    if let Some(url) = &endpoint {
        builder = builder.with_base_url(url.as_str().trim_end_matches('/'));
    }
    let connector = CountingConnector::default();
    let context = s.context(endpoint.as_ref(), "https://storage.googleapis.com", credentials);
    let store = builder
        .with_client_options(client)
        .with_retry(retry)
        .with_http_connector(connector.clone())
        .build()
        .map_err(|e| config_error(StorageType::Gcs, e, &context))?;
    let location = StorageLocation {
        storage_type: StorageType::Gcs,
        account: String::new(),
        container: bucket.to_string(),
    };
    Ok(ObjectStoreSource::with_counting(
        Arc::new(store),
        location,
        context,
        &connector,
    ))
}

/// A cheap shape check of a service account key, without a JSON parser dependency.
fn looks_like_json_object(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{') && t.ends_with('}')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config(
        kind: StorageType,
        auth: Option<&str>,
        options: &[(&str, &str)],
        secrets: &[(&str, &str)],
    ) -> ConnectorConfig {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        ConnectorConfig {
            storage_type: kind,
            account: None,
            container: "lake".into(),
            auth: auth.map(String::from),
            endpoint: None,
            region: None,
            options: map(options),
            secrets: map(secrets),
        }
    }

    fn config_error_of(result: Result<ObjectStoreSource, SourceError>) -> String {
        match result {
            Err(SourceError::Config(message)) => message,
            Err(other) => panic!("expected a config error, got {other:?}"),
            Ok(source) => panic!("expected a config error, got {source:?}"),
        }
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn s3_access_key_needs_both_halves_and_names_the_missing_one() {
        let no_id = config(
            StorageType::S3,
            Some("access_key"),
            &[],
            &[("secret_access_key", SECRET)],
        );
        let message = config_error_of(open_s3(&no_id));
        assert!(message.contains("option access_key_id is missing"), "{message}");
        let no_secret = config(StorageType::S3, Some("access_key"), &[("access_key_id", "AKIA1")], &[]);
        let message = config_error_of(open_s3(&no_secret));
        assert!(message.contains("secret secret_access_key is missing"), "{message}");
    }

    #[test]
    fn s3_on_aws_has_no_account_and_a_custom_endpoint_is_its_account() {
        let mut c = config(
            StorageType::S3,
            Some("access_key"),
            &[("access_key_id", "AKIA1")],
            &[("secret_access_key", SECRET), ("session_token", "tok")],
        );
        c.region = Some("eu-west-1".into());
        let aws = open_s3(&c).unwrap();
        assert_eq!(aws.location_for_tests().account, "");
        assert_eq!(aws.location_for_tests().urn("raw/a.csv"), "s3://lake/raw/a.csv");

        c.endpoint = Some("http://minio.internal:9000/".into());
        let minio = open_s3(&c).unwrap();
        assert_eq!(minio.location_for_tests().account, "minio.internal:9000");
        assert_eq!(minio.location_for_tests().urn("raw/a.csv"), "s3://lake/raw/a.csv");
        let debug = format!("{minio:?}");
        assert!(!debug.contains(SECRET) && !debug.contains("tok\""), "{debug}");
    }

    #[test]
    fn bad_endpoints_and_plain_http_without_consent_are_rejected() {
        let mut c = config(
            StorageType::S3,
            Some("anonymous"),
            &[],
            &[("secret_access_key", SECRET)],
        );
        for bad in ["not a url", "ftp://host/x", "http://"] {
            c.endpoint = Some(bad.into());
            let message = config_error_of(open_s3(&c));
            assert!(message.contains("is not a valid URL"), "{bad}: {message}");
            assert!(!message.contains(SECRET));
        }
        c.endpoint = Some("http://127.0.0.1:9000".into());
        c.options.insert("allow_http".into(), "false".into());
        let message = config_error_of(open_s3(&c));
        assert!(message.contains("allow_http"), "{message}");
        c.options.insert("allow_http".into(), "maybe".into());
        let message = config_error_of(open_s3(&c));
        assert!(message.contains("option allow_http must be"), "{message}");
    }

    #[test]
    fn unknown_auth_methods_list_the_known_ones() {
        for kind in [StorageType::S3, StorageType::AzureBlob, StorageType::Gcs] {
            let mut c = config(kind, Some("password"), &[], &[]);
            c.account = Some("acct".into());
            let result = match kind {
                StorageType::S3 => open_s3(&c),
                StorageType::AzureBlob => open_azure(&c),
                _ => open_gcs(&c),
            };
            let message = config_error_of(result);
            assert!(message.contains("unknown auth method \"password\""), "{message}");
            assert!(message.contains("expected one of"), "{message}");
        }
    }

    #[test]
    fn retries_and_timeouts_are_validated() {
        let mut c = config(StorageType::Gcs, Some("anonymous"), &[("max_retries", "many")], &[]);
        assert!(config_error_of(open_gcs(&c)).contains("option max_retries must be a whole number"));
        c.options = [("timeout_seconds".to_string(), "0".to_string())].into();
        assert!(config_error_of(open_gcs(&c)).contains("timeout_seconds"));
        c.options = [("max_retries".to_string(), "5".to_string())].into();
        let source = open_gcs(&c).unwrap();
        assert_eq!(source.location_for_tests().urn("a/b.parquet"), "gs://lake/a/b.parquet");
    }

    #[test]
    fn azure_needs_an_account_and_each_auth_its_settings() {
        let c = config(
            StorageType::AzureBlob,
            Some("account_key"),
            &[],
            &[("account_key", AZURITE_KEY)],
        );
        assert!(config_error_of(open_azure(&c)).contains("account (the storage account name) is missing"));
        let mut c = config(
            StorageType::AzureBlob,
            Some("service_principal"),
            &[("client_id", "app")],
            &[("client_secret", SECRET)],
        );
        c.account = Some("acct".into());
        let message = config_error_of(open_azure(&c));
        assert!(message.contains("option tenant_id is missing"), "{message}");
        let mut c = config(StorageType::AzureBlob, Some("sas_token"), &[], &[]);
        c.account = Some("acct".into());
        assert!(config_error_of(open_azure(&c)).contains("secret sas_token is missing"));
        c.secrets
            .insert("sas_token".into(), "?sv=2022-11-02&ss=b&sig=abc%3D".into());
        let source = open_azure(&c).unwrap();
        assert_eq!(
            source.location_for_tests().urn("x.csv"),
            "abfss://lake@acct.dfs.core.windows.net/x.csv"
        );
    }

    #[test]
    fn azure_connection_strings_and_the_emulator() {
        let text = format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
        );
        let cs = parse_connection_string(&text).unwrap();
        assert_eq!(cs.account_name.as_deref(), Some("devstoreaccount1"));
        assert_eq!(cs.account_key.as_deref(), Some(AZURITE_KEY));
        assert!(!format!("{cs:?}").contains(AZURITE_KEY));
        assert!(parse_connection_string("AccountName").is_err());

        let c = config(
            StorageType::AzureBlob,
            Some("connection_string"),
            &[],
            &[("connection_string", &text)],
        );
        let source = open_azure(&c).unwrap();
        assert_eq!(source.location_for_tests().account, "devstoreaccount1");
        let bad = config(
            StorageType::AzureBlob,
            Some("connection_string"),
            &[],
            &[("connection_string", "AccountName=a;EndpointSuffix=core.windows.net")],
        );
        assert!(config_error_of(open_azure(&bad)).contains("neither AccountKey nor SharedAccessSignature"));

        let mut emulator = config(StorageType::AzureBlob, None, &[("use_emulator", "true")], &[]);
        emulator.endpoint = Some("http://127.0.0.1:10001".into());
        let source = open_azure(&emulator).unwrap();
        assert_eq!(source.location_for_tests().account, AZURITE_ACCOUNT);
        assert_eq!(
            source.context_for_tests().endpoint,
            "http://127.0.0.1:10001/devstoreaccount1"
        );
    }

    #[test]
    fn gcs_service_account_must_be_a_json_key_and_is_never_shown() {
        let c = config(
            StorageType::Gcs,
            Some("service_account"),
            &[],
            &[("service_account_json", "not json")],
        );
        let message = config_error_of(open_gcs(&c));
        assert!(
            message.contains("service_account_json is not a JSON object"),
            "{message}"
        );
        assert!(!message.contains("not json"));
        let c = config(StorageType::Gcs, Some("service_account"), &[], &[]);
        assert!(config_error_of(open_gcs(&c)).contains("secret service_account_json is missing"));
    }

    #[test]
    fn bucket_names_with_slashes_are_rejected() {
        let mut c = config(StorageType::Gcs, Some("anonymous"), &[], &[]);
        c.container = "lake/raw".into();
        assert!(config_error_of(open_gcs(&c)).contains("must be a bucket name"));
    }
}
