//! The alert endpoints' enumerations as the OpenAPI document names them. The core's types
//! stay free of utoipa; each conversion from the core is exhaustive, so a variant added
//! there cannot be left out of the schema.

use fxmon_app::ports;
use fxmon_core::alert::{Direction, Frequency};
use fxmon_core::Condition;
use serde::Serialize;
use utoipa::ToSchema;

/// What an alert watches: `above` / `below` (the rate strictly beyond the threshold),
/// `crosses_above` / `crosses_below` (the rate moving across the threshold; never for a
/// rate already beyond it at creation), `change_pct` (a move of at least `threshold` percent
/// over `window_seconds`), `volatility_above` (the unit-free volatility strictly above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertCondition {
    /// The rate is strictly above the threshold.
    Above,
    /// The rate is strictly below the threshold.
    Below,
    /// The rate moves from at or below the threshold to above it. Needs an observation at
    /// or below first: never fires for a rate already above when the alert is created.
    CrossesAbove,
    /// The rate moves from at or above the threshold to below it.
    CrossesBelow,
    /// The rate moved by at least `threshold` percent over `window_seconds`, in
    /// `direction` (up, down or either).
    ChangePct,
    /// The unit-free (log-return) volatility is strictly above the threshold.
    VolatilityAbove,
}

impl AlertCondition {
    /// Every condition, for error messages that list them.
    pub const ALL: [AlertCondition; 6] = [
        AlertCondition::Above,
        AlertCondition::Below,
        AlertCondition::CrossesAbove,
        AlertCondition::CrossesBelow,
        AlertCondition::ChangePct,
        AlertCondition::VolatilityAbove,
    ];
}

impl From<Condition> for AlertCondition {
    fn from(condition: Condition) -> Self {
        match condition {
            Condition::Above => AlertCondition::Above,
            Condition::Below => AlertCondition::Below,
            Condition::CrossesAbove => AlertCondition::CrossesAbove,
            Condition::CrossesBelow => AlertCondition::CrossesBelow,
            Condition::ChangePct => AlertCondition::ChangePct,
            Condition::VolatilityAbove => AlertCondition::VolatilityAbove,
        }
    }
}

impl From<AlertCondition> for Condition {
    fn from(condition: AlertCondition) -> Self {
        match condition {
            AlertCondition::Above => Condition::Above,
            AlertCondition::Below => Condition::Below,
            AlertCondition::CrossesAbove => Condition::CrossesAbove,
            AlertCondition::CrossesBelow => Condition::CrossesBelow,
            AlertCondition::ChangePct => Condition::ChangePct,
            AlertCondition::VolatilityAbove => Condition::VolatilityAbove,
        }
    }
}

/// Which way a `change_pct` move must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertDirection {
    Up,
    Down,
    Either,
}

impl From<Direction> for AlertDirection {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Up => AlertDirection::Up,
            Direction::Down => AlertDirection::Down,
            Direction::Either => AlertDirection::Either,
        }
    }
}

/// How often an alert may fire: `once` (then it deactivates itself) or `recurring` (once
/// per episode, at most once per cooldown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertFrequency {
    /// Fires once, then deactivates itself (`state`: `fired`).
    Once,
    /// Fires once per episode (the condition becoming true), at most once per cooldown.
    Recurring,
}

impl From<Frequency> for AlertFrequency {
    fn from(frequency: Frequency) -> Self {
        match frequency {
            Frequency::Once => AlertFrequency::Once,
            Frequency::Recurring => AlertFrequency::Recurring,
        }
    }
}

/// Where a trigger is delivered: `bus` (the `fx-alerts` topic) or `webhook` (the alert's
/// `webhook_url`, signed with `X-Fxmon-Signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryTarget {
    /// The `fx-alerts` topic.
    Bus,
    /// The alert's `webhook_url`: a JSON POST signed with `X-Fxmon-Signature`.
    Webhook,
}

impl DeliveryTarget {
    /// The store names targets `bus` and `webhook`, nothing else.
    pub fn named(name: &str) -> Self {
        if name == "bus" {
            DeliveryTarget::Bus
        } else {
            DeliveryTarget::Webhook
        }
    }
}

/// Where a delivery stands: `pending` (retried with exponential backoff; see
/// `next_attempt_at`), `delivered`, or `failed` (given up; see `last_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; retried with exponential backoff until `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up after the last attempt; `last_error` says why.
    Failed,
}

impl From<ports::DeliveryState> for DeliveryState {
    fn from(state: ports::DeliveryState) -> Self {
        match state {
            ports::DeliveryState::Pending => DeliveryState::Pending,
            ports::DeliveryState::Delivered => DeliveryState::Delivered,
            ports::DeliveryState::Failed => DeliveryState::Failed,
        }
    }
}
