//! `torro assets list|show|history`: the one catalog of database objects, files and
//! datasets, read with the same store calls as `GET /api/assets`, `GET /api/assets/{id}`
//! and `GET /api/assets/{id}/schema-history`.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use torro_model::{Asset, AssetIdKind, AssetQuery, AssetType, parse_asset_id};

use crate::output::{Format, print_json, table};
use crate::{DatabaseArgs, open_store};

/// Exit code when the named asset does not exist.
const NOT_FOUND: u8 = 3;

#[derive(Subcommand)]
pub enum AssetsCommand {
    /// List assets (tables, views, routines, files, datasets), by qualified name.
    List(ListArgs),
    /// Show one asset with its columns and definition (exit 3 when there is no such asset).
    Show(TargetArgs),
    /// The schema versions of a database object, with what changed in each (exit 3 when unknown).
    History(TargetArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Assets of this connection id only.
    #[arg(long)]
    connector: Option<i64>,
    /// table, view, materialized_view, procedure, function, trigger, file or dataset.
    #[arg(long = "type")]
    asset_type: Option<AssetType>,
    /// Database (PostgreSQL, Snowflake), service (Oracle) or MySQL schema.
    #[arg(long)]
    catalog: Option<String>,
    #[arg(long)]
    schema: Option<String>,
    /// Words matched against the qualified name.
    #[arg(long)]
    search: Option<String>,
    /// Include objects that were dropped (marked deleted).
    #[arg(long)]
    include_deleted: bool,
    #[arg(long, default_value_t = 0)]
    page: u32,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    size: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
pub struct TargetArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Asset id as listed: `db-12`, `file-3` or `dataset-7`.
    id: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn run(command: AssetsCommand) -> Result<ExitCode> {
    match command {
        AssetsCommand::List(args) => list(args).await,
        AssetsCommand::Show(args) => show(args).await,
        AssetsCommand::History(args) => history(args).await,
    }
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let query = AssetQuery {
        connector_id: args.connector,
        catalog: args.catalog,
        schema: args.schema,
        asset_type: args.asset_type,
        search: args.search,
        include_deleted: args.include_deleted,
        page: args.page,
        size: args.size,
    };
    let page = store.assets().list_assets(&query).await?;
    match args.format {
        Format::Json => print_json(&page)?,
        Format::Table => {
            let rows: Vec<Vec<String>> = page
                .items
                .iter()
                .map(|a| {
                    vec![
                        a.id.clone(),
                        a.asset_type.to_string(),
                        a.qualified_name.clone(),
                        a.columns.len().to_string(),
                        a.source_name.clone(),
                        if a.deleted { "deleted" } else { "" }.to_string(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(&["ID", "TYPE", "NAME", "COLUMNS", "SOURCE", "STATE"], &rows)
            );
            println!("{} of {} assets", page.items.len(), page.total);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn not_found(id: &str) -> ExitCode {
    eprintln!("error: no asset with id {id:?}; list them with `torro assets list`");
    ExitCode::from(NOT_FOUND)
}

async fn show(args: TargetArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    let Some(asset) = store.assets().get_asset(&args.id).await? else {
        return Ok(not_found(&args.id));
    };
    match args.format {
        Format::Json => print_json(&asset)?,
        Format::Table => print_asset(&asset),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_asset(a: &Asset) {
    println!("{} {} ({})", a.asset_type, a.qualified_name, a.id);
    println!("urn {}", a.urn);
    println!(
        "source {}; discovered {}; last changed {}{}",
        a.source_name,
        a.discovered_at.format("%Y-%m-%d %H:%M:%S"),
        a.last_changed.format("%Y-%m-%d %H:%M:%S"),
        if a.deleted { "; DELETED" } else { "" }
    );
    if let Some(text) = a.business_metadata.description.as_ref().or(a.source_comment.as_ref()) {
        println!("description: {text}");
    }
    if !a.columns.is_empty() {
        let rows: Vec<Vec<String>> = a
            .columns
            .iter()
            .map(|c| {
                vec![
                    c.ordinal.to_string(),
                    c.name.clone(),
                    c.data_type.clone(),
                    if c.nullable { "yes" } else { "no" }.to_string(),
                    if c.is_pk { "pk" } else { "" }.to_string(),
                    c.comment.clone().unwrap_or_default(),
                ]
            })
            .collect();
        println!(
            "{}",
            table(&["#", "COLUMN", "TYPE", "NULLABLE", "KEY", "COMMENT"], &rows)
        );
    }
    if let Some(d) = &a.definition {
        println!("definition ({}):\n{}", d.language, d.text);
    }
}

async fn history(args: TargetArgs) -> Result<ExitCode> {
    let store = open_store(&args.db).await?;
    // Files and datasets keep their history on the discovery (`torro discoveries show`).
    let id = match parse_asset_id(&args.id) {
        Some((AssetIdKind::Database, n)) => n,
        _ => return Ok(not_found(&args.id)),
    };
    if store.assets().get_asset(&args.id).await?.is_none() {
        return Ok(not_found(&args.id));
    }
    let versions = store.assets().asset_schema_history(id).await?;
    match args.format {
        Format::Json => print_json(&versions)?,
        Format::Table => {
            for v in &versions {
                let scan = v.scan_id.map(|s| format!(", scan {s}")).unwrap_or_default();
                println!(
                    "version {} at {}{scan}: {} columns",
                    v.version,
                    v.observed_at.format("%Y-%m-%d %H:%M:%S"),
                    v.schema.fields.len()
                );
                let Some(diff) = &v.diff else { continue };
                for f in &diff.added {
                    println!("  + {} {}", f.name, f.data_type);
                }
                for f in &diff.removed {
                    println!("  - {} {}", f.name, f.data_type);
                }
                for t in &diff.type_changed {
                    println!("  ~ {}: {} -> {}", t.name, t.from, t.to);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
