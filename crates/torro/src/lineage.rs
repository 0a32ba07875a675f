//! `torro lineage ...`: lineage from SQL files (and, as they come, the catalog's lineage graph).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use torro_lineage::{AnalyzeOptions, ScriptLineage, SqlDialect, TableSchemas};

use crate::output::{Format, print_json};

#[derive(Subcommand)]
pub enum LineageCommand {
    /// Table and column lineage of a SQL file (scripts, views, procedure bodies).
    Parse(ParseArgs),
    /// The catalog's lineage graph around a dataset (also as DOT, Mermaid or OpenLineage).
    Graph(crate::lineage_graph::GraphArgs),
    /// Import a dbt project's lineage from its target folder (manifest.json, catalog.json).
    ImportDbt(crate::lineage_graph::ImportDbtArgs),
}

#[derive(Args)]
pub struct ParseArgs {
    /// The SQL file; `-` reads standard input.
    file: PathBuf,
    /// SQL dialect: generic, ansi, postgres, mysql, mssql (tsql), oracle, snowflake, bigquery,
    /// hive, spark, databricks, redshift, sqlite, duckdb.
    #[arg(long, short, default_value = "generic", value_parser = parse_dialect)]
    dialect: SqlDialect,
    /// Schema put in front of unqualified table names.
    #[arg(long)]
    default_schema: Option<String>,
    /// Database put in front of names without one.
    #[arg(long)]
    default_database: Option<String>,
    /// JSON file of known columns per table (`{"sales.orders": ["id", "amount"]}`) to expand `SELECT *`.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Exit with code 3 when some statements could not be analysed.
    #[arg(long)]
    strict: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn parse_dialect(s: &str) -> Result<SqlDialect, String> {
    s.parse().map_err(|e: torro_lineage::UnknownDialect| e.to_string())
}

pub async fn run(command: LineageCommand) -> Result<ExitCode> {
    match command {
        LineageCommand::Parse(args) => parse(args),
        LineageCommand::Graph(args) => crate::lineage_graph::graph(args).await,
        LineageCommand::ImportDbt(args) => crate::lineage_graph::import_dbt(args).await,
    }
}

fn parse(args: ParseArgs) -> Result<ExitCode> {
    let sql = if args.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read SQL from standard input")?;
        s
    } else {
        let bytes =
            std::fs::read(&args.file).with_context(|| format!("cannot read the SQL file {}", args.file.display()))?;
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let schemas = match &args.schemas {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the schemas file {}", path.display()))?;
            serde_json::from_str::<TableSchemas>(&text).with_context(|| {
                format!(
                    "{} is not a JSON object of table name to column list, like {{\"sales.orders\": [\"id\", \"amount\"]}}",
                    path.display()
                )
            })?
        }
        None => TableSchemas::default(),
    };
    let opts = AnalyzeOptions {
        dialect: args.dialect,
        default_database: args.default_database,
        default_schema: args.default_schema,
        schemas,
    };
    let lineage = torro_lineage::analyze(&sql, &opts);
    match args.format {
        Format::Json => print_json(&lineage)?,
        Format::Table => print_text(&lineage),
    }
    Ok(if args.strict && !lineage.warnings.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "-".into() } else { names.join(", ") }
}

fn print_text(l: &ScriptLineage) {
    println!("sources:       {}", list(&l.sources));
    println!("targets:       {}", list(&l.targets));
    println!("intermediates: {}", list(&l.intermediates));
    if !l.column_lineage.is_empty() {
        println!("column lineage:");
        for c in &l.column_lineage {
            println!("  {} -> {} ({})", c.source, c.target, c.transformation);
        }
    }
    let with_lineage = l
        .statements
        .iter()
        .filter(|s| !s.sources.is_empty() || !s.targets.is_empty())
        .count();
    println!("statements:    {} ({with_lineage} with lineage)", l.statements.len());
    for s in &l.statements {
        if s.sources.is_empty() && s.targets.is_empty() {
            continue;
        }
        println!(
            "  #{} line {} {}: {} -> {}",
            s.index,
            s.line,
            s.kind,
            list(&s.sources),
            list(&s.targets)
        );
    }
    if !l.warnings.is_empty() {
        println!("warnings:      {}", l.warnings.len());
        for w in &l.warnings {
            let line = w.line.map(|n| format!("line {n} ")).unwrap_or_default();
            println!("  {line}[{}] {}", w.code, w.message);
        }
    }
}
