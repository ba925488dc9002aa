//! What the alert endpoints answer: alerts and triggers in the original's shapes.

use fxmon_app::ports::{AlertRecord, TriggerRecord};
use fxmon_core::snapshot::format_time;
use fxmon_core::Condition;
use serde::Serialize;
use utoipa::ToSchema;

/// What an alert compares the rate with; both comparisons are strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertCondition {
    /// Fires when the rate goes strictly above the threshold.
    Above,
    /// Fires when the rate goes strictly below the threshold.
    Below,
}

impl AlertCondition {
    /// Every condition, for error messages that list them.
    pub const ALL: [AlertCondition; 2] = [AlertCondition::Above, AlertCondition::Below];
}

impl From<Condition> for AlertCondition {
    // Exhaustive, so a condition added to the core cannot be left out of the API's schema.
    fn from(condition: Condition) -> Self {
        match condition {
            Condition::Above => AlertCondition::Above,
            Condition::Below => AlertCondition::Below,
        }
    }
}

impl From<AlertCondition> for Condition {
    fn from(condition: AlertCondition) -> Self {
        match condition {
            AlertCondition::Above => Condition::Above,
            AlertCondition::Below => Condition::Below,
        }
    }
}

/// An alert: the original's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    #[schema(example = 1)]
    pub id: i64,
    /// `BASE/QUOTE`, canonical whatever spelling created it.
    #[schema(example = "USD/EUR")]
    pub pair: String,
    pub condition: AlertCondition,
    #[schema(example = 0.85)]
    pub threshold: f64,
    /// False while paused.
    pub active: bool,
    /// When it was created (RFC 3339, UTC).
    #[schema(example = "2026-11-26T00:02:31.123456Z")]
    pub created_at: String,
}

impl From<AlertRecord> for AlertView {
    fn from(record: AlertRecord) -> Self {
        Self {
            id: record.rule.id,
            pair: record.rule.pair.to_string(),
            condition: record.rule.condition.into(),
            threshold: record.rule.threshold,
            active: record.active,
            created_at: format_time(record.created_at),
        }
    }
}

/// One time an alert fired: the original's fields plus `event_id`, `condition` and
/// `threshold` as they were when it fired.
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
        }
    }
}
