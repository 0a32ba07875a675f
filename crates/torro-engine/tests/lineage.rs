//! The lineage service on a real catalog: view definitions (as the database scan will pass
//! them) and folder rules over a scanned lake.

use std::sync::Arc;

use chrono::Utc;
use torro_catalog::CatalogStore;
use torro_engine::lineage::{FolderRules, Lineage, context};
use torro_engine::{Engine, NoProgress, SourceConfig, TorroConfig};
use torro_lineage::SqlDialect;
use torro_model::Actor;
use torro_model::lineage::{Direction, GraphQuery, LineageOrigin};

const VIEW: &str = "postgres://db:5432/shop.public.v_orders";
const ORDERS: &str = "postgres://db:5432/shop.public.orders";
const CUSTOMERS: &str = "postgres://db:5432/shop.public.customers";

async fn store() -> (Arc<dyn CatalogStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = torro_catalog::connect(&format!("sqlite:{}", dir.path().join("c.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

async fn upstream(l: &Lineage) -> Vec<String> {
    let g = l.graph(&GraphQuery::new(VIEW, Direction::Upstream, 1)).await.unwrap();
    let mut urns: Vec<String> = g.nodes.into_iter().map(|n| n.urn).filter(|u| u != VIEW).collect();
    urns.sort();
    urns
}

#[tokio::test]
async fn view_definitions_record_lineage_and_close_edges_when_the_sql_changes() {
    let (store, _dir) = store().await;
    let l = Lineage::new(store);
    let ctx = context(&Actor::system("scanner"), "postgres://db:5432", LineageOrigin::Sql);
    let (parsed, first) = l
        .record_definition(
            VIEW,
            "SELECT o.id, o.amount, c.name AS customer FROM orders o JOIN customers c ON c.id = o.customer_id",
            SqlDialect::Postgres,
            "view",
            &ctx,
        )
        .await
        .unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(first.edges_opened, 2, "{parsed:?}");
    assert_eq!(upstream(&l).await, [CUSTOMERS, ORDERS]);
    let g = l.graph(&GraphQuery::new(VIEW, Direction::Upstream, 1)).await.unwrap();
    let orders = g.edges.iter().find(|e| e.source == ORDERS).unwrap();
    assert!(
        orders
            .columns
            .iter()
            .any(|c| c.source_column == "amount" && c.target_column == "amount"),
        "{:?}",
        orders.columns
    );
    assert_eq!(g.processes[0].process_type, "view");
    let before_change = Utc::now();

    // The same definition on the next scan changes nothing.
    let (_, same) = l
        .record_definition(
            VIEW,
            "SELECT o.id, o.amount, c.name AS customer FROM orders o JOIN customers c ON c.id = o.customer_id",
            SqlDialect::Postgres,
            "view",
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!((same.edges_opened, same.edges_closed), (0, 0));

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (_, changed) = l
        .record_definition(
            VIEW,
            "SELECT id, amount FROM orders",
            SqlDialect::Postgres,
            "view",
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.edges_closed, changed.edges_opened, changed.edges_unchanged),
        (1, 0, 1),
        "customers is gone; orders maps the same columns"
    );
    assert_eq!(upstream(&l).await, [ORDERS]);
    let mut past = GraphQuery::new(VIEW, Direction::Upstream, 1);
    past.as_of = Some(before_change);
    assert_eq!(
        l.graph(&past).await.unwrap().nodes.len(),
        3,
        "as_of sees the old definition"
    );

    // SQL that cannot be read keeps the lineage there was, and says why.
    let (garbled, kept) = l
        .record_definition(VIEW, "SELEC broken (((", SqlDialect::Postgres, "view", &ctx)
        .await
        .unwrap();
    assert!(!garbled.warnings.is_empty());
    assert_eq!((kept.edges_opened, kept.edges_closed), (0, 0));
    assert_eq!(upstream(&l).await, [ORDERS]);
}

#[tokio::test]
async fn folder_rules_link_medallion_layers_of_a_scanned_lake() {
    let (store, dir) = store().await;
    let lake = dir.path().join("lake");
    for (path, body) in [
        ("raw/orders.csv", "id,amount\n1,2\n"),
        ("staging/orders.csv", "id,amount\n1,2\n"),
        ("curated/orders.csv", "id,amount\n1,2\n"),
        ("raw/customers.csv", "id\n1\n"),
        ("curated/sales/part-00000.csv", "id\n1\n"),
        ("raw/sales.csv", "id\n1\n"),
    ] {
        let file = lake.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    let config = TorroConfig {
        sources: vec![SourceConfig::local_folder(&lake)],
        ..TorroConfig::default()
    };
    let engine = Engine::new(store.clone(), config);
    engine.run_scan("test", &NoProgress).await.unwrap();
    let l = Lineage::new(store.clone());
    let summary = l
        .link_folders(&FolderRules::default(), &Actor::system("ada"))
        .await
        .unwrap();
    assert_eq!(
        summary.links, 3,
        "orders raw->staging->curated, sales raw->curated dataset: {summary:?}"
    );
    assert_eq!(summary.edges_opened, 3);

    let raw_orders = store.list_discoveries(&Default::default()).await.unwrap();
    let raw_orders = raw_orders.items.iter().find(|d| d.path == "raw/orders.csv").unwrap();
    let urn = torro_model::Dataset::urn_of(&raw_orders.location, &raw_orders.path);
    let g = l.graph(&GraphQuery::new(&urn, Direction::Downstream, 5)).await.unwrap();
    assert_eq!(g.nodes.len(), 3, "{g:?}");
    assert!(
        g.edges
            .iter()
            .all(|e| e.confidence == 0.5 && e.relationship == "medallion")
    );
    assert_eq!(
        g.nodes[0].discovery_id,
        Some(raw_orders.id),
        "linked to the catalog file"
    );

    // staging/orders.csv goes away: raw links straight to curated, the old links close.
    std::fs::remove_file(lake.join("staging/orders.csv")).unwrap();
    engine.run_scan("test", &NoProgress).await.unwrap();
    let again = l
        .link_folders(&FolderRules::default(), &Actor::system("ada"))
        .await
        .unwrap();
    assert_eq!((again.edges_opened, again.edges_closed), (1, 2), "{again:?}");
    let bad = l
        .link_folders(
            &FolderRules {
                layers: vec!["raw".into()],
                confidence: 0.5,
            },
            &Actor::system("ada"),
        )
        .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn objects_beside_a_view_keep_the_spelling_of_its_database_and_path() {
    let (store, _dir) = store().await;
    let l = Lineage::new(store);
    let ctx = context(&Actor::system("scanner"), "sqlite://", LineageOrigin::Sql);
    // A SQLite file path with capitals: the analyser lower-cases the default database it is given.
    let view = "sqlite:///tmp/Data-X1/shop.db/main.big_orders";
    let (parsed, summary) = l
        .record_definition(
            view,
            "CREATE VIEW big_orders AS SELECT o.id FROM orders o",
            SqlDialect::Sqlite,
            "view",
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(summary.edges_opened, 1, "{parsed:?}");
    let g = l.graph(&GraphQuery::new(view, Direction::Upstream, 1)).await.unwrap();
    assert_eq!(g.edges[0].source, "sqlite:///tmp/Data-X1/shop.db/main.orders");
}
