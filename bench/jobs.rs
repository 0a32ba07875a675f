//! Job queue benchmark on PostgreSQL (the local server of `scripts/test.sh`), each run on a
//! fresh database: jobs claimed and completed per second by 1, 2 and 4 concurrent claimers
//! (each its own worker slot, claiming with `FOR UPDATE SKIP LOCKED` and completing under
//! its lease, as `torro worker` does), and the latency from triggering a scan to its first
//! discovery in the catalog (in-process worker woken by the enqueue).
//!
//! Run: `cargo run --release -p torro-engine --example jobs -- [--jobs 2000] [--latency-runs 10]`

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use torro_catalog::NewJob;
use torro_engine::{Engine, TorroConfig, Worker, WorkerOptions};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn claims(jobs: usize, claimers: usize) {
    let Some(db) = torro_catalog::testing::postgres(true).await else {
        return;
    };
    for i in 0..jobs {
        let job = NewJob {
            kind: "bench".into(),
            payload: serde_json::json!({ "n": i }),
            run_at: Utc::now(),
            max_attempts: 3,
            dedupe_key: None,
            concurrency_key: None,
        };
        db.store.jobs().enqueue(&job, Utc::now()).await.unwrap();
    }
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..claimers {
        let store = db.store.clone();
        tasks.spawn(async move {
            let owner = format!("bench/{c}");
            let mut done = 0usize;
            while let Some(job) = store
                .jobs()
                .claim(&owner, &["bench"], Duration::from_secs(30), Utc::now())
                .await
                .unwrap()
            {
                assert!(store.jobs().complete(job.id, &owner, Utc::now()).await.unwrap());
                done += 1;
            }
            done
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(total, jobs, "every job claimed exactly once");
    println!(
        "postgres  claimers={claimers}  jobs={jobs}  {secs:.2} s  {:.0} jobs claimed+completed/s",
        jobs as f64 / secs
    );
    db.drop_database().await;
}

async fn latency(runs: usize) {
    let Some(db) = torro_catalog::testing::postgres(true).await else {
        return;
    };
    let lake = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(lake.path().join("raw")).unwrap();
    let config = TorroConfig::from_toml(&format!(
        "[[sources]]\nname = \"lake\"\nroot = \"{}\"\n",
        lake.path().display()
    ))
    .unwrap();
    let engine = Engine::new(db.store.clone(), config);
    let shutdown = CancellationToken::new();
    let worker = Worker::new(engine.clone(), WorkerOptions::new(1)).spawn(shutdown.clone());
    let mut samples = Vec::new();
    for i in 0..runs {
        std::fs::write(lake.path().join(format!("raw/f{i}.csv")), "id,name\n1,x\n").unwrap();
        let start = Instant::now();
        let queued = engine.enqueue_sources_scan("bench", None, Utc::now()).await.unwrap();
        loop {
            if db.store.stats().await.unwrap().total > i as i64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(start.elapsed());
        // Let the run end before the next trigger (one scan of the sources at a time).
        while db
            .store
            .get_scan_run(queued.run.id)
            .await
            .unwrap()
            .unwrap()
            .finished_at
            .is_none()
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    shutdown.cancel();
    worker.await.unwrap();
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "postgres  trigger -> first discovery ({runs} runs, in-process worker): median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
    db.drop_database().await;
}

#[tokio::main]
async fn main() {
    let jobs = arg("--jobs", 2000);
    for claimers in [1, 2, 4] {
        claims(jobs, claimers).await;
    }
    latency(arg("--latency-runs", 10).max(1)).await;
}
