//! The producer's checks of the feed, on paused time with a fake source and bus: absurd
//! moves quarantined, invalid answers counted, and one stale-feed alert per episode.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use fxmon_adapters::memory::MemoryRateCache;
use fxmon_app::health::{self, HealthDeps};
use fxmon_app::ports::{
    BusError, BusPublisher, FetchedRates, HistoryQuery, RatePoint, RateSource, RateStore,
    SourceError, StoreError, StoredRate, Topic,
};
use fxmon_app::producer::jump::JumpBound;
use fxmon_app::producer::{self, FeedChecks, ProducerConfig, ProducerDeps};
use fxmon_app::{SourceHealth, Tracked};
use fxmon_core::{Currency, Pair, PollPolicy, Rate, RateSnapshot};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const HOUR: Duration = Duration::from_secs(3600);

/// What the fake provider answers.
#[derive(Clone)]
enum Answer {
    Rates(FetchedRates),
    Down,
    Malformed,
}

/// A provider that answers queued answers, then its standing one forever.
struct Provider {
    queue: Mutex<VecDeque<Answer>>,
    standing: Mutex<Answer>,
    fetches: Mutex<u32>,
}

impl Provider {
    fn new(answers: Vec<Answer>) -> Arc<Self> {
        let standing = answers.last().cloned().expect("at least one answer");
        Arc::new(Self {
            queue: Mutex::new(answers.into()),
            standing: Mutex::new(standing),
            fetches: Mutex::new(0),
        })
    }

    /// From now on, answers `answer` forever.
    fn set(&self, answer: Answer) {
        self.queue.lock().unwrap().clear();
        *self.standing.lock().unwrap() = answer;
    }

    fn fetches(&self) -> u32 {
        *self.fetches.lock().unwrap()
    }
}

#[async_trait]
impl RateSource for Provider {
    fn name(&self) -> &str {
        "fake"
    }

    async fn fetch(&self) -> Result<FetchedRates, SourceError> {
        *self.fetches.lock().unwrap() += 1;
        let queued = self.queue.lock().unwrap().pop_front();
        let answer = queued.unwrap_or_else(|| self.standing.lock().unwrap().clone());
        match answer {
            Answer::Rates(rates) => Ok(rates),
            Answer::Down => Err(SourceError::Server { status: 503 }),
            Answer::Malformed => Err(SourceError::Malformed("the body is not JSON".into())),
        }
    }
}

/// A bus that keeps every message.
#[derive(Default)]
struct Bus(Mutex<Vec<(Topic, String, Vec<u8>)>>);

impl Bus {
    fn snapshots(&self) -> Vec<RateSnapshot> {
        let messages = self.0.lock().unwrap();
        let rates = messages.iter().filter(|(t, _, _)| *t == Topic::Rates);
        rates
            .map(|(_, _, p)| RateSnapshot::from_json(p).unwrap())
            .collect()
    }

    fn alerts(&self) -> Vec<(String, Value)> {
        let messages = self.0.lock().unwrap();
        let alerts = messages.iter().filter(|(t, _, _)| *t == Topic::Alerts);
        alerts
            .map(|(_, k, p)| (k.clone(), serde_json::from_slice(p).unwrap()))
            .collect()
    }
}

#[async_trait]
impl BusPublisher for Bus {
    async fn publish(&self, topic: Topic, key: &str, payload: Vec<u8>) -> Result<(), BusError> {
        self.0
            .lock()
            .unwrap()
            .push((topic, key.to_owned(), payload));
        Ok(())
    }
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

fn rates(as_of: DateTime<Utc>, eur: f64, gbp: f64) -> FetchedRates {
    let mut rates = BTreeMap::new();
    rates.insert(Currency::EUR, Rate::new(eur).unwrap());
    rates.insert(Currency::parse("GBP").unwrap(), Rate::new(gbp).unwrap());
    FetchedRates {
        base: Currency::USD,
        as_of,
        next_update: None,
        rates,
        skipped: Vec::new(),
    }
}

struct Running {
    bus: Arc<Bus>,
    health: SourceHealth,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), BusError>>,
}

impl Running {
    async fn stop(self) -> Arc<Bus> {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
        self.bus
    }
}

fn start(source: Arc<Provider>, checks: FeedChecks) -> Running {
    let bus = Arc::new(Bus::default());
    let health = SourceHealth::new("fake");
    let shutdown = CancellationToken::new();
    let deps = ProducerDeps {
        source,
        bus: bus.clone(),
        health: health.clone(),
    };
    let config = ProducerConfig {
        policy: PollPolicy::default(),
        tracked: Tracked::parse("USD/EUR,USD/GBP").unwrap(),
        publish_unchanged: false,
        checks,
    };
    let task = tokio::spawn(producer::serve(deps, config, shutdown.clone()));
    Running {
        bus,
        health,
        shutdown,
        task,
    }
}

/// Runs `answers`, one per poll, and returns what was published. Polls come every 30 s,
/// or up to 300 s after a malformed answer; the last answer repeats, unchanged.
async fn publish(answers: Vec<Answer>) -> (Vec<RateSnapshot>, SourceHealth) {
    let polls = answers.len() as u32;
    let running = start(Provider::new(answers), FeedChecks::default());
    tokio::time::sleep(Duration::from_secs(300) * polls).await;
    let health = running.health.clone();
    (running.stop().await.snapshots(), health)
}

fn eur(snapshot: &RateSnapshot) -> Option<f64> {
    let pair = Pair::new(Currency::USD, Currency::EUR).unwrap();
    snapshot.rates.get(&pair).map(|r| r.get())
}

/// An as-of time `n` hours after one hour ago; the same `n` is always the same time.
fn hours(n: i64) -> DateTime<Utc> {
    static START: OnceLock<DateTime<Utc>> = OnceLock::new();
    *START.get_or_init(Utc::now) - TimeDelta::hours(1) + TimeDelta::hours(n)
}

#[tokio::test(start_paused = true)]
async fn a_spike_is_quarantined_and_the_next_normal_rate_published() {
    let (published, health) = publish(vec![
        Answer::Rates(rates(hours(0), 0.86, 0.79)),
        Answer::Rates(rates(hours(1), 86.0, 0.80)),
        Answer::Rates(rates(hours(2), 0.87, 0.80)),
    ])
    .await;
    let eurs: Vec<Option<f64>> = published.iter().map(eur).collect();
    assert_eq!(eurs, [Some(0.86), None, Some(0.87)]);
    assert_eq!(
        published[1].rates.len(),
        1,
        "GBP of the spiked answer is published"
    );
    assert_eq!(health.status().quarantined_rates, 1);
}

#[tokio::test(start_paused = true)]
async fn a_level_served_for_three_updates_is_accepted_but_polling_one_update_again_confirms_nothing(
) {
    let (published, health) = publish(vec![
        Answer::Rates(rates(hours(0), 0.86, 0.79)),
        Answer::Rates(rates(hours(1), 1.20, 0.79)),
        Answer::Rates(rates(hours(1), 1.20, 0.79)),
        Answer::Rates(rates(hours(1), 1.20, 0.79)),
        Answer::Rates(rates(hours(2), 1.21, 0.79)),
        Answer::Rates(rates(hours(3), 1.20, 0.79)),
        Answer::Rates(rates(hours(4), 1.19, 0.79)),
    ])
    .await;
    let eurs: Vec<Option<f64>> = published.iter().map(eur).collect();
    assert_eq!(eurs, [Some(0.86), None, None, Some(1.20), Some(1.19)]);
    assert_eq!(health.status().quarantined_rates, 2);
}

#[tokio::test(start_paused = true)]
async fn invalid_partial_and_malformed_answers_are_never_published_and_are_counted() {
    let mut partial = rates(hours(1), 0.87, 0.79);
    partial.rates.remove(&Currency::parse("GBP").unwrap());
    partial.skipped = vec!["GBP: rate 0 must be a finite number greater than zero".into()];
    let (published, health) = publish(vec![
        Answer::Rates(rates(hours(0), 0.86, 0.79)),
        Answer::Malformed,
        Answer::Rates(partial),
        Answer::Rates(rates(hours(3), 0.88, 0.79)),
    ])
    .await;
    let counts: Vec<usize> = published.iter().map(|s| s.rates.len()).collect();
    assert_eq!(counts, [2, 1, 2], "the partial answer publishes EUR alone");
    let status = health.status();
    assert_eq!((status.rejected_rates, status.malformed_responses), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn health_names_the_quarantined_and_rejected_rates() {
    let mut invalid = rates(hours(2), 0.87, 0.79);
    invalid.skipped = vec!["JPY: rate -1 must be".into(), "GBP: rate -1 must be".into()];
    invalid.rates.remove(&Currency::parse("GBP").unwrap());
    let (_, source) = publish(vec![
        Answer::Rates(rates(hours(0), 0.86, 0.79)),
        Answer::Rates(rates(hours(1), 8.6, 7.9)),
        Answer::Rates(invalid),
    ])
    .await;
    let detail = source_detail(source).await;
    assert!(detail.starts_with("fake: fresh"), "{detail}");
    assert!(detail.contains("; 2 rates quarantined"), "{detail}");
    assert!(
        detail.contains("; 1 invalid rates rejected"),
        "JPY is not tracked: {detail}"
    );
}

fn stale_checks(alert: bool) -> FeedChecks {
    FeedChecks {
        max_jump: JumpBound::new(25.0).unwrap(),
        stale_after: 2 * HOUR,
        stale_alert: alert,
        ..FeedChecks::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_stale_feed_alerts_once_per_episode_and_again_after_a_recovery() {
    let t0 = Utc::now();
    let old = t0 - TimeDelta::hours(1);
    let source = Provider::new(vec![Answer::Rates(rates(old, 0.86, 0.79))]);
    let running = start(source.clone(), stale_checks(true));
    tokio::time::sleep(HOUR - Duration::from_secs(60)).await;
    assert!(running.bus.alerts().is_empty(), "not stale yet");
    tokio::time::sleep(4 * HOUR).await;
    let alerts = running.bus.alerts();
    assert_eq!(alerts.len(), 1, "one alert although stale over many polls");
    let (key, event) = &alerts[0];
    let since = (old + TimeDelta::hours(2)).timestamp();
    assert_eq!(event["event_id"], format!("stale:fake:{since}"));
    assert_eq!((key.as_str(), &event["pair"]), ("*", &Value::from("*")));
    assert_eq!(event["condition"], "source_stale");
    assert_eq!(
        (&event["alert_id"], &event["threshold"]),
        (&Value::from(0), &Value::from(2.0))
    );
    assert!(event["value"].as_f64().unwrap() >= 2.0, "{event}");
    assert!(event["message"]
        .as_str()
        .unwrap()
        .contains("older than 2 h"));
    let status = running.health.status();
    assert_eq!(status.stale_episodes, 1);
    assert!(status.stale_since.is_some());

    let fresh = Utc::now() + TimeDelta::hours(5);
    source.set(Answer::Rates(rates(fresh, 0.86, 0.79)));
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(running.health.status().stale_since, None, "fresh again");
    tokio::time::sleep(HOUR).await;
    assert_eq!(running.bus.alerts().len(), 1);
    tokio::time::sleep(2 * HOUR).await;
    let alerts = running.bus.alerts();
    assert_eq!(alerts.len(), 2, "a second episode alerts again");
    assert_ne!(alerts[0].1["event_id"], alerts[1].1["event_id"]);
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_provider_down_for_longer_than_the_bound_alerts_once() {
    let source = Provider::new(vec![Answer::Down]);
    let running = start(source, stale_checks(true));
    tokio::time::sleep(2 * HOUR - Duration::from_secs(60)).await;
    assert!(running.bus.alerts().is_empty());
    tokio::time::sleep(3 * HOUR).await;
    let alerts = running.bus.alerts();
    assert_eq!(alerts.len(), 1);
    let message = alerts[0].1["message"].as_str().unwrap().to_owned();
    assert!(message.contains("fetches have failed since"), "{message}");
    assert_eq!(alerts[0].1["last_as_of"], Value::Null);
    let detail = source_detail(running.health.clone()).await;
    assert!(
        detail.contains("failing") && detail.contains("feed stale since"),
        "{detail}"
    );
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_feed_going_stale_between_far_apart_polls_alerts_on_time_without_polling() {
    let mut answer = rates(Utc::now(), 0.86, 0.79);
    answer.next_update = Some(Utc::now() + TimeDelta::hours(10));
    let source = Provider::new(vec![Answer::Rates(answer)]);
    let running = start(source.clone(), stale_checks(true));
    tokio::time::sleep(2 * HOUR + Duration::from_secs(5)).await;
    assert_eq!(running.bus.alerts().len(), 1);
    assert_eq!(source.fetches(), 1, "the provider's schedule is kept");
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn without_the_flag_a_stale_episode_shows_in_health_but_publishes_nothing() {
    let old = Utc::now() - TimeDelta::hours(3);
    let source = Provider::new(vec![Answer::Rates(rates(old, 0.86, 0.79))]);
    let running = start(source, stale_checks(false));
    tokio::time::sleep(Duration::from_secs(90)).await;
    let status = running.health.status();
    assert_eq!(status.stale_episodes, 1);
    assert_eq!(status.stale_since, Some(old + TimeDelta::hours(2)));
    let bus = running.stop().await;
    assert!(bus.alerts().is_empty());
    assert_eq!(
        bus.snapshots().len(),
        1,
        "stale data is still published once"
    );
}

async fn source_detail(source: SourceHealth) -> String {
    let deps = HealthDeps {
        store: Arc::new(EmptyStore),
        cache: Arc::new(MemoryRateCache::new()),
        bus: Arc::new(Bus::default()),
        source: Some(source),
        stale_after: 26 * HOUR,
    };
    let report = health::check(&deps, Utc::now() + TimeDelta::minutes(1)).await;
    let component = report.components.iter().find(|c| c.name == "rate_source");
    component.unwrap().detail.clone()
}

/// A store holding nothing: it answers every read as an empty store does.
struct EmptyStore;

#[async_trait]
impl RateStore for EmptyStore {
    async fn insert_rates(&self, rows: &[StoredRate]) -> Result<u64, StoreError> {
        Ok(rows.len() as u64)
    }
    async fn history(&self, _: &HistoryQuery) -> Result<Vec<RatePoint>, StoreError> {
        Ok(Vec::new())
    }
    async fn snapshot_at(
        &self,
        _: Option<DateTime<Utc>>,
    ) -> Result<Option<RateSnapshot>, StoreError> {
        Ok(None)
    }
    async fn currencies_between(
        &self,
        _: Option<DateTime<Utc>>,
        _: Option<DateTime<Utc>>,
    ) -> Result<BTreeSet<Currency>, StoreError> {
        Ok(BTreeSet::new())
    }
    async fn count_rates(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
