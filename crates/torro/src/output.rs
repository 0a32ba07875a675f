//! What the CLI prints: aligned tables for people, JSON for scripts.

use clap::ValueEnum;
use serde::Serialize;
use torro_model::{Discovery, Page, ScanRun};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn scan_summary(run: &ScanRun) -> String {
    let c = &run.counts;
    format!(
        "scan {} {} in {:.1}s: {} listed, {} new, {} changed, {} unchanged, {} deleted, {} failed; {} bytes read in {} requests",
        run.id,
        run.status,
        run.duration_ms.unwrap_or(0) as f64 / 1000.0,
        c.listed,
        c.new,
        c.changed,
        c.unchanged,
        c.deleted,
        c.failed,
        c.bytes_read,
        c.requests
    )
}

/// Columns padded to their widest cell; the last column is not padded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.to_string()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

pub fn print_discoveries(page: &Page<Discovery>) {
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.format.map(|f| f.to_string()).unwrap_or_else(|| "-".into()),
                d.status.to_string(),
                d.approval_status.to_string(),
                d.column_count.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                d.size.to_string(),
                d.path.clone(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(&["ID", "FORMAT", "STATUS", "REVIEW", "COLUMNS", "BYTES", "PATH"], &rows)
    );
    println!(
        "page {} of {} ({} entries)",
        page.page + 1,
        page.total_pages().max(1),
        page.total
    );
}

pub fn print_discovery(d: &Discovery) {
    println!("id:           {}", d.id);
    println!("urn:          {}", d.urn());
    println!(
        "format:       {}",
        d.format.map(|f| f.to_string()).unwrap_or_else(|| "-".into())
    );
    println!("size:         {} bytes", d.size);
    println!(
        "rows:         {}",
        d.row_count.map(|n| n.to_string()).unwrap_or_else(|| "unknown".into())
    );
    println!("status:       {} (review: {})", d.status, d.approval_status);
    println!(
        "environment:  {} / {} / {}",
        d.labels.environment, d.labels.env_type, d.labels.data_source_type
    );
    println!("first seen:   {}", d.first_seen);
    println!("last changed: {}", d.last_changed);
    if let Some(e) = &d.error {
        println!("error:        {e}");
    }
    if let Some(schema) = &d.schema {
        println!(
            "schema ({} columns, hash {}):",
            schema.fields.len(),
            d.schema_hash.as_deref().unwrap_or("-")
        );
        let rows: Vec<Vec<String>> = schema
            .fields
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    f.data_type.to_string(),
                    if f.nullable { "null" } else { "not null" }.into(),
                ]
            })
            .collect();
        for line in table(&["COLUMN", "TYPE", "NULLABLE"], &rows).lines() {
            println!("  {line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_the_widest_cell() {
        let t = table(
            &["A", "LONG"],
            &[vec!["wide-cell".into(), "x".into()], vec!["b".into(), "y".into()]],
        );
        assert_eq!(t, "A          LONG\nwide-cell  x\nb          y");
    }
}
