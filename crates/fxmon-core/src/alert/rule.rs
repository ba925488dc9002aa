//! Alert rules: what a user asks to be told about, validated once.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::pair::Pair;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Rate strictly above the threshold (the original's).
    Above,
    /// Rate strictly below the threshold (the original's).
    Below,
    /// The rate moves from at or below the threshold to above it. Needs an observation on
    /// the near side first, so it never fires for a rate already above at creation.
    CrossesAbove,
    /// The rate moves from at or above the threshold to below it.
    CrossesBelow,
    /// The rate moved by at least `threshold` percent over `window_seconds`
    /// (`direction`: up, down or either).
    ChangePct,
    /// The unit-free (log-return) volatility is strictly above the threshold.
    VolatilityAbove,
}

impl Condition {
    /// Every condition, in documentation order.
    pub const ALL: [Condition; 6] = [
        Condition::Above,
        Condition::Below,
        Condition::CrossesAbove,
        Condition::CrossesBelow,
        Condition::ChangePct,
        Condition::VolatilityAbove,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Above => "above",
            Condition::Below => "below",
            Condition::CrossesAbove => "crosses_above",
            Condition::CrossesBelow => "crosses_below",
            Condition::ChangePct => "change_pct",
            Condition::VolatilityAbove => "volatility_above",
        }
    }

    /// Edge conditions start disarmed: they need to see the rate on the near side first.
    pub fn is_edge(self) -> bool {
        matches!(self, Condition::CrossesAbove | Condition::CrossesBelow)
    }
}

/// Why a string is not a condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("condition {0:?} must be one of above, below, crosses_above, crosses_below, change_pct, volatility_above")]
pub struct ConditionError(pub String);

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Condition {
    type Err = ConditionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Condition::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ConditionError(s.to_owned()))
    }
}

/// Which way a `change_pct` move must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    #[default]
    Either,
}

impl Direction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Either => "either",
        }
    }
}

impl FromStr for Direction {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "up" => Ok(Direction::Up),
            "down" => Ok(Direction::Down),
            "either" => Ok(Direction::Either),
            other => Err(RuleError::Direction(other.to_owned())),
        }
    }
}

/// How often a rule may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Fires once, then deactivates itself.
    Once,
    /// Fires once per episode, at most once per cooldown.
    #[default]
    Recurring,
}

impl Frequency {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Once => "once",
            Frequency::Recurring => "recurring",
        }
    }
}

impl FromStr for Frequency {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "once" => Ok(Frequency::Once),
            "recurring" => Ok(Frequency::Recurring),
            other => Err(RuleError::Frequency(other.to_owned())),
        }
    }
}

/// The default cooldown: an hour, as the original documented.
pub const DEFAULT_COOLDOWN_SECONDS: u32 = 3600;
/// The longest `change_pct` window: 31 days.
pub const MAX_WINDOW_SECONDS: u32 = 31 * 24 * 3600;

/// The number a rule compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// The pair's rate.
    Rate,
    /// The percent change of the rate over this many seconds.
    ChangePct { window_seconds: u32 },
    /// The pair's unit-free (log-return) volatility.
    Volatility,
}

/// One user alert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: i64,
    pub pair: Pair,
    pub condition: Condition,
    /// A rate for level and edge conditions, a percentage for `change_pct`, a volatility
    /// for `volatility_above`.
    pub threshold: f64,
    /// `change_pct` only: the look-back window.
    pub window_seconds: Option<u32>,
    /// `change_pct` only (default either).
    pub direction: Option<Direction>,
    /// How far back past the threshold the value must go before the rule re-arms, in the
    /// threshold's units (0: as soon as the condition is false).
    pub hysteresis: f64,
    /// No second notification within this many seconds of one (as-of time).
    pub cooldown_seconds: u32,
    pub frequency: Frequency,
    /// After this as-of time the rule never fires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a rule is invalid; each names its field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("threshold must be a finite number > 0, got {0}")]
    Threshold(f64),
    #[error("window_seconds is required for change_pct, between 1 and {MAX_WINDOW_SECONDS}")]
    WindowMissing,
    #[error("window_seconds must be between 1 and {MAX_WINDOW_SECONDS}, got {0}")]
    Window(u32),
    #[error("window_seconds applies only to change_pct")]
    WindowNotApplicable,
    #[error("direction must be one of up, down, either, got {0:?}")]
    Direction(String),
    #[error("direction applies only to change_pct")]
    DirectionNotApplicable,
    #[error("hysteresis must be a finite number >= 0 and below the threshold, got {0}")]
    Hysteresis(f64),
    #[error("frequency must be once or recurring, got {0:?}")]
    Frequency(String),
}

impl RuleError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            RuleError::Threshold(_) => "threshold",
            RuleError::WindowMissing | RuleError::Window(_) | RuleError::WindowNotApplicable => {
                "window_seconds"
            }
            RuleError::Direction(_) | RuleError::DirectionNotApplicable => "direction",
            RuleError::Hysteresis(_) => "hysteresis",
            RuleError::Frequency(_) => "frequency",
        }
    }
}

impl AlertRule {
    /// A rule with the defaults: no hysteresis, an hour's cooldown, recurring, no expiry.
    pub fn new(id: i64, pair: Pair, condition: Condition, threshold: f64) -> Self {
        Self {
            id,
            pair,
            condition,
            threshold,
            window_seconds: None,
            direction: None,
            hysteresis: 0.0,
            cooldown_seconds: DEFAULT_COOLDOWN_SECONDS,
            frequency: Frequency::Recurring,
            expires_at: None,
        }
    }

    /// Checks every field against the condition.
    pub fn validate(&self) -> Result<(), RuleError> {
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(RuleError::Threshold(self.threshold));
        }
        let is_change = self.condition == Condition::ChangePct;
        match (is_change, self.window_seconds) {
            (true, None) => return Err(RuleError::WindowMissing),
            (true, Some(w)) if w == 0 || w > MAX_WINDOW_SECONDS => {
                return Err(RuleError::Window(w))
            }
            (false, Some(_)) => return Err(RuleError::WindowNotApplicable),
            _ => {}
        }
        if !is_change && self.direction.is_some() {
            return Err(RuleError::DirectionNotApplicable);
        }
        let h = self.hysteresis;
        if !(h.is_finite() && h >= 0.0 && h < self.threshold) {
            return Err(RuleError::Hysteresis(h));
        }
        Ok(())
    }

    /// What the rule compares.
    pub fn metric(&self) -> Metric {
        match self.condition {
            Condition::ChangePct => Metric::ChangePct {
                window_seconds: self.window_seconds.unwrap_or(1),
            },
            Condition::VolatilityAbove => Metric::Volatility,
            _ => Metric::Rate,
        }
    }

    /// The notification text, e.g. "USD/EUR is 0.8412, below 0.85".
    pub fn message(&self, value: f64) -> String {
        match self.condition {
            Condition::ChangePct => format!(
                "{} moved {value:+.4}% over {}s ({} {}%)",
                self.pair,
                self.window_seconds.unwrap_or_default(),
                self.direction.unwrap_or_default().as_str(),
                self.threshold
            ),
            Condition::VolatilityAbove => format!(
                "{} volatility (log returns) is {value:.6}, above {}",
                self.pair, self.threshold
            ),
            condition => format!(
                "{} is {value}, {} {}",
                self.pair,
                condition.as_str().replace('_', " "),
                self.threshold
            ),
        }
    }
}
