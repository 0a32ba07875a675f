//! `torro worker`: runs queued scans from a shared PostgreSQL or MySQL catalog, beside
//! any number of other workers and `serve` processes on other machines.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;
use torro_catalog::Backend;
use torro_engine::{Engine, Worker, WorkerOptions};

use crate::{DatabaseArgs, load_config, open_store, shutdown_signal};

#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Scans run at once by this process.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Config file: its [scan] settings, and its [[sources]] (without it, this worker runs
    /// only scans of managed connections).
    #[arg(long, env = "TORRO_CONFIG")]
    config: Option<PathBuf>,
    /// Name in leases and logs (default: host-pid).
    #[arg(long)]
    name: Option<String>,
    /// Seconds after which another worker takes over a job this worker stopped renewing.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=3600))]
    lease_secs: u64,
}

pub async fn run(args: WorkerArgs) -> Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    let store = open_store(&args.db).await?;
    if store.backend() == Backend::Sqlite {
        bail!(
            "`torro worker` needs a shared PostgreSQL or MySQL catalog (--database-url postgres://... or mysql://...); \
             with SQLite, `torro serve` runs the scheduler and its own worker in one process"
        );
    }
    let (key, _) = torro_engine::SecretKey::from_env().context("cannot load the secret key")?;
    let engine = Engine::with_secrets(store, config, torro_engine::SecretBox::new(&key));
    let mut options = WorkerOptions::new(args.concurrency as usize);
    if let Some(name) = args.name {
        options.name = name;
    }
    options.lease = std::time::Duration::from_secs(args.lease_secs);
    eprintln!(
        "worker {} running {} scans at once on {} (stop with Ctrl-C)",
        options.name,
        options.concurrency,
        torro_catalog::redact_url(&args.db.database_url)
    );
    let shutdown = CancellationToken::new();
    let handle = Worker::new(engine, options).spawn(shutdown.clone());
    shutdown_signal().await;
    eprintln!("worker: stopping; running scans get a few seconds to finish, then are queued again");
    shutdown.cancel();
    handle.await.context("the worker stopped abnormally")?;
    Ok(ExitCode::SUCCESS)
}
