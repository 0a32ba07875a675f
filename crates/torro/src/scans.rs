//! `torro scans list|show|cancel`: scan runs in the catalog, the same store calls as
//! `GET /api/scans`, `GET /api/scans/{id}` and `POST /api/scans/{id}/cancel`.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use torro_catalog::ScanRunFilter;
use torro_engine::{Engine, EngineError, TorroConfig};
use torro_model::ScanStatus;

use crate::output::{Format, print_json, scan_summary, table};
use crate::{DatabaseArgs, open_store};

/// Exit code when the named scan run does not exist.
const NOT_FOUND: u8 = 3;

#[derive(Subcommand)]
pub enum ScansCommand {
    /// List scan runs, newest first.
    List(ListArgs),
    /// Show one scan run with its job and first errors (exit 3 when there is no such run).
    Show(TargetArgs),
    /// Cancel a queued or running scan (exit 3 when there is no such run).
    Cancel(TargetArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// queued, running, succeeded, failed or cancelled.
    #[arg(long)]
    status: Option<ScanStatus>,
    /// Runs of this connection id only.
    #[arg(long)]
    connection: Option<i64>,
    #[arg(long, default_value_t = 0)]
    page: u32,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
    size: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
pub struct TargetArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Scan run id.
    id: i64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn run(command: ScansCommand) -> Result<ExitCode> {
    match command {
        ScansCommand::List(args) => list(args).await,
        ScansCommand::Show(args) => show(args).await,
        ScansCommand::Cancel(args) => cancel(args).await,
    }
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let filter = ScanRunFilter {
        status: args.status,
        connection_id: args.connection,
        page: args.page,
        size: args.size,
    };
    let page = store.jobs().list_scan_runs_filtered(&filter).await?;
    match args.format {
        Format::Json => print_json(&page)?,
        Format::Table => {
            let rows: Vec<Vec<String>> = page
                .items
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.status.to_string(),
                        r.trigger.clone(),
                        r.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        r.counts.new.to_string(),
                        r.counts.failed.to_string(),
                        r.target.clone(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &["ID", "STATUS", "TRIGGER", "STARTED (UTC)", "NEW", "FAILED", "TARGET"],
                    &rows
                )
            );
            println!("{} of {} scan runs", page.items.len(), page.total);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(args: TargetArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let Some(run) = store.get_scan_run(args.id).await? else {
        eprintln!(
            "error: no scan run with id {}; list them with `torro scans list`",
            args.id
        );
        return Ok(ExitCode::from(NOT_FOUND));
    };
    let job = store.jobs().job_for_scan(args.id).await?;
    let errors = store.list_scan_errors(args.id, 0, 100).await?;
    match args.format {
        Format::Json => print_json(&serde_json::json!({ "scan": run, "job": job, "errors": errors.items }))?,
        Format::Table => {
            println!("{}", scan_summary(&run));
            println!("trigger {}; target {}", run.trigger, run.target);
            if let Some(message) = &run.message {
                println!("message: {message}");
            }
            if let Some(job) = &job {
                println!(
                    "job {}: {}, attempt {} of {}{}",
                    job.id,
                    job.status,
                    job.attempts,
                    job.max_attempts,
                    job.lease_owner
                        .as_deref()
                        .map(|w| format!(", worker {w}"))
                        .unwrap_or_default()
                );
            }
            for e in &errors.items {
                println!("  error {:?} {}: {}", e.kind, e.path, e.message);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn cancel(args: TargetArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let engine = Engine::new(store, TorroConfig::default());
    let run = match engine.cancel_scan(args.id).await {
        Ok(run) => run,
        Err(EngineError::Catalog(torro_catalog::CatalogError::NotFound(_))) => {
            eprintln!(
                "error: no scan run with id {}; list them with `torro scans list`",
                args.id
            );
            return Ok(ExitCode::from(NOT_FOUND));
        }
        Err(e) => return Err(anyhow!(e)),
    };
    match args.format {
        Format::Json => print_json(&run)?,
        Format::Table if run.status.is_active() => {
            println!(
                "scan {} is {}; its worker stops it within a few seconds",
                run.id, run.status
            )
        }
        Format::Table => println!("scan {} is {}", run.id, run.status),
    }
    Ok(ExitCode::SUCCESS)
}
