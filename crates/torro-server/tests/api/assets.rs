//! `/api/assets` end to end: a PostgreSQL connection added, tested and scanned through
//! the API; tables, views and materialized views with columns; a rescan after ALTER TABLE
//! shows the schema diff; business metadata edits are audited; files are assets too.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use torro_connectors::testing_databases::ScratchDb;

use crate::helpers::{TestApp, error_message};

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = app.client.request(method, format!("{}{path}", app.base));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn scan(app: &TestApp, connection: i64) -> Value {
    let (status, run) = app.post(&format!("/api/connections/{connection}/scan")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    let id = run["scan_id"].as_i64().unwrap();
    for _ in 0..400 {
        let (_, run) = app.get(&format!("/api/scans/{id}")).await;
        if run["status"] != "running" && run["status"] != "queued" {
            assert_eq!(run["status"], "succeeded", "{run}");
            return run;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("scan {id} did not finish");
}

fn by_name<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

#[tokio::test]
async fn postgres_connection_scanned_through_the_api_becomes_assets_with_history() {
    let Some(db) = ScratchDb::postgres().await else { return };
    db.execute(
        "CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2)); COMMENT ON TABLE orders IS 'All orders'; \
         CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100; \
         CREATE MATERIALIZED VIEW totals AS SELECT sum(amount) AS total FROM orders;",
    )
    .await;
    let app = TestApp::spawn().await;
    let (status, created) = send(
        &app,
        reqwest::Method::POST,
        "/api/connections",
        Some(json!({
            "name": "shop",
            "connector_type": "postgres",
            "config": {"database": {
                "jdbc_url": format!("jdbc:postgresql://{}:{}/{}", db.host, db.port, db.name),
                "user": db.admin_user(),
            }}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        created["config"]["database"]["jdbc_url"]
            .as_str()
            .unwrap()
            .starts_with("jdbc:postgresql://")
    );
    let id = created["id"].as_i64().unwrap();
    let (status, test) = app.post(&format!("/api/connections/{id}/test")).await;
    assert_eq!((status, &test["ok"]), (StatusCode::OK, &json!(true)), "{test}");

    let first = scan(&app, id).await;
    assert_eq!(first["counts"]["new"], 3, "{first}");
    let (status, list) = app.get(&format!("/api/assets?connector={id}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["pagination"]["total"], 3, "{list}");
    let orders = by_name(&list, "orders");
    assert_eq!(orders["type"], "table");
    assert_eq!(orders["catalog"], db.name.as_str());
    assert_eq!(orders["schema"], "public");
    assert_eq!(orders["source_comment"], "All orders");
    assert_eq!(orders["columns"][0]["name"], "id");
    assert_eq!(orders["columns"][0]["is_pk"], true);
    assert_eq!(orders["columns"][1]["type"], "numeric(10,2)");
    assert_eq!(by_name(&list, "big_orders")["type"], "view");
    assert!(
        by_name(&list, "big_orders")["definition"]["text"]
            .as_str()
            .unwrap()
            .contains("100")
    );
    assert_eq!(by_name(&list, "totals")["type"], "materialized_view");
    let (_, views) = app.get(&format!("/api/assets?connector={id}&type=view")).await;
    assert_eq!(views["pagination"]["total"], 1, "{views}");

    let asset = orders["id"].as_str().unwrap().to_string();
    db.execute("ALTER TABLE orders ADD COLUMN placed date;").await;
    let second = scan(&app, id).await;
    assert_eq!(
        (
            second["counts"]["changed"].clone(),
            second["counts"]["unchanged"].clone()
        ),
        (json!(1), json!(2))
    );
    let (status, history) = app.get(&format!("/api/assets/{asset}/schema-history")).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history[1]["diff"]["added"][0]["name"], "placed");

    let (status, patched) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/assets/{asset}"),
        Some(json!({"description": "Orders of the shop", "tags": ["finance"], "owners": ["ana"], "by": "admin", "comment": "why not"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["business_metadata"]["description"], "Orders of the shop");
    let n: i64 = asset.trim_start_matches("db-").parse().unwrap();
    let audit = app.store.audit_log("asset", n).await.unwrap();
    assert_eq!((audit.len(), audit[0].actor.as_str()), (1, "admin"));
    let (_, shown) = app.get(&format!("/api/assets/{asset}")).await;
    assert_eq!(shown["business_metadata"]["tags"], json!(["finance"]));

    // Bad input: clear 4xx in the JSON error shape.
    let (status, body) = app.get("/api/assets/orders").await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, body) = app.get("/api/assets/db-999999").await;
    error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.get("/api/assets?type=tabel").await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("materialized_view"));
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/assets/{asset}"),
        Some(json!({"tags": [], "by": "ana"})),
    )
    .await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("signed in as"));
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/assets/{asset}"),
        Some(json!({"by": "x", "colour": "red"})),
    )
    .await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    db.drop_database().await;
}

#[tokio::test]
async fn files_and_datasets_are_listed_as_assets() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await;
    let (status, files) = app.get("/api/assets?type=file&size=100").await;
    assert_eq!(status, StatusCode::OK, "{files}");
    let items = files["assets"].as_array().unwrap();
    assert!(!items.is_empty(), "{files}");
    let file = &items[0];
    assert!(file["id"].as_str().unwrap().starts_with("file-"));
    let (status, shown) = app.get(&format!("/api/assets/{}", file["id"].as_str().unwrap())).await;
    assert_eq!((status, &shown["urn"]), (StatusCode::OK, &file["urn"]));
    let (status, _) = app
        .get(&format!("/api/assets/{}/schema-history", file["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/assets/{}", file["id"].as_str().unwrap()),
        Some(json!({"by": "admin", "tags": ["x"]})),
    )
    .await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (_, all) = app.get("/api/assets?size=100").await;
    let total = all["pagination"]["total"].as_i64().unwrap();
    let (_, datasets) = app.get("/api/assets?type=dataset&size=100").await;
    assert_eq!(
        total,
        items.len() as i64 + datasets["pagination"]["total"].as_i64().unwrap()
    );
}
