//! The benchmark's snapshots: every leg oscillates around the ECB's latest rate (re-based
//! on USD) with its own phase, so alert rules placed inside the swing fire regularly and
//! every run is the same. As-of times follow the wall clock, one microsecond apart at
//! least, so each snapshot is a new observation and its as-of time identifies it.

use std::collections::BTreeMap;
use std::f64::consts::TAU;

use chrono::{DateTime, TimeDelta, Utc};
use fxmon_core::{Currency, Pair, Rate, RateSnapshot};

use crate::source::newest_ecb_in_usd;

/// Snapshots per full swing of a leg.
pub const PERIOD: u64 = 100;
/// Half the swing of a leg, in log terms (0.2 %).
pub const AMPLITUDE: f64 = 0.002;

/// Builds the benchmark's snapshots, one after the other.
pub struct Feed {
    source: String,
    /// The sources snapshots go out under, in turn (one bus key each).
    sources: Vec<String>,
    legs: Vec<(Pair, f64, f64)>,
    next: u64,
    last_as_of: Option<DateTime<Utc>>,
}

impl Feed {
    /// A feed of `currencies` legs (all of the ECB's if `None`) under `source`.
    pub fn new(source: String, currencies: Option<u16>) -> anyhow::Result<Self> {
        Self::spread(source, 1, currencies)
    }

    /// Like [`new`](Self::new), but snapshots take turns among `sources` sources named
    /// `{source}-1` ... `{source}-N` (just `source` for one), each its own bus key, so
    /// they spread over a topic's partitions as several providers' would.
    pub fn spread(source: String, sources: u16, currencies: Option<u16>) -> anyhow::Result<Self> {
        let start = start_rates()?;
        let count = currencies.map_or(start.len(), usize::from).min(start.len());
        let legs = start
            .into_iter()
            .take(count)
            .enumerate()
            .map(|(i, (pair, rate))| (pair, rate, TAU * i as f64 / count as f64))
            .collect();
        let sources = match sources {
            0 | 1 => vec![source.clone()],
            n => (1..=n).map(|i| format!("{source}-{i}")).collect(),
        };
        Ok(Self {
            source,
            sources,
            legs,
            next: 0,
            last_as_of: None,
        })
    }

    /// The source name snapshots carry (with `-N` appended when spread over sources).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Rows each snapshot stores.
    pub fn rows_per_snapshot(&self) -> u64 {
        self.legs.len() as u64
    }

    /// The as-of time of the last snapshot built, in microseconds (0 before the first).
    pub fn last_as_of_micros(&self) -> i64 {
        self.last_as_of.map_or(0, |t| t.timestamp_micros())
    }

    /// The legs' pairs with their mid rate, in feed order.
    pub fn mids(&self) -> impl Iterator<Item = (Pair, f64)> + '_ {
        self.legs.iter().map(|(pair, rate, _)| (*pair, *rate))
    }

    /// The next snapshot, as-of now (or a microsecond after the previous one).
    pub fn next_snapshot(&mut self) -> RateSnapshot {
        // Whole microseconds: what the stores and the wire keep.
        let now = DateTime::from_timestamp_micros(Utc::now().timestamp_micros())
            .expect("the clock is within chrono's range");
        let as_of = match self.last_as_of {
            Some(last) if now <= last => last + TimeDelta::microseconds(1),
            _ => now,
        };
        self.last_as_of = Some(as_of);
        let angle = TAU * (self.next % PERIOD) as f64 / PERIOD as f64;
        let source = self.sources[(self.next % self.sources.len() as u64) as usize].clone();
        self.next += 1;
        let rates = self
            .legs
            .iter()
            .filter_map(|(pair, mid, phase)| {
                let rate = mid * (AMPLITUDE * (angle + phase).sin()).exp();
                Some((*pair, Rate::new(rate).ok()?))
            })
            .collect();
        RateSnapshot::new(as_of, Currency::USD, rates, source)
            .expect("the feed has legs, all against USD, and a source")
    }
}

/// `USD/X` for every currency of the ECB's newest day, from the bundled history.
fn start_rates() -> anyhow::Result<BTreeMap<Pair, f64>> {
    newest_ecb_in_usd()?
        .into_iter()
        .map(|(currency, rate)| Ok((Pair::new(Currency::USD, currency)?, rate.get())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_feed_takes_turns_among_its_sources() {
        let mut feed = Feed::spread("bench".into(), 3, Some(2)).unwrap();
        let sources: Vec<String> = (0..6).map(|_| feed.next_snapshot().source).collect();
        assert_eq!(
            sources,
            ["bench-1", "bench-2", "bench-3", "bench-1", "bench-2", "bench-3"]
        );
        let mut single = Feed::spread("bench".into(), 1, Some(2)).unwrap();
        assert_eq!(single.next_snapshot().source, "bench");
    }

    #[test]
    fn snapshots_have_increasing_distinct_as_of_times_and_every_leg() {
        let mut feed = Feed::new("bench".into(), Some(5)).unwrap();
        let first = feed.next_snapshot();
        let second = feed.next_snapshot();
        assert!(second.timestamp > first.timestamp);
        assert_eq!(first.rates.len(), 5);
        assert_eq!(feed.rows_per_snapshot(), 5);
    }

    #[test]
    fn a_leg_swings_past_half_its_amplitude_both_ways_every_period() {
        let mut feed = Feed::new("bench".into(), None).unwrap();
        let (pair, mid) = feed.mids().next().unwrap();
        let rates: Vec<f64> = (0..PERIOD)
            .map(|_| feed.next_snapshot().rates[&pair].get())
            .collect();
        let half = AMPLITUDE / 2.0;
        assert!(rates.iter().any(|r| *r > mid * half.exp()));
        assert!(rates.iter().any(|r| *r < mid * (-half).exp()));
    }
}
