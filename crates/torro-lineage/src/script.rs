//! A whole script: statements analysed in order, then combined, with tables that are both
//! written and read (temporary/staging tables) collapsed out of the column lineage.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{ColumnLineage, ScriptLineage, StatementLineage, Warning};
use crate::names::Naming;
use crate::scan::scan;
use crate::statement::{Context, analyze_statement};
use crate::{AnalyzeOptions, SqlDialect, TableSchemas};

pub(crate) fn analyze_script(sql: &str, opts: &AnalyzeOptions) -> ScriptLineage {
    let dialect = opts.dialect.parser_dialect();
    let scanned = scan(sql, dialect.as_ref(), opts.dialect == SqlDialect::MsSql);
    let naming = Naming::new(opts);
    // Columns of tables created earlier in the script, for `SELECT *` and INSERT without a column list.
    let mut schemas: TableSchemas = opts.schemas.clone();
    let mut out = ScriptLineage::default();
    for found in scanned.found {
        let index = out.statements.len();
        let ctx = Context {
            naming,
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

    // Edges into each intermediate column, to replace a read of it by what fed it.
    let mut feeds: BTreeMap<&str, Vec<&ColumnLineage>> = BTreeMap::new();
    for edge in out.statements.iter().flat_map(|s| &s.column_lineage) {
        if intermediates.contains(table_of(&edge.target)) {
            feeds.entry(edge.target.as_str()).or_default().push(edge);
        }
    }
    let mut columns = Vec::new();
    for edge in out.statements.iter().flat_map(|s| &s.column_lineage) {
        if intermediates.contains(table_of(&edge.target)) {
            continue;
        }
        let mut seen = BTreeSet::new();
        resolve(edge, &feeds, &intermediates, &mut seen, &mut columns);
    }
    out.column_lineage = dedup(columns);
    out.intermediates = intermediates.into_iter().collect();
}

/// Follows `edge` back through intermediate tables to real sources.
fn resolve<'a>(
    edge: &'a ColumnLineage,
    feeds: &BTreeMap<&str, Vec<&'a ColumnLineage>>,
    intermediates: &BTreeSet<String>,
    seen: &mut BTreeSet<&'a str>,
    out: &mut Vec<ColumnLineage>,
) {
    if !intermediates.contains(table_of(&edge.source)) {
        out.push(edge.clone());
        return;
    }
    let upstream = feeds.get(edge.source.as_str()).or_else(|| {
        // `SELECT * FROM tmp` where tmp was filled column by column, or the reverse.
        feeds.get(format!("{}.*", table_of(&edge.source)).as_str())
    });
    match upstream {
        Some(ups) if seen.insert(edge.source.as_str()) => {
            for up in ups {
                let mut combined = Vec::new();
                resolve(up, feeds, intermediates, seen, &mut combined);
                for c in combined {
                    out.push(ColumnLineage {
                        source: c.source,
                        target: edge.target.clone(),
                        transformation: edge.transformation.then(c.transformation),
                        expression: edge.expression.clone().or(c.expression),
                    });
                }
            }
            seen.remove(edge.source.as_str());
        }
        // Nothing fed it (filled by VALUES, or a cycle): keep the edge as it is.
        _ => out.push(edge.clone()),
    }
}

/// `schema.table` of `schema.table.column`.
pub(crate) fn table_of(column: &str) -> &str {
    column.rsplit_once('.').map(|(t, _)| t).unwrap_or("")
}
