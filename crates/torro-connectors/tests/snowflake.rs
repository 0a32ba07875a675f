//! Snowflake over its HTTP API against the `fakesnow` emulator (started by
//! scripts/services.sh; address in TORRO_TEST_SNOWFLAKE_URL). Each test uses its own
//! database in the emulator's shared in-memory store.

use std::collections::BTreeMap;

use torro_connectors::database::{SnowflakeSession, open};
use torro_connectors::testing::env_or_skip;
use torro_model::{AssetType, DatabaseConfig, DatabaseSettings, StorageType};

fn config(url: &str, database: &str) -> DatabaseConfig {
    let settings = DatabaseSettings {
        account: Some("test_account".into()),
        user: Some("torro".into()),
        database: Some(database.into()),
        warehouse: Some("WH".into()),
        role: Some("SYSADMIN".into()),
        endpoint: Some(url.into()),
        ..Default::default()
    };
    let secrets = BTreeMap::from([("password".to_string(), "pw".to_string())]);
    DatabaseConfig::resolve(StorageType::Snowflake, &settings, &secrets).unwrap()
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id()).to_uppercase()
}

#[tokio::test]
async fn fakesnow_tables_views_and_columns_from_arrow_results() {
    let Some(url) = env_or_skip(
        "TORRO_TEST_SNOWFLAKE_URL",
        "fakesnow_tables_views_and_columns_from_arrow_results",
    ) else {
        return;
    };
    let db = unique("TORRO_DB");
    let cfg = config(&url, &db);
    // Set up through the same HTTP API (the connector itself only reads).
    let session = SnowflakeSession::login(&cfg).await.unwrap();
    for sql in [
        format!("CREATE DATABASE IF NOT EXISTS {db}"),
        format!("CREATE SCHEMA {db}.SALES"),
        format!("CREATE TABLE {db}.SALES.ORDERS (ID NUMBER(38,0) NOT NULL, AMOUNT NUMBER(10,2), NOTE VARCHAR(100))"),
        format!("COMMENT ON TABLE {db}.SALES.ORDERS IS 'All orders'"),
        format!("CREATE VIEW {db}.SALES.BIG_ORDERS AS SELECT ID, AMOUNT FROM {db}.SALES.ORDERS WHERE AMOUNT > 100"),
        format!("CREATE TABLE {db}.SALES.TMP_X (X INT)"),
    ] {
        session.query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let rows = session
        .query("SELECT 1 AS ONE, 'a' AS S, 2.50::NUMBER(10,2) AS D, NULL AS N")
        .await
        .unwrap();
    assert_eq!(rows.columns, ["ONE", "S", "D", "N"]);
    assert_eq!(
        rows.rows,
        vec![vec![Some("1".into()), Some("a".into()), Some("2.50".into()), None]]
    );

    let mut settings = cfg.settings.clone();
    settings.exclude_tables = vec!["tmp_*".into()];
    let source = open(&DatabaseConfig::resolve(StorageType::Snowflake, &settings, &cfg.secrets).unwrap()).unwrap();
    source.test_connection().await.unwrap();
    assert_eq!(source.namespace(), "snowflake://test_account");
    let scan = source.scan().await.unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let names: Vec<String> = scan
        .objects
        .iter()
        .map(|o| format!("{} {}.{}", o.asset_type, o.schema, o.name))
        .collect();
    let orders = scan
        .objects
        .iter()
        .find(|o| o.asset_type == AssetType::Table && o.name == "ORDERS")
        .unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(
        (orders.catalog.as_str(), orders.schema.as_str()),
        (db.as_str(), "SALES")
    );
    assert_eq!(orders.comment.as_deref(), Some("All orders"));
    let cols: Vec<(&str, bool)> = orders.columns.iter().map(|c| (c.name.as_str(), c.nullable)).collect();
    assert_eq!(cols, [("ID", false), ("AMOUNT", true), ("NOTE", true)]);
    let view = scan
        .objects
        .iter()
        .find(|o| o.asset_type == AssetType::View && o.name == "BIG_ORDERS")
        .unwrap_or_else(|| panic!("{names:?}"));
    assert!(
        view.definition.as_ref().unwrap().text.contains("100"),
        "{:?}",
        view.definition
    );
    assert_eq!(view.columns.len(), 2);
    assert!(!names.iter().any(|n| n.contains("TMP_X")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("INFORMATION_SCHEMA")), "{names:?}");
}

#[tokio::test]
async fn snowflake_unreachable_endpoint_is_a_clear_error() {
    let cfg = config("http://127.0.0.1:1", "DB");
    let e = open(&cfg).unwrap().test_connection().await.unwrap_err();
    assert!(e.to_string().contains("cannot connect to snowflake"), "{e}");
    assert!(!e.to_string().contains("pw\""), "{e}");
}
