//! Database connections: their settings, JDBC URL forms, include/exclude patterns and
//! the OpenLineage namespace of their assets (DESIGN.md section 4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::location::StorageType;

/// The non-secret settings of a database connection (`config.database` of a connection).
/// Secrets (`password`, `private_key`) travel in the connection's `secrets`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `jdbc:postgresql://host:5432/db`, `jdbc:mysql://host/db`,
    /// `jdbc:oracle:thin:@//host:1521/SERVICE`, `jdbc:oracle:thin:@host:1521:SID`,
    /// `jdbc:sqlite:/path/file.db`, `jdbc:snowflake://account.snowflakecomputing.com/?db=D`.
    /// Fields given beside it win over what it says.
    #[serde(default)]
    pub jdbc_url: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    /// Database (PostgreSQL, MySQL, Snowflake).
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// SQLite: the database file.
    #[serde(default)]
    pub path: Option<String>,
    /// Snowflake account identifier (`xy12345.eu-west-1`).
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub warehouse: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// Snowflake: `http://127.0.0.1:P` for an emulator; default `https://{account}.snowflakecomputing.com`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Oracle service name (`//host:port/SERVICE`).
    #[serde(default)]
    pub service_name: Option<String>,
    /// Oracle SID (`host:port:SID`).
    #[serde(default)]
    pub sid: Option<String>,
    /// Schemas to scan (glob patterns, `*` and `?`, case-insensitive); empty = all but system schemas.
    #[serde(default, alias = "schema_filter")]
    pub include_schemas: Vec<String>,
    #[serde(default)]
    pub exclude_schemas: Vec<String>,
    /// Tables (and views, routines) to scan, by name or `schema.name`; empty = all.
    #[serde(default)]
    pub include_tables: Vec<String>,
    #[serde(default)]
    pub exclude_tables: Vec<String>,
    /// Seconds one metadata statement may run (default 60).
    #[serde(default)]
    pub statement_timeout_secs: Option<u64>,
}

/// A database connection resolved for a connector: kind, settings with the JDBC URL
/// folded in, and decrypted secrets (held in memory only; `Debug` hides them).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub kind: StorageType,
    pub settings: DatabaseSettings,
    pub secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("kind", &self.kind)
            .field("settings", &self.settings)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why database settings cannot be used; `field` names the setting to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    pub field: String,
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        field: field.to_string(),
        message: message.into(),
    }
}

impl DatabaseConfig {
    /// Folds the JDBC URL (if any) into the settings, fills default ports and checks that
    /// what the kind needs is there.
    pub fn resolve(
        kind: StorageType,
        settings: &DatabaseSettings,
        secrets: &BTreeMap<String, String>,
    ) -> Result<DatabaseConfig, SettingsError> {
        if !kind.is_database() {
            return Err(bad("connector_type", format!("{kind} is not a database")));
        }
        let mut s = match &settings.jdbc_url {
            Some(url) => {
                let (url_kind, parsed) = parse_jdbc_url(url)?;
                if url_kind != kind {
                    return Err(bad(
                        "config.database.jdbc_url",
                        format!("this is a {url_kind} URL, but the connection is {kind}"),
                    ));
                }
                merge(parsed, settings)
            }
            None => settings.clone(),
        };
        if s.port.is_none() {
            s.port = default_port(kind);
        }
        let need = |v: &Option<String>, field: &str, what: &str| {
            if v.as_deref().is_none_or(|v| v.trim().is_empty()) {
                Err(bad(field, format!("a {kind} connection needs {what}")))
            } else {
                Ok(())
            }
        };
        match kind {
            StorageType::Sqlite => need(&s.path, "config.database.path", "the database file's path")?,
            StorageType::Snowflake => {
                need(&s.account, "config.database.account", "the account identifier")?;
                need(&s.user, "config.database.user", "a user")?;
            }
            StorageType::Oracle => {
                need(&s.host, "config.database.host", "a host (or jdbc_url)")?;
                if s.service_name.is_none() && s.sid.is_none() {
                    return Err(bad(
                        "config.database.service_name",
                        "an oracle connection needs service_name or sid (or a jdbc_url with one)",
                    ));
                }
                need(&s.user, "config.database.user", "a user")?;
            }
            _ => {
                need(&s.host, "config.database.host", "a host (or jdbc_url)")?;
                need(&s.user, "config.database.user", "a user")?;
                if kind == StorageType::Postgres {
                    need(&s.database, "config.database.database", "a database name")?;
                }
            }
        }
        for (field, patterns) in [
            ("include_schemas", &s.include_schemas),
            ("exclude_schemas", &s.exclude_schemas),
            ("include_tables", &s.include_tables),
            ("exclude_tables", &s.exclude_tables),
        ] {
            if patterns.iter().any(|p| p.trim().is_empty()) {
                return Err(bad(&format!("config.database.{field}"), "a pattern must not be empty"));
            }
        }
        Ok(DatabaseConfig {
            kind,
            settings: s,
            secrets: secrets.clone(),
        })
    }

    pub fn password(&self) -> Option<&str> {
        self.secrets.get("password").map(String::as_str)
    }

    /// `host:port`, or the Snowflake account, or the SQLite file: what the namespace names.
    pub fn authority(&self) -> String {
        let s = &self.settings;
        match self.kind {
            StorageType::Sqlite => s.path.clone().unwrap_or_default(),
            StorageType::Snowflake => s.account.clone().unwrap_or_default(),
            _ => format!(
                "{}:{}",
                s.host.as_deref().unwrap_or_default(),
                s.port.unwrap_or_default()
            ),
        }
    }

    /// The OpenLineage namespace of this connection's assets (DESIGN.md section 4).
    pub fn namespace(&self) -> String {
        format!("{}://{}", self.kind.as_str(), self.authority())
    }

    /// The schema/table filter these settings describe.
    pub fn filter(&self) -> NameFilter {
        NameFilter {
            include_schemas: self.settings.include_schemas.clone(),
            exclude_schemas: self.settings.exclude_schemas.clone(),
            include_tables: self.settings.include_tables.clone(),
            exclude_tables: self.settings.exclude_tables.clone(),
        }
    }

    pub fn statement_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.settings.statement_timeout_secs.unwrap_or(60).clamp(1, 3600))
    }
}

pub fn default_port(kind: StorageType) -> Option<u16> {
    match kind {
        StorageType::Postgres => Some(5432),
        StorageType::Mysql => Some(3306),
        StorageType::Oracle => Some(1521),
        _ => None,
    }
}

/// `parsed` with every setting given in `given` laid over it.
fn merge(parsed: DatabaseSettings, given: &DatabaseSettings) -> DatabaseSettings {
    let pick = |g: &Option<String>, p: Option<String>| g.clone().or(p);
    DatabaseSettings {
        jdbc_url: given.jdbc_url.clone(),
        host: pick(&given.host, parsed.host),
        port: given.port.or(parsed.port),
        database: pick(&given.database, parsed.database),
        user: pick(&given.user, parsed.user),
        path: pick(&given.path, parsed.path),
        account: pick(&given.account, parsed.account),
        warehouse: pick(&given.warehouse, parsed.warehouse),
        role: pick(&given.role, parsed.role),
        endpoint: given.endpoint.clone(),
        service_name: pick(&given.service_name, parsed.service_name),
        sid: pick(&given.sid, parsed.sid),
        ..given.clone()
    }
}

/// Reads a JDBC URL into settings: the kind it names and host, port, database, service
/// name or SID, user. Hand-written: no crate parses JDBC's per-vendor forms, and
/// `url::Url` rejects Oracle's `@host:port:SID` shape.
pub fn parse_jdbc_url(url: &str) -> Result<(StorageType, DatabaseSettings), SettingsError> {
    const FIELD: &str = "config.database.jdbc_url";
    let url = url.trim();
    // Errors quote only the scheme: the rest may hold credentials.
    let shown = url.split("//").next().unwrap_or_default();
    let rest = url
        .strip_prefix("jdbc:")
        .ok_or_else(|| bad(FIELD, format!("{shown:?}... does not start with jdbc:")))?;
    let mut s = DatabaseSettings::default();
    if let Some(r) = rest.strip_prefix("oracle:thin:") {
        let r = r.strip_prefix('@').unwrap_or(r);
        // Optional user before the @: user@... (user/password@ is refused: see `no_password`).
        let r = match r.split_once('@') {
            Some((creds, tail)) if !creds.starts_with("//") => {
                let (user, password) = creds.split_once('/').unwrap_or((creds, ""));
                no_password(!password.is_empty())?;
                s.user = Some(user).filter(|u| !u.is_empty()).map(String::from);
                tail
            }
            _ => r,
        };
        if r.starts_with('(') {
            return Err(bad(
                FIELD,
                "TNS descriptors (DESCRIPTION=...) are not supported; use //host:port/service or host:port:SID",
            ));
        }
        if let Some(r) = r.strip_prefix("//") {
            let (hostport, service) = r
                .split_once('/')
                .ok_or_else(|| bad(FIELD, "expected jdbc:oracle:thin:@//host[:port]/service"))?;
            let (host, port) = host_port(hostport)?;
            s.host = Some(host);
            s.port = port;
            let service = service.split(['?', ':']).next().unwrap_or_default();
            if service.is_empty() {
                return Err(bad(FIELD, "the service name after the / is missing"));
            }
            s.service_name = Some(service.to_string());
        } else {
            let parts: Vec<&str> = r.split(':').collect();
            match parts.as_slice() {
                [host, port, sid] if !host.is_empty() && !sid.is_empty() => {
                    s.host = Some(host.to_string());
                    s.port = Some(parse_port(port)?);
                    s.sid = Some(sid.to_string());
                }
                [host, sid] if !host.is_empty() && !sid.is_empty() => {
                    s.host = Some(host.to_string());
                    s.sid = Some(sid.to_string());
                }
                _ => {
                    return Err(bad(
                        FIELD,
                        "expected jdbc:oracle:thin:@host:port:SID or @//host:port/service",
                    ));
                }
            }
        }
        return Ok((StorageType::Oracle, s));
    }
    if let Some(path) = rest.strip_prefix("sqlite:") {
        if path.is_empty() {
            return Err(bad(FIELD, "expected jdbc:sqlite:/path/to/file.db"));
        }
        s.path = Some(path.to_string());
        return Ok((StorageType::Sqlite, s));
    }
    let (kind, r) = if let Some(r) = rest.strip_prefix("postgresql://") {
        (StorageType::Postgres, r)
    } else if let Some(r) = rest
        .strip_prefix("mysql://")
        .or_else(|| rest.strip_prefix("mariadb://"))
    {
        (StorageType::Mysql, r)
    } else if let Some(r) = rest.strip_prefix("snowflake://") {
        (StorageType::Snowflake, r)
    } else {
        return Err(bad(
            FIELD,
            format!(
                "unsupported JDBC URL {shown:?}...; expected jdbc:postgresql:, jdbc:mysql:, jdbc:mariadb:, jdbc:oracle:thin:, jdbc:sqlite: or jdbc:snowflake:"
            ),
        ));
    };
    let (authority_path, query) = r.split_once('?').unwrap_or((r, ""));
    let (authority, path) = authority_path.split_once('/').unwrap_or((authority_path, ""));
    let (host, port) = host_port(authority)?;
    let params: Vec<(&str, &str)> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    let userinfo = authority.rsplit_once('@').map_or("", |(u, _)| u);
    no_password(
        userinfo.contains(':')
            || params
                .iter()
                .any(|(k, _)| ["password", "pwd", "passwd"].iter().any(|n| k.eq_ignore_ascii_case(n))),
    )?;
    let param = |names: &[&str]| {
        params
            .iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .map(|(_, v)| v.to_string())
    };
    let path = path.trim_matches('/');
    s.database = if path.is_empty() {
        param(&["db", "database"])
    } else {
        Some(path.to_string())
    };
    s.user = param(&["user", "username"]);
    if kind == StorageType::Snowflake {
        s.account = Some(
            host.strip_suffix(".snowflakecomputing.com")
                .unwrap_or(&host)
                .to_string(),
        );
        s.warehouse = param(&["warehouse"]);
        s.role = param(&["role"]);
    } else {
        s.host = Some(host);
        s.port = port;
    }
    Ok((kind, s))
}

/// A JDBC URL is a plain setting: stored as is and shown by the API and CLI. A password
/// in it would leak, so it is refused with a pointer to the encrypted secret instead.
fn no_password(found: bool) -> Result<(), SettingsError> {
    if found {
        return Err(bad(
            "config.database.jdbc_url",
            "the URL holds a password; remove it and give it as the secret \"password\" (secrets are encrypted, settings are not)",
        ));
    }
    Ok(())
}

fn parse_port(p: &str) -> Result<u16, SettingsError> {
    p.parse().map_err(|_| {
        bad(
            "config.database.jdbc_url",
            format!("port {p:?} is not a number from 1 to 65535"),
        )
    })
}

fn host_port(authority: &str) -> Result<(String, Option<u16>), SettingsError> {
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(parse_port(p)?)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(bad("config.database.jdbc_url", "the host is missing"));
    }
    Ok((host.to_string(), port))
}

/// Include/exclude glob patterns (`*`, `?`, case-insensitive) for schemas and objects.
/// A table pattern with a dot matches `schema.name`, without one just the name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameFilter {
    pub include_schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub include_tables: Vec<String>,
    pub exclude_tables: Vec<String>,
}

impl NameFilter {
    pub fn schema(&self, schema: &str) -> bool {
        (self.include_schemas.is_empty() || self.include_schemas.iter().any(|p| glob(p, schema)))
            && !self.exclude_schemas.iter().any(|p| glob(p, schema))
    }

    pub fn object(&self, schema: &str, name: &str) -> bool {
        let hit = |p: &String| {
            if p.contains('.') {
                glob(p, &format!("{schema}.{name}"))
            } else {
                glob(p, name)
            }
        };
        self.schema(schema)
            && (self.include_tables.is_empty() || self.include_tables.iter().any(hit))
            && !self.exclude_tables.iter().any(hit)
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new_case_insensitive(pattern.trim()).matches(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jdbc(url: &str) -> (StorageType, DatabaseSettings) {
        parse_jdbc_url(url).unwrap()
    }

    #[test]
    fn oracle_service_sid_and_credentials_forms() {
        let (k, s) = jdbc("jdbc:oracle:thin:@//db.example.com:1521/ORCLPDB1");
        assert_eq!(k, StorageType::Oracle);
        assert_eq!(
            (s.host.as_deref(), s.port, s.service_name.as_deref(), s.sid),
            (Some("db.example.com"), Some(1521), Some("ORCLPDB1"), None)
        );
        let (_, s) = jdbc("jdbc:oracle:thin:@db:1522:ORCL");
        assert_eq!(
            (s.host.as_deref(), s.port, s.sid.as_deref()),
            (Some("db"), Some(1522), Some("ORCL"))
        );
        let (_, s) = jdbc("jdbc:oracle:thin:scott@//h/SVC");
        assert_eq!(
            (s.user.as_deref(), s.port, s.service_name.as_deref()),
            (Some("scott"), None, Some("SVC"))
        );
        for bad in [
            "jdbc:oracle:thin:@//h:1521/",
            "jdbc:oracle:thin:@h:x:ORCL",
            "jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(HOST=h)))",
            "jdbc:oracle:thin:@",
        ] {
            let e = parse_jdbc_url(bad).unwrap_err();
            assert_eq!(e.field, "config.database.jdbc_url", "{bad}");
        }
    }

    #[test]
    fn passwords_in_urls_are_refused_without_being_quoted() {
        for url in [
            "jdbc:oracle:thin:scott/tiger@//h/SVC",
            "jdbc:oracle:thin:scott/tiger@h:1521:ORCL",
            "jdbc:postgresql://ana:tiger@pg.local/sales",
            "jdbc:mysql://h:3306/shop?user=ana&password=tiger",
            "jdbc:mariadb://h/shop?PWD=tiger",
            "jdbc:snowflake://acct.snowflakecomputing.com/?user=ana&passwd=tiger",
        ] {
            let e = parse_jdbc_url(url).unwrap_err();
            assert_eq!(e.field, "config.database.jdbc_url", "{url}");
            assert!(e.to_string().contains("secret \"password\""), "{e}");
            assert!(!e.to_string().contains("tiger"), "{e}");
        }
        assert_eq!(
            jdbc("jdbc:postgresql://ana@pg.local/sales").1.host.as_deref(),
            Some("pg.local")
        );
    }

    #[test]
    fn postgres_mysql_sqlite_snowflake_forms() {
        let (k, s) = jdbc("jdbc:postgresql://pg.local/sales?user=ana");
        assert_eq!(k, StorageType::Postgres);
        assert_eq!(
            (s.host.as_deref(), s.port, s.database.as_deref()),
            (Some("pg.local"), None, Some("sales"))
        );
        assert_eq!(s.user.as_deref(), Some("ana"));
        let (k, s) = jdbc("jdbc:mysql://127.0.0.1:3307/shop");
        assert_eq!(
            (k, s.port, s.database.as_deref()),
            (StorageType::Mysql, Some(3307), Some("shop"))
        );
        assert_eq!(jdbc("jdbc:mariadb://h/x").0, StorageType::Mysql);
        assert_eq!(jdbc("jdbc:sqlite:/tmp/a.db").1.path.as_deref(), Some("/tmp/a.db"));
        let (k, s) = jdbc("jdbc:snowflake://xy123.snowflakecomputing.com/?db=DB1&warehouse=WH&role=R");
        assert_eq!(k, StorageType::Snowflake);
        assert_eq!(
            (
                s.account.as_deref(),
                s.database.as_deref(),
                s.warehouse.as_deref(),
                s.role.as_deref()
            ),
            (Some("xy123"), Some("DB1"), Some("WH"), Some("R"))
        );
        assert!(parse_jdbc_url("postgresql://h/db").is_err());
        assert!(
            parse_jdbc_url("jdbc:db2://h/db")
                .unwrap_err()
                .message
                .contains("unsupported")
        );
        assert!(parse_jdbc_url("jdbc:postgresql://:5432/db").is_err());
    }

    #[test]
    fn resolve_fills_ports_checks_kind_and_names_missing_fields() {
        let settings = DatabaseSettings {
            jdbc_url: Some("jdbc:postgresql://h/db".into()),
            user: Some("u".into()),
            ..Default::default()
        };
        let c = DatabaseConfig::resolve(StorageType::Postgres, &settings, &BTreeMap::new()).unwrap();
        assert_eq!(c.namespace(), "postgres://h:5432");
        let e = DatabaseConfig::resolve(StorageType::Mysql, &settings, &BTreeMap::new()).unwrap_err();
        assert!(e.message.contains("postgres URL"), "{e}");
        let e =
            DatabaseConfig::resolve(StorageType::Postgres, &DatabaseSettings::default(), &BTreeMap::new()).unwrap_err();
        assert_eq!(e.field, "config.database.host");
        let oracle = DatabaseSettings {
            host: Some("h".into()),
            user: Some("u".into()),
            ..Default::default()
        };
        let e = DatabaseConfig::resolve(StorageType::Oracle, &oracle, &BTreeMap::new()).unwrap_err();
        assert_eq!(e.field, "config.database.service_name");
    }

    #[test]
    fn filters_include_exclude_schemas_and_tables() {
        let f = NameFilter {
            include_schemas: vec!["sales*".into(), "HR".into()],
            exclude_schemas: vec!["sales_old".into()],
            include_tables: vec![],
            exclude_tables: vec!["tmp_*".into(), "hr.secret".into()],
        };
        assert!(f.schema("sales") && f.schema("sales_eu") && f.schema("hr"));
        assert!(!f.schema("sales_old") && !f.schema("public"));
        assert!(f.object("sales", "orders"));
        assert!(!f.object("sales", "TMP_x"));
        assert!(!f.object("hr", "secret") && f.object("sales", "secret"));
        assert!(NameFilter::default().object("any", "thing"));
    }
}
