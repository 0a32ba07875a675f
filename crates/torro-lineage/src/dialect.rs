//! The SQL dialects the analyser understands, by the names users type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlparser::dialect::{
    AnsiDialect, BigQueryDialect, DatabricksDialect, Dialect, DuckDbDialect, GenericDialect, HiveDialect, MsSqlDialect,
    MySqlDialect, OracleDialect, PostgreSqlDialect, RedshiftSqlDialect, SQLiteDialect, SnowflakeDialect,
    SparkSqlDialect,
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlDialect {
    #[default]
    Generic,
    Ansi,
    Postgres,
    MySql,
    MsSql,
    Oracle,
    Snowflake,
    BigQuery,
    Hive,
    Spark,
    Databricks,
    Redshift,
    Sqlite,
    DuckDb,
}

impl SqlDialect {
    pub const ALL: [SqlDialect; 14] = [
        Self::Generic,
        Self::Ansi,
        Self::Postgres,
        Self::MySql,
        Self::MsSql,
        Self::Oracle,
        Self::Snowflake,
        Self::BigQuery,
        Self::Hive,
        Self::Spark,
        Self::Databricks,
        Self::Redshift,
        Self::Sqlite,
        Self::DuckDb,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Ansi => "ansi",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
            Self::MsSql => "mssql",
            Self::Oracle => "oracle",
            Self::Snowflake => "snowflake",
            Self::BigQuery => "bigquery",
            Self::Hive => "hive",
            Self::Spark => "spark",
            Self::Databricks => "databricks",
            Self::Redshift => "redshift",
            Self::Sqlite => "sqlite",
            Self::DuckDb => "duckdb",
        }
    }

    /// The names accepted by [`FromStr`], for help texts and error messages.
    pub fn names() -> String {
        Self::ALL.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
    }

    pub(crate) fn parser_dialect(self) -> Box<dyn Dialect> {
        match self {
            Self::Generic => Box::new(GenericDialect {}),
            Self::Ansi => Box::new(AnsiDialect {}),
            Self::Postgres => Box::new(PostgreSqlDialect {}),
            Self::MySql => Box::new(MySqlDialect {}),
            Self::MsSql => Box::new(MsSqlDialect {}),
            Self::Oracle => Box::new(OracleDialect {}),
            Self::Snowflake => Box::new(SnowflakeDialect {}),
            Self::BigQuery => Box::new(BigQueryDialect {}),
            Self::Hive => Box::new(HiveDialect {}),
            Self::Spark => Box::new(SparkSqlDialect {}),
            Self::Databricks => Box::new(DatabricksDialect {}),
            Self::Redshift => Box::new(RedshiftSqlDialect {}),
            Self::Sqlite => Box::new(SQLiteDialect {}),
            Self::DuckDb => Box::new(DuckDbDialect {}),
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown SQL dialect {0:?}; expected one of: {names}", names = SqlDialect::names())]
pub struct UnknownDialect(pub String);

impl FromStr for SqlDialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        Ok(match lower.as_str() {
            "generic" | "" => Self::Generic,
            "ansi" | "sql" | "standard" => Self::Ansi,
            "postgres" | "postgresql" | "pg" | "plpgsql" => Self::Postgres,
            "mysql" | "mariadb" => Self::MySql,
            "mssql" | "tsql" | "sqlserver" | "azuresql" | "synapse" | "fabric" => Self::MsSql,
            "oracle" | "plsql" => Self::Oracle,
            "snowflake" => Self::Snowflake,
            "bigquery" | "bq" => Self::BigQuery,
            "hive" | "hiveql" => Self::Hive,
            "spark" | "sparksql" => Self::Spark,
            "databricks" => Self::Databricks,
            "redshift" => Self::Redshift,
            "sqlite" | "sqlite3" => Self::Sqlite,
            "duckdb" => Self::DuckDb,
            _ => return Err(UnknownDialect(s.to_string())),
        })
    }
}
