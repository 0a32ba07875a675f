//! Identifier normalization and table-name qualification.
//!
//! Unquoted identifiers are lower-cased. Quoted identifiers keep their case where the
//! dialect makes quoted names case-sensitive (ANSI, PostgreSQL, Oracle, Snowflake);
//! in Oracle and Snowflake an all-upper-case quoted name is the same object as the unquoted
//! one (they fold to upper case), so it is lower-cased too. Dialects whose identifiers are
//! case-insensitive even when quoted (MySQL, T-SQL, Hive/Spark/Databricks, Redshift,
//! SQLite, DuckDB, BigQuery) lower-case everything.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use crate::{AnalyzeOptions, SqlDialect};

#[derive(Clone, Debug)]
pub(crate) struct Naming {
    dialect: SqlDialect,
    default_database: Option<String>,
    default_schema: Option<String>,
}

impl Naming {
    pub fn new(opts: &AnalyzeOptions) -> Self {
        let given = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(normalize_free);
        Self {
            dialect: opts.dialect,
            default_database: given(&opts.default_database),
            default_schema: given(&opts.default_schema),
        }
    }

    /// `USE x` / `USE DATABASE x` / `USE SCHEMA db.x`: later statements default to it.
    pub fn use_object(&mut self, kind: UseKind, parts: Vec<String>) {
        let kind = match kind {
            // A bare `USE x` names a database in T-SQL and Snowflake, a schema (which is
            // the same thing) in MySQL, Hive, Spark and Databricks.
            UseKind::Bare if matches!(self.dialect, SqlDialect::MsSql | SqlDialect::Snowflake) => UseKind::Database,
            UseKind::Bare => UseKind::Schema,
            other => other,
        };
        match (kind, parts.as_slice()) {
            (UseKind::Database, [db]) => {
                self.default_database = Some(db.clone());
                if self.dialect == SqlDialect::Snowflake {
                    self.default_schema = Some("public".into());
                }
            }
            (UseKind::Schema, [schema]) => self.default_schema = Some(schema.clone()),
            (_, [db, schema]) => {
                self.default_database = Some(db.clone());
                self.default_schema = Some(schema.clone());
            }
            _ => {}
        }
    }

    fn quoted_keeps_case(&self) -> bool {
        matches!(
            self.dialect,
            SqlDialect::Generic | SqlDialect::Ansi | SqlDialect::Postgres | SqlDialect::Oracle | SqlDialect::Snowflake
        )
    }

    pub fn ident(&self, ident: &Ident) -> String {
        let folds_upper = matches!(self.dialect, SqlDialect::Oracle | SqlDialect::Snowflake);
        match ident.quote_style {
            Some(_) if self.quoted_keeps_case() => {
                if folds_upper && !ident.value.chars().any(|c| c.is_lowercase()) {
                    ident.value.to_lowercase()
                } else {
                    ident.value.clone()
                }
            }
            _ => ident.value.to_lowercase(),
        }
    }

    /// The parts of a name, with quoted parts holding dots (BigQuery `project.dataset.table`) split.
    pub fn parts(&self, name: &ObjectName) -> Vec<String> {
        let mut parts = Vec::with_capacity(name.0.len());
        for part in &name.0 {
            if let ObjectNamePart::Identifier(ident) = part {
                if ident.quote_style == Some('`') && ident.value.contains('.') {
                    parts.extend(ident.value.split('.').map(str::to_lowercase));
                } else {
                    parts.push(self.ident(ident));
                }
            }
        }
        parts
    }

    /// A table's name as lineage reports it: written parts, with the default schema and
    /// database put in front of the parts that are missing. Temporary tables of T-SQL
    /// (`#t`) stay unqualified.
    pub fn table(&self, name: &ObjectName) -> String {
        self.qualify(self.parts(name))
    }

    pub fn qualify(&self, mut parts: Vec<String>) -> String {
        // T-SQL `db..table` leaves an empty schema part.
        parts.retain(|p| !p.is_empty());
        if parts.len() == 1 && parts[0].starts_with('#') {
            return parts.remove(0);
        }
        if parts.len() == 1
            && let Some(schema) = &self.default_schema
        {
            parts.insert(0, schema.clone());
        }
        if parts.len() == 2
            && let Some(db) = &self.default_database
        {
            parts.insert(0, db.clone());
        }
        parts.join(".")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UseKind {
    Database,
    Schema,
    Bare,
}

/// A name given outside SQL (options): lower-cased unless written in double quotes.
fn normalize_free(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.to_string(),
        None => s.to_lowercase(),
    }
}
