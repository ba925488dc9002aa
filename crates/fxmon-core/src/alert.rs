//! Alert rules and their evaluation. Level conditions, edge-triggered so one episode of a
//! met condition gives one trigger: a rule fires when its condition becomes true and
//! re-arms only after the condition has been false.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::pair::Pair;
use crate::rate::Rate;

/// What an alert compares the rate with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Rate strictly above the threshold.
    Above,
    /// Rate strictly below the threshold.
    Below,
}

/// Why a string is not a condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("condition {0:?} must be \"above\" or \"below\"")]
pub struct ConditionError(pub String);

impl Condition {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Above => "above",
            Condition::Below => "below",
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Condition {
    type Err = ConditionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "above" => Ok(Condition::Above),
            "below" => Ok(Condition::Below),
            other => Err(ConditionError(other.to_owned())),
        }
    }
}

/// One user alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: i64,
    pub pair: Pair,
    pub condition: Condition,
    pub threshold: f64,
}

impl AlertRule {
    /// True when `rate` meets the condition (strict comparison, as the seed).
    pub fn is_met(&self, rate: Rate) -> bool {
        match self.condition {
            Condition::Above => rate.get() > self.threshold,
            Condition::Below => rate.get() < self.threshold,
        }
    }

    /// The notification text, e.g. "USD/EUR is 0.8412, below 0.85".
    pub fn message(&self, rate: Rate) -> String {
        format!(
            "{} is {}, {} {}",
            self.pair, rate, self.condition, self.threshold
        )
    }
}

/// Whether a rule may fire: armed until it fires, re-armed once its condition is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmState {
    pub armed: bool,
}

impl Default for ArmState {
    fn default() -> Self {
        Self { armed: true }
    }
}

impl ArmState {
    /// Feeds one observation; returns true when the rule fires on it.
    pub fn observe(&mut self, rule: &AlertRule, rate: Rate) -> bool {
        let met = rule.is_met(rate);
        let fires = met && self.armed;
        self.armed = !met;
        fires
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(condition: Condition, threshold: f64) -> AlertRule {
        AlertRule {
            id: 1,
            pair: Pair::parse("USD/EUR").unwrap(),
            condition,
            threshold,
        }
    }

    fn r(v: f64) -> Rate {
        Rate::new(v).unwrap()
    }

    #[test]
    fn comparisons_are_strict() {
        assert!(!rule(Condition::Above, 1.0).is_met(r(1.0)));
        assert!(rule(Condition::Above, 1.0).is_met(r(1.0001)));
        assert!(!rule(Condition::Below, 1.0).is_met(r(1.0)));
        assert!(rule(Condition::Below, 1.0).is_met(r(0.9999)));
    }

    #[test]
    fn one_episode_fires_once_and_rearms_after_the_condition_clears() {
        let rule = rule(Condition::Below, 0.85);
        let mut state = ArmState::default();
        let fired: Vec<bool> = [0.86, 0.84, 0.83, 0.84, 0.86, 0.84]
            .into_iter()
            .map(|v| state.observe(&rule, r(v)))
            .collect();
        assert_eq!(fired, [false, true, false, false, false, true]);
    }

    #[test]
    fn conditions_parse_from_their_wire_names_only() {
        assert_eq!("above".parse::<Condition>().unwrap(), Condition::Above);
        assert!("ABOVE".parse::<Condition>().is_err());
        assert_eq!(Condition::Below.to_string(), "below");
    }
}
