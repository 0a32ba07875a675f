//! Database connectors against real servers: the local PostgreSQL and MariaDB (a
//! throwaway database per test) and SQLite files the tests make.

use std::collections::BTreeMap;

use torro_connectors::database::{DatabaseError, DatabaseScan, open};
use torro_connectors::testing_databases::ScratchDb;
use torro_model::{AssetType, DatabaseConfig, DatabaseSettings, ObservedAsset, StorageType};

fn find<'a>(scan: &'a DatabaseScan, t: AssetType, schema: &str, name: &str) -> &'a ObservedAsset {
    scan.objects
        .iter()
        .find(|o| o.asset_type == t && o.schema == schema && o.name == name)
        .unwrap_or_else(|| {
            let seen: Vec<String> = scan
                .objects
                .iter()
                .map(|o| format!("{} {}.{}", o.asset_type, o.schema, o.name))
                .collect();
            panic!("no {t} {schema}.{name} in {seen:?}; errors: {:?}", scan.errors)
        })
}

fn config(kind: StorageType, settings: DatabaseSettings, password: Option<&str>) -> DatabaseConfig {
    let mut secrets = BTreeMap::new();
    if let Some(p) = password {
        secrets.insert("password".to_string(), p.to_string());
    }
    DatabaseConfig::resolve(kind, &settings, &secrets).unwrap()
}

const PG_SETUP: &str = r#"
CREATE SCHEMA sales;
CREATE SCHEMA "odd ""schema""";
CREATE TABLE sales.customers (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'x');
COMMENT ON TABLE sales.customers IS 'Customers';
COMMENT ON COLUMN sales.customers.name IS 'Full name';
CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer_id int REFERENCES sales.customers (id),
    amount numeric(10,2), placed date);
CREATE INDEX orders_placed ON sales.orders (placed);
CREATE TABLE sales.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
CREATE MATERIALIZED VIEW sales.order_totals AS
    SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;
CREATE FUNCTION sales.add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b';
CREATE PROCEDURE sales.touch() LANGUAGE plpgsql AS $$ BEGIN UPDATE sales.orders SET amount = amount; END $$;
CREATE FUNCTION sales.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_audit BEFORE INSERT ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.audit();
CREATE TABLE "odd ""schema"""."my ""quoted"" table" ("a b" int);
CREATE TABLE public.tmp_scratch (x int);
"#;

#[tokio::test]
async fn postgres_lists_tables_views_matviews_routines_and_triggers() {
    let Some(db) = ScratchDb::postgres().await else { return };
    db.execute(PG_SETUP).await;
    let mut settings = db.settings(None);
    settings.exclude_tables = vec!["tmp_*".into()];
    let source = open(&config(StorageType::Postgres, settings, None)).unwrap();
    source.test_connection().await.unwrap();
    assert_eq!(source.namespace(), format!("postgres://{}:{}", db.host, db.port));
    let scan = source.scan().await.unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    assert!(scan.incomplete.is_empty());

    let customers = find(&scan, AssetType::Table, "sales", "customers");
    assert_eq!(customers.catalog, db.name);
    assert_eq!(customers.comment.as_deref(), Some("Customers"));
    let names: Vec<&str> = customers.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name"]);
    assert!(customers.columns[0].is_pk && !customers.columns[0].nullable);
    assert_eq!(customers.columns[0].data_type, "integer");
    assert!(customers.columns[0].default.as_deref().unwrap().starts_with("nextval("));
    assert_eq!(customers.columns[1].comment.as_deref(), Some("Full name"));
    assert_eq!(customers.columns[1].default.as_deref(), Some("'x'::text"));
    assert_eq!(customers.technical_metadata["primary_key"], serde_json::json!(["id"]));

    let orders = find(&scan, AssetType::Table, "sales", "orders");
    assert_eq!(orders.columns[2].data_type, "numeric(10,2)");
    assert_eq!(
        orders.technical_metadata["foreign_keys"][0]["columns"],
        serde_json::json!(["customer_id"])
    );
    let indexes = orders.technical_metadata["indexes"].as_array().unwrap();
    assert!(indexes.iter().any(|i| i["name"] == "orders_placed"), "{indexes:?}");

    let events = find(&scan, AssetType::Table, "sales", "events");
    assert_eq!(events.technical_metadata["relkind"], "partitioned_table");
    assert_eq!(events.technical_metadata["partition_key"], "RANGE (at)");
    let part = find(&scan, AssetType::Table, "sales", "events_2024");
    assert_eq!(part.technical_metadata["partition_of"], "sales.events");

    let view = find(&scan, AssetType::View, "sales", "big_orders");
    let def = view.definition.as_ref().unwrap();
    assert_eq!(def.language, "postgres");
    assert!(def.text.contains("amount > 100"), "{}", def.text);
    assert_eq!(view.columns.len(), 2);
    let mv = find(&scan, AssetType::MaterializedView, "sales", "order_totals");
    let mv_sql = &mv.definition.as_ref().unwrap().text;
    assert!(mv_sql.contains("sum(orders.amount) AS total"), "{mv_sql}");
    assert_eq!(mv.columns[1].name, "total");

    let add = find(&scan, AssetType::Function, "sales", "add(a integer, b integer)");
    assert!(add.definition.as_ref().unwrap().text.contains("SELECT a + b"));
    let touch = find(&scan, AssetType::Procedure, "sales", "touch()");
    assert_eq!(touch.definition.as_ref().unwrap().language, "plpgsql");
    assert!(touch.definition.as_ref().unwrap().text.contains("UPDATE sales.orders"));
    let trigger = find(&scan, AssetType::Trigger, "sales", "orders.orders_audit");
    assert!(
        trigger
            .definition
            .as_ref()
            .unwrap()
            .text
            .contains("EXECUTE FUNCTION sales.audit()")
    );

    let odd = find(&scan, AssetType::Table, "odd \"schema\"", "my \"quoted\" table");
    assert_eq!(odd.columns[0].name, "a b");
    assert!(
        !scan.objects.iter().any(|o| o.name == "tmp_scratch"),
        "excluded by pattern"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn postgres_include_patterns_and_restricted_role() {
    let Some(db) = ScratchDb::postgres().await else { return };
    db.execute(PG_SETUP).await;
    db.execute("CREATE SCHEMA secret; CREATE TABLE secret.salaries (id int);")
        .await;
    let mut settings = db.settings(None);
    settings.include_schemas = vec!["SALES".into()];
    settings.include_tables = vec!["sales.cust*".into()];
    let scan = open(&config(StorageType::Postgres, settings, None))
        .unwrap()
        .scan()
        .await
        .unwrap();
    let mut names: Vec<String> = scan
        .objects
        .iter()
        .map(|o| format!("{}:{}", o.asset_type, o.name))
        .collect();
    names.sort();
    assert_eq!(names, ["table:customers"]);

    // A role without USAGE on schema `secret`: the scan says so and still lists it.
    let role = format!("{}_ro", db.name);
    db.execute_admin(&format!("CREATE ROLE {role} LOGIN")).await;
    db.execute(&format!("GRANT USAGE ON SCHEMA sales TO {role}")).await;
    let scan = open(&config(StorageType::Postgres, db.settings(Some(&role)), None))
        .unwrap()
        .scan()
        .await
        .unwrap();
    assert!(
        scan.errors
            .iter()
            .any(|e| e.object == "secret" && e.message.contains("USAGE")),
        "{:?}",
        scan.errors
    );
    find(&scan, AssetType::Table, "secret", "salaries");
    find(&scan, AssetType::Table, "sales", "orders");
    db.drop_database().await;
    db_role_drop(&role).await;
}

async fn db_role_drop(role: &str) {
    if let Some(admin) = ScratchDb::postgres().await {
        admin.execute_admin(&format!("DROP ROLE IF EXISTS {role}")).await;
        admin.drop_database().await;
    }
}

#[tokio::test]
async fn postgres_non_utf8_comments_are_decoded_lossily() {
    let Some(db) =
        ScratchDb::postgres_with("ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0").await
    else {
        return;
    };
    // Latin-1 "été" stored as raw bytes: invalid UTF-8 on the way out.
    db.execute("CREATE TABLE t (x int); COMMENT ON TABLE t IS E'\\351t\\351'; COMMENT ON COLUMN t.x IS E'ok \\377';")
        .await;
    let scan = open(&db.config()).unwrap().scan().await.unwrap();
    let t = find(&scan, AssetType::Table, "public", "t");
    assert_eq!(t.comment.as_deref(), Some("\u{FFFD}t\u{FFFD}"));
    assert_eq!(t.columns[0].comment.as_deref(), Some("ok \u{FFFD}"));
    db.drop_database().await;
}

#[tokio::test]
async fn postgres_bad_host_port_and_database_give_clear_errors() {
    let Some(db) = ScratchDb::postgres().await else { return };
    let mut wrong_port = db.settings(None);
    wrong_port.port = Some(1);
    let e = open(&config(StorageType::Postgres, wrong_port, None))
        .unwrap()
        .test_connection()
        .await
        .unwrap_err();
    assert!(matches!(e, DatabaseError::Connect(_)), "{e:?}");
    assert!(e.to_string().contains("check host and port"), "{e}");
    let mut no_db = db.settings(None);
    no_db.database = Some("no_such_database_here".into());
    let e = open(&config(StorageType::Postgres, no_db, Some("s3cret-pass")))
        .unwrap()
        .scan()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no_such_database_here"), "{e}");
    assert!(!e.to_string().contains("s3cret-pass"));
    db.drop_database().await;
}

#[tokio::test]
async fn mysql_lists_tables_views_routines_and_triggers() {
    let Some(db) = ScratchDb::mysql().await else { return };
    db.execute(
        "CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, \
         name VARCHAR(50) NOT NULL DEFAULT 'x' COMMENT 'Full name') ENGINE=InnoDB COMMENT='Customers'; \
         CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT, amount DECIMAL(10,2), KEY amount_idx (amount), \
         CONSTRAINT fk_c FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB; \
         CREATE TABLE `my \"odd\" table` (`a b` INT) ENGINE=MyISAM; \
         CREATE TABLE tmp_x (x INT); \
         CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100; \
         CREATE FUNCTION add_one(x INT) RETURNS INT DETERMINISTIC RETURN x + 1; \
         CREATE TRIGGER orders_audit BEFORE INSERT ON orders FOR EACH ROW SET NEW.amount = NEW.amount;",
    )
    .await;
    db.execute("CREATE PROCEDURE touch_orders() BEGIN UPDATE orders SET amount = amount; END")
        .await;
    let mut settings = db.settings(None);
    settings.exclude_tables = vec!["tmp_*".into()];
    let source = open(&config(StorageType::Mysql, settings, None)).unwrap();
    source.test_connection().await.unwrap();
    let scan = source.scan().await.unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let only_this_db = scan.objects.iter().all(|o| o.catalog == db.name && o.schema.is_empty());
    assert!(only_this_db, "the configured database only");

    let customers = find(&scan, AssetType::Table, "", "customers");
    assert_eq!(customers.comment.as_deref(), Some("Customers"));
    assert_eq!(customers.technical_metadata["engine"], "InnoDB");
    assert!(customers.columns[0].is_pk && !customers.columns[0].nullable);
    assert_eq!(customers.columns[1].data_type, "varchar(50)");
    assert_eq!(customers.columns[1].comment.as_deref(), Some("Full name"));
    let orders = find(&scan, AssetType::Table, "", "orders");
    assert_eq!(orders.technical_metadata["foreign_keys"][0]["column"], "customer_id");
    assert!(
        orders.technical_metadata["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "amount_idx")
    );
    let odd = find(&scan, AssetType::Table, "", "my \"odd\" table");
    assert_eq!(
        (odd.columns[0].name.as_str(), &odd.technical_metadata["engine"]),
        ("a b", &serde_json::json!("MyISAM"))
    );
    let view = find(&scan, AssetType::View, "", "big_orders");
    assert!(
        view.definition.as_ref().unwrap().text.contains("100"),
        "{:?}",
        view.definition
    );
    assert_eq!(view.comment, None);
    let f = find(&scan, AssetType::Function, "", "add_one");
    assert!(f.definition.as_ref().unwrap().text.contains("x + 1"));
    let p = find(&scan, AssetType::Procedure, "", "touch_orders");
    assert!(p.definition.as_ref().unwrap().text.contains("UPDATE orders"));
    let t = find(&scan, AssetType::Trigger, "", "orders.orders_audit");
    assert_eq!(t.technical_metadata["event"], "INSERT");
    assert!(!scan.objects.iter().any(|o| o.name == "tmp_x"));
    db.drop_database().await;
}

#[tokio::test]
async fn mysql_wrong_password_and_restricted_user() {
    let Some(db) = ScratchDb::mysql().await else { return };
    db.execute("CREATE TABLE visible (id INT); CREATE TABLE hidden (id INT);")
        .await;
    let user = db.name.replace("torro_src", "tu");
    let user = &user[..user.len().min(32)];
    db.execute_admin(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY 'right-pass'; CREATE USER '{user}'@'localhost' IDENTIFIED BY 'right-pass'; \
         GRANT SELECT ON {0}.visible TO '{user}'@'%'; GRANT SELECT ON {0}.visible TO '{user}'@'localhost';",
        db.name
    ))
    .await;
    let e = open(&config(StorageType::Mysql, db.settings(Some(user)), Some("wrong-pass")))
        .unwrap()
        .test_connection()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("check the user and the password"), "{e}");
    assert!(!e.to_string().contains("wrong-pass"), "{e}");
    let scan = open(&config(StorageType::Mysql, db.settings(Some(user)), Some("right-pass")))
        .unwrap()
        .scan()
        .await
        .unwrap();
    let names: Vec<&str> = scan.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["visible"],
        "information_schema shows only what the user may use"
    );
    db.execute_admin(&format!("DROP USER '{user}'@'%'; DROP USER '{user}'@'localhost';"))
        .await;
    db.drop_database().await;
}

#[tokio::test]
async fn sqlite_file_with_tables_views_triggers_and_odd_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    {
        use sqlx::Connection;
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x'); \
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), amount REAL); \
             CREATE INDEX orders_amount ON orders (amount); \
             CREATE TABLE \"my \"\"odd\"\" table\" (\"a b\" TEXT); \
             CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100; \
             CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN UPDATE orders SET amount = amount; END;",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }
    let settings = DatabaseSettings {
        path: Some(path.display().to_string()),
        ..Default::default()
    };
    let source = open(&config(StorageType::Sqlite, settings, None)).unwrap();
    source.test_connection().await.unwrap();
    assert_eq!(source.namespace(), format!("sqlite://{}", path.display()));
    let scan = source.scan().await.unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let customers = find(&scan, AssetType::Table, "", "customers");
    assert_eq!(customers.catalog, "main");
    assert!(customers.columns[0].is_pk);
    assert_eq!(
        (customers.columns[1].data_type.as_str(), customers.columns[1].nullable),
        ("TEXT", false)
    );
    let orders = find(&scan, AssetType::Table, "", "orders");
    assert_eq!(
        orders.technical_metadata["foreign_keys"][0]["references"],
        "customers.id"
    );
    assert!(
        orders.technical_metadata["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "orders_amount")
    );
    assert_eq!(
        find(&scan, AssetType::Table, "", "my \"odd\" table").columns[0].name,
        "a b"
    );
    let view = find(&scan, AssetType::View, "", "big_orders");
    assert!(view.definition.as_ref().unwrap().text.contains("amount > 100"));
    assert_eq!(view.columns.len(), 2);
    find(&scan, AssetType::Trigger, "", "orders.orders_audit");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified,
        "opened read-only"
    );
}

#[tokio::test]
async fn sqlite_missing_and_damaged_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let settings = |p: &std::path::Path| DatabaseSettings {
        path: Some(p.display().to_string()),
        ..Default::default()
    };
    let e = open(&config(StorageType::Sqlite, settings(&missing), None))
        .unwrap()
        .scan()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert!(!missing.exists(), "never created");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database, just forty-odd bytes of text....").unwrap();
    let e = open(&config(StorageType::Sqlite, settings(&junk), None))
        .unwrap()
        .test_connection()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a readable SQLite database"), "{e}");
}

// Oracle: no Oracle server can run here (no image, no client library), so these tests
// provoke only what a loopback socket can: a closed port, a listener that hangs up, one
// that answers garbage and one that stays silent. Each must fail fast with a message that
// says what to check and never holds the password. The dictionary-row mapping is
// unit-tested in src/database/oracle.rs on recorded rows.

const ORACLE_PASSWORD: &str = "Tiger-Secret-42";

fn oracle_config(port: u16) -> DatabaseConfig {
    let settings = DatabaseSettings {
        jdbc_url: Some(format!("jdbc:oracle:thin:@//127.0.0.1:{port}/ORCLPDB1")),
        user: Some("scott".into()),
        ..Default::default()
    };
    config(StorageType::Oracle, settings, Some(ORACLE_PASSWORD))
}

/// A loopback listener that treats each connection with `serve` (in its own task).
async fn oracle_fake_listener<F, Fut>(serve: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket));
        }
    });
    port
}

/// `test_connection` and `scan` both fail within `bound`; their messages pass `check`.
async fn oracle_fails(source: &dyn torro_connectors::database::DatabaseSource, bound: u64, check: &str) {
    let started = std::time::Instant::now();
    let e = source.test_connection().await.unwrap_err();
    let s = source.scan().await.unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(bound),
        "took {:?}",
        started.elapsed()
    );
    for e in [e, s] {
        let text = e.to_string();
        eprintln!("{text}");
        assert!(matches!(e, DatabaseError::Connect(_)), "{text}");
        assert!(text.contains(check), "{text}");
        assert!(!text.contains(ORACLE_PASSWORD), "password leaked: {text}");
    }
}

#[tokio::test]
async fn oracle_closed_port_says_cannot_reach() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = open(&oracle_config(port)).unwrap();
    assert_eq!(source.namespace(), format!("oracle://127.0.0.1:{port}"));
    oracle_fails(source.as_ref(), 5, "cannot reach").await;
}

#[tokio::test]
async fn oracle_listener_that_hangs_up_or_answers_garbage_is_not_oracle() {
    let hang_up = oracle_fake_listener(|socket| async move { drop(socket) }).await;
    oracle_fails(open(&oracle_config(hang_up)).unwrap().as_ref(), 5, "Oracle listener").await;

    let garbage = oracle_fake_listener(|mut socket| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let _ = socket
            .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n\xff\xfe\x00\x00\x01garbage")
            .await;
    })
    .await;
    oracle_fails(
        open(&oracle_config(garbage)).unwrap().as_ref(),
        5,
        "cannot connect to oracle",
    )
    .await;
}

#[tokio::test]
async fn oracle_silent_listener_is_bounded_by_the_connect_timeout() {
    // Holds each connection open for a while without a byte: the driver's login has no
    // read timeout, so only our connect bound ends the wait.
    let silent = oracle_fake_listener(|socket| async move {
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        drop(socket);
    })
    .await;
    let source = torro_connectors::database::oracle::OracleSource::new(oracle_config(silent))
        .with_connect_timeout(std::time::Duration::from_secs(1));
    oracle_fails(&source, 4, "timed out").await;
}
