//! fxmon's pure domain: currencies, pairs, rates, the `fx-rates` snapshot, cross rates,
//! volatility, polling policy and alert rules. No I/O, and no clock reads: callers pass `now`.

pub mod alert;
pub mod currency;
mod currency_table;
pub mod pair;
pub mod rate;
pub mod schedule;
pub mod snapshot;
pub mod volatility;

pub use alert::{AlertRule, Condition, RuleIndex, RuleState};
pub use currency::{Currency, CurrencyError};
pub use pair::{Pair, PairError, PairMap};
pub use rate::{Rate, RateError};
pub use schedule::PollPolicy;
pub use snapshot::{CrossError, CrossMatrix, RateSnapshot, SnapshotError};
pub use volatility::{Volatility, VolatilityWindow, WINDOW};
