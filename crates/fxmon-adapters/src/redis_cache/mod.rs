//! `RedisRateCache`: the cache of the distributed mode, shared by every process through
//! Redis, in the seed's key layout plus fxmon's hashes (docs/REDIS.md).

mod codec;
mod cross;
mod keys;
mod quote;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{CacheError, Quote, RateCache};
use fxmon_core::{Pair, Rate};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, RedisResult, Script};
use tokio::sync::OnceCell;

use keys::Keys;

/// How long cached values live unless refreshed: the seed's hour.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// The most one call may take, connecting included: a Redis that is down must fail the
/// call fast, so the API falls back to the store instead of hanging.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// Latest quotes and cross rates in Redis, under one key prefix per deployment.
pub struct RedisRateCache {
    client: redis::Client,
    /// Made on first use, then reconnects by itself.
    connection: OnceCell<ConnectionManager>,
    keys: Keys,
    ttl: Duration,
    put_quote: Script,
}

impl fmt::Debug for RedisRateCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateCache")
            .field("server", &self.client.get_connection_info().addr)
            .field("keys", &self.keys)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RedisRateCache {
    /// Connects to `url` (`redis://host:port/db`) and fails if Redis does not answer within
    /// [`CALL_TIMEOUT`]. Every key starts with `prefix`; every value lives `ttl`.
    pub async fn connect(url: &str, prefix: &str, ttl: Duration) -> Result<Self, CacheError> {
        let cache = Self::connect_lazy(url, prefix, ttl)?;
        cache.ping().await?;
        Ok(cache)
    }

    /// Like [`connect`](Self::connect) but connects on first use, so a process can start
    /// while Redis is down; until it is up, every call fails within [`CALL_TIMEOUT`].
    pub fn connect_lazy(url: &str, prefix: &str, ttl: Duration) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(|error| {
            let url = fxmon_app::redact::url(url);
            CacheError(format!("Redis URL {url:?} is invalid: {error}"))
        })?;
        if ttl.is_zero() {
            return Err(CacheError("the Redis TTL must be longer than zero".into()));
        }
        Ok(Self {
            client,
            connection: OnceCell::new(),
            keys: Keys::new(prefix),
            ttl,
            put_quote: quote::script(),
        })
    }

    /// The shared connection, made now if this is the first call.
    async fn connection(&self) -> RedisResult<ConnectionManager> {
        // No retries inside one attempt: the caller's timeout and the next call retry.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CALL_TIMEOUT)
            .set_response_timeout(CALL_TIMEOUT)
            .set_number_of_retries(0);
        let manager = self
            .connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await?;
        Ok(manager.clone())
    }

    /// Runs `call` on the connection, bounded by [`CALL_TIMEOUT`].
    async fn run<T, F, Fut>(&self, what: &str, call: F) -> Result<T, CacheError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let attempt = async { call(self.connection().await?).await };
        match tokio::time::timeout(CALL_TIMEOUT, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(CacheError(format!("Redis {what} failed: {error}"))),
            Err(_) => Err(CacheError(format!(
                "Redis {what} got no answer within {CALL_TIMEOUT:?}"
            ))),
        }
    }
}

#[async_trait]
impl RateCache for RedisRateCache {
    async fn put_quotes(&self, quotes: &[Quote]) -> Result<(), CacheError> {
        if quotes.is_empty() {
            return Ok(());
        }
        // One round trip for the whole batch; the script itself keeps each pair's newest.
        let mut pipe = redis::pipe();
        for quote in quotes {
            pipe.add_command(quote::put_command(
                &self.put_quote,
                &self.keys,
                quote,
                self.ttl,
            ));
        }
        let written: Vec<i64> = self
            .run("put_quotes", |mut connection| async move {
                match pipe.query_async(&mut connection).await {
                    // Redis restarted or flushed its scripts: load ours and send again. Safe
                    // to repeat, as the script ignores what it already wrote.
                    Err(error) if error.kind() == ErrorKind::NoScriptError => {
                        self.put_quote.load_async(&mut connection).await?;
                        pipe.query_async(&mut connection).await
                    }
                    result => result,
                }
            })
            .await?;
        let ignored = written.iter().filter(|&&w| w == 0).count();
        tracing::debug!(
            quotes = quotes.len(),
            ignored,
            "Cached quotes; older ones ignored."
        );
        Ok(())
    }

    async fn quote(&self, pair: Pair) -> Result<Option<Quote>, CacheError> {
        let key = self.keys.quote(pair);
        let values: HashMap<String, String> = self
            .run("quote", |mut connection| {
                let cmd = redis::cmd("HGETALL").arg(&key).to_owned();
                async move { cmd.query_async(&mut connection).await }
            })
            .await?;
        Ok(quote::decode(pair, key, values)?)
    }

    async fn put_cross_rates(
        &self,
        as_of: DateTime<Utc>,
        rates: &[(Pair, Rate)],
    ) -> Result<(), CacheError> {
        if rates.is_empty() {
            return Ok(());
        }
        let pipe = cross::put_pipeline(&self.keys, as_of, rates, self.ttl);
        self.run("put_cross_rates", |mut connection| async move {
            pipe.exec_async(&mut connection).await
        })
        .await
    }

    async fn cross_rate(&self, pair: Pair) -> Result<Option<(Rate, DateTime<Utc>)>, CacheError> {
        let key = self.keys.cross(pair);
        let (rate, as_of): (Option<String>, Option<String>) = self
            .run("cross_rate", |mut connection| {
                let cmd = redis::cmd("HMGET")
                    .arg(&key)
                    .arg("rate")
                    .arg("as_of")
                    .to_owned();
                async move { cmd.query_async(&mut connection).await }
            })
            .await?;
        Ok(cross::decode(key, rate, as_of)?)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.run("PING", |mut connection| async move {
            redis::cmd("PING").query_async::<()>(&mut connection).await
        })
        .await
    }
}
