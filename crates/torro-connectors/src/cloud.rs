//! S3, Azure Blob and GCS: one [`ObjectStoreSource`] over any `object_store` store.
//! Listing streams page by page; reads are one bounded ranged GET each; every failure
//! becomes a message that says what to fix, with no secret in it.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService, ReqwestConnector,
};
use object_store::path::Path;
use object_store::{ClientOptions, GetOptions, GetRange, ObjectMeta, ObjectStore};
use torro_model::{StorageLocation, StorageType};

use crate::{ListEntry, ObjectInfo, ObjectSource, SourceError, SourceStats};

/// What error messages say about a source: where it is and how it signs in.
/// Holds the secret values only to scrub them from messages; `Debug` never shows them.
#[derive(Clone, Default)]
pub struct SourceContext {
    /// The address requests go to, as configured (`https://s3.amazonaws.com` when default).
    pub endpoint: String,
    /// What the credentials are, for "check the ..." hints (e.g. "access key id and secret access key").
    pub credentials: String,
    pub(crate) secrets: Vec<String>,
}

impl std::fmt::Debug for SourceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceContext")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("secrets", &format_args!("[{} hidden]", self.secrets.len()))
            .finish()
    }
}

impl SourceContext {
    /// Replaces every secret value (and SAS signatures) in `text` with `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets.iter().filter(|s| s.len() >= 4) {
            out = out.replace(secret.as_str(), "***");
        }
        redact_query_param(&out, "sig=")
    }
}

fn redact_query_param(text: &str, key: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        let (head, tail) = rest.split_at(i + key.len());
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '&' || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        out.push_str("***");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A bucket or container on S3, Azure Blob or GCS (or anything `object_store` reaches).
pub struct ObjectStoreSource {
    store: Arc<dyn ObjectStore>,
    location: StorageLocation,
    context: SourceContext,
    stats: Arc<SourceStats>,
    /// True when [`CountingConnector`] counts list pages at the HTTP layer; otherwise each
    /// `list` call counts as one request.
    counts_pages: bool,
}

impl std::fmt::Debug for ObjectStoreSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStoreSource")
            .field("location", &self.location)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl ObjectStoreSource {
    /// A source over `store`, whose paths are relative to `location.container`.
    /// Each `list` call counts as one list request.
    pub fn new(store: Arc<dyn ObjectStore>, location: StorageLocation, context: SourceContext) -> Self {
        ObjectStoreSource {
            store,
            location,
            context,
            stats: Arc::new(SourceStats::default()),
            counts_pages: false,
        }
    }

    /// As [`ObjectStoreSource::new`], for a store built with `connector`, which counts
    /// every list page (HTTP request) into this source's stats.
    pub(crate) fn with_counting(
        store: Arc<dyn ObjectStore>,
        location: StorageLocation,
        context: SourceContext,
        connector: &CountingConnector,
    ) -> Self {
        ObjectStoreSource {
            store,
            location,
            context,
            stats: connector.stats.clone(),
            counts_pages: true,
        }
    }

    #[cfg(test)]
    pub(crate) fn location_for_tests(&self) -> &StorageLocation {
        &self.location
    }

    #[cfg(test)]
    pub(crate) fn context_for_tests(&self) -> &SourceContext {
        &self.context
    }

    fn container_word(&self) -> &'static str {
        match self.location.storage_type {
            StorageType::AzureBlob => "container",
            _ => "bucket",
        }
    }

    /// Turns an `object_store` error into one that says what to fix. `path` is the object
    /// (or prefix) the request was about.
    fn map_error(&self, err: object_store::Error, path: &str, listing: bool) -> SourceError {
        let what = self.container_word();
        let container = &self.location.container;
        let endpoint = &self.context.endpoint;
        let detail = self.context.redact(&short(&err.to_string()));
        // Some calls (listings) wrap HTTP failures as `Generic`; their text keeps the status.
        let status = status_in(&detail);
        let not_found = matches!(err, object_store::Error::NotFound { .. })
            || status == Some(404)
            // S3, Azure, and fake-gcs-server (which answers 500 for a missing bucket).
            || ["NoSuchBucket", "ContainerNotFound", "no bucket named"]
                .iter()
                .any(|code| detail.contains(code));
        let denied = matches!(
            err,
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
        ) || matches!(status, Some(401 | 403));
        let message = match () {
            _ if not_found && !listing => {
                return SourceError::NotFound { path: path.to_string() };
            }
            _ if not_found => {
                format!("{what} {container} does not exist at {endpoint}: check the {what} name ({detail})")
            }
            _ if denied => format!(
                "access denied to {what} {container} at {endpoint}: check the credentials ({}) and their permissions ({detail})",
                self.context.credentials
            ),
            _ => match http_error_kind(&err) {
                Some(HttpErrorKind::Connect) => {
                    format!("cannot reach {endpoint}: is the endpoint right and the service up? ({detail})")
                }
                Some(HttpErrorKind::Timeout) => format!(
                    "{endpoint} did not answer in time: check the endpoint and network, or raise option timeout_seconds ({detail})"
                ),
                _ if detail.contains("redirect") || detail.contains("AuthorizationHeaderMalformed") => format!(
                    "{what} {container} is in another region than the one configured: set the right region ({detail})"
                ),
                _ if detail.contains("status code: 5") || detail.contains("status code: 429") => format!(
                    "{endpoint} kept failing after retries; try again later or raise option max_retries ({detail})"
                ),
                _ => format!("{what} {container} at {endpoint}: {detail}"),
            },
        };
        SourceError::Io {
            path: if path.is_empty() {
                self.location.urn("")
            } else {
                self.location.urn(path)
            },
            message,
        }
    }
}

/// The HTTP status in an `object_store` error text ("... status code: 403 Forbidden ...").
fn status_in(text: &str) -> Option<u16> {
    let at = text.find("status code: ")? + "status code: ".len();
    text.get(at..at + 3)?.parse().ok()
}

fn short(text: &str) -> String {
    const MAX: usize = 400;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The kind of the HTTP failure under an `object_store` error, if it was one (connection
/// refused, timeout, ...). HTTP statuses are already mapped to `object_store` variants.
fn http_error_kind(err: &object_store::Error) -> Option<HttpErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(http) = s.downcast_ref::<HttpError>() {
            return Some(http.kind());
        }
        source = s.source();
    }
    None
}

/// Listed paths are kept as the store spells them; reads parse them back the same way.
fn object_path(path: &str) -> Path {
    Path::parse(path).unwrap_or_else(|_| Path::from_iter(path.split('/')))
}

fn object_info(meta: ObjectMeta) -> ObjectInfo {
    ObjectInfo {
        path: meta.location.to_string(),
        size: meta.size,
        last_modified: Some(meta.last_modified),
        etag: meta.e_tag,
    }
}

#[async_trait]
impl ObjectSource for ObjectStoreSource {
    fn location(&self) -> &StorageLocation {
        &self.location
    }

    fn list(&self, prefix: &str) -> BoxStream<'_, Result<ListEntry, SourceError>> {
        if !self.counts_pages {
            self.stats.list_requests.fetch_add(1, Ordering::Relaxed);
        }
        let prefix = prefix.trim_matches('/').to_string();
        let store_prefix = (!prefix.is_empty()).then(|| Path::from_iter(prefix.split('/')));
        let mut failed = false;
        self.store
            .list(store_prefix.as_ref())
            .map(move |item| match item {
                Ok(meta) => Ok(ListEntry::Object(object_info(meta))),
                Err(e) => Err(self.map_error(e, &prefix, true)),
            })
            // An error ends the listing: yield it, then stop.
            .take_while(move |item| {
                let go = !failed;
                failed = item.is_err();
                futures::future::ready(go)
            })
            .boxed()
    }

    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(range.clone())),
            ..Default::default()
        };
        let bytes = async {
            let result = self.store.get_opts(&object_path(path), options).await?;
            result.bytes().await
        }
        .await
        .map_err(|e| self.map_error(e, path, false))?;
        self.stats.record_get(bytes.len());
        Ok(bytes)
    }

    async fn test_connection(&self) -> Result<(), SourceError> {
        // One list page; an empty container is fine.
        if !self.counts_pages {
            self.stats.list_requests.fetch_add(1, Ordering::Relaxed);
        }
        match self.store.list(None).next().await {
            Some(Err(e)) => Err(self.map_error(e, "", true)),
            _ => Ok(()),
        }
    }

    fn stats(&self) -> &SourceStats {
        &self.stats
    }
}

/// Builds `object_store`'s usual reqwest client, wrapped so that every list request
/// (each page of a listing, and each retry of one) counts in the source's stats.
#[derive(Clone, Debug, Default)]
pub(crate) struct CountingConnector {
    stats: Arc<SourceStats>,
}

impl HttpConnector for CountingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(CountingService {
            inner,
            stats: self.stats.clone(),
        }))
    }
}

#[derive(Debug)]
struct CountingService {
    inner: HttpClient,
    stats: Arc<SourceStats>,
}

/// S3 `ListObjectsV2` (`list-type=2`), Azure `List Blobs` (`comp=list`), GCS `objects.list` (`.../o`).
fn is_list_request(method: &http::Method, uri: &http::Uri) -> bool {
    if method != http::Method::GET {
        return false;
    }
    let query = uri.query().unwrap_or("");
    let has = |k: &str| query.split('&').any(|p| p == k || p.starts_with(&format!("{k}=")));
    query
        .split('&')
        .any(|p| p.starts_with("list-type=") || p == "comp=list")
        || (uri.path().contains("/storage/v1/b/") && uri.path().ends_with("/o") && !has("alt"))
}

#[async_trait]
impl HttpService for CountingService {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        if is_list_request(req.method(), req.uri()) {
            self.stats.list_requests.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.execute(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_requests_are_recognised_for_each_store() {
        let get = http::Method::GET;
        let uri = |s: &str| s.parse::<http::Uri>().unwrap();
        assert!(is_list_request(&get, &uri("http://h/b?list-type=2&prefix=a%2F")));
        assert!(is_list_request(
            &get,
            &uri("http://h/acct/c?restype=container&comp=list")
        ));
        assert!(is_list_request(&get, &uri("http://h/storage/v1/b/lake/o?prefix=a")));
        assert!(!is_list_request(&get, &uri("http://h/b/a/list-type.csv")));
        assert!(!is_list_request(&http::Method::PUT, &uri("http://h/b?list-type=2")));
    }

    #[test]
    fn redaction_hides_secret_values_and_sas_signatures() {
        let ctx = SourceContext {
            endpoint: "http://x".into(),
            credentials: "SAS token".into(),
            secrets: vec!["s3cr3tvalue".into()],
        };
        let text = ctx.redact("GET http://x/c?sv=1&sig=abc%2Fdef&se=2 failed: key s3cr3tvalue rejected");
        assert!(!text.contains("s3cr3tvalue"), "{text}");
        assert!(!text.contains("abc%2Fdef"), "{text}");
        assert!(text.contains("sig=***&se=2"), "{text}");
        assert!(!format!("{ctx:?}").contains("s3cr3t"));
    }
}
