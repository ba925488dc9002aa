//! Stale-feed episodes: the feed goes stale when the provider's newest data, or the start
//! of a run of failed fetches, is older than the stale bound. An episode ends only when
//! the feed is fresh again; each episode is logged, shown in the source's health, and
//! (opt-in) raises one `fx-alerts` event.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fxmon_core::snapshot::format_time;
use serde::Serialize;

use crate::source_health::{SourceHealth, SourceStatus};

/// The `condition` of a stale-feed event.
pub const SOURCE_STALE: &str = "source_stale";

/// The `fx-alerts` event of a stale feed. It carries every field of a rule's alert event
/// with the same types, so consumers of `fx-alerts` parse it as they are; `alert_id` is 0
/// (no rule), `pair` is `"*"` (every pair of the source), `threshold` is the stale bound
/// and `value` how old the newest data is, both in hours, and `current_rate` is 0 (no
/// rate applies). `source`, `stale_since` and `last_as_of` are extra.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleFeedEvent {
    /// `stale:{source}:{episode start, unix seconds}`: the same for every report of one
    /// episode, so a receiver can drop duplicates.
    pub event_id: String,
    pub alert_id: i64,
    pub pair: String,
    pub condition: String,
    pub threshold: f64,
    pub current_rate: f64,
    pub value: f64,
    pub message: String,
    pub triggered_at: String,
    pub source: String,
    pub stale_since: String,
    pub last_as_of: Option<String>,
}

/// Follows the feed from one status to the next and tells when an episode begins.
#[derive(Debug)]
pub(super) struct StaleWatch {
    stale_after: Duration,
    /// The start of the current episode, if the feed is stale.
    episode: Option<DateTime<Utc>>,
}

impl StaleWatch {
    pub(super) fn new(stale_after: Duration) -> Self {
        Self {
            stale_after,
            episode: None,
        }
    }

    /// Looks at the source at `now`: logs and records an episode's start or end in
    /// `health`, and returns the event of an episode that just began.
    pub(super) fn observe(
        &mut self,
        health: &SourceHealth,
        now: DateTime<Utc>,
    ) -> Option<StaleFeedEvent> {
        let status = health.status();
        let stale = status.is_stale_feed(now, self.stale_after);
        match (self.episode, stale) {
            (None, true) => {
                let since = status.stale_from(self.stale_after)?;
                self.episode = Some(since);
                health.stale_began(since);
                let event = self.event(&status, since, now);
                tracing::warn!(
                    source = status.source, event_id = event.event_id, stale_since = %since,
                    "The rate feed went stale: {}", event.message
                );
                Some(event)
            }
            (Some(since), false) => {
                self.episode = None;
                health.fresh_again();
                tracing::info!(source = status.source, stale_since = %since, "The rate feed is fresh again.");
                None
            }
            _ => None,
        }
    }

    /// How long until the feed would go stale if nothing changes; `None` while an
    /// episode lasts or before anything was fetched. One second late, so the check finds
    /// the feed strictly past its bound.
    pub(super) fn until_stale(
        &self,
        health: &SourceHealth,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        if self.episode.is_some() {
            return None;
        }
        let from = health.status().stale_from(self.stale_after)?;
        let wait = (from - now).to_std().unwrap_or_default();
        Some(wait + Duration::from_secs(1))
    }

    fn event(
        &self,
        status: &SourceStatus,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StaleFeedEvent {
        let bound_h = self.stale_after.as_secs_f64() / 3600.0;
        let newest = status.last_as_of.or(status.failing_since).unwrap_or(since);
        let age_h = (now - newest).num_milliseconds().max(0) as f64 / 3_600_000.0;
        let message = match (&status.last_as_of, &status.last_error) {
            (Some(as_of), _) if status.consecutive_failures == 0 => format!(
                "{}: provider data as of {} is older than {bound_h} h",
                status.source,
                format_time(*as_of)
            ),
            (_, error) => format!(
                "{}: fetches have failed since {} (no fresh data for more than {bound_h} h): {}",
                status.source,
                status.failing_since.map(format_time).unwrap_or_default(),
                error.as_deref().unwrap_or_default()
            ),
        };
        StaleFeedEvent {
            event_id: format!("stale:{}:{}", status.source, since.timestamp()),
            alert_id: 0,
            pair: "*".to_owned(),
            condition: SOURCE_STALE.to_owned(),
            threshold: bound_h,
            current_rate: 0.0,
            value: age_h,
            message,
            triggered_at: format_time(now),
            source: status.source.clone(),
            stale_since: format_time(since),
            last_as_of: status.last_as_of.map(format_time),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn an_episode_begins_once_and_ends_only_when_the_feed_is_fresh() {
        let health = SourceHealth::new("src");
        let mut watch = StaleWatch::new(HOUR);
        let t0 = Utc::now();
        health.succeeded(t0, t0, None);
        assert!(watch.observe(&health, t0).is_none());
        let wait = watch.until_stale(&health, t0).unwrap();
        assert_eq!(wait, HOUR + Duration::from_secs(1));
        let later = t0 + TimeDelta::minutes(61);
        let event = watch.observe(&health, later).expect("stale after an hour");
        assert_eq!(
            event.event_id,
            format!("stale:src:{}", (t0 + TimeDelta::hours(1)).timestamp())
        );
        assert_eq!((event.alert_id, event.pair.as_str()), (0, "*"));
        assert_eq!(event.condition, "source_stale");
        assert!(
            event.message.contains("older than 1 h"),
            "{}",
            event.message
        );
        health.failed(later, "down".into());
        assert!(
            watch
                .observe(&health, later + TimeDelta::hours(5))
                .is_none(),
            "same episode"
        );
        assert!(watch.until_stale(&health, later).is_none());
        health.succeeded(later, later, None);
        assert!(watch.observe(&health, later).is_none(), "fresh again");
        assert_eq!(health.status().stale_since, None);
        assert!(watch
            .observe(&health, later + TimeDelta::minutes(61))
            .is_some());
        assert_eq!(health.status().stale_episodes, 2);
    }

    #[test]
    fn a_source_that_never_worked_goes_stale_after_failing_that_long() {
        let health = SourceHealth::new("src");
        let mut watch = StaleWatch::new(HOUR);
        let t0 = Utc::now();
        health.failed(t0, "cannot reach the provider".into());
        assert!(watch
            .observe(&health, t0 + TimeDelta::minutes(59))
            .is_none());
        let event = watch.observe(&health, t0 + TimeDelta::minutes(61)).unwrap();
        assert!(
            event.message.contains("cannot reach the provider"),
            "{}",
            event.message
        );
        assert_eq!(event.last_as_of, None);
    }
}
