//! The job queue on SQLite, PostgreSQL and MariaDB/MySQL: idempotent enqueue, claims that
//! never hand one job to two workers, leases taken over after expiry, retries with backoff,
//! one running job per concurrency key, cancellation; and parallel scans inserting the same
//! new path.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use torro_catalog::testing::TestDb;
use torro_catalog::{CatalogStore, JobStatus, Lease, NewJob, ScanRunFilter};
use torro_model::{NewScanRun, Observation, ScanStatus, SourceLabels, StorageLocation, StorageType};

const LEASE: Duration = Duration::from_secs(30);
const KINDS: &[&str] = &["test"];
const RETRY: Duration = Duration::from_secs(10);

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

fn job(n: i64) -> NewJob {
    NewJob {
        kind: "test".into(),
        payload: json!({ "n": n }),
        run_at: t(0),
        max_attempts: 3,
        dedupe_key: None,
        concurrency_key: None,
    }
}

fn run() -> NewScanRun {
    NewScanRun {
        trigger: "schedule".into(),
        target: "lake".into(),
        started_at: t(0),
    }
}

torro_catalog::backend_suite!(
    enqueue_is_idempotent_on_its_dedupe_key,
    claims_take_due_jobs_oldest_first,
    concurrent_claimers_never_share_a_job,
    an_expired_lease_is_taken_over,
    failures_back_off_then_the_job_is_dead,
    one_running_job_per_concurrency_key,
    cancel_a_queued_and_a_running_job,
    scan_jobs_carry_their_run,
    a_lost_last_attempt_fails_its_scan_run,
    parallel_scans_insert_the_same_new_path_once,
);

async fn enqueue_is_idempotent_on_its_dedupe_key(db: &TestDb) {
    let jobs = db.store.jobs();
    let keyed = NewJob {
        dedupe_key: Some("schedule:1:2027-01-01T00:00Z".into()),
        ..job(1)
    };
    let first = jobs.enqueue(&keyed, t(0)).await.unwrap();
    assert!(first.created);
    assert_eq!(first.job.status, JobStatus::Queued);
    assert_eq!(first.job.payload, json!({ "n": 1 }));
    let again = jobs.enqueue(&keyed, t(1)).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.job.id, first.job.id);

    // Several processes firing the same tick at once still make one job.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let keyed = NewJob {
                dedupe_key: Some("schedule:2:tick".into()),
                ..job(2)
            };
            store.jobs().enqueue(&keyed, t(0)).await.unwrap()
        }));
    }
    let mut ids = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let e = task.await.unwrap();
        ids.insert(e.job.id);
        created += e.created as usize;
    }
    assert_eq!((ids.len(), created), (1, 1));
    // Jobs without a key never collide.
    assert_ne!(
        jobs.enqueue(&job(3), t(0)).await.unwrap().job.id,
        jobs.enqueue(&job(3), t(0)).await.unwrap().job.id
    );
    assert_eq!(jobs.list_jobs(None, 100).await.unwrap().len(), 4);
}

async fn claims_take_due_jobs_oldest_first(db: &TestDb) {
    let jobs = db.store.jobs();
    let later = jobs
        .enqueue(
            &NewJob {
                run_at: t(60),
                ..job(1)
            },
            t(0),
        )
        .await
        .unwrap()
        .job;
    let now = jobs.enqueue(&job(2), t(0)).await.unwrap().job;
    let claimed = jobs.claim("w1", KINDS, LEASE, t(1)).await.unwrap().unwrap();
    assert_eq!(claimed.id, now.id);
    assert_eq!((claimed.status, claimed.attempts), (JobStatus::Running, 1));
    assert_eq!(claimed.lease_owner.as_deref(), Some("w1"));
    assert_eq!(claimed.lease_expires_at, Some(t(31)));
    assert!(
        jobs.claim("w2", KINDS, LEASE, t(1)).await.unwrap().is_none(),
        "not due yet"
    );
    assert!(jobs.enqueue(&job(9), t(0)).await.unwrap().created);
    assert!(
        jobs.claim("w2", &["scan"], LEASE, t(1)).await.unwrap().is_none(),
        "only the kinds asked for"
    );
    let other = jobs.claim("w2", KINDS, LEASE, t(1)).await.unwrap().unwrap();
    jobs.complete(other.id, "w2", t(1)).await.unwrap();
    assert!(jobs.complete(now.id, "w1", t(2)).await.unwrap());
    let done = jobs.get_job(now.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.finished_at), (JobStatus::Succeeded, Some(t(2))));
    assert!(
        !jobs.complete(now.id, "w1", t(3)).await.unwrap(),
        "completing twice does nothing"
    );
    let due = jobs.claim("w2", KINDS, LEASE, t(60)).await.unwrap().unwrap();
    assert_eq!(due.id, later.id);
}

async fn concurrent_claimers_never_share_a_job(db: &TestDb) {
    const JOBS: i64 = 60;
    for n in 0..JOBS {
        db.store.jobs().enqueue(&job(n), t(0)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store: Arc<dyn CatalogStore> = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut mine = Vec::new();
            while let Some(j) = store.jobs().claim(&owner, KINDS, LEASE, t(1)).await.unwrap() {
                assert!(store.jobs().complete(j.id, &owner, t(2)).await.unwrap());
                mine.push(j.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len() as i64, JOBS, "every job claimed once");
    assert_eq!(distinct.len() as i64, JOBS, "no job claimed twice");
    let done = db
        .store
        .jobs()
        .list_jobs(Some(JobStatus::Succeeded), 1000)
        .await
        .unwrap();
    assert_eq!(done.len() as i64, JOBS);
    assert!(done.iter().all(|j| j.attempts == 1));
}

async fn an_expired_lease_is_taken_over(db: &TestDb) {
    let jobs = db.store.jobs();
    let id = jobs.enqueue(&job(1), t(0)).await.unwrap().job.id;
    jobs.claim("dead-worker", KINDS, LEASE, t(0)).await.unwrap().unwrap();
    assert_eq!(
        jobs.heartbeat(id, "dead-worker", LEASE, t(20)).await.unwrap(),
        Lease::Held {
            cancel_requested: false
        }
    );
    assert!(
        jobs.claim("w2", KINDS, LEASE, t(49)).await.unwrap().is_none(),
        "lease renewed to t(50)"
    );
    let taken = jobs.claim("w2", KINDS, LEASE, t(51)).await.unwrap().unwrap();
    assert_eq!((taken.id, taken.attempts), (id, 2));
    assert_eq!(taken.lease_owner.as_deref(), Some("w2"));
    // The first worker learns it lost the job and cannot finish it.
    assert_eq!(
        jobs.heartbeat(id, "dead-worker", LEASE, t(52)).await.unwrap(),
        Lease::Lost
    );
    assert!(!jobs.complete(id, "dead-worker", t(52)).await.unwrap());
    assert!(
        jobs.fail(id, "dead-worker", "x", true, RETRY, t(52))
            .await
            .unwrap()
            .is_none()
    );
    assert!(jobs.complete(id, "w2", t(53)).await.unwrap());
}

async fn failures_back_off_then_the_job_is_dead(db: &TestDb) {
    let jobs = db.store.jobs();
    let id = jobs.enqueue(&job(1), t(0)).await.unwrap().job.id;
    jobs.claim("w", KINDS, LEASE, t(0)).await.unwrap().unwrap();
    let j = jobs
        .fail(id, "w", "store unreachable", true, RETRY, t(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.status, j.run_at), (JobStatus::Queued, t(15)));
    assert_eq!(j.last_error.as_deref(), Some("store unreachable"));
    assert!(jobs.claim("w", KINDS, LEASE, t(14)).await.unwrap().is_none());
    jobs.claim("w", KINDS, LEASE, t(15)).await.unwrap().unwrap();
    let j = jobs.fail(id, "w", "again", true, RETRY, t(20)).await.unwrap().unwrap();
    assert_eq!(j.run_at, t(40), "the second delay doubles");
    jobs.claim("w", KINDS, LEASE, t(40)).await.unwrap().unwrap();
    let j = jobs
        .fail(id, "w", "third time", true, RETRY, t(41))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.status, j.attempts), (JobStatus::Dead, 3));
    assert_eq!(j.finished_at, Some(t(41)));
    assert!(jobs.claim("w", KINDS, LEASE, t(9999)).await.unwrap().is_none());

    // A permanent failure is dead at once.
    let id = jobs.enqueue(&job(2), t(0)).await.unwrap().job.id;
    jobs.claim("w", KINDS, LEASE, t(0)).await.unwrap().unwrap();
    let j = jobs
        .fail(id, "w", "bad config", false, RETRY, t(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.status, j.attempts), (JobStatus::Dead, 1));
}

async fn one_running_job_per_concurrency_key(db: &TestDb) {
    let jobs = db.store.jobs();
    let keyed = |n, key: &str| NewJob {
        concurrency_key: Some(key.into()),
        ..job(n)
    };
    let a1 = jobs.enqueue(&keyed(1, "connection:1"), t(0)).await.unwrap().job.id;
    let a2 = jobs.enqueue(&keyed(2, "connection:1"), t(0)).await.unwrap().job.id;
    let b = jobs.enqueue(&keyed(3, "connection:2"), t(0)).await.unwrap().job.id;
    assert_eq!(jobs.claim("w1", KINDS, LEASE, t(1)).await.unwrap().unwrap().id, a1);
    assert_eq!(
        jobs.claim("w2", KINDS, LEASE, t(1)).await.unwrap().unwrap().id,
        b,
        "a2 waits for a1"
    );
    assert!(jobs.claim("w3", KINDS, LEASE, t(1)).await.unwrap().is_none());
    jobs.complete(a1, "w1", t(2)).await.unwrap();
    assert_eq!(jobs.claim("w3", KINDS, LEASE, t(3)).await.unwrap().unwrap().id, a2);

    // Many claimers at once on many jobs of one key: never two running together.
    for n in 0..10 {
        jobs.enqueue(&keyed(n, "connection:9"), t(0)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store.jobs().claim(&format!("x{w}"), KINDS, LEASE, t(10)).await.unwrap()
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    let of_nine = claimed
        .iter()
        .filter(|j| j.concurrency_key.as_deref() == Some("connection:9"))
        .count();
    assert_eq!(of_nine, 1, "{claimed:?}");
}

async fn cancel_a_queued_and_a_running_job(db: &TestDb) {
    let jobs = db.store.jobs();
    let queued = jobs.enqueue_scan(&job(1), &run(), None, t(0)).await.unwrap();
    let cancelled = jobs.cancel(queued.job.id, t(1)).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    let r = db.store.get_scan_run(queued.run.id).await.unwrap().unwrap();
    assert_eq!(r.status, ScanStatus::Cancelled);
    assert!(jobs.claim("w", KINDS, LEASE, t(2)).await.unwrap().is_none());

    let running = jobs.enqueue(&job(2), t(0)).await.unwrap().job.id;
    jobs.claim("w", KINDS, LEASE, t(2)).await.unwrap().unwrap();
    let flagged = jobs.cancel(running, t(3)).await.unwrap();
    assert_eq!((flagged.status, flagged.cancel_requested), (JobStatus::Running, true));
    assert_eq!(
        jobs.heartbeat(running, "w", LEASE, t(4)).await.unwrap(),
        Lease::Held { cancel_requested: true }
    );
    assert!(jobs.finish_cancelled(running, "w", t(5)).await.unwrap());
    assert_eq!(
        jobs.get_job(running).await.unwrap().unwrap().status,
        JobStatus::Cancelled
    );
    // Cancelling an ended job changes nothing; an unknown one is NotFound.
    assert_eq!(jobs.cancel(running, t(6)).await.unwrap().status, JobStatus::Cancelled);
    assert!(matches!(
        jobs.cancel(9999, t(6)).await,
        Err(torro_catalog::CatalogError::NotFound(_))
    ));
}

async fn scan_jobs_carry_their_run(db: &TestDb) {
    let jobs = db.store.jobs();
    let tick = NewJob {
        dedupe_key: Some("schedule:7:t0".into()),
        ..job(1)
    };
    let e = jobs.enqueue_scan(&tick, &run(), Some(7), t(0)).await.unwrap();
    assert!(e.created);
    assert_eq!(e.job.scan_id, Some(e.run.id));
    assert_eq!(e.run.status, ScanStatus::Queued);
    let again = jobs.enqueue_scan(&tick, &run(), Some(7), t(0)).await.unwrap();
    assert!(!again.created);
    assert_eq!((again.job.id, again.run.id), (e.job.id, e.run.id));
    jobs.enqueue_scan(&job(2), &run(), None, t(0)).await.unwrap();
    assert_eq!(jobs.job_for_scan(e.run.id).await.unwrap().unwrap().id, e.job.id);
    assert_eq!(jobs.scan_run_connection(e.run.id).await.unwrap(), Some(7));

    let filter = |status, connection_id| ScanRunFilter {
        status,
        connection_id,
        page: 0,
        size: 50,
    };
    let of_seven = jobs.list_scan_runs_filtered(&filter(None, Some(7))).await.unwrap();
    assert_eq!((of_seven.total, of_seven.items[0].id), (1, e.run.id));
    assert_eq!(
        jobs.list_scan_runs_filtered(&filter(Some(ScanStatus::Queued), None))
            .await
            .unwrap()
            .total,
        2
    );

    let started = jobs.start_scan_run(e.run.id, t(5)).await.unwrap();
    assert_eq!((started.status, started.started_at), (ScanStatus::Running, t(5)));
    db.store
        .record_scan_errors(
            e.run.id,
            &[torro_model::NewScanError {
                path: "a.csv".into(),
                kind: torro_model::ScanErrorKind::Read,
                message: "boom".into(),
            }],
        )
        .await
        .unwrap();
    // A restart after a lost lease begins from zero.
    let restarted = jobs.start_scan_run(e.run.id, t(9)).await.unwrap();
    assert_eq!((restarted.error_count, restarted.started_at), (0, t(9)));
    assert_eq!(
        jobs.list_scan_runs_filtered(&filter(Some(ScanStatus::Running), Some(7)))
            .await
            .unwrap()
            .total,
        1
    );
}

async fn a_lost_last_attempt_fails_its_scan_run(db: &TestDb) {
    let jobs = db.store.jobs();
    let once = NewJob {
        max_attempts: 1,
        ..job(1)
    };
    let e = jobs.enqueue_scan(&once, &run(), None, t(0)).await.unwrap();
    jobs.claim("w", KINDS, LEASE, t(0)).await.unwrap().unwrap();
    jobs.start_scan_run(e.run.id, t(0)).await.unwrap();
    assert!(jobs.claim("w2", KINDS, LEASE, t(31)).await.unwrap().is_none());
    let j = jobs.get_job(e.job.id).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Dead);
    assert!(j.last_error.unwrap().contains("lease expired"));
    let r = db.store.get_scan_run(e.run.id).await.unwrap().unwrap();
    assert_eq!(r.status, ScanStatus::Failed);
}

fn observation(path: &str, scan_marker: &str) -> Observation {
    Observation {
        location: StorageLocation {
            storage_type: StorageType::S3,
            account: "".into(),
            container: "lake".into(),
        },
        path: path.into(),
        size: 10,
        etag: Some(scan_marker.into()),
        last_modified: None,
        fingerprint: format!("10:{scan_marker}"),
        format: None,
        schema: None,
        row_count: None,
        format_details: serde_json::Value::Null,
        error: None,
        labels: SourceLabels::default(),
        seen_at: t(0),
    }
}

/// Two workers scanning overlapping sources insert the same new paths at the same moment:
/// no batch fails, and each path has one row.
async fn parallel_scans_insert_the_same_new_path_once(db: &TestDb) {
    let paths: Vec<String> = (0..40).map(|i| format!("shared/part-{i:03}.csv")).collect();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = db.store.clone();
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            let scan = store.create_scan_run(&run()).await.unwrap().id;
            let batch: Vec<Observation> = paths.iter().map(|p| observation(p, &format!("w{w}"))).collect();
            for chunk in batch.chunks(5) {
                store.apply_observations(scan, chunk).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let page = db
        .store
        .list_discoveries(&torro_model::DiscoveryQuery {
            size: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 40);
    let distinct: HashSet<&str> = page.items.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(distinct.len(), 40);
}
