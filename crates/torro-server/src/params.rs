//! Query-string parameters: taken as text, then validated here so every message
//! names the parameter and says what would be accepted.

use serde::Deserialize;
use torro_model::{ApprovalStatus, DiscoveryQuery, FileFormat, FileStatus, SortField, SortOrder, StorageType};
use utoipa::IntoParams;

use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 100;
const MAX_SEARCH_CHARS: usize = 200;

/// Filters, paging and sorting of `GET /api/discovery`. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscoveryListParams {
    /// 0-based page number; default 0.
    #[param(value_type = Option<u32>, minimum = 0)]
    pub page: Option<String>,
    /// Page size, 1..=100; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// A file status (active, error, deleted) or an approval status (pending, approved,
    /// rejected, published, archived); the two sets are disjoint.
    pub status: Option<String>,
    /// pending, approved, rejected, published or archived.
    pub approval_status: Option<String>,
    /// Exact environment label, e.g. "production".
    pub environment: Option<String>,
    /// Exact data source type label, e.g. "finance".
    pub data_source_type: Option<String>,
    /// csv, tsv, json, ndjson, parquet or avro.
    pub format: Option<String>,
    /// Storage type: local, s3, azure_blob or gcs (alias: storage_type).
    #[serde(alias = "storage_type")]
    pub storage: Option<String>,
    /// Full-text search over file name, path and column names.
    pub search: Option<String>,
    /// last_changed (default), first_seen, last_seen, name, path, size or id.
    pub sort: Option<String>,
    /// asc or desc (default).
    pub order: Option<String>,
    /// Include deleted files (default false; implied by status=deleted).
    #[param(value_type = Option<bool>)]
    pub include_deleted: Option<String>,
}

/// Paging of list endpoints other than the discovery list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 0-based page number; default 0.
    #[param(value_type = Option<u32>, minimum = 0)]
    pub page: Option<String>,
    /// Page size, 1..=100; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
}

impl PageParams {
    /// (page, size), validated.
    pub fn validate(&self) -> Result<(u32, u32), ApiError> {
        Ok((parse_page(self.page.as_deref())?, parse_size(self.size.as_deref())?))
    }
}

/// Paging and filters of `GET /api/scans`. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanListParams {
    /// 0-based page number; default 0.
    #[param(value_type = Option<u32>, minimum = 0)]
    pub page: Option<String>,
    /// Page size, 1..=100; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// queued, running, succeeded, failed or cancelled.
    pub status: Option<String>,
    /// Runs of this connection id only.
    #[param(value_type = Option<i64>)]
    pub connection: Option<String>,
}

impl ScanListParams {
    pub fn validate(&self) -> Result<torro_catalog::ScanRunFilter, ApiError> {
        let status = present(self.status.as_deref())
            .map(|s| s.parse::<torro_model::ScanStatus>())
            .transpose()
            .map_err(|_| {
                ApiError::invalid("status must be one of queued, running, succeeded, failed, cancelled".to_string())
            })?;
        let connection_id = present(self.connection.as_deref())
            .map(|c| c.parse::<i64>())
            .transpose()
            .map_err(|_| ApiError::invalid("connection must be a connection id (an integer)".to_string()))?;
        Ok(torro_catalog::ScanRunFilter {
            status,
            connection_id,
            page: parse_page(self.page.as_deref())?,
            size: parse_size(self.size.as_deref())?,
        })
    }
}

/// Paging and search of `GET /api/datasets`. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatasetListParams {
    /// 0-based page number; default 0.
    #[param(value_type = Option<u32>, minimum = 0)]
    pub page: Option<String>,
    /// Page size, 1..=100; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// Datasets with a file whose name, path or column names match (as in the discovery search).
    pub search: Option<String>,
}

impl DatasetListParams {
    /// (page, size, search), validated.
    pub fn validate(&self) -> Result<(u32, u32, Option<String>), ApiError> {
        let search = match present(self.search.as_deref()) {
            Some(s) if s.chars().count() > MAX_SEARCH_CHARS => {
                return Err(ApiError::invalid(format!(
                    "search must be at most {MAX_SEARCH_CHARS} characters, got {}",
                    s.chars().count()
                )));
            }
            s => s.map(String::from),
        };
        Ok((
            parse_page(self.page.as_deref())?,
            parse_size(self.size.as_deref())?,
            search,
        ))
    }
}

fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

pub fn parse_page(raw: Option<&str>) -> Result<u32, ApiError> {
    match present(raw) {
        None => Ok(0),
        Some(s) => s
            .parse::<u32>()
            .map_err(|_| ApiError::invalid(format!("page must be a non-negative integer, got {s:?}"))),
    }
}

pub fn parse_size(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(s) = present(raw) else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    match s.parse::<i64>() {
        Ok(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => Ok(n as u32),
        Ok(n) => Err(ApiError::invalid(format!(
            "size must be between 1 and {MAX_PAGE_SIZE}, got {n}"
        ))),
        Err(_) => Err(ApiError::invalid(format!(
            "size must be an integer between 1 and {MAX_PAGE_SIZE}, got {s:?}"
        ))),
    }
}

fn unknown(field: &str, got: &str, expected: &[&str]) -> ApiError {
    ApiError::invalid(format!(
        "unknown {field} {got:?}; expected one of {}",
        expected.join(", ")
    ))
}

fn parse_approval(field: &str, s: &str) -> Result<ApprovalStatus, ApiError> {
    s.parse::<ApprovalStatus>().map_err(|_| {
        let expected: Vec<_> = ApprovalStatus::ALL.iter().map(|a| a.as_str()).collect();
        unknown(field, s, &expected)
    })
}

fn parse_bool(field: &str, raw: Option<&str>) -> Result<bool, ApiError> {
    match present(raw).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(_) => Err(ApiError::invalid(format!(
            "{field} must be true or false, got {:?}",
            raw.unwrap_or_default()
        ))),
    }
}

impl DiscoveryListParams {
    /// The store query these parameters ask for, or a 400 naming the first bad parameter.
    pub fn to_query(&self) -> Result<DiscoveryQuery, ApiError> {
        let mut query = DiscoveryQuery {
            page: parse_page(self.page.as_deref())?,
            size: parse_size(self.size.as_deref())?,
            include_deleted: parse_bool("include_deleted", self.include_deleted.as_deref())?,
            ..DiscoveryQuery::default()
        };

        if let Some(s) = present(self.approval_status.as_deref()) {
            query.approval_status = Some(parse_approval("approval_status", s)?);
        }
        if let Some(s) = present(self.status.as_deref()) {
            if let Ok(file_status) = s.parse::<FileStatus>() {
                query.status = Some(file_status);
            } else if let Ok(approval) = s.parse::<ApprovalStatus>() {
                if query.approval_status.is_some_and(|a| a != approval) {
                    return Err(ApiError::invalid(format!(
                        "status {s:?} and approval_status {:?} disagree; give only one of them",
                        self.approval_status.as_deref().unwrap_or_default().trim()
                    )));
                }
                query.approval_status = Some(approval);
            } else {
                let expected: Vec<_> = FileStatus::ALL
                    .iter()
                    .map(|f| f.as_str())
                    .chain(ApprovalStatus::ALL.iter().map(|a| a.as_str()))
                    .collect();
                return Err(unknown("status", s, &expected));
            }
        }
        query.environment = present(self.environment.as_deref()).map(String::from);
        query.data_source_type = present(self.data_source_type.as_deref()).map(String::from);
        if let Some(s) = present(self.format.as_deref()) {
            query.format = Some(s.parse::<FileFormat>().map_err(ApiError::invalid)?);
        }
        if let Some(s) = present(self.storage.as_deref()) {
            let expected: Vec<_> = StorageType::ALL.iter().map(|t| t.as_str()).collect();
            query.storage_type = Some(s.parse::<StorageType>().map_err(|_| unknown("storage", s, &expected))?);
        }
        if let Some(s) = present(self.search.as_deref()) {
            let chars = s.chars().count();
            if chars > MAX_SEARCH_CHARS {
                return Err(ApiError::invalid(format!(
                    "search must be at most {MAX_SEARCH_CHARS} characters, got {chars}"
                )));
            }
            query.search = Some(s.to_string());
        }
        if let Some(s) = present(self.sort.as_deref()) {
            query.sort = SortField::ALL
                .iter()
                .find(|(name, _)| *name == s)
                .map(|(_, f)| *f)
                .ok_or_else(|| {
                    let expected: Vec<_> = SortField::ALL.iter().map(|(name, _)| *name).collect();
                    unknown("sort", s, &expected)
                })?;
        }
        if let Some(s) = present(self.order.as_deref()) {
            query.order = match s.to_ascii_lowercase().as_str() {
                "asc" => SortOrder::Asc,
                "desc" => SortOrder::Desc,
                _ => return Err(unknown("order", s, &["asc", "desc"])),
            };
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<DiscoveryQuery, String> {
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let p: DiscoveryListParams = serde_urlencoded_from(&text);
        p.to_query().map_err(|e| e.message().to_string())
    }

    fn serde_urlencoded_from(text: &str) -> DiscoveryListParams {
        let uri: axum::http::Uri = format!("/x?{}", text.replace(' ', "%20")).parse().unwrap();
        axum::extract::Query::<DiscoveryListParams>::try_from_uri(&uri)
            .unwrap()
            .0
    }

    #[test]
    fn defaults_match_the_store_defaults() {
        assert_eq!(params(&[]).unwrap(), DiscoveryQuery::default());
        assert_eq!(
            params(&[("page", ""), ("status", " ")]).unwrap(),
            DiscoveryQuery::default()
        );
    }

    #[test]
    fn status_maps_to_the_right_field() {
        let q = params(&[("status", "deleted")]).unwrap();
        assert_eq!((q.status, q.approval_status), (Some(FileStatus::Deleted), None));
        let q = params(&[("status", "approved")]).unwrap();
        assert_eq!((q.status, q.approval_status), (None, Some(ApprovalStatus::Approved)));
        let q = params(&[("status", "error"), ("approval_status", "pending")]).unwrap();
        assert_eq!(
            (q.status, q.approval_status),
            (Some(FileStatus::Error), Some(ApprovalStatus::Pending))
        );
        let err = params(&[("status", "pending"), ("approval_status", "approved")]).unwrap_err();
        assert!(err.contains("disagree"), "{err}");
    }

    #[test]
    fn every_parameter_parses() {
        let q = params(&[
            ("page", "3"),
            ("size", "100"),
            ("environment", "production"),
            ("data_source_type", "finance"),
            ("format", "parquet"),
            ("storage", "azure_blob"),
            ("search", " orders "),
            ("sort", "size"),
            ("order", "asc"),
            ("include_deleted", "true"),
        ])
        .unwrap();
        assert_eq!((q.page, q.size), (3, 100));
        assert_eq!(q.environment.as_deref(), Some("production"));
        assert_eq!(q.data_source_type.as_deref(), Some("finance"));
        assert_eq!(q.format, Some(FileFormat::Parquet));
        assert_eq!(q.storage_type, Some(StorageType::AzureBlob));
        assert_eq!(q.search.as_deref(), Some("orders"));
        assert_eq!((q.sort, q.order), (SortField::Size, SortOrder::Asc));
        assert!(q.include_deleted);
        assert_eq!(
            params(&[("storage_type", "s3")]).unwrap().storage_type,
            Some(StorageType::S3)
        );
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let cases = [
            (("page", "-1"), "page must be a non-negative integer, got \"-1\""),
            (("page", "abc"), "page must be a non-negative integer, got \"abc\""),
            (("size", "1000"), "size must be between 1 and 100, got 1000"),
            (("size", "0"), "size must be between 1 and 100, got 0"),
            (("size", "x"), "size must be an integer between 1 and 100, got \"x\""),
            (
                ("status", "done"),
                "unknown status \"done\"; expected one of active, error, deleted, pending",
            ),
            (("approval_status", "active"), "unknown approval_status \"active\""),
            (("format", "xlsx"), "unknown format \"xlsx\""),
            (
                ("storage", "ftp"),
                "unknown storage \"ftp\"; expected one of local, s3, azure_blob, gcs",
            ),
            (
                ("sort", "bogus"),
                "unknown sort \"bogus\"; expected one of last_changed, first_seen",
            ),
            (("order", "up"), "unknown order \"up\"; expected one of asc, desc"),
            (
                ("include_deleted", "maybe"),
                "include_deleted must be true or false, got \"maybe\"",
            ),
        ];
        for ((key, value), expected) in cases {
            let err = params(&[(key, value)]).unwrap_err();
            assert!(err.starts_with(expected), "{key}={value}: {err}");
        }
        let long = "x".repeat(201);
        assert!(
            params(&[("search", &long)])
                .unwrap_err()
                .starts_with("search must be at most 200")
        );
    }

    #[test]
    fn page_params_validate() {
        let p = PageParams {
            page: Some("2".into()),
            size: None,
        };
        assert_eq!(p.validate().unwrap(), (2, DEFAULT_PAGE_SIZE));
        let p = PageParams {
            page: None,
            size: Some("101".into()),
        };
        assert!(p.validate().is_err());
    }
}
