//! Rolling volatility over the last [`WINDOW`] distinct provider updates of one pair.
//!
//! Two figures, both sample standard deviations (divisor n − 1):
//! - `level`: of the rate levels themselves, in price units — the seed's figure;
//! - `log_return`: of the log returns ln(pᵢ / pᵢ₋₁) between consecutive updates in the
//!   window — unit-free, so it compares across pairs (USD/JPY against EUR/GBP).
//!
//! An update counts only if its as-of time is later than the last one counted, so
//! re-polling an unchanged provider or replaying a message never adds a point.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::rate::Rate;

/// How many distinct updates the window holds (the seed's 20).
pub const WINDOW: usize = 20;

/// Both volatility figures; `None` until the window has enough points
/// (2 levels for `level`, 3 levels — 2 returns — for `log_return`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Volatility {
    pub level: Option<f64>,
    pub log_return: Option<f64>,
}

/// The last [`WINDOW`] levels of one pair and the log returns between them, oldest first,
/// with the as-of time of the newest. Each update computes one logarithm; reading both
/// figures allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct VolatilityWindow {
    levels: Sliding<WINDOW>,
    returns: Sliding<{ WINDOW - 1 }>,
    last_as_of: Option<DateTime<Utc>>,
}

impl VolatilityWindow {
    /// An empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an update; returns false (and changes nothing) unless `as_of` is newer than the last.
    pub fn push(&mut self, as_of: DateTime<Utc>, rate: Rate) -> bool {
        if self.last_as_of.is_some_and(|last| as_of <= last) {
            return false;
        }
        let level = rate.get();
        if let Some(&previous) = self.levels.window().last() {
            self.returns.push((level / previous).ln());
        }
        self.levels.push(level);
        self.last_as_of = Some(as_of);
        true
    }

    /// How many levels the window holds.
    pub fn len(&self) -> usize {
        self.levels.window().len()
    }

    /// True before the first update.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The as-of time of the newest level.
    pub fn last_as_of(&self) -> Option<DateTime<Utc>> {
        self.last_as_of
    }

    /// Both figures for the current window.
    pub fn volatility(&self) -> Volatility {
        Volatility {
            level: sample_std_dev(self.levels.window()),
            log_return: sample_std_dev(self.returns.window()),
        }
    }
}

/// The last `N` values pushed, readable as one slice, oldest first. Values are appended to
/// a buffer of up to 2N and the last N moved to the front when it fills: amortised O(1)
/// per push, no ring-buffer wrap to unfold when reading.
#[derive(Debug, Clone, Default)]
struct Sliding<const N: usize> {
    buffer: Vec<f64>,
}

impl<const N: usize> Sliding<N> {
    fn push(&mut self, value: f64) {
        if self.buffer.len() == 2 * N {
            self.buffer.copy_within(N.., 0);
            self.buffer.truncate(N);
        }
        self.buffer.push(value);
    }

    fn window(&self) -> &[f64] {
        &self.buffer[self.buffer.len().saturating_sub(N)..]
    }
}

/// Sample standard deviation (n − 1), two-pass (mean, then squared deviations); `None`
/// for fewer than two values.
pub fn sample_std_dev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = sum_of(values, |v| v) / n;
    let squares = sum_of(values, |v| (v - mean) * (v - mean));
    Some((squares / (n - 1.0)).sqrt())
}

/// Σ f(v) in four interleaved partial sums: one running sum would make every addition
/// wait for the previous one, which at 20 values is most of a volatility update's time.
fn sum_of(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0; 4];
    let chunks = values.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f(v);
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + second, 0).unwrap()
    }

    fn rate(value: f64) -> Rate {
        Rate::new(value).unwrap()
    }

    #[test]
    fn after_many_updates_both_figures_equal_a_recomputation_over_the_last_twenty_bit_for_bit() {
        let mut window = VolatilityWindow::new();
        let mut all = Vec::new();
        for i in 0..137 {
            let level = 1.1 + (i as f64 * 0.37).sin() * 0.01;
            all.push(level);
            assert!(window.push(at(i), rate(level)));
            let last = &all[all.len().saturating_sub(WINDOW)..];
            let returns: Vec<f64> = last.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
            let figures = window.volatility();
            assert_eq!(window.len(), last.len());
            assert_eq!(
                figures.level.map(f64::to_bits),
                sample_std_dev(last).map(f64::to_bits)
            );
            assert_eq!(
                figures.log_return.map(f64::to_bits),
                sample_std_dev(&returns).map(f64::to_bits),
                "after {} updates",
                i + 1
            );
        }
    }

    #[test]
    fn the_partial_sums_agree_with_one_running_sum_to_rounding() {
        for n in 2..=41 {
            let values: Vec<f64> = (0..n).map(|i| 150.0 + (i as f64 * 0.77).cos()).collect();
            let mean = values.iter().sum::<f64>() / n as f64;
            let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
            let naive = (squares / (n as f64 - 1.0)).sqrt();
            let ours = sample_std_dev(&values).unwrap();
            assert!(
                (ours - naive).abs() <= 1e-12 * naive,
                "n={n}: {ours} vs {naive}"
            );
        }
    }

    #[test]
    fn the_level_figure_matches_a_textbook_sample_standard_deviation() {
        // 2,4,4,4,5,5,7,9: mean 5, squared deviations sum to 32, 32/7 under n-1.
        let mut window = VolatilityWindow::new();
        for (i, v) in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
            .into_iter()
            .enumerate()
        {
            assert!(window.push(at(i as i64), rate(v)));
        }
        let level = window.volatility().level.unwrap();
        assert!((level - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn the_log_return_figure_uses_consecutive_ratios() {
        let mut window = VolatilityWindow::new();
        for (i, v) in [100.0, 110.0, 99.0].into_iter().enumerate() {
            window.push(at(i as i64), rate(v));
        }
        let (r1, r2) = ((1.1f64).ln(), (0.9f64).ln());
        let mean = (r1 + r2) / 2.0;
        let expected = ((r1 - mean).powi(2) + (r2 - mean).powi(2)).sqrt();
        assert!((window.volatility().log_return.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn figures_are_missing_until_there_are_enough_points() {
        let mut window = VolatilityWindow::new();
        assert_eq!(window.volatility(), Volatility::default());
        window.push(at(0), rate(1.0));
        assert_eq!(window.volatility(), Volatility::default());
        window.push(at(1), rate(1.1));
        let v = window.volatility();
        assert!(v.level.is_some() && v.log_return.is_none());
        window.push(at(2), rate(1.2));
        assert!(window.volatility().log_return.is_some());
    }

    #[test]
    fn repeated_or_older_updates_do_not_count() {
        let mut window = VolatilityWindow::new();
        assert!(window.push(at(5), rate(1.0)));
        assert!(
            !window.push(at(5), rate(2.0)),
            "same as-of time is a re-poll"
        );
        assert!(!window.push(at(4), rate(3.0)), "older update is a replay");
        assert_eq!(window.len(), 1);
        assert_eq!(window.last_as_of(), Some(at(5)));
    }

    #[test]
    fn the_window_keeps_only_the_last_twenty_updates() {
        let mut window = VolatilityWindow::new();
        for i in 0..25 {
            window.push(at(i), rate(if i < 5 { 1000.0 } else { 1.0 + i as f64 }));
        }
        assert_eq!(window.len(), WINDOW);
        let expected: Vec<f64> = (5..25).map(|i| 1.0 + i as f64).collect();
        let level = window.volatility().level.unwrap();
        assert!((level - sample_std_dev(&expected).unwrap()).abs() < 1e-12);
    }
}
