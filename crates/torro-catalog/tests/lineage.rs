//! The lineage store suite: every test runs unchanged on SQLite, PostgreSQL and MariaDB/MySQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use torro_catalog::{CatalogError, CatalogStore};
use torro_model::lineage::{
    ChangeContext, ColumnMapping, DatasetRef, Direction, EdgeInput, GraphQuery, LineageOrigin, ProcessInput,
    ProcessWrite, RunInput, Transformation,
};
use torro_model::{Actor, FileFormat, NewScanRun, Observation, Role, SourceLabels, StorageLocation, StorageType};

type Store = Arc<dyn CatalogStore>;

/// One `#[tokio::test]` per (backend, test fn), as in `store.rs`.
macro_rules! lineage_suite {
    ($($test:ident),+ $(,)?) => {
        lineage_suite!(@on sqlite; $($test),+);
        lineage_suite!(@on postgres; $($test),+);
        lineage_suite!(@on mysql; $($test),+);
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

lineage_suite!(
    process_write_is_idempotent_and_audited,
    replace_closes_vanished_edges_and_as_of_sees_the_past,
    changed_column_mappings_open_a_new_version,
    manual_edges_add_and_close,
    graph_walks_by_direction_depth_and_node_limit,
    graph_follows_one_column,
    runs_keep_their_lifecycle,
    datasets_link_to_catalog_files_by_urn,
    bad_urns_are_rejected_and_nothing_is_written,
    lists_and_namespaces
);

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

fn ctx(at: i64) -> ChangeContext {
    ChangeContext {
        actor: Actor::user("ada", Role::Engineer, Some("198.51.100.4".into())),
        source_system: "test".into(),
        ingestion_id: Some(format!("ingest-{at}")),
        origin: Some(LineageOrigin::Api),
        at: Some(t(at)),
    }
}

fn col(source: &str, target: &str, transformation: Transformation) -> ColumnMapping {
    ColumnMapping {
        source_column: source.into(),
        target_column: target.into(),
        transformation,
        expression: None,
    }
}

fn edge(source: &str, target: &str, columns: Vec<ColumnMapping>) -> EdgeInput {
    EdgeInput {
        columns,
        ..EdgeInput::new(source, target)
    }
}

fn process(urn: &str, edges: Vec<EdgeInput>, replace: bool) -> ProcessWrite {
    ProcessWrite {
        process: ProcessInput {
            urn: urn.into(),
            name: urn.rsplit('/').next().unwrap_or(urn).into(),
            process_type: "job".into(),
            source_system: "airflow".into(),
            definition: Some("INSERT INTO b SELECT * FROM a".into()),
            ..ProcessInput::default()
        },
        datasets: Vec::new(),
        edges,
        replace,
    }
}

const A: &str = "postgres://db:5432/shop.public.a";
const B: &str = "postgres://db:5432/shop.public.b";
const C: &str = "postgres://db:5432/shop.public.c";
const D: &str = "postgres://db:5432/shop.public.d";

async fn process_write_is_idempotent_and_audited(store: Store) {
    let l = store.lineage();
    let write = process(
        "airflow://prod/etl.load_b",
        vec![edge(A, B, vec![col("id", "id", Transformation::PassThrough)])],
        true,
    );
    let first = l.write_process(&write, &ctx(0)).await.unwrap();
    assert_eq!((first.edges_opened, first.datasets_created), (1, 2));
    let audit_rows = l.lineage_audit(None, 100).await.unwrap();
    assert_eq!(audit_rows.len(), 4, "process, two datasets, one edge: {audit_rows:?}");
    assert!(
        audit_rows
            .iter()
            .all(|a| a.actor == "ada" && a.ingestion_id.as_deref() == Some("ingest-0"))
    );
    assert!(
        audit_rows
            .iter()
            .all(|a| a.role.as_deref() == Some("engineer") && a.source_ip.as_deref() == Some("198.51.100.4")),
        "role and client address are kept: {audit_rows:?}"
    );
    assert!(audit_rows.iter().any(|a| a.entity_type == "edge" && a.action == "open"));

    let again = l.write_process(&write, &ctx(10)).await.unwrap();
    assert_eq!(
        (again.edges_opened, again.edges_closed, again.edges_unchanged),
        (0, 0, 1)
    );
    assert_eq!(
        l.lineage_audit(None, 100).await.unwrap().len(),
        4,
        "no change, no audit row"
    );

    let p = l.get_process("airflow://prod/etl.load_b").await.unwrap().unwrap();
    assert_eq!(
        (p.name.as_str(), p.namespace.as_str()),
        ("etl.load_b", "airflow://prod")
    );
    assert_eq!(p.definition.as_deref(), Some("INSERT INTO b SELECT * FROM a"));
    let edges = l.process_edges(&p.urn, None).await.unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!((edges[0].source.as_str(), edges[0].target.as_str()), (A, B));
    assert_eq!(edges[0].process.as_deref(), Some(p.urn.as_str()));
    assert_eq!(edges[0].columns, vec![col("id", "id", Transformation::PassThrough)]);
    assert_eq!(edges[0].valid_from, t(0));

    // A changed definition is an update with before and after.
    let mut changed = write.clone();
    changed.process.definition = Some("INSERT INTO b SELECT id FROM a".into());
    l.write_process(&changed, &ctx(20)).await.unwrap();
    let update = &l.lineage_audit(Some(("process", p.id)), 10).await.unwrap()[0];
    assert_eq!(update.action, "update");
    assert_eq!(
        update.before.as_ref().unwrap()["definition"],
        json!("INSERT INTO b SELECT * FROM a")
    );
    assert_eq!(
        update.after.as_ref().unwrap()["definition"],
        json!("INSERT INTO b SELECT id FROM a")
    );
}

async fn replace_closes_vanished_edges_and_as_of_sees_the_past(store: Store) {
    let l = store.lineage();
    let urn = "postgres://db:5432/shop.public.v_b";
    l.write_process(
        &process(urn, vec![edge(A, B, vec![]), edge(C, B, vec![])], true),
        &ctx(0),
    )
    .await
    .unwrap();
    // The view's SQL changed: it no longer reads C.
    let s = l
        .write_process(&process(urn, vec![edge(A, B, vec![])], true), &ctx(100))
        .await
        .unwrap();
    assert_eq!((s.edges_opened, s.edges_closed, s.edges_unchanged), (0, 1, 1));

    let now = l.process_edges(urn, None).await.unwrap();
    assert_eq!(now.iter().map(|e| e.source.as_str()).collect::<Vec<_>>(), [A]);
    let before = l.process_edges(urn, Some(t(50))).await.unwrap();
    assert_eq!(before.len(), 2, "both edges were valid at t+50");
    assert!(
        l.process_edges(urn, Some(t(-1))).await.unwrap().is_empty(),
        "nothing before the first write"
    );

    let closed = before.iter().find(|e| e.source == C).unwrap();
    let closed = l.get_edge(closed.id).await.unwrap().unwrap();
    assert_eq!(closed.valid_to, Some(t(100)), "closed, never deleted");

    let mut q = GraphQuery::new(B, Direction::Upstream, 1);
    assert_eq!(l.lineage_graph(&q).await.unwrap().nodes.len(), 2);
    q.as_of = Some(t(50));
    assert_eq!(l.lineage_graph(&q).await.unwrap().nodes.len(), 3);

    // Without replace, edges are only added.
    let s = l
        .write_process(&process(urn, vec![edge(D, B, vec![])], false), &ctx(200))
        .await
        .unwrap();
    assert_eq!((s.edges_opened, s.edges_closed), (1, 0));
    assert_eq!(l.process_edges(urn, None).await.unwrap().len(), 2);
}

async fn changed_column_mappings_open_a_new_version(store: Store) {
    let l = store.lineage();
    let urn = "dbt://shop/model.b";
    let v1 = vec![edge(A, B, vec![col("amount", "total", Transformation::PassThrough)])];
    l.write_process(&process(urn, v1, true), &ctx(0)).await.unwrap();
    let mut sum = col("amount", "total", Transformation::Aggregation);
    sum.expression = Some("SUM(amount)".into());
    let s = l
        .write_process(&process(urn, vec![edge(A, B, vec![sum.clone()])], true), &ctx(60))
        .await
        .unwrap();
    assert_eq!((s.edges_opened, s.edges_closed), (1, 1));
    let now = l.process_edges(urn, None).await.unwrap();
    assert_eq!(now[0].columns, vec![sum]);
    let then = l.process_edges(urn, Some(t(30))).await.unwrap();
    assert_eq!(then[0].columns[0].transformation, Transformation::PassThrough);
}

async fn manual_edges_add_and_close(store: Store) {
    let l = store.lineage();
    let mut manual = ctx(0);
    manual.origin = Some(LineageOrigin::Manual);
    let mut e = edge("s3://lake/raw/orders", "s3://lake/curated/orders", vec![]);
    e.relationship = "copies".into();
    e.metadata = json!({"ticket": "DATA-1"});
    let added = l.add_edges(std::slice::from_ref(&e), &manual).await.unwrap();
    assert_eq!(added.len(), 1);
    let id = added[0].id;
    assert_eq!(
        (
            added[0].origin,
            added[0].process.as_deref(),
            added[0].relationship.as_str()
        ),
        (LineageOrigin::Manual, None, "copies")
    );
    assert_eq!(added[0].metadata, json!({"ticket": "DATA-1"}));
    let again = l.add_edges(&[e], &manual).await.unwrap();
    assert_eq!(again[0].id, id, "idempotent");

    let closed = l.close_edge(id, &ctx(30)).await.unwrap();
    assert_eq!(closed.valid_to, Some(t(30)));
    assert!(matches!(
        l.close_edge(id, &ctx(40)).await,
        Err(CatalogError::Conflict(_))
    ));
    assert!(matches!(
        l.close_edge(999_999, &ctx(40)).await,
        Err(CatalogError::NotFound(_))
    ));
    let audit = l.lineage_audit(Some(("edge", id)), 10).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["close", "open"]
    );
}

/// a -> b -> c -> d, and x -> b.
async fn chain(store: &Store) {
    let l = store.lineage();
    for (i, (s, t)) in [(A, B), (B, C), (C, D), ("s3://lake/x", B)].into_iter().enumerate() {
        let cols = vec![
            col("id", "id", Transformation::PassThrough),
            col("amount", "amount_total", Transformation::Aggregation),
        ];
        l.write_process(
            &process(&format!("airflow://prod/job{i}"), vec![edge(s, t, cols)], true),
            &ctx(0),
        )
        .await
        .unwrap();
    }
}

async fn graph_walks_by_direction_depth_and_node_limit(store: Store) {
    chain(&store).await;
    let l = store.lineage();
    let urns = |g: &torro_model::lineage::LineageGraph| {
        let mut v: Vec<(String, i32)> = g.nodes.iter().map(|n| (n.urn.clone(), n.depth)).collect();
        v.sort();
        v
    };
    let down = l
        .lineage_graph(&GraphQuery::new(B, Direction::Downstream, 10))
        .await
        .unwrap();
    assert_eq!(urns(&down), [(B.into(), 0), (C.into(), 1), (D.into(), 2)]);
    assert_eq!(down.edges.len(), 2);
    assert_eq!(down.processes.len(), 2, "the processes the edges name");
    let up = l
        .lineage_graph(&GraphQuery::new(B, Direction::Upstream, 10))
        .await
        .unwrap();
    assert_eq!(urns(&up), [(A.into(), -1), (B.into(), 0), ("s3://lake/x".into(), -1)]);
    let both = l.lineage_graph(&GraphQuery::new(B, Direction::Both, 1)).await.unwrap();
    assert_eq!(both.nodes.len(), 4, "b, a, x, c");
    let shallow = l
        .lineage_graph(&GraphQuery::new(A, Direction::Downstream, 1))
        .await
        .unwrap();
    assert_eq!(urns(&shallow), [(A.into(), 0), (B.into(), 1)]);

    let mut limited = GraphQuery::new(A, Direction::Downstream, 10);
    limited.max_nodes = 2;
    let g = l.lineage_graph(&limited).await.unwrap();
    assert!(g.truncated);
    assert_eq!(g.nodes.len(), 2);

    let missing = l
        .lineage_graph(&GraphQuery::new("s3://nope/x", Direction::Both, 1))
        .await;
    assert!(matches!(missing, Err(CatalogError::NotFound(_))));
    let deep = l.lineage_graph(&GraphQuery::new(A, Direction::Both, 0)).await;
    assert!(matches!(deep, Err(CatalogError::InvalidInput { .. })));
}

async fn graph_follows_one_column(store: Store) {
    chain(&store).await;
    let l = store.lineage();
    let mut q = GraphQuery::new(A, Direction::Downstream, 10);
    q.column = Some("AMOUNT".into());
    let g = l.lineage_graph(&q).await.unwrap();
    let cols: Vec<(String, Vec<String>)> = g.nodes.iter().map(|n| (n.urn.clone(), n.columns.clone())).collect();
    assert_eq!(
        cols,
        [
            (A.to_string(), vec!["amount".to_string()]),
            (B.to_string(), vec!["amount_total".to_string()])
        ],
        "b.amount_total maps to no column of c (c reads b.amount), so the walk stops"
    );
    q.column = Some("id".into());
    let g = l.lineage_graph(&q).await.unwrap();
    assert_eq!(g.nodes.len(), 4, "id passes through every hop");
    q.column = Some("nope".into());
    assert_eq!(l.lineage_graph(&q).await.unwrap().nodes.len(), 1);
}

async fn runs_keep_their_lifecycle(store: Store) {
    let l = store.lineage();
    let urn = "airflow://prod/etl.load_b";
    let run = |state: &str, at: i64| RunInput {
        process_urn: urn.into(),
        run_id: "r-1".into(),
        state: state.into(),
        event_time: t(at),
        facets: json!({ state.to_lowercase(): {"at": at} }),
    };
    assert!(matches!(
        l.record_run(&run("START", 0), &ctx(0)).await,
        Err(CatalogError::NotFound(_))
    ));
    l.write_process(&process(urn, vec![edge(A, B, vec![])], true), &ctx(0))
        .await
        .unwrap();
    let started = l.record_run(&run("START", 0), &ctx(0)).await.unwrap();
    assert_eq!(
        (started.state.as_str(), started.started_at, started.ended_at),
        ("START", Some(t(0)), None)
    );
    let done = l.record_run(&run("COMPLETE", 60), &ctx(60)).await.unwrap();
    assert_eq!((done.state.as_str(), done.ended_at), ("COMPLETE", Some(t(60))));
    assert_eq!(done.id, started.id);
    assert!(
        done.facets.get("start").is_some() && done.facets.get("complete").is_some(),
        "facets merged"
    );
    let late = l.record_run(&run("RUNNING", 30), &ctx(70)).await.unwrap();
    assert_eq!(late.state, "COMPLETE", "a late RUNNING never reopens a finished run");
    assert_eq!(l.process_runs(urn, 10).await.unwrap().len(), 1);
}

async fn datasets_link_to_catalog_files_by_urn(store: Store) {
    let location = StorageLocation {
        storage_type: StorageType::S3,
        account: String::new(),
        container: "lake".into(),
    };
    let scan = store
        .create_scan_run(&NewScanRun {
            trigger: "test".into(),
            target: "lake".into(),
            started_at: t(0),
        })
        .await
        .unwrap();
    let obs = |path: &str| Observation {
        location: location.clone(),
        path: path.into(),
        size: 10,
        etag: None,
        last_modified: None,
        fingerprint: "f".into(),
        format: FileFormat::from_file_name(path).map(|(f, _)| f),
        schema: None,
        row_count: None,
        format_details: json!({}),
        error: None,
        labels: SourceLabels::default(),
        seen_at: t(0),
    };
    let results = store
        .apply_observations(
            scan.id,
            &[obs("raw/orders.csv"), obs("curated/sales/part-00000.parquet")],
        )
        .await
        .unwrap();
    let file_urn = location.urn("raw/orders.csv");
    let dataset_urn = torro_model::Dataset::urn_of(&location, "curated/sales");
    store
        .lineage()
        .add_edges(&[edge(&file_urn, &dataset_urn, vec![])], &ctx(0))
        .await
        .unwrap();
    let g = store
        .lineage()
        .lineage_graph(&GraphQuery::new(&file_urn, Direction::Downstream, 1))
        .await
        .unwrap();
    assert_eq!(g.nodes[0].discovery_id, Some(results[0].id));
    let sales = store.list_datasets(0, 10, None).await.unwrap().items;
    assert_eq!(g.nodes[1].dataset_id, Some(sales[0].id));
    assert_eq!(g.nodes[1].discovery_id, None);
}

async fn bad_urns_are_rejected_and_nothing_is_written(store: Store) {
    let l = store.lineage();
    for bad in ["", "   ", "s3://x/\u{0}"] {
        let write = process("airflow://prod/j", vec![edge(A, B, vec![]), edge(bad, B, vec![])], true);
        match l.write_process(&write, &ctx(0)).await {
            Err(CatalogError::InvalidInput { field, .. }) => assert_eq!(field, "source"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(
        l.get_process("airflow://prod/j").await.unwrap().is_none(),
        "one transaction: nothing kept"
    );
    assert!(l.get_lineage_dataset(A).await.unwrap().is_none());
    let long = format!("s3://x/{}", "a".repeat(5000));
    assert!(l.add_edges(&[edge(A, &long, vec![])], &ctx(0)).await.is_err());
}

async fn lists_and_namespaces(store: Store) {
    chain(&store).await;
    let l = store.lineage();
    l.upsert_lineage_datasets(
        &[DatasetRef {
            urn: A.into(),
            description: Some("orders".into()),
            facets: json!({"schema": {"fields": [{"name": "id"}]}}),
        }],
        &ctx(5),
    )
    .await
    .unwrap();
    let a = l.get_lineage_dataset(A).await.unwrap().unwrap();
    assert_eq!(a.description.as_deref(), Some("orders"));
    assert_eq!(a.facets["schema"]["fields"][0]["name"], json!("id"));
    assert_eq!(
        l.lineage_namespaces().await.unwrap(),
        ["airflow://prod", "postgres://db:5432", "s3://lake"]
    );
    let pg = l.list_lineage_datasets(Some("postgres://db:5432"), 0, 2).await.unwrap();
    assert_eq!((pg.total, pg.items.len()), (4, 2));
    assert_eq!(pg.items[0].name, "shop.public.a");
    let jobs = l.list_processes(None, 0, 10).await.unwrap();
    assert_eq!(jobs.total, 4);
}
