//! The notification outbox on SQLite, PostgreSQL and MariaDB: written with a scan run's
//! finish, claimed under a lease, taken over when the lease expires, retried with
//! backoff, delivered once, dead after its last attempt. The clock is passed in.

use std::time::Duration;

use chrono::{Timelike, Utc};
use torro_catalog::testing::TestDb;
use torro_catalog::{NewOutboxMessage, OutboxStatus};
use torro_model::{NewScanRun, ScanCounts, ScanStatus};

torro_catalog::backend_suite!(
    outbox_rows_go_with_the_finish_and_are_delivered_once,
    outbox_retries_then_dies
);

fn message(max_attempts: i32) -> NewOutboxMessage {
    NewOutboxMessage {
        channel: "email".into(),
        payload: serde_json::json!({ "kind": "scan", "recipients": ["a@example.com"] }),
        max_attempts,
    }
}

async fn outbox_rows_go_with_the_finish_and_are_delivered_once(db: &TestDb) {
    let store = &db.store;
    let run = store
        .create_scan_run(&NewScanRun {
            trigger: "test".into(),
            target: "t".into(),
            started_at: Utc::now(),
        })
        .await
        .unwrap();
    let counts = ScanCounts {
        new: 3,
        listed: 3,
        ..Default::default()
    };
    let done = store
        .outbox()
        .finish_scan_run_with_outbox(run.id, ScanStatus::Succeeded, &counts, None, &[message(5), message(5)])
        .await
        .unwrap();
    assert_eq!((done.status, done.counts.new), (ScanStatus::Succeeded, 3));
    assert!(done.finished_at.is_some());
    assert_eq!(
        store
            .outbox()
            .list_outbox(Some(OutboxStatus::Pending), 10)
            .await
            .unwrap()
            .len(),
        2
    );

    let now = Utc::now();
    let lease = Duration::from_secs(10);
    let a = store.outbox().claim_outbox("a", lease, now).await.unwrap().unwrap();
    let b = store.outbox().claim_outbox("b", lease, now).await.unwrap().unwrap();
    assert_ne!(a.id, b.id, "two claimers never get one row");
    assert!(store.outbox().claim_outbox("c", lease, now).await.unwrap().is_none());

    // "a" dies; after its lease "c" takes the row over, and "a" can no longer end it.
    let later = now + chrono::Duration::seconds(11);
    let c = store.outbox().claim_outbox("c", lease, later).await.unwrap().unwrap();
    assert_eq!((c.id, c.attempts), (a.id, 2));
    assert!(!store.outbox().outbox_delivered(a.id, "a", later).await.unwrap());
    assert!(store.outbox().outbox_delivered(c.id, "c", later).await.unwrap());
    assert!(store.outbox().outbox_delivered(b.id, "b", later).await.unwrap());
    let rows = store.outbox().list_outbox(None, 10).await.unwrap();
    assert!(
        rows.iter()
            .all(|m| m.status == OutboxStatus::Delivered && m.delivered_at.is_some()),
        "{rows:?}"
    );
    assert!(
        store
            .outbox()
            .claim_outbox("d", lease, later + chrono::Duration::hours(1))
            .await
            .unwrap()
            .is_none()
    );
}

async fn outbox_retries_then_dies(db: &TestDb) {
    let outbox = db.store.outbox();
    // Whole microseconds: what every backend stores.
    let t = Utc::now();
    let now = t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap();
    let lease = Duration::from_secs(10);
    let base = Duration::from_secs(5);
    let m = outbox.enqueue_outbox(&message(2), now).await.unwrap();
    let first = outbox.claim_outbox("w", lease, now).await.unwrap().unwrap();
    let after = outbox
        .outbox_failed(first.id, "w", "connection refused", base, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status, OutboxStatus::Pending);
    assert_eq!(
        after.run_at,
        now + chrono::Duration::seconds(5),
        "first retry after the base delay"
    );
    assert!(
        outbox
            .claim_outbox("w", lease, now + chrono::Duration::seconds(4))
            .await
            .unwrap()
            .is_none()
    );
    let second = outbox
        .claim_outbox("w", lease, now + chrono::Duration::seconds(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.attempts, 2);
    let dead = outbox
        .outbox_failed(
            m.id,
            "w",
            "connection refused",
            base,
            now + chrono::Duration::seconds(5),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (dead.status, dead.last_error.as_deref()),
        (OutboxStatus::Dead, Some("connection refused"))
    );
}
