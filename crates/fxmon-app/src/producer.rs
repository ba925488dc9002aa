//! The producer: polls a rate source on the provider's schedule and publishes snapshots
//! to `fx-rates` when the provider's data changed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fxmon_core::{Pair, PollPolicy, Rate, RateSnapshot};
use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::ports::{BusError, BusPublisher, FetchedRates, RateSource, Topic};
use crate::source_health::SourceHealth;
use crate::tracked::Tracked;

/// How the producer behaves.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub policy: PollPolicy,
    pub tracked: Tracked,
    /// Publish a snapshot even when its as-of time and rates equal the last one's.
    pub publish_unchanged: bool,
}

/// What the producer needs.
pub struct ProducerDeps {
    pub source: Arc<dyn RateSource>,
    pub bus: Arc<dyn BusPublisher>,
    pub health: SourceHealth,
}

/// Polls until `shutdown`; fails only if the bus does.
pub async fn serve(
    deps: ProducerDeps,
    config: ProducerConfig,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    let mut last: Option<RateSnapshot> = None;
    loop {
        let fetched = tokio::select! {
            fetched = deps.source.fetch() => fetched,
            () = shutdown.cancelled() => return Ok(()),
        };
        let now = Utc::now();
        let jitter = rand::thread_rng().gen::<f64>();
        let delay = match fetched {
            Ok(fetched) => {
                deps.health
                    .succeeded(now, fetched.as_of, fetched.next_update);
                let snapshot = snapshot_of(&fetched, deps.source.name(), &config.tracked, now);
                match snapshot {
                    Some(s) if config.publish_unchanged || !same_data(last.as_ref(), &s) => {
                        // A snapshot not yet accepted at shutdown is dropped: the next
                        // start fetches the provider's current data again.
                        tokio::select! {
                            published = deps.bus.publish(Topic::Rates, &s.source, s.to_json()) => published?,
                            () = shutdown.cancelled() => return Ok(()),
                        }
                        tracing::debug!(as_of = %s.timestamp, rates = s.rates.len(), "Published a snapshot.");
                        last = Some(s);
                    }
                    Some(s) => {
                        tracing::debug!(as_of = %s.timestamp, "Provider data unchanged; not republished.")
                    }
                    None => tracing::warn!(
                        source = deps.source.name(),
                        "The provider returned none of the tracked currencies."
                    ),
                }
                config
                    .policy
                    .after_success(now, fetched.next_update, jitter)
            }
            Err(error) => {
                let failures = deps.health.failed(now, error.to_string());
                // A refused request (bad key, quota) will not fix itself soon: wait the longest.
                let failures = if error.is_transient() {
                    failures
                } else {
                    u32::MAX
                };
                let delay = config
                    .policy
                    .after_failure(failures, error.retry_after(), jitter);
                tracing::warn!(
                    source = deps.source.name(),
                    retry_in_s = delay.as_secs_f64(),
                    "Fetching rates failed: {error}"
                );
                delay
            }
        };
        if sleep_or_shutdown(delay, &shutdown).await {
            return Ok(());
        }
    }
}

/// Sleeps for `delay`; returns true if shutdown came first.
pub async fn sleep_or_shutdown(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => false,
        () = shutdown.cancelled() => true,
    }
}

/// The snapshot to publish: the legs (`base/X`) needed by the tracked pairs.
pub fn snapshot_of(
    fetched: &FetchedRates,
    source: &str,
    tracked: &Tracked,
    now: DateTime<Utc>,
) -> Option<RateSnapshot> {
    let wanted = tracked.currencies();
    let rates: BTreeMap<Pair, Rate> = fetched
        .rates
        .iter()
        .filter(|(currency, _)| wanted.as_ref().is_none_or(|w| w.contains(currency)))
        .filter_map(|(currency, rate)| Some((Pair::new(fetched.base, *currency).ok()?, *rate)))
        .collect();
    let mut snapshot = RateSnapshot::new(fetched.as_of, fetched.base, rates, source).ok()?;
    snapshot.fetched_at = Some(now);
    snapshot.next_update_at = fetched.next_update;
    Some(snapshot)
}

fn same_data(last: Option<&RateSnapshot>, next: &RateSnapshot) -> bool {
    last.is_some_and(|l| l.timestamp == next.timestamp && l.rates == next.rates)
}
