//! The built binary on the distributed backends: a Kafka-protocol broker (nisshi, started
//! here on a free loopback port), PostgreSQL (a fresh database) and Redis (a fresh key
//! prefix). First every service in one `fxmon run`, then each service its own process.
//!
//! Without `nisshi` on the PATH the test says SKIPPED and passes, unless
//! `FXMON_TEST_REQUIRE_KAFKA` is set (CI sets it, and installs nisshi).

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{broker, free_address, Database, Process};

async fn get(base: &str, path: &str) -> Option<(u16, Value)> {
    let response = reqwest::get(format!("{base}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

async fn wait_for(base: &str, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((200, body)) = get(base, path).await {
            if ready(&body) {
                return body;
            }
        }
        assert!(Instant::now() < deadline, "{path} never became ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn rates_with_volatility(body: &Value) -> bool {
    body.as_array()
        .is_some_and(|r| r.len() == 8 && r.iter().all(|q| q["volatility"].is_number()))
}

#[tokio::test]
async fn the_system_runs_on_kafka_postgres_and_redis_in_one_process_and_as_separate_processes() {
    let folder = tempfile::tempdir().unwrap();
    let Some((_broker, broker)) = broker(folder.path()) else {
        return;
    };
    let tag = format!("e2e{}", std::process::id());
    let database = Database::fresh(&tag);
    let database_url = database.url.clone();
    let backends = |kafka_prefix: &str| -> Vec<(&'static str, String)> {
        vec![
            ("FXMON_BUS", "kafka".to_owned()),
            ("FXMON_KAFKA_BROKERS", broker.to_string()),
            ("FXMON_KAFKA_PREFIX", kafka_prefix.to_owned()),
            ("FXMON_KAFKA_PARTITIONS", "2".to_owned()),
            ("FXMON_STORE", "postgres".to_owned()),
            ("FXMON_DATABASE_URL", database_url.clone()),
            ("FXMON_CACHE", "redis".to_owned()),
            ("FXMON_REDIS_PREFIX", format!("{tag}:")),
            ("FXMON_SOURCE", "simulate".to_owned()),
            ("FXMON_SIMULATE_TICK", "0.2".to_owned()),
        ]
    };

    // 1. Everything in one process.
    let listen = free_address();
    let run = Process::fxmon(
        folder.path(),
        "run",
        &["run", "--listen", &listen.to_string()],
        &backends(&format!("{tag}-a.")),
    );
    let base = format!("http://{listen}");
    let first = wait_for(&base, "/rates", rates_with_volatility).await;
    assert_eq!(first[0]["source"], "simulator");
    let health = wait_for(&base, "/health", |b| b["status"] == "healthy").await;
    let names: Vec<&str> = health["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["store", "cache", "bus", "rate_source"]);
    let (_, history) = get(&base, "/rates/USD/EUR/history?limit=10000")
        .await
        .unwrap();
    let stored = history.as_array().unwrap().len();
    assert!(stored >= 2, "{stored} points in PostgreSQL");
    assert_eq!(run.terminate(), Some(0));

    // 2. Each service alone, sharing the same database and Redis, on fresh topics.
    let env = backends(&format!("{tag}-b."));
    let processor = Process::fxmon(folder.path(), "processor", &["processor"], &env);
    let alerter = Process::fxmon(folder.path(), "alerter", &["alerter"], &env);
    let listen = free_address();
    let api = Process::fxmon(
        folder.path(),
        "api",
        &["api", "--listen", &listen.to_string()],
        &env,
    );
    let producer = Process::fxmon(folder.path(), "producer", &["producer"], &env);
    let base = format!("http://{listen}");
    // The API reads what the separate processor wrote to Redis and PostgreSQL.
    let later = wait_for(&base, "/rates", |b| {
        rates_with_volatility(b) && b[0]["timestamp"].as_str() > first[0]["timestamp"].as_str()
    })
    .await;
    assert_eq!(later.as_array().unwrap().len(), 8);
    let history = wait_for(&base, "/rates/USD/EUR/history?limit=10000", |b| {
        b.as_array().unwrap().len() > stored
    })
    .await;
    assert!(
        history.as_array().unwrap().len() > stored,
        "the history of the first run is kept"
    );
    for process in [producer, api, alerter, processor] {
        assert_eq!(process.terminate(), Some(0));
    }
}
