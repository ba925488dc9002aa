//! What the producer last saw of its rate source, shared with `/health`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::metrics;

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
    /// When the current run of failed fetches began; `None` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// When the current stale episode began (see [`SourceStatus::stale_from`]); `None`
    /// while the feed is fresh.
    pub stale_since: Option<DateTime<Utc>>,
    /// Stale episodes since start.
    pub stale_episodes: u64,
    /// Rates held back since start for moving more than the jump bound (each provider
    /// update of a pair counted once).
    pub quarantined_rates: u64,
    /// Tracked rates the provider sent with an invalid value (zero, negative, not a
    /// number) since start, each provider update counted once.
    pub rejected_rates: u64,
    /// Provider answers rejected as a whole since start (not JSON, fields missing, no
    /// valid rate).
    pub malformed_responses: u64,
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

    /// When the feed goes (or went) stale if nothing changes: `stale_after` past the
    /// provider's newest as-of time, or past the start of the current run of failures,
    /// whichever comes first. `None` before the first fetch has finished.
    pub fn stale_from(&self, stale_after: Duration) -> Option<DateTime<Utc>> {
        let after = TimeDelta::from_std(stale_after).unwrap_or(TimeDelta::MAX);
        let data = self.last_as_of.and_then(|t| t.checked_add_signed(after));
        let failing = self
            .failing_since
            .filter(|_| self.consecutive_failures > 0)
            .and_then(|t| t.checked_add_signed(after));
        match (data, failing) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the feed is stale at `now`: no fresh provider data (see [`Self::stale_from`]).
    pub fn is_stale_feed(&self, now: DateTime<Utc>, stale_after: Duration) -> bool {
        self.stale_from(stale_after).is_some_and(|from| now > from)
    }
}

/// Shared handle: the producer writes, `/health` (and metrics) read.
#[derive(Debug, Clone, Default)]
pub struct SourceHealth(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    status: Mutex<SourceStatus>,
    stale_episodes: AtomicU64,
    quarantined: AtomicU64,
    rejected: AtomicU64,
    malformed: AtomicU64,
}

impl SourceHealth {
    /// A handle for the named source.
    pub fn new(source: &str) -> Self {
        let shared = Shared {
            status: Mutex::new(SourceStatus {
                source: source.to_owned(),
                ..SourceStatus::default()
            }),
            ..Shared::default()
        };
        Self(Arc::new(shared))
    }

    /// A copy of the current status, counters included.
    pub fn status(&self) -> SourceStatus {
        let mut status = self.lock().clone();
        status.stale_episodes = self.0.stale_episodes.load(Ordering::Relaxed);
        status.quarantined_rates = self.0.quarantined.load(Ordering::Relaxed);
        status.rejected_rates = self.0.rejected.load(Ordering::Relaxed);
        status.malformed_responses = self.0.malformed.load(Ordering::Relaxed);
        status
    }

    /// Records a successful fetch.
    pub fn succeeded(&self, at: DateTime<Utc>, as_of: DateTime<Utc>, next: Option<DateTime<Utc>>) {
        let mut status = self.lock();
        status.last_attempt_at = Some(at);
        status.last_success_at = Some(at);
        status.last_as_of = Some(as_of);
        status.next_update_at = next;
        status.consecutive_failures = 0;
        status.failing_since = None;
        status.last_error = None;
        metrics::set(metrics::CONSECUTIVE_FAILURES, 0.0);
        metrics::set(metrics::LAST_SUCCESS, at.timestamp() as f64);
    }

    /// Records a failed fetch and returns how many failed in a row.
    pub fn failed(&self, at: DateTime<Utc>, error: String) -> u32 {
        let mut status = self.lock();
        status.last_attempt_at = Some(at);
        if status.consecutive_failures == 0 {
            status.failing_since = Some(at);
        }
        status.consecutive_failures = status.consecutive_failures.saturating_add(1);
        status.last_error = Some(error);
        metrics::add(metrics::FETCH_ERRORS, 1);
        metrics::set(
            metrics::CONSECUTIVE_FAILURES,
            f64::from(status.consecutive_failures),
        );
        status.consecutive_failures
    }

    /// Counts a provider answer rejected as a whole.
    pub fn malformed_response(&self) {
        self.0.malformed.fetch_add(1, Ordering::Relaxed);
        metrics::add(metrics::MALFORMED_RESPONSES, 1);
    }

    /// Counts `n` rates held back by the jump bound.
    pub fn quarantined(&self, n: u64) {
        self.0.quarantined.fetch_add(n, Ordering::Relaxed);
        metrics::add(metrics::QUARANTINED_RATES, n);
    }

    /// Counts `n` tracked rates the provider sent with invalid values.
    pub fn rejected(&self, n: u64) {
        self.0.rejected.fetch_add(n, Ordering::Relaxed);
        metrics::add(metrics::INVALID_RATES, n);
    }

    /// Records that a stale episode began at `since`.
    pub fn stale_began(&self, since: DateTime<Utc>) {
        self.lock().stale_since = Some(since);
        self.0.stale_episodes.fetch_add(1, Ordering::Relaxed);
        metrics::add(metrics::STALE_EPISODES, 1);
    }

    /// Records that the feed is fresh again.
    pub fn fresh_again(&self) {
        self.lock().stale_since = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SourceStatus> {
        // A panic while holding the lock cannot leave the plain fields inconsistent.
        self.0
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn the_state_follows_fetch_outcomes_and_data_age() {
        let health = SourceHealth::new("test");
        let now = Utc::now();
        assert_eq!(health.status().state(now, DAY), SourceState::Starting);
        health.succeeded(now, now - TimeDelta::hours(1), None);
        assert_eq!(health.status().state(now, DAY), SourceState::Ok);
        assert_eq!(health.failed(now, "boom".into()), 1);
        assert_eq!(health.status().state(now, DAY), SourceState::Failing);
        health.succeeded(now, now - TimeDelta::hours(30), None);
        assert_eq!(health.status().state(now, DAY), SourceState::Stale);
    }

    #[test]
    fn the_feed_goes_stale_a_while_after_its_data_or_its_first_failure() {
        let health = SourceHealth::new("test");
        let t0 = Utc::now();
        assert_eq!(health.status().stale_from(DAY), None, "nothing fetched yet");
        health.failed(t0, "down".into());
        health.failed(t0 + TimeDelta::hours(5), "down".into());
        let status = health.status();
        assert_eq!(status.failing_since, Some(t0));
        assert_eq!(status.stale_from(DAY), Some(t0 + TimeDelta::days(1)));
        assert!(!status.is_stale_feed(t0 + TimeDelta::hours(23), DAY));
        assert!(status.is_stale_feed(t0 + TimeDelta::hours(25), DAY));
        health.succeeded(t0, t0 - TimeDelta::hours(2), None);
        let status = health.status();
        assert_eq!(status.failing_since, None);
        assert_eq!(status.stale_from(DAY), Some(t0 + TimeDelta::hours(22)));
    }

    #[test]
    fn counters_add_up_and_show_in_the_status() {
        let health = SourceHealth::new("test");
        health.quarantined(2);
        health.quarantined(1);
        health.rejected(4);
        health.malformed_response();
        health.stale_began(Utc::now());
        let status = health.status();
        assert_eq!(
            (
                status.quarantined_rates,
                status.rejected_rates,
                status.malformed_responses,
                status.stale_episodes
            ),
            (3, 4, 1, 1)
        );
        assert!(status.stale_since.is_some());
        health.fresh_again();
        assert_eq!(health.status().stale_since, None);
    }
}
