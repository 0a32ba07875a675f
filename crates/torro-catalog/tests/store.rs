//! The store test-suite: every test runs unchanged on SQLite, PostgreSQL and MariaDB/MySQL.
//!
//! Run: `cargo nextest run -p torro-catalog` (or `cargo test -p torro-catalog`).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use torro_catalog::{CatalogError, CatalogStore, NewConnectionRow};
use torro_model::{
    Actor, ApprovalStatus, ConnectionSettings, DataType, DiscoveryQuery, Field, FileFormat, FileStatus, NewScanError,
    NewScanRun, Observation, ScanCounts, ScanErrorKind, ScanStatus, Schema, SortField, SortOrder, SourceLabels,
    StatusChange, StorageLocation, StorageType, UpsertOutcome,
};

type Store = Arc<dyn CatalogStore>;

/// One `#[tokio::test]` per (backend, test fn), so no test can be forgotten for a backend.
macro_rules! store_suite {
    ($($test:ident),+ $(,)?) => {
        store_suite!(@on sqlite; $($test),+);
        store_suite!(@on postgres; $($test),+);
        store_suite!(@on mysql; $($test),+);
    };
    (@on $backend:ident; $($test:ident),+) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(db) = torro_catalog::testing::$backend(true).await else { return };
                    super::$test(db.store.clone()).await;
                    db.drop_database().await;
                }
            )+
        }
    };
}

store_suite!(
    migrate_twice_is_a_no_op,
    insert_and_get_round_trip_every_field,
    same_batch_twice_is_idempotent,
    schema_change_appends_a_version_with_diff,
    deleted_file_comes_back_when_observed_again,
    known_objects_by_location_and_prefix,
    touch_seen_and_mark_deleted_chunk_long_id_lists,
    list_filters,
    list_sorts_and_pages,
    search_finds_words_folders_and_columns,
    search_survives_hostile_input,
    stats_group_counts,
    facets_count_what_a_query_matches,
    review_workflow_writes_audit_rows,
    review_errors,
    scan_run_lifecycle,
    connections_create_get_list,
    connection_names_are_unique,
    connection_update_keeps_created_at_and_test_results,
    connection_delete_then_not_found,
    connection_audit_rows_name_secrets_without_values,
    discoveries_filter_by_source_name,
    datasets_roll_up_partitions_and_part_files,
    datasets_rescan_is_idempotent,
    datasets_count_deleted_files_apart,
    datasets_search_and_page
);

/// Several processes starting at once on one fresh database all migrate without error
/// (sqlx's migrator takes a database lock on PostgreSQL and MySQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_on_one_database() {
    for db in [
        torro_catalog::testing::sqlite(false).await,
        torro_catalog::testing::postgres(false).await,
        torro_catalog::testing::mysql(false).await,
    ]
    .into_iter()
    .flatten()
    {
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let url = db.url.clone();
            tasks.push(tokio::spawn(async move {
                let store = torro_catalog::connect(&url).await.unwrap();
                store.migrate().await
            }));
        }
        for t in tasks {
            t.await
                .unwrap()
                .unwrap_or_else(|e| panic!("concurrent migrate on {:?}: {e}", db.store.backend()));
        }
        db.store.migrate().await.unwrap();
        assert_eq!(db.store.stats().await.unwrap().total, 0);
        db.drop_database().await;
    }
}

// ---------- fixtures ----------

fn t(secs: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, nanos).unwrap()
}

/// What the store keeps of a timestamp: microseconds.
fn micros(x: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(x.timestamp_micros()).unwrap()
}

fn lake() -> StorageLocation {
    StorageLocation {
        storage_type: StorageType::S3,
        account: "".into(),
        container: "lake".into(),
    }
}

fn schema(cols: &[(&str, DataType)]) -> Schema {
    Schema::new(cols.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect())
}

fn orders_schema() -> Schema {
    schema(&[
        ("order_id", DataType::Int64),
        ("customerId", DataType::String),
        (
            "address",
            DataType::Struct(vec![
                Field::new("city", DataType::String, true),
                Field::new("zip", DataType::String, true),
            ]),
        ),
    ])
}

fn obs(path: &str, schema: Option<Schema>, seen_at: DateTime<Utc>) -> Observation {
    Observation {
        location: lake(),
        path: path.into(),
        size: 100,
        etag: Some("e1".into()),
        last_modified: Some(t(-10, 0)),
        fingerprint: "100:e1".into(),
        format: FileFormat::from_file_name(path).map(|(f, _)| f),
        schema,
        row_count: Some(10),
        format_details: json!({"delimiter": ","}),
        error: None,
        labels: SourceLabels {
            source_name: "finance-lake".into(),
            environment: "production".into(),
            env_type: "prod".into(),
            data_source_type: "finance".into(),
            tags: vec!["pii".into(), "daily".into()],
        },
        seen_at,
    }
}

async fn scan(store: &Store) -> i64 {
    store
        .create_scan_run(&NewScanRun {
            trigger: "cli".into(),
            target: "finance-lake".into(),
            started_at: t(0, 0),
        })
        .await
        .unwrap()
        .id
}

fn query() -> DiscoveryQuery {
    DiscoveryQuery {
        sort: SortField::Id,
        order: SortOrder::Asc,
        ..DiscoveryQuery::default()
    }
}

async fn paths(store: &Store, q: DiscoveryQuery) -> Vec<String> {
    store
        .list_discoveries(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|d| d.path)
        .collect()
}

async fn search(store: &Store, text: &str) -> Vec<String> {
    let mut p = paths(
        store,
        DiscoveryQuery {
            search: Some(text.into()),
            ..query()
        },
    )
    .await;
    p.sort();
    p
}

/// An actor with only a name, as CLI and older API callers give.
fn who(name: &str) -> Actor {
    Actor {
        name: name.into(),
        role: None,
        source_ip: None,
    }
}

fn change(to: ApprovalStatus, reason: Option<&str>) -> StatusChange {
    StatusChange {
        to,
        actor: Actor {
            name: "alice".into(),
            role: Some("steward".into()),
            source_ip: Some("192.0.2.7".into()),
        },
        comment: Some("looks good".into()),
        reason: reason.map(Into::into),
    }
}

// ---------- tests ----------

async fn migrate_twice_is_a_no_op(store: Store) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.health().await.unwrap();
    assert_eq!(store.list_discoveries(&query()).await.unwrap().total, 0);
}

async fn insert_and_get_round_trip_every_field(store: Store) {
    let scan_id = scan(&store).await;
    let seen = t(5, 123_456_789);
    let mut o = obs("raw/sales/customer_orders_2024.csv", Some(orders_schema()), seen);
    o.last_modified = Some(t(-10, 987_654_321));
    let res = store
        .apply_observations(scan_id, std::slice::from_ref(&o))
        .await
        .unwrap();
    assert_eq!(res.len(), 1);
    assert_eq!(res[0].outcome, UpsertOutcome::Inserted);
    assert!(res[0].schema_changed);

    let d = store.get_discovery(res[0].id).await.unwrap().expect("stored");
    assert_eq!(d.id, res[0].id);
    assert_eq!(d.location, lake());
    assert_eq!(d.path, "raw/sales/customer_orders_2024.csv");
    assert_eq!(
        (d.folder.as_str(), d.name.as_str(), d.extension.as_str()),
        ("raw/sales", "customer_orders_2024.csv", "csv")
    );
    assert_eq!(d.format, Some(FileFormat::Csv));
    assert_eq!(d.size, 100);
    assert_eq!(d.etag.as_deref(), Some("e1"));
    assert_eq!(d.last_modified, Some(micros(t(-10, 987_654_321))));
    assert_eq!(d.fingerprint, "100:e1");
    assert_eq!(d.row_count, Some(10));
    assert_eq!(d.column_count, Some(3));
    assert_eq!(d.schema, Some(orders_schema()));
    assert_eq!(d.schema_hash, Some(orders_schema().hash()));
    assert_eq!(d.format_details, json!({"delimiter": ","}));
    assert_eq!(d.status, FileStatus::Active);
    assert_eq!(d.approval_status, ApprovalStatus::Pending);
    assert_eq!(d.error, None);
    assert_eq!(d.labels, o.labels);
    assert_eq!(d.first_seen, micros(seen));
    assert_eq!(d.last_seen, micros(seen));
    assert_eq!(d.last_changed, micros(seen));
    assert!(!d.deleted);
    assert_eq!(d.deleted_at, None);
    assert_eq!(d.last_scan_id, Some(scan_id));
    assert_eq!(store.get_discovery(d.id + 1000).await.unwrap(), None);

    // A file whose schema could not be read lands with status error and no version.
    let mut bad = obs("raw/broken.parquet", None, seen);
    bad.error = Some("not a parquet file".into());
    bad.etag = None;
    bad.last_modified = None;
    let r = store.apply_observations(scan_id, &[bad]).await.unwrap();
    assert!(!r[0].schema_changed);
    let b = store.get_discovery(r[0].id).await.unwrap().unwrap();
    assert_eq!(b.status, FileStatus::Error);
    assert_eq!(b.error.as_deref(), Some("not a parquet file"));
    assert_eq!((b.schema, b.etag, b.last_modified), (None, None, None));
    assert!(store.schema_history(b.id).await.unwrap().is_empty());
}

async fn same_batch_twice_is_idempotent(store: Store) {
    let scan_id = scan(&store).await;
    let batch = vec![
        obs("a/one.csv", Some(orders_schema()), t(1, 0)),
        obs("a/two.csv", Some(schema(&[("x", DataType::Int32)])), t(1, 0)),
    ];
    let first = store.apply_observations(scan_id, &batch).await.unwrap();
    let before = store.list_discoveries(&query()).await.unwrap();
    let second = store.apply_observations(scan_id, &batch).await.unwrap();
    let after = store.list_discoveries(&query()).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.id).collect::<Vec<_>>(),
        second.iter().map(|r| r.id).collect::<Vec<_>>()
    );
    assert!(
        second
            .iter()
            .all(|r| r.outcome == UpsertOutcome::Updated && !r.schema_changed)
    );
    assert_eq!(before, after);
    assert_eq!(after.total, 2);
    for r in &first {
        assert_eq!(store.schema_history(r.id).await.unwrap().len(), 1);
    }
}

async fn schema_change_appends_a_version_with_diff(store: Store) {
    let scan_id = scan(&store).await;
    let v1 = schema(&[("id", DataType::Int64), ("name", DataType::String)]);
    let v2 = schema(&[("id", DataType::String), ("email", DataType::String)]);
    let id = store
        .apply_observations(scan_id, &[obs("s/users.csv", Some(v1.clone()), t(1, 0))])
        .await
        .unwrap()[0]
        .id;
    let mut changed = obs("s/users.csv", Some(v2.clone()), t(2, 0));
    changed.fingerprint = "120:e2".into();
    let r = store.apply_observations(scan_id, &[changed]).await.unwrap();
    assert_eq!(
        (r[0].id, r[0].outcome, r[0].schema_changed),
        (id, UpsertOutcome::Updated, true)
    );

    let history = store.schema_history(id).await.unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history[0].schema, v1);
    assert_eq!(history[0].diff, None);
    assert_eq!(history[1].schema, v2);
    assert_eq!(history[1].schema_hash, v2.hash());
    assert_eq!(history[1].scan_id, Some(scan_id));
    assert_eq!(history[1].seen_at, t(2, 0));
    let diff = history[1].diff.as_ref().expect("diff against version 1");
    assert_eq!(
        diff.added.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["email"]
    );
    assert_eq!(
        diff.removed.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["name"]
    );
    assert_eq!(diff.type_changed.len(), 1);
    assert_eq!(diff.type_changed[0].name, "id");

    let d = store.get_discovery(id).await.unwrap().unwrap();
    assert_eq!(
        (d.first_seen, d.last_changed, d.fingerprint.as_str()),
        (t(1, 0), t(2, 0), "120:e2")
    );
}

async fn deleted_file_comes_back_when_observed_again(store: Store) {
    let scan_id = scan(&store).await;
    let id = store
        .apply_observations(scan_id, &[obs("d/gone.csv", None, t(1, 0))])
        .await
        .unwrap()[0]
        .id;
    store
        .change_status(id, &change(ApprovalStatus::Approved, None))
        .await
        .unwrap();
    assert_eq!(store.mark_deleted(scan_id, &[id], t(2, 0)).await.unwrap(), 1);
    assert_eq!(
        store.mark_deleted(scan_id, &[id], t(3, 0)).await.unwrap(),
        0,
        "already deleted"
    );
    let d = store.get_discovery(id).await.unwrap().unwrap();
    assert!(d.deleted);
    assert_eq!((d.status, d.deleted_at), (FileStatus::Deleted, Some(t(2, 0))));
    assert!(paths(&store, query()).await.is_empty(), "deleted rows are hidden");
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                include_deleted: true,
                ..query()
            }
        )
        .await,
        ["d/gone.csv"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                status: Some(FileStatus::Deleted),
                ..query()
            }
        )
        .await,
        ["d/gone.csv"]
    );

    let r = store
        .apply_observations(scan_id, &[obs("d/gone.csv", None, t(4, 0))])
        .await
        .unwrap();
    assert_eq!((r[0].id, r[0].outcome), (id, UpsertOutcome::Updated));
    let d = store.get_discovery(id).await.unwrap().unwrap();
    assert!(!d.deleted);
    assert_eq!(
        (d.status, d.deleted_at, d.approval_status),
        (FileStatus::Active, None, ApprovalStatus::Approved)
    );
    assert_eq!((d.first_seen, d.last_seen, d.last_changed), (t(1, 0), t(4, 0), t(4, 0)));
}

async fn known_objects_by_location_and_prefix(store: Store) {
    let scan_id = scan(&store).await;
    let mut other = obs("raw/a.csv", None, t(1, 0));
    other.location.container = "other".into();
    let batch = vec![
        obs("raw/a.csv", None, t(1, 0)),
        obs("raw/b.csv", None, t(1, 0)),
        obs("raw2/c.csv", None, t(1, 0)),
        obs("Raw/upper.csv", None, t(1, 0)),
        obs("curated/d.csv", None, t(1, 0)),
        other,
    ];
    let ids = store.apply_observations(scan_id, &batch).await.unwrap();
    store.mark_deleted(scan_id, &[ids[1].id], t(2, 0)).await.unwrap();

    let mut all: Vec<_> = store.known_objects(&lake(), "").await.unwrap();
    all.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(
        all.iter().map(|k| k.path.as_str()).collect::<Vec<_>>(),
        ["Raw/upper.csv", "curated/d.csv", "raw/a.csv", "raw/b.csv", "raw2/c.csv"]
    );
    assert_eq!(all[0].fingerprint, "100:e1");

    let mut raw: Vec<_> = store.known_objects(&lake(), "raw/").await.unwrap();
    raw.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(
        raw.iter().map(|k| (k.path.as_str(), k.deleted)).collect::<Vec<_>>(),
        [("raw/a.csv", false), ("raw/b.csv", true)]
    );
    assert_eq!(raw[0].id, ids[0].id);
    assert_eq!(
        store.known_objects(&lake(), "raw").await.unwrap().len(),
        3,
        "prefix, not folder"
    );
    assert!(store.known_objects(&lake(), "nothing/").await.unwrap().is_empty());
    let other_loc = StorageLocation {
        container: "other".into(),
        ..lake()
    };
    assert_eq!(store.known_objects(&other_loc, "").await.unwrap().len(), 1);
}

async fn touch_seen_and_mark_deleted_chunk_long_id_lists(store: Store) {
    let scan_id = scan(&store).await;
    let batch: Vec<_> = (0..5).map(|i| obs(&format!("bulk/f{i}.csv"), None, t(1, 0))).collect();
    let real: Vec<i64> = store
        .apply_observations(scan_id, &batch)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    // 75,000 ids: more than any backend accepts as bind parameters in one statement.
    let mut ids: Vec<i64> = (1_000_000..1_075_000).collect();
    ids.splice(40_000..40_000, real[..3].iter().copied());
    ids.push(real[3]);
    let scan2 = scan(&store).await;
    let relabeled = SourceLabels {
        source_name: "renamed".into(),
        environment: "staging".into(),
        env_type: "non-prod".into(),
        data_source_type: "crm".into(),
        tags: vec!["moved".into()],
    };
    store.touch_seen(scan2, &ids, t(9, 0), &relabeled).await.unwrap();
    for id in &real[..4] {
        let d = store.get_discovery(*id).await.unwrap().unwrap();
        assert_eq!(
            (d.last_seen, d.last_scan_id, d.last_changed),
            (t(9, 0), Some(scan2), t(1, 0))
        );
        assert_eq!(
            d.labels, relabeled,
            "unchanged files take their source's current labels"
        );
    }
    assert_eq!(store.get_discovery(real[4]).await.unwrap().unwrap().last_seen, t(1, 0));
    assert_eq!(store.mark_deleted(scan2, &ids, t(10, 0)).await.unwrap(), 4);
    assert_eq!(store.list_discoveries(&query()).await.unwrap().total, 1);
}

async fn list_filters(store: Store) {
    let scan_id = scan(&store).await;
    let mut a = obs("f/a.csv", None, t(1, 0));
    a.labels.environment = "staging".into();
    let mut b = obs("f/b.parquet", None, t(1, 0));
    b.labels.data_source_type = "crm".into();
    let mut c = obs("f/c.json", None, t(1, 0));
    c.location = StorageLocation {
        storage_type: StorageType::Gcs,
        account: "".into(),
        container: "lake".into(),
    };
    let mut e = obs("f/e.csv", None, t(1, 0));
    e.error = Some("bad".into());
    let ids: Vec<i64> = store
        .apply_observations(scan_id, &[a, b, c, e, obs("f/gone.csv", None, t(1, 0))])
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    store.mark_deleted(scan_id, &[ids[4]], t(2, 0)).await.unwrap();
    store
        .change_status(ids[1], &change(ApprovalStatus::Approved, None))
        .await
        .unwrap();

    assert_eq!(
        paths(&store, query()).await,
        ["f/a.csv", "f/b.parquet", "f/c.json", "f/e.csv"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                status: Some(FileStatus::Error),
                ..query()
            }
        )
        .await,
        ["f/e.csv"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                approval_status: Some(ApprovalStatus::Approved),
                ..query()
            }
        )
        .await,
        ["f/b.parquet"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                environment: Some("staging".into()),
                ..query()
            }
        )
        .await,
        ["f/a.csv"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                data_source_type: Some("crm".into()),
                ..query()
            }
        )
        .await,
        ["f/b.parquet"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                format: Some(FileFormat::Csv),
                ..query()
            }
        )
        .await,
        ["f/a.csv", "f/e.csv"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                storage_type: Some(StorageType::Gcs),
                ..query()
            }
        )
        .await,
        ["f/c.json"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                format: Some(FileFormat::Csv),
                include_deleted: true,
                ..query()
            }
        )
        .await,
        ["f/a.csv", "f/e.csv", "f/gone.csv"]
    );
    assert_eq!(
        paths(
            &store,
            DiscoveryQuery {
                format: Some(FileFormat::Csv),
                status: Some(FileStatus::Active),
                ..query()
            }
        )
        .await,
        ["f/a.csv"]
    );
}

async fn list_sorts_and_pages(store: Store) {
    let scan_id = scan(&store).await;
    // Sizes tie in pairs so the id tiebreak is exercised.
    let batch: Vec<_> = (0..7)
        .map(|i| {
            let mut o = obs(&format!("p/file_{}.csv", (b'g' - i as u8) as char), None, t(i, 0));
            o.size = 10 * (i / 2);
            o
        })
        .collect();
    let ids: Vec<i64> = store
        .apply_observations(scan_id, &batch)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();

    let rev = |v: &[i64]| v.iter().rev().copied().collect::<Vec<_>>();
    assert_eq!(store_ids(&store, sorted(SortField::Id, SortOrder::Asc)).await, ids);
    assert_eq!(
        store_ids(&store, sorted(SortField::Id, SortOrder::Desc)).await,
        rev(&ids)
    );
    assert_eq!(
        store_ids(&store, sorted(SortField::FirstSeen, SortOrder::Asc)).await,
        ids
    );
    assert_eq!(
        store_ids(&store, sorted(SortField::LastChanged, SortOrder::Desc)).await,
        rev(&ids)
    );
    assert_eq!(
        store_ids(&store, sorted(SortField::LastSeen, SortOrder::Asc)).await,
        ids
    );
    assert_eq!(
        store_ids(&store, sorted(SortField::Name, SortOrder::Asc)).await,
        rev(&ids)
    );
    assert_eq!(store_ids(&store, sorted(SortField::Path, SortOrder::Desc)).await, ids);
    assert_eq!(store_ids(&store, sorted(SortField::Size, SortOrder::Asc)).await, ids);
    assert_eq!(
        store_ids(&store, sorted(SortField::Size, SortOrder::Desc)).await,
        rev(&ids)
    );

    let page = |p, s| DiscoveryQuery {
        page: p,
        size: s,
        ..query()
    };
    let p0 = store.list_discoveries(&page(0, 3)).await.unwrap();
    let p2 = store.list_discoveries(&page(2, 3)).await.unwrap();
    let p9 = store.list_discoveries(&page(9, 3)).await.unwrap();
    assert_eq!((p0.total, p0.items.len(), p0.total_pages()), (7, 3, 3));
    assert_eq!(p2.items.iter().map(|d| d.id).collect::<Vec<_>>(), [ids[6]]);
    assert_eq!((p9.total, p9.items.len()), (7, 0));
    // Out-of-range sizes are clamped, never a panic.
    assert_eq!(store.list_discoveries(&page(0, 0)).await.unwrap().items.len(), 1);
    assert_eq!(
        store
            .list_discoveries(&page(u32::MAX, u32::MAX))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
}

fn sorted(sort: SortField, order: SortOrder) -> DiscoveryQuery {
    DiscoveryQuery {
        sort,
        order,
        size: 100,
        ..query()
    }
}

async fn store_ids(store: &Store, q: DiscoveryQuery) -> Vec<i64> {
    store
        .list_discoveries(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|d| d.id)
        .collect()
}

async fn search_finds_words_folders_and_columns(store: Store) {
    let scan_id = scan(&store).await;
    let batch = vec![
        obs("raw/sales/customer_orders_2024.csv", Some(orders_schema()), t(1, 0)),
        obs(
            "raw/hr/employees.parquet",
            Some(schema(&[
                ("employee_id", DataType::Int64),
                ("salary", DataType::Float64),
            ])),
            t(1, 0),
        ),
        obs("curated/marketing/campaign-results.json", None, t(1, 0)),
    ];
    store.apply_observations(scan_id, &batch).await.unwrap();
    let orders = ["raw/sales/customer_orders_2024.csv"];
    assert_eq!(search(&store, "customer").await, orders);
    assert_eq!(search(&store, "orders").await, orders);
    assert_eq!(
        search(&store, "ORDERS 2024").await,
        orders,
        "words combine with AND, case-insensitive"
    );
    assert_eq!(search(&store, "custom").await, orders, "prefix match");
    assert_eq!(search(&store, "customer_orders").await, orders);
    assert!(search(&store, "customer employees").await.is_empty(), "AND, not OR");
    assert_eq!(search(&store, "sales").await, orders, "folder");
    assert_eq!(
        search(&store, "raw").await,
        ["raw/hr/employees.parquet", "raw/sales/customer_orders_2024.csv"]
    );
    assert_eq!(
        search(&store, "salary").await,
        ["raw/hr/employees.parquet"],
        "column name"
    );
    assert_eq!(search(&store, "customerId").await, orders, "camelCase column");
    assert_eq!(search(&store, "city").await, orders, "nested column");
    assert_eq!(search(&store, "address.city").await, orders, "nested column path");
    assert_eq!(
        search(&store, "campaign").await,
        ["curated/marketing/campaign-results.json"],
        "hyphen"
    );
    assert!(search(&store, "nonexistentword").await.is_empty());
    // Search combines with the other filters and the total counts matches only.
    let page = store
        .list_discoveries(&DiscoveryQuery {
            search: Some("raw".into()),
            format: Some(FileFormat::Parquet),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.items[0].name.as_str()), (1, "employees.parquet"));
}

async fn search_survives_hostile_input(store: Store) {
    let scan_id = scan(&store).await;
    store
        .apply_observations(
            scan_id,
            &[obs("raw/customer_orders.csv", Some(orders_schema()), t(1, 0))],
        )
        .await
        .unwrap();
    for hostile in [
        "\"",
        "*",
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "'",
        "%",
        "_",
        "\\",
        "customer\"",
        "\"customer",
        "customer*",
        "(customer",
        "customer AND",
        "' OR 1=1 --",
        "%%",
        "a'b\"c",
        "NEAR(",
        "-customer",
        "+customer",
        "@@",
        "\u{0}",
        "customer:*",
        "!",
        "&|",
        "   ",
    ] {
        let res = store
            .list_discoveries(&DiscoveryQuery {
                search: Some(hostile.into()),
                ..query()
            })
            .await;
        assert!(res.is_ok(), "search {hostile:?} failed: {:?}", res.err());
    }
    assert_eq!(search(&store, "customer\"").await, ["raw/customer_orders.csv"]);
    assert_eq!(search(&store, "(customer*").await, ["raw/customer_orders.csv"]);
}

async fn stats_group_counts(store: Store) {
    let scan_id = scan(&store).await;
    let mut a = obs("s/a.csv", None, t(1, 0));
    a.size = 1000;
    let mut b = obs("s/b.parquet", None, t(1, 0));
    b.labels.environment = "staging".into();
    b.size = 500;
    let mut c = obs("s/c.bin", None, t(1, 0));
    c.error = Some("unknown format".into());
    c.labels.data_source_type = "crm".into();
    c.location.storage_type = StorageType::AzureBlob;
    c.size = 1;
    let ids: Vec<i64> = store
        .apply_observations(scan_id, &[a, b, c, obs("s/gone.csv", None, t(1, 0))])
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    store.mark_deleted(scan_id, &[ids[3]], t(2, 0)).await.unwrap();
    store
        .change_status(ids[0], &change(ApprovalStatus::Approved, None))
        .await
        .unwrap();

    let s = store.stats().await.unwrap();
    let m = |pairs: &[(&str, i64)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!((s.total, s.deleted, s.total_size_bytes), (3, 1, 1501));
    assert_eq!(s.by_status, m(&[("active", 2), ("error", 1)]));
    assert_eq!(s.by_approval_status, m(&[("approved", 1), ("pending", 2)]));
    assert_eq!(s.by_environment, m(&[("production", 2), ("staging", 1)]));
    assert_eq!(s.by_data_source_type, m(&[("crm", 1), ("finance", 2)]));
    assert_eq!(s.by_format, m(&[("csv", 1), ("parquet", 1), ("unknown", 1)]));
    assert_eq!(s.by_storage_type, m(&[("azure_blob", 1), ("s3", 2)]));
}

async fn facets_count_what_a_query_matches(store: Store) {
    let scan_id = scan(&store).await;
    let mut a = obs("f/orders.csv", None, t(1, 0));
    a.location.container = "lake-a".into();
    let mut b = obs("f/orders.parquet", None, t(1, 0));
    b.labels.environment = "staging".into();
    let mut c = obs("f/customers.csv", None, t(1, 0));
    c.location.storage_type = StorageType::AzureBlob;
    let gone = obs("f/orders_old.csv", None, t(1, 0));
    let ids: Vec<i64> = store
        .apply_observations(scan_id, &[a, b, c, gone])
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    store.mark_deleted(scan_id, &[ids[3]], t(2, 0)).await.unwrap();
    let m = |pairs: &[(&str, i64)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();

    let all = store.discovery_facets(&query()).await.unwrap();
    assert_eq!(all.format, m(&[("csv", 2), ("parquet", 1)]));
    assert_eq!(all.storage_type, m(&[("azure_blob", 1), ("s3", 2)]));
    assert_eq!(all.environment, m(&[("production", 2), ("staging", 1)]));
    assert_eq!(all.container.values().sum::<i64>(), 3);
    assert_eq!(all.container.get("lake-a"), Some(&1));

    // Facets follow the query's filters and search, not its page.
    let orders = DiscoveryQuery {
        search: Some("orders".into()),
        size: 1,
        ..query()
    };
    let f = store.discovery_facets(&orders).await.unwrap();
    assert_eq!(f.format, m(&[("csv", 1), ("parquet", 1)]));
    let csv_only = DiscoveryQuery {
        format: Some(FileFormat::Csv),
        ..query()
    };
    assert_eq!(
        store.discovery_facets(&csv_only).await.unwrap().storage_type,
        m(&[("azure_blob", 1), ("s3", 1)])
    );
    let with_deleted = DiscoveryQuery {
        include_deleted: true,
        ..query()
    };
    assert_eq!(
        store
            .discovery_facets(&with_deleted)
            .await
            .unwrap()
            .status
            .get("deleted"),
        Some(&1)
    );
}

async fn review_workflow_writes_audit_rows(store: Store) {
    let scan_id = scan(&store).await;
    let id = store
        .apply_observations(scan_id, &[obs("r/a.csv", None, t(1, 0))])
        .await
        .unwrap()[0]
        .id;
    let d = store
        .change_status(id, &change(ApprovalStatus::Approved, None))
        .await
        .unwrap();
    assert_eq!(d.approval_status, ApprovalStatus::Approved);
    let d = store
        .change_status(id, &change(ApprovalStatus::Published, None))
        .await
        .unwrap();
    assert_eq!(d.approval_status, ApprovalStatus::Published);
    assert_eq!(
        store.get_discovery(id).await.unwrap().unwrap().approval_status,
        ApprovalStatus::Published
    );

    let log = store.audit_log("discovery", id).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["publish", "approve"],
        "newest first"
    );
    let e = &log[1];
    assert_eq!(
        (e.entity_type.as_str(), e.entity_id, e.actor.as_str()),
        ("discovery", id, "alice")
    );
    assert_eq!(e.role.as_deref(), Some("steward"));
    assert_eq!(e.source_ip.as_deref(), Some("192.0.2.7"), "the client address is kept");
    assert_eq!(e.comment.as_deref(), Some("looks good"));
    assert_eq!(e.before, Some(json!({"approval_status": "pending"})));
    assert_eq!(e.after, Some(json!({"approval_status": "approved"})));
    assert!(log[0].at >= log[1].at);
    assert!(Utc::now() - log[0].at < Duration::minutes(5));
    assert!(store.audit_log("discovery", id + 1).await.unwrap().is_empty());

    // A rejection keeps its reason in the audit row.
    let id2 = store
        .apply_observations(scan_id, &[obs("r/b.csv", None, t(1, 0))])
        .await
        .unwrap()[0]
        .id;
    let mut reject = change(ApprovalStatus::Rejected, Some("contains raw PII"));
    reject.comment = None;
    store.change_status(id2, &reject).await.unwrap();
    let log = store.audit_log("discovery", id2).await.unwrap();
    assert_eq!(log[0].action, "reject");
    assert_eq!(log[0].comment.as_deref(), Some("contains raw PII"));
    assert_eq!(
        log[0].after,
        Some(json!({"approval_status": "rejected", "reason": "contains raw PII"}))
    );
}

async fn review_errors(store: Store) {
    let scan_id = scan(&store).await;
    let id = store
        .apply_observations(scan_id, &[obs("r/a.csv", None, t(1, 0))])
        .await
        .unwrap()[0]
        .id;
    match store.change_status(id, &change(ApprovalStatus::Published, None)).await {
        Err(CatalogError::Conflict(msg)) => assert!(msg.contains("approved, rejected, archived"), "{msg}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    match store
        .change_status(id + 999, &change(ApprovalStatus::Approved, None))
        .await
    {
        Err(CatalogError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    for reason in [None, Some("  ")] {
        match store.change_status(id, &change(ApprovalStatus::Rejected, reason)).await {
            Err(CatalogError::InvalidInput { field, .. }) => assert_eq!(field, "rejection_reason"),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }
    // Nothing changed, nothing audited.
    assert_eq!(
        store.get_discovery(id).await.unwrap().unwrap().approval_status,
        ApprovalStatus::Pending
    );
    assert!(store.audit_log("discovery", id).await.unwrap().is_empty());
}

async fn scan_run_lifecycle(store: Store) {
    let run = store
        .create_scan_run(&NewScanRun {
            trigger: "schedule".into(),
            target: "finance-lake: raw/".into(),
            started_at: t(0, 500_000_000),
        })
        .await
        .unwrap();
    assert_eq!(
        (run.status, run.trigger.as_str(), run.target.as_str()),
        (ScanStatus::Running, "schedule", "finance-lake: raw/")
    );
    assert_eq!(
        (run.started_at, run.finished_at, run.duration_ms, run.error_count),
        (t(0, 500_000_000), None, None, 0)
    );
    assert_eq!(run.counts, ScanCounts::default());

    let progress = ScanCounts {
        listed: 10,
        new: 3,
        unchanged: 7,
        requests: 11,
        bytes_read: 4096,
        ..ScanCounts::default()
    };
    store.update_scan_progress(run.id, &progress).await.unwrap();
    assert_eq!(store.get_scan_run(run.id).await.unwrap().unwrap().counts, progress);
    assert!(matches!(
        store.update_scan_progress(run.id + 99, &progress).await,
        Err(CatalogError::NotFound(_))
    ));

    let errors: Vec<_> = (0..25)
        .map(|i| NewScanError {
            path: format!("raw/bad_{i:02}.csv"),
            kind: if i % 2 == 0 {
                ScanErrorKind::Format
            } else {
                ScanErrorKind::Read
            },
            message: format!("error {i}"),
        })
        .collect();
    store.record_scan_errors(run.id, &errors).await.unwrap();
    store.record_scan_errors(run.id, &[]).await.unwrap();
    let p0 = store.list_scan_errors(run.id, 0, 10).await.unwrap();
    let p2 = store.list_scan_errors(run.id, 2, 10).await.unwrap();
    assert_eq!((p0.total, p0.items.len(), p2.items.len()), (25, 10, 5));
    assert_eq!(
        (p0.items[0].path.as_str(), p0.items[0].kind, p0.items[1].kind),
        ("raw/bad_00.csv", ScanErrorKind::Format, ScanErrorKind::Read)
    );
    assert_eq!(p2.items[4].message, "error 24");
    assert_eq!(p0.items[0].scan_id, run.id);
    assert_eq!(store.list_scan_errors(run.id + 99, 0, 10).await.unwrap().total, 0);

    let done = ScanCounts { failed: 25, ..progress };
    let finished = store
        .finish_scan_run(run.id, ScanStatus::Succeeded, &done, None)
        .await
        .unwrap();
    assert_eq!(
        (finished.status, finished.error_count, finished.counts.clone()),
        (ScanStatus::Succeeded, 25, done)
    );
    assert!(finished.finished_at.unwrap() >= finished.started_at);
    assert!(finished.duration_ms.unwrap() >= 0);
    assert!(matches!(
        store
            .finish_scan_run(run.id + 99, ScanStatus::Failed, &ScanCounts::default(), None)
            .await,
        Err(CatalogError::NotFound(_))
    ));

    let later = store
        .create_scan_run(&NewScanRun {
            trigger: "api".into(),
            target: "t".into(),
            started_at: t(100, 0),
        })
        .await
        .unwrap();
    let failed = store
        .finish_scan_run(
            later.id,
            ScanStatus::Failed,
            &ScanCounts::default(),
            Some("listing denied"),
        )
        .await
        .unwrap();
    assert_eq!(failed.message.as_deref(), Some("listing denied"));
    let runs = store.list_scan_runs(0, 10).await.unwrap();
    assert_eq!(
        runs.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        [later.id, run.id],
        "newest first"
    );
    assert_eq!(runs.total, 2);
    assert_eq!(store.list_scan_runs(1, 1).await.unwrap().items[0].id, run.id);
    assert_eq!(store.get_scan_run(run.id + 99).await.unwrap(), None);
}

// ---------- managed connections ----------

/// What the engine would write: a ciphertext standing in for encrypted secrets.
fn connection_row(name: &str) -> NewConnectionRow {
    NewConnectionRow {
        name: name.into(),
        connector_type: StorageType::AzureBlob,
        connection_type: "account_key".into(),
        config: ConnectionSettings {
            account: Some("acct1".into()),
            containers: vec!["raw".into(), "curated".into()],
            folders: vec!["sales/".into()],
            file_extensions: vec!["csv".into()],
            options: [("use_emulator".to_string(), "true".to_string())].into(),
            ..ConnectionSettings::default()
        },
        secret_names: vec!["account_key".into()],
        secrets_ciphertext: Some("v1:OPAQUE-CIPHERTEXT".into()),
        status: "active".into(),
        schedule: Some("0 2 * * *".into()),
        labels: SourceLabels {
            source_name: String::new(),
            environment: "production".into(),
            env_type: "prod".into(),
            data_source_type: "finance".into(),
            tags: vec!["pii".into()],
        },
    }
}

async fn connections_create_get_list(store: Store) {
    let before = Utc::now() - Duration::seconds(1);
    let row = connection_row("finance-lake");
    let c = store.create_connection(&row, &who("alice")).await.unwrap();
    assert!(c.id > 0);
    assert_eq!(c.name, "finance-lake");
    assert_eq!(c.connector_type, StorageType::AzureBlob);
    assert_eq!(c.connection_type, "account_key");
    assert_eq!(c.config, row.config);
    assert_eq!(c.secret_names, ["account_key"]);
    assert_eq!(
        (c.status.as_str(), c.schedule.as_deref()),
        ("active", Some("0 2 * * *"))
    );
    assert_eq!(
        c.labels.source_name, "finance-lake",
        "a connection's discoveries carry its name"
    );
    assert_eq!(c.labels.environment, "production");
    assert_eq!(c.labels.tags, ["pii"]);
    assert!(c.created_at >= before && c.created_at == c.updated_at);
    assert_eq!((c.last_tested_at, c.last_test_error.clone()), (None, None));

    assert_eq!(store.get_connection(c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(
        store.get_connection_by_name("finance-lake").await.unwrap(),
        Some(c.clone())
    );
    assert_eq!(store.get_connection_by_name("nope").await.unwrap(), None);
    assert_eq!(store.get_connection(c.id + 100).await.unwrap(), None);
    assert_eq!(
        store.connection_secrets(c.id).await.unwrap().as_deref(),
        Some("v1:OPAQUE-CIPHERTEXT")
    );

    let mut plain = connection_row("a-local");
    plain.connector_type = StorageType::Local;
    plain.secret_names = vec![];
    plain.secrets_ciphertext = None;
    plain.schedule = None;
    let p = store.create_connection(&plain, &who("bob")).await.unwrap();
    assert_eq!(store.connection_secrets(p.id).await.unwrap(), None);
    assert!(p.secret_names.is_empty());
    let names: Vec<String> = store
        .list_connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["a-local", "finance-lake"], "by name");
    assert!(matches!(
        store.connection_secrets(p.id + 100).await,
        Err(CatalogError::NotFound(_))
    ));
}

async fn connection_names_are_unique(store: Store) {
    store
        .create_connection(&connection_row("lake"), &who("alice"))
        .await
        .unwrap();
    let err = store
        .create_connection(&connection_row("lake"), &who("alice"))
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::AlreadyExists(_)), "{err:?}");
    assert!(err.to_string().contains("lake"), "{err}");
    assert_eq!(store.list_connections().await.unwrap().len(), 1);

    // Renaming onto a taken name is refused too, and changes nothing.
    let other = store
        .create_connection(&connection_row("other"), &who("alice"))
        .await
        .unwrap();
    let err = store
        .update_connection(other.id, &connection_row("lake"), &who("alice"))
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::AlreadyExists(_)), "{err:?}");
    assert_eq!(store.get_connection(other.id).await.unwrap(), Some(other.clone()));
    assert_eq!(
        store.audit_log("connection", other.id).await.unwrap().len(),
        1,
        "no audit row for a refused update"
    );
}

async fn connection_update_keeps_created_at_and_test_results(store: Store) {
    let c = store
        .create_connection(&connection_row("lake"), &who("alice"))
        .await
        .unwrap();
    let tested_at = t(5, 123_456_789);
    let tested = store
        .record_connection_test(c.id, tested_at, Some("container raw: 403 forbidden"))
        .await
        .unwrap();
    assert_eq!(tested.last_tested_at, Some(micros(tested_at)));
    assert_eq!(tested.last_test_error.as_deref(), Some("container raw: 403 forbidden"));
    assert_eq!(tested.updated_at, c.updated_at, "a test changes no setting");

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut row = connection_row("lake-renamed");
    row.config.containers = vec!["only".into()];
    row.secret_names = vec![];
    row.secrets_ciphertext = None;
    row.status = "disabled".into();
    row.schedule = None;
    row.labels.tags = vec![];
    let u = store.update_connection(c.id, &row, &who("bob")).await.unwrap();
    assert_eq!(u.id, c.id);
    assert_eq!(u.created_at, c.created_at);
    assert!(u.updated_at > c.updated_at, "{} > {}", u.updated_at, c.updated_at);
    assert_eq!(u.name, "lake-renamed");
    assert_eq!(u.labels.source_name, "lake-renamed");
    assert_eq!(u.config.containers, ["only"]);
    assert!(u.secret_names.is_empty());
    assert_eq!((u.status.as_str(), u.schedule.clone()), ("disabled", None));
    assert_eq!(u.last_tested_at, Some(micros(tested_at)), "the last test is kept");
    assert_eq!(store.connection_secrets(c.id).await.unwrap(), None);
    assert_eq!(store.get_connection(c.id).await.unwrap(), Some(u.clone()));

    let passed = store.record_connection_test(c.id, t(9, 0), None).await.unwrap();
    assert_eq!(passed.last_test_error, None);

    assert!(matches!(
        store.update_connection(c.id + 100, &row, &who("bob")).await,
        Err(CatalogError::NotFound(_))
    ));
    assert!(matches!(
        store.record_connection_test(c.id + 100, t(9, 0), None).await,
        Err(CatalogError::NotFound(_))
    ));
}

async fn connection_delete_then_not_found(store: Store) {
    let c = store
        .create_connection(&connection_row("lake"), &who("alice"))
        .await
        .unwrap();
    store.delete_connection(c.id, &who("carol")).await.unwrap();
    assert_eq!(store.get_connection(c.id).await.unwrap(), None);
    assert_eq!(store.get_connection_by_name("lake").await.unwrap(), None);
    assert!(store.list_connections().await.unwrap().is_empty());
    assert!(matches!(
        store.delete_connection(c.id, &who("carol")).await,
        Err(CatalogError::NotFound(_))
    ));
    assert!(matches!(
        store.connection_secrets(c.id).await,
        Err(CatalogError::NotFound(_))
    ));
    // The name is free again.
    let again = store
        .create_connection(&connection_row("lake"), &who("alice"))
        .await
        .unwrap();
    assert_ne!(again.id, c.id);
}

async fn connection_audit_rows_name_secrets_without_values(store: Store) {
    let c = store
        .create_connection(&connection_row("lake"), &who("alice"))
        .await
        .unwrap();
    let mut row = connection_row("lake");
    row.secret_names = vec!["account_key".into(), "sas_token".into()];
    row.secrets_ciphertext = Some("v1:OTHER-CIPHERTEXT".into());
    row.labels.environment = "staging".into();
    store.update_connection(c.id, &row, &who("bob")).await.unwrap();
    store.delete_connection(c.id, &who("carol")).await.unwrap();

    let log = store.audit_log("connection", c.id).await.unwrap();
    let actions: Vec<(&str, &str)> = log.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        actions,
        [("delete", "carol"), ("update", "bob"), ("create", "alice")],
        "newest first"
    );
    let (delete, update, create) = (&log[0], &log[1], &log[2]);
    assert!(log.iter().all(|e| e.entity_type == "connection" && e.entity_id == c.id));
    assert_eq!(create.before, None);
    let after = create.after.as_ref().unwrap();
    assert_eq!(after["name"], "lake");
    assert_eq!(after["connector_type"], "azure_blob");
    assert_eq!(after["config"]["account"], "acct1");
    assert_eq!(after["secret_names"], json!(["account_key"]));
    assert_eq!(after["environment"], "production");
    assert_eq!(update.before.as_ref().unwrap()["environment"], "production");
    assert_eq!(update.after.as_ref().unwrap()["environment"], "staging");
    assert_eq!(
        update.after.as_ref().unwrap()["secret_names"],
        json!(["account_key", "sas_token"])
    );
    assert_eq!(delete.after, None);
    assert_eq!(delete.before.as_ref().unwrap()["name"], "lake");
    for e in &log {
        let text = format!("{:?} {:?} {:?}", e.before, e.after, e.comment);
        assert!(!text.contains("CIPHERTEXT"), "{text}");
    }
}

async fn discoveries_filter_by_source_name(store: Store) {
    let scan_id = scan(&store).await;
    let mut other = obs("b.csv", None, t(1, 0));
    other.labels.source_name = "crm-lake".into();
    store
        .apply_observations(scan_id, &[obs("a.csv", None, t(1, 0)), other])
        .await
        .unwrap();
    let only = |name: &str| DiscoveryQuery {
        source_name: Some(name.into()),
        ..query()
    };
    assert_eq!(paths(&store, only("crm-lake")).await, ["b.csv"]);
    assert_eq!(paths(&store, only("finance-lake")).await, ["a.csv"]);
    assert!(paths(&store, only("none")).await.is_empty());
}

// ---------- logical datasets ----------

fn sized(path: &str, size: i64, schema: Option<Schema>, seen_at: DateTime<Utc>) -> Observation {
    let mut o = obs(path, schema, seen_at);
    o.size = size;
    o
}

fn sales_batch() -> Vec<Observation> {
    let v1 = schema(&[("id", DataType::Int64)]);
    let v2 = schema(&[("id", DataType::Int64), ("amount", DataType::Float64)]);
    vec![
        sized(
            "curated/sales/year=2023/month=12/part-00000.parquet",
            100,
            Some(v1.clone()),
            t(1, 0),
        ),
        sized(
            "curated/sales/year=2024/month=01/part-00000.parquet",
            200,
            Some(v1),
            t(2, 0),
        ),
        sized(
            "curated/sales/year=2024/month=01/part-00001.parquet",
            300,
            Some(v2.clone()),
            t(3, 0),
        ),
        sized(
            "curated/sales/year=2024/month=02/part-00000.parquet",
            400,
            None,
            t(4, 0),
        ),
        sized(
            "exports/orders/part-00000-1b2c.c000.snappy.parquet",
            10,
            Some(v2.clone()),
            t(5, 0),
        ),
        sized(
            "exports/orders/part-00001-1b2c.c000.snappy.parquet",
            20,
            Some(v2),
            t(5, 0),
        ),
        sized("raw/customers.csv", 5, None, t(6, 0)),
    ]
}

async fn datasets_roll_up_partitions_and_part_files(store: Store) {
    let scan_id = scan(&store).await;
    let ids: Vec<i64> = store
        .apply_observations(scan_id, &sales_batch())
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();

    let page = store.list_datasets(0, 50, None).await.unwrap();
    assert_eq!(page.total, 2);
    let roots: Vec<&str> = page.items.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(roots, ["exports/orders", "curated/sales"], "newest change first");

    let sales = &page.items[1];
    assert_eq!(sales.location, lake());
    assert_eq!(sales.urn, "s3://lake/curated/sales");
    assert_eq!(sales.partition_columns, ["year", "month"]);
    assert_eq!((sales.file_count, sales.deleted_file_count), (4, 0));
    assert_eq!(sales.total_size, 1000);
    assert_eq!(sales.formats, ["parquet"]);
    assert_eq!(sales.partition_count, 3);
    let v2 = schema(&[("id", DataType::Int64), ("amount", DataType::Float64)]);
    assert_eq!(sales.schema.as_ref(), Some(&v2), "newest live file with a schema");
    assert_eq!(sales.schema_hash, Some(v2.hash()));
    assert_eq!(sales.distinct_schema_count, 2);
    assert_eq!((sales.first_seen, sales.last_changed), (t(1, 0), t(4, 0)));

    let orders = &page.items[0];
    assert!(orders.partition_columns.is_empty());
    assert_eq!(
        (orders.file_count, orders.partition_count, orders.total_size),
        (2, 0, 30)
    );
    assert_eq!(orders.distinct_schema_count, 1);

    // Each file stays a discovery and points at its dataset.
    let d = store.get_discovery(ids[1]).await.unwrap().unwrap();
    assert_eq!(d.dataset_id, Some(sales.id));
    assert_eq!(
        d.partition_values,
        Some(vec![("year".into(), "2024".into()), ("month".into(), "01".into())])
    );
    let part = store.get_discovery(ids[4]).await.unwrap().unwrap();
    assert_eq!((part.dataset_id, part.partition_values), (Some(orders.id), None));
    let lone = store.get_discovery(ids[6]).await.unwrap().unwrap();
    assert_eq!(
        (lone.dataset_id, lone.partition_values),
        (None, None),
        "a lone file is not rolled up"
    );
    assert_eq!(store.list_discoveries(&query()).await.unwrap().total, 7);

    let files = paths(
        &store,
        DiscoveryQuery {
            dataset_id: Some(orders.id),
            ..query()
        },
    )
    .await;
    assert_eq!(
        files,
        [
            "exports/orders/part-00000-1b2c.c000.snappy.parquet",
            "exports/orders/part-00001-1b2c.c000.snappy.parquet"
        ]
    );

    assert_eq!(store.get_dataset(sales.id).await.unwrap().as_ref(), Some(sales));
    assert_eq!(store.get_dataset(sales.id + 1000).await.unwrap(), None);

    // A new partition column seen later is appended; the same root is the same dataset.
    let r = store
        .apply_observations(
            scan_id,
            &[obs(
                "curated/sales/year=2024/month=03/region=eu/part-00000.parquet",
                None,
                t(7, 0),
            )],
        )
        .await
        .unwrap();
    let again = store.get_dataset(sales.id).await.unwrap().unwrap();
    assert_eq!(again.partition_columns, ["year", "month", "region"]);
    assert_eq!((again.file_count, again.partition_count), (5, 4));
    assert_eq!(
        store.get_discovery(r[0].id).await.unwrap().unwrap().dataset_id,
        Some(sales.id)
    );
    assert_eq!(store.list_datasets(0, 50, None).await.unwrap().total, 2);
}

async fn datasets_rescan_is_idempotent(store: Store) {
    let scan_id = scan(&store).await;
    let batch = sales_batch();
    let first = store.apply_observations(scan_id, &batch).await.unwrap();
    let datasets = store.list_datasets(0, 50, None).await.unwrap();
    let files = store.list_discoveries(&query()).await.unwrap();
    let second = store.apply_observations(scan_id, &batch).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.id).collect::<Vec<_>>(),
        second.iter().map(|r| r.id).collect::<Vec<_>>()
    );
    assert_eq!(store.list_datasets(0, 50, None).await.unwrap(), datasets);
    assert_eq!(store.list_discoveries(&query()).await.unwrap(), files);
}

async fn datasets_count_deleted_files_apart(store: Store) {
    let scan_id = scan(&store).await;
    let ids: Vec<i64> = store
        .apply_observations(scan_id, &sales_batch())
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let sales_id = store.get_discovery(ids[0]).await.unwrap().unwrap().dataset_id.unwrap();
    // The newest file with a schema (v2) and the only file of month=02 go away.
    assert_eq!(
        store.mark_deleted(scan_id, &[ids[2], ids[3]], t(9, 0)).await.unwrap(),
        2
    );

    let sales = store.get_dataset(sales_id).await.unwrap().unwrap();
    assert_eq!((sales.file_count, sales.deleted_file_count), (2, 2));
    assert_eq!(sales.total_size, 300);
    assert_eq!(sales.partition_count, 2);
    assert_eq!(sales.schema, Some(schema(&[("id", DataType::Int64)])));
    assert_eq!(sales.distinct_schema_count, 1);
    assert_eq!(sales.last_changed, t(9, 0), "a deletion is a change");
    let page = store.list_datasets(0, 50, None).await.unwrap();
    assert_eq!(page.items[0].id, sales_id, "newest change first");

    // Every file gone: the dataset stays, with zero live files.
    store.mark_deleted(scan_id, &[ids[0], ids[1]], t(10, 0)).await.unwrap();
    let sales = store.get_dataset(sales_id).await.unwrap().unwrap();
    assert_eq!(
        (sales.file_count, sales.deleted_file_count, sales.total_size),
        (0, 4, 0)
    );
    assert_eq!((sales.schema, sales.formats.len()), (None, 0));
}

async fn datasets_search_and_page(store: Store) {
    let scan_id = scan(&store).await;
    let mut batch = sales_batch();
    let mut other = obs("exports/orders/part-00002.parquet", None, t(5, 0));
    other.location.container = "other".into();
    batch.push(other);
    store.apply_observations(scan_id, &batch).await.unwrap();

    let found = |text: &'static str| {
        let store = store.clone();
        async move {
            let mut p: Vec<String> = store
                .list_datasets(0, 50, Some(text))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|d| format!("{}:{}", d.location.container, d.path))
                .collect();
            p.sort();
            p
        }
    };
    assert_eq!(found("sales").await, ["lake:curated/sales"]);
    assert_eq!(
        found("amount").await,
        ["lake:curated/sales", "lake:exports/orders"],
        "column names"
    );
    assert_eq!(
        found("orders").await,
        ["lake:exports/orders", "other:exports/orders"],
        "one dataset per store"
    );
    assert!(found("customers").await.is_empty(), "lone files are no datasets");
    assert_eq!(found("%%").await.len(), 3, "no words: no filter");

    let first = store.list_datasets(0, 2, None).await.unwrap();
    assert_eq!((first.items.len(), first.total, first.size), (2, 3, 2));
    let last = store.list_datasets(1, 2, None).await.unwrap();
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.items[0].path, "curated/sales");
    let counted = store.list_datasets(0, 1, Some("orders")).await.unwrap();
    assert_eq!((counted.items.len(), counted.total), (1, 2));
}
