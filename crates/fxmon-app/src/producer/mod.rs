//! The producer: polls a rate source on the provider's schedule, screens each answer
//! (tracked legs only, absurd moves quarantined) and publishes snapshots to `fx-rates`
//! when the provider's data changed. It also watches the feed for stale episodes.

mod clock;
pub mod jump;
mod screen;
pub mod stale;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fxmon_core::{PollPolicy, RateSnapshot};
use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ports::{BusError, BusPublisher, FetchedRates, RateSource, SourceError, Topic};
use crate::source_health::SourceHealth;
use crate::tracked::Tracked;
use clock::Clock;
use jump::{JumpBound, JumpGuard, DEFAULT_JUMP_CONFIRMATIONS};
use screen::Screen;
use stale::StaleWatch;

pub use jump::DEFAULT_MAX_JUMP_PCT;
pub use stale::{StaleFeedEvent, SOURCE_STALE};

/// How the producer behaves.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub policy: PollPolicy,
    pub tracked: Tracked,
    /// Publish a snapshot even when its as-of time and rates equal the last one's.
    pub publish_unchanged: bool,
    /// How rates are screened and when the feed counts as stale.
    pub checks: FeedChecks,
}

/// The producer's checks of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedChecks {
    /// A rate that moves more than this from the last accepted rate of its pair is
    /// quarantined. The memory starts empty: the first rate of each pair after a start is
    /// accepted as it is.
    pub max_jump: JumpBound,
    /// Consecutive provider updates (distinct as-of times) at a new level that accept it.
    pub jump_confirmations: u32,
    /// The feed is stale once the provider's newest data, or a run of failures, is older.
    pub stale_after: Duration,
    /// Publish one `fx-alerts` event per stale episode.
    pub stale_alert: bool,
}

impl Default for FeedChecks {
    /// A 25 % jump bound confirmed by 3 updates, stale after 26 hours, no stale alert.
    fn default() -> Self {
        Self {
            max_jump: JumpBound::default(),
            jump_confirmations: DEFAULT_JUMP_CONFIRMATIONS,
            stale_after: Duration::from_secs(26 * 3600),
            stale_alert: false,
        }
    }
}

/// What the producer needs.
pub struct ProducerDeps {
    pub source: Arc<dyn RateSource>,
    pub bus: Arc<dyn BusPublisher>,
    pub health: SourceHealth,
}

/// Polls until `shutdown`. A message the bus refuses is held and retried, so a broker
/// outage pauses publishing rather than losing data or stopping the producer.
pub async fn serve(
    deps: ProducerDeps,
    config: ProducerConfig,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    crate::metrics::start_producer();
    let mut producer = Producer::new(deps, config);
    loop {
        let ControlFlow::Continue(delay) = producer.poll(&shutdown).await? else {
            return Ok(());
        };
        if producer.rest(delay, &shutdown).await?.is_break() {
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

/// `Break` once shutdown was requested.
type Flow<T = ()> = Result<ControlFlow<(), T>, BusError>;

struct Producer {
    deps: ProducerDeps,
    policy: PollPolicy,
    publish_unchanged: bool,
    stale_alert: bool,
    screen: Screen,
    stale: StaleWatch,
    clock: Clock,
    last: Option<RateSnapshot>,
}

impl Producer {
    fn new(deps: ProducerDeps, config: ProducerConfig) -> Self {
        let checks = config.checks;
        let guard = JumpGuard::new(checks.max_jump, checks.jump_confirmations);
        Self {
            deps,
            policy: config.policy,
            publish_unchanged: config.publish_unchanged,
            stale_alert: checks.stale_alert,
            screen: Screen::new(config.tracked, guard),
            stale: StaleWatch::new(checks.stale_after),
            clock: Clock::start(),
            last: None,
        }
    }

    /// Fetches once, publishes what passed the screen and looks at the feed's staleness;
    /// returns the delay until the next poll.
    async fn poll(&mut self, shutdown: &CancellationToken) -> Flow<Duration> {
        let started = std::time::Instant::now();
        let fetched = tokio::select! {
            fetched = self.deps.source.fetch() => fetched,
            () = shutdown.cancelled() => return Ok(ControlFlow::Break(())),
        };
        crate::metrics::record_duration(crate::metrics::FETCH_DURATION, started.elapsed());
        let now = self.clock.now();
        let jitter = rand::thread_rng().gen::<f64>();
        let delay = match fetched {
            Ok(fetched) => {
                let health = &self.deps.health;
                health.succeeded(now, fetched.as_of, fetched.next_update);
                if self
                    .publish_rates(&fetched, now, shutdown)
                    .await?
                    .is_break()
                {
                    return Ok(ControlFlow::Break(()));
                }
                self.policy.after_success(now, fetched.next_update, jitter)
            }
            Err(error) => self.failed(&error, now, jitter),
        };
        Ok(self.watch_stale(shutdown).await?.map_continue(|()| delay))
    }

    async fn publish_rates(
        &mut self,
        fetched: &FetchedRates,
        now: DateTime<Utc>,
        shutdown: &CancellationToken,
    ) -> Flow {
        let source = self.deps.source.name().to_owned();
        match self
            .screen
            .snapshot(fetched, &source, &self.deps.health, now)
        {
            Some(s) if self.publish_unchanged || !same_data(self.last.as_ref(), &s) => {
                // A snapshot not yet accepted at shutdown is dropped: the next start
                // fetches the provider's current data again.
                if self
                    .send(Topic::Rates, &s.source, s.to_json(), shutdown)
                    .await?
                    .is_break()
                {
                    return Ok(ControlFlow::Break(()));
                }
                tracing::debug!(as_of = %s.timestamp, rates = s.rates.len(), "Published a snapshot.");
                self.last = Some(s);
            }
            Some(s) => {
                tracing::debug!(as_of = %s.timestamp, "Provider data unchanged; not republished.")
            }
            None => tracing::warn!(
                source,
                "No tracked rate of the provider's answer passed the checks; nothing published."
            ),
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Records a failed fetch; returns the backoff.
    fn failed(&self, error: &SourceError, now: DateTime<Utc>, jitter: f64) -> Duration {
        let failures = self.deps.health.failed(now, error.to_string());
        if matches!(error, SourceError::Malformed(_)) {
            self.deps.health.malformed_response();
        }
        // A refused request (bad key, quota) will not fix itself soon: wait the longest.
        let failures = if error.is_transient() {
            failures
        } else {
            u32::MAX
        };
        let delay = self
            .policy
            .after_failure(failures, error.retry_after(), jitter);
        tracing::warn!(
            source = self.deps.source.name(),
            retry_in_s = delay.as_secs_f64(),
            "Fetching rates failed: {error}"
        );
        delay
    }

    /// Sleeps `delay`, waking in between when the feed is due to go stale, so an episode
    /// is noticed on time even when the next poll is hours away.
    async fn rest(&mut self, delay: Duration, shutdown: &CancellationToken) -> Flow {
        let wake = Instant::now() + delay;
        loop {
            let check = self
                .stale
                .until_stale(&self.deps.health, self.clock.now())
                .and_then(|wait| Instant::now().checked_add(wait));
            let until = check.map_or(wake, |check| check.min(wake));
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                () = shutdown.cancelled() => return Ok(ControlFlow::Break(())),
            }
            if until >= wake {
                return Ok(ControlFlow::Continue(()));
            }
            if self.watch_stale(shutdown).await?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }

    /// Notes a stale episode's start or end; publishes its alert if enabled.
    async fn watch_stale(&mut self, shutdown: &CancellationToken) -> Flow {
        let Some(event) = self.stale.observe(&self.deps.health, self.clock.now()) else {
            return Ok(ControlFlow::Continue(()));
        };
        if !self.stale_alert {
            return Ok(ControlFlow::Continue(()));
        }
        let payload = serde_json::to_vec(&event).expect("plain fields serialize");
        let flow = self
            .send(Topic::Alerts, &event.pair, payload, shutdown)
            .await?;
        if flow.is_continue() {
            tracing::info!(event_id = event.event_id, "Published a stale-feed alert.");
        }
        Ok(flow)
    }

    async fn send(
        &self,
        topic: Topic,
        key: &str,
        payload: Vec<u8>,
        shutdown: &CancellationToken,
    ) -> Flow {
        let mut failures: u32 = 0;
        loop {
            let published = tokio::select! {
                published = self.deps.bus.publish(topic, key, payload.clone()) => published,
                () = shutdown.cancelled() => return Ok(ControlFlow::Break(())),
            };
            let Err(error) = published else {
                if failures > 0 {
                    tracing::info!(
                        failures,
                        "Published to {} after the bus came back.",
                        topic.name()
                    );
                }
                return Ok(ControlFlow::Continue(()));
            };
            // The bus is down (the broker unreachable past the client's own retries):
            // hold the message and try again, rather than drop it or stop polling for good.
            failures = failures.saturating_add(1);
            let delay = PUBLISH_RETRY
                .saturating_mul(1 << (failures - 1).min(5))
                .min(PUBLISH_RETRY_MAX);
            tracing::warn!(
                failures,
                retry_in_s = delay.as_secs_f64(),
                "Publishing to {} failed; holding the message and retrying: {error}",
                topic.name()
            );
            if sleep_or_shutdown(delay, shutdown).await {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
}

/// First wait before publishing a held message again; it doubles up to the maximum.
const PUBLISH_RETRY: Duration = Duration::from_secs(1);
const PUBLISH_RETRY_MAX: Duration = Duration::from_secs(30);

fn same_data(last: Option<&RateSnapshot>, next: &RateSnapshot) -> bool {
    last.is_some_and(|l| l.timestamp == next.timestamp && l.rates == next.rates)
}
