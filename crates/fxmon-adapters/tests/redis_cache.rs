//! `RedisRateCache` over a real Redis (`FXMON_TEST_REDIS_URL`, default 127.0.0.1:6379).
//! Each test uses its own random key prefix, so tests run in parallel on one server, and
//! deletes its keys at the end (a failed test's keys expire with the TTL).

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use fxmon_adapters::redis_cache::{RedisRateCache, DEFAULT_TTL};
use fxmon_app::ports::{CacheError, Quote, RateCache};
use fxmon_core::{Currency, Pair, Rate, Volatility};
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use tokio::net::TcpListener;

fn redis_url() -> String {
    std::env::var("FXMON_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// One test's cache under its own prefix, plus a raw connection to look at the keys.
struct TestRedis {
    prefix: String,
    cache: RedisRateCache,
    raw: MultiplexedConnection,
}

impl TestRedis {
    async fn new() -> Self {
        let prefix = format!("fxmon-test-{:016x}:", rand::random::<u64>());
        Self::with_prefix(prefix).await
    }

    async fn with_prefix(prefix: String) -> Self {
        let url = redis_url();
        let cache = RedisRateCache::connect(&url, &prefix, DEFAULT_TTL)
            .await
            .unwrap_or_else(|error| {
                panic!("Redis must run at {url} (or set FXMON_TEST_REDIS_URL): {error}")
            });
        let client = redis::Client::open(url).unwrap();
        let raw = client.get_multiplexed_async_connection().await.unwrap();
        Self { prefix, cache, raw }
    }

    /// This test's keys, sorted.
    async fn keys(&mut self) -> Vec<String> {
        let pattern = format!("{}*", self.prefix);
        let mut keys: Vec<String> = {
            let mut iter = self.raw.scan_match::<_, String>(pattern).await.unwrap();
            let mut keys = Vec::new();
            while let Some(key) = iter.next_item().await {
                keys.push(key);
            }
            keys
        };
        keys.sort();
        keys
    }

    async fn get(&mut self, name: &str) -> Option<String> {
        let key = format!("{}{name}", self.prefix);
        self.raw.get(key).await.unwrap()
    }

    async fn list(&mut self, name: &str) -> Vec<String> {
        let key = format!("{}{name}", self.prefix);
        self.raw.lrange(key, 0, -1).await.unwrap()
    }

    async fn hash(&mut self, name: &str) -> HashMap<String, String> {
        let key = format!("{}{name}", self.prefix);
        self.raw.hgetall(key).await.unwrap()
    }

    async fn ttl(&mut self, name: &str) -> i64 {
        let key = format!("{}{name}", self.prefix);
        self.raw.ttl(key).await.unwrap()
    }

    async fn clean_up(mut self) {
        let keys = self.keys().await;
        if !keys.is_empty() {
            let _: () = self.raw.del(keys).await.unwrap();
        }
    }
}

fn pair(text: &str) -> Pair {
    Pair::parse(text).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_714_564_800 + seconds, 0).unwrap()
}

fn quote(pair_text: &str, rate: f64, as_of: DateTime<Utc>) -> Quote {
    Quote {
        pair: pair(pair_text),
        rate: Rate::new(rate).unwrap(),
        as_of,
        source: "test".into(),
        volatility: Volatility {
            level: Some(0.001_234),
            log_return: Some(0.000_456_789),
        },
    }
}

#[tokio::test]
async fn a_quote_round_trips_with_its_rate_bit_exact() {
    let redis = TestRedis::new().await;
    let as_of = Utc.timestamp_opt(1_714_564_800, 123_456_789).unwrap();
    let sent = quote("USD/EUR", 1.0 / 3.0 + 1e-12, as_of);

    redis
        .cache
        .put_quotes(std::slice::from_ref(&sent))
        .await
        .unwrap();
    let got = redis.cache.quote(sent.pair).await.unwrap().unwrap();

    assert_eq!(got, sent);
    assert_eq!(got.rate.get().to_bits(), sent.rate.get().to_bits());
    redis.clean_up().await;
}

#[tokio::test]
async fn a_quote_writes_the_seeds_keys_with_their_values_and_ttls() {
    let mut redis = TestRedis::new().await;
    let sent = quote("USD/EUR", 0.847, at(0));

    redis.cache.put_quotes(&[sent]).await.unwrap();

    assert_eq!(
        redis.get("current_rate:USD/EUR").await.as_deref(),
        Some("0.847")
    );
    assert_eq!(
        redis.get("volatility:USD/EUR").await.as_deref(),
        Some("0.001234")
    );
    assert_eq!(redis.list("history:USD/EUR").await, ["0.847"]);
    let hash = redis.hash("quote:USD/EUR").await;
    assert_eq!(hash["rate"], "0.847");
    assert_eq!(hash["as_of"], "2024-05-01T12:00:00Z");
    assert_eq!(hash["as_of_us"], "1714564800000000");
    assert_eq!(hash["source"], "test");
    assert_eq!(hash["volatility_log_return"], "0.000456789");
    for name in ["current_rate", "volatility", "history", "quote"] {
        let ttl = redis.ttl(&format!("{name}:USD/EUR")).await;
        assert!((3590..=3600).contains(&ttl), "{name} TTL is {ttl}");
    }
    redis.clean_up().await;
}

#[tokio::test]
async fn a_newer_quote_of_unknown_volatility_removes_the_stale_volatility() {
    let mut redis = TestRedis::new().await;
    let mut newer = quote("USD/EUR", 0.848, at(60));
    newer.volatility = Volatility::default();

    let quotes = [quote("USD/EUR", 0.847, at(0)), newer.clone()];
    redis.cache.put_quotes(&quotes).await.unwrap();

    assert_eq!(redis.get("volatility:USD/EUR").await, None);
    assert_eq!(redis.cache.quote(newer.pair).await.unwrap(), Some(newer));
    redis.clean_up().await;
}

#[tokio::test]
async fn history_holds_the_last_twenty_rates_newest_first_and_a_replay_adds_nothing() {
    let mut redis = TestRedis::new().await;
    let quotes: Vec<Quote> = (1..=25)
        .map(|i| quote("USD/JPY", 150.0 + f64::from(i) / 100.0, at(i64::from(i))))
        .collect();

    redis.cache.put_quotes(&quotes).await.unwrap();
    let expected: Vec<String> = (6..=25)
        .rev()
        .map(|i| (150.0 + f64::from(i) / 100.0).to_string())
        .collect();
    assert_eq!(redis.list("history:USD/JPY").await, expected);

    redis.cache.put_quotes(&quotes[20..]).await.unwrap();
    redis.cache.put_quotes(&quotes).await.unwrap();
    assert_eq!(redis.list("history:USD/JPY").await, expected);
    redis.clean_up().await;
}

#[tokio::test]
async fn an_older_quote_does_not_replace_a_newer_one() {
    let mut redis = TestRedis::new().await;
    let newer = quote("EUR/GBP", 0.85, at(60));
    let older = quote("EUR/GBP", 0.84, at(0));

    redis
        .cache
        .put_quotes(std::slice::from_ref(&newer))
        .await
        .unwrap();
    redis.cache.put_quotes(&[older]).await.unwrap();

    assert_eq!(redis.cache.quote(newer.pair).await.unwrap(), Some(newer));
    assert_eq!(
        redis.get("current_rate:EUR/GBP").await.as_deref(),
        Some("0.85")
    );
    assert_eq!(redis.list("history:EUR/GBP").await, ["0.85"]);
    redis.clean_up().await;
}

#[tokio::test]
async fn an_older_quote_by_one_nanosecond_does_not_replace_a_newer_one() {
    let redis = TestRedis::new().await;
    let newer = quote(
        "EUR/GBP",
        0.85,
        Utc.timestamp_opt(1_714_564_800, 1_001).unwrap(),
    );
    let older = quote(
        "EUR/GBP",
        0.84,
        Utc.timestamp_opt(1_714_564_800, 1_000).unwrap(),
    );

    redis
        .cache
        .put_quotes(&[newer.clone(), older])
        .await
        .unwrap();

    assert_eq!(redis.cache.quote(newer.pair).await.unwrap(), Some(newer));
    redis.clean_up().await;
}

#[tokio::test]
async fn a_quote_of_the_same_time_replaces_the_cached_one_without_adding_history() {
    let mut redis = TestRedis::new().await;
    let first = quote("EUR/GBP", 0.85, at(0));
    let mut again = first.clone();
    again.source = "fill".into();
    again.volatility = Volatility::default();

    redis
        .cache
        .put_quotes(&[first, again.clone()])
        .await
        .unwrap();

    assert_eq!(redis.cache.quote(again.pair).await.unwrap(), Some(again));
    assert_eq!(redis.list("history:EUR/GBP").await, ["0.85"]);
    redis.clean_up().await;
}

#[tokio::test]
async fn cross_rates_round_trip_with_their_as_of_time_and_the_seeds_keys() {
    let mut redis = TestRedis::new().await;
    let as_of = Utc.timestamp_opt(1_714_564_800, 5_000).unwrap();
    let rates = [
        (pair("EUR/GBP"), Rate::new(0.931_6).unwrap()),
        (pair("GBP/JPY"), Rate::new(1.0 / 7.0).unwrap()),
    ];

    redis.cache.put_cross_rates(as_of, &rates).await.unwrap();

    for (pair, rate) in rates {
        let (got, got_as_of) = redis.cache.cross_rate(pair).await.unwrap().unwrap();
        assert_eq!(got.get().to_bits(), rate.get().to_bits());
        assert_eq!(got_as_of, as_of);
    }
    assert_eq!(
        redis.get("cross_rate:EUR/GBP").await.as_deref(),
        Some("0.9316")
    );
    for name in ["cross_rate:EUR/GBP", "cross:EUR/GBP"] {
        let ttl = redis.ttl(name).await;
        assert!((3590..=3600).contains(&ttl), "{name} TTL is {ttl}");
    }
    let later = [(pair("EUR/GBP"), Rate::new(0.94).unwrap())];
    redis.cache.put_cross_rates(at(60), &later).await.unwrap();
    let got = redis.cache.cross_rate(pair("EUR/GBP")).await.unwrap();
    assert_eq!(got, Some((later[0].1, at(60))));
    redis.clean_up().await;
}

#[tokio::test]
async fn two_deployments_with_different_prefixes_do_not_see_each_other() {
    let mut blue = TestRedis::new().await;
    let mut green = TestRedis::new().await;
    let usd_eur = pair("USD/EUR");

    blue.cache
        .put_quotes(&[quote("USD/EUR", 0.8, at(0))])
        .await
        .unwrap();
    green
        .cache
        .put_quotes(&[quote("USD/EUR", 0.9, at(0))])
        .await
        .unwrap();
    let rates = [(pair("EUR/GBP"), Rate::new(0.85).unwrap())];
    blue.cache.put_cross_rates(at(0), &rates).await.unwrap();

    assert_eq!(
        blue.cache.quote(usd_eur).await.unwrap().unwrap().rate.get(),
        0.8
    );
    assert_eq!(
        green
            .cache
            .quote(usd_eur)
            .await
            .unwrap()
            .unwrap()
            .rate
            .get(),
        0.9
    );
    assert_eq!(green.cache.cross_rate(pair("EUR/GBP")).await.unwrap(), None);
    let blue_keys = blue.keys().await;
    assert!(blue_keys.iter().all(|key| key.starts_with(&blue.prefix)));
    assert_eq!(blue_keys.len(), 6, "{blue_keys:?}");
    blue.clean_up().await;
    assert_eq!(green.keys().await.len(), 4);
    green.clean_up().await;
}

#[tokio::test]
async fn a_missing_quote_or_cross_rate_is_none() {
    let redis = TestRedis::new().await;

    assert_eq!(redis.cache.quote(pair("USD/CHF")).await.unwrap(), None);
    assert_eq!(redis.cache.cross_rate(pair("USD/CHF")).await.unwrap(), None);
    redis.cache.put_quotes(&[]).await.unwrap();
    redis.cache.put_cross_rates(at(0), &[]).await.unwrap();
    redis.clean_up().await;
}

#[tokio::test]
async fn ping_answers_when_redis_is_up() {
    let redis = TestRedis::new().await;

    redis.cache.ping().await.unwrap();
    redis.clean_up().await;
}

/// Every call of the port on `cache` fails, each within two seconds.
async fn assert_every_call_fails_fast(cache: &RedisRateCache) {
    let usd_eur = pair("USD/EUR");
    let quotes = [quote("USD/EUR", 1.0, at(0))];
    let rates = [(usd_eur, Rate::new(1.0).unwrap())];
    assert_fails_fast("ping", cache.ping()).await;
    assert_fails_fast("quote", cache.quote(usd_eur)).await;
    assert_fails_fast("cross_rate", cache.cross_rate(usd_eur)).await;
    assert_fails_fast("put_quotes", cache.put_quotes(&quotes)).await;
    assert_fails_fast("put_cross_rates", cache.put_cross_rates(at(0), &rates)).await;
}

async fn assert_fails_fast<T: Debug>(
    name: &str,
    call: impl Future<Output = Result<T, CacheError>>,
) {
    let started = Instant::now();
    let result = call.await;
    let took = started.elapsed();
    assert!(result.is_err(), "{name} must fail, got {result:?}");
    assert!(took < Duration::from_secs(2), "{name} took {took:?}");
}

#[tokio::test]
async fn every_call_against_a_closed_port_fails_within_two_seconds() {
    let url = "redis://127.0.0.1:1/";

    assert_fails_fast("connect", RedisRateCache::connect(url, "p:", DEFAULT_TTL)).await;
    let cache = RedisRateCache::connect_lazy(url, "p:", DEFAULT_TTL).unwrap();
    assert_every_call_fails_fast(&cache).await;
}

#[tokio::test]
async fn every_call_against_a_server_that_never_answers_fails_within_two_seconds() {
    // Accepts connections and reads nothing: a hung Redis, or a network that drops packets.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });

    assert_fails_fast("connect", RedisRateCache::connect(&url, "p:", DEFAULT_TTL)).await;
    let cache = RedisRateCache::connect_lazy(&url, "p:", DEFAULT_TTL).unwrap();
    assert_every_call_fails_fast(&cache).await;
    held.abort();
}

#[tokio::test]
async fn the_cache_reconnects_after_redis_restarts_and_works_if_started_before_redis() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let cache = RedisRateCache::connect_lazy(&url, "p:", DEFAULT_TTL).unwrap();
    assert_fails_fast("ping before start", cache.ping()).await;

    let server = OwnRedis::start(port).await;
    cache.ping().await.unwrap();
    let sent = quote("USD/EUR", 0.9, at(0));
    cache.put_quotes(std::slice::from_ref(&sent)).await.unwrap();
    drop(server);

    assert_every_call_fails_fast(&cache).await;
    let _server = OwnRedis::start(port).await;
    // The restarted server is empty and has no scripts: the first put reloads the script.
    let mut answered = false;
    for _ in 0..20 {
        answered = cache.put_quotes(std::slice::from_ref(&sent)).await.is_ok();
        if answered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the cache must reconnect to the restarted Redis");
    assert_eq!(cache.quote(sent.pair).await.unwrap(), Some(sent));
}

/// A private `redis-server` on one port, stopped when dropped.
struct OwnRedis(std::process::Child);

impl OwnRedis {
    async fn start(port: u16) -> Self {
        // Owned at once, so a failed start still kills the process.
        let server = Self(
            std::process::Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server must be on PATH"),
        );
        let url = format!("redis://127.0.0.1:{port}/");
        let client = redis::Client::open(url).unwrap();
        for _ in 0..50 {
            if client.get_multiplexed_async_connection().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {port}");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_thousand_quotes_round_trip_in_one_put_quotes() {
    let redis = TestRedis::new().await;
    let currencies: Vec<Currency> = Currency::all().collect();
    let quotes: Vec<Quote> = currencies
        .iter()
        .flat_map(|base| currencies.iter().map(move |quote| (*base, *quote)))
        .filter_map(|(base, quote)| Pair::new(base, quote).ok())
        .take(1000)
        .enumerate()
        .map(|(i, pair)| Quote {
            pair,
            rate: Rate::new(1.0 + i as f64 / 7.0).unwrap(),
            as_of: at(i as i64),
            source: "bulk".into(),
            volatility: Volatility::default(),
        })
        .collect();
    assert_eq!(quotes.len(), 1000);

    let started = Instant::now();
    redis.cache.put_quotes(&quotes).await.unwrap();
    println!("put_quotes of 1,000 quotes took {:?}", started.elapsed());

    for sent in &quotes {
        assert_eq!(
            redis.cache.quote(sent.pair).await.unwrap().as_ref(),
            Some(sent)
        );
    }
    redis.clean_up().await;
}
