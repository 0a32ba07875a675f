//! Prints the lineage of a SQL file as JSON: `cargo run -p torro-lineage --example lineage -- DIALECT FILE`.
//! (The `torro lineage parse` command does the same with more options.)

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dialect), Some(file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: lineage DIALECT FILE.sql");
        std::process::exit(2);
    };
    let dialect = match dialect.parse() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let sql = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            std::process::exit(1);
        }
    };
    let opts = torro_lineage::AnalyzeOptions {
        dialect,
        ..Default::default()
    };
    let lineage = torro_lineage::analyze(&sql, &opts);
    match serde_json::to_string_pretty(&lineage) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("{e}"),
    }
}
