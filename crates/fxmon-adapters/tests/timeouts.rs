//! The stores' outbound calls give up in bounded time against a server that accepts the
//! connection and then never answers (a hung process, a black-holed proxy): PostgreSQL
//! and Redis fail within their timeout instead of holding the caller forever. (The rate
//! provider's and the webhooks' timeouts are tested with their adapters:
//! `source_http/errors.rs` and `webhook/sender.rs`.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_adapters::redis_cache::{RedisRateCache, CALL_TIMEOUT};
use fxmon_app::ports::{RateCache, StoreError};
use tokio::net::TcpListener;

/// A loopback server that accepts every connection, reads nothing and answers nothing.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

/// Runs `call`, asserting it fails and returns within `limit` (with slack for the machine).
async fn fails_within<T, E: std::fmt::Debug>(
    what: &str,
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> E {
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit * 3, call)
        .await
        .unwrap_or_else(|_| panic!("{what} still waiting after {:?}", limit * 3));
    let elapsed = started.elapsed();
    let error = match outcome {
        Ok(_) => panic!("{what} succeeded against a silent server"),
        Err(error) => error,
    };
    assert!(
        elapsed >= limit.mul_f64(0.8) && elapsed < limit * 2,
        "{what} gave up after {elapsed:?}, its timeout is {limit:?}"
    );
    error
}

#[tokio::test]
async fn postgres_gives_up_on_a_silent_server_after_its_connect_timeout() {
    let address = silent_server().await;
    let options = PgOptions {
        connect_timeout: Duration::from_millis(800),
        ..PgOptions::default()
    };
    let url = format!("postgres://fxmon@{address}/fxmon");
    let error = fails_within("PgStore::connect", options.connect_timeout, async {
        PgStore::connect(&url, options.clone()).await
    })
    .await;
    assert!(matches!(error, StoreError::Unavailable(_)), "{error}");
}

#[tokio::test]
async fn redis_calls_give_up_on_a_silent_server_after_the_call_timeout() {
    let address = silent_server().await;
    let cache =
        RedisRateCache::connect_lazy(&format!("redis://{address}"), "", Duration::from_secs(60))
            .unwrap();
    let error = fails_within("Redis ping", CALL_TIMEOUT, cache.ping()).await;
    let message = error.to_string();
    assert!(
        message.contains("timed out") || message.contains("no answer"),
        "{message}"
    );
    let pair = fxmon_core::Pair::parse("USD/EUR").unwrap();
    fails_within("Redis read", CALL_TIMEOUT, cache.quote(pair)).await;
}
