//! `/api/lineage` and the OpenLineage/Marquez `/api/v1` endpoints over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_message};

const ORDERS: &str = "postgres://db:5432/shop.public.orders";
const DAILY: &str = "postgres://db:5432/shop.mart.daily";
const REPORT: &str = "s3://reports/daily.csv";

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, String) {
    let mut request = app.client.request(method, format!("{}{path}", app.base));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    (response.status(), response.text().await.expect("body"))
}

async fn post_json(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, text) = send(app, reqwest::Method::POST, path, Some(body)).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn record_chain(app: &TestApp) {
    let (status, body) = post_json(
        app,
        "/api/lineage/process",
        json!({
            "urn": "airflow://prod/etl.daily", "source_system": "airflow", "actor": "admin",
            "inputs": [ORDERS], "outputs": [DAILY],
            "definition": "INSERT INTO mart.daily SELECT day, SUM(amount) FROM public.orders GROUP BY day",
            "column_lineage": [
                {"source_column": "amount", "target_column": "total", "transformation": "aggregation", "expression": "SUM(amount)"},
                {"source_column": "day", "target_column": "day", "transformation": "IDENTITY"}
            ]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["edges_opened"], 1);
    let (status, body) = post_json(
        app,
        "/api/lineage/process",
        json!({"urn": "airflow://prod/export", "inputs": [DAILY], "outputs": [REPORT],
               "column_lineage": [{"source_column": "total", "target_column": "total"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn processes_build_a_graph_with_impact_and_exports() {
    let app = TestApp::spawn().await;
    record_chain(&app).await;

    let (status, g) = app
        .get(&format!("/api/lineage/graph?urn={ORDERS}&direction=downstream&depth=5"))
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let urns: Vec<&str> = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["urn"].as_str().unwrap())
        .collect();
    assert_eq!(urns, [ORDERS, DAILY, REPORT]);
    assert_eq!(
        g["edges"][0]["columns"][1]["expression"], "SUM(amount)",
        "columns sorted by target"
    );
    assert_eq!(g["edges"][0]["process"], "airflow://prod/etl.daily");
    assert_eq!(g["processes"].as_array().unwrap().len(), 2);

    let (_, shallow) = app
        .get(&format!("/api/lineage/graph?urn={ORDERS}&direction=downstream&depth=1"))
        .await;
    assert_eq!(shallow["nodes"].as_array().unwrap().len(), 2);
    let (_, up) = app
        .get(&format!("/api/lineage/graph?urn={REPORT}&direction=upstream&depth=5"))
        .await;
    assert_eq!(up["nodes"].as_array().unwrap().len(), 3);

    let (status, impact) = app
        .get(&format!("/api/lineage/impact?urn={ORDERS}&column=amount"))
        .await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    assert_eq!(
        impact["datasets"],
        json!([{"urn": DAILY, "depth": 1, "columns": ["total"]}, {"urn": REPORT, "depth": 2, "columns": ["total"]}])
    );
    let (_, by_day) = app.get(&format!("/api/lineage/impact?urn={ORDERS}&column=day")).await;
    assert_eq!(
        by_day["datasets"].as_array().unwrap().len(),
        1,
        "day stops at mart.daily"
    );

    let (status, dot) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/lineage/graph?urn={ORDERS}&format=dot"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        dot.starts_with("digraph lineage {") && dot.contains(&format!("\"{ORDERS}\" -> \"{DAILY}\"")),
        "{dot}"
    );
    let (_, mermaid) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/lineage/graph?urn={ORDERS}&format=mermaid"),
        None,
    )
    .await;
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    let (_, ol) = app
        .get(&format!(
            "/api/lineage/graph?urn={ORDERS}&format=openlineage&direction=downstream&depth=1"
        ))
        .await;
    assert_eq!(ol[0]["job"]["namespace"], "airflow://prod");
    assert_eq!(
        ol[0]["outputs"][0]["facets"]["columnLineage"]["fields"]["total"]["inputFields"][0]["field"],
        "amount"
    );
    assert!(
        ol[0]["job"]["facets"]["sql"]["query"]
            .as_str()
            .unwrap()
            .starts_with("INSERT")
    );

    let (_, audit) = app.get("/api/lineage/audit?limit=50").await;
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["actor"] == "admin" && a["action"] == "open")
    );
}

#[tokio::test]
async fn manual_edges_are_added_closed_and_kept_in_the_past() {
    let app = TestApp::spawn().await;
    let (status, edge) = post_json(
        &app,
        "/api/lineage/manual",
        json!({"source": "s3://lake/raw/orders.csv", "target": ORDERS, "relationship": "loads",
               "column_lineage": [{"source_column": "id", "target_column": "order_id", "transformation": "pass_through"}],
               "metadata": {"ticket": "DATA-7"}, "actor": "admin"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{edge}");
    let id = edge["id"].as_i64().unwrap();
    assert_eq!(
        (edge["origin"].as_str(), edge["valid_to"].is_null()),
        (Some("manual"), true)
    );
    let before = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    let (status, text) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/lineage/manual/{id}?actor=admin"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let closed: Value = serde_json::from_str(&text).unwrap();
    assert!(closed["valid_to"].is_string());
    let (status, text) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/lineage/manual/{id}"),
        None,
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    error_message(status, &body, StatusCode::CONFLICT, "conflict");

    let (_, now) = app.get(&format!("/api/lineage/graph?urn={ORDERS}")).await;
    assert_eq!(
        now["edges"].as_array().unwrap().len(),
        0,
        "closed edges are not current"
    );
    let as_of = before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (status, then) = app
        .get(&format!(
            "/api/lineage/graph?urn={ORDERS}&as_of={}",
            as_of.replace('+', "%2B")
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{then}");
    assert_eq!(
        then["edges"][0]["columns"][0]["target_column"], "order_id",
        "as_of sees the past"
    );

    // A process edge cannot be deleted by hand.
    record_chain(&app).await;
    let (_, g) = app
        .get(&format!("/api/lineage/graph?urn={ORDERS}&direction=downstream&depth=1"))
        .await;
    let process_edge = g["edges"][0]["id"].as_i64().unwrap();
    let (status, text) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/lineage/manual/{process_edge}"),
        None,
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(error_message(status, &body, StatusCode::CONFLICT, "conflict").contains("not by hand"));
}

#[tokio::test]
async fn sql_is_parsed_and_optionally_stored() {
    let app = TestApp::spawn().await;
    let sql = "INSERT INTO mart.daily (day, total) SELECT o.day, SUM(o.amount) FROM public.orders o GROUP BY o.day";
    let (status, parsed) = post_json(&app, "/api/lineage/sql", json!({"sql": sql, "dialect": "postgres"})).await;
    assert_eq!(status, StatusCode::OK, "{parsed}");
    assert_eq!(parsed["lineage"]["sources"], json!(["public.orders"]));
    assert_eq!(parsed["lineage"]["targets"], json!(["mart.daily"]));
    assert!(parsed["stored"].is_null());

    let (status, stored) = post_json(
        &app,
        "/api/lineage/sql",
        json!({"sql": sql, "dialect": "postgres", "default_database": "shop",
               "namespace": "postgres://db:5432", "process_urn": "sql://reports/daily"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["stored"]["edges_opened"], 1, "{stored}");
    let source = stored["edges"][0]["source"].as_str().unwrap().to_string();
    assert!(
        source.starts_with("postgres://db:5432/") && source.ends_with("public.orders"),
        "{source}"
    );
    let (status, g) = app
        .get(&format!("/api/lineage/graph?urn={source}&direction=downstream"))
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["nodes"].as_array().unwrap().len(), 2);

    let (status, body) = post_json(&app, "/api/lineage/sql", json!({"sql": sql, "dialect": "klingon"})).await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("dialect"));
    let (status, body) = post_json(&app, "/api/lineage/sql", json!({"sql": sql, "process_urn": "x://y"})).await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("namespace"));
    let (status, garbage) = post_json(&app, "/api/lineage/sql", json!({"sql": "SELEC nonsense ((("})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "unparseable SQL is a warning, not an error: {garbage}"
    );
    assert!(!garbage["lineage"]["warnings"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_requests_name_the_parameter() {
    let app = TestApp::spawn().await;
    record_chain(&app).await;
    for (query, word) in [
        ("", "urn"),
        ("urn=x&depth=0", "depth"),
        ("urn=x&depth=abc", "depth"),
        ("urn=x&direction=sideways", "direction"),
        ("urn=x&as_of=yesterday", "as_of"),
        ("urn=x&max_nodes=0", "max_nodes"),
        ("urn=x&format=png", "format"),
    ] {
        let (status, body) = app.get(&format!("/api/lineage/graph?{query}")).await;
        let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(word), "{query}: {message}");
    }
    let (status, body) = app.get("/api/lineage/graph?urn=s3://nowhere/x").await;
    error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.get("/api/lineage/impact").await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, body) = post_json(
        &app,
        "/api/lineage/process",
        json!({"urn": "j", "inputs": [], "outputs": [DAILY]}),
    )
    .await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("inputs"));
    let (status, body) = post_json(
        &app,
        "/api/lineage/process",
        json!({"urn": "j", "inputs": [ORDERS, DAILY], "outputs": [REPORT], "column_lineage": [{"source_column": "a", "target_column": "b"}]}),
    )
    .await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("several"));
    let (status, body) = post_json(&app, "/api/lineage/manual", json!({"source": "", "target": ORDERS})).await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, body) = post_json(&app, "/api/lineage/manual", json!({"source": ORDERS, "target": ORDERS})).await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, body) = post_json(
        &app,
        "/api/lineage/manual",
        json!({"source": ORDERS, "target": DAILY, "confidence": 2}),
    )
    .await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("confidence"));
    let (status, text) = send(&app, reqwest::Method::DELETE, "/api/lineage/manual/999", None).await;
    error_message(
        status,
        &serde_json::from_str(&text).unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

fn run_event(state: &str, run_id: &str, inputs: Value, outputs: Value) -> Value {
    json!({
        "eventType": state, "eventTime": "2024-03-01T10:00:00.000Z",
        "run": {"runId": run_id},
        "job": {"namespace": "airflow-prod", "name": "etl.load_daily",
                "facets": {"sql": {"query": "INSERT INTO mart.daily SELECT * FROM public.orders"}}},
        "inputs": inputs, "outputs": outputs,
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    })
}

#[tokio::test]
async fn openlineage_events_are_readable_through_the_marquez_api() {
    let app = TestApp::spawn().await;
    let input = json!([{"namespace": "postgres://db:5432", "name": "shop.public.orders",
        "facets": {"schema": {"fields": [{"name": "amount", "type": "numeric"}]},
                   "ownership": {"owners": [{"name": "team:finance"}]}}}]);
    let output = json!([{"namespace": "postgres://db:5432", "name": "shop.mart.daily", "facets": {"columnLineage": {"fields": {
        "total": {"inputFields": [{"namespace": "postgres://db:5432", "name": "shop.public.orders", "field": "amount",
                  "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}]}]}}}}}]);
    for state in ["START", "COMPLETE"] {
        let (status, text) = send(
            &app,
            reqwest::Method::POST,
            "/api/v1/lineage",
            Some(run_event(
                state,
                "0190a9e2-7c1e-7d6f-8c1a-1b2c3d4e5f60",
                input.clone(),
                output.clone(),
            )),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
    let (_, namespaces) = app.get("/api/v1/namespaces").await;
    let names: Vec<&str> = namespaces["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["airflow-prod", "postgres://db:5432"]);
    let (status, datasets) = app.get("/api/v1/namespaces/postgres%3A%2F%2Fdb%3A5432/datasets").await;
    assert_eq!(status, StatusCode::OK, "{datasets}");
    assert_eq!(datasets["totalCount"], 2);
    let (_, orders) = app
        .get("/api/v1/namespaces/postgres%3A%2F%2Fdb%3A5432/datasets/shop.public.orders")
        .await;
    assert_eq!(orders["fields"][0]["name"], "amount");
    assert_eq!(
        orders["facets"]["ownership"]["owners"][0]["name"], "team:finance",
        "facets kept"
    );
    let (_, jobs) = app.get("/api/v1/namespaces/airflow-prod/jobs").await;
    assert_eq!(jobs["jobs"][0]["name"], "etl.load_daily");
    assert_eq!(jobs["jobs"][0]["latestRun"]["state"], "COMPLETE");
    assert_eq!(jobs["jobs"][0]["inputs"][0]["name"], "shop.public.orders");
    let (status, graph) = app
        .get("/api/v1/lineage?nodeId=dataset:postgres://db:5432:shop.mart.daily&depth=2")
        .await;
    assert_eq!(status, StatusCode::OK, "{graph}");
    let ids: Vec<&str> = graph["graph"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"job:airflow-prod:etl.load_daily"), "{ids:?}");
    assert!(
        ids.contains(&"dataset:postgres://db:5432:shop.public.orders"),
        "{ids:?}"
    );
    let (_, native) = app
        .get("/api/lineage/graph?urn=postgres://db:5432/shop.mart.daily&column=total&direction=upstream")
        .await;
    assert_eq!(
        native["nodes"][1]["columns"],
        json!(["amount"]),
        "column lineage facet kept: {native}"
    );

    // Bad events name the field and change nothing.
    let mut bad = run_event("COMPLETE", "r2", json!([]), json!([]));
    bad["eventTime"] = json!("yesterday");
    let (status, text) = send(&app, reqwest::Method::POST, "/api/v1/lineage", Some(bad)).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("eventTime"));
    let (status, text) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/lineage",
        Some(json!({"eventType": "START"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, body) = app.get("/api/v1/lineage?nodeId=table:x").await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn large_events_are_accepted_and_every_lineage_path_is_documented() {
    let app = TestApp::spawn().await;
    // Schema facets of wide tables exceed the API's 1 MiB body limit; the intake takes 16 MiB.
    let fields: Vec<Value> = (0..30_000)
        .map(|i| json!({"name": format!("column_{i:05}"), "type": "varchar", "description": "x".repeat(40)}))
        .collect();
    let mut event = run_event(
        "COMPLETE",
        "big-run",
        json!([{"namespace": "s3://lake", "name": "raw/wide.parquet", "facets": {"schema": {"fields": fields}}}]),
        json!([{"namespace": "s3://lake", "name": "curated/wide"}]),
    );
    event["job"]["name"] = json!("wide.copy");
    assert!(event.to_string().len() > 2 * 1024 * 1024);
    let (status, text) = send(&app, reqwest::Method::POST, "/api/v1/lineage", Some(event)).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (_, wide) = app
        .get("/api/v1/namespaces/s3%3A%2F%2Flake/datasets/raw%2Fwide.parquet")
        .await;
    assert_eq!(wide["fields"].as_array().map(Vec::len), Some(30_000));

    let (_, doc) = app.get("/api/openapi.json").await;
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/lineage/process",
        "/api/lineage/manual",
        "/api/lineage/manual/{id}",
        "/api/lineage/graph",
        "/api/lineage/impact",
        "/api/lineage/sql",
        "/api/lineage/folders",
        "/api/lineage/audit",
        "/api/v1/lineage",
        "/api/v1/namespaces",
        "/api/v1/namespaces/{namespace}/datasets",
        "/api/v1/namespaces/{namespace}/jobs/{name}",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
}
