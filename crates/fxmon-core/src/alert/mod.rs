//! Alert rules, their one-episode-one-notification state machine, and the index that
//! evaluates a million of them per snapshot.

mod index;
mod rule;
mod step;

pub use index::{scan, Evaluation, Fired, Metrics, RuleIndex};
pub use rule::{
    AlertRule, Condition, ConditionError, Direction, Frequency, Metric, RuleError,
    DEFAULT_COOLDOWN_SECONDS, MAX_WINDOW_SECONDS,
};
pub use step::{step, RuleState, Step, Transform};
