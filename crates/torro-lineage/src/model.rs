//! What an analysis returns. The JSON form of [`ScriptLineage`] is a stable contract
//! (`torro lineage parse --format json`, `POST /api/lineage/sql`): add fields, never rename.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Lineage of a whole script: temporary tables collapsed out, column lineage through them
/// resolved to the real sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptLineage {
    /// Tables read but not written by the script.
    pub sources: Vec<String>,
    /// Tables written but not read by the script.
    pub targets: Vec<String>,
    /// Tables both written and read (temporary or staging tables).
    pub intermediates: Vec<String>,
    /// Column edges from sources to targets (through intermediates).
    pub column_lineage: Vec<ColumnLineage>,
    /// One entry per statement that was found, in script order.
    pub statements: Vec<StatementLineage>,
    /// Everything that could not be analysed; the rest of the script still is.
    pub warnings: Vec<Warning>,
}

/// Lineage of one statement: what it reads and what it writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLineage {
    /// Position in [`ScriptLineage::statements`], from 0.
    pub index: usize,
    /// What kind of statement: `select`, `insert`, `create_table_as`, `create_view`, `merge`, ...
    pub kind: String,
    /// 1-based line where the statement starts in the script.
    pub line: usize,
    /// The statement text as written.
    pub sql: String,
    pub sources: Vec<String>,
    pub targets: Vec<String>,
    /// Always empty for one statement; kept so every statement has the script's shape.
    pub intermediates: Vec<String>,
    pub column_lineage: Vec<ColumnLineage>,
    pub warnings: Vec<Warning>,
}

/// One column edge: `source` feeds `target`, both `table.column` with the table as
/// qualified as the SQL (and the default schema/database) made it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ColumnLineage {
    pub source: String,
    pub target: String,
    pub transformation: Transformation,
    /// The expression text when the value is computed (absent for pass-through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// How a target column is derived from a source column. Ordered from the weakest change
/// to the strongest: composing two steps keeps the stronger one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transformation {
    /// The value is copied (possibly renamed).
    PassThrough,
    /// The value is converted to another type (`CAST`, `::`).
    Cast,
    /// The value is computed by an expression or function (also `CASE`).
    Expression,
    /// The value is computed by a window function (`... OVER (...)`).
    Window,
    /// The value is computed by an aggregate function over groups of rows.
    Aggregation,
}

impl Transformation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PassThrough => "pass_through",
            Self::Cast => "cast",
            Self::Expression => "expression",
            Self::Window => "window",
            Self::Aggregation => "aggregation",
        }
    }

    /// The transformation of `self` applied after `inner`.
    pub fn then(self, inner: Transformation) -> Transformation {
        self.max(inner)
    }
}

impl std::fmt::Display for Transformation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem found while analysing; `code` is stable for scripts, `message` is for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Index of the statement it concerns, when it concerns one that was recognised.
    pub statement: Option<usize>,
    /// 1-based line in the script.
    pub line: Option<usize>,
    /// `parse_error`, `tokenize_error`, `unresolved_star`, `ambiguous_column`, `unknown_column`,
    /// `unsupported_statement`.
    pub code: String,
    pub message: String,
}

/// Known columns per table, used to expand `SELECT *` and to place unqualified columns.
/// Keys are table names as they appear in lineage output (normalized, qualified the same way).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TableSchemas(pub BTreeMap<String, Vec<String>>);

impl TableSchemas {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record the columns of `table` (a name like `sales.orders`, compared case-insensitively
    /// unless quoted in the SQL; pass it lower-cased for unquoted tables).
    pub fn insert(&mut self, table: impl Into<String>, columns: impl IntoIterator<Item = impl Into<String>>) {
        self.0
            .insert(table.into(), columns.into_iter().map(Into::into).collect());
    }

    pub fn columns(&self, table: &str) -> Option<&[String]> {
        self.0.get(table).map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
