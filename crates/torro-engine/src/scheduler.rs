//! The scheduler: turns cron schedules (5 fields, in a time zone) into queued scan jobs.
//!
//! Each pass enqueues, for every schedule, its most recent tick at or before now, with a
//! dedupe key of (what, tick). So:
//! - several `serve` processes running the scheduler never double-fire a tick (the
//!   catalog's unique key makes the second enqueue return the first job);
//! - after downtime only the latest missed tick runs, once, not one per missed tick;
//! - a connection's ticks before it was created are not fired.
//!
//! Time comes from a [`Clock`], so tests move it by hand instead of sleeping.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use tokio_util::sync::CancellationToken;

use crate::{Engine, EngineError};

/// Where the scheduler reads the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock moved by hand, for tests.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock poisoned") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock poisoned")
    }
}

/// Parses a 5-field cron expression (minute hour day-of-month month day-of-week).
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    let fields = expr.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "{expr:?} is not a 5-field cron expression (minute hour day month weekday); it has {fields} fields"
        ));
    }
    Cron::from_str(expr.trim()).map_err(|e| format!("{expr:?} is not a valid cron expression: {e}"))
}

/// Parses an IANA time zone name ("UTC", "Europe/Paris").
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name:?}; use an IANA name such as UTC or Europe/Paris"))
}

/// The most recent tick of `cron` in `tz` at or before `now`.
pub fn latest_tick(cron: &Cron, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    cron.find_previous_occurrence(&now.with_timezone(&tz), true)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What one pass of the scheduler did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// (scan run id, connection id or `None` for the config's sources) of jobs queued now.
    pub queued: Vec<(i64, Option<i64>)>,
    /// Schedules that could not be used, with why (bad cron in a connection, ...).
    pub problems: Vec<String>,
}

pub struct Scheduler {
    engine: Engine,
    clock: Arc<dyn Clock>,
    tz: Tz,
    /// The last tick enqueued per schedule, so a pass does not ask the catalog again.
    fired: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl Scheduler {
    /// Fails when the config's time zone is unknown.
    pub fn new(engine: Engine, clock: Arc<dyn Clock>) -> Result<Self, EngineError> {
        let tz = parse_timezone(&engine.config().jobs.timezone).map_err(EngineError::Config)?;
        Ok(Scheduler {
            engine,
            clock,
            tz,
            fired: Mutex::new(HashMap::new()),
        })
    }

    /// One pass: enqueues each schedule's latest due tick (idempotently).
    pub async fn tick(&self) -> Result<TickReport, EngineError> {
        let now = self.clock.now();
        let mut report = TickReport::default();
        let settings = &self.engine.config().jobs;
        if !settings.sources_schedule.trim().is_empty() && !self.engine.config().sources.is_empty() {
            match parse_cron(&settings.sources_schedule) {
                Ok(cron) => {
                    if let Some(tick) = latest_tick(&cron, self.tz, now).filter(|t| self.is_new("sources", *t)) {
                        let queued = self.engine.enqueue_sources_scan("schedule", Some(tick), now).await?;
                        self.remember("sources", tick);
                        if queued.created {
                            report.queued.push((queued.run.id, None));
                        }
                    }
                }
                Err(e) => report.problems.push(format!("jobs.sources_schedule: {e}")),
            }
        }
        for connection in self.engine.store().list_connections().await? {
            if connection.status != "active" {
                continue;
            }
            let expr = match connection.schedule.as_deref().map(str::trim) {
                Some(s) if !s.is_empty() => s.to_string(),
                _ if settings.default_schedule.trim().is_empty() => continue,
                _ => settings.default_schedule.clone(),
            };
            let cron = match parse_cron(&expr) {
                Ok(c) => c,
                Err(e) => {
                    report.problems.push(format!("connection {}: {e}", connection.name));
                    continue;
                }
            };
            let key = format!("connection:{}", connection.id);
            let Some(tick) =
                latest_tick(&cron, self.tz, now).filter(|t| *t >= connection.created_at && self.is_new(&key, *t))
            else {
                continue;
            };
            match self
                .engine
                .enqueue_connection_scan(connection.id, "schedule", Some(tick), now)
                .await
            {
                Ok(queued) => {
                    self.remember(&key, tick);
                    if queued.created {
                        report.queued.push((queued.run.id, Some(connection.id)));
                    }
                }
                // Deleted or disabled since we listed it.
                Err(EngineError::Catalog(torro_catalog::CatalogError::NotFound(_)))
                | Err(EngineError::Catalog(torro_catalog::CatalogError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Runs passes until `shutdown`: every `every` (the finest cron step is a minute).
    pub async fn run(self, every: Duration, shutdown: CancellationToken) {
        loop {
            match self.tick().await {
                Ok(report) => {
                    for problem in &report.problems {
                        tracing::warn!("schedule skipped: {problem}");
                    }
                    if !report.queued.is_empty() {
                        tracing::info!(queued = report.queued.len(), "scheduled scans queued");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scheduler pass failed; retrying"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    fn is_new(&self, key: &str, tick: DateTime<Utc>) -> bool {
        self.fired.lock().expect("scheduler state poisoned").get(key) != Some(&tick)
    }

    fn remember(&self, key: &str, tick: DateTime<Utc>) {
        self.fired
            .lock()
            .expect("scheduler state poisoned")
            .insert(key.to_string(), tick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn latest_tick_is_at_or_before_now_in_the_time_zone() {
        let every5 = parse_cron("*/5 * * * *").unwrap();
        assert_eq!(
            latest_tick(&every5, Tz::UTC, at("2026-03-01T10:07:30Z")),
            Some(at("2026-03-01T10:05:00Z"))
        );
        assert_eq!(
            latest_tick(&every5, Tz::UTC, at("2026-03-01T10:05:00Z")),
            Some(at("2026-03-01T10:05:00Z"))
        );
        // 03:00 in Paris is 02:00 UTC in winter.
        let paris = parse_timezone("Europe/Paris").unwrap();
        let three = parse_cron("0 3 * * *").unwrap();
        assert_eq!(
            latest_tick(&three, paris, at("2026-01-15T12:00:00Z")),
            Some(at("2026-01-15T02:00:00Z"))
        );
    }

    #[test]
    fn bad_expressions_and_zones_say_what_is_wrong() {
        assert!(parse_cron("* * * *").unwrap_err().contains("5-field"));
        assert!(parse_cron("0 0 * * * *").unwrap_err().contains("6 fields"));
        assert!(parse_cron("61 * * * *").unwrap_err().contains("not a valid cron"));
        assert!(parse_timezone("Mars/Olympus").unwrap_err().contains("IANA"));
    }
}
