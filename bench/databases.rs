//! Database scan benchmark: N tables × C columns in a throwaway PostgreSQL and MariaDB
//! database (the local servers of `scripts/test.sh`), scanned into a fresh SQLite catalog
//! through the engine's connection scan, then scanned again with nothing changed, then
//! once more after altering 1% of the tables. Prints one line per server.
//!
//! Run: `cargo run --release -p torro-engine --example databases -- [--tables 5000] [--columns 20]`
//! The schema is fixed by construction (table i, column j has type TYPES[(i + j) % 6]).

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use torro_connectors::testing_databases::ScratchDb;
use torro_engine::{Engine, TorroConfig, Worker, WorkerOptions};
use torro_model::{ConnectionInput, ConnectionSettings, ScanRun, ScanStatus, SourceLabels};

const TYPES: [&str; 6] = ["integer", "bigint", "varchar(40)", "date", "numeric(12,2)", "text"];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ddl(tables: usize, columns: usize, from: usize) -> String {
    let mut sql = String::new();
    for i in from..(from + 500).min(tables) {
        let cols: Vec<String> = (0..columns)
            .map(|j| {
                let t = TYPES[(i + j) % TYPES.len()];
                if j == 0 {
                    "c00 integer PRIMARY KEY".to_string()
                } else {
                    format!("c{j:02} {t}")
                }
            })
            .collect();
        sql.push_str(&format!("CREATE TABLE t{i:05} ({});\n", cols.join(", ")));
    }
    sql
}

async fn scan(engine: &Engine, id: i64) -> (ScanRun, Duration) {
    let started = Instant::now();
    let run = engine.trigger_connection_scan(id).await.expect("trigger");
    loop {
        let now = engine
            .store()
            .get_scan_run(run.id)
            .await
            .expect("run")
            .expect("run exists");
        if !now.status.is_active() {
            assert_eq!(now.status, ScanStatus::Succeeded, "{:?}", now.message);
            return (now, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn bench(db: ScratchDb, tables: usize, columns: usize) {
    let setup = Instant::now();
    for from in (0..tables).step_by(500) {
        db.execute(&ddl(tables, columns, from)).await;
    }
    let setup = setup.elapsed();
    let catalog = torro_catalog::testing::sqlite(true).await.expect("catalog");
    let engine = Engine::new(catalog.store.clone(), TorroConfig::default());
    // Scans are queued; one worker in this process runs them, as `torro serve` does.
    let shutdown = CancellationToken::new();
    let options = WorkerOptions {
        poll: Duration::from_millis(20),
        ..WorkerOptions::new(1)
    };
    let worker = Worker::new(engine.clone(), options).spawn(shutdown.clone());
    let input = ConnectionInput {
        name: "bench".into(),
        connector_type: db.kind,
        connection_type: String::new(),
        config: ConnectionSettings {
            database: Some(db.settings(None)),
            ..Default::default()
        },
        secrets: Default::default(),
        status: None,
        schedule: None,
        labels: SourceLabels::default(),
    };
    let c = engine
        .connections()
        .create(&input, &torro_model::Actor::system("bench"))
        .await
        .expect("connection");
    let (first, t1) = scan(&engine, c.id).await;
    let (second, t2) = scan(&engine, c.id).await;
    let altered = (tables / 100).max(1);
    let mut sql = String::new();
    for i in 0..altered {
        sql.push_str(&format!("ALTER TABLE t{i:05} ADD COLUMN extra integer;\n"));
    }
    db.execute(&sql).await;
    let (third, t3) = scan(&engine, c.id).await;
    println!(
        "{:<10} {tables:>6} tables x {columns} cols | setup {:>6.1} s | first scan {:>6.2} s ({:>5.0} tables/s, new {}) | \
         unchanged rescan {:>6.2} s (unchanged {}) | rescan after {altered} ALTERs {:>6.2} s (changed {})",
        db.kind.as_str(),
        setup.as_secs_f64(),
        t1.as_secs_f64(),
        tables as f64 / t1.as_secs_f64(),
        first.counts.new,
        t2.as_secs_f64(),
        second.counts.unchanged,
        t3.as_secs_f64(),
        third.counts.changed,
    );
    shutdown.cancel();
    let _ = worker.await;
    catalog.drop_database().await;
    db.drop_database().await;
}

#[tokio::main]
async fn main() {
    let tables = arg("--tables", 5000);
    let columns = arg("--columns", 20).max(1);
    if let Some(db) = ScratchDb::postgres().await {
        bench(db, tables, columns).await;
    }
    if let Some(db) = ScratchDb::mysql().await {
        bench(db, tables, columns).await;
    }
}
