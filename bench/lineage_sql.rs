//! SQL lineage throughput: generates a corpus of ETL statements (fixed seed, mixed kinds:
//! INSERT ... SELECT with joins and aggregates, CTAS with CTEs, views with window
//! functions, MERGE, UPDATE ... FROM, DELETE ... USING, temp-table scripts, PL/pgSQL
//! bodies) and prints statements/s for one statement at a time and for the whole corpus
//! as one script.
//!
//! Run: `cargo run --release -p torro-lineage --example lineage_sql -- [--statements N] [--seed S]`

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use torro_lineage::{AnalyzeOptions, SqlDialect, analyze};

const SCHEMAS: [&str; 4] = ["raw", "staging", "mart", "ref"];
const COLUMNS: [&str; 12] = [
    "id",
    "customer_id",
    "order_id",
    "amount",
    "quantity",
    "price",
    "status",
    "region",
    "created_at",
    "updated_at",
    "email",
    "category",
];

struct Gen {
    rng: StdRng,
}

impl Gen {
    fn table(&mut self) -> String {
        let schema = SCHEMAS[self.rng.random_range(0..SCHEMAS.len())];
        format!("{schema}.t{}", self.rng.random_range(0..500))
    }

    fn column(&mut self) -> &'static str {
        COLUMNS[self.rng.random_range(0..COLUMNS.len())]
    }

    fn select_list(&mut self, alias: &str, n: usize) -> (Vec<String>, Vec<String>) {
        let mut items = Vec::new();
        let mut names = Vec::new();
        for i in 0..n {
            let c = self.column();
            let item = match self.rng.random_range(0..5) {
                0 => format!("{alias}.{c}"),
                1 => format!("SUM({alias}.{c})"),
                2 => format!("CASE WHEN {alias}.{c} > 10 THEN 'hi' ELSE 'lo' END"),
                3 => format!("COALESCE({alias}.{c}, 0) * 2"),
                _ => format!("CAST({alias}.{c} AS VARCHAR)"),
            };
            items.push(format!("{item} AS c{i}"));
            names.push(format!("c{i}"));
        }
        (items, names)
    }

    fn statement(&mut self) -> String {
        let (src, other, tgt) = (self.table(), self.table(), self.table());
        let n = self.rng.random_range(2..8);
        let (items, names) = self.select_list("a", n);
        let join_col = self.column();
        match self.rng.random_range(0..8) {
            0 | 1 => format!(
                "INSERT INTO {tgt} ({cols})\nSELECT {items}\nFROM {src} a\nJOIN {other} b ON b.{join_col} = a.{join_col}\nWHERE a.status = 'active'\nGROUP BY a.id",
                cols = names.join(", "),
                items = items.join(", ")
            ),
            2 => format!(
                "CREATE TABLE {tgt} AS\nWITH base AS (SELECT * FROM {src} WHERE amount > 0),\n     agg AS (SELECT customer_id, SUM(amount) AS total, COUNT(*) AS n FROM base GROUP BY customer_id)\nSELECT g.customer_id, g.total, g.n, o.region FROM agg g LEFT JOIN {other} o ON o.id = g.customer_id"
            ),
            3 => format!(
                "CREATE OR REPLACE VIEW {tgt}_v AS\nSELECT a.id, a.{join_col}, ROW_NUMBER() OVER (PARTITION BY a.region ORDER BY a.created_at DESC) AS rn,\n       SUM(a.amount) OVER (PARTITION BY a.customer_id) AS customer_total\nFROM {src} a WHERE a.id IN (SELECT id FROM {other} WHERE status = 'ok')"
            ),
            4 => format!(
                "MERGE INTO {tgt} t USING (SELECT id, amount, status FROM {src} WHERE updated_at > '2024-01-01') s ON t.id = s.id\nWHEN MATCHED THEN UPDATE SET amount = s.amount, status = s.status\nWHEN NOT MATCHED THEN INSERT (id, amount, status) VALUES (s.id, s.amount, s.status)"
            ),
            5 => format!(
                "UPDATE {tgt} SET amount = s.amount * 1.1, category = upper(s.category) FROM {src} s WHERE {tgt}.id = s.id AND s.region = 'eu'"
            ),
            6 => {
                format!("DELETE FROM {tgt} USING {src} s WHERE {tgt}.order_id = s.order_id AND s.status = 'cancelled'")
            }
            _ => format!(
                "DO $$\nBEGIN\n  CREATE TEMP TABLE tmp_x AS SELECT id, amount FROM {src} WHERE amount > 0;\n  INSERT INTO {tgt} (id, total) SELECT id, SUM(amount) FROM tmp_x GROUP BY id;\n  DROP TABLE tmp_x;\nEND $$"
            ),
        }
    }
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count = arg(&args, "--statements", 10_000) as usize;
    let seed = arg(&args, "--seed", 42);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
    };
    let corpus: Vec<String> = (0..count).map(|_| g.statement()).collect();
    let bytes: usize = corpus.iter().map(String::len).sum();
    let opts = AnalyzeOptions {
        dialect: SqlDialect::Postgres,
        ..AnalyzeOptions::default()
    };

    let start = Instant::now();
    let (mut edges, mut warnings, mut tables) = (0, 0, 0);
    for sql in &corpus {
        let l = analyze(sql, &opts);
        edges += l.column_lineage.len();
        warnings += l.warnings.iter().filter(|w| w.code.ends_with("_error")).count();
        tables += l.sources.len() + l.targets.len() + l.intermediates.len();
    }
    let one_by_one = start.elapsed().as_secs_f64();

    let script = corpus.join(";\n");
    let start = Instant::now();
    let whole = analyze(&script, &opts);
    let as_script = start.elapsed().as_secs_f64();

    println!("corpus: {count} statements, {bytes} bytes, seed {seed}, dialect postgres");
    println!(
        "one at a time: {one_by_one:.2} s, {:.0} statements/s, {tables} tables, {edges} column edges, {warnings} parse errors",
        count as f64 / one_by_one
    );
    println!(
        "one script:    {as_script:.2} s, {:.0} statements/s, {} statements found, {} column edges after collapsing temp tables",
        count as f64 / as_script,
        whole.statements.len(),
        whole.column_lineage.len()
    );
}
