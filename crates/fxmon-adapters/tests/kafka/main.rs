//! The Kafka adapters against a real Kafka-protocol broker (nisshi, in memory, one per
//! test on a free loopback port): round trips with keys and per-key order, manual commits
//! and resuming after them, two group members splitting partitions, topic creation, ping.
//!
//! Without `nisshi` on the PATH (or `FXMON_NISSHI`), broker tests print why and pass
//! without running; with `FXMON_TEST_REQUIRE_KAFKA` set (as in CI) they fail instead.

mod groups;
mod handover;
mod ping;
mod round_trip;
mod security;
mod support;
mod topics;
