//! `SimulatedSource`: a seeded geometric random walk from real start rates, for demos and
//! load tests without a provider. The same seed always gives the same sequence of rates.

use std::collections::BTreeMap;
use std::f64::consts::TAU;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use fxmon_app::ports::{FetchedRates, RateSource, SourceError};
use fxmon_core::{Currency, Rate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Standard deviation of one tick's log move: 0.05 %, about an active minute of EUR/USD.
pub const DEFAULT_SIGMA: f64 = 0.0005;

/// Where the walk starts and how it moves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorConfig {
    /// The currency every rate is quoted against.
    pub base: Currency,
    /// The first rates (e.g. the ECB's latest), X → how many X one `base` buys.
    pub start: BTreeMap<Currency, Rate>,
    /// Seeds the walk; equal seeds and start rates give equal sequences.
    pub seed: u64,
    /// Standard deviation of each tick's log move; 0 freezes the rates.
    pub sigma: f64,
}

impl SimulatorConfig {
    /// A walk with the default sigma.
    pub fn new(base: Currency, start: BTreeMap<Currency, Rate>, seed: u64) -> Self {
        Self {
            base,
            start,
            seed,
            sigma: DEFAULT_SIGMA,
        }
    }
}

/// Why a simulator cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulatorError {
    #[error("the simulator needs at least one start rate against {0} (besides {0} itself)")]
    NoRates(Currency),
    #[error("the simulator's sigma {0} must be a finite number >= 0")]
    Sigma(f64),
}

/// A [`RateSource`] that invents the next rates on each fetch.
#[derive(Debug)]
pub struct SimulatedSource {
    base: Currency,
    sigma: f64,
    walk: Mutex<Walk>,
}

/// The walk's state; behind a mutex because `fetch` takes `&self`.
#[derive(Debug)]
struct Walk {
    rng: ChaCha8Rng,
    rates: BTreeMap<Currency, Rate>,
    last_as_of: Option<DateTime<Utc>>,
}

impl SimulatedSource {
    /// Starts the walk; the base is dropped from the start rates if present.
    pub fn new(config: SimulatorConfig) -> Result<Self, SimulatorError> {
        if !(config.sigma.is_finite() && config.sigma >= 0.0) {
            return Err(SimulatorError::Sigma(config.sigma));
        }
        let mut rates = config.start;
        rates.remove(&config.base);
        if rates.is_empty() {
            return Err(SimulatorError::NoRates(config.base));
        }
        let walk = Walk {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            rates,
            last_as_of: None,
        };
        Ok(Self {
            base: config.base,
            sigma: config.sigma,
            walk: Mutex::new(walk),
        })
    }

    /// One step of the walk, stamped with `now` (kept strictly after the previous stamp).
    fn tick(&self, now: DateTime<Utc>) -> FetchedRates {
        // The walk is consistent after every statement, so a panic elsewhere cannot corrupt it.
        let mut walk = self.walk.lock().unwrap_or_else(PoisonError::into_inner);
        walk.step(self.sigma);
        FetchedRates {
            base: self.base,
            as_of: walk.stamp(now),
            next_update: None,
            rates: walk.rates.clone(),
            skipped: Vec::new(),
        }
    }
}

impl Walk {
    /// Multiplies every rate by exp(sigma · z); a move that would leave the valid range
    /// (only possible with a huge sigma) is skipped, so rates stay finite and positive.
    fn step(&mut self, sigma: f64) {
        for rate in self.rates.values_mut() {
            let z = standard_normal(&mut self.rng);
            if let Ok(next) = Rate::new(rate.get() * (sigma * z).exp()) {
                *rate = next;
            }
        }
    }

    /// `now` to the millisecond, or 1 ms after the last stamp if the clock has not moved on:
    /// consumers drop updates whose as-of time is not newer than the last.
    fn stamp(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let as_of = match self.last_as_of {
            Some(last) if now <= last => last + TimeDelta::milliseconds(1),
            _ => now,
        };
        self.last_as_of = Some(as_of);
        as_of
    }
}

/// One standard normal draw by Box–Muller; `1 - u` lies in (0, 1], so the log is finite.
fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

#[async_trait]
impl RateSource for SimulatedSource {
    fn name(&self) -> &str {
        "simulator"
    }

    async fn fetch(&self) -> Result<FetchedRates, SourceError> {
        Ok(self.tick(Utc::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> BTreeMap<Currency, Rate> {
        [(Currency::USD, 1.0), (Currency::EUR, 0.86)]
            .into_iter()
            .map(|(c, v)| (c, Rate::new(v).unwrap()))
            .collect()
    }

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_764_115_200_000 + ms).unwrap()
    }

    #[test]
    fn a_clock_that_has_not_moved_still_gives_a_later_as_of_time() {
        let source = SimulatedSource::new(SimulatorConfig::new(Currency::USD, start(), 1)).unwrap();
        let stamps: Vec<_> = [at(0), at(0), at(0), at(10)]
            .into_iter()
            .map(|now| source.tick(now).as_of)
            .collect();
        assert_eq!(stamps, [at(0), at(1), at(2), at(10)]);
    }

    #[test]
    fn as_of_times_are_truncated_to_milliseconds() {
        let source = SimulatedSource::new(SimulatorConfig::new(Currency::USD, start(), 1)).unwrap();
        let now = at(5) + TimeDelta::microseconds(999);
        assert_eq!(source.tick(now).as_of, at(5));
    }

    #[test]
    fn the_base_is_dropped_from_the_start_rates_and_zero_sigma_freezes_the_rest() {
        let config = SimulatorConfig {
            sigma: 0.0,
            ..SimulatorConfig::new(Currency::USD, start(), 7)
        };
        let source = SimulatedSource::new(config).unwrap();
        let rates = source.tick(at(0)).rates;
        assert_eq!(rates.keys().copied().collect::<Vec<_>>(), [Currency::EUR]);
        assert_eq!(rates[&Currency::EUR].get(), 0.86);
    }

    #[test]
    fn a_bad_sigma_or_no_rates_is_refused() {
        for sigma in [-0.1, f64::NAN, f64::INFINITY] {
            let config = SimulatorConfig {
                sigma,
                ..SimulatorConfig::new(Currency::USD, start(), 1)
            };
            assert!(matches!(
                SimulatedSource::new(config),
                Err(SimulatorError::Sigma(_))
            ));
        }
        let only_base = start()
            .into_iter()
            .filter(|(c, _)| *c == Currency::USD)
            .collect();
        let err = SimulatedSource::new(SimulatorConfig::new(Currency::USD, only_base, 1));
        assert_eq!(err.unwrap_err(), SimulatorError::NoRates(Currency::USD));
    }

    #[test]
    fn box_muller_draws_have_mean_zero_and_variance_one() {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let draws: Vec<f64> = (0..200_000).map(|_| standard_normal(&mut rng)).collect();
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let variance = draws.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.02, "variance {variance}");
    }
}
