//! Crash safety: the roles are killed with SIGKILL at random moments while they work, then
//! restarted, and what they stored is counted from the store itself (never from the
//! processes' own counters) against what was produced.
//!
//! - `processor`: snapshots published to Kafka (nisshi), a `fxmon processor` killed and
//!   restarted; every rate in PostgreSQL exactly once, with the published bits.
//! - `alerter`: alerts that fire on a known sequence, a `fxmon alerter` killed and
//!   restarted; each trigger recorded once, and a redelivered snapshot keeps its event id.
//! - `embedded`: `fxmon run` on its SQLite data dir, polling a local stand-in provider,
//!   killed and restarted; every version the provider served stored exactly once.
//!
//! Each prints `chaos <scenario>: produced=N stored=N lost=0 duplicated=0`. By default the
//! sizes are small (CI); `scripts/chaos` sets `FXMON_CHAOS_*` for the long run (see
//! plan.rs). Without `nisshi` the distributed scenarios say SKIPPED, unless
//! `FXMON_TEST_REQUIRE_KAFKA` is set.

mod alerter;
mod cluster;
mod crash;
mod embedded;
mod pg;
mod plan;
mod processor;
mod provider;
mod snapshots;
#[path = "../support/mod.rs"]
mod support;
mod tally;
