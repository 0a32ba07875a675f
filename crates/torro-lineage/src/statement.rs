//! Lineage of one parsed statement: the tables it reads and writes and the column edges
//! into what it writes.

use std::collections::BTreeSet;

use sqlparser::ast::{
    AlterTableOperation, Assignment, AssignmentTarget, CopyIntoSnowflakeKind, CopySource, Delete, Expr, FromTable,
    Insert, Merge, MergeAction, MergeInsertKind, ObjectName, Query, RenameTableNameKind, SetExpr, Statement,
    TableFactor, TableObject, Update, UpdateTableFromKind,
};

use crate::model::{ColumnLineage, Transformation};
use crate::names::Naming;
use crate::query::{Analyzer, Lineage, OutCol, Scope, truncate};
use crate::{SqlDialect, TableSchemas};

pub(crate) struct Context<'a> {
    pub naming: &'a Naming,
    pub dialect: SqlDialect,
    pub schemas: &'a TableSchemas,
    /// Inside a procedure body: `SELECT ... INTO x` assigns variables (except in T-SQL),
    /// and unknown names are often variables.
    pub in_procedure: bool,
}

#[derive(Default)]
pub(crate) struct StatementResult {
    pub kind: &'static str,
    pub sources: BTreeSet<String>,
    pub targets: BTreeSet<String>,
    pub columns: Vec<ColumnLineage>,
    pub warnings: Vec<(&'static str, String)>,
    /// A table the statement created or filled, with its columns, for later statements.
    pub created: Option<(String, Vec<String>)>,
}

pub(crate) fn analyze_statement(statement: &Statement, ctx: &Context) -> StatementResult {
    let mut an = Analyzer::new(ctx);
    let mut r = StatementResult {
        kind: "other",
        ..Default::default()
    };
    analyze_into(statement, ctx, &mut an, &mut r);
    r.sources.extend(std::mem::take(&mut an.sources));
    r.warnings.append(&mut an.warnings);
    r
}

fn analyze_into(statement: &Statement, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    match statement {
        // `WITH ... INSERT/UPDATE/DELETE/MERGE`: the CTEs are visible to the statement.
        Statement::Query(q)
            if matches!(
                q.body.as_ref(),
                SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
            ) =>
        {
            let mark = an.push_ctes(q.with.as_ref(), None);
            if let SetExpr::Insert(inner) | SetExpr::Update(inner) | SetExpr::Delete(inner) | SetExpr::Merge(inner) =
                q.body.as_ref()
            {
                analyze_into(inner, ctx, an, r);
            }
            an.pop_ctes(mark);
        }
        Statement::Query(q) => query_statement(q, ctx, an, r),
        Statement::Insert(insert) => insert_statement(insert, ctx, an, r),
        Statement::CreateTable(create) => {
            let target = ctx.naming.table(&create.name);
            let declared: Vec<String> = create.columns.iter().map(|c| ctx.naming.ident(&c.name)).collect();
            if let Some(q) = &create.query {
                r.kind = "create_table_as";
                let columns = an.query(q, None);
                let names = if declared.is_empty() {
                    names_of(&columns)
                } else {
                    declared
                };
                write_columns(&target, &names, &columns, r);
                r.created = Some((target.clone(), names));
                r.targets.insert(target);
            } else if let Some(clone) = &create.clone {
                r.kind = "create_table_clone";
                let source = ctx.naming.table(clone);
                if let Some(cols) = ctx.schemas.columns(&source) {
                    r.created = Some((target.clone(), cols.to_vec()));
                }
                table_copy(&source, &target, ctx, r);
                r.sources.insert(source);
                r.targets.insert(target);
            } else {
                r.kind = "create_table";
                if !declared.is_empty() {
                    r.created = Some((target, declared));
                }
            }
        }
        Statement::CreateView(view) => {
            r.kind = if view.materialized {
                "create_materialized_view"
            } else {
                "create_view"
            };
            let target = ctx.naming.table(&view.name);
            let columns = an.query(&view.query, None);
            let names = if view.columns.is_empty() {
                names_of(&columns)
            } else {
                view.columns.iter().map(|c| ctx.naming.ident(&c.name)).collect()
            };
            write_columns(&target, &names, &columns, r);
            r.created = Some((target.clone(), names));
            r.targets.insert(target);
        }
        Statement::Update(update) => update_statement(update, ctx, an, r),
        Statement::Delete(delete) => delete_statement(delete, ctx, an, r),
        Statement::Merge(merge) => merge_statement(merge, ctx, an, r),
        Statement::Copy { source, to, .. } => {
            r.kind = "copy";
            match source {
                CopySource::Table { table_name, .. } => {
                    let table = ctx.naming.table(table_name);
                    if *to {
                        r.sources.insert(table);
                    } else {
                        r.targets.insert(table);
                    }
                }
                CopySource::Query(q) => {
                    an.query(q, None);
                }
            }
        }
        Statement::CopyIntoSnowflake {
            kind,
            into,
            from_obj,
            from_query,
            ..
        } => {
            r.kind = "copy";
            if let Some(q) = from_query {
                an.query(q, None);
            }
            match kind {
                CopyIntoSnowflakeKind::Table => {
                    r.targets.insert(ctx.naming.table(into));
                }
                // COPY INTO @stage FROM table unloads the table.
                CopyIntoSnowflakeKind::Location => {
                    if let Some(obj) = from_obj
                        && !obj.to_string().starts_with('@')
                    {
                        r.sources.insert(ctx.naming.table(obj));
                    }
                }
            }
        }
        Statement::Directory { path, source, .. } => {
            r.kind = "insert_directory";
            an.query(source, None);
            r.targets.insert(path.clone());
        }
        Statement::Cache {
            table_name,
            query: Some(q),
            ..
        } => {
            r.kind = "cache_table";
            let target = ctx.naming.table(table_name);
            let columns = an.query(q, None);
            let names = names_of(&columns);
            write_columns(&target, &names, &columns, r);
            r.created = Some((target.clone(), names));
            r.targets.insert(target);
        }
        Statement::LoadData { table_name, .. } => {
            r.kind = "load_data";
            r.targets.insert(ctx.naming.table(table_name));
        }
        Statement::RenameTable(renames) => {
            for rename in renames {
                rename_table(&rename.old_name, &rename.new_name, ctx, r);
            }
        }
        Statement::AlterTable(alter) => {
            for op in &alter.operations {
                if let AlterTableOperation::RenameTable {
                    table_name: RenameTableNameKind::As(new) | RenameTableNameKind::To(new),
                } = op
                {
                    rename_table(&alter.name, new, ctx, r);
                }
            }
        }
        Statement::Unload { query, query_text, .. } => {
            r.kind = "unload";
            if let Some(q) = query {
                an.query(q, None);
            }
            // Redshift gives the query as a string literal.
            if let Some(text) = query_text {
                let dialect = ctx.dialect.parser_dialect();
                match sqlparser::parser::Parser::parse_sql(dialect.as_ref(), text) {
                    Ok(statements) => {
                        for s in &statements {
                            analyze_into(s, ctx, an, r);
                        }
                        r.kind = "unload";
                    }
                    Err(e) => r
                        .warnings
                        .push(("parse_error", format!("cannot parse the UNLOAD query: {e}"))),
                }
            }
        }
        _ => {}
    }
}

fn query_statement(q: &Query, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    r.kind = "select";
    let columns = an.query(q, None);
    let SetExpr::Select(select) = q.body.as_ref() else {
        return;
    };
    let Some(into) = &select.into else { return };
    // In PL/SQL, PL/pgSQL, MySQL and Snowflake procedures SELECT ... INTO fills variables.
    if ctx.in_procedure && ctx.dialect != SqlDialect::MsSql {
        return;
    }
    let Some(name) = into_table(&into.targets) else { return };
    r.kind = "select_into";
    let target = ctx.naming.table(&name);
    let names = names_of(&columns);
    write_columns(&target, &names, &columns, r);
    r.created = Some((target.clone(), names));
    r.targets.insert(target);
}

/// The table of `SELECT ... INTO t`; several targets, `@var` or `:var` are variables.
fn into_table(targets: &[Expr]) -> Option<ObjectName> {
    let [target] = targets else { return None };
    let idents = match target {
        Expr::Identifier(id) => vec![id.clone()],
        Expr::CompoundIdentifier(ids) => ids.clone(),
        _ => return None,
    };
    if idents
        .iter()
        .any(|i| i.quote_style.is_none() && i.value.starts_with(['@', ':']))
    {
        return None;
    }
    Some(ObjectName::from(idents))
}

fn insert_statement(insert: &Insert, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    r.kind = "insert";
    let TableObject::TableName(name) = &insert.table else {
        r.warnings.push((
            "unsupported_statement",
            "INSERT INTO a table function is not analysed".into(),
        ));
        return;
    };
    let target = ctx.naming.table(name);
    r.targets.insert(target.clone());
    for clause in &insert.multi_table_into_clauses {
        r.targets.insert(ctx.naming.table(&clause.table_name));
    }
    let declared: Vec<String> = insert
        .columns
        .iter()
        .filter_map(|c| ctx.naming.parts(c).pop())
        .collect();
    if let Some(source) = &insert.source {
        let columns = an.query(source, None);
        let names = if !declared.is_empty() {
            declared
        } else if let Some(known) = ctx.schemas.columns(&target) {
            known.to_vec()
        } else {
            names_of(&columns)
        };
        if insert.multi_table_into_clauses.is_empty() {
            write_columns(&target, &names, &columns, r);
        }
    }
    if !insert.assignments.is_empty() {
        let scope = Scope::default();
        for a in &insert.assignments {
            assign(a, &target, &scope, ctx, an, r);
        }
    }
}

fn update_statement(update: &Update, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    r.kind = "update";
    let mut scope = Scope::default();
    if let Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) = &update.from {
        for twj in from {
            an.add_from(twj, &mut scope);
        }
    }
    // T-SQL `UPDATE a SET ... FROM t AS a JOIN ...` names the target by its alias.
    let aliased = matches!(&update.table.relation, TableFactor::Table { name, .. } if an.is_alias(name, &scope));
    if !aliased {
        an.add_from(&update.table, &mut scope);
    }
    let Some(target) = an.target_of(&update.table.relation, &scope) else {
        return;
    };
    for a in &update.assignments {
        let table = match &a.target {
            AssignmentTarget::ColumnName(col) if ctx.naming.parts(col).len() > 1 => {
                let mut parts = ctx.naming.parts(col);
                parts.pop();
                an.table_named(&parts, &scope).unwrap_or_else(|| target.clone())
            }
            _ => target.clone(),
        };
        assign(a, &table, &scope, ctx, an, r);
        r.targets.insert(table);
    }
    if let Some(selection) = &update.selection {
        an.expr(selection, Some(&scope), &[]);
    }
    r.targets.insert(target);
    for t in &r.targets {
        an.sources.remove(t);
    }
}

fn delete_statement(delete: &Delete, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    r.kind = "delete";
    let mut scope = Scope::default();
    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
    for twj in from.iter().chain(delete.using.iter().flatten()) {
        an.add_from(twj, &mut scope);
    }
    let targets: Vec<String> = if delete.tables.is_empty() {
        from.first()
            .and_then(|twj| an.target_of(&twj.relation, &scope))
            .into_iter()
            .collect()
    } else {
        delete
            .tables
            .iter()
            .map(|t| {
                let parts = ctx.naming.parts(t);
                an.table_named(&parts, &scope).unwrap_or_else(|| ctx.naming.table(t))
            })
            .collect()
    };
    if let Some(selection) = &delete.selection {
        an.expr(selection, Some(&scope), &[]);
    }
    for t in targets {
        an.sources.remove(&t);
        r.targets.insert(t);
    }
}

fn merge_statement(merge: &Merge, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    r.kind = "merge";
    let mut scope = Scope::default();
    an.add_factor(&merge.table, &mut scope);
    an.add_factor(&merge.source, &mut scope);
    let Some(target) = an.target_of(&merge.table, &scope) else {
        return;
    };
    an.expr(&merge.on, Some(&scope), &[]);
    for clause in &merge.clauses {
        if let Some(p) = &clause.predicate {
            an.expr(p, Some(&scope), &[]);
        }
        match &clause.action {
            MergeAction::Update(update) => {
                if let sqlparser::ast::MergeUpdateKind::Set(assignments) = &update.kind {
                    for a in assignments {
                        assign(a, &target, &scope, ctx, an, r);
                    }
                } else {
                    // Databricks `UPDATE SET *`: every source column into the same-named column.
                    star_into(&merge.source, &target, &scope, an, r);
                }
            }
            MergeAction::Insert(insert) => match &insert.kind {
                MergeInsertKind::Values(values) => {
                    let names: Vec<String> = insert
                        .columns
                        .iter()
                        .filter_map(|c| ctx.naming.parts(c).pop())
                        .collect();
                    let names = if names.is_empty() {
                        ctx.schemas.columns(&target).map(<[String]>::to_vec).unwrap_or_default()
                    } else {
                        names
                    };
                    for row in &values.rows {
                        for (name, e) in names.iter().zip(&row.content) {
                            let (lineage, expr) = an.expr(e, Some(&scope), &[]);
                            push_edges(&target, name, &lineage, expr.as_deref(), r);
                        }
                    }
                }
                _ => star_into(&merge.source, &target, &scope, an, r),
            },
            _ => {}
        }
    }
    r.targets.insert(target.clone());
    an.sources.remove(&target);
}

/// `INSERT *` / `UPDATE SET *` of a MERGE: source columns into the same-named target columns.
fn star_into(source: &TableFactor, target: &str, scope: &Scope, an: &mut Analyzer, r: &mut StatementResult) {
    for col in an.columns_of_factor(source, scope) {
        let name = col.name.clone();
        push_edges(target, &name, &col.lineage, col.expr.as_deref(), r);
    }
}

/// `SET col = expr` (UPDATE, MERGE, MySQL INSERT ... SET).
fn assign(a: &Assignment, table: &str, scope: &Scope, ctx: &Context, an: &mut Analyzer, r: &mut StatementResult) {
    let (lineage, expr) = an.expr(&a.value, Some(scope), &[]);
    let columns: Vec<String> = match &a.target {
        AssignmentTarget::ColumnName(c) => ctx.naming.parts(c).pop().into_iter().collect(),
        AssignmentTarget::Tuple(cs) => cs.iter().filter_map(|c| ctx.naming.parts(c).pop()).collect(),
    };
    for column in columns {
        // `SET x = x + 1` changes a column in place: no edge from a column to itself.
        let mut lineage = lineage.clone();
        lineage.remove(&(table.to_string(), column.clone()));
        push_edges(table, &column, &lineage, expr.as_deref(), r);
    }
}

/// Column edges from a query's output columns into `target`'s columns, by position.
fn write_columns(target: &str, names: &[String], columns: &[OutCol], r: &mut StatementResult) {
    for (i, col) in columns.iter().enumerate() {
        if col.is_star() {
            // An unexpanded * feeds the target's columns of the same names.
            push_edges(target, "*", &col.lineage, None, r);
            if columns[i..].iter().filter(|c| c.is_star()).count() > 0 && i < names.len() {
                // Columns after an unexpanded * cannot be placed by position.
                break;
            }
            continue;
        }
        let Some(name) = names.get(i) else {
            r.warnings.push((
                "column_count",
                format!(
                    "the query returns more columns ({}) than {target} lists ({})",
                    columns.len(),
                    names.len()
                ),
            ));
            break;
        };
        push_edges(target, name, &col.lineage, col.expr.as_deref(), r);
    }
}

fn push_edges(target: &str, column: &str, lineage: &Lineage, expr: Option<&str>, r: &mut StatementResult) {
    for ((table, source_column), t) in lineage {
        r.columns.push(ColumnLineage {
            source: format!("{table}.{source_column}"),
            target: format!("{target}.{column}"),
            transformation: *t,
            expression: (*t != Transformation::PassThrough)
                .then(|| expr.map(truncate))
                .flatten(),
        });
    }
}

/// `CREATE TABLE t CLONE s`: every column of s into t (or `s.*` into `t.*`).
fn table_copy(source: &str, target: &str, ctx: &Context, r: &mut StatementResult) {
    let columns: Vec<String> = ctx
        .schemas
        .columns(source)
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| vec!["*".into()]);
    for c in columns {
        let lineage = Lineage::from([((source.to_string(), c.clone()), Transformation::PassThrough)]);
        push_edges(target, &c, &lineage, None, r);
    }
}

/// `ALTER TABLE a RENAME TO b`, `RENAME TABLE a TO b`: b holds a's data.
fn rename_table(old: &ObjectName, new: &ObjectName, ctx: &Context, r: &mut StatementResult) {
    r.kind = "rename_table";
    let source = ctx.naming.table(old);
    let mut new_parts = ctx.naming.parts(new);
    // `ALTER TABLE s.a RENAME TO b` keeps the schema in most dialects.
    if new_parts.len() == 1 {
        let old_parts = ctx.naming.parts(old);
        new_parts.splice(0..0, old_parts[..old_parts.len().saturating_sub(1)].iter().cloned());
    }
    let target = ctx.naming.qualify(new_parts);
    if let Some(cols) = ctx.schemas.columns(&source) {
        r.created = Some((target.clone(), cols.to_vec()));
    }
    table_copy(&source, &target, ctx, r);
    r.sources.insert(source);
    r.targets.insert(target);
}

fn names_of(columns: &[OutCol]) -> Vec<String> {
    columns.iter().map(|c| c.name.clone()).collect()
}
