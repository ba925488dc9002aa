//! Handling snapshots as batches has the same effects as handling them one at a time:
//! the same stored rows, the same cached quotes (volatility included) and cross rates,
//! the same alert triggers and rule states. Each side runs on its own SQLite store.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::alerter::{Alerter, AlerterDeps};
use fxmon_app::ports::{AlertStore, NewAlert, RateCache, RateStore, TriggerFilter};
use fxmon_app::processor::{Processor, ProcessorDeps};
use fxmon_app::Tracked;
use fxmon_core::alert::Frequency;
use fxmon_core::{AlertRule, Condition, Currency, Pair, Rate, RateSnapshot};

const SNAPSHOTS: usize = 60;
const TRACKED: &str = "EUR/USD,EUR/GBP,USD/JPY,GBP/CHF";

fn pair(text: &str) -> Pair {
    Pair::parse(text).unwrap()
}

/// EUR-based snapshots whose legs swing with different periods, one minute apart.
fn snapshots() -> Vec<RateSnapshot> {
    let start = DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let legs = [
        ("USD", 1.08, 7.0),
        ("GBP", 0.85, 11.0),
        ("JPY", 161.0, 5.0),
        ("CHF", 0.95, 13.0),
    ];
    (0..SNAPSHOTS)
        .map(|i| {
            let rates: BTreeMap<Pair, Rate> = legs
                .iter()
                .map(|(code, mid, period)| {
                    let swing = (std::f64::consts::TAU * i as f64 / period).sin() * 0.01;
                    let pair = Pair::new(
                        Currency::parse("EUR").unwrap(),
                        Currency::parse(code).unwrap(),
                    )
                    .unwrap();
                    (pair, Rate::new(mid * (1.0 + swing)).unwrap())
                })
                .collect();
            let at = start + TimeDelta::minutes(i as i64);
            RateSnapshot::new(at, Currency::parse("EUR").unwrap(), rates, "test-source").unwrap()
        })
        .collect()
}

struct Side {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    cache: Arc<MemoryRateCache>,
    processor: Processor,
    alerter: Alerter,
}

async fn side() -> Side {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("fxmon.db"))
            .await
            .unwrap(),
    );
    let cache = Arc::new(MemoryRateCache::new());
    let bus = Arc::new(MemoryBus::new(8));
    for (text, condition, threshold) in [
        ("EUR/USD", Condition::Above, 1.085),
        ("EUR/USD", Condition::Below, 1.075),
        ("USD/JPY", Condition::Above, 149.5),
        ("GBP/CHF", Condition::Below, 1.112),
    ] {
        let mut rule = AlertRule::new(0, pair(text), condition, threshold);
        rule.cooldown_seconds = 0;
        rule.frequency = Frequency::Recurring;
        let new = NewAlert {
            rule,
            webhook_url: None,
            webhook_secret: None,
            owner: Default::default(),
        };
        store.create_alert(&new).await.unwrap();
    }
    let processor = Processor::new(
        ProcessorDeps {
            store: store.clone(),
            cache: cache.clone(),
            dead_letters: bus.clone(),
        },
        Tracked::parse(TRACKED).unwrap(),
    );
    let alerter = Alerter::new(AlerterDeps {
        alerts: store.clone(),
        rates: store.clone(),
        dead_letters: bus,
        on_recorded: Arc::new(|| {}),
    });
    Side {
        _dir: dir,
        store,
        cache,
        processor,
        alerter,
    }
}

#[tokio::test]
async fn batches_store_cache_and_fire_exactly_as_single_snapshots_do() {
    let snapshots = snapshots();
    let mut single = side().await;
    let mut batched = side().await;
    let mut fired_single = 0;
    for snapshot in &snapshots {
        single.processor.process(snapshot).await.unwrap();
        fired_single += single.alerter.evaluate(snapshot).await.unwrap().len();
    }
    let mut fired_batched = 0;
    // Uneven batches, so batch edges fall everywhere in the swings.
    let mut rest = snapshots.as_slice();
    for size in [1, 7, 13, 2, 30, 7].into_iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        batched.processor.process_batch(batch).await.unwrap();
        fired_batched += batched.alerter.evaluate_batch(batch).await.unwrap().len();
        rest = tail;
    }

    assert_eq!(
        single.store.count_rates().await.unwrap(),
        (SNAPSHOTS * 4) as u64
    );
    assert_eq!(
        batched.store.count_rates().await.unwrap(),
        (SNAPSHOTS * 4) as u64
    );
    for text in TRACKED.split(',') {
        let one = single
            .cache
            .quote(pair(text))
            .await
            .unwrap()
            .expect("cached");
        let other = batched
            .cache
            .quote(pair(text))
            .await
            .unwrap()
            .expect("cached");
        assert_eq!(one, other, "{text}: quote and volatility");
        assert!(one.volatility.log_return.is_some(), "{text}: a full window");
    }
    for text in ["USD/GBP", "JPY/CHF", "GBP/EUR", "CHF/USD"] {
        let one = single.cache.cross_rate(pair(text)).await.unwrap();
        let other = batched.cache.cross_rate(pair(text)).await.unwrap();
        assert!(one.is_some(), "{text} cached");
        assert_eq!(one, other, "{text}: cross rate");
    }

    assert!(
        fired_single >= 8,
        "the rules fire repeatedly: {fired_single}"
    );
    assert_eq!(fired_batched, fired_single);
    let filter = TriggerFilter {
        limit: 1000,
        offset: 0,
        alert_id: None,
        pair: None,
        owner: Default::default(),
    };
    let ids = |records: Vec<fxmon_app::ports::TriggerRecord>| {
        let mut ids: Vec<String> = records.into_iter().map(|r| r.trigger.event_id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(batched.store.triggers(&filter).await.unwrap()),
        ids(single.store.triggers(&filter).await.unwrap())
    );
    let states = |mut rules: Vec<(AlertRule, fxmon_core::RuleState)>| {
        rules.sort_by_key(|(rule, _)| rule.id);
        rules
            .into_iter()
            .map(|(_, state)| state)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        states(batched.store.active_alerts().await.unwrap()),
        states(single.store.active_alerts().await.unwrap())
    );
    let source = "test-source";
    assert_eq!(
        batched.store.watermark(source).await.unwrap(),
        Some(snapshots.last().unwrap().timestamp)
    );
}
