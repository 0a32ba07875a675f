//! `torro lineage graph URN` and `torro lineage import-dbt target/`: the catalog's lineage
//! from the command line, through the same engine service as the API.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use torro_catalog::CatalogError;
use torro_engine::EngineError;
use torro_engine::lineage::{DbtImportOptions, Lineage, export};
use torro_lineage::dbt::{Catalog, Manifest};
use torro_model::lineage::{DEFAULT_GRAPH_NODES, Direction, GraphQuery, LineageGraph, MAX_GRAPH_DEPTH};

use crate::DatabaseArgs;
use crate::output::print_json;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphFormat {
    Table,
    Json,
    Dot,
    Mermaid,
    Openlineage,
}

#[derive(Args)]
pub struct GraphArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Dataset URN, e.g. s3://lake/raw/orders or postgres://db:5432/shop.public.orders.
    urn: String,
    /// upstream, downstream or both.
    #[arg(long, default_value = "both", value_parser = parse_direction)]
    direction: Direction,
    /// Hops from the dataset.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=MAX_GRAPH_DEPTH as i64))]
    depth: u32,
    /// The graph as it was at this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_parser = parse_time)]
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Follow only this column.
    #[arg(long)]
    column: Option<String>,
    #[arg(long, default_value_t = DEFAULT_GRAPH_NODES)]
    max_nodes: usize,
    #[arg(long, value_enum, default_value_t = GraphFormat::Table)]
    format: GraphFormat,
}

#[derive(Args)]
pub struct ImportDbtArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// dbt's target folder (holds manifest.json, and catalog.json after `dbt docs generate`).
    target: PathBuf,
    /// The warehouse's namespace, e.g. postgres://db.internal:5432, so dbt's tables land on
    /// the database assets Torro scanned. Default: dbt://PROJECT.
    #[arg(long)]
    namespace: Option<String>,
    /// Who imports (audit log).
    #[arg(long, default_value = "cli")]
    actor: String,
    #[arg(long, value_enum, default_value_t = crate::output::Format::Table)]
    format: crate::output::Format,
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    s.parse()
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{s:?} is not a time like 2024-03-01T00:00:00Z or a date like 2024-03-01"))
}

fn print_table(g: &LineageGraph) {
    let rows: Vec<Vec<String>> = g
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.depth.to_string(),
                n.urn.clone(),
                if n.columns.is_empty() {
                    "-".into()
                } else {
                    n.columns.join(", ")
                },
            ]
        })
        .collect();
    println!("{}", crate::output::table(&["depth", "dataset", "columns"], &rows));
    println!();
    for e in &g.edges {
        let via = e.process.as_deref().unwrap_or("manual");
        let confidence = if e.confidence < 1.0 {
            format!(" (confidence {:.2})", e.confidence)
        } else {
            String::new()
        };
        println!(
            "{} -> {}  [{} via {via}]{confidence}",
            e.source, e.target, e.relationship
        );
        for c in &e.columns {
            println!("    {} -> {} ({})", c.source_column, c.target_column, c.transformation);
        }
    }
    if g.truncated {
        println!("(stopped at {} datasets; raise --max-nodes to see more)", g.nodes.len());
    }
}

pub async fn graph(args: GraphArgs) -> Result<ExitCode> {
    let store = crate::open_store(&args.db).await?;
    let q = GraphQuery {
        urn: args.urn.clone(),
        direction: args.direction,
        depth: args.depth,
        as_of: args.as_of,
        column: args.column,
        max_nodes: args.max_nodes,
    };
    let graph = match Lineage::new(store).graph(&q).await {
        Ok(g) => g,
        Err(EngineError::Catalog(CatalogError::NotFound(_))) => {
            eprintln!(
                "error: no lineage for {}; record some with POST /api/lineage/process, OpenLineage events or `torro lineage import-dbt`",
                args.urn
            );
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    };
    match args.format {
        GraphFormat::Table => print_table(&graph),
        GraphFormat::Json => print_json(&graph)?,
        GraphFormat::Dot => print!("{}", export::to_dot(&graph)),
        GraphFormat::Mermaid => print!("{}", export::to_mermaid(&graph)),
        GraphFormat::Openlineage => print_json(&export::to_openlineage(&graph))?,
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn import_dbt(args: ImportDbtArgs) -> Result<ExitCode> {
    let manifest_path = args.target.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "cannot read {}; run `dbt compile` (or `dbt run`) first and pass dbt's target folder",
            manifest_path.display()
        )
    })?;
    let manifest = Manifest::from_json(&text)?;
    let catalog_path = args.target.join("catalog.json");
    let catalog = if catalog_path.exists() {
        let text = std::fs::read_to_string(&catalog_path)
            .with_context(|| format!("cannot read {}", catalog_path.display()))?;
        Some(Catalog::from_json(&text)?)
    } else {
        None
    };
    let store = crate::open_store(&args.db).await?;
    let opts = DbtImportOptions {
        namespace: args.namespace,
        actor: torro_model::Actor {
            name: args.actor,
            role: None,
            source_ip: None,
        },
    };
    let summary = Lineage::new(store)
        .import_dbt(&manifest, catalog.as_ref(), &opts)
        .await?;
    match args.format {
        crate::output::Format::Json => print_json(&summary)?,
        crate::output::Format::Table => {
            println!(
                "dbt project {} into {}: {} datasets, {} models, {} tests, {} edges opened, {} closed, {} column mappings{}",
                summary.project,
                summary.namespace,
                summary.datasets,
                summary.models,
                summary.tests,
                summary.edges_opened,
                summary.edges_closed,
                summary.column_mappings,
                if catalog.is_some() {
                    ""
                } else {
                    " (no catalog.json: run `dbt docs generate` for column types)"
                }
            );
            for w in &summary.warnings {
                println!("  warning: {w}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
