//! `torro`: the command line. Every command calls the same library code as the API.
//!
//! Exit codes: 0 success; 1 failure (the message says why); 2 bad usage (from clap);
//! 3 a scan finished but some files could not be read (`scan --strict` only).

mod assets;
mod connections;
mod demo;
mod hardening;
mod lineage;
mod lineage_graph;
mod oidc_args;
mod output;
mod progress;
mod scans;
mod users;
mod worker;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use torro_catalog::CatalogStore;
use torro_engine::scheduler::{Scheduler, SystemClock};
use torro_engine::{Engine, SourceConfig, TorroConfig};
use torro_model::{ApprovalStatus, DiscoveryQuery, FileFormat, FileStatus, ScanStatus, StorageType};

use crate::output::Format;

/// How often `serve` checks the schedules (the finest cron step is a minute).
const SCHEDULER_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Parser)]
#[command(name = "torro", version, about = "Data discovery, catalog, lineage and governance.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// Catalog database: sqlite:PATH (default ./torro.db), postgres://... or mysql://...
    #[arg(long, env = "TORRO_DATABASE_URL", default_value = "sqlite:torro.db", global = true)]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API on a loopback port, with the scheduler and a worker.
    Serve(Box<ServeArgs>),
    /// Scan folders (or the sources of a config file) into the catalog.
    Scan(ScanArgs),
    /// Create or upgrade the catalog's tables.
    Migrate(DatabaseArgs),
    /// Browse the catalog.
    #[command(subcommand)]
    Discoveries(DiscoveriesCommand),
    /// Manage connections to storage accounts (secrets stored encrypted).
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// Run queued scans from a shared PostgreSQL/MySQL catalog (scale out on several machines).
    Worker(worker::WorkerArgs),
    /// Scan runs: list, show, cancel.
    #[command(subcommand)]
    Scans(scans::ScansCommand),
    /// The catalog's assets: database tables, views and routines, files and datasets.
    #[command(subcommand)]
    Assets(assets::AssetsCommand),
    /// Users and roles, on the catalog machine (e.g. to reset the admin's password).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Write sample data lakes to disk.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Lineage: parse SQL, import dbt, show a dataset's graph.
    #[command(subcommand)]
    Lineage(lineage::LineageCommand),
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "TORRO_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Config file (TOML) with [[sources]] to scan on POST /api/discovery/trigger.
    #[arg(long, env = "TORRO_CONFIG")]
    config: Option<PathBuf>,
    /// Generate a sample lake, scan it, then serve.
    #[arg(long)]
    demo: bool,
    /// Where --demo writes its lake.
    #[arg(long, default_value_os_t = demo::default_demo_dir())]
    demo_dir: PathBuf,
    /// Scans the in-process worker runs at once; 0 = none (only separate `torro worker`s scan).
    #[arg(long, default_value_t = 2)]
    workers: u16,
    /// Do not run the scheduler in this process (another `serve` runs it; running it in several is safe too).
    #[arg(long)]
    no_scheduler: bool,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    http: hardening::HardeningArgs,
    #[command(flatten)]
    oidc: oidc_args::OidcArgs,
}

/// Sign-in settings of `torro serve`.
#[derive(Args)]
struct AuthArgs {
    /// Trusted single-user laptop mode: no sign-in, every request acts as the admin `local`.
    /// Only allowed when --bind is a loopback address.
    #[arg(long)]
    no_auth: bool,
    /// A browser session ends this many hours after sign-in.
    #[arg(long, env = "TORRO_SESSION_TTL_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=8760))]
    session_ttl_hours: u64,
    /// A browser session ends after this many minutes without a request.
    #[arg(long, env = "TORRO_SESSION_IDLE_MINUTES", default_value_t = 720, value_parser = clap::value_parser!(u64).range(1..=525600))]
    session_idle_minutes: u64,
}

impl AuthArgs {
    fn config(&self) -> torro_server::AuthConfig {
        torro_server::AuthConfig {
            enabled: !self.no_auth,
            session_ttl: std::time::Duration::from_secs(self.session_ttl_hours * 3600),
            session_idle: std::time::Duration::from_secs(self.session_idle_minutes * 60),
            oidc: None,
        }
    }
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Folders to scan (each becomes a source named after it).
    folders: Vec<PathBuf>,
    /// Config file (TOML) with [[sources]]; its sources are scanned with the folders.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Labels for the folders given on the command line.
    #[arg(long, default_value = "development")]
    environment: String,
    #[arg(long, default_value = "non-prod")]
    env_type: String,
    #[arg(long, default_value = "local")]
    data_source_type: String,
    /// Only these extensions (repeatable: --ext csv --ext parquet); default all.
    #[arg(long = "ext")]
    extensions: Vec<String>,
    /// Exit with code 3 when some files could not be read.
    #[arg(long)]
    strict: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Subcommand)]
enum DiscoveriesCommand {
    /// List catalog entries, newest change first.
    List(ListArgs),
    /// Show one entry with its schema.
    Show(ShowArgs),
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// File status (active, error, deleted) or review status (pending, approved, rejected, published, archived).
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    environment: Option<String>,
    #[arg(long)]
    data_source_type: Option<String>,
    #[arg(long)]
    format_filter: Option<FileFormat>,
    #[arg(long)]
    storage: Option<StorageType>,
    /// Full-text search over names, paths and column names.
    #[arg(long, short)]
    search: Option<String>,
    #[arg(long, default_value_t = 0)]
    page: u32,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
    size: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
struct ShowArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    id: i64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// The small demo lake that `serve --demo` uses.
    Lake { dir: PathBuf },
    /// N generated files (40% CSV, 40% Parquet, 20% NDJSON) for benchmarks.
    Bench {
        dir: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        files: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TORRO_LOG").unwrap_or_else(|_| EnvFilter::new("warn,torro=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

async fn open_store(db: &DatabaseArgs) -> Result<Arc<dyn CatalogStore>> {
    let store = torro_catalog::connect(&db.database_url).await.with_context(|| {
        format!(
            "cannot open the catalog at {}",
            torro_catalog::redact_url(&db.database_url)
        )
    })?;
    store.migrate().await.context("cannot migrate the catalog")?;
    Ok(store)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Scan(args) => scan(args).await,
        Command::Migrate(db) => {
            open_store(&db).await?;
            println!(
                "catalog at {} is up to date",
                torro_catalog::redact_url(&db.database_url)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Discoveries(DiscoveriesCommand::List(args)) => list(args).await,
        Command::Discoveries(DiscoveriesCommand::Show(args)) => show(args).await,
        Command::Connections(command) => connections::run(command).await,
        Command::Worker(args) => worker::run(args).await,
        Command::Scans(command) => scans::run(command).await,
        Command::Users(command) => users::run(command).await,
        Command::Assets(command) => assets::run(command).await,
        Command::Lineage(command) => lineage::run(command).await,
        Command::Demo(DemoCommand::Lake { dir }) => {
            let n = demo::generate_demo(&dir)?;
            println!("wrote {n} files under {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(DemoCommand::Bench { dir, files, seed }) => {
            let bytes = demo::generate_bench(&dir, files, seed)?;
            println!("wrote {files} files ({bytes} bytes) under {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn load_config(path: Option<&Path>) -> Result<TorroConfig> {
    Ok(match path {
        Some(p) => TorroConfig::load(p)?,
        None => TorroConfig::default(),
    })
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    // Bad hardening flags or TLS files fail before anything else starts.
    let security = args.http.security_config()?;
    let tls = args.http.tls()?;
    let mut config = load_config(args.config.as_deref())?;
    let store = open_store(&args.db).await?;
    if args.demo {
        let files = demo::generate_demo(&args.demo_dir)?;
        eprintln!("demo: wrote {files} files under {}", args.demo_dir.display());
        let root = args.demo_dir.canonicalize()?;
        let mut source = SourceConfig::local_folder(&root);
        source.name = "demo-lake".into();
        source.containers = vec!["raw".into(), "staging".into(), "curated".into()];
        source.environment = "demo".into();
        source.data_source_type = "sample".into();
        config.sources.retain(|s| s.name != source.name);
        config.sources.push(source);
    }
    config.validate()?;
    let (key, key_source) = torro_engine::SecretKey::from_env().context("cannot load the secret key")?;
    tracing::info!(source = ?key_source, "connection secrets key loaded");
    let mut auth = args.auth.config();
    auth.oidc = oidc_args::config(&args.oidc, &key).context("OpenID Connect settings")?;
    let engine = Engine::with_secrets(store, config, torro_engine::SecretBox::new(&key));
    if args.demo {
        let run = engine.run_scan("demo", &progress::Reporter::stderr()).await?;
        eprintln!("demo: {}", output::scan_summary(&run));
    }
    let listener = tokio::net::TcpListener::bind(&args.bind).await.with_context(|| {
        format!(
            "cannot listen on {}; is another process using it? try --bind 127.0.0.1:0",
            args.bind
        )
    })?;
    let addr = listener.local_addr()?;
    if args.auth.no_auth && !addr.ip().is_loopback() {
        eprintln!("error: --no-auth is only allowed on a loopback address (got {addr}); use --bind 127.0.0.1:PORT");
        return Ok(ExitCode::from(2));
    }
    if !args.auth.no_auth {
        announce_first_admin(engine.store().as_ref()).await?;
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "Torro is serving on {scheme}://{addr} (web UI at {scheme}://{addr}/, API at {scheme}://{addr}/api/discovery, stop with Ctrl-C)"
    );
    let background = CancellationToken::new();
    let worker = (args.workers > 0).then(|| {
        torro_engine::Worker::new(engine.clone(), torro_engine::WorkerOptions::new(args.workers as usize))
            .spawn(background.clone())
    });
    if !args.no_scheduler {
        let scheduler = Scheduler::new(engine.clone(), Arc::new(SystemClock))?;
        tokio::spawn(scheduler.run(SCHEDULER_EVERY, background.clone()));
    }
    let stopped = background.clone();
    let shutdown = async move {
        shutdown_signal().await;
        stopped.cancel();
    };
    let server_config = torro_server::ServerConfig { auth, security };
    let state = torro_server::AppState::with_config(engine, server_config);
    if let Some(oidc) = state.oidc() {
        // An unreachable provider does not stop the server: local login still works and
        // the first OIDC login fetches the metadata again.
        match oidc.discover().await {
            Ok(()) => tracing::info!(issuer = %oidc.config().issuer_url, "OpenID Connect login is on"),
            Err(e) => {
                tracing::warn!(error = %e, "OpenID Connect: the provider is not reachable now; the first OIDC login will try again")
            }
        }
    }
    match tls {
        Some(tls) => torro_server::tls::serve_tls(listener.into_std()?, state, tls, shutdown).await?,
        None => torro_server::serve(listener, state, shutdown).await?,
    }
    background.cancel();
    if let Some(worker) = worker {
        eprintln!("stopping: running scans get a few seconds to finish, then are queued again");
        let _ = worker.await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates `admin` on a catalog without users, with `TORRO_ADMIN_PASSWORD` or a generated
/// password printed once.
async fn announce_first_admin(store: &dyn torro_catalog::CatalogStore) -> Result<()> {
    use torro_server::auth::bootstrap::{FIRST_ADMIN, FirstAdmin, ensure_admin};
    let from_env = std::env::var("TORRO_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
    match ensure_admin(store, from_env.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?
    {
        FirstAdmin::Existing => {}
        FirstAdmin::Created => {
            eprintln!("created user {FIRST_ADMIN:?} (role admin) with the password from TORRO_ADMIN_PASSWORD")
        }
        FirstAdmin::Generated(password) => eprintln!(
            "created user {FIRST_ADMIN:?} (role admin) with password {password}\n\
             this password is shown only now: sign in and change it (or set TORRO_ADMIN_PASSWORD before the first start)"
        ),
    }
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn scan(args: ScanArgs) -> Result<ExitCode> {
    let mut config = load_config(args.config.as_deref())?;
    for folder in &args.folders {
        let mut source = SourceConfig::local_folder(folder);
        if !folder.is_dir() {
            bail!("{} is not a folder", folder.display());
        }
        source.root = Some(folder.canonicalize()?);
        source.environment = args.environment.clone();
        source.env_type = args.env_type.clone();
        source.data_source_type = args.data_source_type.clone();
        source.file_extensions = args.extensions.clone();
        config.sources.push(source);
    }
    if config.sources.is_empty() {
        bail!("nothing to scan: name a folder (torro scan ./lake) or a config file (--config torro.toml)");
    }
    config.validate()?;
    let store = open_store(&args.db).await?;
    let engine = Engine::new(store.clone(), config);
    let reporter = match args.format {
        Format::Table => progress::Reporter::stderr(),
        Format::Json => progress::Reporter::quiet(),
    };
    let run = engine.run_scan("cli", &reporter).await?;
    reporter.finish();
    let errors = store.list_scan_errors(run.id, 0, 100).await?;
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({ "scan": run, "errors": errors.items }))?,
        Format::Table => {
            println!("{}", output::scan_summary(&run));
            for e in &errors.items {
                println!("  error {:?} {}: {}", e.kind, e.path, e.message);
            }
            if errors.total > errors.items.len() as i64 {
                println!("  ... and {} more errors", errors.total - errors.items.len() as i64);
            }
        }
    }
    Ok(match run.status {
        ScanStatus::Failed => ExitCode::FAILURE,
        _ if args.strict && run.error_count > 0 => ExitCode::from(3),
        _ => ExitCode::SUCCESS,
    })
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let mut query = DiscoveryQuery {
        page: args.page,
        size: args.size,
        environment: args.environment,
        data_source_type: args.data_source_type,
        format: args.format_filter,
        storage_type: args.storage,
        search: args.search,
        ..DiscoveryQuery::default()
    };
    if let Some(status) = args.status {
        if let Ok(s) = status.parse::<FileStatus>() {
            query.status = Some(s);
        } else {
            query.approval_status = Some(status.parse::<ApprovalStatus>().map_err(|_| {
                anyhow::anyhow!(
                    "unknown status {status:?}; expected active, error, deleted, pending, approved, rejected, published or archived"
                )
            })?);
        }
    }
    let store = open_store(&args.db).await?;
    let page = store.list_discoveries(&query).await?;
    match args.format {
        Format::Json => output::print_json(&page)?,
        Format::Table => output::print_discoveries(&page),
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(args: ShowArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let Some(d) = store.get_discovery(args.id).await? else {
        bail!(
            "no catalog entry with id {}; list them with `torro discoveries list`",
            args.id
        );
    };
    match args.format {
        Format::Json => output::print_json(&d)?,
        Format::Table => output::print_discovery(&d),
    }
    Ok(ExitCode::SUCCESS)
}
