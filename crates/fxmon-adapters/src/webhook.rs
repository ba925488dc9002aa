//! `HttpWebhookSender`: alert events POSTed as JSON, signed with HMAC-SHA256 of the raw body
//! under the alert's secret (see docs/WEBHOOKS.md). Unless private targets are allowed, a
//! URL on a non-public address is refused before anything is sent (see `guard`).

mod guard;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::net_guard::{self, TargetPolicy};
use fxmon_app::ports::{WebhookError, WebhookSender};
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use sha2::Sha256;

use crate::http_error::cause_chain;
use crate::source::parse_retry_after;

/// How long a target has to answer, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The header holding `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-fxmon-signature";
/// The header holding the event id, the same for every retry: receivers dedupe on it.
pub const EVENT_ID_HEADER: &str = "x-fxmon-event-id";

const USER_AGENT: &str = concat!("fxmon/", env!("CARGO_PKG_VERSION"));

/// The `X-Fxmon-Signature` value of `body`: `sha256=` and the lowercase hex HMAC-SHA256 of
/// the exact body bytes, keyed with the secret's UTF-8 bytes.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts a key of any length; the error case cannot happen.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why the sender could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookClientError {
    #[error("the webhook timeout must be longer than zero")]
    ZeroTimeout,
    #[error("could not build the webhook HTTP client: {0}")]
    Client(String),
}

/// POSTs signed alert events over HTTP(S). Holds no secret: each send is given its own.
#[derive(Debug, Clone)]
pub struct HttpWebhookSender {
    client: reqwest::Client,
    timeout: Duration,
    targets: TargetPolicy,
}

impl HttpWebhookSender {
    /// A sender whose requests fail (transiently) after `timeout`, to the `targets` allowed.
    pub fn new(timeout: Duration, targets: TargetPolicy) -> Result<Self, WebhookClientError> {
        if timeout.is_zero() {
            return Err(WebhookClientError::ZeroTimeout);
        }
        // Redirects are not followed: reqwest would turn the POST into a bodiless GET, and a
        // moved endpoint is the alert owner's to fix (and a redirect could point anywhere).
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none());
        if targets == TargetPolicy::PublicOnly {
            // No proxy: through one, the proxy would resolve the target, unchecked.
            builder = builder
                .dns_resolver(Arc::new(guard::PublicOnlyResolver))
                .no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| WebhookClientError::Client(cause_chain(&e.without_url())))?;
        Ok(Self {
            client,
            timeout,
            targets,
        })
    }

    /// A failure below HTTP. Without the URL: a webhook URL may carry a token.
    fn transport_error(&self, err: reqwest::Error) -> WebhookError {
        if let Some(refusal) = guard::refusal(&err) {
            return guard::refused(refusal);
        }
        if err.is_timeout() {
            let limit = self.timeout.as_secs_f64();
            return WebhookError::transient(format!("no answer within {limit}s"));
        }
        if err.is_builder() {
            return WebhookError::permanent("the webhook URL is not a valid http(s) URL");
        }
        let what = if err.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        WebhookError::transient(format!("{what}: {}", root_cause(&err.without_url())))
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(
        &self,
        url: &str,
        secret: &str,
        event_id: &str,
        body: &str,
    ) -> Result<(), WebhookError> {
        let url = reqwest::Url::parse(url)
            .map_err(|_| WebhookError::permanent("the webhook URL is not a valid http(s) URL"))?;
        if self.targets == TargetPolicy::PublicOnly {
            // An IP literal is connected to without resolving: the resolver never sees it.
            let host = url.host_str().unwrap_or_default();
            net_guard::check_literal(host).map_err(|e| guard::refused(&e))?;
        }
        let response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(secret, body.as_bytes()))
            .header(EVENT_ID_HEADER, event_id)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        classify(response.status(), response.headers(), Utc::now())
    }
}

/// 2xx is delivered; 408, 429 and 5xx are worth retrying (after `Retry-After`, if given);
/// other 4xx and redirects are the target refusing.
fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    if status.is_success() {
        return Ok(());
    }
    let refused = status.is_redirection()
        || (status.is_client_error()
            && status != StatusCode::REQUEST_TIMEOUT
            && status != StatusCode::TOO_MANY_REQUESTS);
    if refused {
        let why = if status.is_redirection() {
            "redirects are not followed"
        } else {
            "the target refused the event"
        };
        return Err(WebhookError::permanent(format!("HTTP {status}: {why}")));
    }
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|raw| parse_retry_after(raw, now));
    Err(WebhookError::Transient {
        reason: format!("HTTP {status}"),
        retry_after,
    })
}

/// The innermost cause: reqwest's outer layers ("error sending request", "client error")
/// add length to the stored reason but no information.
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_error(code: u16) -> WebhookError {
        let status = StatusCode::from_u16(code).unwrap();
        classify(status, &HeaderMap::new(), Utc::now()).unwrap_err()
    }

    #[test]
    fn the_signature_matches_a_known_hmac_sha256_vector() {
        // RFC 4231 test case 2.
        let signature = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            signature,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_example_in_the_webhook_docs_signs_as_documented() {
        let body = r#"{"event_id":"7-1764151200000000","alert_id":7,"pair":"EUR/USD","condition":"above","threshold":1.1,"current_rate":1.1042,"value":1.1042,"message":"EUR/USD is 1.1042, above 1.1","triggered_at":"2025-11-26T10:00:00Z"}"#;
        let docs = include_str!("../../../docs/WEBHOOKS.md");
        assert!(
            docs.contains(body),
            "docs/WEBHOOKS.md no longer shows this body"
        );
        let signature = sign("whsec_example_secret", body.as_bytes());
        assert!(
            docs.contains(&signature),
            "docs/WEBHOOKS.md shows another signature"
        );
    }

    #[test]
    fn every_2xx_is_delivered() {
        for code in [200, 201, 202, 204] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(classify(status, &HeaderMap::new(), Utc::now()), Ok(()));
        }
    }

    #[test]
    fn timeouts_throttling_and_server_errors_are_transient() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(status_error(code).is_transient(), "{code}");
        }
    }

    #[test]
    fn other_client_errors_and_redirects_are_refusals() {
        for code in [301, 307, 400, 401, 403, 404, 410, 413, 422] {
            assert!(!status_error(code).is_transient(), "{code}");
        }
    }
}
