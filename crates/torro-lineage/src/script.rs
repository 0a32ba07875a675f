//! A whole script: statements analysed in order, then combined, with tables that are both
//! written and read (temporary/staging tables) collapsed out of the column lineage.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{ColumnLineage, ScriptLineage, StatementLineage, Warning};
use sqlparser::ast::{Statement, Use};

use crate::names::{Naming, UseKind};
use crate::scan::scan;
use crate::statement::{Context, analyze_statement};
use crate::{AnalyzeOptions, SqlDialect, TableSchemas};

pub(crate) fn analyze_script(sql: &str, opts: &AnalyzeOptions) -> ScriptLineage {
    let dialect = opts.dialect.parser_dialect();
    let scanned = scan(sql, dialect.as_ref(), opts.dialect == SqlDialect::MsSql);
    let mut naming = Naming::new(opts);
    // Columns of tables created earlier in the script, for `SELECT *` and INSERT without a column list.
    let mut schemas: TableSchemas = opts.schemas.clone();
    let mut out = ScriptLineage::default();
    for found in scanned.found {
        let index = out.statements.len();
        if let Statement::Use(u) = &found.statement {
            use_statement(u, &mut naming);
        }
        let ctx = Context {
            naming: &naming,
            dialect: opts.dialect,
            schemas: &schemas,
            in_procedure: found.in_procedure,
        };
        let result = analyze_statement(&found.statement, &ctx);
        if let Some((table, columns)) = result.created {
            schemas.insert(table, columns);
        }
        let warnings = result
            .warnings
            .into_iter()
            .map(|(code, message)| Warning {
                statement: Some(index),
                line: Some(found.line),
                code: code.to_string(),
                message,
            })
            .collect::<Vec<_>>();
        out.warnings.extend(warnings.iter().cloned());
        out.statements.push(StatementLineage {
            index,
            kind: result.kind.to_string(),
            line: found.line,
            sql: found.sql,
            sources: result.sources.into_iter().collect(),
            targets: result.targets.into_iter().collect(),
            intermediates: Vec::new(),
            column_lineage: dedup(result.columns),
            warnings,
        });
    }
    out.warnings.extend(scanned.unparsed.into_iter().map(|u| Warning {
        statement: None,
        line: Some(u.line),
        code: u.code.to_string(),
        message: u.message,
    }));
    out.warnings.sort_by_key(|w| w.line);
    combine(&mut out);
    out
}

fn use_statement(u: &Use, naming: &mut Naming) {
    let (kind, name) = match u {
        Use::Catalog(n) | Use::Database(n) => (UseKind::Database, n),
        Use::Schema(n) => (UseKind::Schema, n),
        Use::Object(n) => (UseKind::Bare, n),
        _ => return,
    };
    let parts = naming.parts(name);
    naming.use_object(kind, parts);
}

fn dedup(mut columns: Vec<ColumnLineage>) -> Vec<ColumnLineage> {
    columns.sort();
    columns.dedup_by(|a, b| a.source == b.source && a.target == b.target);
    columns
}

/// Script-level tables and column lineage from the statements.
fn combine(out: &mut ScriptLineage) {
    let written: BTreeSet<&String> = out.statements.iter().flat_map(|s| &s.targets).collect();
    let read: BTreeSet<&String> = out.statements.iter().flat_map(|s| &s.sources).collect();
    // A table is intermediate when it feeds another write; a read that only fills variables
    // or a result set (`SELECT count(*) INTO n FROM t`) does not make it one.
    let feeding: BTreeSet<&String> = out
        .statements
        .iter()
        .filter(|s| !s.targets.is_empty())
        .flat_map(|s| &s.sources)
        .collect();
    let intermediates: BTreeSet<String> = written.intersection(&feeding).map(|s| s.to_string()).collect();
    out.sources = read
        .iter()
        .filter(|t| !written.contains(*t))
        .map(|s| s.to_string())
        .collect();
    out.targets = written
        .iter()
        .filter(|t| !intermediates.contains(t.as_str()))
        .map(|s| s.to_string())
        .collect();

    // In script order: what currently fills each intermediate column (already resolved to
    // real sources), so a read of it is replaced by what fed it before that read. Creating a
    // table again (a temp table per run of a loop or block) starts it afresh.
    let mut current: BTreeMap<String, Vec<ColumnLineage>> = BTreeMap::new();
    let mut columns = Vec::new();
    for statement in &out.statements {
        let mut updates = Vec::new();
        for edge in &statement.column_lineage {
            for e in resolve(edge, &current, &intermediates) {
                if intermediates.contains(table_of(&e.target)) {
                    updates.push(e);
                } else {
                    columns.push(e);
                }
            }
        }
        if statement.kind.starts_with("create") || statement.kind == "select_into" {
            for t in statement.targets.iter().filter(|t| intermediates.contains(*t)) {
                let prefix = format!("{t}.");
                let stale: Vec<String> = current
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in stale {
                    current.remove(&k);
                }
            }
        }
        for u in updates {
            current.entry(u.target.clone()).or_default().push(u);
        }
    }
    out.column_lineage = dedup(columns);
    out.intermediates = intermediates.into_iter().collect();
}

/// Replaces a read of an intermediate column by the edges that filled it.
fn resolve(
    edge: &ColumnLineage,
    current: &BTreeMap<String, Vec<ColumnLineage>>,
    intermediates: &BTreeSet<String>,
) -> Vec<ColumnLineage> {
    let table = table_of(&edge.source);
    if !intermediates.contains(table) {
        return vec![edge.clone()];
    }
    let column = &edge.source[table.len() + 1..];
    let compose = |up: &ColumnLineage, target: String, source: String| ColumnLineage {
        source,
        target,
        transformation: edge.transformation.then(up.transformation),
        expression: edge.expression.clone().or_else(|| up.expression.clone()),
    };
    let mut out = Vec::new();
    if column == "*" {
        // `SELECT * FROM tmp` with tmp's columns unknown: each filled column of tmp.
        let prefix = format!("{table}.");
        let target_table = table_of(&edge.target);
        for (filled, ups) in current
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
        {
            let name = &filled[prefix.len()..];
            for up in ups {
                let target = if edge.target.ends_with(".*") {
                    format!("{target_table}.{name}")
                } else {
                    edge.target.clone()
                };
                out.push(compose(up, target, up.source.clone()));
            }
        }
    } else if let Some(ups) = current.get(&edge.source) {
        out.extend(ups.iter().map(|up| compose(up, edge.target.clone(), up.source.clone())));
    } else if let Some(ups) = current.get(&format!("{table}.*")) {
        // tmp was filled by `SELECT * FROM s` with s's columns unknown: tmp.c is s.c.
        for up in ups {
            let source = match up.source.strip_suffix(".*") {
                Some(source_table) => format!("{source_table}.{column}"),
                None => up.source.clone(),
            };
            out.push(compose(up, edge.target.clone(), source));
        }
    }
    if out.is_empty() {
        // Nothing filled it that we know of (VALUES, or read before written): keep the edge.
        out.push(edge.clone());
    }
    out
}

/// `schema.table` of `schema.table.column`.
pub(crate) fn table_of(column: &str) -> &str {
    column.rsplit_once('.').map(|(t, _)| t).unwrap_or("")
}
