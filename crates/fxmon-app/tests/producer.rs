//! The producer's schedule and de-duplication, on paused time with a scripted source.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use fxmon_app::ports::{BusError, BusPublisher, FetchedRates, RateSource, SourceError, Topic};
use fxmon_app::producer::{self, FeedChecks, ProducerConfig, ProducerDeps};
use fxmon_app::{SourceHealth, SourceState, Tracked};
use fxmon_core::{Currency, PollPolicy, Rate, RateSnapshot};
use tokio_util::sync::CancellationToken;

/// A source that replays scripted outcomes (the last one forever) and counts fetches.
struct Scripted {
    outcomes: Mutex<VecDeque<Result<FetchedRates, SourceError>>>,
    last: Mutex<Option<FetchedRates>>,
    fetches: Mutex<Vec<tokio::time::Instant>>,
}

impl Scripted {
    fn new(outcomes: Vec<Result<FetchedRates, SourceError>>) -> Arc<Self> {
        Arc::new(Self {
            outcomes: Mutex::new(outcomes.into()),
            last: Mutex::new(None),
            fetches: Mutex::new(Vec::new()),
        })
    }

    fn fetch_count(&self) -> usize {
        self.fetches.lock().unwrap().len()
    }
}

#[async_trait]
impl RateSource for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    async fn fetch(&self) -> Result<FetchedRates, SourceError> {
        self.fetches
            .lock()
            .unwrap()
            .push(tokio::time::Instant::now());
        let next = self.outcomes.lock().unwrap().pop_front();
        match next {
            Some(Ok(rates)) => {
                *self.last.lock().unwrap() = Some(rates.clone());
                Ok(rates)
            }
            Some(Err(e)) => Err(e),
            None => Ok(self
                .last
                .lock()
                .unwrap()
                .clone()
                .expect("script ends on a success")),
        }
    }
}

/// What reached the bus; while `down` > 0, each publish is refused and counts it down.
#[derive(Default)]
struct Captured(Mutex<Vec<RateSnapshot>>, Mutex<u32>);

#[async_trait]
impl BusPublisher for Captured {
    async fn publish(&self, topic: Topic, _key: &str, payload: Vec<u8>) -> Result<(), BusError> {
        assert_eq!(topic, Topic::Rates);
        let mut down = self.1.lock().unwrap();
        if *down > 0 {
            *down -= 1;
            return Err(BusError::Other("broker unreachable".into()));
        }
        self.0
            .lock()
            .unwrap()
            .push(RateSnapshot::from_json(&payload).unwrap());
        Ok(())
    }
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

fn fetched(as_of: DateTime<Utc>, eur: f64, next_update: Option<DateTime<Utc>>) -> FetchedRates {
    let mut rates = BTreeMap::new();
    rates.insert(Currency::EUR, Rate::new(eur).unwrap());
    rates.insert(Currency::parse("GBP").unwrap(), Rate::new(0.79).unwrap());
    rates.insert(Currency::parse("SEK").unwrap(), Rate::new(10.5).unwrap());
    FetchedRates {
        base: Currency::USD,
        as_of,
        next_update,
        rates,
        skipped: Vec::new(),
    }
}

fn as_of(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, hour, 0, 0).unwrap()
}

struct Running {
    bus: Arc<Captured>,
    health: SourceHealth,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), BusError>>,
}

fn start(source: Arc<Scripted>, publish_unchanged: bool) -> Running {
    start_on(source, publish_unchanged, Arc::new(Captured::default()))
}

fn start_on(source: Arc<Scripted>, publish_unchanged: bool, bus: Arc<Captured>) -> Running {
    let health = SourceHealth::new("scripted");
    let shutdown = CancellationToken::new();
    let deps = ProducerDeps {
        source,
        bus: bus.clone(),
        health: health.clone(),
    };
    let config = ProducerConfig {
        policy: PollPolicy::default(),
        tracked: Tracked::parse("USD/EUR,EUR/GBP").unwrap(),
        publish_unchanged,
        checks: FeedChecks::default(),
    };
    let task = tokio::spawn(producer::serve(deps, config, shutdown.clone()));
    Running {
        bus,
        health,
        shutdown,
        task,
    }
}

async fn stop(running: Running) -> Vec<RateSnapshot> {
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
    Arc::try_unwrap(running.bus)
        .ok()
        .unwrap()
        .0
        .into_inner()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_snapshot_is_not_published_again() {
    let source = Scripted::new(vec![
        Ok(fetched(as_of(0), 0.85, None)),
        Ok(fetched(as_of(0), 0.85, None)),
        Ok(fetched(as_of(1), 0.86, None)),
    ]);
    let running = start(source.clone(), false);
    tokio::time::sleep(Duration::from_secs(30 * 4 + 1)).await;
    assert_eq!(source.fetch_count(), 5, "polls every 30 s");
    let published = stop(running).await;
    let times: Vec<_> = published.iter().map(|s| s.timestamp).collect();
    assert_eq!(times, [as_of(0), as_of(1)]);
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_the_bus_refuses_is_held_and_published_once_it_comes_back() {
    let source = Scripted::new(vec![
        Ok(fetched(as_of(0), 0.85, None)),
        Ok(fetched(as_of(1), 0.86, None)),
    ]);
    let bus = Arc::new(Captured::default());
    // Down for four attempts: retried after 1, 2, 4 and 8 s.
    *bus.1.lock().unwrap() = 4;
    let running = start_on(source.clone(), false, bus);
    tokio::time::sleep(Duration::from_secs(14)).await;
    assert_eq!(
        source.fetch_count(),
        1,
        "no new poll while a snapshot is held"
    );
    assert!(running.bus.0.lock().unwrap().is_empty());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        running.bus.0.lock().unwrap().len(),
        1,
        "published after 15 s"
    );
    // Polling resumes 30 s later, and the next update flows.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let published = stop(running).await;
    let times: Vec<_> = published.iter().map(|s| s.timestamp).collect();
    assert_eq!(times, [as_of(0), as_of(1)]);
}

#[tokio::test(start_paused = true)]
async fn the_publish_unchanged_flag_publishes_every_poll() {
    let source = Scripted::new(vec![Ok(fetched(as_of(0), 0.85, None))]);
    let running = start(source.clone(), true);
    tokio::time::sleep(Duration::from_secs(30 * 2 + 1)).await;
    assert_eq!(stop(running).await.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_carries_the_providers_as_of_time_and_only_the_needed_legs() {
    let next = Utc::now() + TimeDelta::hours(2);
    let source = Scripted::new(vec![Ok(fetched(as_of(3), 0.85, Some(next)))]);
    let running = start(source, false);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let published = stop(running).await;
    let snapshot = &published[0];
    assert_eq!(snapshot.timestamp, as_of(3));
    assert!(snapshot.fetched_at.unwrap() > as_of(3));
    assert_eq!(snapshot.next_update_at, Some(next));
    let pairs: Vec<String> = snapshot.rates.keys().map(|p| p.to_string()).collect();
    assert_eq!(pairs, ["USD/EUR", "USD/GBP"], "SEK is not tracked");
    assert_eq!(snapshot.source, "scripted");
}

#[tokio::test(start_paused = true)]
async fn it_does_not_poll_before_the_providers_next_update() {
    let next = Utc::now() + TimeDelta::hours(6);
    let source = Scripted::new(vec![Ok(fetched(as_of(0), 0.85, Some(next)))]);
    let running = start(source.clone(), false);
    tokio::time::sleep(Duration::from_secs(6 * 3600 - 60)).await;
    assert_eq!(source.fetch_count(), 1, "polled before the next update");
    // After the next update plus at most the 60 s jitter, it polls again; then, the
    // announced update being past, every 30 s: at most once more in the 61 s left.
    tokio::time::sleep(Duration::from_secs(121)).await;
    let fetches = source.fetch_count();
    assert!((2..=3).contains(&fetches), "{fetches} fetches");
    stop(running).await;
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_honour_retry_after_and_show_in_health() {
    let source = Scripted::new(vec![
        Err(SourceError::Server { status: 503 }),
        Err(SourceError::Timeout(Duration::from_secs(10))),
        Err(SourceError::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        }),
        Ok(fetched(as_of(0), 0.85, None)),
    ]);
    let running = start(source.clone(), false);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        running
            .health
            .status()
            .state(Utc::now(), Duration::from_secs(1)),
        SourceState::Failing
    );
    // Fetches at 0, ≤1 s, ≤3 s and ≤603 s; the next one (a normal poll) only 30 s later.
    tokio::time::sleep(Duration::from_secs(605)).await;
    assert_eq!(source.fetch_count(), 4);
    let fetches = source.fetches.lock().unwrap().clone();
    let gaps: Vec<Duration> = fetches.windows(2).map(|w| w[1] - w[0]).collect();
    // Backoff steps of 1 s then 2 s with equal jitter, then the 600 s Retry-After.
    assert!(
        gaps[0] >= Duration::from_millis(500) && gaps[0] <= Duration::from_secs(1),
        "{gaps:?}"
    );
    assert!(
        gaps[1] >= Duration::from_secs(1) && gaps[1] <= Duration::from_secs(2),
        "{gaps:?}"
    );
    assert!(gaps[2] >= Duration::from_secs(600), "{gaps:?}");
    let status = running.health.status();
    assert_eq!(status.consecutive_failures, 0);
    assert_eq!(status.last_as_of, Some(as_of(0)));
    assert_eq!(stop(running).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refused_request_waits_the_longest_backoff() {
    let source = Scripted::new(vec![
        Err(SourceError::Refused {
            kind: "invalid-key".into(),
            advice: "check the key".into(),
        }),
        Ok(fetched(as_of(0), 0.85, None)),
    ]);
    let running = start(source.clone(), false);
    tokio::time::sleep(Duration::from_secs(149)).await;
    assert_eq!(source.fetch_count(), 1);
    let error = running.health.status().last_error.unwrap();
    assert!(
        error.contains("invalid-key") && error.contains("check the key"),
        "{error}"
    );
    tokio::time::sleep(Duration::from_secs(152)).await;
    let fetches = source.fetches.lock().unwrap().clone();
    assert!(fetches.len() >= 2, "retried within the 300 s cap");
    let gap = fetches[1] - fetches[0];
    assert!(
        gap >= Duration::from_secs(150) && gap <= Duration::from_secs(300),
        "{gap:?}"
    );
    stop(running).await;
}
