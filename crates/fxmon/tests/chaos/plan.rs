//! How big a run is, from `FXMON_CHAOS_*` (small defaults, for `cargo test`), and the
//! seeded random numbers that pick the kill moments.

use std::time::Duration;

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Snapshots published for the processor (8 rates each).
    pub snapshots: usize,
    /// Snapshots published for the alerter.
    pub alert_snapshots: usize,
    /// SIGKILLs per scenario (fewer if the work ends first).
    pub kills: usize,
    /// Longest wait, after a restarted process has made progress, before killing it.
    pub max_uptime: Duration,
    pub seed: u64,
}

impl Plan {
    pub fn from_env() -> Self {
        Self {
            snapshots: number("FXMON_CHAOS_SNAPSHOTS", 1_000),
            alert_snapshots: number("FXMON_CHAOS_ALERT_SNAPSHOTS", 400),
            kills: number("FXMON_CHAOS_KILLS", 3),
            max_uptime: Duration::from_millis(number("FXMON_CHAOS_MAX_UPTIME_MS", 600) as u64),
            seed: number("FXMON_CHAOS_SEED", 0x5eed) as u64,
        }
    }
}

fn number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(raw) => raw
            .parse()
            .unwrap_or_else(|_| panic!("{name}={raw:?} is not a number")),
        Err(_) => default,
    }
}

/// xorshift64*: enough to pick kill moments reproducibly, without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A duration in `[0, max]`.
    pub fn upto(&mut self, max: Duration) -> Duration {
        let millis = max.as_millis() as u64;
        Duration::from_millis(self.next() % (millis + 1))
    }
}

/// A stable 64-bit hash of `parts` (FNV-1a), for deterministic rates and checksums.
pub fn fnv(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().chain(b"|") {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
