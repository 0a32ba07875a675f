//! File formats Torro recognises, and how a file name maps to one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Tsv,
    /// A JSON document whose top level is an array of records (or one object).
    Json,
    /// Newline-delimited JSON: one record per line.
    Ndjson,
    Parquet,
    Avro,
}

impl FileFormat {
    pub const ALL: [FileFormat; 6] = [
        FileFormat::Csv,
        FileFormat::Tsv,
        FileFormat::Json,
        FileFormat::Ndjson,
        FileFormat::Parquet,
        FileFormat::Avro,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Tsv => "tsv",
            FileFormat::Json => "json",
            FileFormat::Ndjson => "ndjson",
            FileFormat::Parquet => "parquet",
            FileFormat::Avro => "avro",
        }
    }

    /// The format a file name announces, and whether it is gzip-compressed
    /// (`orders.csv.gz`). `None` for names Torro does not read.
    pub fn from_file_name(name: &str) -> Option<(FileFormat, bool)> {
        let lower = name.to_ascii_lowercase();
        let (stem, gzip) = match lower.strip_suffix(".gz") {
            Some(stem) => (stem, true),
            None => (lower.as_str(), false),
        };
        let ext = stem.rsplit_once('.')?.1;
        let format = match ext {
            "csv" => FileFormat::Csv,
            "tsv" | "tab" => FileFormat::Tsv,
            "json" => FileFormat::Json,
            "ndjson" | "jsonl" => FileFormat::Ndjson,
            "parquet" | "parq" if !gzip => FileFormat::Parquet,
            "avro" if !gzip => FileFormat::Avro,
            _ => return None,
        };
        Some((format, gzip))
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FileFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let known: Vec<_> = FileFormat::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown format {s:?}; expected one of {}", known.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_map_to_formats() {
        assert_eq!(
            FileFormat::from_file_name("a/b/Orders.CSV"),
            Some((FileFormat::Csv, false))
        );
        assert_eq!(FileFormat::from_file_name("x.csv.gz"), Some((FileFormat::Csv, true)));
        assert_eq!(FileFormat::from_file_name("x.tsv"), Some((FileFormat::Tsv, false)));
        assert_eq!(FileFormat::from_file_name("x.jsonl"), Some((FileFormat::Ndjson, false)));
        assert_eq!(
            FileFormat::from_file_name("part-0.parquet"),
            Some((FileFormat::Parquet, false))
        );
        assert_eq!(FileFormat::from_file_name("x.avro"), Some((FileFormat::Avro, false)));
        assert_eq!(FileFormat::from_file_name("x.parquet.gz"), None);
        assert_eq!(FileFormat::from_file_name("README"), None);
        assert_eq!(FileFormat::from_file_name("notes.txt"), None);
    }

    #[test]
    fn formats_parse_from_their_names() {
        for f in FileFormat::ALL {
            assert_eq!(f.as_str().parse::<FileFormat>(), Ok(f));
        }
        assert!("xlsx".parse::<FileFormat>().unwrap_err().contains("expected one of"));
    }
}
