//! `fxmon bench`: throughput and latency of the real services. `pipeline` runs the
//! processor and the alerter in this process on any backends; `load` drives a running
//! deployment through its bus.

mod alerts;
mod consumers;
mod feed;
mod latency;
mod load;
mod pace;
mod pipeline;
mod progress;
mod publish;
mod report;
mod rules;

pub use load::load;
pub use pipeline::pipeline;

/// Identifies a run in source names, topic prefixes and paths: microseconds since the
/// epoch.
fn run_id() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
