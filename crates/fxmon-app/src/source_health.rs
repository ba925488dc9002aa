//! What the producer last saw of its rate source, shared with `/health`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The source's state as `/health` reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceStatus {
    pub source: String,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The provider's as-of time of the last successful fetch.
    pub last_as_of: Option<DateTime<Utc>>,
    pub next_update_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
}

/// How the source is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// No fetch has finished yet.
    Starting,
    /// The last fetch worked and its data is recent enough.
    Ok,
    /// The last fetch failed.
    Failing,
    /// Fetches work but the provider's as-of time is older than allowed.
    Stale,
}

impl SourceStatus {
    /// Classifies the status at `now`; data older than `stale_after` is stale.
    pub fn state(&self, now: DateTime<Utc>, stale_after: Duration) -> SourceState {
        if self.consecutive_failures > 0 {
            return SourceState::Failing;
        }
        match self.last_as_of {
            None => SourceState::Starting,
            Some(as_of) => {
                let age = (now - as_of).to_std().unwrap_or_default();
                if age > stale_after {
                    SourceState::Stale
                } else {
                    SourceState::Ok
                }
            }
        }
    }
}

/// Shared handle: the producer writes, `/health` reads.
#[derive(Debug, Clone, Default)]
pub struct SourceHealth(Arc<Mutex<SourceStatus>>);

impl SourceHealth {
    /// A handle for the named source.
    pub fn new(source: &str) -> Self {
        Self(Arc::new(Mutex::new(SourceStatus {
            source: source.to_owned(),
            ..SourceStatus::default()
        })))
    }

    /// A copy of the current status.
    pub fn status(&self) -> SourceStatus {
        self.0.lock().expect("source health lock").clone()
    }

    /// Records a successful fetch.
    pub fn succeeded(&self, at: DateTime<Utc>, as_of: DateTime<Utc>, next: Option<DateTime<Utc>>) {
        let mut status = self.0.lock().expect("source health lock");
        status.last_attempt_at = Some(at);
        status.last_success_at = Some(at);
        status.last_as_of = Some(as_of);
        status.next_update_at = next;
        status.consecutive_failures = 0;
        status.last_error = None;
    }

    /// Records a failed fetch and returns how many failed in a row.
    pub fn failed(&self, at: DateTime<Utc>, error: String) -> u32 {
        let mut status = self.0.lock().expect("source health lock");
        status.last_attempt_at = Some(at);
        status.consecutive_failures = status.consecutive_failures.saturating_add(1);
        status.last_error = Some(error);
        status.consecutive_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn the_state_follows_fetch_outcomes_and_data_age() {
        let health = SourceHealth::new("test");
        let now = Utc::now();
        let day = Duration::from_secs(86_400);
        assert_eq!(health.status().state(now, day), SourceState::Starting);
        health.succeeded(now, now - TimeDelta::hours(1), None);
        assert_eq!(health.status().state(now, day), SourceState::Ok);
        assert_eq!(health.failed(now, "boom".into()), 1);
        assert_eq!(health.status().state(now, day), SourceState::Failing);
        health.succeeded(now, now - TimeDelta::hours(30), None);
        assert_eq!(health.status().state(now, day), SourceState::Stale);
    }
}
