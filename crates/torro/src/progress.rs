//! Scan progress on stderr: one line rewritten in place on a terminal, a line every
//! few seconds otherwise (logs, CI).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use torro_engine::ScanProgress;
use torro_model::ScanCounts;

pub struct Reporter {
    enabled: bool,
    terminal: bool,
    last: Mutex<Option<Instant>>,
}

impl Reporter {
    pub fn stderr() -> Self {
        Reporter {
            enabled: true,
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    pub fn quiet() -> Self {
        Reporter {
            enabled: false,
            terminal: false,
            last: Mutex::new(None),
        }
    }

    /// Ends the in-place line so the next output starts on its own line.
    pub fn finish(&self) {
        if self.enabled && self.terminal && self.last.lock().map(|l| l.is_some()).unwrap_or(false) {
            eprintln!();
        }
    }
}

impl ScanProgress for Reporter {
    fn update(&self, c: &ScanCounts) {
        if !self.enabled {
            return;
        }
        let every = if self.terminal {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        let mut last = self.last.lock().expect("progress lock");
        if last.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        *last = Some(Instant::now());
        let text = format!(
            "scanning: {} listed, {} new, {} changed, {} unchanged, {} failed, {} KiB read",
            c.listed,
            c.new,
            c.changed,
            c.unchanged,
            c.failed,
            c.bytes_read / 1024
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{text}\x1b[K")
        } else {
            writeln!(err, "{text}")
        };
    }
}
