//! Column lineage of queries: which source columns feed each output column.
//!
//! A query is analysed bottom-up: every FROM item becomes a relation in a scope (a base
//! table, a derived table or CTE with known output columns, or a table function), and every
//! projected expression is traced to the relations' columns. Scopes chain to their parent
//! for correlated subqueries and lateral joins.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor, TableWithJoins, Visit, Visitor,
    WildcardAdditionalOptions, With,
};

use crate::model::Transformation;
use crate::statement::Context;

/// Source columns `(table, column)` of a value, each with how it is transformed.
pub(crate) type Lineage = BTreeMap<(String, String), Transformation>;

/// One output column of a query.
#[derive(Clone, Debug)]
pub(crate) struct OutCol {
    /// Output name; `*` for the columns of a table whose columns are unknown.
    pub name: String,
    pub lineage: Lineage,
    /// The expression text when the value is computed.
    pub expr: Option<String>,
}

impl OutCol {
    pub fn is_star(&self) -> bool {
        self.name == "*"
    }
}

#[derive(Debug)]
enum Rel {
    /// A base table; its columns when known.
    Table { name: String, columns: Option<Vec<String>> },
    /// A derived table or CTE. `open`: it may have columns we do not know (a recursive CTE
    /// still being defined), which resolve to nothing rather than to a warning.
    Derived { columns: Vec<OutCol>, open: bool },
    /// A table function (`UNNEST`, `FLATTEN`, `LATERAL VIEW explode`): every column of it comes
    /// from its arguments.
    Function { fallback: Lineage },
}

#[derive(Debug)]
struct Bound {
    /// How the query refers to it: the alias, or the table's last name part.
    alias: String,
    /// The qualified table name, for base tables.
    full: Option<String>,
    rel: Rel,
}

#[derive(Default)]
pub(crate) struct Scope<'p> {
    rels: Vec<Bound>,
    parent: Option<&'p Scope<'p>>,
}

struct Cte {
    name: String,
    columns: Vec<OutCol>,
    open: bool,
}

/// Resolution of one column reference.
enum Found {
    /// Found; `exact` when a known column list holds it (not a guess into a table of unknown columns).
    Lineage(Lineage, bool),
    Ambiguous(Vec<String>),
    Missing,
}

pub(crate) struct Analyzer<'c, 'a> {
    ctx: &'c Context<'a>,
    /// Base tables read.
    pub sources: BTreeSet<String>,
    pub warnings: Vec<(&'static str, String)>,
    ctes: Vec<Cte>,
}

impl<'c, 'a> Analyzer<'c, 'a> {
    pub fn new(ctx: &'c Context<'a>) -> Self {
        Self {
            ctx,
            sources: BTreeSet::new(),
            warnings: Vec::new(),
            ctes: Vec::new(),
        }
    }

    fn warn(&mut self, code: &'static str, message: String) {
        if !self.warnings.iter().any(|(c, m)| *c == code && *m == message) {
            self.warnings.push((code, message));
        }
    }

    pub fn query(&mut self, q: &Query, outer: Option<&Scope>) -> Vec<OutCol> {
        let mark = self.push_ctes(q.with.as_ref(), outer);
        let columns = self.set_expr(&q.body, outer);
        if let Some(order_by) = &q.order_by {
            // ORDER BY may hold subqueries reading other tables.
            let mut walk = ExprWalk::new(self, None);
            let _ = order_by.visit(&mut walk);
        }
        self.pop_ctes(mark);
        columns
    }

    /// Defines a WITH clause's CTEs for what follows; returns the mark for [`Self::pop_ctes`].
    pub fn push_ctes(&mut self, with: Option<&With>, outer: Option<&Scope>) -> usize {
        let mark = self.ctes.len();
        if let Some(with) = with {
            for cte in &with.cte_tables {
                let name = self.ctx.naming.ident(&cte.alias.name);
                let alias_columns: Vec<String> = cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| self.ctx.naming.ident(&c.name))
                    .collect();
                if with.recursive {
                    let columns = alias_columns
                        .iter()
                        .map(|n| OutCol {
                            name: n.clone(),
                            lineage: Lineage::new(),
                            expr: None,
                        })
                        .collect();
                    self.ctes.push(Cte {
                        name: name.clone(),
                        columns,
                        open: true,
                    });
                }
                let columns = rename(self.query(&cte.query, outer), &alias_columns);
                if with.recursive {
                    self.ctes.pop();
                }
                self.ctes.push(Cte {
                    name,
                    columns,
                    open: false,
                });
            }
        }
        mark
    }

    pub fn pop_ctes(&mut self, mark: usize) {
        self.ctes.truncate(mark);
    }

    fn set_expr(&mut self, body: &SetExpr, outer: Option<&Scope>) -> Vec<OutCol> {
        match body {
            SetExpr::Select(select) => self.select(select, outer),
            SetExpr::Query(q) => self.query(q, outer),
            SetExpr::SetOperation { left, right, .. } => {
                let left = self.set_expr(left, outer);
                let right = self.set_expr(right, outer);
                union_columns(left, right)
            }
            SetExpr::Values(values) => {
                let mut columns: Vec<OutCol> = Vec::new();
                for row in &values.rows {
                    for (i, e) in row.content.iter().enumerate() {
                        let (lineage, expr) = self.expr(e, None, &[]);
                        let col = OutCol {
                            name: format!("column{}", i + 1),
                            lineage,
                            expr,
                        };
                        match columns.get_mut(i) {
                            Some(existing) => merge_lineage(&mut existing.lineage, col.lineage),
                            None => columns.push(col),
                        }
                    }
                }
                columns
            }
            SetExpr::Table(t) => {
                let parts: Vec<String> = [t.schema_name.as_ref(), t.table_name.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|s| s.to_lowercase())
                    .collect();
                let name = self.ctx.naming.qualify(parts);
                self.sources.insert(name.clone());
                let columns = self.ctx.schemas.columns(&name).map(<[String]>::to_vec);
                self.expand(
                    &Bound {
                        alias: name.clone(),
                        full: Some(name.clone()),
                        rel: Rel::Table { name, columns },
                    },
                    None,
                )
            }
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                self.warn(
                    "unsupported_statement",
                    "data-modifying statements inside a query (WITH ... INSERT) are not analysed".into(),
                );
                Vec::new()
            }
        }
    }

    fn select(&mut self, select: &Select, outer: Option<&Scope>) -> Vec<OutCol> {
        let mut scope = Scope {
            rels: Vec::new(),
            parent: outer,
        };
        for from in &select.from {
            self.table_with_joins(from, &mut scope);
        }
        for lateral in &select.lateral_views {
            let (fallback, _) = self.expr(&lateral.lateral_view, Some(&scope), &[]);
            let alias = self
                .ctx
                .naming
                .parts(&lateral.lateral_view_name)
                .pop()
                .unwrap_or_default();
            let columns = lateral
                .lateral_col_alias
                .iter()
                .map(|c| OutCol {
                    name: self.ctx.naming.ident(c),
                    lineage: with_transformation(&fallback, Transformation::Expression),
                    expr: Some(lateral.lateral_view.to_string()),
                })
                .collect();
            scope.rels.push(Bound {
                alias,
                full: None,
                rel: Rel::Derived { columns, open: false },
            });
        }
        // Filters and groupings contribute no column lineage, but their subqueries read tables.
        let filters = [&select.selection, &select.having, &select.qualify, &select.prewhere];
        for e in filters.into_iter().flatten() {
            self.expr(e, Some(&scope), &[]);
        }
        let mut columns: Vec<OutCol> = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let (lineage, expr) = self.expr(e, Some(&scope), &columns);
                    columns.push(OutCol {
                        name: self.expr_name(e),
                        lineage,
                        expr,
                    });
                }
                SelectItem::ExprWithAlias { expr: e, alias } => {
                    let (lineage, expr) = self.expr(e, Some(&scope), &columns);
                    columns.push(OutCol {
                        name: self.ctx.naming.ident(alias),
                        lineage,
                        expr,
                    });
                }
                SelectItem::ExprWithAliases { expr: e, aliases } => {
                    let (lineage, expr) = self.expr(e, Some(&scope), &columns);
                    for alias in aliases {
                        columns.push(OutCol {
                            name: self.ctx.naming.ident(alias),
                            lineage: lineage.clone(),
                            expr: expr.clone(),
                        });
                    }
                }
                SelectItem::Wildcard(options) => {
                    for i in 0..scope.rels.len() {
                        let expanded = self.expand(&scope.rels[i], Some(options));
                        columns.extend(expanded);
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), options) => {
                    let qualifier = self.ctx.naming.parts(name);
                    match find_bound(&scope, &qualifier, self.ctx) {
                        Some(bound) => columns.extend(self.expand(bound, Some(options))),
                        None => self.warn(
                            "unresolved_column",
                            format!("{name}.* names no table of its FROM clause"),
                        ),
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::Expr(e), _) => {
                    let (lineage, expr) = self.expr(e, Some(&scope), &columns);
                    columns.push(OutCol {
                        name: "*".into(),
                        lineage,
                        expr,
                    });
                }
            }
        }
        columns
    }

    /// The columns `*` stands for in one relation.
    fn expand(&mut self, bound: &Bound, options: Option<&WildcardAdditionalOptions>) -> Vec<OutCol> {
        let excluded = excluded_columns(options, self.ctx);
        let keep = |name: &str| !excluded.iter().any(|e| e == name);
        match &bound.rel {
            Rel::Table {
                name,
                columns: Some(columns),
            } => columns
                .iter()
                .filter(|c| keep(c))
                .map(|c| OutCol {
                    name: c.clone(),
                    lineage: Lineage::from([((name.clone(), c.clone()), Transformation::PassThrough)]),
                    expr: None,
                })
                .collect(),
            Rel::Table { name, columns: None } => {
                self.warn(
                    "unresolved_star",
                    format!(
                        "the columns of {name} are unknown, so * is kept as {name}.*; give its schema to expand it"
                    ),
                );
                vec![OutCol {
                    name: "*".into(),
                    lineage: Lineage::from([((name.clone(), "*".into()), Transformation::PassThrough)]),
                    expr: None,
                }]
            }
            Rel::Derived { columns, .. } => columns.iter().filter(|c| keep(&c.name)).cloned().collect(),
            Rel::Function { fallback } => vec![OutCol {
                name: bound.alias.clone(),
                lineage: with_transformation(fallback, Transformation::Expression),
                expr: None,
            }],
        }
    }

    /// Adds a FROM item (with its joins) to a statement-level scope (UPDATE, DELETE, MERGE).
    pub fn add_from(&mut self, twj: &TableWithJoins, scope: &mut Scope) {
        self.table_with_joins(twj, scope);
    }

    pub fn add_factor(&mut self, factor: &TableFactor, scope: &mut Scope) {
        self.table_factor(factor, scope);
    }

    /// The base table a DML statement writes, given as a FROM item that may be an alias
    /// of another FROM item (T-SQL `UPDATE a ... FROM t AS a`).
    pub fn target_of(&mut self, factor: &TableFactor, scope: &Scope) -> Option<String> {
        let TableFactor::Table { name, .. } = factor else {
            self.warn(
                "unsupported_statement",
                format!(
                    "the written table is not a table name: {}",
                    truncate(&factor.to_string())
                ),
            );
            return None;
        };
        let parts = self.ctx.naming.parts(name);
        if parts.len() == 1
            && let Some(full) = self.table_named(&parts, scope)
        {
            return Some(full);
        }
        Some(self.ctx.naming.qualify(parts))
    }

    /// The base table that a name or alias refers to in a scope.
    pub fn table_named(&self, parts: &[String], scope: &Scope) -> Option<String> {
        find_bound(scope, parts, self.ctx).and_then(|b| b.full.clone())
    }

    /// Whether a single-part name is the alias of a base table in the scope.
    pub fn is_alias(&self, name: &ObjectName, scope: &Scope) -> bool {
        let parts = self.ctx.naming.parts(name);
        parts.len() == 1 && scope.rels.iter().any(|b| b.alias == parts[0] && b.full.is_some())
    }

    /// The output columns of a FROM item already in the scope (MERGE `INSERT *`).
    pub fn columns_of_factor(&mut self, factor: &TableFactor, scope: &Scope) -> Vec<OutCol> {
        let alias = match factor {
            TableFactor::Table { name, alias, .. } => alias
                .as_ref()
                .map(|a| self.ctx.naming.ident(&a.name))
                .or_else(|| self.ctx.naming.parts(name).pop()),
            TableFactor::Derived { alias, .. } => alias.as_ref().map(|a| self.ctx.naming.ident(&a.name)),
            _ => None,
        };
        let Some(alias) = alias else { return Vec::new() };
        match scope.rels.iter().rev().find(|b| b.alias == alias) {
            Some(bound) => self.expand(bound, None),
            None => Vec::new(),
        }
    }

    fn table_with_joins(&mut self, twj: &TableWithJoins, scope: &mut Scope) {
        self.table_factor(&twj.relation, scope);
        for join in &twj.joins {
            self.table_factor(&join.relation, scope);
            // ON conditions contribute no column lineage, but their subqueries read tables.
            let mut walk = ExprWalk::new(self, None);
            let _ = join.join_operator.visit(&mut walk);
        }
    }

    fn table_factor(&mut self, factor: &TableFactor, scope: &mut Scope) {
        let bound = match factor {
            TableFactor::Table { name, alias, args, .. } => {
                if let Some(args) = args {
                    let fallback = self.function_args(&args.args, scope);
                    self.function_bound(name.to_string(), alias.as_ref(), fallback)
                } else {
                    self.table_bound(name, alias.as_ref())
                }
            }
            TableFactor::Derived { subquery, alias, .. } => {
                let columns = self.query(subquery, Some(scope));
                let alias_columns = self.alias_columns(alias.as_ref());
                Bound {
                    alias: alias
                        .as_ref()
                        .map(|a| self.ctx.naming.ident(&a.name))
                        .unwrap_or_default(),
                    full: None,
                    rel: Rel::Derived {
                        columns: rename(columns, &alias_columns),
                        open: false,
                    },
                }
            }
            TableFactor::TableFunction { expr, alias } => {
                let (fallback, _) = self.expr(expr, Some(scope), &[]);
                self.function_bound(String::new(), alias.as_ref(), fallback)
            }
            TableFactor::Function { name, args, alias, .. } => {
                let fallback = self.function_args(args, scope);
                self.function_bound(name.to_string(), alias.as_ref(), fallback)
            }
            TableFactor::UNNEST { alias, array_exprs, .. } => {
                let mut fallback = Lineage::new();
                for e in array_exprs {
                    merge_lineage(&mut fallback, self.expr(e, Some(scope), &[]).0);
                }
                self.function_bound("unnest".into(), alias.as_ref(), fallback)
            }
            TableFactor::JsonTable { json_expr, alias, .. } | TableFactor::OpenJsonTable { json_expr, alias, .. } => {
                let (fallback, _) = self.expr(json_expr, Some(scope), &[]);
                self.function_bound(String::new(), alias.as_ref(), fallback)
            }
            TableFactor::NestedJoin { table_with_joins, .. } => {
                self.table_with_joins(table_with_joins, scope);
                return;
            }
            TableFactor::Pivot { table, alias, .. }
            | TableFactor::Unpivot { table, alias, .. }
            | TableFactor::MatchRecognize { table, alias, .. } => {
                // The pivoted table's columns keep their lineage; a new alias names them.
                self.table_factor(table, scope);
                if let (Some(alias), Some(last)) = (alias, scope.rels.last_mut()) {
                    last.alias = self.ctx.naming.ident(&alias.name);
                }
                return;
            }
            other => {
                self.warn(
                    "unsupported_from",
                    format!("this FROM item is not analysed: {}", truncate(&other.to_string())),
                );
                return;
            }
        };
        scope.rels.push(bound);
    }

    fn table_bound(&mut self, name: &ObjectName, alias: Option<&TableAlias>) -> Bound {
        let parts = self.ctx.naming.parts(name);
        let alias_name = alias.map(|a| self.ctx.naming.ident(&a.name));
        let alias_columns = self.alias_columns(alias);
        if parts.len() == 1
            && let Some(cte) = self.ctes.iter().rev().find(|c| c.name == parts[0])
        {
            return Bound {
                alias: alias_name.unwrap_or_else(|| cte.name.clone()),
                full: None,
                rel: Rel::Derived {
                    columns: rename(cte.columns.clone(), &alias_columns),
                    open: cte.open,
                },
            };
        }
        let last = parts.last().cloned().unwrap_or_default();
        let full = self.ctx.naming.qualify(parts);
        self.sources.insert(full.clone());
        let known = self.ctx.schemas.columns(&full).map(<[String]>::to_vec);
        let rel = if alias_columns.is_empty() {
            Rel::Table {
                name: full.clone(),
                columns: known,
            }
        } else {
            // `FROM t AS x(a, b)` renames t's columns by position.
            let columns = alias_columns
                .iter()
                .enumerate()
                .map(|(i, new)| {
                    let source = known
                        .as_ref()
                        .and_then(|k| k.get(i))
                        .cloned()
                        .unwrap_or_else(|| new.clone());
                    OutCol {
                        name: new.clone(),
                        lineage: Lineage::from([((full.clone(), source), Transformation::PassThrough)]),
                        expr: None,
                    }
                })
                .collect();
            Rel::Derived { columns, open: false }
        };
        Bound {
            alias: alias_name.unwrap_or(last),
            full: Some(full),
            rel,
        }
    }

    fn function_bound(&mut self, name: String, alias: Option<&TableAlias>, fallback: Lineage) -> Bound {
        let alias_columns = self.alias_columns(alias);
        let alias = alias.map(|a| self.ctx.naming.ident(&a.name)).unwrap_or(name);
        let rel = if alias_columns.is_empty() {
            Rel::Function { fallback }
        } else {
            let lineage = with_transformation(&fallback, Transformation::Expression);
            Rel::Derived {
                columns: alias_columns
                    .into_iter()
                    .map(|name| OutCol {
                        name,
                        lineage: lineage.clone(),
                        expr: None,
                    })
                    .collect(),
                open: false,
            }
        };
        Bound { alias, full: None, rel }
    }

    fn function_args(&mut self, args: &[FunctionArg], scope: &Scope) -> Lineage {
        let mut lineage = Lineage::new();
        for arg in args {
            let (FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
            | FunctionArg::Named {
                arg: FunctionArgExpr::Expr(e),
                ..
            }
            | FunctionArg::ExprNamed {
                arg: FunctionArgExpr::Expr(e),
                ..
            }) = arg
            else {
                continue;
            };
            merge_lineage(&mut lineage, self.expr(e, Some(scope), &[]).0);
        }
        lineage
    }

    fn alias_columns(&self, alias: Option<&TableAlias>) -> Vec<String> {
        alias
            .map(|a| a.columns.iter().map(|c| self.ctx.naming.ident(&c.name)).collect())
            .unwrap_or_default()
    }

    /// Output name of an unaliased expression: a column's own name, else the expression text.
    fn expr_name(&self, e: &Expr) -> String {
        match e {
            Expr::Identifier(id) => self.ctx.naming.ident(id),
            Expr::CompoundIdentifier(ids) => ids.last().map(|i| self.ctx.naming.ident(i)).unwrap_or_default(),
            Expr::Nested(inner) => self.expr_name(inner),
            Expr::Cast { expr, .. } => self.expr_name(expr),
            other => other.to_string().to_lowercase(),
        }
    }

    /// Lineage of an expression in a scope (`None`: resolve no columns, only read subqueries).
    /// `prior` are the select items before this one (lateral column aliases).
    pub fn expr(&mut self, e: &Expr, scope: Option<&Scope>, prior: &[OutCol]) -> (Lineage, Option<String>) {
        let mut walk = ExprWalk::new(self, scope);
        walk.prior = prior;
        let _ = e.visit(&mut walk);
        let kind = if walk.aggregate {
            Transformation::Aggregation
        } else if walk.window {
            Transformation::Window
        } else {
            match strip_nested(e) {
                Expr::Identifier(_) | Expr::CompoundIdentifier(_) => Transformation::PassThrough,
                Expr::Cast { expr, .. } if is_column(expr) => Transformation::Cast,
                _ => Transformation::Expression,
            }
        };
        let lineage = with_transformation(&walk.lineage, kind);
        let text = (kind != Transformation::PassThrough).then(|| e.to_string());
        (lineage, text)
    }

    /// Resolves a column reference against a scope chain.
    fn resolve(&mut self, parts: &[String], scope: &Scope, prior: &[OutCol]) -> Option<Lineage> {
        let mut current = Some(scope);
        let mut ambiguous = None;
        while let Some(s) = current {
            // Snowflake, Redshift, Databricks, BigQuery let later items use earlier aliases;
            // a known column of that name still wins.
            let alias = (std::ptr::eq(s, scope) && parts.len() == 1)
                .then(|| prior.iter().rev().find(|c| c.name == parts[0]))
                .flatten();
            match lookup(s, parts, self.ctx) {
                Found::Lineage(l, true) => return Some(l),
                Found::Lineage(l, false) => return Some(alias.map(|c| c.lineage.clone()).unwrap_or(l)),
                Found::Ambiguous(tables) => {
                    if let Some(col) = alias {
                        return Some(col.lineage.clone());
                    }
                    ambiguous = Some(tables);
                    break;
                }
                Found::Missing => {}
            }
            if let Some(col) = alias {
                return Some(col.lineage.clone());
            }
            current = s.parent;
        }
        if let Some(tables) = ambiguous {
            self.warn(
                "ambiguous_column",
                format!(
                    "column {} could come from {}; qualify it or give the tables' schemas",
                    parts.join("."),
                    tables.join(" or ")
                ),
            );
        } else if parts.len() > 1 && !self.ctx.in_procedure {
            self.warn(
                "unresolved_column",
                format!("{} names no table of its FROM clause", parts.join(".")),
            );
        }
        None
    }
}

fn lookup(scope: &Scope, parts: &[String], ctx: &Context) -> Found {
    let Some((column, qualifier)) = parts.split_last() else {
        return Found::Missing;
    };
    if !qualifier.is_empty() {
        if let Some(bound) = find_bound(scope, qualifier, ctx) {
            return column_of(bound, column)
                .map(|l| Found::Lineage(l, true))
                .unwrap_or(Found::Missing);
        }
        // `alias.struct_column.field`: the column is the part after the alias.
        if parts.len() >= 3
            && let Some(bound) = find_bound(scope, &parts[..1], ctx)
        {
            return column_of(bound, &parts[1])
                .map(|l| Found::Lineage(l, true))
                .unwrap_or(Found::Missing);
        }
        return Found::Missing;
    }
    let mut exact = Vec::new();
    let mut maybe = Vec::new();
    for bound in &scope.rels {
        match &bound.rel {
            Rel::Table {
                columns: Some(columns), ..
            } if columns.iter().any(|c| c == column) => exact.push(bound),
            Rel::Table { columns: None, .. } => maybe.push(bound),
            Rel::Derived { columns, open } => {
                if columns.iter().any(|c| &c.name == column) {
                    exact.push(bound);
                } else if *open || columns.iter().any(OutCol::is_star) {
                    maybe.push(bound);
                }
            }
            Rel::Function { .. } if &bound.alias == column => exact.push(bound),
            _ => {}
        }
    }
    let is_exact = !exact.is_empty();
    let candidates = if is_exact { exact } else { maybe };
    match candidates.as_slice() {
        [] => Found::Missing,
        [one] => column_of(one, column)
            .map(|l| Found::Lineage(l, is_exact))
            .unwrap_or(Found::Missing),
        many => Found::Ambiguous(
            many.iter()
                .map(|b| b.full.clone().unwrap_or_else(|| b.alias.clone()))
                .collect(),
        ),
    }
}

fn find_bound<'s>(scope: &'s Scope, qualifier: &[String], ctx: &Context) -> Option<&'s Bound> {
    let q = qualifier.join(".");
    let qualified = ctx.naming.qualify(qualifier.to_vec());
    scope.rels.iter().rev().find(|b| {
        b.alias == q
            || b.full.as_deref() == Some(q.as_str())
            || b.full.as_deref() == Some(qualified.as_str())
            || (qualifier.len() > 1 && b.full.as_deref().is_some_and(|f| f.ends_with(&format!(".{q}"))))
    })
}

fn column_of(bound: &Bound, column: &str) -> Option<Lineage> {
    match &bound.rel {
        Rel::Table { name, .. } => Some(Lineage::from([(
            (name.clone(), column.to_string()),
            Transformation::PassThrough,
        )])),
        Rel::Derived { columns, .. } => {
            if let Some(c) = columns.iter().find(|c| c.name == column) {
                return Some(c.lineage.clone());
            }
            // A column of `SELECT * FROM t` whose columns are unknown: it is t's column.
            let mut lineage = Lineage::new();
            for star in columns.iter().filter(|c| c.is_star()) {
                for ((table, col), t) in &star.lineage {
                    let col = if col == "*" { column.to_string() } else { col.clone() };
                    lineage.insert((table.clone(), col), *t);
                }
            }
            (!lineage.is_empty()).then_some(lineage)
        }
        Rel::Function { fallback } => Some(with_transformation(fallback, Transformation::Expression)),
    }
}

/// Walks an expression: column references at this query level, function kinds, and
/// subqueries (analysed in their own scope, with this one as parent).
struct ExprWalk<'w, 'c, 'a, 's> {
    an: &'w mut Analyzer<'c, 'a>,
    scope: Option<&'w Scope<'s>>,
    prior: &'w [OutCol],
    /// Depth inside subqueries (analysed separately).
    depth: usize,
    /// The next query visited is a scalar subquery whose value flows into this expression.
    scalar_next: bool,
    /// Identifiers that are not columns (date parts of DATEADD and friends).
    skip: BTreeSet<*const Expr>,
    lineage: Lineage,
    aggregate: bool,
    window: bool,
}

impl<'w, 'c, 'a, 's> ExprWalk<'w, 'c, 'a, 's> {
    fn new(an: &'w mut Analyzer<'c, 'a>, scope: Option<&'w Scope<'s>>) -> Self {
        Self {
            an,
            scope,
            prior: &[],
            depth: 0,
            scalar_next: false,
            skip: BTreeSet::new(),
            lineage: Lineage::new(),
            aggregate: false,
            window: false,
        }
    }

    fn column(&mut self, idents: &[Ident]) {
        let Some(scope) = self.scope else { return };
        if idents
            .iter()
            .any(|i| i.quote_style.is_none() && i.value.starts_with(['@', ':', '$']))
        {
            return; // variables and bind parameters
        }
        let parts: Vec<String> = idents.iter().map(|i| self.an.ctx.naming.ident(i)).collect();
        if parts.len() == 1 && idents[0].quote_style.is_none() && is_pseudo_column(&parts[0]) {
            return;
        }
        if let Some(l) = self.an.resolve(&parts, scope, self.prior) {
            merge_lineage(&mut self.lineage, l);
        }
    }
}

impl Visitor for ExprWalk<'_, '_, '_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if self.depth == 0 {
            let columns = self.an.query(query, self.scope);
            if std::mem::take(&mut self.scalar_next)
                && let Some(first) = columns.first()
            {
                merge_lineage(
                    &mut self.lineage,
                    with_transformation(&first.lineage, Transformation::Expression),
                );
            }
        }
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.depth > 0 || self.skip.contains(&(expr as *const Expr)) {
            return ControlFlow::Continue(());
        }
        match expr {
            Expr::Identifier(id) => self.column(std::slice::from_ref(id)),
            Expr::CompoundIdentifier(ids) => self.column(ids),
            Expr::Subquery(_) => self.scalar_next = true,
            Expr::Function(f) => {
                let name = f.name.to_string().to_ascii_lowercase();
                let name = name.rsplit('.').next().unwrap_or_default();
                if f.over.is_some() {
                    self.window = true;
                } else if is_aggregate(name) {
                    self.aggregate = true;
                }
                if is_date_part_function(name)
                    && let FunctionArguments::List(list) = &f.args
                    && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first @ Expr::Identifier(_)))) =
                        list.args.first()
                {
                    self.skip.insert(first as *const Expr);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn strip_nested(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip_nested(inner),
        other => other,
    }
}

fn is_column(e: &Expr) -> bool {
    matches!(strip_nested(e), Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "stddev"
            | "stddev_pop"
            | "stddev_samp"
            | "variance"
            | "var_pop"
            | "var_samp"
            | "array_agg"
            | "string_agg"
            | "listagg"
            | "group_concat"
            | "collect_list"
            | "collect_set"
            | "count_if"
            | "countif"
            | "approx_count_distinct"
            | "approx_distinct"
            | "median"
            | "percentile_cont"
            | "percentile_disc"
            | "percentile"
            | "mode"
            | "any_value"
            | "bool_and"
            | "bool_or"
            | "every"
            | "bit_and"
            | "bit_or"
            | "json_agg"
            | "jsonb_agg"
            | "json_object_agg"
            | "object_agg"
            | "array_concat_agg"
            | "corr"
            | "covar_pop"
            | "covar_samp"
            | "first"
            | "last"
            | "arbitrary"
            | "hll_count"
            | "sumif"
            | "avgif"
            | "countdistinct"
            | "xmlagg"
    )
}

fn is_date_part_function(name: &str) -> bool {
    matches!(
        name,
        "dateadd"
            | "datediff"
            | "datediff_big"
            | "datepart"
            | "datename"
            | "datetrunc"
            | "date_trunc"
            | "date_part"
            | "timestampadd"
            | "timestampdiff"
            | "timediff"
            | "timeadd"
            | "date_diff"
            | "date_add"
            | "date_sub"
            | "datetime_diff"
            | "timestamp_diff"
            | "last_day"
    )
}

/// Unquoted names that are values, not columns (when no column of that name is in scope).
fn is_pseudo_column(name: &str) -> bool {
    matches!(
        name,
        "sysdate"
            | "systimestamp"
            | "current_date"
            | "current_timestamp"
            | "current_time"
            | "current_user"
            | "session_user"
            | "localtimestamp"
            | "localtime"
            | "rownum"
            | "rowid"
            | "level"
            | "null"
            | "true"
            | "false"
            | "getdate"
            | "sysdatetime"
    )
}

fn excluded_columns(options: Option<&WildcardAdditionalOptions>, ctx: &Context) -> Vec<String> {
    let mut out = Vec::new();
    let Some(options) = options else { return out };
    if let Some(exclude) = &options.opt_exclude {
        use sqlparser::ast::ExcludeSelectItem;
        match exclude {
            ExcludeSelectItem::Single(name) => out.extend(ctx.naming.parts(name).pop()),
            ExcludeSelectItem::Multiple(names) => out.extend(names.iter().filter_map(|n| ctx.naming.parts(n).pop())),
        }
    }
    if let Some(except) = &options.opt_except {
        out.push(ctx.naming.ident(&except.first_element));
        out.extend(except.additional_elements.iter().map(|i| ctx.naming.ident(i)));
    }
    out
}

pub(crate) fn merge_lineage(into: &mut Lineage, from: Lineage) {
    for (key, t) in from {
        into.entry(key).and_modify(|old| *old = (*old).max(t)).or_insert(t);
    }
}

/// Applies `outer` on top of each source's transformation.
fn with_transformation(lineage: &Lineage, outer: Transformation) -> Lineage {
    lineage.iter().map(|(k, t)| (k.clone(), outer.then(*t))).collect()
}

/// Renames columns by position (`WITH c (a, b) AS ...`, `AS x (a, b)`).
fn rename(mut columns: Vec<OutCol>, names: &[String]) -> Vec<OutCol> {
    for (col, name) in columns.iter_mut().zip(names) {
        col.name = name.clone();
    }
    columns
}

/// UNION / INTERSECT / EXCEPT: columns by position, named by the left side.
fn union_columns(mut left: Vec<OutCol>, right: Vec<OutCol>) -> Vec<OutCol> {
    let has_star = left.iter().chain(&right).any(OutCol::is_star);
    if has_star {
        // Positions are unknown once a side has an unexpanded *: keep every column.
        left.extend(right);
        return left;
    }
    for (i, col) in right.into_iter().enumerate() {
        match left.get_mut(i) {
            Some(l) => {
                merge_lineage(&mut l.lineage, col.lineage);
                if l.expr.is_none() {
                    l.expr = col.expr;
                }
            }
            None => left.push(col),
        }
    }
    left
}

pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 120;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}
