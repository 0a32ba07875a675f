//! Injection strings through every search and filter input of the store, on SQLite,
//! PostgreSQL and MariaDB/MySQL: each call answers normally (or with a clean validation
//! error, never a database error), matches only literal values, and leaves every table
//! with the rows it had.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection};
use torro_catalog::search::{query_terms, search_document};
use torro_catalog::testing::TestDb;
use torro_catalog::{AssetScope, CatalogError, NewConnectionRow, Result};
use torro_model::lineage::{ChangeContext, DatasetRef, Direction, EdgeInput, GraphQuery, LineageOrigin};
use torro_model::{
    Actor, AssetColumn, AssetQuery, AssetType, ConnectionSettings, DataType, DiscoveryQuery, Field, FileFormat,
    NewScanRun, Observation, ObservedAsset, Schema, SortField, SortOrder, SourceLabels, StorageLocation, StorageType,
};

torro_catalog::backend_suite!(hostile_input_matches_literally_and_changes_nothing);

/// Strings an attacker (or an unlucky user) sends, plus LIKE and FTS operators.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "'; DROP TABLE discoveries; --",
        "' OR '1'='1",
        "%' OR 1=1 --",
        "\" OR \"\"=\"",
        "\\'; SELECT pg_sleep(5); --",
        "1; DELETE FROM audit_log",
        "%",
        "_",
        "\\",
        "\0",
        "orders\0' OR 1=1",
        "ünïcødé 数据 🚀",
        "\"",
        "*",
        "NEAR(",
        "NEAR(orders customer)",
        "AND OR NOT",
        "orders AND NOT customer",
        "-",
        "-orders",
        "+",
        "+orders",
        "@",
        "@@",
        "~",
        "(",
        ")",
        "orders:*",
        "'orders':* | !x",
        "'",
        "100%",
        "ord_rs",
        "%orders%",
        "",
        "   ",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.push("x".repeat(10 * 1024));
    v.push(format!("orders{}", "'%_\\".repeat(2_500)));
    v
}

/// The label value, asset schema and connection name stored verbatim, to check that
/// filters match them literally (and nothing else).
const STORED: &str = "' OR '1'='1";

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

fn labels(value: &str) -> SourceLabels {
    SourceLabels {
        source_name: value.into(),
        environment: value.into(),
        env_type: "prod".into(),
        data_source_type: value.into(),
        tags: vec![],
    }
}

fn obs(path: &str, label: &str) -> Observation {
    Observation {
        location: StorageLocation {
            storage_type: StorageType::S3,
            account: String::new(),
            container: "lake".into(),
        },
        path: path.into(),
        size: 100,
        etag: Some("e1".into()),
        last_modified: Some(t(-10)),
        fingerprint: "100:e1".into(),
        format: FileFormat::from_file_name(path).map(|(f, _)| f),
        schema: Some(Schema::new(vec![
            Field::new("order_id", DataType::Int64, true),
            Field::new("customerName", DataType::String, true),
        ])),
        row_count: Some(10),
        format_details: json!({}),
        error: None,
        labels: labels(label),
        seen_at: t(0),
    }
}

fn connection(name: &str) -> NewConnectionRow {
    NewConnectionRow {
        name: name.into(),
        connector_type: StorageType::S3,
        connection_type: "access_key".into(),
        config: ConnectionSettings {
            containers: vec!["lake".into()],
            ..ConnectionSettings::default()
        },
        secret_names: vec!["secret_access_key".into()],
        secrets_ciphertext: Some("v1:OPAQUE".into()),
        status: "active".into(),
        schedule: None,
        labels: labels("production"),
    }
}

fn ctx() -> ChangeContext {
    ChangeContext {
        actor: Actor::system("test"),
        source_system: "test".into(),
        ingestion_id: None,
        origin: Some(LineageOrigin::Api),
        at: Some(t(0)),
    }
}

/// `Ok` as `Some`; a validation error or "not found" as `None`; anything else (a database
/// error above all) fails the test, naming the input.
fn clean<T>(what: &str, input: &str, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(CatalogError::InvalidInput { .. } | CatalogError::NotFound(_)) => None,
        Err(e) => panic!("{what} with {:?}: {e:?}", preview(input)),
    }
}

fn preview(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Every table of the catalog with its row count, read straight from the database.
async fn row_counts(db: &TestDb) -> BTreeMap<String, i64> {
    macro_rules! counts {
        ($conn:ty, $list:expr, $quote:literal) => {{
            let mut c = <$conn>::connect(&db.url).await.expect("connect");
            let tables: Vec<String> = sqlx::query_scalar($list).fetch_all(&mut c).await.expect("list tables");
            let mut out = BTreeMap::new();
            for table in tables {
                let sql = format!("SELECT COUNT(*) FROM {q}{table}{q}", q = $quote);
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(&mut c)
                    .await
                    .expect("count");
                out.insert(table, n);
            }
            out
        }};
    }
    match db.store.backend() {
        torro_catalog::Backend::Sqlite => counts!(
            sqlx::SqliteConnection,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "\""
        ),
        torro_catalog::Backend::Postgres => counts!(
            sqlx::PgConnection,
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            "\""
        ),
        torro_catalog::Backend::MySql => counts!(
            sqlx::MySqlConnection,
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()",
            "`"
        ),
    }
}

fn query(search: Option<&str>) -> DiscoveryQuery {
    DiscoveryQuery {
        search: search.map(Into::into),
        size: 1000,
        sort: SortField::Id,
        order: SortOrder::Asc,
        ..DiscoveryQuery::default()
    }
}

async fn hostile_input_matches_literally_and_changes_nothing(db: &TestDb) {
    let store = db.store.clone();
    let run = store
        .create_scan_run(&NewScanRun {
            trigger: "test".into(),
            target: "lake".into(),
            started_at: t(0),
        })
        .await
        .unwrap();
    store
        .apply_observations(
            run.id,
            &[
                obs("raw/customer_orders.csv", "production"),
                obs("raw/100%_done.csv", STORED),
                obs("sales/year=2024/part-0.parquet", "production"),
                obs("sales/year=2025/part-0.parquet", "production"),
            ],
        )
        .await
        .unwrap();
    let scope = AssetScope {
        scan_id: Some(run.id),
        connector_id: 1,
        source_name: "shop-db".into(),
        namespace: "postgres://db:5432".into(),
        seen_at: t(0),
    };
    let table = |schema: &str, name: &str| ObservedAsset {
        asset_type: AssetType::Table,
        catalog: "shop".into(),
        schema: schema.into(),
        name: name.into(),
        columns: vec![AssetColumn {
            name: "id".into(),
            ordinal: 1,
            data_type: "integer".into(),
            nullable: false,
            default: None,
            comment: None,
            is_pk: true,
        }],
        technical_metadata: json!({}),
        operational_metadata: json!({}),
        comment: None,
        definition: None,
    };
    store
        .assets()
        .upsert_assets(&scope, &[table("public", "orders"), table(STORED, "100%_done")])
        .await
        .unwrap();
    // Hostile names are stored verbatim and read back by exact name.
    for name in [
        STORED,
        "'; DROP TABLE connections; --",
        "100%",
        "a_b",
        "back\\slash",
        "ünïcødé 数据 🚀",
    ] {
        let c = store
            .create_connection(&connection(name), &Actor::system("test"))
            .await
            .unwrap();
        let back = store.get_connection_by_name(name).await.unwrap().unwrap();
        assert_eq!((back.id, back.name.as_str()), (c.id, name));
    }
    let hostile_urn = "postgres://db:5432/shop.public.o'rders\"; DROP TABLE lineage_edges; --";
    let mut edge = EdgeInput::new("postgres://db:5432/shop.public.orders", hostile_urn);
    edge.relationship = "derives".into();
    store.lineage().add_edges(&[edge], &ctx()).await.unwrap();
    store
        .lineage()
        .upsert_lineage_datasets(&[DatasetRef::new("s3://lake/100%_done.csv")], &ctx())
        .await
        .unwrap();
    assert_eq!(
        store
            .lineage()
            .get_lineage_dataset(hostile_urn)
            .await
            .unwrap()
            .unwrap()
            .urn,
        hostile_urn
    );

    let before = row_counts(db).await;
    for name in [
        "discoveries",
        "audit_log",
        "connections",
        "assets",
        "datasets",
        "lineage_edges",
    ] {
        assert!(before.contains_key(name), "{name} missing from {before:?}");
    }
    let all_files = store.list_discoveries(&query(None)).await.unwrap().items;
    assert_eq!(all_files.len(), 4);
    let all_assets = store
        .assets()
        .list_assets(&AssetQuery {
            size: 1000,
            ..AssetQuery::default()
        })
        .await
        .unwrap()
        .items;
    let all_datasets = store.list_datasets(0, 1000, None).await.unwrap().items;
    assert_eq!(all_datasets.len(), 1);

    for s in hostile() {
        let s = s.as_str();
        // Discovery search: only whole letter/digit words are searched (documented in
        // `search.rs`), each as a prefix of a word of the file's index document; PostgreSQL
        // and MySQL may also match a term inside the path. No terms: no condition.
        let terms = query_terms(s);
        for sort in [
            SortField::LastChanged,
            SortField::FirstSeen,
            SortField::LastSeen,
            SortField::Name,
            SortField::Path,
            SortField::Size,
            SortField::Id,
        ] {
            for order in [SortOrder::Asc, SortOrder::Desc] {
                let q = DiscoveryQuery {
                    sort,
                    order,
                    ..query(Some(s))
                };
                let Some(page) = clean("discovery search", s, store.list_discoveries(&q).await) else {
                    continue;
                };
                for d in &page.items {
                    let doc = search_document(&d.path, d.schema.as_ref());
                    assert!(
                        terms.iter().all(|t| doc.contains(t.as_str())),
                        "search {:?} matched {}",
                        preview(s),
                        d.path
                    );
                }
                for f in &all_files {
                    let words = search_document(&f.path, f.schema.as_ref());
                    let must = terms
                        .iter()
                        .all(|t| words.split(' ').any(|w| w.starts_with(t.as_str())));
                    if must {
                        assert!(
                            page.items.iter().any(|d| d.id == f.id),
                            "search {:?} missed {}",
                            preview(s),
                            f.path
                        );
                    }
                }
            }
        }
        if terms.is_empty() {
            let page = clean("search", s, store.list_discoveries(&query(Some(s))).await);
            assert!(page.is_none_or(|p| p.total == 4), "{:?}", preview(s));
        }
        clean("facets", s, store.discovery_facets(&query(Some(s))).await);

        // Label filters are exact matches.
        let expected: Vec<i64> = all_files
            .iter()
            .filter(|f| f.labels.environment == s)
            .map(|f| f.id)
            .collect();
        for q in [
            DiscoveryQuery {
                environment: Some(s.into()),
                ..query(None)
            },
            DiscoveryQuery {
                data_source_type: Some(s.into()),
                ..query(None)
            },
            DiscoveryQuery {
                source_name: Some(s.into()),
                ..query(None)
            },
        ] {
            if let Some(page) = clean("discovery filter", s, store.list_discoveries(&q).await) {
                assert_eq!(
                    page.items.iter().map(|d| d.id).collect::<Vec<_>>(),
                    expected,
                    "{:?}",
                    preview(s)
                );
            }
            clean("facets filter", s, store.discovery_facets(&q).await);
        }

        // Datasets: the discovery search, over their files.
        let found = clean("search", s, store.list_discoveries(&query(Some(s))).await);
        if let Some(page) = clean("dataset search", s, store.list_datasets(0, 1000, Some(s)).await) {
            let found = found.expect("the discovery search answered too");
            let want: Vec<i64> = all_datasets
                .iter()
                .filter(|ds| found.items.iter().any(|f| f.dataset_id == Some(ds.id)))
                .map(|ds| ds.id)
                .collect();
            let got: Vec<i64> = page.items.iter().map(|ds| ds.id).collect();
            assert_eq!(got, want, "dataset search {:?}", preview(s));
        }

        // Assets: every word a literal, case-insensitive substring of the qualified name
        // (`%` and `_` match themselves); catalog and schema exact.
        let words: Vec<String> = s.split_whitespace().take(10).map(str::to_lowercase).collect();
        let q = AssetQuery {
            search: Some(s.into()),
            size: 1000,
            ..AssetQuery::default()
        };
        if let Some(page) = clean("asset search", s, store.assets().list_assets(&q).await) {
            let got: Vec<&str> = page.items.iter().map(|a| a.id.as_str()).collect();
            let want: Vec<&str> = all_assets
                .iter()
                .filter(|a| {
                    words
                        .iter()
                        .all(|w| a.qualified_name.to_lowercase().contains(w.as_str()))
                })
                .map(|a| a.id.as_str())
                .collect();
            assert_eq!(got, want, "asset search {:?}", preview(s));
        }
        for (field, q) in [
            (
                "catalog",
                AssetQuery {
                    catalog: Some(s.into()),
                    size: 1000,
                    ..AssetQuery::default()
                },
            ),
            (
                "schema",
                AssetQuery {
                    schema: Some(s.into()),
                    size: 1000,
                    ..AssetQuery::default()
                },
            ),
        ] {
            if let Some(page) = clean("asset filter", s, store.assets().list_assets(&q).await) {
                let got: Vec<&str> = page.items.iter().map(|a| a.id.as_str()).collect();
                // MySQL compares VARCHARs with PAD SPACE: trailing spaces do not count there
                // (the API trims parameters, so only direct store callers can tell).
                let same = |stored: &str| {
                    stored == s
                        || (db.store.backend() == torro_catalog::Backend::MySql && stored == s.trim_end_matches(' '))
                };
                let want: Vec<&str> = all_assets
                    .iter()
                    .filter(|a| same(if field == "catalog" { &a.catalog } else { &a.schema }))
                    .map(|a| a.id.as_str())
                    .collect();
                assert_eq!(got, want, "asset {field} {:?}", preview(s));
            }
        }
        assert!(
            clean("get asset", s, store.assets().get_asset(s).await)
                .flatten()
                .is_none()
        );
        assert!(
            clean("get asset", s, store.assets().get_asset(&format!("db-{s}")).await)
                .flatten()
                .is_none()
        );

        // Connections by exact name; audit rows by entity type.
        if let Some(found) = clean("connection by name", s, store.get_connection_by_name(s).await).flatten() {
            assert_eq!(found.name, s);
        }
        if let Some(rows) = clean("audit", s, store.audit_log(s, 1).await) {
            assert!(rows.is_empty(), "{:?}", preview(s));
        }
        let location = StorageLocation {
            storage_type: StorageType::S3,
            account: s.into(),
            container: s.into(),
        };
        if let Some(known) = clean("known objects", s, store.known_objects(&location, s).await) {
            assert!(known.is_empty());
        }
        let lake = StorageLocation {
            storage_type: StorageType::S3,
            account: String::new(),
            container: "lake".into(),
        };
        if let Some(known) = clean("known objects by prefix", s, store.known_objects(&lake, s).await) {
            assert!(known.iter().all(|k| k.path.starts_with(s)), "prefix {:?}", preview(s));
        }

        // Lineage: URNs, namespaces and names are exact.
        let l = store.lineage();
        let urn = format!("postgres://db:5432/{s}");
        for u in [s, urn.as_str()] {
            assert!(
                clean("lineage dataset", s, l.get_lineage_dataset(u).await)
                    .flatten()
                    .is_none()
            );
            assert!(clean("process", s, l.get_process(u).await).flatten().is_none());
            if let Some(runs) = clean("runs", s, l.process_runs(u, 10).await) {
                assert!(runs.is_empty());
            }
            if let Some(edges) = clean("process edges", s, l.process_edges(u, None).await) {
                assert!(edges.is_empty());
            }
            for direction in [Direction::Upstream, Direction::Downstream, Direction::Both] {
                if let Some(g) = clean("graph", s, l.lineage_graph(&GraphQuery::new(u, direction, 3)).await) {
                    assert!(g.edges.is_empty(), "graph of {:?}", preview(u));
                }
            }
        }
        if let Some(page) = clean("lineage datasets", s, l.list_lineage_datasets(Some(s), 0, 100).await) {
            assert!(page.items.iter().all(|d| d.namespace == s));
            assert_eq!(page.total, 0);
        }
        if let Some(page) = clean("processes", s, l.list_processes(Some(s), 0, 100).await) {
            assert_eq!(page.total, 0);
        }
        if let Some(rows) = clean("lineage audit", s, l.lineage_audit(Some((s, 1)), 10).await) {
            assert!(rows.is_empty());
        }
        assert!(
            clean("catalog links", s, l.catalog_links(&[s.to_string(), urn.clone()]).await)
                .is_none_or(|m| m.is_empty())
        );
    }

    // Literal matches of the stored hostile values.
    let q = DiscoveryQuery {
        environment: Some(STORED.into()),
        ..query(None)
    };
    let hit = store.list_discoveries(&q).await.unwrap().items;
    assert_eq!(
        hit.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(),
        ["raw/100%_done.csv"]
    );
    let q = AssetQuery {
        search: Some("100%_".into()),
        size: 1000,
        ..AssetQuery::default()
    };
    let mut hit: Vec<String> = store
        .assets()
        .list_assets(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.qualified_name)
        .collect();
    hit.sort();
    assert_eq!(
        hit,
        ["raw/100%_done.csv".to_string(), format!("shop.{STORED}.100%_done")]
    );
    let page = store
        .lineage()
        .list_lineage_datasets(Some("postgres://db:5432"), 0, 100)
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    // PostgreSQL cannot hold a NUL in text: a validation error, not a database error.
    let nul = store
        .list_discoveries(&DiscoveryQuery {
            environment: Some("a\0b".into()),
            ..query(None)
        })
        .await;
    match db.store.backend() {
        torro_catalog::Backend::Postgres => {
            assert!(matches!(nul, Err(CatalogError::InvalidInput { .. })), "{nul:?}")
        }
        _ => assert!(nul.unwrap().items.is_empty()),
    }
    // Existing ids and odd numbers where ids are taken.
    for id in [i64::MIN, -1, 0, i64::MAX] {
        assert!(store.schema_history(id).await.unwrap().is_empty());
        assert!(store.assets().asset_schema_history(id).await.unwrap().is_empty());
        assert!(store.get_discovery(id).await.unwrap().is_none());
    }

    assert_eq!(row_counts(db).await, before, "a read changed the catalog");
}
