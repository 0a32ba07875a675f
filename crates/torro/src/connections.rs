//! `torro connections ...`: the same [`torro_engine::Connections`] service as the API.
//! Secrets can come from the environment (`--secret-env name=VAR`) so they need not be
//! typed on the command line; they are never printed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use torro_engine::{ConnectionTest, Connections, Engine, SecretBox, SecretKey, TorroConfig, Worker, WorkerOptions};
use torro_model::{Connection, ConnectionInput, ConnectionSettings, ScanStatus, SourceLabels, StorageType};
use torro_server::dto::connections::ConnectionBody;

use crate::output::{Format, print_json, scan_summary};
use crate::{DatabaseArgs, open_store};

#[derive(Subcommand)]
pub enum ConnectionsCommand {
    /// List managed connections.
    List(ListArgs),
    /// Show one connection (by id or name); secrets show as ***.
    Show(TargetArgs),
    /// Add a connection.
    Add(Box<AddArgs>),
    /// Test a connection's containers and record the outcome (exit 1 when one fails).
    Test(TargetArgs),
    /// Scan a connection now: queue the scan and run it in this process (or let a running
    /// worker take it), printing the outcome; exit 1 when the scan fails.
    Scan(ScanArgs),
    /// Remove a connection and its stored secrets (its discoveries stay).
    Remove(TargetArgs),
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Only queue the scan (for the workers of `torro serve` / `torro worker`) and print its id.
    #[arg(long)]
    no_wait: bool,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
pub struct TargetArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Connection id or name.
    connection: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Unique name; the connection's discoveries carry it as source_name.
    #[arg(long)]
    name: String,
    /// local, s3, azure_blob or gcs.
    #[arg(long = "type")]
    connector_type: StorageType,
    /// How it authenticates: account_key, sas_token, connection_string, service_principal,
    /// access_key, service_account, anonymous, environment (default; none for local).
    #[arg(long)]
    auth: Option<String>,
    /// Bucket / container (repeatable); for local, a folder under --root.
    #[arg(long = "container")]
    containers: Vec<String>,
    /// Prefix inside each container (repeatable).
    #[arg(long = "folder")]
    folders: Vec<String>,
    /// Extension to keep (repeatable); default every format Torro reads.
    #[arg(long = "ext")]
    extensions: Vec<String>,
    /// Local: the folder that holds the containers.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Azure storage account name.
    #[arg(long)]
    account: Option<String>,
    #[arg(long)]
    endpoint: Option<String>,
    /// Database connections: a JDBC URL (jdbc:postgresql://host/db, jdbc:mysql://host/db,
    /// jdbc:oracle:thin:@//host:1521/SERVICE, jdbc:sqlite:/path/file.db); give the user as
    /// the URL's ?user= parameter and the password with --secret password=...
    #[arg(long)]
    jdbc_url: Option<String>,
    #[arg(long)]
    region: Option<String>,
    /// Non-secret setting name=value (repeatable), e.g. --option allow_http=true.
    #[arg(long = "option", value_parser = key_value)]
    options: Vec<(String, String)>,
    /// Secret name=value (repeatable). Prefer --secret-env: command lines end up in shell history.
    #[arg(long = "secret", value_parser = key_value)]
    secrets: Vec<(String, String)>,
    /// Secret name=ENV_VAR: the value is read from that environment variable (repeatable).
    #[arg(long = "secret-env", value_parser = key_value)]
    secret_envs: Vec<(String, String)>,
    /// active (default) or disabled.
    #[arg(long)]
    status: Option<String>,
    /// 5-field cron expression for scheduled scans.
    #[arg(long)]
    schedule: Option<String>,
    #[arg(long, default_value = "")]
    environment: String,
    #[arg(long, default_value = "")]
    env_type: String,
    #[arg(long, default_value = "")]
    data_source_type: String,
    /// Tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn key_value(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected name=value, got {raw:?}")),
    }
}

/// Who the audit rows name for CLI changes.
fn actor() -> torro_model::Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    torro_model::Actor {
        name: format!("cli:{user}"),
        role: None,
        source_ip: None,
    }
}

/// The service, with the secret key from `TORRO_SECRET_KEY` / the key file.
async fn service(db: &DatabaseArgs) -> Result<Connections> {
    let store = open_store(db).await?;
    let (key, _) = SecretKey::from_env().context("cannot load the secret key")?;
    Ok(Connections::new(store, Some(SecretBox::new(&key))))
}

/// A service that never touches the key (listing and showing need none).
async fn keyless(db: &DatabaseArgs) -> Result<Connections> {
    Ok(Connections::new(open_store(db).await?, None))
}

async fn find(service: &Connections, target: &str) -> Result<Connection> {
    let found = match target.parse::<i64>() {
        Ok(id) => service.get(id).await,
        Err(_) => service.get_by_name(target).await,
    };
    found.map_err(|e| anyhow::anyhow!("{e}; list them with `torro connections list`"))
}

pub async fn run(command: ConnectionsCommand) -> Result<ExitCode> {
    match command {
        ConnectionsCommand::List(args) => {
            let list = keyless(&args.db).await?.list().await?;
            match args.format {
                Format::Json => print_json(&list.iter().map(ConnectionBody::from).collect::<Vec<_>>())?,
                Format::Table => print_table(&list),
            }
        }
        ConnectionsCommand::Show(args) => {
            let c = find(&keyless(&args.db).await?, &args.connection).await?;
            match args.format {
                Format::Json => print_json(&ConnectionBody::from(&c))?,
                Format::Table => print_connection(&c),
            }
        }
        ConnectionsCommand::Add(args) => {
            let input = args.input()?;
            let service = service(&args.db).await?;
            let c = service.create(&input, &actor()).await?;
            match args.format {
                Format::Json => print_json(&ConnectionBody::from(&c))?,
                Format::Table => println!("added connection {} ({})", c.id, c.name),
            }
        }
        ConnectionsCommand::Test(args) => {
            let service = service(&args.db).await?;
            let c = find(&service, &args.connection).await?;
            let result = service.test(c.id).await?;
            match args.format {
                Format::Json => print_json(&result)?,
                Format::Table => print_test(&c, &result),
            }
            if !result.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        ConnectionsCommand::Scan(args) => return scan(args).await,
        ConnectionsCommand::Remove(args) => {
            let service = keyless(&args.db).await?;
            let c = find(&service, &args.connection).await?;
            service.delete(c.id, &actor()).await?;
            match args.format {
                Format::Json => print_json(&serde_json::json!({"removed": c.id, "name": c.name}))?,
                Format::Table => println!("removed connection {} ({})", c.id, c.name),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn scan(args: ScanArgs) -> Result<ExitCode> {
    let target = &args.target;
    let store = open_store(&target.db).await?;
    let (key, _) = SecretKey::from_env().context("cannot load the secret key")?;
    let engine = Engine::with_secrets(store, TorroConfig::default(), SecretBox::new(&key));
    let c = find(engine.connections(), &target.connection).await?;
    let queued = engine.trigger_connection_scan(c.id).await?;
    if args.no_wait {
        match target.format {
            Format::Json => print_json(&queued)?,
            Format::Table => println!("queued scan {} of connection {} ({})", queued.id, c.id, c.name),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let shutdown = CancellationToken::new();
    let options = WorkerOptions {
        poll: Duration::from_millis(200),
        ..WorkerOptions::new(1)
    };
    let worker = Worker::new(engine.clone(), options).spawn(shutdown.clone());
    let run = loop {
        let run = engine
            .store()
            .get_scan_run(queued.id)
            .await?
            .context("the scan run disappeared from the catalog")?;
        if !run.status.is_active() {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    shutdown.cancel();
    let _ = worker.await;
    match target.format {
        Format::Json => print_json(&run)?,
        Format::Table => {
            println!("{}", scan_summary(&run));
            if let Some(message) = &run.message {
                println!("message: {message}");
            }
            if run.error_count > 0 {
                println!("see the errors with `torro scans show {}`", run.id);
            }
        }
    }
    Ok(if run.status == ScanStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

impl AddArgs {
    fn input(&self) -> Result<ConnectionInput> {
        let mut secrets: BTreeMap<String, String> = self.secrets.iter().cloned().collect();
        for (name, var) in &self.secret_envs {
            let value = std::env::var(var)
                .with_context(|| format!("--secret-env {name}={var}: environment variable {var} is not set"))?;
            secrets.insert(name.clone(), value);
        }
        let root = match &self.root {
            Some(root) if root.is_absolute() => Some(root.clone()),
            Some(root) => Some(
                root.canonicalize()
                    .or_else(|_| std::env::current_dir().map(|d| d.join(root)))?,
            ),
            None => None,
        };
        if self.connector_type == StorageType::Local && root.is_none() {
            bail!("a local connection needs --root, the folder that holds its containers");
        }
        Ok(ConnectionInput {
            name: self.name.clone(),
            connector_type: self.connector_type,
            connection_type: self.auth.clone().unwrap_or_default(),
            config: ConnectionSettings {
                account: self.account.clone(),
                root: root.map(|r| r.display().to_string()),
                containers: self.containers.clone(),
                folders: self.folders.clone(),
                file_extensions: self.extensions.clone(),
                endpoint: self.endpoint.clone(),
                region: self.region.clone(),
                options: self.options.iter().cloned().collect(),
                database: self.jdbc_url.clone().map(|jdbc_url| torro_model::DatabaseSettings {
                    jdbc_url: Some(jdbc_url),
                    ..Default::default()
                }),
            },
            secrets,
            status: self.status.clone(),
            schedule: self.schedule.clone(),
            labels: SourceLabels {
                source_name: String::new(),
                environment: self.environment.clone(),
                env_type: self.env_type.clone(),
                data_source_type: self.data_source_type.clone(),
                tags: self.tags.clone(),
            },
        })
    }
}

fn where_of(c: &Connection) -> String {
    let cfg = &c.config;
    let containers = cfg.containers.join(",");
    match c.connector_type {
        StorageType::Local => {
            let root = cfg.root.clone().unwrap_or_default();
            if containers.is_empty() {
                root
            } else {
                format!("{root} [{containers}]")
            }
        }
        StorageType::AzureBlob => format!("{}/{containers}", cfg.account.clone().unwrap_or_default()),
        _ => containers,
    }
}

fn last_test(c: &Connection) -> String {
    match (&c.last_tested_at, &c.last_test_error) {
        (None, _) => "never".into(),
        (Some(at), None) => format!("ok {}", at.format("%Y-%m-%d %H:%M")),
        (Some(at), Some(_)) => format!("FAILED {}", at.format("%Y-%m-%d %H:%M")),
    }
}

fn print_table(list: &[Connection]) {
    if list.is_empty() {
        println!("no connections; add one with `torro connections add`");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                c.connector_type.to_string(),
                c.connection_type.clone(),
                c.status.clone(),
                last_test(c),
                where_of(c),
            ]
        })
        .collect();
    println!(
        "{}",
        crate::output::table(&["ID", "NAME", "TYPE", "AUTH", "STATUS", "LAST TEST", "WHERE"], &rows)
    );
}

fn print_connection(c: &Connection) {
    let cfg = &c.config;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let list = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(", ") };
    println!("connection {} ({})", c.id, c.name);
    println!("  type:        {} (auth {})", c.connector_type, c.connection_type);
    println!("  status:      {}", c.status);
    println!("  schedule:    {}", opt(&c.schedule));
    println!("  account:     {}", opt(&cfg.account));
    println!("  root:        {}", opt(&cfg.root));
    println!("  containers:  {}", list(&cfg.containers));
    println!("  folders:     {}", list(&cfg.folders));
    println!("  extensions:  {}", list(&cfg.file_extensions));
    println!("  endpoint:    {}", opt(&cfg.endpoint));
    println!("  region:      {}", opt(&cfg.region));
    for (k, v) in &cfg.options {
        println!("  option:      {k}={v}");
    }
    let secrets: Vec<String> = c.secret_names.iter().map(|n| format!("{n}=***")).collect();
    println!("  secrets:     {}", list(&secrets));
    println!(
        "  labels:      environment={} env_type={} data_source_type={} tags={}",
        c.labels.environment,
        c.labels.env_type,
        c.labels.data_source_type,
        c.labels.tags.join(",")
    );
    println!("  last test:   {}", last_test(c));
    if let Some(e) = &c.last_test_error {
        println!("  test error:  {e}");
    }
}

fn print_test(c: &Connection, result: &ConnectionTest) {
    println!(
        "connection {} ({}): {}",
        c.id,
        c.name,
        if result.ok { "ok" } else { "FAILED" }
    );
    for r in &result.results {
        match &r.error {
            None => println!("  ok      {}", r.container),
            Some(e) => println!("  FAILED  {}: {e}", r.container),
        }
    }
}
