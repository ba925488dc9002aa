//! Webhooks: signed JSON POSTs of alert events to user-chosen URLs.

use std::time::Duration;

use async_trait::async_trait;

/// Why a webhook delivery failed. The reason is short, safe to store and show in the API:
/// it never carries the secret (nor the URL, which may hold a token of its own).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Worth retrying: a timeout, a connection failure, a 5xx, a 408 or a 429.
    #[error("{reason}")]
    Transient {
        reason: String,
        /// How long the target asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The target refused the event (a 4xx other than 408 and 429, or a redirect), or fxmon
    /// refused the target (a non-public address): sending it again cannot help, so the
    /// delivery gives up at once.
    #[error("{reason}")]
    Permanent { reason: String },
}

impl WebhookError {
    /// A transient failure without a `Retry-After`.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A refusal.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            reason: reason.into(),
        }
    }

    /// Whether a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// The wait the target asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient { retry_after, .. } => *retry_after,
            Self::Permanent { .. } => None,
        }
    }

    /// The short reason, as stored with the delivery.
    pub fn reason(&self) -> &str {
        match self {
            Self::Transient { reason, .. } | Self::Permanent { reason } => reason,
        }
    }
}

/// Sends one alert event to one webhook.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `body` (the `fx-alerts` event JSON, byte for byte) to `url`, signed with
    /// `secret` and tagged with `event_id` so the receiver can drop duplicates. `Ok` once
    /// the target answered 2xx.
    async fn send(
        &self,
        url: &str,
        secret: &str,
        event_id: &str,
        body: &str,
    ) -> Result<(), WebhookError>;
}
