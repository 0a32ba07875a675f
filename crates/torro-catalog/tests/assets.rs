//! The asset store suite: every test runs on SQLite, PostgreSQL and MariaDB/MySQL.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use torro_catalog::testing::TestDb;
use torro_catalog::{AssetScope, CatalogError, CatalogStore};
use torro_model::{
    Actor, AssetColumn, AssetDefinition, AssetOutcome, AssetPatch, AssetQuery, AssetType, DataType, Field, FileFormat,
    NewScanRun, Observation, ObservedAsset, Role, Schema, SourceLabels, StorageLocation, StorageType,
};

type Store = Arc<dyn CatalogStore>;

torro_catalog::backend_suite!(
    new_objects_round_trip_with_columns_and_definitions,
    rescan_detects_unchanged_altered_and_redefined_objects,
    dropped_objects_are_marked_deleted_and_come_back,
    business_metadata_patch_is_audited_and_survives_rescans,
    listing_filters_pages_and_serves_files_and_datasets,
);

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn col(name: &str, ordinal: i64, t: &str, is_pk: bool) -> AssetColumn {
    AssetColumn {
        name: name.into(),
        ordinal,
        data_type: t.into(),
        nullable: !is_pk,
        default: None,
        comment: Some(format!("{name} comment")),
        is_pk,
    }
}

fn table(schema: &str, name: &str, columns: Vec<AssetColumn>) -> ObservedAsset {
    ObservedAsset {
        asset_type: AssetType::Table,
        catalog: "shop".into(),
        schema: schema.into(),
        name: name.into(),
        columns,
        technical_metadata: json!({"row_estimate": 10, "primary_key": ["id"]}),
        operational_metadata: json!({"owner": "postgres"}),
        comment: Some("the orders".into()),
        definition: None,
    }
}

fn view(name: &str, sql: &str) -> ObservedAsset {
    ObservedAsset {
        asset_type: AssetType::View,
        definition: Some(AssetDefinition {
            language: "postgres".into(),
            text: sql.into(),
        }),
        ..table("public", name, vec![col("id", 1, "integer", false)])
    }
}

fn orders() -> ObservedAsset {
    table(
        "public",
        "orders",
        vec![col("id", 1, "integer", true), col("amount", 2, "numeric(10,2)", false)],
    )
}

async fn scope(store: &Store, connector_id: i64, at: DateTime<Utc>) -> AssetScope {
    let run = store
        .create_scan_run(&NewScanRun {
            trigger: "test".into(),
            target: "db".into(),
            started_at: at,
        })
        .await
        .unwrap();
    AssetScope {
        scan_id: Some(run.id),
        connector_id,
        source_name: "shop-db".into(),
        namespace: "postgres://db:5432".into(),
        seen_at: at,
    }
}

async fn new_objects_round_trip_with_columns_and_definitions(db: &TestDb) {
    let store = db.store.clone();
    let s = scope(&store, 1, t0()).await;
    let out = store
        .assets()
        .upsert_assets(&s, &[orders(), view("v_orders", "SELECT id FROM orders")])
        .await
        .unwrap();
    assert_eq!(
        out.iter().map(|(_, o)| *o).collect::<Vec<_>>(),
        [AssetOutcome::New, AssetOutcome::New]
    );
    let a = store
        .assets()
        .get_asset(&format!("db-{}", out[0].0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.asset_type, a.catalog.as_str(), a.schema.as_str(), a.name.as_str()),
        (AssetType::Table, "shop", "public", "orders")
    );
    assert_eq!(a.qualified_name, "shop.public.orders");
    assert_eq!(a.urn, "postgres://db:5432/shop.public.orders");
    assert_eq!(a.connector_id, Some(1));
    assert_eq!(a.columns, orders().columns);
    assert_eq!(a.technical_metadata["primary_key"], json!(["id"]));
    assert_eq!(a.source_comment.as_deref(), Some("the orders"));
    assert_eq!(a.discovered_at, t0());
    assert_eq!(a.schema_hash, Some(orders().schema().hash()));
    let v = store
        .assets()
        .get_asset(&format!("db-{}", out[1].0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        v.definition.as_ref().map(|d| d.text.as_str()),
        Some("SELECT id FROM orders")
    );
    assert_eq!(v.definition.unwrap().language, "postgres");
    let history = store.assets().asset_schema_history(out[0].0).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].version, history[0].diff.is_none()), (1, true));
    assert!(store.assets().get_asset("db-999999").await.unwrap().is_none());
    assert!(store.assets().get_asset("nonsense").await.unwrap().is_none());
}

async fn rescan_detects_unchanged_altered_and_redefined_objects(db: &TestDb) {
    let store = db.store.clone();
    let s1 = scope(&store, 1, t0()).await;
    let first = store
        .assets()
        .upsert_assets(&s1, &[orders(), view("v", "SELECT 1")])
        .await
        .unwrap();
    let s2 = scope(&store, 1, t0() + Duration::hours(1)).await;
    let again = store
        .assets()
        .upsert_assets(&s2, &[orders(), view("v", "SELECT 1")])
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|(_, o)| *o).collect::<Vec<_>>(),
        [AssetOutcome::Unchanged; 2]
    );
    assert_eq!(again[0].0, first[0].0, "same key, same row");

    let mut altered = orders();
    altered.columns[1].data_type = "bigint".into();
    altered.columns.push(col("note", 3, "text", false));
    let s3 = scope(&store, 1, t0() + Duration::hours(2)).await;
    let out = store
        .assets()
        .upsert_assets(&s3, &[altered, view("v", "SELECT 2")])
        .await
        .unwrap();
    assert_eq!(out[0].1, AssetOutcome::Changed { schema_changed: true });
    assert_eq!(
        out[1].1,
        AssetOutcome::Changed { schema_changed: false },
        "a new definition, same columns"
    );
    let history = store.assets().asset_schema_history(first[0].0).await.unwrap();
    assert_eq!(history.len(), 2);
    let diff = history[1].diff.clone().unwrap();
    assert_eq!(diff.added.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["note"]);
    assert_eq!(diff.type_changed[0].name, "amount");
    assert_eq!(diff.type_changed[0].to, DataType::Other("bigint".into()));
    assert_eq!(history[1].scan_id, s3.scan_id);
    let a = store
        .assets()
        .get_asset(&format!("db-{}", first[0].0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.last_changed, t0() + Duration::hours(2));
    assert_eq!(a.discovered_at, t0());
    // Another connection's object of the same name is another asset.
    let other = scope(&store, 2, t0()).await;
    let out = store.assets().upsert_assets(&other, &[orders()]).await.unwrap();
    assert_eq!(out[0].1, AssetOutcome::New);
    assert_ne!(out[0].0, first[0].0);
}

async fn dropped_objects_are_marked_deleted_and_come_back(db: &TestDb) {
    let store = db.store.clone();
    let s = scope(&store, 7, t0()).await;
    let out = store
        .assets()
        .upsert_assets(&s, &[orders(), view("v", "SELECT 1")])
        .await
        .unwrap();
    let live = store.assets().live_asset_keys(7).await.unwrap();
    assert_eq!(live.len(), 2);
    assert!(
        live.iter()
            .any(|k| k.name == "orders" && k.schema == "public" && k.asset_type == AssetType::Table)
    );
    let n = store
        .assets()
        .mark_assets_deleted(s.scan_id, &[out[0].0], t0() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        store
            .assets()
            .mark_assets_deleted(s.scan_id, &[out[0].0], t0())
            .await
            .unwrap(),
        0,
        "already deleted"
    );
    assert_eq!(store.assets().live_asset_keys(7).await.unwrap().len(), 1);
    let q = AssetQuery {
        connector_id: Some(7),
        size: 50,
        ..Default::default()
    };
    assert_eq!(store.assets().list_assets(&q).await.unwrap().total, 1);
    let all = AssetQuery {
        include_deleted: true,
        ..q.clone()
    };
    let page = store.assets().list_assets(&all).await.unwrap();
    assert!(page.items.iter().any(|a| a.name == "orders" && a.deleted));
    let s2 = scope(&store, 7, t0() + Duration::hours(2)).await;
    let back = store.assets().upsert_assets(&s2, &[orders()]).await.unwrap();
    assert_eq!(back[0], (out[0].0, AssetOutcome::Changed { schema_changed: false }));
    assert_eq!(store.assets().list_assets(&q).await.unwrap().total, 2);
}

async fn business_metadata_patch_is_audited_and_survives_rescans(db: &TestDb) {
    let store = db.store.clone();
    let s = scope(&store, 1, t0()).await;
    let id = store.assets().upsert_assets(&s, &[orders()]).await.unwrap()[0].0;
    let patch: AssetPatch = serde_json::from_value(json!({
        "description": "All orders",
        "tags": ["finance", "pii"],
        "owners": ["ana@example.com"],
        "glossary_terms": ["Order"],
        "comment": "first pass"
    }))
    .unwrap();
    let a = store
        .assets()
        .patch_asset(
            id,
            &patch,
            &Actor::user("ana", Role::Steward, Some("2001:db8::1".into())),
        )
        .await
        .unwrap();
    assert_eq!(a.business_metadata.description.as_deref(), Some("All orders"));
    assert_eq!(a.business_metadata.tags, ["finance", "pii"]);
    let audit = store.audit_log("asset", id).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].comment.as_deref()),
        ("ana", Some("first pass"))
    );
    assert_eq!(
        (audit[0].role.as_deref(), audit[0].source_ip.as_deref()),
        (Some("steward"), Some("2001:db8::1"))
    );
    assert_eq!(audit[0].before.as_ref().unwrap()["tags"], json!([]));
    assert_eq!(audit[0].after.as_ref().unwrap()["owners"], json!(["ana@example.com"]));

    let mut altered = orders();
    altered.comment = Some("changed in the database".into());
    let s2 = scope(&store, 1, t0() + Duration::hours(1)).await;
    store.assets().upsert_assets(&s2, &[altered]).await.unwrap();
    let a = store.assets().get_asset(&format!("db-{id}")).await.unwrap().unwrap();
    assert_eq!(
        a.business_metadata.owners,
        ["ana@example.com"],
        "scans never touch business metadata"
    );
    assert_eq!(a.source_comment.as_deref(), Some("changed in the database"));

    match store
        .assets()
        .patch_asset(id + 1000, &patch, &Actor::user("ana", Role::Steward, None))
        .await
    {
        Err(CatalogError::NotFound(m)) => assert!(m.contains("asset"), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

fn file_obs(container: &str, path: &str, at: DateTime<Utc>) -> Observation {
    Observation {
        location: StorageLocation {
            storage_type: StorageType::S3,
            account: String::new(),
            container: container.into(),
        },
        path: path.into(),
        size: 100,
        etag: Some("e".into()),
        last_modified: Some(at),
        fingerprint: "100:e".into(),
        format: FileFormat::from_file_name(path).map(|(f, _)| f),
        schema: Some(Schema::new(vec![Field::new("order_id", DataType::Int64, false)])),
        row_count: Some(1),
        format_details: json!({}),
        error: None,
        labels: SourceLabels {
            source_name: "lake".into(),
            ..Default::default()
        },
        seen_at: at,
    }
}

async fn listing_filters_pages_and_serves_files_and_datasets(db: &TestDb) {
    let store = db.store.clone();
    let s = scope(&store, 1, t0()).await;
    let mut sales = table("sales", "orders_eu", vec![col("id", 1, "integer", true)]);
    sales.catalog = "shop".into();
    let weird = table("public", "100%_done", vec![col("id", 1, "integer", true)]);
    store
        .assets()
        .upsert_assets(&s, &[orders(), view("v_orders", "SELECT 1"), sales, weird])
        .await
        .unwrap();
    let other = scope(&store, 2, t0()).await;
    let mut elsewhere = orders();
    elsewhere.catalog = "crm".into();
    store.assets().upsert_assets(&other, &[elsewhere]).await.unwrap();
    store
        .apply_observations(
            s.scan_id.unwrap(),
            &[
                file_obs("bucket", "exports/orders.csv", t0()),
                file_obs("bucket", "events/year=2024/part-0.parquet", t0()),
            ],
        )
        .await
        .unwrap();

    let names = |q: AssetQuery| {
        let store = store.clone();
        async move {
            let page = store.assets().list_assets(&AssetQuery { size: 50, ..q }).await.unwrap();
            assert_eq!(page.total as usize, page.items.len());
            page.items
                .into_iter()
                .map(|a| format!("{}:{}", a.asset_type, a.qualified_name))
                .collect::<Vec<_>>()
        }
    };
    let all = names(AssetQuery::default()).await;
    assert_eq!(all.len(), 7, "{all:?}");
    assert!(all.contains(&"file:exports/orders.csv".to_string()), "{all:?}");
    assert!(all.contains(&"dataset:events".to_string()), "{all:?}");
    assert!(
        !all.iter().any(|n| n.contains("part-0")),
        "files in a dataset are listed through it: {all:?}"
    );
    assert_eq!(
        names(AssetQuery {
            connector_id: Some(2),
            ..Default::default()
        })
        .await,
        ["table:crm.public.orders"]
    );
    assert_eq!(
        names(AssetQuery {
            catalog: Some("shop".into()),
            schema: Some("sales".into()),
            ..Default::default()
        })
        .await,
        ["table:shop.sales.orders_eu"]
    );
    assert_eq!(
        names(AssetQuery {
            asset_type: Some(AssetType::View),
            ..Default::default()
        })
        .await,
        ["view:shop.public.v_orders"]
    );
    assert_eq!(
        names(AssetQuery {
            search: Some("ORDERS".into()),
            ..Default::default()
        })
        .await,
        [
            "table:crm.public.orders",
            "file:exports/orders.csv",
            "table:shop.public.orders",
            "view:shop.public.v_orders",
            "table:shop.sales.orders_eu"
        ]
    );
    assert_eq!(
        names(AssetQuery {
            search: Some("100%_".into()),
            ..Default::default()
        })
        .await,
        ["table:shop.public.100%_done"]
    );
    assert!(
        names(AssetQuery {
            search: Some("%".into()),
            ..Default::default()
        })
        .await
        .len()
            == 1,
        "% is literal"
    );
    let file = store
        .assets()
        .list_assets(&AssetQuery {
            asset_type: Some(AssetType::File),
            size: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(file.items[0].columns[0].name, "order_id");
    assert_eq!(file.items[0].urn, "s3://bucket/exports/orders.csv");
    assert!(store.assets().get_asset(&file.items[0].id).await.unwrap().is_some());

    let p0 = store
        .assets()
        .list_assets(&AssetQuery {
            size: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    let p2 = store
        .assets()
        .list_assets(&AssetQuery {
            size: 3,
            page: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((p0.items.len(), p0.total, p2.items.len()), (3, 7, 1));
}
