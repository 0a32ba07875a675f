//! `/api/datasets`: partition folders and part files rolled up into logical datasets.

use reqwest::StatusCode;
use serde_json::json;
use torro_model::{DataType, Observation, StorageType};

use crate::helpers::{TestApp, error_message, names, observation, schema};

fn file(path: &str, size: i64, minutes: i64) -> Observation {
    let s = schema(&[("id", DataType::Int64), ("amount", DataType::Float64)]);
    observation(
        StorageType::S3,
        "lake",
        path,
        size,
        Some(s),
        "production",
        "finance",
        minutes,
    )
}

/// Three partitioned files, two part files, one lone file. Returns their ids in that order.
async fn seed(app: &TestApp) -> Vec<i64> {
    app.seed(&[
        file("curated/sales/year=2024/month=01/part-00000.parquet", 100, 1),
        file("curated/sales/year=2024/month=02/part-00000.parquet", 200, 2),
        file("curated/sales/year=2024/month=02/part-00001.parquet", 300, 3),
        file("exports/orders/part-00000-1b2c.c000.snappy.parquet", 10, 4),
        file("exports/orders/part-00001-1b2c.c000.snappy.parquet", 20, 5),
        file("raw/customers.csv", 5, 6),
    ])
    .await
}

#[tokio::test]
async fn list_rolls_files_up_newest_change_first() {
    let app = TestApp::spawn().await;
    seed(&app).await;

    let (status, body) = app.get("/api/datasets").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["pagination"],
        json!({"page": 0, "size": 50, "total": 2, "total_pages": 1})
    );
    let datasets = body["datasets"].as_array().unwrap();
    assert_eq!(datasets[0]["path"], "exports/orders");
    let sales = &datasets[1];
    assert_eq!(sales["path"], "curated/sales");
    assert_eq!(sales["urn"], "s3://lake/curated/sales");
    assert_eq!(sales["storage_type"], "s3");
    assert_eq!(sales["container"], "lake");
    assert_eq!(sales["partition_columns"], json!(["year", "month"]));
    assert_eq!(sales["file_count"], 3);
    assert_eq!(sales["deleted_file_count"], 0);
    assert_eq!(sales["total_size"], 600);
    assert_eq!(sales["formats"], json!(["parquet"]));
    assert_eq!(sales["partition_count"], 2);
    assert_eq!(sales["distinct_schema_count"], 1);
    assert_eq!(sales["schema"]["fields"][1]["name"], "amount");
    assert!(sales["schema_hash"].as_str().is_some_and(|h| h.len() == 64), "{sales}");
    let id = sales["id"].as_i64().unwrap();
    assert_eq!(
        sales["links"],
        json!({"self": format!("/api/datasets/{id}"), "files": format!("/api/datasets/{id}/files")})
    );
    assert_eq!(datasets[0]["partition_columns"], json!([]));
    assert_eq!(datasets[0]["partition_count"], 0);

    let (_, page) = app.get("/api/datasets?size=1&page=1").await;
    assert_eq!(page["datasets"][0]["path"], "curated/sales");
    assert_eq!(page["pagination"]["total_pages"], 2);
    let (_, found) = app.get("/api/datasets?search=sales").await;
    assert_eq!(found["pagination"]["total"], 1);
    assert_eq!(found["datasets"][0]["path"], "curated/sales");
    let (_, none) = app.get("/api/datasets?search=customers").await;
    assert_eq!(none["pagination"]["total"], 0, "a lone file is no dataset");
}

#[tokio::test]
async fn show_and_files_of_one_dataset() {
    let app = TestApp::spawn().await;
    let ids = seed(&app).await;
    let (_, file) = app.get(&format!("/api/discovery/{}", ids[1])).await;
    let id = file["dataset_id"].as_i64().expect("dataset_id on the file");
    assert_eq!(
        file["partition_values"],
        json!([{"column": "year", "value": "2024"}, {"column": "month", "value": "02"}])
    );

    let (status, body) = app.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["id"].as_i64(), &body["path"]),
        (Some(id), &json!("curated/sales"))
    );
    assert_eq!(body["file_count"], 3);

    let (status, files) = app.get(&format!("/api/datasets/{id}/files?sort=size&order=desc")).await;
    assert_eq!(status, StatusCode::OK, "{files}");
    assert_eq!(files["pagination"]["total"], 3);
    let sizes: Vec<i64> = files["discoveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["size"].as_i64().unwrap())
        .collect();
    assert_eq!(sizes, [300, 200, 100]);
    assert!(
        files["discoveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["dataset_id"] == id)
    );
    assert_eq!(files["discoveries"][2]["partition_values"][1]["value"], "01");

    // Part files: a dataset without partitions; the lone file belongs to none.
    let (_, part) = app.get(&format!("/api/discovery/{}", ids[3])).await;
    assert!(part["partition_values"].is_null(), "{part}");
    let orders = part["dataset_id"].as_i64().unwrap();
    let (_, files) = app
        .get(&format!("/api/datasets/{orders}/files?sort=name&order=asc"))
        .await;
    assert_eq!(
        names(&files),
        [
            "part-00000-1b2c.c000.snappy.parquet",
            "part-00001-1b2c.c000.snappy.parquet"
        ]
    );
    let (_, lone) = app.get("/api/discovery?search=customers").await;
    assert!(lone["discoveries"][0]["dataset_id"].is_null(), "{lone}");
    assert!(lone["discoveries"][0]["partition_values"].is_null(), "{lone}");
}

#[tokio::test]
async fn a_deleted_file_leaves_the_counts() {
    let app = TestApp::spawn().await;
    let ids = seed(&app).await;
    let scan = app.store.list_scan_runs(0, 1).await.unwrap().items[0].id;
    app.store
        .mark_deleted(scan, &[ids[2]], chrono::Utc::now())
        .await
        .unwrap();

    let (_, file) = app.get(&format!("/api/discovery/{}", ids[0])).await;
    let id = file["dataset_id"].as_i64().unwrap();
    let (_, body) = app.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(
        (&body["file_count"], &body["deleted_file_count"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(body["total_size"], 300);
    let (_, files) = app.get(&format!("/api/datasets/{id}/files")).await;
    assert_eq!(files["pagination"]["total"], 2);
    let (_, files) = app.get(&format!("/api/datasets/{id}/files?include_deleted=true")).await;
    assert_eq!(files["pagination"]["total"], 3);
}

#[tokio::test]
async fn dataset_errors_follow_the_api_shape() {
    let app = TestApp::spawn().await;
    seed(&app).await;

    let (status, body) = app.get("/api/datasets/999").await;
    let message = error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(message, "dataset 999 not found");
    let (status, body) = app.get("/api/datasets/999/files").await;
    error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.get("/api/datasets/abc").await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");

    for (query, expected) in [
        ("size=0", "size must be between 1 and 100, got 0"),
        ("page=x", "page must be a non-negative integer"),
    ] {
        let (status, body) = app.get(&format!("/api/datasets?{query}")).await;
        let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.starts_with(expected), "{query}: {message}");
    }
    let long = "x".repeat(201);
    let (status, body) = app.get(&format!("/api/datasets?search={long}")).await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.starts_with("search must be at most 200"), "{message}");
    let (status, body) = app.get("/api/datasets/1/files?sort=bogus").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.starts_with("unknown sort"), "{message}");
}

#[tokio::test]
async fn openapi_documents_the_dataset_routes() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.get("/api/openapi.json").await;
    for path in ["/api/datasets", "/api/datasets/{id}", "/api/datasets/{id}/files"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["DatasetBody"].is_object());
}
