//! What the alert endpoints answer: alerts and triggers in the original's shapes, plus the
//! alert engine's fields.

use chrono::{DateTime, Utc};
use fxmon_app::ports::{AlertRecord, DeliveryStatus, TriggerRecord};
use fxmon_core::snapshot::format_time;
use serde::Serialize;
use utoipa::ToSchema;

use super::state::{state_of, AlertState};
use super::wire::{AlertCondition, AlertDirection, AlertFrequency, DeliveryState, DeliveryTarget};

/// An alert: the original's fields, the rule's other fields and where it stands. Fields that
/// do not apply are `null`. The webhook's secret is never shown after creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    #[schema(example = 1)]
    pub id: i64,
    /// `BASE/QUOTE`, canonical whatever spelling created it.
    #[schema(example = "USD/EUR")]
    pub pair: String,
    pub condition: AlertCondition,
    /// A rate; a percentage for `change_pct`; a volatility for `volatility_above`.
    #[schema(example = 0.85)]
    pub threshold: f64,
    /// `change_pct` only: the look-back window.
    #[schema(required = true, example = json!(null))]
    pub window_seconds: Option<u32>,
    /// `change_pct` only.
    #[schema(required = true, example = json!(null))]
    pub direction: Option<AlertDirection>,
    /// How far back past the threshold the value must go to re-arm, in its units.
    #[schema(example = 0.0)]
    pub hysteresis: f64,
    /// No second notification within this many seconds of one.
    #[schema(example = 3600)]
    pub cooldown_seconds: u32,
    pub frequency: AlertFrequency,
    /// After this time the alert never fires (RFC 3339, UTC).
    #[schema(required = true, example = json!(null))]
    pub expires_at: Option<String>,
    /// Where triggers are POSTed.
    #[schema(required = true, example = json!(null))]
    pub webhook_url: Option<String>,
    /// False while paused, after a `once` alert fired, and after expiry.
    pub active: bool,
    /// Where it stands now, derived from `active`, the rule and its saved arm state.
    pub state: AlertState,
    /// While `state` is `cooling_down`: when the cooldown ends (RFC 3339, UTC).
    #[schema(required = true, example = json!(null))]
    pub cooldown_until: Option<String>,
    /// When it last notified: the as-of time of the rate (RFC 3339, UTC).
    #[schema(required = true, example = json!(null))]
    pub last_fired_at: Option<String>,
    /// When it was created (RFC 3339, UTC).
    #[schema(example = "2026-11-26T00:02:31.123456Z")]
    pub created_at: String,
}

impl AlertView {
    /// `record` as it stands at `now`.
    pub fn new(record: AlertRecord, now: DateTime<Utc>) -> Self {
        let (state, cooldown_until) = state_of(&record, now);
        let rule = record.rule;
        Self {
            id: rule.id,
            pair: rule.pair.to_string(),
            condition: rule.condition.into(),
            threshold: rule.threshold,
            window_seconds: rule.window_seconds,
            direction: rule.direction.map(AlertDirection::from),
            hysteresis: rule.hysteresis,
            cooldown_seconds: rule.cooldown_seconds,
            frequency: rule.frequency.into(),
            expires_at: rule.expires_at.map(format_time),
            webhook_url: record.webhook_url,
            active: record.active,
            state,
            cooldown_until: cooldown_until.map(format_time),
            last_fired_at: record.state.last_fired_at.map(format_time),
            created_at: format_time(record.created_at),
        }
    }
}

/// A new alert: every field of `AlertView`, plus `webhook_secret` when it has a webhook,
/// shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAlertView {
    #[serde(flatten)]
    pub alert: AlertView,
    /// Only with a `webhook_url`: the HMAC-SHA256 key of its `X-Fxmon-Signature:
    /// sha256=<hex>` headers (64 hex digits). Returned only here; keep it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, example = "9b1c7e0f4d2a8b6c3e5f7a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d")]
    pub webhook_secret: Option<String>,
}

/// One time an alert fired: the original's fields plus `event_id`, `condition` and
/// `threshold` as they were when it fired, and where its notification went.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerView {
    #[schema(example = 7)]
    pub id: i64,
    #[schema(example = 1)]
    pub alert_id: i64,
    /// Unique per (alert, observation); the `fx-alerts` event carries the same id.
    #[schema(example = "alert-1@2026-11-26T00:02:31Z")]
    pub event_id: String,
    #[schema(example = "USD/EUR")]
    pub pair: String,
    pub condition: AlertCondition,
    #[schema(example = 0.85)]
    pub threshold: f64,
    /// The rate that met the condition.
    #[schema(example = 0.8412)]
    pub rate: f64,
    #[schema(example = "USD/EUR is 0.8412, below 0.85")]
    pub message: String,
    /// The as-of time of that rate (RFC 3339, UTC).
    #[schema(example = "2026-11-26T00:02:31Z")]
    pub triggered_at: String,
    /// The `fx-alerts` event and, for an alert with a webhook, its POST. Empty for triggers
    /// recorded before deliveries were tracked.
    pub deliveries: Vec<DeliveryView>,
}

impl From<TriggerRecord> for TriggerView {
    fn from(record: TriggerRecord) -> Self {
        let trigger = record.trigger;
        Self {
            id: record.id,
            alert_id: trigger.alert_id,
            event_id: trigger.event_id,
            pair: trigger.pair.to_string(),
            condition: trigger.condition.into(),
            threshold: trigger.threshold,
            rate: trigger.rate,
            message: trigger.message,
            triggered_at: format_time(trigger.triggered_at),
            deliveries: record.deliveries.into_iter().map(Into::into).collect(),
        }
    }
}

/// One delivery of a trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub target: DeliveryTarget,
    pub state: DeliveryState,
    /// Attempts made so far.
    #[schema(example = 1)]
    pub attempts: u32,
    /// Why the last attempt failed.
    #[schema(required = true, example = json!(null))]
    pub last_error: Option<String>,
    /// While pending: when the next attempt is due (RFC 3339, UTC).
    #[schema(required = true, example = "2026-11-26T00:02:31.5Z")]
    pub next_attempt_at: Option<String>,
    /// Once delivered: when (RFC 3339, UTC).
    #[schema(required = true, example = json!(null))]
    pub delivered_at: Option<String>,
}

impl From<DeliveryStatus> for DeliveryView {
    fn from(status: DeliveryStatus) -> Self {
        Self {
            target: DeliveryTarget::named(status.target),
            state: status.state.into(),
            attempts: status.attempts,
            last_error: status.last_error,
            next_attempt_at: status.next_attempt_at.map(format_time),
            delivered_at: status.delivered_at.map(format_time),
        }
    }
}
