//! Redis crashes and stays down for `FXMON_OUTAGE_SECS`: the API answers `/rates` from
//! PostgreSQL with the stored numbers and `/health` says degraded, naming the cache; the
//! processor keeps storing; when an empty Redis returns, the processor's next snapshots
//! rebuild the cache and `/health` is healthy again.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::postgres_down::cache_matches_store;
use crate::provider::{moving_rates, FakeProvider};
use crate::redis::PrivateRedis;
use crate::support::{broker, free_address, Database, Process};
use crate::{get, outage, patience, settle, store, wait_until, Backends};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_degrades_to_the_store_and_the_cache_is_rebuilt_when_redis_returns() {
    let folder = tempfile::tempdir().unwrap();
    let Some((_kafka, kafka)) = broker(folder.path()) else {
        return;
    };
    let database = Database::fresh(&format!("fxmon_outage_redis_{}", std::process::id()));
    let mut redis = PrivateRedis::start(folder.path());
    let provider = FakeProvider::start().await;
    let env = Backends {
        broker: kafka,
        database_url: database.url.clone(),
        redis_url: redis.url(),
        source_url: provider.url(),
    }
    .env();
    let listen = free_address().to_string();
    let processor = Process::fxmon(folder.path(), "processor", &["processor"], &env);
    let api = Process::fxmon(folder.path(), "api", &["api", "--listen", &listen], &env);
    let producer = Process::fxmon(folder.path(), "producer", &["producer"], &env);
    let logs = || {
        format!(
            "--- api ---\n{}\n--- processor ---\n{}",
            api.log(),
            processor.log()
        )
    };
    let url = database.url.as_str();
    let base = format!("http://{listen}");
    wait_until(
        "three snapshots stored and cached",
        patience(),
        || {
            (store::rows_per_as_of(url).len() >= 3 && redis.quote("USD/EUR").is_some())
                .then_some(())
        },
        logs,
    )
    .await;
    wait_for_health(&base, "healthy").await;

    redis.stop();
    let down = Instant::now();
    settle(url, &provider, logs).await;
    let asked = Instant::now();
    let (status, rates) = get(&format!("{base}/rates")).await.expect("/rates answers");
    let answered_in = asked.elapsed();
    assert_eq!(status, 200, "{rates}\n{}", logs());
    assert_rates_are_the_stored_ones(&rates, url);
    let eur = rates[0]["rate"].as_f64();
    assert_eq!(eur, Some(moving_rates(provider.version())[0].1), "USD/EUR");
    let health = wait_for_health(&base, "degraded").await;
    let cache = component(&health, "cache");
    assert_eq!(cache["status"], "degraded", "{health}");
    assert!(
        cache["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{health}"
    );
    assert_eq!(component(&health, "store")["status"], "healthy", "{health}");

    // The processor keeps storing while the cache is away.
    provider.freeze(false);
    let at_resume = provider.version();
    wait_until(
        "snapshots stored while Redis is down",
        patience(),
        || {
            let newest = store::newest_as_of(url)?;
            (provider.version_of(newest) > at_resume + 2).then_some(())
        },
        logs,
    )
    .await;
    let remaining = outage().saturating_sub(down.elapsed());
    tokio::time::sleep(remaining).await;

    redis.restart();
    let restarted = Instant::now();
    let at_restart = provider.as_of(provider.version());
    // Rebuilt by the processor's next snapshots (nobody asked the API meanwhile).
    wait_until(
        "a new quote cached after Redis returned",
        patience(),
        || redis.quote("USD/EUR").filter(|q| q.as_of > at_restart),
        logs,
    )
    .await;
    let rebuilt = restarted.elapsed();
    settle(url, &provider, logs).await;
    wait_until(
        "the cache equals the store's newest rates",
        Duration::from_secs(10),
        || cache_matches_store(&redis, url).then_some(()),
        || format!("{:?}\n{}", store::latest_rates(url), logs()),
    )
    .await;
    wait_for_health(&base, "healthy").await;
    eprintln!(
        "Redis down {:?}: /rates answered from the store in {answered_in:?}; the cache had \
         new quotes {rebuilt:?} after Redis returned",
        down.elapsed() - restarted.elapsed(),
    );
    for process in [producer, api, processor] {
        assert_eq!(process.terminate(), Some(0));
    }
}

/// `/rates` holds each tracked pair's newest stored rate and as-of time.
fn assert_rates_are_the_stored_ones(rates: &Value, database_url: &str) {
    let latest = store::latest_rates(database_url);
    let views = rates.as_array().expect("a list of rates");
    assert_eq!(views.len(), store::PAIRS.len(), "{rates}");
    for view in views {
        let pair = view["pair"].as_str().unwrap();
        let (rate, as_of) = latest[pair];
        let timestamp = view["timestamp"].as_str().unwrap();
        let timestamp = chrono::DateTime::parse_from_rfc3339(timestamp).unwrap();
        assert_eq!(view["rate"].as_f64(), Some(rate), "{pair}: {view}");
        assert_eq!(timestamp.timestamp(), as_of, "{pair}: {view}");
    }
}

/// Waits until `/health` says `status`; returns the report.
async fn wait_for_health(base: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = get(&format!("{base}/health")).await;
        if let Some((200, body)) = &report {
            if body["status"] == status {
                return body.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "/health never said {status}: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The component called `name` of a health report.
fn component<'a>(health: &'a Value, name: &str) -> &'a Value {
    let components = health["components"].as_array().unwrap();
    let found = components.iter().find(|c| c["name"] == name);
    found.unwrap_or_else(|| panic!("no {name} in {health}"))
}
