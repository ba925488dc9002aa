//! fxmon's ports and the services built on them: producer, processor, alerter.
//! Services never know which adapters they were given.

pub mod alerter;
pub mod consume;
pub mod delivery;
pub mod health;
pub mod keys;
pub mod metrics;
pub mod net_guard;
pub mod ports;
pub mod processor;
pub mod producer;
pub mod redact;
pub mod source_health;
pub mod tracked;

pub use source_health::{SourceHealth, SourceState, SourceStatus};
pub use tracked::Tracked;
