//! SQL lineage: which tables and columns a SQL script reads and writes.
//!
//! [`analyze`] takes a script (many statements, procedure bodies, any of the
//! [`SqlDialect`]s) and returns [`ScriptLineage`]. It never fails and never panics:
//! what it cannot analyse becomes a [`Warning`] and the rest of the script is still analysed.
//!
//! ```
//! use torro_lineage::{analyze, AnalyzeOptions, SqlDialect};
//! let opts = AnalyzeOptions { dialect: SqlDialect::Postgres, ..AnalyzeOptions::default() };
//! let l = analyze("INSERT INTO mart.daily SELECT id, sum(x) AS total FROM raw.events GROUP BY id", &opts);
//! assert_eq!(l.sources, ["raw.events"]);
//! assert_eq!(l.targets, ["mart.daily"]);
//! ```

pub mod dbt;
mod dialect;
mod model;
mod names;
pub mod openlineage;
mod query;
mod scan;
mod script;
mod statement;

pub use dialect::{SqlDialect, UnknownDialect};
pub use model::{ColumnLineage, ScriptLineage, StatementLineage, TableSchemas, Transformation, Warning};

/// How to read a script.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    pub dialect: SqlDialect,
    /// Database (catalog) put in front of names that have no database part.
    pub default_database: Option<String>,
    /// Schema put in front of unqualified table names.
    pub default_schema: Option<String>,
    /// Known columns of tables, to expand `SELECT *` and place unqualified columns.
    pub schemas: TableSchemas,
}

/// Table and column lineage of a SQL script. Problems are returned as warnings.
pub fn analyze(sql: &str, opts: &AnalyzeOptions) -> ScriptLineage {
    script::analyze_script(sql, opts)
}
