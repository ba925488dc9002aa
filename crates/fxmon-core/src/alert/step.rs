//! One rule's state machine. Every condition reduces to a number `m` (the metric, negated
//! for "below"-like conditions, absolute for `change_pct` either) and a key `k`:
//! the rule **fires** when armed and `m` is past `k` (strictly, or at least for
//! `change_pct`), then disarms; it **re-arms** once `m` is back at or below `k − hysteresis`
//! (strictly below for `change_pct`). A fire inside the cooldown is held: the rule stays
//! armed and fires at the first observation after the cooldown if still past `k`.

use chrono::{DateTime, TimeDelta, Utc};

use super::rule::{AlertRule, Condition, Direction};

/// A rule's mutable state, persisted so a restart neither re-fires nor forgets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleState {
    /// May fire on the next observation past the threshold.
    pub armed: bool,
    /// As-of time of the last notification.
    pub last_fired_at: Option<DateTime<Utc>>,
}

impl RuleState {
    /// The state of a new rule: armed, except edge conditions, which must first see the
    /// value on the near side.
    pub fn initial(rule: &AlertRule) -> Self {
        Self {
            armed: !rule.condition.is_edge(),
            last_fired_at: None,
        }
    }

    /// True while a notification at `at` would fall inside the cooldown.
    pub fn cooling(&self, rule: &AlertRule, at: DateTime<Utc>) -> bool {
        self.last_fired_at
            .is_some_and(|fired| at < fired + TimeDelta::seconds(i64::from(rule.cooldown_seconds)))
    }
}

/// What one observation did to a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Notify.
    Fired,
    /// Past the threshold and armed, but inside the cooldown: held.
    Held,
    /// Back on the near side: armed again.
    Rearmed,
    /// Expired: never fires again.
    Expired,
    /// Nothing changed.
    Unchanged,
}

/// How a rule's metric maps to `m`, and how strict its comparisons are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transform {
    /// `m = value`, fires when `m > k`.
    Identity,
    /// `m = -value`, fires when `m > k` (i.e. value < threshold).
    Negate,
    /// `m = value`, fires when `m >= k`.
    AtLeast,
    /// `m = -value`, fires when `m >= k`.
    NegateAtLeast,
    /// `m = |value|`, fires when `m >= k`.
    AbsAtLeast,
}

impl Transform {
    /// The transform of `rule`.
    pub fn of(rule: &AlertRule) -> Self {
        match rule.condition {
            Condition::Above | Condition::CrossesAbove | Condition::VolatilityAbove => {
                Self::Identity
            }
            Condition::Below | Condition::CrossesBelow => Self::Negate,
            Condition::ChangePct => match rule.direction.unwrap_or_default() {
                Direction::Up => Self::AtLeast,
                Direction::Down => Self::NegateAtLeast,
                Direction::Either => Self::AbsAtLeast,
            },
        }
    }

    /// `m` for a metric value.
    pub fn apply(self, value: f64) -> f64 {
        match self {
            Self::Identity | Self::AtLeast => value,
            Self::Negate | Self::NegateAtLeast => -value,
            Self::AbsAtLeast => value.abs(),
        }
    }

    /// The fire key `k` of a threshold.
    pub fn key(self, threshold: f64) -> f64 {
        match self {
            Self::Negate => -threshold,
            _ => threshold,
        }
    }

    fn inclusive(self) -> bool {
        !matches!(self, Self::Identity | Self::Negate)
    }

    /// Is `m` past the fire key?
    pub fn past(self, m: f64, key: f64) -> bool {
        if self.inclusive() {
            m >= key
        } else {
            m > key
        }
    }

    /// Is `m` back on the near side of `clear = key − hysteresis`?
    pub fn clear(self, m: f64, clear: f64) -> bool {
        if self.inclusive() {
            m < clear
        } else {
            m <= clear
        }
    }
}

/// Feeds one observation of the rule's metric (`value`, as of `at`) to its state.
pub fn step(rule: &AlertRule, state: &mut RuleState, value: f64, at: DateTime<Utc>) -> Step {
    if rule.expires_at.is_some_and(|expiry| at >= expiry) {
        return Step::Expired;
    }
    let transform = Transform::of(rule);
    let m = transform.apply(value);
    let key = transform.key(rule.threshold);
    if state.armed && transform.past(m, key) {
        if state.cooling(rule, at) {
            return Step::Held;
        }
        state.armed = false;
        state.last_fired_at = Some(at);
        return Step::Fired;
    }
    if !state.armed && transform.clear(m, key - rule.hysteresis) {
        state.armed = true;
        return Step::Rearmed;
    }
    Step::Unchanged
}
