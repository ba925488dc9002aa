//! `RateSource`: where rates come from (a provider's HTTP API, the simulator, ...).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_core::{Currency, Rate};

/// One fetch's result: rates of every currency the provider quoted against `base`.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedRates {
    /// The provider's base currency.
    pub base: Currency,
    /// The provider's as-of time (its "last updated"), not the fetch time.
    pub as_of: DateTime<Utc>,
    /// When the provider says it next updates, if it says.
    pub next_update: Option<DateTime<Utc>>,
    /// X → how many X one unit of `base` buys. Excludes `base` itself.
    pub rates: BTreeMap<Currency, Rate>,
    /// Codes the provider returned that fxmon does not know, or whose rate was invalid;
    /// reported so operators can see them, never stored.
    pub skipped: Vec<String>,
}

/// Why a fetch failed. `is_transient` tells the scheduler whether to back off and retry soon.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("the provider is rate limiting us (HTTP 429){}; backing off", retry_after.map(|d| format!(", it asks to retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("the provider answered HTTP {status}; it is failing on its side, backing off")]
    Server { status: u16 },
    #[error("the provider did not answer within {0:?}; check the network or raise the timeout")]
    Timeout(Duration),
    #[error("cannot reach the provider: {0}; check the network, DNS, or the source URL")]
    Connect(String),
    #[error("the provider's response is malformed: {0}")]
    Malformed(String),
    #[error("the provider refused the request ({kind}): {advice}")]
    Refused { kind: String, advice: String },
}

impl SourceError {
    /// True for failures that a later retry may fix on its own (429, 5xx, timeouts, network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::RateLimited { .. }
                | SourceError::Server { .. }
                | SourceError::Timeout(_)
                | SourceError::Connect(_)
        )
    }

    /// The provider's `Retry-After`, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// A provider of current rates.
#[async_trait]
pub trait RateSource: Send + Sync {
    /// The label written into every snapshot's `source`, e.g. `exchangerate-api.com`.
    fn name(&self) -> &str;
    /// Fetches the provider's current rates.
    async fn fetch(&self) -> Result<FetchedRates, SourceError>;
}
