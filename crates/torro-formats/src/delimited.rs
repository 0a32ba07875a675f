//! CSV and TSV: delimiter and quote sniffing, header detection, column typing.

use std::collections::HashSet;

use serde_json::json;
use torro_model::format::Compression;
use torro_model::{Field, FileFormat, Schema};

use crate::plan::grow_head;
use crate::scalar::{self, Scalar};
use crate::text::{self, Decoded, Text};
use crate::{FormatError, InferOptions, Inferred, MAX_WINDOW, Outcome, Window};

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Lines looked at to sniff the delimiter and the quote.
const SNIFF_LINES: usize = 50;

pub(crate) fn infer(
    format: FileFormat,
    compression: Compression,
    file_size: u64,
    window: &Window<'_>,
    options: &InferOptions,
) -> Result<Outcome, FormatError> {
    let invalid = |message: String| FormatError::Invalid { format, message };
    let decoded = match text::decode(format, compression, file_size, window)? {
        Decoded::Text(t) => t,
        Decoded::NeedMore(range) => return Ok(Outcome::NeedMore(range)),
    };
    let Text {
        text,
        encoding,
        compression,
        complete,
    } = &decoded;
    let delimiter = if format == FileFormat::Tsv {
        b'\t'
    } else {
        sniff_delimiter(text, *complete)
    };
    let quote = sniff_quote(text, delimiter);
    // Keep complete records only, unless the text is the whole file.
    let body = if *complete {
        text.as_str()
    } else {
        &text[..last_record_end(text, quote)]
    };

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quote(quote)
        .from_reader(body.as_bytes());
    let sample_limit = options.max_sample_rows.max(1).saturating_add(1);
    let mut sample: Vec<Vec<String>> = Vec::new();
    let mut records: u64 = 0;
    let mut record = csv::ByteRecord::new();
    // The body is valid UTF-8 and records are not length-checked: reading cannot fail,
    // but an error would only end the read early.
    while reader.read_byte_record(&mut record).unwrap_or(false) {
        records += 1;
        if sample.len() < sample_limit {
            sample.push(
                record
                    .iter()
                    .map(|cell| String::from_utf8_lossy(cell).into_owned())
                    .collect(),
            );
        } else if !complete {
            break;
        }
    }

    if !complete && records < 2 {
        // Not even a header and one row: read more, if the plan allows.
        if let Some(range) = grow_head(window.range().end, file_size) {
            return Ok(Outcome::NeedMore(range));
        }
        if records == 0 {
            let what = if format == FileFormat::Tsv { "TSV" } else { "CSV" };
            return Err(if window.bytes.len() as u64 >= MAX_WINDOW {
                FormatError::TooLarge(format!(
                    "the first record is longer than {} MiB; is this really {what}?",
                    MAX_WINDOW / (1024 * 1024)
                ))
            } else {
                invalid("no complete record: the file ends inside its first record".into())
            });
        }
    }

    let has_header = detect_header(&sample);
    let data_rows = if has_header {
        sample.get(1..).unwrap_or_default()
    } else {
        &sample[..]
    };
    let columns = sample.iter().map(Vec::len).max().unwrap_or(0);
    let names = column_names(
        if has_header {
            sample.first().map(Vec::as_slice)
        } else {
            None
        },
        columns,
    );
    let fields = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let (ty, nullable) = column_type(data_rows, i);
            match ty {
                Some(t) => Field::new(name, t.to_data_type(), nullable),
                None => Field::new(name, torro_model::DataType::Null, true),
            }
        })
        .collect();

    let data_records = records.saturating_sub(u64::from(has_header));
    let mut details = json!({
        "delimiter": (delimiter as char).to_string(),
        "quote": (quote as char).to_string(),
        "has_header": has_header,
        "encoding": encoding,
        "compression": compression,
        "sampled_rows": data_rows.len(),
    });
    if !complete && compression.is_none() && !body.is_empty() && data_records > 0 {
        // Rows per byte of the head, scaled to the file: a hint for people, not a count.
        let estimate = (file_size as f64 * data_records as f64 / body.len() as f64).round();
        details["estimated_row_count"] = json!(estimate as u64);
    }
    Ok(Outcome::Inferred(Inferred {
        format,
        schema: Schema::new(fields),
        row_count: complete.then_some(data_records),
        details,
    }))
}

/// Cells that mean "no value".
fn is_null(cell: &str) -> bool {
    let c = cell.trim();
    c.is_empty() || c.eq_ignore_ascii_case("null") || c == "\\N"
}

/// The joined type of column `i` (`None` when it held only nulls) and whether it had nulls.
fn column_type(rows: &[Vec<String>], i: usize) -> (Option<Scalar>, bool) {
    let mut ty: Option<Scalar> = None;
    let mut nullable = false;
    for row in rows {
        match row.get(i) {
            Some(cell) if !is_null(cell) => {
                let t = scalar::infer_text(cell);
                ty = Some(ty.map_or(t, |old| old.join(t)));
            }
            _ => nullable = true,
        }
    }
    (ty, nullable)
}

/// The first row is a header when its cells are distinct, non-empty text and
/// - there is no other row, or
/// - some column below holds typed values (numbers, dates, booleans), or
/// - every column below is text and none of the first row's values reappears in its column.
pub(crate) fn detect_header(sample: &[Vec<String>]) -> bool {
    let Some((first, rest)) = sample.split_first() else {
        return false;
    };
    let mut seen = HashSet::new();
    let candidate = !first.is_empty()
        && first.iter().all(|c| {
            let c = c.trim();
            !c.is_empty() && scalar::infer_text(c) == Scalar::String && seen.insert(c)
        });
    if !candidate {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    let typed_below = (0..first.len()).any(|i| matches!(column_type(rest, i).0, Some(t) if t != Scalar::String));
    typed_below
        || first.iter().enumerate().all(|(i, name)| {
            !rest
                .iter()
                .any(|row| row.get(i).is_some_and(|c| c.trim() == name.trim()))
        })
}

/// Header names (trimmed; `column_N` when empty or absent), made unique with `_2`, `_3`...
pub(crate) fn column_names(header: Option<&[String]>, columns: usize) -> Vec<String> {
    let mut taken = HashSet::new();
    (0..columns)
        .map(|i| {
            let base = header
                .and_then(|h| h.get(i))
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("column_{}", i + 1));
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        })
        .collect()
}

/// Byte offset just past the last record terminator that is outside quotes (0 if none).
fn last_record_end(text: &str, quote: u8) -> usize {
    let mut in_quote = false;
    let mut end = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b == quote {
            in_quote = !in_quote;
        } else if b == b'\n' && !in_quote {
            end = i + 1;
        }
    }
    end
}

/// The first lines (quote-aware with `"`), leaving out a last line cut by the window.
fn sniff_lines(text: &str, complete: bool) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut in_quote = false;
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if lines.len() >= SNIFF_LINES {
            return lines;
        }
        if b == b'"' {
            in_quote = !in_quote;
        } else if b == b'\n' && !in_quote {
            lines.push(&text[start..i]);
            start = i + 1;
        }
    }
    if complete && start < text.len() && lines.len() < SNIFF_LINES {
        lines.push(&text[start..]);
    }
    lines.retain(|l| !l.trim().is_empty());
    lines
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut in_quote = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            in_quote = !in_quote;
        } else if b == delimiter && !in_quote {
            n += 1;
        }
    }
    n
}

/// The candidate that splits the most lines into the same number of fields;
/// ties go to the earlier of `,` `;` tab `|`. A file with none of them is `,`.
fn sniff_delimiter(text: &str, complete: bool) -> u8 {
    let lines = sniff_lines(text, complete);
    let mut best = (b',', 0usize, 0usize);
    for d in DELIMITERS {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let mut modes: Vec<(usize, usize)> = Vec::new();
        for &c in counts.iter().filter(|&&c| c > 0) {
            match modes.iter_mut().find(|(v, _)| *v == c) {
                Some((_, n)) => *n += 1,
                None => modes.push((c, 1)),
            }
        }
        let Some(&(mode, agree)) = modes.iter().max_by_key(|(v, n)| (*n, *v)) else {
            continue;
        };
        if (agree, mode) > (best.1, best.2) {
            best = (d, agree, mode);
        }
    }
    best.0
}

/// `'` when single quotes open or close fields and double quotes never appear; else `"`.
fn sniff_quote(text: &str, delimiter: u8) -> u8 {
    let head = &text.as_bytes()[..text.len().min(64 * 1024)];
    let at_field_edge = |q: u8| {
        head.iter()
            .enumerate()
            .filter(|&(i, &b)| {
                b == q && {
                    let before = i.checked_sub(1).and_then(|j| head.get(j));
                    let after = head.get(i + 1);
                    let edge = |c: Option<&u8>| c.is_none_or(|&c| c == delimiter || c == b'\n' || c == b'\r');
                    edge(before) || edge(after)
                }
            })
            .count()
    };
    if !head.contains(&b'"') && at_field_edge(b'\'') > 0 {
        b'\''
    } else {
        b'"'
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{described, inferred};

    #[test]
    fn header_and_types() {
        let i = inferred(
            FileFormat::Csv,
            "id,price,when,ok,day,name\n1,12.50,2024-01-05T10:00:00Z,true,2024-01-05,a\n2,3.10,2024-01-06 11:00:00+01:00,FALSE,,b\n",
        );
        assert_eq!(
            described(&i),
            [
                "id:int64",
                "price:decimal(4,2)",
                "when:timestamp[us, UTC]",
                "ok:boolean",
                "day:date?",
                "name:string"
            ]
        );
        assert_eq!(i.row_count, Some(2));
        assert_eq!(i.details["has_header"], true);
        assert_eq!(i.details["delimiter"], ",");
    }

    #[test]
    fn no_header_when_the_first_row_is_typed() {
        let i = inferred(FileFormat::Csv, "1;x\n2;y\n");
        assert_eq!(described(&i), ["column_1:int64", "column_2:string"]);
        assert_eq!(i.details["delimiter"], ";");
        assert_eq!(i.row_count, Some(2));
    }

    #[test]
    fn text_only_files_get_a_header_when_its_names_do_not_repeat() {
        let i = inferred(FileFormat::Csv, "name,city\nann,paris\nbob,rome\n");
        assert_eq!(described(&i), ["name:string", "city:string"]);
        let i = inferred(FileFormat::Csv, "ann,paris\nbob,paris\nann,rome\n");
        assert_eq!(i.details["has_header"], false);
    }

    #[test]
    fn duplicate_and_empty_names_are_made_unique() {
        let i = inferred(FileFormat::Csv, "a,a,,b\n1,2,3,4,5\n");
        // The empty header cell means no header: but with distinct names...
        assert_eq!(i.details["has_header"], false);
        let i = inferred(FileFormat::Csv, "a, a ,b\n1,2,3,4\n");
        assert_eq!(i.details["has_header"], false, "trimmed duplicates are not distinct");
        assert_eq!(
            column_names(Some(&["a".into(), "a".into(), "".into(), "a_2".into()]), 5),
            ["a", "a_2", "column_3", "a_2_2", "column_5"]
        );
    }

    #[test]
    fn only_empty_columns_are_null_typed() {
        let i = inferred(FileFormat::Csv, "a,b\n1,\n2,NULL\n");
        assert_eq!(described(&i), ["a:int64", "b:null?"]);
    }

    #[test]
    fn tsv_pipes_and_single_quotes() {
        let i = inferred(FileFormat::Tsv, "a\tb\n1\t2\n");
        assert_eq!(described(&i), ["a:int64", "b:int64"]);
        let i = inferred(FileFormat::Csv, "a|b\n'x|y'|2\n'z'|3\n");
        assert_eq!(i.details["delimiter"], "|");
        assert_eq!(i.details["quote"], "'");
        assert_eq!(described(&i), ["a:string", "b:int64"]);
    }

    #[test]
    fn quoted_newlines_stay_in_their_record() {
        let text = "a,b\n\"line1\nline2\",1\nx,2\n\"cut\n";
        let window = Window {
            offset: 0,
            bytes: text.as_bytes(),
        };
        let Outcome::Inferred(i) = infer(
            FileFormat::Csv,
            Compression::None,
            1000,
            &window,
            &InferOptions::default(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(described(&i), ["a:string", "b:int64"]);
        assert_eq!(i.row_count, None);
        assert_eq!(i.details["sampled_rows"], 2);
        assert!(i.details["estimated_row_count"].as_u64().unwrap() > 2);
    }

    #[test]
    fn a_cut_first_record_asks_for_more() {
        let text = "a,b,c";
        let window = Window {
            offset: 0,
            bytes: text.as_bytes(),
        };
        let out = infer(
            FileFormat::Csv,
            Compression::None,
            1 << 20,
            &window,
            &InferOptions::default(),
        )
        .unwrap();
        assert_eq!(
            out,
            Outcome::NeedMore(crate::ByteRange {
                start: 0,
                end: 64 * 1024
            })
        );
    }
}
