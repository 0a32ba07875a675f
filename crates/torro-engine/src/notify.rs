//! Notifications: when a scan run finishes having found something (new, changed or
//! deleted files or assets, failures), one outbox row per channel (one e-mail to the
//! run's recipients, one per matching webhook) is written in the same transaction as the
//! run's finish ([`finish_run`]). Workers then claim the rows like jobs ([`run_outbox`]),
//! deliver them and retry with backoff; see [`torro_catalog::outbox`] for why a crash
//! neither loses nor duplicates them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use tokio_util::sync::CancellationToken;
use torro_catalog::{CatalogError, CatalogStore, NewFile, NewOutboxMessage, OutboxMessage};
use torro_model::{ScanCounts, ScanRun, ScanStatus};

use crate::{Engine, EngineError};

/// Outbox channel names.
pub const EMAIL: &str = "email";
pub const WEBHOOK: &str = "webhook";
/// Files listed in one digest; the digest says how many more there are.
const DIGEST_FILES: u32 = 200;

/// The `[notifications]` section of the config file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationSettings {
    /// Where people reach the web UI; links in messages start with it.
    pub public_url: String,
    /// Receive every scan's digest.
    pub recipients: Vec<String>,
    /// Extra recipients per managed connection, keyed by its name or id.
    pub connections: BTreeMap<String, Vec<String>>,
    /// Extra recipients per environment label ("production", ...).
    pub environments: BTreeMap<String, Vec<String>>,
    /// No `[notifications.smtp]`: no e-mails.
    pub smtp: Option<SmtpSettings>,
    pub webhooks: Vec<WebhookSettings>,
    /// Delivery attempts of one message before it is dead.
    pub max_attempts: i32,
    /// First retry delay in seconds; doubles with each further attempt.
    pub retry_base_secs: u64,
    /// A delivery not confirmed within this many seconds is taken over by another worker.
    pub lease_secs: u64,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            public_url: "http://localhost:8080".into(),
            recipients: Vec::new(),
            connections: BTreeMap::new(),
            environments: BTreeMap::new(),
            smtp: None,
            webhooks: Vec::new(),
            max_attempts: 8,
            retry_base_secs: 30,
            lease_secs: 120,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required); port 587 by default.
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS"); port 465 by default.
    Tls,
    /// No encryption, for local relays and test sinks; port 25 by default.
    None,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default)]
    pub user: Option<String>,
    /// `${NAME}` reads environment variable NAME.
    #[serde(default)]
    pub password: Option<String>,
    /// Sender, e.g. "Torro <torro@example.com>".
    pub from: String,
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
}

fn default_smtp_timeout() -> u64 {
    30
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Torro's own JSON (scan, counts, new files).
    #[default]
    Generic,
    /// Slack incoming webhooks (`text` + `blocks`).
    Slack,
    /// Microsoft Teams incoming webhooks (MessageCard).
    Teams,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Unique; names the webhook in the outbox and in test results.
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    /// Signs the body: `X-Torro-Signature: sha256=<hex HMAC-SHA256>`. `${NAME}` reads the environment.
    #[serde(default)]
    pub secret: Option<String>,
    /// Events that fire it: new, changed, deleted, failed; empty = all.
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default = "default_webhook_timeout")]
    pub timeout_secs: u64,
}

fn default_webhook_timeout() -> u64 {
    10
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("format", &self.format)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("events", &self.events)
            .finish()
    }
}

const EVENTS: [&str; 4] = ["new", "changed", "deleted", "failed"];

fn expand(field: &str, value: &mut Option<String>) -> Result<(), EngineError> {
    if let Some(v) = value
        && let Some(var) = v.strip_prefix("${").and_then(|v| v.strip_suffix('}'))
    {
        *v = std::env::var(var).map_err(|_| {
            EngineError::Config(format!(
                "{field} refers to environment variable {var}, which is not set"
            ))
        })?;
    }
    Ok(())
}

impl NotificationSettings {
    /// Reads `${NAME}` passwords and secrets from the environment (config files only).
    pub(crate) fn expand_env(&mut self) -> Result<(), EngineError> {
        if let Some(smtp) = &mut self.smtp {
            expand("notifications.smtp.password", &mut smtp.password)?;
        }
        for w in &mut self.webhooks {
            expand(&format!("notifications.webhooks {:?} secret", w.name), &mut w.secret)?;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |m: String| Err(EngineError::Config(m));
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return bad(format!(
                "notifications.public_url must start with http:// or https://, not {:?}",
                self.public_url
            ));
        }
        let lists = std::iter::once(("notifications.recipients".to_string(), &self.recipients))
            .chain(
                self.connections
                    .iter()
                    .map(|(k, v)| (format!("notifications.connections.{k}"), v)),
            )
            .chain(
                self.environments
                    .iter()
                    .map(|(k, v)| (format!("notifications.environments.{k}"), v)),
            );
        for (field, list) in lists {
            for address in list {
                if let Err(e) = address.parse::<Mailbox>() {
                    return bad(format!("{field}: {address:?} is not an e-mail address: {e}"));
                }
            }
        }
        if let Some(smtp) = &self.smtp {
            if smtp.host.trim().is_empty() {
                return bad("notifications.smtp.host is empty".into());
            }
            if let Err(e) = smtp.from.parse::<Mailbox>() {
                return bad(format!(
                    "notifications.smtp.from: {:?} is not an e-mail address: {e}",
                    smtp.from
                ));
            }
            if smtp.user.is_some() != smtp.password.is_some() {
                return bad("notifications.smtp: set both user and password, or neither".into());
            }
        }
        let mut names = BTreeSet::new();
        for w in &self.webhooks {
            if w.name.trim().is_empty() || !names.insert(&w.name) {
                return bad(format!(
                    "notifications.webhooks: every webhook needs a unique name ({:?})",
                    w.name
                ));
            }
            match url::Url::parse(&w.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return bad(format!(
                        "notifications.webhooks {:?}: url must be an http(s) URL",
                        w.name
                    ));
                }
            }
            if let Some(e) = w.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
                return bad(format!(
                    "notifications.webhooks {:?}: unknown event {e:?}; expected new, changed, deleted or failed",
                    w.name
                ));
            }
        }
        if self.max_attempts < 1 {
            return bad("notifications.max_attempts must be at least 1".into());
        }
        if self.lease_secs == 0 {
            return bad("notifications.lease_secs must be at least 1".into());
        }
        Ok(())
    }

    /// True when at least one channel is configured.
    pub fn enabled(&self) -> bool {
        self.smtp.is_some() || !self.webhooks.is_empty()
    }
}

/// What a scan run reports to people: who gets told, decided before the run finishes so
/// the outbox rows can be written with the finish.
#[derive(Clone, Debug)]
pub struct NotifyPlan {
    settings: NotificationSettings,
    recipients: Vec<String>,
}

impl NotifyPlan {
    /// The outbox rows for a run ending with `status` and `counts`; none when it found nothing.
    pub fn messages(&self, scan_id: i64, status: ScanStatus, counts: &ScanCounts) -> Vec<NewOutboxMessage> {
        let failed = counts.failed > 0 || status == ScanStatus::Failed;
        let events: Vec<&str> = [
            ("new", counts.new > 0),
            ("changed", counts.changed > 0),
            ("deleted", counts.deleted > 0),
            ("failed", failed),
        ]
        .into_iter()
        .filter_map(|(e, on)| on.then_some(e))
        .collect();
        if events.is_empty() || status == ScanStatus::Cancelled {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.settings.smtp.is_some() && !self.recipients.is_empty() {
            out.push(NewOutboxMessage {
                channel: EMAIL.into(),
                payload: json!({ "kind": "scan", "scan_id": scan_id, "recipients": self.recipients }),
                max_attempts: self.settings.max_attempts,
            });
        }
        for w in &self.settings.webhooks {
            if w.events.is_empty() || w.events.iter().any(|e| events.contains(&e.as_str())) {
                out.push(NewOutboxMessage {
                    channel: WEBHOOK.into(),
                    payload: json!({ "kind": "scan", "scan_id": scan_id, "webhook": w.name }),
                    max_attempts: self.settings.max_attempts,
                });
            }
        }
        out
    }
}

/// Finishes scan run `scan_id`, with its notifications in the same transaction when the
/// scan has a plan. Every end of a scan goes through here.
pub(crate) async fn finish_run(
    store: &Arc<dyn CatalogStore>,
    plan: Option<&NotifyPlan>,
    scan_id: i64,
    status: ScanStatus,
    counts: &ScanCounts,
    message: Option<&str>,
) -> Result<ScanRun, CatalogError> {
    let messages = plan.map(|p| p.messages(scan_id, status, counts)).unwrap_or_default();
    if messages.is_empty() {
        return store.finish_scan_run(scan_id, status, counts, message).await;
    }
    store
        .outbox()
        .finish_scan_run_with_outbox(scan_id, status, counts, message, &messages)
        .await
}

impl Engine {
    /// The plan of a scan of connection `connection_id` (`None`: the config's sources);
    /// `None` when no channel is configured.
    pub async fn notify_plan(&self, connection_id: Option<i64>) -> Option<NotifyPlan> {
        let settings = &self.config().notifications;
        if !settings.enabled() {
            return None;
        }
        let mut recipients: BTreeSet<String> = settings.recipients.iter().cloned().collect();
        let mut environments = Vec::new();
        match connection_id {
            Some(id) => match self.connections().get(id).await {
                Ok(c) => {
                    for key in [c.name.clone(), id.to_string()] {
                        recipients.extend(settings.connections.get(&key).into_iter().flatten().cloned());
                    }
                    environments.push(c.labels.environment);
                }
                Err(e) => tracing::warn!(connection_id = id, error = %e, "cannot read the connection's recipients"),
            },
            None => {
                for s in &self.config().sources {
                    recipients.extend(settings.connections.get(&s.name).into_iter().flatten().cloned());
                    environments.push(s.environment.clone());
                }
            }
        }
        for env in environments {
            recipients.extend(settings.environments.get(&env).into_iter().flatten().cloned());
        }
        Some(NotifyPlan {
            settings: settings.clone(),
            recipients: recipients.into_iter().collect(),
        })
    }

    /// Sends a test message to every configured channel at once (not through the outbox)
    /// and reports each channel's outcome.
    pub async fn test_notifications(&self) -> Vec<ChannelTest> {
        let settings = &self.config().notifications;
        let digest = Digest::test(&settings.public_url);
        let mut out = Vec::new();
        if let Some(smtp) = &settings.smtp {
            let result = if settings.recipients.is_empty() {
                Err("no recipients: set notifications.recipients".to_string())
            } else {
                send_email(
                    smtp,
                    &settings.recipients,
                    &digest,
                    &format!("test-{}", Utc::now().timestamp_millis()),
                )
                .await
            };
            out.push(ChannelTest::new(EMAIL, smtp.host.clone(), result));
        }
        for w in &settings.webhooks {
            let result = send_webhook(w, &digest, &format!("test-{}", Utc::now().timestamp_millis())).await;
            out.push(ChannelTest::new(WEBHOOK, w.name.clone(), result));
        }
        out
    }

    /// Delivers one claimed outbox message. The error says what went wrong (never secrets).
    pub async fn deliver(&self, message: &OutboxMessage) -> Result<(), String> {
        let settings = &self.config().notifications;
        let payload: Payload = serde_json::from_value(message.payload.clone())
            .map_err(|e| format!("outbox message {} has an unreadable payload: {e}", message.id))?;
        let digest = match payload.kind.as_str() {
            "scan" => {
                let scan_id = payload.scan_id.ok_or("the payload names no scan run")?;
                Digest::of_scan(self.store(), &settings.public_url, scan_id)
                    .await
                    .map_err(|e| e.to_string())?
            }
            _ => Digest::test(&settings.public_url),
        };
        let delivery_id = message.id.to_string();
        match message.channel.as_str() {
            EMAIL => {
                let smtp = settings
                    .smtp
                    .as_ref()
                    .ok_or("this worker has no [notifications.smtp] settings")?;
                send_email(smtp, &payload.recipients, &digest, &delivery_id).await
            }
            WEBHOOK => {
                let name = payload.webhook.unwrap_or_default();
                let w = settings
                    .webhooks
                    .iter()
                    .find(|w| w.name == name)
                    .ok_or_else(|| format!("this worker's config has no webhook named {name:?}"))?;
                send_webhook(w, &digest, &delivery_id).await
            }
            other => Err(format!("unknown channel {other:?}")),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Payload {
    kind: String,
    #[serde(default)]
    scan_id: Option<i64>,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    webhook: Option<String>,
}

/// One channel's answer to `POST /api/notifications/test`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelTest {
    /// "email" or "webhook".
    pub channel: String,
    /// The SMTP host or the webhook's name.
    pub name: String,
    pub ok: bool,
    pub error: Option<String>,
}

impl ChannelTest {
    fn new(channel: &str, name: String, result: Result<(), String>) -> Self {
        ChannelTest {
            channel: channel.into(),
            name,
            ok: result.is_ok(),
            error: result.err(),
        }
    }
}

/// Delivers outbox messages until `shutdown`: claims one with a lease, sends it, marks it
/// delivered, or records the failure (retried with backoff, then dead).
pub async fn run_outbox(engine: Engine, owner: String, poll: Duration, shutdown: CancellationToken) {
    let settings = engine.config().notifications.clone();
    let lease = Duration::from_secs(settings.lease_secs);
    let retry_base = Duration::from_secs(settings.retry_base_secs);
    let outbox = engine.store().outbox();
    while !shutdown.is_cancelled() {
        match outbox.claim_outbox(&owner, lease, Utc::now()).await {
            Ok(Some(m)) => {
                // Give up well before the lease ends, so no other worker sends it meanwhile.
                let result = match tokio::time::timeout(lease / 2, engine.deliver(&m)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("delivery took longer than {} s", (lease / 2).as_secs())),
                };
                let now = Utc::now();
                let recorded = match &result {
                    Ok(()) => outbox.outbox_delivered(m.id, &owner, now).await.map(|_| ()),
                    Err(error) => {
                        tracing::warn!(
                            worker = owner,
                            outbox_id = m.id,
                            channel = m.channel,
                            attempt = m.attempts,
                            error,
                            "delivery failed"
                        );
                        outbox
                            .outbox_failed(m.id, &owner, error, retry_base, now)
                            .await
                            .map(|_| ())
                    }
                };
                if let Err(e) = recorded {
                    tracing::error!(worker = owner, outbox_id = m.id, error = %e, "cannot record a delivery; its lease will expire");
                } else if result.is_ok() {
                    tracing::info!(
                        worker = owner,
                        outbox_id = m.id,
                        channel = m.channel,
                        "notification delivered"
                    );
                }
            }
            Ok(None) => {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
            Err(e) => {
                tracing::warn!(worker = owner, error = %e, "cannot claim a notification; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
}

/// What a message says, whatever the channel.
#[derive(Clone, Debug)]
struct Digest {
    title: String,
    scan: Option<ScanRun>,
    scan_url: Option<String>,
    files: Vec<(NewFile, String)>,
    files_total: i64,
}

impl Digest {
    fn test(public_url: &str) -> Self {
        Digest {
            title: format!("Torro test notification ({})", public_url.trim_end_matches('/')),
            scan: None,
            scan_url: None,
            files: Vec::new(),
            files_total: 0,
        }
    }

    async fn of_scan(store: &Arc<dyn CatalogStore>, public_url: &str, scan_id: i64) -> Result<Self, CatalogError> {
        let base = public_url.trim_end_matches('/');
        let run = store
            .get_scan_run(scan_id)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("scan run {scan_id}")))?;
        let (files, files_total) = store.outbox().new_files_of_scan(scan_id, DIGEST_FILES).await?;
        let c = &run.counts;
        let title = format!(
            "Torro scan #{} {}: {} new, {} changed, {} deleted, {} failed ({})",
            run.id, run.status, c.new, c.changed, c.deleted, c.failed, run.target
        );
        Ok(Digest {
            title,
            scan_url: Some(format!("{base}/scans/{}", run.id)),
            files: files
                .into_iter()
                .map(|f| {
                    let url = format!("{base}/discoveries/{}", f.id);
                    (f, url)
                })
                .collect(),
            files_total,
            scan: Some(run),
        })
    }

    fn counts(&self) -> Vec<(&'static str, i64)> {
        match &self.scan {
            Some(r) => vec![
                ("listed", r.counts.listed),
                ("new", r.counts.new),
                ("changed", r.counts.changed),
                ("deleted", r.counts.deleted),
                ("failed", r.counts.failed),
            ],
            None => Vec::new(),
        }
    }

    fn text(&self) -> String {
        let mut s = format!("{}\n\n", self.title);
        if self.scan.is_none() {
            s.push_str("This is a test message: Torro's notification settings work.\n");
            return s;
        }
        for (name, n) in self.counts() {
            s.push_str(&format!("{name:>8}: {n}\n"));
        }
        if let Some(m) = self.scan.as_ref().and_then(|r| r.message.as_deref()) {
            s.push_str(&format!("\nmessage: {m}\n"));
        }
        if !self.files.is_empty() {
            s.push_str(&format!("\nNew files ({}):\n", self.files_total));
            for (f, url) in &self.files {
                s.push_str(&format!(
                    "- {}/{} | {} | {} bytes | {} columns | {url}\n",
                    f.container,
                    f.path,
                    f.format.as_deref().unwrap_or("-"),
                    f.size,
                    f.column_count.map_or("-".into(), |n| n.to_string())
                ));
            }
            if self.files_total > self.files.len() as i64 {
                s.push_str(&format!(
                    "... and {} more\n",
                    self.files_total - self.files.len() as i64
                ));
            }
        }
        if let Some(url) = &self.scan_url {
            s.push_str(&format!("\nScan: {url}\n"));
        }
        s
    }

    fn html(&self) -> String {
        let mut s = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><h2>{}</h2>",
            esc(&self.title)
        );
        if self.scan.is_none() {
            s.push_str("<p>This is a test message: Torro's notification settings work.</p></body></html>");
            return s;
        }
        s.push_str("<table cellpadding=\"4\"><tr>");
        for (name, n) in self.counts() {
            s.push_str(&format!("<td><b>{n}</b> {name}</td>"));
        }
        s.push_str("</tr></table>");
        if let Some(m) = self.scan.as_ref().and_then(|r| r.message.as_deref()) {
            s.push_str(&format!("<p>{}</p>", esc(m)));
        }
        if !self.files.is_empty() {
            s.push_str(&format!(
                "<h3>New files ({})</h3><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">\
                 <tr><th>Path</th><th>Format</th><th>Size</th><th>Columns</th></tr>",
                self.files_total
            ));
            for (f, url) in &self.files {
                s.push_str(&format!(
                    "<tr><td><a href=\"{}\">{}/{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(url),
                    esc(&f.container),
                    esc(&f.path),
                    esc(f.format.as_deref().unwrap_or("-")),
                    f.size,
                    f.column_count.map_or("-".into(), |n| n.to_string())
                ));
            }
            s.push_str("</table>");
            if self.files_total > self.files.len() as i64 {
                s.push_str(&format!(
                    "<p>... and {} more</p>",
                    self.files_total - self.files.len() as i64
                ));
            }
        }
        if let Some(url) = &self.scan_url {
            s.push_str(&format!(
                "<p><a href=\"{0}\">Open scan in Torro</a> ({0})</p>",
                esc(url)
            ));
        }
        s.push_str("</body></html>");
        s
    }

    fn json(&self, delivery_id: &str) -> serde_json::Value {
        json!({
            "event": if self.scan.is_some() { "scan.finished" } else { "test" },
            "delivery_id": delivery_id,
            "title": self.title,
            "scan": self.scan.as_ref().map(|r| json!({
                "id": r.id,
                "status": r.status,
                "trigger": r.trigger,
                "target": r.target,
                "counts": r.counts,
                "message": r.message,
                "url": self.scan_url,
            })),
            "new_files": self.files.iter().map(|(f, url)| json!({
                "id": f.id,
                "storage_type": f.storage_type,
                "container": f.container,
                "path": f.path,
                "format": f.format,
                "size": f.size,
                "column_count": f.column_count,
                "url": url,
            })).collect::<Vec<_>>(),
            "new_files_total": self.files_total,
        })
    }

    fn slack(&self) -> serde_json::Value {
        let mut lines = vec![format!("*{}*", self.title)];
        lines.extend(self.files.iter().take(20).map(|(f, url)| {
            format!(
                "• <{url}|{}/{}> ({})",
                f.container,
                f.path,
                f.format.as_deref().unwrap_or("-")
            )
        }));
        if let Some(url) = &self.scan_url {
            lines.push(format!("<{url}|Open scan in Torro>"));
        }
        json!({
            "text": self.title,
            "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": lines.join("\n") } }],
        })
    }

    fn teams(&self) -> serde_json::Value {
        let text = self
            .files
            .iter()
            .take(20)
            .map(|(f, url)| {
                format!(
                    "- [{}/{}]({url}) ({})",
                    f.container,
                    f.path,
                    f.format.as_deref().unwrap_or("-")
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let failed = self
            .scan
            .as_ref()
            .is_some_and(|r| r.status == ScanStatus::Failed || r.counts.failed > 0);
        json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": self.title,
            "title": self.title,
            "themeColor": if failed { "D70000" } else { "0076D7" },
            "text": if text.is_empty() { self.title.clone() } else { text },
            "potentialAction": self.scan_url.as_ref().map(|url| vec![json!({
                "@type": "OpenUri", "name": "Open scan in Torro", "targets": [{ "os": "default", "uri": url }],
            })]).unwrap_or_default(),
        })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn send_email(
    smtp: &SmtpSettings,
    recipients: &[String],
    digest: &Digest,
    delivery_id: &str,
) -> Result<(), String> {
    let from: Mailbox = smtp.from.parse().map_err(|e| format!("notifications.smtp.from: {e}"))?;
    let domain = from.email.domain().to_string();
    let mut builder = Message::builder()
        .from(from)
        .subject(digest.title.clone())
        // Derived from the outbox row, so a duplicate after a crash is recognisable.
        .message_id(Some(format!("<torro-{delivery_id}@{domain}>")));
    if recipients.is_empty() {
        return Err("no recipients".into());
    }
    for r in recipients {
        builder = builder.to(r.parse().map_err(|e| format!("recipient {r:?}: {e}"))?);
    }
    let email = builder
        .multipart(MultiPart::alternative_plain_html(digest.text(), digest.html()))
        .map_err(|e| format!("cannot build the e-mail: {e}"))?;
    let relay = |e: lettre::transport::smtp::Error| format!("SMTP {}: {e}", smtp.host);
    let (builder, port) = match smtp.tls {
        SmtpTls::Starttls => (
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(relay)?,
            587,
        ),
        SmtpTls::Tls => (
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(relay)?,
            465,
        ),
        SmtpTls::None => (AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host), 25),
    };
    let mut builder = builder
        .port(smtp.port.unwrap_or(port))
        .timeout(Some(Duration::from_secs(smtp.timeout_secs.max(1))));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    builder.build().send(email).await.map_err(relay)?;
    Ok(())
}

/// `sha256=<hex HMAC-SHA256 of body>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

async fn send_webhook(w: &WebhookSettings, digest: &Digest, delivery_id: &str) -> Result<(), String> {
    let body = match w.format {
        WebhookFormat::Generic => digest.json(delivery_id),
        WebhookFormat::Slack => digest.slack(),
        WebhookFormat::Teams => digest.teams(),
    };
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(w.timeout_secs.max(1)))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client
        .post(&w.url)
        .header("content-type", "application/json")
        .header("user-agent", concat!("torro/", env!("CARGO_PKG_VERSION")))
        .header(
            "x-torro-event",
            if digest.scan.is_some() { "scan.finished" } else { "test" },
        )
        .header("x-torro-delivery", delivery_id);
    if let Some(secret) = &w.secret {
        request = request.header("x-torro-signature", signature(secret, &body));
    }
    // reqwest errors name the URL, which may hold a token (Slack's do): strip it.
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| format!("webhook {:?}: {}", w.name, e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("webhook {:?} answered HTTP {status}", w.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(settings: NotificationSettings) -> NotifyPlan {
        NotifyPlan {
            recipients: settings.recipients.clone(),
            settings,
        }
    }

    #[test]
    fn one_row_per_channel_only_when_something_was_found() {
        let settings = NotificationSettings {
            recipients: vec!["a@example.com".into()],
            smtp: Some(SmtpSettings {
                host: "127.0.0.1".into(),
                port: Some(25),
                tls: SmtpTls::None,
                user: None,
                password: None,
                from: "torro@example.com".into(),
                timeout_secs: 5,
            }),
            webhooks: vec![
                WebhookSettings {
                    name: "all".into(),
                    url: "http://127.0.0.1:1/".into(),
                    format: WebhookFormat::Generic,
                    secret: None,
                    events: vec![],
                    timeout_secs: 5,
                },
                WebhookSettings {
                    name: "failures".into(),
                    url: "http://127.0.0.1:1/".into(),
                    format: WebhookFormat::Slack,
                    secret: None,
                    events: vec!["failed".into()],
                    timeout_secs: 5,
                },
            ],
            ..Default::default()
        };
        settings.validate().unwrap();
        let p = plan(settings);
        assert!(p.messages(1, ScanStatus::Succeeded, &ScanCounts::default()).is_empty());
        let found = ScanCounts {
            new: 2,
            ..Default::default()
        };
        let m = p.messages(1, ScanStatus::Succeeded, &found);
        assert_eq!(
            m.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>(),
            ["email", "webhook"]
        );
        let m = p.messages(1, ScanStatus::Failed, &ScanCounts::default());
        assert_eq!(m.len(), 3);
        assert!(p.messages(1, ScanStatus::Cancelled, &found).is_empty());
    }

    #[test]
    fn bad_settings_are_named() {
        let mut s = NotificationSettings {
            recipients: vec!["not an address".into()],
            ..Default::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("notifications.recipients")
        );
        s.recipients.clear();
        s.webhooks.push(WebhookSettings {
            name: "x".into(),
            url: "ftp://x".into(),
            format: WebhookFormat::Teams,
            secret: None,
            events: vec![],
            timeout_secs: 1,
        });
        assert!(s.validate().unwrap_err().to_string().contains("http(s) URL"));
        s.webhooks[0].url = "https://x.example.com/hook".into();
        s.webhooks[0].events = vec!["exploded".into()];
        assert!(s.validate().unwrap_err().to_string().contains("unknown event"));
    }

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let w = WebhookSettings {
            name: "x".into(),
            url: "https://x".into(),
            format: WebhookFormat::Generic,
            secret: Some("hunter2".into()),
            events: vec![],
            timeout_secs: 1,
        };
        assert!(!format!("{w:?}").contains("hunter2"));
    }
}
