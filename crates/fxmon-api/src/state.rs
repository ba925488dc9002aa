//! What the handlers share, and the cache-aside read of a pair's latest quote.

use std::sync::Arc;

use fxmon_app::health::HealthDeps;
use fxmon_app::ports::{Quote, RateCache, RateStore};
use fxmon_app::processor::load_window;
use fxmon_app::Tracked;
use fxmon_core::{Pair, Rate};

use crate::error::ApiError;

/// Dependencies of the API.
#[derive(Clone)]
pub struct ApiDeps {
    pub store: Arc<dyn RateStore>,
    pub cache: Arc<dyn RateCache>,
    pub health: HealthDeps,
    pub tracked: Tracked,
}

impl ApiDeps {
    /// The latest quote of `pair`: from the cache, or else from the store (and then cached).
    /// A cache failure is logged and read around, never fatal.
    pub async fn quote(&self, pair: Pair) -> Result<Option<Quote>, ApiError> {
        match self.cache.quote(pair).await {
            Ok(Some(quote)) => return Ok(Some(quote)),
            Ok(None) => {}
            Err(error) => tracing::warn!(%pair, "Cache read failed; reading the store: {error}"),
        }
        let window = load_window(self.store.as_ref(), pair).await?;
        let latest = self
            .store
            .history(&fxmon_app::ports::HistoryQuery::latest(pair, 1))
            .await?;
        let Some(point) = latest.into_iter().next() else {
            return Ok(None);
        };
        let rate =
            Rate::new(point.rate).map_err(|e| ApiError::Internal(format!("stored {pair}: {e}")))?;
        let quote = Quote {
            pair,
            rate,
            as_of: point.timestamp,
            source: point.source,
            volatility: window.volatility(),
        };
        if let Err(error) = self.cache.put_quotes(std::slice::from_ref(&quote)).await {
            tracing::warn!(%pair, "Cache write failed: {error}");
        }
        Ok(Some(quote))
    }
}
