//! Outages, each survived without loss, with the built binary on real servers the tests
//! stop and start themselves:
//!
//! - broker down: the producer buffers and retries, consumers resume (`broker_down`);
//! - PostgreSQL down: the processor stops committing offsets, retries with backoff and
//!   catches up; cache and store never diverge (`postgres_down`);
//! - Redis down: the API serves from PostgreSQL and `/health` says degraded; the cache is
//!   rebuilt when Redis returns (`redis_down`).
//!
//! Each outage lasts `FXMON_OUTAGE_SECS` seconds: 5 by default, so `cargo test` stays
//! fast; the documented long run is `FXMON_OUTAGE_SECS=30 cargo test -p fxmon --test
//! outages`. Without `nisshi` the tests say SKIPPED and pass, unless
//! `FXMON_TEST_REQUIRE_KAFKA` is set.

mod broker;
mod broker_down;
mod daemon;
mod postgres;
mod postgres_down;
mod provider;
mod redis;
mod redis_down;
mod store;
#[path = "../support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use provider::FakeProvider;

/// How long each outage lasts: `FXMON_OUTAGE_SECS`, 5 s by default.
pub fn outage() -> Duration {
    let secs = std::env::var("FXMON_OUTAGE_SECS").map_or(5.0, |s| {
        s.parse::<f64>()
            .unwrap_or_else(|_| panic!("FXMON_OUTAGE_SECS={s:?} is not a number of seconds"))
    });
    Duration::from_secs_f64(secs)
}

/// How long anything may take to recover: a minute beyond the outage.
pub fn patience() -> Duration {
    outage() + Duration::from_secs(60)
}

/// Where the fxmon processes of one test find their servers.
pub struct Backends {
    pub broker: SocketAddr,
    pub database_url: String,
    pub redis_url: String,
    pub source_url: String,
}

impl Backends {
    /// The environment of every fxmon process: Kafka, PostgreSQL and Redis, polling the
    /// fake provider every 0.25 s.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FXMON_BUS", "kafka".to_owned()),
            ("FXMON_KAFKA_BROKERS", self.broker.to_string()),
            ("FXMON_KAFKA_PARTITIONS", "1".to_owned()),
            ("FXMON_STORE", "postgres".to_owned()),
            ("FXMON_DATABASE_URL", self.database_url.clone()),
            ("FXMON_CACHE", "redis".to_owned()),
            ("FXMON_REDIS_URL", self.redis_url.clone()),
            ("FXMON_SOURCE", "exchangerate-api".to_owned()),
            ("FXMON_SOURCE_URL", self.source_url.clone()),
            ("FXMON_POLL_INTERVAL", "0.25".to_owned()),
            ("FXMON_SOURCE_TIMEOUT", "2".to_owned()),
            ("FXMON_LOG", "info,fxmon_app=debug".to_owned()),
        ]
    }
}

/// Polls `probe` every 100 ms until it gives a value; panics after `timeout` with `what`
/// and `context()` (the processes' logs, say).
pub async fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {timeout:?}\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Stops the provider's updates, then waits until the store holds exactly the versions
/// the provider served, each once: all 8 pairs, no version missing and none extra.
pub async fn settle(database_url: &str, provider: &FakeProvider, context: impl Fn() -> String) {
    provider.freeze(true);
    let served = provider.served();
    let stored = wait_until(
        "every served snapshot stored",
        patience(),
        || {
            let stored = store::rows_per_as_of(database_url);
            stored.keys().eq(served.iter()).then_some(stored)
        },
        || {
            let stored = store::rows_per_as_of(database_url);
            let missing: Vec<i64> = served
                .iter()
                .filter(|a| !stored.contains_key(a))
                .map(|a| provider.version_of(*a))
                .collect();
            format!(
                "served versions {}..={}, not stored: {missing:?}\n{}",
                provider.version_of(*served.first().unwrap()),
                provider.version(),
                context()
            )
        },
    )
    .await;
    for (as_of, rows) in stored {
        let version = provider.version_of(as_of);
        assert_eq!(rows, store::PAIRS.len(), "rows of version {version}");
    }
}

/// Unix time now, in seconds.
pub fn unix_now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

/// `GET url`: status and JSON body, `None` if it does not answer.
pub async fn get(url: &str) -> Option<(u16, Value)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let response = client.get(url).send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}
