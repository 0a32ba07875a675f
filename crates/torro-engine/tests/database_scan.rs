//! Database connection scans end to end in the engine: a real PostgreSQL source (a
//! throwaway database) and SQLite files, cataloged into a SQLite catalog.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use torro_catalog::CatalogStore;
use torro_connectors::testing_databases::ScratchDb;
use torro_engine::lineage::Lineage;
use torro_engine::{Engine, TorroConfig, Worker, WorkerOptions};
use torro_model::lineage::{Direction, GraphQuery};
use torro_model::{
    Actor, AssetQuery, AssetType, ConnectionInput, ConnectionSettings, DatabaseSettings, ScanRun, ScanStatus,
    SourceLabels, StorageType,
};

fn input(name: &str, kind: StorageType, database: DatabaseSettings) -> ConnectionInput {
    ConnectionInput {
        name: name.into(),
        connector_type: kind,
        connection_type: String::new(),
        config: ConnectionSettings {
            database: Some(database),
            ..Default::default()
        },
        secrets: Default::default(),
        status: None,
        schedule: None,
        labels: SourceLabels::default(),
    }
}

/// Queues a scan of connection `id`, runs it on a worker of this process and waits for it to end.
async fn scan(engine: &Engine, id: i64) -> ScanRun {
    let run = engine.trigger_connection_scan(id).await.unwrap();
    let shutdown = CancellationToken::new();
    let options = WorkerOptions {
        poll: Duration::from_millis(50),
        ..WorkerOptions::new(1)
    };
    let worker = Worker::new(engine.clone(), options).spawn(shutdown.clone());
    for _ in 0..600 {
        let now = engine.store().get_scan_run(run.id).await.unwrap().unwrap();
        if !now.status.is_active() {
            shutdown.cancel();
            worker.await.unwrap();
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan {} did not finish in 30 s", run.id);
}

async fn names(store: &Arc<dyn CatalogStore>, connector_id: i64, t: AssetType) -> Vec<String> {
    let q = AssetQuery {
        connector_id: Some(connector_id),
        asset_type: Some(t),
        size: 100,
        ..Default::default()
    };
    store
        .assets()
        .list_assets(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.qualified_name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_scan_and_rescan_detect_added_dropped_and_altered_tables() {
    let Some(catalog) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    let Some(source) = ScratchDb::postgres().await else {
        return;
    };
    source
        .execute(
            "CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), qty int); CREATE TABLE old_stuff (x int); \
             CREATE VIEW big AS SELECT id FROM orders WHERE amount > 10; \
             CREATE MATERIALIZED VIEW totals AS SELECT sum(amount) AS total FROM orders;",
        )
        .await;
    let store = catalog.store.clone();
    let engine = Engine::new(store.clone(), TorroConfig::default());
    let c = engine
        .connections()
        .create(
            &input("shop", StorageType::Postgres, source.settings(None)),
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let test = engine.connections().test(c.id).await.unwrap();
    assert!(test.ok, "{test:?}");

    let first = scan(&engine, c.id).await;
    assert_eq!(first.status, ScanStatus::Succeeded, "{:?}", first.message);
    assert_eq!((first.counts.listed, first.counts.new, first.counts.deleted), (4, 4, 0));
    let db = &source.name;
    assert_eq!(
        names(&store, c.id, AssetType::Table).await,
        [format!("{db}.public.old_stuff"), format!("{db}.public.orders")]
    );
    assert_eq!(names(&store, c.id, AssetType::View).await, [format!("{db}.public.big")]);
    assert_eq!(
        names(&store, c.id, AssetType::MaterializedView).await,
        [format!("{db}.public.totals")]
    );

    let again = scan(&engine, c.id).await;
    assert_eq!(
        (again.counts.unchanged, again.counts.changed, again.counts.new),
        (4, 0, 0)
    );

    source
        .execute(
            "ALTER TABLE orders ADD COLUMN note text; ALTER TABLE orders ALTER COLUMN qty TYPE bigint; \
             DROP TABLE old_stuff; CREATE TABLE customers (id int);",
        )
        .await;
    let third = scan(&engine, c.id).await;
    assert_eq!(
        (
            third.counts.new,
            third.counts.changed,
            third.counts.unchanged,
            third.counts.deleted
        ),
        (1, 1, 2, 1),
        "{third:?}"
    );
    let page = store
        .assets()
        .list_assets(&AssetQuery {
            connector_id: Some(c.id),
            search: Some("public.orders".into()),
            size: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let orders = &page.items[0];
    assert_eq!(
        orders.urn,
        format!("postgres://{}:{}/{db}.public.orders", source.host, source.port)
    );
    let id: i64 = orders.id.trim_start_matches("db-").parse().unwrap();
    let history = store.assets().asset_schema_history(id).await.unwrap();
    assert_eq!(history.len(), 2);
    let diff = history[1].diff.as_ref().unwrap();
    assert_eq!(diff.added[0].name, "note");
    assert_eq!(diff.type_changed[0].name, "qty");
    assert_eq!(history[1].scan_id, Some(third.id));
    let deleted = store
        .assets()
        .list_assets(&AssetQuery {
            connector_id: Some(c.id),
            include_deleted: true,
            search: Some("old_stuff".into()),
            size: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        deleted.items[0].deleted,
        "dropped tables are marked deleted, not removed"
    );
    source.drop_database().await;
    catalog.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_database_fails_the_run_and_the_test_clearly() {
    let Some(catalog) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    let engine = Engine::new(catalog.store.clone(), TorroConfig::default());
    let settings = DatabaseSettings {
        jdbc_url: Some("jdbc:postgresql://127.0.0.1:1/nothing?user=nobody".into()),
        ..Default::default()
    };
    let c = engine
        .connections()
        .create(&input("gone", StorageType::Postgres, settings), &Actor::system("test"))
        .await
        .unwrap();
    let test = engine.connections().test(c.id).await.unwrap();
    assert!(!test.ok);
    assert!(
        test.error_summary().unwrap().contains("check host and port"),
        "{test:?}"
    );
    let run = scan(&engine, c.id).await;
    assert_eq!(run.status, ScanStatus::Failed);
    assert!(run.message.unwrap().contains("127.0.0.1:1"));
    catalog.drop_database().await;
}

/// No Oracle server can run here: an unreachable one is what the engine can be shown to handle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_oracle_fails_the_run_and_the_test_without_the_password() {
    let Some(catalog) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    // The password is stored encrypted, so this engine needs a key.
    let key = torro_engine::SecretKey::from_bytes([7; 32]);
    let engine = Engine::with_secrets(
        catalog.store.clone(),
        TorroConfig::default(),
        torro_engine::SecretBox::new(&key),
    );
    let settings = DatabaseSettings {
        jdbc_url: Some("jdbc:oracle:thin:@127.0.0.1:1:ORCL".into()),
        user: Some("scott".into()),
        ..Default::default()
    };
    let mut oracle = input("ora", StorageType::Oracle, settings);
    oracle.secrets.insert("password".into(), "Tiger-Secret-42".into());
    let c = engine
        .connections()
        .create(&oracle, &Actor::system("test"))
        .await
        .unwrap();
    let test = engine.connections().test(c.id).await.unwrap();
    assert!(!test.ok);
    let summary = test.error_summary().unwrap();
    assert!(summary.contains("cannot reach the listener"), "{test:?}");
    assert!(!summary.contains("Tiger-Secret-42"), "{summary}");
    let run = scan(&engine, c.id).await;
    assert_eq!(run.status, ScanStatus::Failed);
    let message = run.message.unwrap();
    assert!(message.contains("oracle at 127.0.0.1:1"), "{message}");
    assert!(!message.contains("Tiger-Secret-42"), "{message}");
    catalog.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_database_settings_name_the_field() {
    let Some(catalog) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    let engine = Engine::new(catalog.store.clone(), TorroConfig::default());
    let bad = DatabaseSettings {
        jdbc_url: Some("jdbc:oracle:thin:@host:notaport:SID".into()),
        ..Default::default()
    };
    let e = engine
        .connections()
        .create(&input("o", StorageType::Oracle, bad), &Actor::system("test"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("config.database.jdbc_url"), "{e}");
    let mut missing = input("m", StorageType::Mysql, DatabaseSettings::default());
    missing.config.database = None;
    let e = engine
        .connections()
        .create(&missing, &Actor::system("test"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("config.database"), "{e}");
    catalog.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_source_file_is_scanned_into_assets() {
    let Some(catalog) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); CREATE VIEW v AS SELECT email FROM users;",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }
    let engine = Engine::new(catalog.store.clone(), TorroConfig::default());
    let settings = DatabaseSettings {
        jdbc_url: Some(format!("jdbc:sqlite:{}", path.display())),
        ..Default::default()
    };
    let c = engine
        .connections()
        .create(&input("app", StorageType::Sqlite, settings), &Actor::system("test"))
        .await
        .unwrap();
    let run = scan(&engine, c.id).await;
    assert_eq!((run.status, run.counts.new), (ScanStatus::Succeeded, 2), "{run:?}");
    assert_eq!(names(&catalog.store, c.id, AssetType::Table).await, ["main.users"]);
    catalog.drop_database().await;
}

/// The sources one hop upstream of `urn`, sorted.
async fn upstream_of(store: &Arc<dyn CatalogStore>, urn: &str) -> Vec<String> {
    let lineage = Lineage::new(store.clone());
    let graph = lineage
        .graph(&GraphQuery::new(urn, Direction::Upstream, 1))
        .await
        .unwrap();
    let mut sources: Vec<String> = graph.edges.into_iter().map(|e| e.source).collect();
    sources.sort();
    sources.dedup();
    sources
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanned_views_and_routines_become_lineage_that_follows_their_sql() {
    let Some(catalog) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    let Some(source) = ScratchDb::postgres().await else {
        return;
    };
    source
        .execute(
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric); \
             CREATE TABLE customers (id int PRIMARY KEY, name text); \
             CREATE TABLE order_log (id int, amount numeric); \
             CREATE VIEW v_orders AS SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON c.id = o.customer_id; \
             CREATE FUNCTION log_orders() RETURNS void LANGUAGE plpgsql AS $$ \
               BEGIN INSERT INTO order_log (id, amount) SELECT id, amount FROM orders; END $$; \
             CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2';",
        )
        .await;
    let store = catalog.store.clone();
    let engine = Engine::new(store.clone(), TorroConfig::default());
    let c = engine
        .connections()
        .create(
            &input("shop", StorageType::Postgres, source.settings(None)),
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let first = scan(&engine, c.id).await;
    assert_eq!(first.status, ScanStatus::Succeeded, "{:?}", first.message);

    let urn = |name: &str| {
        format!(
            "postgres://{}:{}/{}.public.{name}",
            source.host, source.port, source.name
        )
    };
    assert_eq!(
        upstream_of(&store, &urn("v_orders")).await,
        [urn("customers"), urn("orders")]
    );
    assert_eq!(
        upstream_of(&store, &urn("order_log")).await,
        [urn("orders")],
        "the INSERT inside the PL/pgSQL function is lineage from orders to order_log"
    );
    let errors = store.list_scan_errors(first.id, 0, 50).await.unwrap();
    assert!(errors.items.is_empty(), "{:?}", errors.items);

    // A view that now reads one table closes the other edge; a dropped routine closes its own.
    source
        .execute(
            "CREATE OR REPLACE VIEW v_orders AS SELECT o.id, o.amount, NULL::text AS name FROM orders o; \
             DROP FUNCTION log_orders();",
        )
        .await;
    let second = scan(&engine, c.id).await;
    assert_eq!(second.status, ScanStatus::Succeeded, "{:?}", second.message);
    assert_eq!(upstream_of(&store, &urn("v_orders")).await, [urn("orders")]);
    assert!(upstream_of(&store, &urn("order_log")).await.is_empty());
    let before = Lineage::new(store.clone())
        .graph(&GraphQuery {
            as_of: Some(first.finished_at.unwrap()),
            ..GraphQuery::new(urn("order_log"), Direction::Upstream, 1)
        })
        .await
        .unwrap();
    assert_eq!(
        before.edges.len(),
        1,
        "the closed edge is still there as of the first scan"
    );
    source.drop_database().await;
    catalog.drop_database().await;
}
