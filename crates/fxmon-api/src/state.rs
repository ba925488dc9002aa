//! What the handlers share, and the cache-aside read of a pair's latest quote.

use std::sync::Arc;

use fxmon_app::health::HealthDeps;
use fxmon_app::ports::HistoryQuery;
use fxmon_app::ports::{AlertStore, KeyStore, Quote, RateCache, RateStore};
use fxmon_app::processor::window_of;
use fxmon_app::Tracked;
use fxmon_core::{Pair, Rate, WINDOW};

use crate::error::ApiError;
use crate::feed::LiveFeed;

/// Dependencies of the API.
#[derive(Clone)]
pub struct ApiDeps {
    pub store: Arc<dyn RateStore>,
    pub alerts: Arc<dyn AlertStore>,
    /// API keys (the same store as `alerts`).
    pub keys: Arc<dyn KeyStore>,
    pub cache: Arc<dyn RateCache>,
    pub health: HealthDeps,
    pub tracked: Tracked,
    pub feed: LiveFeed,
}

impl ApiDeps {
    /// The latest quote of `pair`: from the cache, or else from the store. A tracked pair
    /// read from the store is cached (the processor keeps tracked pairs fresh; an untracked
    /// one would go stale there). A cache failure is logged and read around, never fatal.
    pub async fn quote(&self, pair: Pair) -> Result<Option<Quote>, ApiError> {
        match self.cache.quote(pair).await {
            Ok(Some(quote)) => {
                count_cache_read("hit");
                return Ok(Some(quote));
            }
            Ok(None) => count_cache_read("miss"),
            Err(error) => {
                count_cache_read("error");
                tracing::warn!(%pair, "Cache read failed; reading the store: {error}");
            }
        }
        let mut points = self
            .store
            .history(&HistoryQuery::latest(pair, WINDOW as u32))
            .await?;
        let Some(latest) = points.first().cloned() else {
            return Ok(None);
        };
        points.reverse();
        let window = window_of(&points);
        let rate = Rate::new(latest.rate)
            .map_err(|e| ApiError::Internal(format!("stored {pair}: {e}")))?;
        let quote = Quote {
            pair,
            rate,
            as_of: latest.timestamp,
            source: latest.source,
            volatility: window.volatility(),
        };
        if self.tracked.includes(pair) {
            if let Err(error) = self.cache.put_quotes(std::slice::from_ref(&quote)).await {
                tracing::warn!(%pair, "Cache write failed: {error}");
            }
        }
        Ok(Some(quote))
    }
}

/// Counts one read of a cached quote by its `result`: `hit`, `miss` or `error`.
fn count_cache_read(result: &'static str) {
    metrics::counter!(fxmon_app::metrics::QUOTE_CACHE_READS, "result" => result).increment(1);
}
