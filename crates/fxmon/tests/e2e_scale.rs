//! Horizontal scale on the distributed backends: two `fxmon processor` and two
//! `fxmon alerter` processes in their consumer groups split a 4-partition `fx-rates`;
//! both members of each group do work, PostgreSQL holds every produced rate exactly once
//! (count and checksum), and an alert that both alerters see fires once.
//!
//! Like the other distributed test: skipped without `nisshi` unless
//! `FXMON_TEST_REQUIRE_KAFKA` is set.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fxmon_adapters::kafka::{KafkaPublisher, KafkaSettings};
use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_app::ports::{AlertStore, BusPublisher, NewAlert, RateStore, Topic, TriggerFilter};
use fxmon_core::{AlertRule, Condition, Currency, Pair, Rate, RateSnapshot};
use support::{broker, Database, Process};

const SOURCES: usize = 8;
const TICKS: usize = 40;

fn snapshot(source: usize, tick: usize) -> RateSnapshot {
    // Distinct, exactly representable rates so the checksum below is exact.
    let eur = 0.8 + (source * TICKS + tick) as f64 / 1024.0 / 1024.0;
    let rates: BTreeMap<Pair, Rate> = [("USD/EUR", eur), ("USD/GBP", 0.75), ("USD/JPY", 150.0)]
        .into_iter()
        .map(|(p, v)| (Pair::parse(p).unwrap(), Rate::new(v).unwrap()))
        .collect();
    let at = Utc.timestamp_opt(1_780_000_000 + tick as i64, 0).unwrap();
    RateSnapshot::new(at, Currency::USD, rates, format!("shard-{source}")).unwrap()
}

#[tokio::test]
async fn two_processors_and_two_alerters_split_the_work_exactly_once() {
    let folder = tempfile::tempdir().unwrap();
    let Some((_broker, address)) = broker(folder.path()) else {
        return;
    };
    let tag = format!("scale{}", std::process::id());
    let database = Database::fresh(&tag);
    let database_url = database.url.clone();
    let store = PgStore::connect(&database_url, PgOptions::default())
        .await
        .unwrap();
    let mut rule = AlertRule::new(0, Pair::parse("EUR/GBP").unwrap(), Condition::Above, 0.0001);
    rule.cooldown_seconds = 0;
    let alert = store
        .create_alert(&NewAlert {
            rule,
            webhook_url: None,
            webhook_secret: None,
            owner: Default::default(),
        })
        .await
        .unwrap();

    let env: Vec<(&str, String)> = vec![
        (
            "FXMON_LOG",
            "info,fxmon_app::processor=debug,fxmon_app::alerter=debug".to_owned(),
        ),
        ("FXMON_BUS", "kafka".to_owned()),
        ("FXMON_KAFKA_BROKERS", address.to_string()),
        ("FXMON_KAFKA_PREFIX", format!("{tag}.")),
        ("FXMON_KAFKA_PARTITIONS", "4".to_owned()),
        ("FXMON_STORE", "postgres".to_owned()),
        ("FXMON_DATABASE_URL", database_url.clone()),
        ("FXMON_CACHE", "redis".to_owned()),
        ("FXMON_REDIS_PREFIX", format!("{tag}:")),
    ];
    let dir = folder.path();
    let processors = [
        Process::fxmon(dir, "processor-1", &["processor"], &env),
        Process::fxmon(dir, "processor-2", &["processor"], &env),
    ];
    let alerters = [
        Process::fxmon(dir, "alerter-1", &["alerter"], &env),
        Process::fxmon(dir, "alerter-2", &["alerter"], &env),
    ];
    // Let both members of each group join before the first message.
    tokio::time::sleep(Duration::from_secs(6)).await;

    let mut settings = KafkaSettings::new(address.to_string());
    settings.prefix = format!("{tag}.");
    let publisher = KafkaPublisher::new(&settings).unwrap();
    let mut expected_sum = 0.0;
    for tick in 0..TICKS {
        for source in 0..SOURCES {
            let s = snapshot(source, tick);
            expected_sum += s.rates.values().map(|r| r.get()).sum::<f64>();
            publisher
                .publish(Topic::Rates, &s.source, s.to_json())
                .await
                .unwrap();
        }
    }
    let produced = (SOURCES * TICKS * 3) as u64;
    let deadline = Instant::now() + Duration::from_secs(90);
    while store.count_rates().await.unwrap() < produced {
        assert!(
            Instant::now() < deadline,
            "stored {} of {produced}",
            store.count_rates().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        store.count_rates().await.unwrap(),
        produced,
        "each update stored exactly once"
    );
    let mut stored_sum = 0.0;
    for pair in ["USD/EUR", "USD/GBP", "USD/JPY"] {
        let query = fxmon_app::ports::HistoryQuery {
            pair: Pair::parse(pair).unwrap(),
            from: None,
            to: None,
            limit: 100_000,
            offset: 0,
            order: fxmon_app::ports::Order::Asc,
        };
        stored_sum += store
            .history(&query)
            .await
            .unwrap()
            .iter()
            .map(|p| p.rate)
            .sum::<f64>();
    }
    assert!(
        (stored_sum - expected_sum).abs() < 1e-6,
        "checksum {stored_sum} != {expected_sum}"
    );
    for p in &processors {
        assert!(
            p.log().contains("Stored snapshots.") || p.log().contains("Stored a snapshot."),
            "a processor did no work:\n{}",
            p.log()
        );
    }
    for a in &alerters {
        assert!(
            a.log().contains("Evaluated a snapshot."),
            "an alerter did no work:\n{}",
            a.log()
        );
    }
    let all = TriggerFilter {
        limit: 100,
        offset: 0,
        alert_id: Some(alert.rule.id),
        pair: None,
        owner: Default::default(),
    };
    assert_eq!(
        store.triggers(&all).await.unwrap().len(),
        1,
        "the alert fired once across both alerters"
    );

    for process in processors.into_iter().chain(alerters) {
        assert_eq!(process.terminate(), Some(0));
    }
    store.close().await;
}
