//! The processor and alerter on the embedded adapters: in-process bus, real SQLite file,
//! in-memory cache.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_adapters::webhook::HttpWebhookSender;
use fxmon_app::alerter::{self, Alerter, AlerterDeps};
use fxmon_app::delivery::{self, DeliveryPolicy, DeliveryWaker};
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{
    AlertStore, BusPublisher, BusSubscriber, HistoryQuery, NewAlert, RateCache, RatePoint,
    RateStore, StoreError, StoredRate, Topic, TriggerFilter,
};
use fxmon_app::processor::{self, Processor, ProcessorDeps};
use fxmon_app::Tracked;
use fxmon_core::{AlertRule, Condition, Currency, Pair, Rate, RateSnapshot};
use tokio_util::sync::CancellationToken;

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + second, 0).unwrap()
}

fn pair(s: &str) -> Pair {
    Pair::parse(s).unwrap()
}

fn snapshot(second: i64, eur: f64, gbp: f64) -> RateSnapshot {
    let rates: BTreeMap<Pair, Rate> = [("USD/EUR", eur), ("USD/GBP", gbp), ("USD/JPY", 150.0)]
        .into_iter()
        .map(|(p, v)| (pair(p), Rate::new(v).unwrap()))
        .collect();
    RateSnapshot::new(at(second), Currency::USD, rates, "test-source").unwrap()
}

async fn store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    (dir, Arc::new(store))
}

fn tracked() -> Tracked {
    Tracked::parse("USD/EUR,EUR/GBP,USD/JPY").unwrap()
}

fn processor(
    store: Arc<dyn RateStore>,
    cache: Arc<MemoryRateCache>,
    bus: Arc<MemoryBus>,
) -> Processor {
    Processor::new(
        ProcessorDeps {
            store,
            cache,
            dead_letters: bus,
        },
        tracked(),
    )
}

#[tokio::test]
async fn a_snapshot_is_stored_then_cached_with_crosses_and_volatility() {
    let (_dir, store) = store().await;
    let cache = Arc::new(MemoryRateCache::new());
    let mut processor = processor(store.clone(), cache.clone(), Arc::new(MemoryBus::new(8)));
    assert_eq!(
        processor.process(&snapshot(0, 0.85, 0.79)).await.unwrap(),
        3
    );
    assert_eq!(
        processor.process(&snapshot(1, 0.86, 0.78)).await.unwrap(),
        3
    );

    let eur_gbp = cache.quote(pair("EUR/GBP")).await.unwrap().unwrap();
    assert!((eur_gbp.rate.get() - 0.78 / 0.86).abs() < 1e-15);
    assert_eq!(eur_gbp.as_of, at(1));
    let expected = ((0.79f64 / 0.85 - 0.78 / 0.86).abs()) / 2f64.sqrt();
    assert!((eur_gbp.volatility.level.unwrap() - expected).abs() < 1e-12);
    assert!(
        eur_gbp.volatility.log_return.is_none(),
        "one return is not enough"
    );

    let (cross, as_of) = cache.cross_rate(pair("JPY/GBP")).await.unwrap().unwrap();
    assert!((cross.get() - 0.78 / 150.0).abs() < 1e-15);
    assert_eq!(as_of, at(1));
    assert_eq!(store.count_rates().await.unwrap(), 6);
}

#[tokio::test]
async fn a_replayed_snapshot_stores_nothing_and_changes_no_figure() {
    let (_dir, store) = store().await;
    let cache = Arc::new(MemoryRateCache::new());
    let mut processor = processor(store.clone(), cache.clone(), Arc::new(MemoryBus::new(8)));
    for (i, eur) in [0.85, 0.86, 0.84].into_iter().enumerate() {
        processor
            .process(&snapshot(i as i64, eur, 0.79))
            .await
            .unwrap();
    }
    let before = cache.quote(pair("USD/EUR")).await.unwrap().unwrap();
    assert_eq!(
        processor.process(&snapshot(1, 0.86, 0.79)).await.unwrap(),
        0
    );
    assert_eq!(
        processor.process(&snapshot(2, 0.84, 0.79)).await.unwrap(),
        0
    );
    assert_eq!(store.count_rates().await.unwrap(), 9);
    assert_eq!(cache.quote(pair("USD/EUR")).await.unwrap().unwrap(), before);
}

#[tokio::test]
async fn a_restarted_processor_rebuilds_volatility_from_the_store() {
    let (_dir, store) = store().await;
    let levels = [0.85, 0.86, 0.84, 0.87];
    let mut first = processor(
        store.clone(),
        Arc::new(MemoryRateCache::new()),
        Arc::new(MemoryBus::new(8)),
    );
    for (i, eur) in levels[..3].iter().enumerate() {
        first
            .process(&snapshot(i as i64, *eur, 0.79))
            .await
            .unwrap();
    }
    drop(first);
    let cache = Arc::new(MemoryRateCache::new());
    let mut second = processor(store.clone(), cache.clone(), Arc::new(MemoryBus::new(8)));
    second.process(&snapshot(3, levels[3], 0.79)).await.unwrap();
    let quote = cache.quote(pair("USD/EUR")).await.unwrap().unwrap();
    let expected = fxmon_core::volatility::sample_std_dev(&levels).unwrap();
    assert!((quote.volatility.level.unwrap() - expected).abs() < 1e-15);
}

/// A store whose writes fail while `down` is set; reads pass through.
struct FlakyStore {
    inner: Arc<SqliteStore>,
    down: AtomicBool,
}

#[async_trait]
impl RateStore for FlakyStore {
    async fn insert_rates(&self, rows: &[StoredRate]) -> Result<u64, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("disk unplugged".into()));
        }
        self.inner.insert_rates(rows).await
    }
    async fn history(&self, query: &HistoryQuery) -> Result<Vec<RatePoint>, StoreError> {
        self.inner.history(query).await
    }
    async fn snapshot_at(
        &self,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<RateSnapshot>, StoreError> {
        self.inner.snapshot_at(at).await
    }
    async fn currencies_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<std::collections::BTreeSet<Currency>, StoreError> {
        self.inner.currencies_between(from, to).await
    }
    async fn count_rates(&self) -> Result<u64, StoreError> {
        self.inner.count_rates().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

#[tokio::test]
async fn a_failed_store_write_leaves_the_cache_untouched_and_is_retried_until_it_lands() {
    let (_dir, sqlite) = store().await;
    let store = Arc::new(FlakyStore {
        inner: sqlite.clone(),
        down: AtomicBool::new(true),
    });
    let cache = Arc::new(MemoryRateCache::new());
    let bus = Arc::new(MemoryBus::new(8));
    let mut direct = processor(store.clone(), cache.clone(), bus.clone());
    assert!(direct.process(&snapshot(0, 0.85, 0.79)).await.is_err());
    assert_eq!(
        cache.quote(pair("USD/EUR")).await.unwrap(),
        None,
        "cache ahead of store"
    );

    let inbox = Box::new(bus.subscribe(Topic::Rates, "processor"));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(processor::serve(
        processor(store.clone(), cache.clone(), bus.clone()),
        inbox,
        Duration::from_millis(5),
        shutdown.clone(),
    ));
    bus.publish(Topic::Rates, "k", snapshot(0, 0.85, 0.79).to_json())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(cache.quote(pair("USD/EUR")).await.unwrap(), None);
    store.down.store(false, Ordering::SeqCst);
    wait_until(|| async { cache.quote(pair("USD/EUR")).await.unwrap().is_some() }).await;
    assert_eq!(sqlite.count_rates().await.unwrap(), 3);
    shutdown.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_malformed_message_is_dead_lettered_with_its_reason_and_the_next_one_is_processed() {
    let (_dir, store) = store().await;
    let cache = Arc::new(MemoryRateCache::new());
    let bus = Arc::new(MemoryBus::new(8));
    let mut dead = bus.subscribe(Topic::DeadLetter, "inspector");
    let inbox = Box::new(bus.subscribe(Topic::Rates, "processor"));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(processor::serve(
        processor(store.clone(), cache.clone(), bus.clone()),
        inbox,
        Duration::from_millis(5),
        shutdown.clone(),
    ));
    let bad =
        br#"{"timestamp":"2026-02-04T10:30:00Z","base":"USD","rates":{"USD/EUR":-1},"source":"x"}"#;
    bus.publish(Topic::Rates, "k", bad.to_vec()).await.unwrap();
    bus.publish(Topic::Rates, "k", b"{not json".to_vec())
        .await
        .unwrap();
    bus.publish(Topic::Rates, "k", snapshot(0, 0.85, 0.79).to_json())
        .await
        .unwrap();

    let letter: serde_json::Value =
        serde_json::from_slice(&dead.next().await.unwrap().unwrap().payload).unwrap();
    assert_eq!(letter["topic"], "fx-rates");
    assert!(
        letter["reason"].as_str().unwrap().contains("USD/EUR"),
        "{letter}"
    );
    assert_eq!(letter["payload"], String::from_utf8_lossy(bad).as_ref());
    let letter: serde_json::Value =
        serde_json::from_slice(&dead.next().await.unwrap().unwrap().payload).unwrap();
    assert!(
        letter["reason"].as_str().unwrap().contains("JSON"),
        "{letter}"
    );
    wait_until(|| async { cache.quote(pair("USD/EUR")).await.unwrap().is_some() }).await;
    assert_eq!(store.count_rates().await.unwrap(), 3);
    shutdown.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn alerts_fire_once_per_episode_on_direct_and_cross_pairs_and_a_replay_records_nothing() {
    let (_dir, store) = store().await;
    let create = |p: &str, condition, threshold| {
        let mut rule = AlertRule::new(0, pair(p), condition, threshold);
        rule.cooldown_seconds = 0;
        NewAlert {
            rule,
            webhook_url: None,
            webhook_secret: None,
            owner: Default::default(),
        }
    };
    let below = store
        .create_alert(&create("USD/EUR", Condition::Below, 0.85))
        .await
        .unwrap()
        .rule;
    let cross = store
        .create_alert(&create("EUR/GBP", Condition::Above, 0.93))
        .await
        .unwrap()
        .rule;
    let bus = Arc::new(MemoryBus::new(64));
    let mut events = bus.subscribe(Topic::Alerts, "inspector");
    let inbox = Box::new(bus.subscribe(Topic::Rates, "alerter"));
    let shutdown = CancellationToken::new();
    let waker = DeliveryWaker::new();
    let alerter = Alerter::new(AlerterDeps {
        alerts: store.clone(),
        rates: store.clone(),
        dead_letters: bus.clone(),
        on_recorded: Arc::new({
            let waker = waker.clone();
            move || waker.wake()
        }),
    });
    let task = tokio::spawn(alerter::serve(
        alerter,
        inbox,
        Duration::from_millis(5),
        shutdown.clone(),
    ));
    // Events reach `fx-alerts` through the durable outbox.
    // No alert here has a webhook: the sender is the default, public-only one.
    let sender =
        Arc::new(HttpWebhookSender::new(Duration::from_secs(1), TargetPolicy::PublicOnly).unwrap());
    let worker = tokio::spawn(delivery::serve(
        store.clone(),
        bus.clone(),
        sender,
        DeliveryPolicy::default(),
        waker,
        shutdown.clone(),
    ));

    // USD/EUR: 0.86 (armed), 0.84 fires, 0.83 same episode, 0.86 re-arms, 0.84 fires again.
    // EUR/GBP = USD/GBP ÷ USD/EUR: 0.919, 0.952 fires, 0.940 same episode, 0.919 re-arms,
    // 0.952 fires again.
    let script = [
        (0.86, 0.79),
        (0.84, 0.80),
        (0.83, 0.78),
        (0.86, 0.79),
        (0.84, 0.80),
    ];
    let snapshots: Vec<RateSnapshot> = script
        .iter()
        .enumerate()
        .map(|(i, (eur, gbp))| snapshot(i as i64, *eur, *gbp))
        .collect();
    for s in &snapshots {
        bus.publish(Topic::Rates, "k", s.to_json()).await.unwrap();
    }
    let mut fired = Vec::new();
    for _ in 0..4 {
        let event: serde_json::Value =
            serde_json::from_slice(&events.next().await.unwrap().unwrap().payload).unwrap();
        fired.push((
            event["alert_id"].as_i64().unwrap(),
            event["triggered_at"].as_str().unwrap().to_owned(),
        ));
        for field in [
            "event_id",
            "pair",
            "condition",
            "threshold",
            "current_rate",
            "message",
        ] {
            assert!(!event[field].is_null(), "{field} missing in {event}");
        }
    }
    let t = |i| fxmon_core::snapshot::format_time(at(i));
    // Events of different alerts may be delivered in any order; each arrives once.
    fired.sort();
    let mut expected = vec![
        (below.id, t(1)),
        (cross.id, t(1)),
        (below.id, t(4)),
        (cross.id, t(4)),
    ];
    expected.sort();
    assert_eq!(fired, expected);

    // Replaying every snapshot records no new history row and publishes nothing.
    for s in &snapshots {
        bus.publish(Topic::Rates, "k", s.to_json()).await.unwrap();
    }
    let quiet = tokio::time::timeout(Duration::from_millis(200), events.next()).await;
    assert!(quiet.is_err(), "a replay published an event");
    let all = TriggerFilter {
        limit: 100,
        offset: 0,
        alert_id: None,
        pair: None,
        owner: Default::default(),
    };
    assert_eq!(store.triggers(&all).await.unwrap().len(), 4);
    shutdown.cancel();
    task.await.unwrap().unwrap();
    worker.await.unwrap().unwrap();
}

async fn wait_until<F, Fut>(condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition never held");
}

/// A subscriber over the in-process bus whose commits always fail.
struct FailingCommits(fxmon_adapters::memory::MemorySubscriber);

#[async_trait]
impl BusSubscriber for FailingCommits {
    async fn next(
        &mut self,
    ) -> Result<Option<fxmon_app::ports::Delivery>, fxmon_app::ports::BusError> {
        self.0.next().await
    }
    async fn commit(
        &mut self,
        _: &fxmon_app::ports::Delivery,
    ) -> Result<(), fxmon_app::ports::BusError> {
        Err(fxmon_app::ports::BusError::Other(
            "broker unavailable".into(),
        ))
    }
}

#[tokio::test]
async fn a_failed_commit_does_not_stop_the_consumer() {
    let (_dir, store) = store().await;
    let cache = Arc::new(MemoryRateCache::new());
    let bus = Arc::new(MemoryBus::new(8));
    let inbox = Box::new(FailingCommits(bus.subscribe(Topic::Rates, "processor")));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(processor::serve(
        processor(store.clone(), cache.clone(), bus.clone()),
        inbox,
        Duration::from_millis(5),
        shutdown.clone(),
    ));
    for second in 0..3 {
        bus.publish(Topic::Rates, "k", snapshot(second, 0.85, 0.79).to_json())
            .await
            .unwrap();
    }
    wait_until(|| async { store.count_rates().await.unwrap() == 9 }).await;
    assert!(
        !task.is_finished(),
        "the consumer stopped on a commit error"
    );
    shutdown.cancel();
    task.await.unwrap().unwrap();
}
