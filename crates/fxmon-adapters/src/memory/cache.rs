//! `MemoryRateCache`: the in-process cache of the embedded mode.

use std::sync::RwLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{CacheError, Quote, RateCache};
use fxmon_core::{Pair, PairMap, Rate};

/// Latest quotes and cross rates in maps behind read-write locks.
#[derive(Default)]
pub struct MemoryRateCache {
    quotes: RwLock<PairMap<Quote>>,
    crosses: RwLock<PairMap<(Rate, DateTime<Utc>)>>,
}

impl MemoryRateCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateCache for MemoryRateCache {
    async fn put_quotes(&self, quotes: &[Quote]) -> Result<(), CacheError> {
        let mut map = self.quotes.write().expect("cache lock");
        for quote in quotes {
            match map.get(&quote.pair) {
                Some(cached) if cached.as_of > quote.as_of => {}
                _ => {
                    map.insert(quote.pair, quote.clone());
                }
            }
        }
        Ok(())
    }

    async fn quote(&self, pair: Pair) -> Result<Option<Quote>, CacheError> {
        Ok(self.quotes.read().expect("cache lock").get(&pair).cloned())
    }

    async fn put_cross_rates(
        &self,
        as_of: DateTime<Utc>,
        rates: &[(Pair, Rate)],
    ) -> Result<(), CacheError> {
        let mut map = self.crosses.write().expect("cache lock");
        for (pair, rate) in rates {
            map.insert(*pair, (*rate, as_of));
        }
        Ok(())
    }

    async fn cross_rate(&self, pair: Pair) -> Result<Option<(Rate, DateTime<Utc>)>, CacheError> {
        Ok(self.crosses.read().expect("cache lock").get(&pair).copied())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}
