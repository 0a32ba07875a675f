//! Scan jobs end to end inside one process, on SQLite, PostgreSQL and MariaDB: a worker
//! runs queued connection and source scans, cancels, takes over a dead worker's job; the
//! scheduler fires on a hand-moved clock, once per tick however many schedulers run.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use tokio_util::sync::CancellationToken;
use torro_catalog::JobStatus;
use torro_catalog::testing::TestDb;
use torro_engine::scheduler::{ManualClock, Scheduler};
use torro_engine::{Engine, EngineEvent, SourceConfig, TorroConfig, Worker, WorkerOptions};
use torro_model::{Actor, ConnectionInput, ConnectionSettings, ScanRun, ScanStatus, SourceLabels, StorageType};

torro_catalog::backend_suite!(
    a_worker_runs_queued_connection_and_source_scans,
    a_running_scan_is_cancelled,
    a_dead_workers_job_is_taken_over,
    the_scheduler_fires_each_tick_once,
);

fn lake(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    for i in 0..files {
        std::fs::write(
            dir.path().join(format!("raw/part-{i:05}.csv")),
            format!("id,name\n{i},x\n"),
        )
        .unwrap();
    }
    dir
}

fn engine(db: &TestDb, sources: Vec<SourceConfig>) -> Engine {
    let mut config = TorroConfig {
        sources,
        ..TorroConfig::default()
    };
    config.scan.batch_size = 10;
    config.jobs.retry_base_secs = 1;
    Engine::new(db.store.clone(), config)
}

fn input(name: &str, root: &Path, schedule: Option<&str>) -> ConnectionInput {
    ConnectionInput {
        name: name.into(),
        connector_type: StorageType::Local,
        connection_type: String::new(),
        config: ConnectionSettings {
            root: Some(root.display().to_string()),
            ..ConnectionSettings::default()
        },
        secrets: BTreeMap::new(),
        status: None,
        schedule: schedule.map(Into::into),
        labels: SourceLabels::default(),
    }
}

fn fast_worker(engine: &Engine, name: &str) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let shutdown = CancellationToken::new();
    let options = WorkerOptions {
        name: name.into(),
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(3),
        ..WorkerOptions::new(2)
    };
    let handle = Worker::new(engine.clone(), options).spawn(shutdown.clone());
    (shutdown, handle)
}

/// Polls the scan's job until it has ended (the run ends just before its job).
async fn job_ended(db: &TestDb, scan_id: i64) -> torro_catalog::Job {
    for _ in 0..400 {
        let job = db.store.jobs().job_for_scan(scan_id).await.unwrap().unwrap();
        if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job of scan {scan_id} still active after 20 s");
}

/// Polls the run until it has ended (20 s at most).
async fn ended(db: &TestDb, id: i64) -> ScanRun {
    for _ in 0..400 {
        let run = db.store.get_scan_run(id).await.unwrap().unwrap();
        if !run.status.is_active() {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan {id} still active after 20 s");
}

async fn a_worker_runs_queued_connection_and_source_scans(db: &TestDb) {
    // Two lakes: a connection and the config's source over one folder would race for the
    // same files, and which scan sees them first (as new) would be luck.
    let files = lake(3);
    let other = lake(2);
    let engine = engine(db, vec![SourceConfig::local_folder(other.path())]);
    let connection = engine
        .connections()
        .create(&input("lake", files.path(), None), &Actor::system("test"))
        .await
        .unwrap();
    let mut events = engine.events().subscribe();

    let queued = engine.trigger_connection_scan(connection.id).await.unwrap();
    assert_eq!(
        queued.status,
        ScanStatus::Queued,
        "nothing runs it before a worker starts"
    );
    let sources = engine.trigger_scan("api").await.unwrap();
    let (stop, worker) = fast_worker(&engine, "w");

    let run = ended(db, queued.id).await;
    assert_eq!((run.status, run.counts.new), (ScanStatus::Succeeded, 3), "{run:?}");
    let job = job_ended(db, queued.id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 1));
    let run = ended(db, sources.id).await;
    assert_eq!(run.status, ScanStatus::Succeeded, "{run:?}");
    // A job ends after its run's last event was sent.
    job_ended(db, sources.id).await;
    assert_eq!(run.counts.new, 2, "{run:?}");

    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    let finished = |id| {
        seen.iter().any(
            |e| matches!(e, EngineEvent::ScanFinished { scan_id, status: ScanStatus::Succeeded, .. } if *scan_id == id),
        )
    };
    assert!(finished(queued.id) && finished(sources.id), "{seen:?}");
    let discovered = seen
        .iter()
        .filter(|e| matches!(e, EngineEvent::Discovered { .. }))
        .count();
    assert_eq!(discovered, 5, "each new file is announced once");
    assert!(
        seen.iter()
            .any(|e| matches!(e, EngineEvent::ScanQueued { scan_id, .. } if *scan_id == queued.id))
    );

    // A disabled or unknown connection is refused before anything is queued.
    assert!(engine.trigger_connection_scan(9999).await.is_err());
    stop.cancel();
    worker.await.unwrap();
}

async fn a_running_scan_is_cancelled(db: &TestDb) {
    let files = lake(1500);
    let engine = engine(db, vec![]);
    let connection = engine
        .connections()
        .create(&input("big", files.path(), None), &Actor::system("test"))
        .await
        .unwrap();
    let mut events = engine.events().subscribe();
    let run = engine.trigger_connection_scan(connection.id).await.unwrap();
    let (stop, worker) = fast_worker(&engine, "w");
    // Cancel once the first files are in the catalog.
    loop {
        match events.recv().await.unwrap() {
            EngineEvent::Discovered { .. } => break,
            EngineEvent::ScanFinished { .. } => panic!("finished before it could be cancelled"),
            _ => {}
        }
    }
    engine.cancel_scan(run.id).await.unwrap();
    let done = ended(db, run.id).await;
    assert_eq!(done.status, ScanStatus::Cancelled, "{done:?}");
    assert!(done.counts.new < 1500, "{done:?}");
    let job = job_ended(db, run.id).await;
    assert_eq!(job.status, JobStatus::Cancelled);

    // A queued scan is cancelled before it starts.
    stop.cancel();
    worker.await.unwrap();
    let queued = engine.trigger_connection_scan(connection.id).await.unwrap();
    let cancelled = engine.cancel_scan(queued.id).await.unwrap();
    assert_eq!(cancelled.status, ScanStatus::Cancelled);
    assert!(engine.cancel_scan(987_654).await.is_err());
}

async fn a_dead_workers_job_is_taken_over(db: &TestDb) {
    let files = lake(2);
    let engine = engine(db, vec![]);
    let connection = engine
        .connections()
        .create(&input("lake", files.path(), None), &Actor::system("test"))
        .await
        .unwrap();
    let run = engine.trigger_connection_scan(connection.id).await.unwrap();
    // A worker claims it and dies at once: it never renews its one-second lease.
    let jobs = db.store.jobs();
    let claimed = jobs
        .claim("crashed", &["scan"], Duration::from_secs(1), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.scan_id, Some(run.id));
    let (stop, worker) = fast_worker(&engine, "survivor");
    let done = ended(db, run.id).await;
    assert_eq!((done.status, done.counts.new), (ScanStatus::Succeeded, 2), "{done:?}");
    let job = job_ended(db, run.id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
    assert!(job.lease_owner.unwrap().starts_with("survivor/"));
    stop.cancel();
    worker.await.unwrap();
}

async fn the_scheduler_fires_each_tick_once(db: &TestDb) {
    let files = lake(1);
    let engine = engine(db, vec![]);
    let every5 = engine
        .connections()
        .create(&input("every5", files.path(), None), &Actor::system("test"))
        .await
        .unwrap();
    let hourly = engine
        .connections()
        .create(
            &input("hourly", files.path(), Some("30 * * * *")),
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let mut off = input("off", files.path(), None);
    off.status = Some("disabled".into());
    engine.connections().create(&off, &Actor::system("test")).await.unwrap();

    // A time after the connections were created, on a round hour.
    let created = every5.created_at.max(hourly.created_at);
    let hour = created
        .with_minute(0)
        .unwrap()
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap();
    let at = |h: i64, m: i64| hour + chrono::Duration::hours(h) + chrono::Duration::minutes(m);
    let clock = Arc::new(ManualClock::new(at(2, 2)));
    let first = Scheduler::new(engine.clone(), clock.clone()).unwrap();
    let second = Scheduler::new(engine.clone(), clock.clone()).unwrap();

    // 02:02 → every5's 02:00 tick (the default schedule); hourly's 01:30 tick.
    let report = first.tick().await.unwrap();
    assert_eq!(connections(&report), vec![every5.id, hourly.id], "{report:?}");
    assert!(first.tick().await.unwrap().queued.is_empty(), "a tick fires once");
    assert!(
        second.tick().await.unwrap().queued.is_empty(),
        "another serve process does not fire it again"
    );

    // 02:07 → every5's 02:05 tick only.
    clock.set(at(2, 7));
    assert_eq!(connections(&second.tick().await.unwrap()), vec![every5.id]);
    assert!(first.tick().await.unwrap().queued.is_empty());

    // Down from 02:07 to 05:41: one run each for the missed ticks, not one per tick.
    clock.set(at(5, 41));
    let report = first.tick().await.unwrap();
    assert_eq!(connections(&report), vec![every5.id, hourly.id], "{report:?}");
    let jobs = db.store.jobs().list_jobs(None, 100).await.unwrap();
    assert_eq!(jobs.len(), 5);
    let scheduled: Vec<DateTime<Utc>> = jobs
        .iter()
        .map(|j| serde_json::from_value::<torro_engine::jobs::ScanJob>(j.payload.clone()).unwrap())
        .filter_map(|p| p.scheduled_for)
        .collect();
    assert!(
        scheduled.contains(&at(5, 40)) && scheduled.contains(&at(5, 30)),
        "{scheduled:?}"
    );
}

fn connections(report: &torro_engine::scheduler::TickReport) -> Vec<i64> {
    let mut ids: Vec<i64> = report.queued.iter().filter_map(|(_, c)| *c).collect();
    ids.sort();
    ids
}
