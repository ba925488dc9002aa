//! Latency samples and their percentiles, and the log that maps a snapshot's as-of time
//! back to the instant it was published.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentiles of `samples` (zeros when there are none).
pub fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let Some(max) = samples.last() else {
        return Summary::default();
    };
    let rank = |p: f64| {
        let index = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        ms(samples[index])
    };
    Summary {
        count: samples.len(),
        p50_ms: rank(0.50),
        p99_ms: rank(0.99),
        max_ms: ms(*max),
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// When each snapshot was handed to the bus, by as-of time (microseconds), in publish
/// order, which is as-of order.
#[derive(Default)]
pub struct PublishLog {
    entries: Mutex<Vec<(i64, Instant)>>,
}

impl PublishLog {
    /// Records that the snapshot as-of `micros` is being published now.
    pub fn record(&self, micros: i64, at: Instant) {
        self.entries.lock().expect("log lock").push((micros, at));
    }

    /// When the snapshot as-of `micros` was published, if this run published it.
    pub fn published_at(&self, micros: i64) -> Option<Instant> {
        let entries = self.entries.lock().expect("log lock");
        let index = entries.binary_search_by_key(&micros, |(m, _)| *m).ok()?;
        Some(entries[index].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let summary = summarize(samples);
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50_ms, 50.0);
        assert_eq!(summary.p99_ms, 99.0);
        assert_eq!(summary.max_ms, 100.0);
    }

    #[test]
    fn no_samples_give_zeros() {
        assert_eq!(summarize(Vec::new()), Summary::default());
    }

    #[test]
    fn the_log_finds_a_publish_instant_by_as_of_time() {
        let log = PublishLog::default();
        let start = Instant::now();
        log.record(10, start);
        log.record(20, start + Duration::from_millis(1));
        assert_eq!(log.published_at(20), Some(start + Duration::from_millis(1)));
        assert_eq!(log.published_at(15), None);
    }
}
