//! Graceful shutdown of the built binary: SIGTERM while each service is working ends it with
//! exit code 0 within a few seconds and an orderly log; a processor stopped mid-stream
//! commits exactly what it stored (a restarted one neither re-stores nor skips anything);
//! a snapshot the producer published just before SIGTERM is in the topic.
//!
//! The distributed tests need a Kafka-protocol broker (nisshi), PostgreSQL and Redis at
//! 127.0.0.1:6379; without nisshi they say SKIPPED and pass, unless
//! `FXMON_TEST_REQUIRE_KAFKA` is set (see `support`).

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use fxmon_adapters::kafka::{ensure_topics, fxmon_topics, KafkaPublisher, KafkaSettings};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{AlertFilter, AlertStore, BusPublisher, RateStore, Topic};
use fxmon_core::{Currency, Pair, Rate, RateSnapshot};
use support::{broker, free_address, Database, Process};

/// How long a service may take from SIGTERM to exit.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// The seed's pairs, which the processor tracks by default.
const QUOTES: [&str; 8] = ["EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "INR"];

/// The distributed backends, on topics, a database and Redis keys of their own.
struct Stack {
    tag: String,
    broker: SocketAddr,
    database: Database,
}

impl Stack {
    fn new(folder: &Path, name: &str) -> Option<(Process, Self)> {
        let (process, broker) = broker(folder)?;
        let tag = format!("shutdown_{name}_{}", std::process::id());
        let database = Database::fresh(&tag);
        Some((
            process,
            Self {
                tag,
                broker,
                database,
            },
        ))
    }

    fn env(&self, log: &str) -> Vec<(&'static str, String)> {
        vec![
            ("FXMON_BUS", "kafka".to_owned()),
            ("FXMON_KAFKA_BROKERS", self.broker.to_string()),
            ("FXMON_KAFKA_PREFIX", format!("{}.", self.tag)),
            ("FXMON_KAFKA_PARTITIONS", "2".to_owned()),
            ("FXMON_STORE", "postgres".to_owned()),
            ("FXMON_DATABASE_URL", self.database.url.clone()),
            ("FXMON_CACHE", "redis".to_owned()),
            ("FXMON_REDIS_URL", "redis://127.0.0.1:6379".to_owned()),
            ("FXMON_REDIS_PREFIX", format!("{}:", self.tag)),
            ("FXMON_SOURCE", "simulate".to_owned()),
            ("FXMON_SIMULATE_TICK", "0.2".to_owned()),
            ("FXMON_LOG", log.to_owned()),
        ]
    }

    fn kafka(&self) -> KafkaSettings {
        KafkaSettings {
            prefix: format!("{}.", self.tag),
            ..KafkaSettings::new(self.broker.to_string())
        }
    }

    /// One number from the database.
    fn count(&self, sql: &str) -> u64 {
        let output = Command::new("psql")
            .args([&self.database.url, "-tAc", sql])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        // Before the first service migrated the database there is no table yet.
        text.trim().parse().unwrap_or(0)
    }

    /// Distinct snapshots (as-of times) stored from `source`.
    fn snapshots(&self, source: &str) -> u64 {
        self.count(&format!(
            "SELECT count(DISTINCT timestamp) FROM fx_rates WHERE source = '{source}'"
        ))
    }

    fn rows(&self, source: &str) -> u64 {
        self.count(&format!(
            "SELECT count(*) FROM fx_rates WHERE source = '{source}'"
        ))
    }
}

/// SIGTERMs `process` and checks it exits 0 within [`STOP_WITHIN`] after an orderly stop;
/// returns its log.
fn stop(process: Process, folder: &Path, name: &str) -> String {
    let started = Instant::now();
    let code = process.terminate();
    let took = started.elapsed();
    let log = std::fs::read_to_string(folder.join(format!("{name}.log"))).unwrap();
    assert_eq!(code, Some(0), "{name} exit code after SIGTERM:\n{log}");
    assert!(took < STOP_WITHIN, "{name} took {took:?} to stop:\n{log}");
    for line in ["SIGTERM received; shutting down.", "Service stopped."] {
        assert!(log.contains(line), "{name} did not log {line:?}:\n{log}");
    }
    for bad in ["Service failed", "panicked", "A service task panicked"] {
        assert!(!log.contains(bad), "{name} logged {bad:?}:\n{log}");
    }
    eprintln!("{name} stopped in {took:?}");
    log
}

/// Waits until `ready` holds, up to `timeout`.
async fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The number of tracked rates `GET /rates` answers, if it answers.
async fn rates_served(listen: SocketAddr) -> usize {
    let Ok(response) = reqwest::get(format!("http://{listen}/rates")).await else {
        return 0;
    };
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    body.as_array().map_or(0, Vec::len)
}

async fn wait_for_rates(listen: SocketAddr, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while rates_served(listen).await < QUOTES.len() {
        assert!(Instant::now() < deadline, "{listen} never served the rates");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn each_distributed_service_exits_0_soon_after_sigterm_while_working() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let Some((_broker, stack)) = Stack::new(dir, "roles") else {
        return;
    };
    let env = stack.env("info");
    let processor = Process::fxmon(dir, "processor", &["processor"], &env);
    let alerter = Process::fxmon(dir, "alerter", &["alerter"], &env);
    let listen = free_address();
    let api_args = ["api", "--listen", &listen.to_string()];
    let api = Process::fxmon(dir, "api", &api_args, &env);
    let producer = Process::fxmon(dir, "producer", &["producer"], &env);
    // Snapshots flow producer → bus → processor → Redis → API: every service is busy, and
    // the producer keeps publishing every 0.2 s while the consumers are stopped.
    wait_for_rates(listen, Duration::from_secs(30)).await;
    stop(processor, dir, "processor");
    stop(alerter, dir, "alerter");
    stop(api, dir, "api");
    stop(producer, dir, "producer");
}

#[tokio::test]
async fn fxmon_run_on_the_embedded_stack_exits_0_soon_after_sigterm_while_working() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let listen = free_address();
    let data = dir.join("data");
    let args = [
        "run",
        "--listen",
        &listen.to_string(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let env = [
        ("FXMON_BUS", "memory".to_owned()),
        ("FXMON_STORE", "sqlite".to_owned()),
        ("FXMON_CACHE", "memory".to_owned()),
        ("FXMON_SOURCE", "simulate".to_owned()),
        ("FXMON_SIMULATE_TICK", "0.2".to_owned()),
        ("FXMON_LOG", "info".to_owned()),
    ];
    let run = Process::fxmon(dir, "run", &args, &env);
    wait_for_rates(listen, Duration::from_secs(30)).await;
    let created = reqwest::Client::new()
        .post(format!("http://{listen}/alerts"))
        .json(&serde_json::json!({"pair": "USD/EUR", "condition": "above", "threshold": 9.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let log = stop(run, dir, "run");
    let stopped = log.matches("Service stopped.").count();
    assert!(
        stopped >= 4,
        "only {stopped} services logged their stop:\n{log}"
    );
    // The store was closed: its WAL files are merged and gone, so the two database files,
    // copied alone, hold everything (OPERATIONS, "Backing up").
    for wal in ["fxmon.db-wal", "fxmon-alerts.db-wal"] {
        assert!(!data.join(wal).exists(), "{wal} is left after the stop");
    }
    let copy = dir.join("copy");
    std::fs::create_dir(&copy).unwrap();
    for file in ["fxmon.db", "fxmon-alerts.db"] {
        std::fs::copy(data.join(file), copy.join(file)).unwrap();
    }
    let store = SqliteStore::open(&copy.join("fxmon.db")).await.unwrap();
    assert!(store.count_rates().await.unwrap() > 0);
    let alerts = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(alerts.len(), 1);
}

/// `count` snapshots of `source`, one second apart, as a provider would publish them.
fn snapshots(source: &str, count: u64) -> Vec<RateSnapshot> {
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    (0..count)
        .map(|i| {
            let rates: BTreeMap<Pair, Rate> = QUOTES
                .iter()
                .enumerate()
                .map(|(q, code)| {
                    let pair = Pair::new(Currency::USD, Currency::parse(code).unwrap()).unwrap();
                    let level = 1.0 + q as f64 + (i % 7) as f64 * 1e-4;
                    (pair, Rate::new(level).unwrap())
                })
                .collect();
            let at = start + TimeDelta::seconds(i as i64);
            RateSnapshot::new(at, Currency::USD, rates, source).unwrap()
        })
        .collect()
}

/// Publishes `messages` one every `pace` until they run out or `stop` is set; counts them.
fn publish_steadily(
    publisher: KafkaPublisher,
    messages: Vec<RateSnapshot>,
    pace: Duration,
    stop: Arc<AtomicBool>,
    published: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for snapshot in messages {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            publisher
                .publish(Topic::Rates, &snapshot.source, snapshot.to_json())
                .await
                .unwrap();
            published.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(pace).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_stopped_mid_stream_commits_what_it_stored_and_nothing_more() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let Some((_broker, stack)) = Stack::new(dir, "processor") else {
        return;
    };
    let settings = stack.kafka();
    ensure_topics(&settings, &fxmon_topics(2)).await.unwrap();
    let source = "shutdown-test";
    let (stop_publishing, published) = (Arc::new(AtomicBool::new(false)), Arc::default());
    let publisher = publish_steadily(
        KafkaPublisher::new(&settings).unwrap(),
        snapshots(source, 2_000),
        Duration::from_millis(10),
        stop_publishing.clone(),
        Arc::clone(&published),
    );
    // Each processor logs every snapshot it stores, with the rows it inserted.
    let env = stack.env("info,fxmon_app::processor=debug");
    let first = Process::fxmon(dir, "processor-1", &["processor"], &env);
    wait_until(
        "the first processor to store",
        Duration::from_secs(30),
        || stack.snapshots(source) >= 20,
    )
    .await;
    let stored_before_stop = stack.snapshots(source);
    let first_log = tokio::task::spawn_blocking({
        let dir = dir.to_owned();
        move || stop(first, &dir, "processor-1")
    })
    .await
    .unwrap();
    let second = Process::fxmon(dir, "processor-2", &["processor"], &env);
    wait_until(
        "the second processor to store",
        Duration::from_secs(30),
        || stack.snapshots(source) > stored_before_stop + 20,
    )
    .await;
    stop_publishing.store(true, Ordering::SeqCst);
    publisher.await.unwrap();
    let total = published.load(Ordering::SeqCst);
    wait_until("every published snapshot", Duration::from_secs(20), || {
        stack.snapshots(source) >= total
    })
    .await;
    // Anything redelivered would be logged with `inserted=0` shortly after.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second_log = tokio::task::spawn_blocking({
        let dir = dir.to_owned();
        move || stop(second, &dir, "processor-2")
    })
    .await
    .unwrap();

    assert_eq!(stack.snapshots(source), total, "no snapshot skipped");
    assert_eq!(stack.rows(source), total * QUOTES.len() as u64);
    let (by_first, by_second) = (stored(&first_log), stored(&second_log));
    assert!(by_first > 0 && by_second > 0, "{by_first} + {by_second}");
    assert_eq!(
        by_first + by_second,
        total,
        "each snapshot handled exactly once across the restart ({by_first} + {by_second} \
         for {total} published): the first committed what it stored and nothing more"
    );
    eprintln!("{total} snapshots: {by_first} before the SIGTERM, {by_second} after the restart");
}

#[tokio::test]
async fn a_snapshot_the_producer_published_just_before_sigterm_is_in_the_topic() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let Some((_broker, stack)) = Stack::new(dir, "producer") else {
        return;
    };
    let env = stack.env("info,fxmon_app::producer=debug");
    let producer = Process::fxmon(dir, "producer", &["producer"], &env);
    let log = dir.join("producer.log");
    let published = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("Published a snapshot.")
            .count() as u64
    };
    wait_until("a publish", Duration::from_secs(30), || published() >= 1).await;
    stop(producer, dir, "producer");
    let acknowledged = published();
    // Nothing consumed the topic yet: a processor started now finds every snapshot there.
    let processor = Process::fxmon(dir, "processor", &["processor"], &env);
    wait_until(
        "the producer's snapshots in the store",
        Duration::from_secs(30),
        || stack.snapshots("simulator") >= acknowledged,
    )
    .await;
    stop(processor, dir, "processor");
    // One more may have been acknowledged by the broker as the SIGTERM arrived.
    let stored = stack.snapshots("simulator");
    assert!(
        (acknowledged..=acknowledged + 1).contains(&stored),
        "{stored} stored, {acknowledged} published"
    );
    eprintln!("{acknowledged} published before the SIGTERM, {stored} stored afterwards");
}

/// Snapshots a processor's debug log says it stored, checking that each batch inserted
/// every row of every snapshot in it: a redelivered snapshot would insert none of its
/// rows again, and show as a shortfall.
fn stored(log: &str) -> u64 {
    let field = |line: &str, name: &str| -> u64 {
        let start = line.find(&format!("{name}=")).expect(name) + name.len() + 1;
        line[start..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let mut snapshots = 0;
    for line in log.lines() {
        let count = if line.contains("Stored snapshots.") {
            field(line, "snapshots")
        } else if line.contains("Stored a snapshot.") {
            1
        } else {
            continue;
        };
        let inserted = field(line, "inserted");
        assert_eq!(
            inserted,
            count * QUOTES.len() as u64,
            "a snapshot was stored twice:\n{line}"
        );
        snapshots += count;
    }
    snapshots
}
