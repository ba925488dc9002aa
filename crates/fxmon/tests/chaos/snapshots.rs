//! The deterministic snapshots the distributed scenarios publish: 8 USD pairs, one second
//! apart. USD/EUR and USD/GBP swing around the alert thresholds; the others wander.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use fxmon_core::{Currency, Pair, Rate, RateSnapshot};

use crate::plan::fnv;
use crate::tally::Item;

pub const QUOTES: [(&str, f64); 8] = [
    ("EUR", 0.91),
    ("GBP", 0.75),
    ("JPY", 156.2),
    ("CAD", 1.41),
    ("AUD", 1.54),
    ("CHF", 0.81),
    ("CNY", 7.09),
    ("INR", 89.3),
];

/// `crosses_above` threshold of USD/EUR, which is above it at odd steps.
pub const EUR_THRESHOLD: f64 = 0.91;
/// `crosses_below` threshold of USD/GBP, which is below it every third step.
pub const GBP_THRESHOLD: f64 = 0.75;

/// The snapshots of one run.
pub struct Series {
    pub source: String,
    start: DateTime<Utc>,
}

impl Series {
    /// Starting a day ago, whole seconds.
    pub fn new(source: &str) -> Self {
        let start = Utc::now().timestamp() - 86_400;
        Self {
            source: source.to_owned(),
            start: Utc.timestamp_opt(start, 0).unwrap(),
        }
    }

    pub fn time(&self, step: usize) -> DateTime<Utc> {
        self.start + chrono::TimeDelta::seconds(step as i64)
    }

    /// The quote's rate at `step`: off the threshold by at least 0.1% for the two alert
    /// pairs, so the expected fires do not hinge on rounding.
    pub fn rate(&self, code: &str, reference: f64, step: usize) -> f64 {
        let noise = fnv(&[self.source.as_bytes(), code.as_bytes(), &step.to_le_bytes()]);
        let wiggle = (noise % 10_000) as f64 / 1e6; // [0, 1%)
        let side = match code {
            "EUR" if step % 2 == 1 => 1.0,
            "EUR" => -1.0,
            "GBP" if step % 3 == 2 => -1.0,
            "GBP" => 1.0,
            _ => return reference * (1.0 + wiggle - 0.005),
        };
        reference * (1.0 + side * (0.001 + wiggle))
    }

    pub fn snapshot(&self, step: usize) -> RateSnapshot {
        let rates: BTreeMap<Pair, Rate> = QUOTES
            .iter()
            .map(|(code, reference)| {
                let pair = Pair::parse(&format!("USD/{code}")).unwrap();
                (pair, Rate::new(self.rate(code, *reference, step)).unwrap())
            })
            .collect();
        RateSnapshot::new(self.time(step), Currency::USD, rates, &self.source).unwrap()
    }

    /// Every rate of `steps`, as the store should hold it: (pair, as-of µs, rate bits).
    pub fn items(&self, steps: std::ops::Range<usize>) -> Vec<Item> {
        let mut items = Vec::new();
        for step in steps {
            let micros = self.time(step).timestamp_micros();
            for (code, reference) in QUOTES {
                let rate = self.rate(code, reference, step);
                items.push((format!("USD/{code}"), micros, rate.to_bits()));
            }
        }
        items
    }
}
