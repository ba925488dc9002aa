//! Request rate limits: a token bucket per API key, and one per client IP for requests
//! without a valid key (failed authentication attempts included, so guessing keys is
//! throttled too). A bucket holds up to `per_second` requests and refills at that rate;
//! an empty one answers 429 with `Retry-After`, the whole seconds until a token is back.
//!
//! The IP is the TCP peer's: `X-Forwarded-For` is not trusted, since any client can send
//! it. Behind a reverse proxy every request shares the proxy's IP; limit there instead.
//! Loopback peers are not limited per IP (see `gate`); their keys still are.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Buckets kept at most; beyond, full (idle) buckets are dropped.
const BUCKET_LIMIT: usize = 10_000;

/// Requests per second allowed per key and per IP; 0 turns a limit off.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateLimits {
    pub per_key: f64,
    pub per_ip: f64,
}

/// Whose bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    Key(i64),
    Ip(IpAddr),
    /// A request whose peer address is unknown (not served over TCP, as in tests).
    Unknown,
}

/// The buckets.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: RateLimits,
    buckets: Arc<Mutex<HashMap<Client, Bucket>>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Arc::default(),
        }
    }

    /// Takes a token for `client` at `now`; `Err` holds how long until one is back.
    pub fn take(&self, client: Client, now: Instant) -> Result<(), Duration> {
        let rate = match client {
            Client::Key(_) => self.limits.per_key,
            Client::Ip(_) | Client::Unknown => self.limits.per_ip,
        };
        if rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().expect("rate limiter");
        if buckets.len() >= BUCKET_LIMIT && !buckets.contains_key(&client) {
            buckets.retain(|_, b| b.tokens + b.at.elapsed().as_secs_f64() * rate < rate);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: rate,
            at: now,
        });
        let refilled = now.saturating_duration_since(bucket.at).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refilled).min(rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
    }
}

/// `Retry-After` in whole seconds, rounded up, at least 1.
pub fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_rate_at_once_then_refills_at_that_rate() {
        let limiter = RateLimiter::new(RateLimits {
            per_key: 5.0,
            per_ip: 2.0,
        });
        let start = Instant::now();
        let ip = Client::Ip("192.0.2.1".parse().unwrap());
        assert!(limiter.take(ip, start).is_ok());
        assert!(limiter.take(ip, start).is_ok());
        let wait = limiter.take(ip, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert_eq!(retry_after(wait), 1);
        // Another IP and a key have their own buckets.
        assert!(limiter
            .take(Client::Ip("192.0.2.2".parse().unwrap()), start)
            .is_ok());
        for _ in 0..5 {
            assert!(limiter.take(Client::Key(7), start).is_ok());
        }
        assert!(limiter.take(Client::Key(7), start).is_err());
        // Half a second later the IP has one token back, and only one.
        let later = start + Duration::from_millis(500);
        assert!(limiter.take(ip, later).is_ok());
        assert!(limiter.take(ip, later).is_err());
    }

    #[test]
    fn a_zero_rate_is_no_limit() {
        let limiter = RateLimiter::new(RateLimits::default());
        let now = Instant::now();
        for _ in 0..10_000 {
            assert!(limiter.take(Client::Unknown, now).is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after(Duration::from_millis(1)), 1);
        assert_eq!(retry_after(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after(Duration::from_secs(3)), 3);
    }
}
