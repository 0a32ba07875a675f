use reqwest::StatusCode;
use torro_model::DataType;

use crate::helpers::{TestApp, names, observation, schema};

#[tokio::test]
async fn list_shows_flat_entries_and_hides_deleted_files() {
    let app = TestApp::spawn().await;
    let ids = app.seed_fixture().await;

    let (status, body) = app.get("/api/discovery?sort=id&order=asc").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        names(&body),
        ["orders.csv", "customers.parquet", "events.ndjson", "broken.csv"]
    );
    assert_eq!(
        body["pagination"],
        serde_json::json!({"page": 0, "size": 50, "total": 4, "total_pages": 1})
    );

    let orders = &body["discoveries"][0];
    assert_eq!(orders["id"], ids[0]);
    assert_eq!(orders["urn"], "s3://lake/raw/orders.csv");
    assert_eq!(orders["storage_type"], "s3");
    assert_eq!(orders["container"], "lake");
    assert_eq!(orders["path"], "raw/orders.csv");
    assert_eq!(orders["folder"], "raw");
    assert_eq!(orders["extension"], "csv");
    assert_eq!(orders["format"], "csv");
    assert_eq!(orders["size"], 100);
    assert_eq!(orders["column_count"], 2);
    assert_eq!(orders["status"], "active");
    assert_eq!(orders["approval_status"], "pending");
    assert_eq!(orders["environment"], "production");
    assert_eq!(orders["env_type"], "prod");
    assert_eq!(orders["data_source_type"], "finance");
    assert_eq!(orders["tags"], serde_json::json!(["pii"]));
    assert_eq!(orders["source_name"], "fixture");
    assert_eq!(orders["deleted"], false);
    assert!(
        orders["schema_hash"].as_str().is_some_and(|h| h.len() == 64),
        "{orders}"
    );
    for key in ["first_seen", "last_seen", "last_changed", "last_modified"] {
        assert!(orders[key].as_str().is_some(), "{key} in {orders}");
    }
    assert_eq!(body["discoveries"][3]["status"], "error");
    assert_eq!(body["discoveries"][3]["error"], "bad header");
}

#[tokio::test]
async fn the_list_carries_facet_counts_of_the_same_filters() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await;

    let (_, all) = app.get("/api/discovery?size=1").await;
    let facets = &all["facets"];
    assert_eq!(
        facets["status"],
        serde_json::json!({"active": 3, "error": 1}),
        "{facets}"
    );
    assert_eq!(
        facets["container"],
        serde_json::json!({"/data": 1, "events": 1, "lake": 2}),
        "{facets}"
    );
    let formats: i64 = facets["format"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(formats, 4, "counts cover every match, not the page of 1: {facets}");

    let (_, csv) = app.get("/api/discovery?format=csv").await;
    assert_eq!(
        csv["facets"]["format"],
        serde_json::json!({"csv": 2}),
        "{}",
        csv["facets"]
    );
    assert_eq!(csv["facets"]["status"], serde_json::json!({"active": 1, "error": 1}));
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await;

    let cases: &[(&str, &[&str])] = &[
        ("status=active", &["orders.csv", "customers.parquet", "events.ndjson"]),
        ("status=error", &["broken.csv"]),
        ("status=deleted", &["gone.csv"]),
        (
            "status=pending",
            &["orders.csv", "customers.parquet", "events.ndjson", "broken.csv"],
        ),
        ("approval_status=approved", &[]),
        ("environment=staging", &["events.ndjson", "broken.csv"]),
        ("data_source_type=finance", &["orders.csv", "broken.csv"]),
        ("format=parquet", &["customers.parquet"]),
        ("storage=azure_blob", &["events.ndjson"]),
        ("storage=local", &["broken.csv"]),
        (
            "include_deleted=true",
            &[
                "orders.csv",
                "customers.parquet",
                "events.ndjson",
                "broken.csv",
                "gone.csv",
            ],
        ),
        ("environment=production&format=csv", &["orders.csv"]),
    ];
    for (query, expected) in cases {
        let (status, body) = app.get(&format!("/api/discovery?{query}&sort=id&order=asc")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(names(&body), *expected, "{query}");
        assert_eq!(body["pagination"]["total"], expected.len(), "{query}");
    }
}

#[tokio::test]
async fn search_finds_files_by_column_name_and_file_name() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await;

    let (_, body) = app.get("/api/discovery?search=amount").await;
    assert_eq!(names(&body), ["orders.csv"]);
    let (_, body) = app.get("/api/discovery?search=payload").await;
    assert_eq!(names(&body), ["events.ndjson"]);
    let (_, body) = app.get("/api/discovery?search=customers").await;
    assert_eq!(names(&body), ["customers.parquet"]);
    let (status, body) = app.get("/api/discovery?search=nothing_like_this").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["pagination"]["total"], 0);
}

#[tokio::test]
async fn paging_math_and_sorting() {
    let app = TestApp::spawn().await;
    let batch: Vec<_> = (0..7)
        .map(|i| {
            let s = schema(&[("id", DataType::Int64)]);
            observation(
                torro_model::StorageType::S3,
                "lake",
                &format!("p/file{i}.csv"),
                10 * (7 - i),
                Some(s),
                "production",
                "finance",
                i,
            )
        })
        .collect();
    app.seed(&batch).await;

    let (_, body) = app.get("/api/discovery?size=3&sort=name&order=asc").await;
    assert_eq!(names(&body), ["file0.csv", "file1.csv", "file2.csv"]);
    assert_eq!(
        body["pagination"],
        serde_json::json!({"page": 0, "size": 3, "total": 7, "total_pages": 3})
    );
    let (_, body) = app.get("/api/discovery?size=3&page=2&sort=name&order=asc").await;
    assert_eq!(names(&body), ["file6.csv"]);
    let (_, body) = app.get("/api/discovery?size=3&page=5").await;
    assert_eq!(names(&body), Vec::<String>::new());
    assert_eq!(body["pagination"]["total"], 7);

    let (_, body) = app.get("/api/discovery?sort=size&order=asc&size=2").await;
    assert_eq!(names(&body), ["file6.csv", "file5.csv"]);
    let (_, body) = app.get("/api/discovery?sort=name&order=desc&size=2").await;
    assert_eq!(names(&body), ["file6.csv", "file5.csv"]);
    let (_, body) = app.get("/api/discovery?sort=path&size=1").await;
    assert_eq!(names(&body), ["file6.csv"]);
}

#[tokio::test]
async fn show_groups_the_entry() {
    let app = TestApp::spawn().await;
    let ids = app.seed_fixture().await;

    let (status, body) = app.get(&format!("/api/discovery/{}", ids[2])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], ids[2]);
    assert_eq!(
        body["urn"],
        "abfss://events@acct.dfs.core.windows.net/staging/events.ndjson"
    );
    let loc = &body["storage_location"];
    assert_eq!(loc["storage_type"], "azure_blob");
    assert_eq!(loc["account"], "acct");
    assert_eq!(loc["name"], "events.ndjson");
    assert_eq!(loc["extension"], "ndjson");
    let meta = &body["file_metadata"];
    assert_eq!(meta["format"], "ndjson");
    assert_eq!(meta["size"], 300);
    assert_eq!(meta["row_count"], 10);
    assert!(
        meta["fingerprint"].as_str().is_some_and(|f| f.starts_with("300@")),
        "{meta}"
    );
    assert_eq!(
        body["schema_json"]["fields"][1],
        serde_json::json!({"name": "payload", "type": "string", "nullable": true})
    );
    assert_eq!(body["storage_metadata"]["delimiter"], ",");
    let info = &body["discovery_info"];
    assert_eq!(info["status"], "active");
    assert_eq!(info["approval_status"], "pending");
    assert_eq!(info["environment"], "staging");
    assert_eq!(info["deleted"], false);
    assert!(info["deleted_at"].is_null());
    assert!(info["last_scan_id"].as_i64().is_some(), "{info}");

    let (_, gone) = app.get(&format!("/api/discovery/{}", ids[4])).await;
    assert_eq!(gone["discovery_info"]["status"], "deleted");
    assert_eq!(gone["discovery_info"]["deleted"], true);
    assert!(gone["discovery_info"]["deleted_at"].as_str().is_some(), "{gone}");
    let (_, broken) = app.get(&format!("/api/discovery/{}", ids[3])).await;
    assert!(broken["schema_json"].is_null());
    assert_eq!(broken["discovery_info"]["error"], "bad header");
}

#[tokio::test]
async fn schema_history_lists_versions_with_diffs() {
    let app = TestApp::spawn().await;
    let v1 = observation(
        torro_model::StorageType::S3,
        "lake",
        "raw/orders.csv",
        100,
        Some(schema(&[("order_id", DataType::Int32), ("gone", DataType::String)])),
        "production",
        "finance",
        1,
    );
    let mut v2 = observation(
        torro_model::StorageType::S3,
        "lake",
        "raw/orders.csv",
        120,
        Some(schema(&[
            ("order_id", DataType::Int64),
            ("amount", DataType::Float64),
            ("note", DataType::String),
        ])),
        "production",
        "finance",
        9,
    );
    v2.row_count = Some(12);
    let id = app.seed(&[v1]).await[0];
    assert_eq!(app.seed(&[v2]).await[0], id);

    let (status, body) = app.get(&format!("/api/discovery/{id}/schema-history")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["discovery_id"], id);
    let versions = body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{body}");
    assert_eq!(versions[0]["version"], 1);
    assert!(versions[0]["diff"].is_null());
    assert_eq!(versions[0]["summary"], "initial schema");
    assert_eq!(versions[1]["version"], 2);
    let diff = &versions[1]["diff"];
    assert_eq!(diff["added"].as_array().unwrap().len(), 2, "{diff}");
    assert_eq!(diff["removed"][0]["name"], "gone");
    assert_eq!(
        diff["type_changed"][0],
        serde_json::json!({"name": "order_id", "from": "int32", "to": "int64"})
    );
    assert_eq!(versions[1]["summary"], "+2 columns, -1 column, 1 type change");
    assert_eq!(versions[1]["schema"]["fields"].as_array().unwrap().len(), 3);
    assert_ne!(versions[0]["schema_hash"], versions[1]["schema_hash"]);
}

#[tokio::test]
async fn stats_count_the_catalog() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await;

    let (status, body) = app.get("/api/discovery/stats").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 4);
    assert_eq!(body["deleted"], 1);
    assert_eq!(body["total_size_bytes"], 650);
    assert_eq!(body["by_status"], serde_json::json!({"active": 3, "error": 1}));
    assert_eq!(body["by_approval_status"], serde_json::json!({"pending": 4}));
    assert_eq!(
        body["by_environment"],
        serde_json::json!({"production": 2, "staging": 2})
    );
    assert_eq!(
        body["by_data_source"],
        serde_json::json!({"crm": 1, "finance": 2, "web": 1})
    );
    assert_eq!(
        body["by_format"],
        serde_json::json!({"csv": 2, "ndjson": 1, "parquet": 1})
    );
    assert_eq!(
        body["by_storage_type"],
        serde_json::json!({"azure_blob": 1, "local": 1, "s3": 2})
    );
}
