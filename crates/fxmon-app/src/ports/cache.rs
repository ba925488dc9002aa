//! The cache of latest rates, volatilities and cross rates that the API reads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_core::{Pair, Rate, Volatility};

/// The latest known rate of a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub pair: Pair,
    pub rate: Rate,
    /// The provider's as-of time.
    pub as_of: DateTime<Utc>,
    pub source: String,
    pub volatility: Volatility,
}

/// Why a cache operation failed.
#[derive(Debug, thiserror::Error)]
#[error("cache error: {0}")]
pub struct CacheError(pub String);

/// Latest quotes (tracked pairs, with volatility) and cross rates.
#[async_trait]
pub trait RateCache: Send + Sync {
    /// Stores the given quotes; per pair, a quote older than the cached one is ignored, so
    /// a late cache-aside fill never rolls back what the processor wrote.
    async fn put_quotes(&self, quotes: &[Quote]) -> Result<(), CacheError>;
    /// The quote of one pair, if cached.
    async fn quote(&self, pair: Pair) -> Result<Option<Quote>, CacheError>;
    /// Replaces cross rates, all of one as-of time.
    async fn put_cross_rates(
        &self,
        as_of: DateTime<Utc>,
        rates: &[(Pair, Rate)],
    ) -> Result<(), CacheError>;
    /// One cross rate and its as-of time, if cached.
    async fn cross_rate(&self, pair: Pair) -> Result<Option<(Rate, DateTime<Utc>)>, CacheError>;
    /// Checks the cache answers.
    async fn ping(&self) -> Result<(), CacheError>;
}
