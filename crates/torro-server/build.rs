//! Builds the web UI (`ui/`) when its production build is missing or older than its
//! sources, and tells `src/ui.rs` which folder to embed through `TORRO_UI_DIR`.
//!
//! Why here: the README's one command (`cargo run --release -p torro -- serve --demo`)
//! must give a working UI, and release builds embed it so one file deploys. Rust-only
//! work (`cargo clippy`, builds on machines without Node.js) must keep working: when npm
//! is missing or its build fails, this warns and embeds a placeholder page that says how
//! to build the UI. Set `TORRO_UI_SKIP_BUILD=1` to never run npm from cargo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;
use std::{env, fs};

/// Inputs of the UI build; a change to any of them rebuilds it.
const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let ui = manifest.join("../../ui");
    let dist = ui.join("dist");
    println!("cargo:rerun-if-env-changed=TORRO_UI_SKIP_BUILD");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", ui.join(source).display());
    }

    let dir = match ensure_built(&ui, &dist) {
        Ok(()) => dist,
        Err(why) => {
            if dist.join("index.html").is_file() {
                println!("cargo:warning=web UI: {why}; embedding the existing (older) build in ui/dist");
                dist
            } else {
                println!("cargo:warning=web UI: {why}; embedding a placeholder page instead");
                placeholder(&why)
            }
        }
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rustc-env=TORRO_UI_DIR={}", dir.display());
}

/// Ok when `ui/dist` is current, building it first if needed; Err says why it is not.
fn ensure_built(ui: &Path, dist: &Path) -> Result<(), String> {
    if !ui.join("package.json").is_file() {
        return Err(format!("no UI sources at {}", ui.display()));
    }
    let built = modified(&dist.join("index.html"));
    let sources = SOURCES.iter().filter_map(|s| newest(&ui.join(s))).max();
    if let (Some(built), Some(sources)) = (built, sources)
        && built >= sources
    {
        return Ok(());
    }
    if env::var_os("TORRO_UI_SKIP_BUILD").is_some_and(|v| !v.is_empty() && v != "0") {
        return Err("TORRO_UI_SKIP_BUILD is set and ui/dist is missing or stale".into());
    }
    if Command::new("npm").arg("--version").output().is_err() {
        return Err("npm is not installed (install Node.js 20.19+ and npm, then rebuild)".into());
    }
    // `npm ci` only when the installed packages do not match the lockfile.
    let installed = modified(&ui.join("node_modules/.package-lock.json"));
    let lock = modified(&ui.join("package-lock.json"));
    if installed.is_none() || installed < lock {
        run(ui, &["ci", "--no-audit", "--no-fund"])?;
    }
    run(ui, &["run", "build"])
}

fn run(ui: &Path, args: &[&str]) -> Result<(), String> {
    let shown = format!("npm {}", args.join(" "));
    let output = Command::new("npm")
        .args(args)
        .current_dir(ui)
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let tail: Vec<&str> = text
        .lines()
        .rev()
        .take(15)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    for line in &tail {
        println!("cargo:warning=  {line}");
    }
    Err(format!("`{shown}` in ui/ failed ({})", output.status))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file or of anything under a folder.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .chain(meta.modified().ok())
        .max()
}

/// A page that says the UI was not built and how to build it.
fn placeholder(why: &str) -> PathBuf {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui-placeholder");
    let escaped = why.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Torro</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/static/placeholder.css\"></head>\n<body><main>\
         <h1>Torro</h1><p>The web UI was not built into this binary: {escaped}.</p>\
         <p>Build it with <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild Torro. \
         The API works meanwhile: <a href=\"/api/discovery\">/api/discovery</a>, \
         <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p></main></body></html>\n"
    );
    let css = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}\
               code{background:#eee;padding:0 .2em}\n";
    let write = || -> std::io::Result<()> {
        fs::create_dir_all(out.join("static"))?;
        fs::write(out.join("index.html"), html)?;
        fs::write(out.join("static/placeholder.css"), css)
    };
    if let Err(e) = write() {
        panic!("cannot write the UI placeholder under {}: {e}", out.display());
    }
    out
}
