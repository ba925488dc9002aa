//! Settings of an [`HttpRateSource`](super::HttpRateSource), checked once when the source is built.

use std::fmt;
use std::time::Duration;

use super::provider::Provider;

/// How long a fetch may take, connection to last byte, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment variable that carries the exchangerate-api.com v6 key.
pub const API_KEY_ENV: &str = "FXMON_EXCHANGERATE_API_KEY";

/// What to poll and how. `Debug` never shows the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpSourceConfig {
    /// Which flavour of exchangerate-api.com.
    pub provider: Provider,
    /// Origin to call instead of the provider's (tests, proxies); `None` = the provider's.
    pub base_url: Option<String>,
    /// The v6 API key; required by [`Provider::ExchangerateApiV6`], ignored by the others.
    pub api_key: Option<String>,
    /// Limit on one whole fetch.
    pub timeout: Duration,
}

impl HttpSourceConfig {
    /// The provider's own URL, no key, the default timeout.
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            base_url: None,
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl Default for HttpSourceConfig {
    fn default() -> Self {
        Self::new(Provider::default())
    }
}

impl fmt::Debug for HttpSourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSourceConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an [`HttpRateSource`](super::HttpRateSource) cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum HttpSourceError {
    #[error("{provider} needs an API key: set {API_KEY_ENV}")]
    MissingApiKey { provider: Provider },
    #[error("{API_KEY_ENV} must hold only letters, digits, '-' or '_', as exchangerate-api.com issues it")]
    InvalidApiKey,
    #[error(
        "source URL {url:?} must be an http(s) origin like \"https://open.er-api.com\": {reason}"
    )]
    BaseUrl { url: String, reason: String },
    #[error("the source timeout must be greater than zero")]
    ZeroTimeout,
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// What stands in for the key wherever it would otherwise be shown.
pub(crate) const REDACTED: &str = "<redacted>";

/// The v6 key: validated so it cannot reshape the URL, and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    /// Accepts the key with surrounding whitespace trimmed (a common copy-paste slip).
    pub(crate) fn parse(raw: &str, provider: Provider) -> Result<Self, HttpSourceError> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(HttpSourceError::MissingApiKey { provider });
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !key.chars().all(allowed) {
            return Err(HttpSourceError::InvalidApiKey);
        }
        Ok(Self(key.to_owned()))
    }

    /// The key itself, for building the request URL only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by [`REDACTED`].
    pub(crate) fn redact(&self, text: &str) -> String {
        text.replace(&self.0, REDACTED)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The request URL, and the same URL fit to show (key redacted).
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub url: reqwest::Url,
    pub shown: String,
}

impl Endpoint {
    /// Joins the origin (the provider's unless overridden) and the flavour's path.
    pub(crate) fn build(
        config: &HttpSourceConfig,
        key: Option<&ApiKey>,
        base: &str,
    ) -> Result<Self, HttpSourceError> {
        let raw = config
            .base_url
            .as_deref()
            .unwrap_or(config.provider.default_base_url());
        let origin = check_origin(raw)?;
        let secret = key.map(ApiKey::expose).unwrap_or_default();
        let path = config.provider.latest_path(secret, base);
        let shown = format!("{origin}{}", config.provider.latest_path(REDACTED, base));
        let url = reqwest::Url::parse(&format!("{origin}{path}")).map_err(|e| {
            HttpSourceError::BaseUrl {
                url: raw.to_owned(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self { url, shown })
    }
}

/// The origin without its trailing slash, once it is known to be plain http(s).
fn check_origin(raw: &str) -> Result<&str, HttpSourceError> {
    let bad = |reason: &str| HttpSourceError::BaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = reqwest::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or a fragment"));
    }
    Ok(raw.trim().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef01234567";

    #[test]
    fn debug_output_of_a_config_hides_the_key() {
        let config = HttpSourceConfig {
            api_key: Some(KEY.into()),
            ..HttpSourceConfig::new(Provider::ExchangerateApiV6)
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains(KEY), "{shown}");
        assert!(shown.contains(REDACTED));
    }

    #[test]
    fn a_key_that_would_reshape_the_url_is_rejected_without_echoing_it() {
        for bad in ["abc/def", "abc?x=1", "ab cd", "abc%2F"] {
            let err = ApiKey::parse(bad, Provider::ExchangerateApiV6).unwrap_err();
            assert!(matches!(err, HttpSourceError::InvalidApiKey), "{bad}");
            assert!(!err.to_string().contains(bad));
        }
        assert!(ApiKey::parse(&format!("  {KEY}\n"), Provider::ExchangerateApiV6).is_ok());
    }

    #[test]
    fn the_endpoint_shown_in_logs_has_the_key_redacted() {
        let config = HttpSourceConfig {
            base_url: Some("http://127.0.0.1:9/".into()),
            ..HttpSourceConfig::new(Provider::ExchangerateApiV6)
        };
        let key = ApiKey::parse(KEY, config.provider).unwrap();
        let endpoint = Endpoint::build(&config, Some(&key), "USD").unwrap();
        assert_eq!(
            endpoint.url.as_str(),
            format!("http://127.0.0.1:9/v6/{KEY}/latest/USD")
        );
        assert_eq!(
            endpoint.shown,
            "http://127.0.0.1:9/v6/<redacted>/latest/USD"
        );
    }

    #[test]
    fn an_origin_must_be_plain_http_or_https() {
        for bad in ["ftp://example.com", "not a url", "https://x.test/?a=1"] {
            let config = HttpSourceConfig {
                base_url: Some(bad.into()),
                ..HttpSourceConfig::default()
            };
            let err = Endpoint::build(&config, None, "USD").err().expect(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
