//! The connector suite, run unchanged against each emulator (SeaweedFS for S3, Azurite,
//! fake-gcs-server). `scripts/test.sh` starts them and sets `TORRO_TEST_*_URL`.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use torro_connectors::testing::{Emulator, Fixture, fixture};
use torro_connectors::{ListEntry, ObjectInfo, ObjectSource, SourceError, open};

async fn list_objects(source: &dyn ObjectSource, prefix: &str) -> Vec<ObjectInfo> {
    let mut objects: Vec<ObjectInfo> = source
        .list(prefix)
        .map_ok(|entry| match entry {
            ListEntry::Object(o) => o,
            ListEntry::Skipped { path, message } => panic!("skipped {path}: {message}"),
        })
        .try_collect()
        .await
        .unwrap();
    objects.sort_by(|a, b| a.path.cmp(&b.path));
    objects
}

fn paths(objects: &[ObjectInfo]) -> Vec<&str> {
    objects.iter().map(|o| o.path.as_str()).collect()
}

async fn lists_nested_prefixes_and_reads_exact_ranges(f: Fixture) {
    f.put("raw/sales/year=2024/a.csv", "id,name\n1,alpha\n").await;
    f.put("raw/sales/year=2024/b b.csv", "id\n2\n").await;
    f.put("raw/other/c.json", "[1,2,3]").await;
    f.put("rawish/x.csv", "x\n").await;
    f.put("top.txt", "top").await;
    let source = open(&f.config).unwrap();
    source.test_connection().await.unwrap();

    let all = list_objects(&*source, "").await;
    assert_eq!(
        paths(&all),
        [
            "raw/other/c.json",
            "raw/sales/year=2024/a.csv",
            "raw/sales/year=2024/b b.csv",
            "rawish/x.csv",
            "top.txt"
        ]
    );
    let a = &all[1];
    assert_eq!(a.size, 16);
    assert!(a.last_modified.is_some());
    assert!(a.etag.is_some(), "{:?}: listing gives no etag", f.emulator);
    assert_eq!(
        paths(&list_objects(&*source, "raw/sales").await),
        ["raw/sales/year=2024/a.csv", "raw/sales/year=2024/b b.csv"]
    );
    // A prefix is a folder: "raw" does not match "rawish/".
    assert_eq!(list_objects(&*source, "raw/").await.len(), 3);

    let lists_before = source.stats().list_requests.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        lists_before >= 4,
        "each listing is at least one request, saw {lists_before}"
    );
    let gets = source.stats().get_requests.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(gets, 0);

    assert_eq!(
        &source.get_range("raw/sales/year=2024/a.csv", 3..7).await.unwrap()[..],
        b"name"
    );
    assert_eq!(
        &source.get_range("raw/sales/year=2024/b b.csv", 0..5).await.unwrap()[..],
        b"id\n2\n"
    );
    // The last bytes, by an explicit range from the listed size (no suffix ranges).
    assert_eq!(&source.get_range("top.txt", 1..3).await.unwrap()[..], b"op");
    assert_eq!(
        source.stats().get_requests.load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    assert_eq!(source.stats().bytes(), 4 + 5 + 2);
    assert!(matches!(
        source.get_range("raw/missing.csv", 0..4).await,
        Err(SourceError::NotFound { .. })
    ));
    let urn = source.location().urn("top.txt");
    let expected = match f.emulator {
        Emulator::S3 => format!("s3://{}/top.txt", f.container),
        Emulator::Gcs => format!("gs://{}/top.txt", f.container),
        Emulator::Azure => format!("abfss://{}@devstoreaccount1.dfs.core.windows.net/top.txt", f.container),
    };
    assert_eq!(urn, expected);
}

async fn changes_and_deletes_show_in_the_listing(f: Fixture) {
    f.put("data/a.csv", "x\n1\n").await;
    f.put("data/b.csv", "x\n2\n").await;
    let source = open(&f.config).unwrap();
    let before = list_objects(&*source, "data").await;
    f.put("data/a.csv", "x\n1\n22\n").await;
    f.delete("data/b.csv").await;
    let after = list_objects(&*source, "data").await;
    assert_eq!(paths(&after), ["data/a.csv"]);
    assert_eq!(before[0].size, 4);
    assert_eq!(after[0].size, 7);
    assert_ne!(before[0].etag, after[0].etag, "a changed blob keeps its etag");
    assert_eq!(&source.get_range("data/a.csv", 4..7).await.unwrap()[..], b"22\n");
}

async fn a_missing_bucket_is_one_clear_error_that_ends_the_listing(f: Fixture) {
    let mut config = f.config.clone();
    config.container = format!("{}-missing", f.container);
    if let Some(cs) = config.secrets.get_mut("connection_string") {
        *cs = cs.clone();
    }
    let source = open(&config).unwrap();
    let err = source.test_connection().await.unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    let mut listing = source.list("");
    let first = listing.next().await.expect("one item");
    let message = first.expect_err("an error").to_string();
    assert!(
        message.contains("does not exist") && message.contains(&config.container),
        "{message}"
    );
    assert!(listing.next().await.is_none(), "the listing goes on after an error");
}

async fn wrong_credentials_say_to_check_them(f: Fixture) {
    let mut config = f.config.clone();
    let wrong = "d3JvbmctYnV0LXZhbGlkLWJhc2U2NC1rZXktdGhhdC1pcy1sb25nLWVub3VnaA==";
    match f.emulator {
        Emulator::S3 => {
            config.secrets.insert("secret_access_key".into(), wrong.into());
        }
        Emulator::Azure => {
            config.auth = Some("account_key".into());
            config.account = Some("devstoreaccount1".into());
            config.secrets.clear();
            config.secrets.insert("account_key".into(), wrong.into());
        }
        Emulator::Gcs => {
            eprintln!("SKIPPED: wrong credentials on GCS: fake-gcs-server does not check credentials");
            return;
        }
    }
    let source = open(&config).unwrap();
    let err = source.test_connection().await.unwrap_err().to_string();
    assert!(
        err.contains("access denied") && err.contains("check the credentials"),
        "{err}"
    );
    assert!(!err.contains(wrong), "the secret leaked into: {err}");
}

async fn an_unreachable_endpoint_fails_fast_and_clearly(f: Fixture) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = f.config.clone();
    let dead = match f.emulator {
        Emulator::Azure => format!("http://127.0.0.1:{port}/devstoreaccount1"),
        _ => format!("http://127.0.0.1:{port}"),
    };
    if let Some(cs) = config.secrets.get_mut("connection_string") {
        *cs = cs.replace(&f.url, &dead);
    }
    config.endpoint = Some(dead.clone());
    let source = open(&config).unwrap();
    let started = Instant::now();
    let err = source.test_connection().await.unwrap_err().to_string();
    assert!(err.contains(&format!("cannot reach {dead}")), "{err}");
    assert!(err.contains("is the endpoint right"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

async fn lists_thousands_of_objects_across_pages_as_a_stream(f: Fixture) {
    // fake-gcs-server slows down with many objects in memory (~45 s for 2,050), so it
    // gets just over one 1,000-object page; S3 and Azurite get 2,050.
    let n: usize = if f.emulator == Emulator::Gcs { 1_050 } else { 2_050 };
    futures::stream::iter(0..n)
        .map(|i| {
            let f = &f;
            async move { f.put(&format!("many/part-{i:05}.csv"), format!("n\n{i}\n")).await }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    let source = open(&f.config).unwrap();
    let mut listing = source.list("many");
    let mut count = 0;
    let mut seen_bytes = 0;
    while let Some(entry) = listing.next().await {
        match entry.unwrap() {
            ListEntry::Object(o) => {
                count += 1;
                seen_bytes += o.size;
            }
            ListEntry::Skipped { path, message } => panic!("skipped {path}: {message}"),
        }
    }
    assert_eq!(count, n);
    assert!(seen_bytes > 0);
    let pages = source.stats().list_requests.load(std::sync::atomic::Ordering::Relaxed);
    if f.emulator == Emulator::S3 {
        assert!(
            pages >= 3,
            "S3 pages hold 1000 keys, so {n} take 3 requests; counted {pages}"
        );
    } else {
        assert!(pages >= 1, "counted {pages}");
    }
}

/// One `#[tokio::test]` per (emulator, case), so nothing is forgotten for one store.
macro_rules! suite {
    ($module:ident, $emulator:expr) => {
        mod $module {
            use super::*;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        let test = concat!(stringify!($module), "::", stringify!($name));
                        if let Some(f) = fixture($emulator, test).await {
                            super::$name(f).await;
                        }
                    }
                };
            }

            case!(lists_nested_prefixes_and_reads_exact_ranges);
            case!(changes_and_deletes_show_in_the_listing);
            case!(a_missing_bucket_is_one_clear_error_that_ends_the_listing);
            case!(wrong_credentials_say_to_check_them);
            case!(an_unreachable_endpoint_fails_fast_and_clearly);
            case!(lists_thousands_of_objects_across_pages_as_a_stream);
        }
    };
}

suite!(s3, Emulator::S3);
suite!(azure, Emulator::Azure);
suite!(gcs, Emulator::Gcs);
