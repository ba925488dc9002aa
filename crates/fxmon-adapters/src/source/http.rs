//! `HttpRateSource`: the latest USD rates from one flavour of exchangerate-api.com.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use fxmon_app::ports::{FetchedRates, RateSource, SourceError};
use fxmon_core::Currency;
use reqwest::header::{ACCEPT, RETRY_AFTER};
use tracing::debug;

use super::config::{ApiKey, Endpoint, HttpSourceConfig, HttpSourceError};
use super::provider::Provider;
use super::response::{self, Answer};
use crate::http_error::cause_chain;

/// The base every flavour is asked for: the seed's.
const BASE: Currency = Currency::USD;

const USER_AGENT: &str = concat!("fxmon/", env!("CARGO_PKG_VERSION"));

/// Polls exchangerate-api.com over HTTP. `Debug` and every error keep the API key out.
pub struct HttpRateSource {
    provider: Provider,
    client: reqwest::Client,
    endpoint: Endpoint,
    key: Option<ApiKey>,
    timeout: Duration,
}

impl HttpRateSource {
    /// Checks the settings and builds the one HTTP client all fetches share.
    pub fn new(config: HttpSourceConfig) -> Result<Self, HttpSourceError> {
        if config.timeout.is_zero() {
            return Err(HttpSourceError::ZeroTimeout);
        }
        let provider = config.provider;
        let key = match (provider.needs_key(), config.api_key.as_deref()) {
            (true, Some(raw)) => Some(ApiKey::parse(raw, provider)?),
            (true, None) => return Err(HttpSourceError::MissingApiKey { provider }),
            (false, _) => None,
        };
        let endpoint = Endpoint::build(&config, key.as_ref(), BASE.code())?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| HttpSourceError::Client(cause_chain(&e.without_url())))?;
        Ok(Self {
            provider,
            client,
            endpoint,
            key,
            timeout: config.timeout,
        })
    }

    /// Which flavour this source polls.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The URL polled, with the key redacted: safe to log.
    pub fn endpoint(&self) -> &str {
        &self.endpoint.shown
    }

    async fn request(&self) -> Result<FetchedRates, SourceError> {
        let response = self
            .client
            .get(self.endpoint.url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        // A failing server may also stall on its body; its status already says enough.
        if (500..=599).contains(&status) {
            return Err(SourceError::Server { status });
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        let answer = Answer {
            status,
            retry_after: retry_after.as_deref(),
            body: &body,
        };
        response::interpret(self.provider, &answer, Utc::now())
    }

    /// A failure below HTTP. reqwest's messages carry the URL, and with it the key.
    fn transport_error(&self, err: reqwest::Error) -> SourceError {
        if err.is_timeout() {
            return SourceError::Timeout(self.timeout);
        }
        SourceError::Connect(cause_chain(&err.without_url()))
    }

    /// Redacts the key from every text an error carries: a lower layer or a gateway that
    /// echoes the request URL (into an error type, say) could otherwise hand it back to us.
    fn scrub(&self, err: SourceError) -> SourceError {
        let Some(key) = &self.key else { return err };
        match err {
            SourceError::Connect(message) => SourceError::Connect(key.redact(&message)),
            SourceError::Malformed(message) => SourceError::Malformed(key.redact(&message)),
            SourceError::Refused { kind, advice } => SourceError::Refused {
                kind: key.redact(&kind),
                advice: key.redact(&advice),
            },
            other => other,
        }
    }
}

#[async_trait]
impl RateSource for HttpRateSource {
    fn name(&self) -> &str {
        self.provider.label()
    }

    async fn fetch(&self) -> Result<FetchedRates, SourceError> {
        let fetched = self.request().await.map_err(|e| self.scrub(e))?;
        debug!(
            source = self.name(),
            rates = fetched.rates.len(),
            skipped = fetched.skipped.len(),
            as_of = %fetched.as_of,
            "Fetched rates."
        );
        Ok(fetched)
    }
}

impl fmt::Debug for HttpRateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRateSource")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint.shown)
            .field("api_key", &self.key)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
