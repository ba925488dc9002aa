//! PostgreSQL crashes and stays down for `FXMON_OUTAGE_SECS` while the producer keeps
//! publishing: the processor retries with backoff and does not commit what it could not
//! store (every snapshot is stored exactly once after it returns), and the cache never
//! shows a snapshot the store did not have.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::postgres::PrivatePostgres;
use crate::provider::FakeProvider;
use crate::redis::PrivateRedis;
use crate::support::{broker, Process};
use crate::{outage, patience, settle, store, unix_now, wait_until, Backends};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_retried_until_every_snapshot_is_stored_and_the_cache_never_leads() {
    let folder = tempfile::tempdir().unwrap();
    let Some((_kafka, kafka)) = broker(folder.path()) else {
        return;
    };
    let Some(postgres) = PrivatePostgres::start(folder.path()) else {
        return;
    };
    let redis = PrivateRedis::start(folder.path());
    let provider = FakeProvider::start().await;
    let env = Backends {
        broker: kafka,
        database_url: postgres.url.clone(),
        redis_url: redis.url(),
        source_url: provider.url(),
    }
    .env();
    let processor = Process::fxmon(folder.path(), "processor", &["processor"], &env);
    let producer = Process::fxmon(folder.path(), "producer", &["producer"], &env);
    let logs = || {
        format!(
            "--- producer ---\n{}\n--- processor ---\n{}",
            producer.log(),
            processor.log()
        )
    };
    let url = postgres.url.as_str();
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

    postgres.stop();
    let down_at = unix_now();
    let before = provider.version();
    // What the cache shows while the store is away.
    let mut cached = BTreeSet::new();
    let back_at = Instant::now() + outage();
    while Instant::now() < back_at {
        cached.extend(redis.quote("USD/EUR").map(|q| q.as_of));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let published_while_down = provider.version() - before;
    postgres.start_again();
    let restarted = Instant::now();
    let at_restart = provider.version();
    wait_until(
        "a snapshot fetched after the restart stored",
        patience(),
        || {
            let newest = store::newest_as_of(url)?;
            (provider.version_of(newest) > at_restart).then_some(())
        },
        logs,
    )
    .await;
    let resumed = restarted.elapsed();
    settle(url, &provider, logs).await;
    let caught_up = restarted.elapsed();
    // Short outages are waited out inside the connection pool (its acquire timeout is
    // 10 s); longer ones surface as store errors that the consumer retries with backoff.
    let log = processor.log();
    let retries = log.matches("will retry").count();
    let waited_in_pool = log.contains("time to acquire exceeded");
    eprintln!(
        "PostgreSQL down {:?}: {published_while_down} snapshots published meanwhile; the \
         processor retried {retries} times (waited in the pool: {waited_in_pool}); the newest \
         stored {resumed:?} after the restart, all {} stored once {caught_up:?} after",
        outage(),
        provider.served().len(),
    );

    // Never ahead: every quote cached during the outage had been stored before it began.
    for as_of in &cached {
        let version = provider.version_of(*as_of);
        let stored_at = store::stored_at(url, *as_of);
        assert!(
            stored_at.is_some_and(|t| t <= down_at),
            "version {version} was cached during the outage but stored at {stored_at:?}, \
             after PostgreSQL went down at {down_at}"
        );
    }
    // And at the end the cache holds exactly the newest stored rates.
    wait_until(
        "the cache equals the store's newest rates",
        Duration::from_secs(10),
        || cache_matches_store(&redis, url).then_some(()),
        || format!("{:?}\n{}", store::latest_rates(url), logs()),
    )
    .await;
    assert_eq!(producer.terminate(), Some(0), "the producer's exit");
    assert_eq!(processor.terminate(), Some(0), "the processor's exit");
}

/// Every tracked pair's cached quote and `current_rate` equal its newest stored row.
pub fn cache_matches_store(redis: &PrivateRedis, database_url: &str) -> bool {
    let latest = store::latest_rates(database_url);
    store::PAIRS.iter().all(|pair| {
        let Some(&(rate, as_of)) = latest.get(*pair) else {
            return false;
        };
        let quote = redis.quote(pair);
        quote.is_some_and(|q| q.rate == rate && q.as_of == as_of)
            && redis.current_rate(pair) == Some(rate)
    })
}
