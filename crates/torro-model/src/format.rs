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
    /// Excel workbooks: `.xlsx` (Office Open XML) and `.xls` (BIFF).
    Excel,
    /// Apache ORC.
    Orc,
    /// A Delta Lake table (a folder with a `_delta_log/`); never announced by a file name.
    Delta,
    /// An Apache Iceberg table (a folder with `metadata/*.metadata.json`); never announced by a file name.
    Iceberg,
}

/// How a text file is compressed, as its name announces (`orders.csv.gz`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    None,
    /// `.gz`, `.gzip`
    Gzip,
    /// `.bz2`, `.bzip2`
    Bzip2,
    /// `.zst`, `.zstd`
    Zstd,
}

impl Compression {
    pub const ALL: [Compression; 4] = [
        Compression::None,
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Zstd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        }
    }

    pub fn is_none(self) -> bool {
        self == Compression::None
    }

    /// The compression a file name's last extension announces, and the name without it.
    pub fn from_file_name(lower_name: &str) -> (Compression, &str) {
        const SUFFIXES: [(&str, Compression); 6] = [
            (".gz", Compression::Gzip),
            (".gzip", Compression::Gzip),
            (".bz2", Compression::Bzip2),
            (".bzip2", Compression::Bzip2),
            (".zst", Compression::Zstd),
            (".zstd", Compression::Zstd),
        ];
        SUFFIXES
            .iter()
            .find_map(|(suffix, c)| lower_name.strip_suffix(suffix).map(|stem| (*c, stem)))
            .unwrap_or((Compression::None, lower_name))
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FileFormat {
    pub const ALL: [FileFormat; 10] = [
        FileFormat::Csv,
        FileFormat::Tsv,
        FileFormat::Json,
        FileFormat::Ndjson,
        FileFormat::Parquet,
        FileFormat::Avro,
        FileFormat::Excel,
        FileFormat::Orc,
        FileFormat::Delta,
        FileFormat::Iceberg,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Tsv => "tsv",
            FileFormat::Json => "json",
            FileFormat::Ndjson => "ndjson",
            FileFormat::Parquet => "parquet",
            FileFormat::Avro => "avro",
            FileFormat::Excel => "excel",
            FileFormat::Orc => "orc",
            FileFormat::Delta => "delta",
            FileFormat::Iceberg => "iceberg",
        }
    }

    /// Text formats, the only ones read through a [`Compression`] other than `None`.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FileFormat::Csv | FileFormat::Tsv | FileFormat::Json | FileFormat::Ndjson
        )
    }

    /// The format a file name announces, and how it is compressed (`orders.csv.gz`,
    /// `events.ndjson.zst`, `dump.json.bz2`). Only text formats may carry a compression
    /// extension. `None` for names Torro does not read as files (tables are recognised
    /// by their folders, not by a file name).
    pub fn from_file_name(name: &str) -> Option<(FileFormat, Compression)> {
        let lower = name.to_ascii_lowercase();
        let (compression, stem) = Compression::from_file_name(&lower);
        let ext = stem.rsplit_once('.')?.1;
        let format = match ext {
            "csv" => FileFormat::Csv,
            "tsv" | "tab" => FileFormat::Tsv,
            "json" => FileFormat::Json,
            "ndjson" | "jsonl" => FileFormat::Ndjson,
            "parquet" | "parq" => FileFormat::Parquet,
            "avro" => FileFormat::Avro,
            "xlsx" | "xlsm" | "xls" => FileFormat::Excel,
            "orc" => FileFormat::Orc,
            _ => return None,
        };
        if !compression.is_none() && !format.is_text() {
            return None;
        }
        Some((format, compression))
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
        use Compression as C;
        let cases = [
            ("a/b/Orders.CSV", FileFormat::Csv, C::None),
            ("x.csv.gz", FileFormat::Csv, C::Gzip),
            ("x.csv.GZIP", FileFormat::Csv, C::Gzip),
            ("x.csv.bz2", FileFormat::Csv, C::Bzip2),
            ("x.json.bz2", FileFormat::Json, C::Bzip2),
            ("x.ndjson.zst", FileFormat::Ndjson, C::Zstd),
            ("x.csv.zstd", FileFormat::Csv, C::Zstd),
            ("x.tsv", FileFormat::Tsv, C::None),
            ("x.jsonl", FileFormat::Ndjson, C::None),
            ("part-0.parquet", FileFormat::Parquet, C::None),
            ("x.avro", FileFormat::Avro, C::None),
            ("Budget 2024.XLSX", FileFormat::Excel, C::None),
            ("old.xls", FileFormat::Excel, C::None),
            ("part-0.orc", FileFormat::Orc, C::None),
        ];
        for (name, format, compression) in cases {
            assert_eq!(FileFormat::from_file_name(name), Some((format, compression)), "{name}");
        }
        assert_eq!(FileFormat::from_file_name("x.parquet.gz"), None);
        assert_eq!(FileFormat::from_file_name("x.xlsx.zst"), None);
        assert_eq!(FileFormat::from_file_name("x.gz"), None);
        assert_eq!(FileFormat::from_file_name("_delta_log/00000.json.crc"), None);
        assert_eq!(FileFormat::from_file_name("README"), None);
        assert_eq!(FileFormat::from_file_name("notes.txt"), None);
    }

    #[test]
    fn formats_parse_from_their_names() {
        for f in FileFormat::ALL {
            assert_eq!(f.as_str().parse::<FileFormat>(), Ok(f));
        }
        for c in Compression::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert!("xlsb".parse::<FileFormat>().unwrap_err().contains("expected one of"));
    }
}
