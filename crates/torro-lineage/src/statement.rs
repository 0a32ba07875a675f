//! Lineage of one parsed statement.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{ObjectName, Statement, TableObject, Visit, Visitor};

use crate::model::ColumnLineage;
use crate::names::Naming;
use crate::{SqlDialect, TableSchemas};

pub(crate) struct Context<'a> {
    pub naming: Naming<'a>,
    #[allow(dead_code)]
    pub dialect: SqlDialect,
    #[allow(dead_code)]
    pub schemas: &'a TableSchemas,
    #[allow(dead_code)]
    pub in_procedure: bool,
}

#[derive(Default)]
pub(crate) struct StatementResult {
    pub kind: &'static str,
    pub sources: BTreeSet<String>,
    pub targets: BTreeSet<String>,
    pub columns: Vec<ColumnLineage>,
    pub warnings: Vec<(&'static str, String)>,
    /// A table the statement created, with its columns.
    pub created: Option<(String, Vec<String>)>,
}

struct Relations(Vec<ObjectName>);

impl Visitor for Relations {
    type Break = ();
    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        self.0.push(relation.clone());
        ControlFlow::Continue(())
    }
}

pub(crate) fn analyze_statement(statement: &Statement, ctx: &Context) -> StatementResult {
    let mut r = StatementResult {
        kind: "other",
        ..Default::default()
    };
    let target = match statement {
        Statement::Query(_) => {
            r.kind = "select";
            None
        }
        Statement::Insert(i) => {
            r.kind = "insert";
            match &i.table {
                TableObject::TableName(n) => Some(n.clone()),
                _ => None,
            }
        }
        Statement::CreateTable(c) => {
            r.kind = if c.query.is_some() {
                "create_table_as"
            } else {
                "create_table"
            };
            Some(c.name.clone())
        }
        Statement::CreateView(v) => {
            r.kind = "create_view";
            Some(v.name.clone())
        }
        _ => None,
    };
    let mut rels = Relations(Vec::new());
    let _ = statement.visit(&mut rels);
    if let Some(t) = &target {
        r.targets.insert(ctx.naming.table(t));
    }
    for rel in rels.0 {
        let name = ctx.naming.table(&rel);
        if !r.targets.contains(&name) {
            r.sources.insert(name);
        }
    }
    r
}
