//! Numeric laws of cross rates and volatility, checked over random inputs.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use fxmon_core::{Currency, Pair, Rate, RateSnapshot, VolatilityWindow};
use proptest::prelude::*;

const CODES: [&str; 6] = ["EUR", "GBP", "JPY", "CHF", "INR", "KWD"];

fn snapshot(legs: &[f64]) -> RateSnapshot {
    let rates: BTreeMap<Pair, Rate> = CODES
        .iter()
        .zip(legs)
        .map(|(code, v)| {
            let pair = Pair::new(Currency::USD, Currency::parse(code).unwrap()).unwrap();
            (pair, Rate::new(*v).unwrap())
        })
        .collect();
    RateSnapshot::new(Utc::now(), Currency::USD, rates, "test").unwrap()
}

fn pair(a: usize, b: usize) -> Pair {
    let code = |i: usize| if i == CODES.len() { "USD" } else { CODES[i] };
    Pair::new(
        Currency::parse(code(a)).unwrap(),
        Currency::parse(code(b)).unwrap(),
    )
    .unwrap()
}

fn legs() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1e-4f64..1e5, CODES.len())
}

fn window(levels: &[f64]) -> VolatilityWindow {
    let mut window = VolatilityWindow::new();
    for (i, v) in levels.iter().enumerate() {
        let at = Utc.timestamp_opt(1_700_000_000 + i as i64, 0).unwrap();
        window.push(at, Rate::new(*v).unwrap());
    }
    window
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #[test]
    fn the_cross_matrix_holds_every_cross_rate_bit_for_bit(legs in legs()) {
        let s = snapshot(&legs);
        let currencies: Vec<Currency> = (0..=CODES.len()).map(|i| pair(i, (i + 1) % 7).base()).collect();
        let matrix = s.cross_matrix(&currencies).unwrap();
        prop_assert_eq!(matrix.currencies(), &currencies[..]);
        for (i, &a) in currencies.iter().enumerate() {
            prop_assert_eq!(matrix.get(i, i), 1.0);
            for (j, &b) in currencies.iter().enumerate().filter(|&(j, _)| j != i) {
                let cross = s.cross(Pair::new(a, b).unwrap()).unwrap().get();
                prop_assert_eq!(matrix.get(i, j).to_bits(), cross.to_bits(), "{}/{}", a, b);
                prop_assert!(close(matrix.get(i, j) * matrix.get(j, i), 1.0));
            }
        }
    }

    #[test]
    fn a_cross_rate_times_its_inverse_is_one(legs in legs(), a in 0..=6usize, b in 0..=6usize) {
        prop_assume!(a != b);
        let s = snapshot(&legs);
        let ab = s.cross(pair(a, b)).unwrap().get();
        let ba = s.cross(pair(b, a)).unwrap().get();
        prop_assert!(close(ab * ba, 1.0), "{ab} * {ba}");
    }

    #[test]
    fn cross_rates_are_triangle_consistent(legs in legs(), a in 0..=6usize, b in 0..=6usize, c in 0..=6usize) {
        prop_assume!(a != b && b != c && a != c);
        let s = snapshot(&legs);
        let ab = s.cross(pair(a, b)).unwrap().get();
        let bc = s.cross(pair(b, c)).unwrap().get();
        let ac = s.cross(pair(a, c)).unwrap().get();
        prop_assert!(close(ab * bc, ac), "{ab} * {bc} != {ac}");
    }

    #[test]
    fn volatility_is_never_negative(levels in prop::collection::vec(1e-4f64..1e5, 0..40)) {
        let v = window(&levels).volatility();
        prop_assert!(v.level.unwrap_or(0.0) >= 0.0);
        prop_assert!(v.log_return.unwrap_or(0.0) >= 0.0);
    }

    #[test]
    fn level_volatility_scales_with_the_rate_and_log_volatility_does_not(
        levels in prop::collection::vec(1e-2f64..1e3, 3..30),
        scale in 1e-3f64..1e3,
    ) {
        let base = window(&levels).volatility();
        let scaled: Vec<f64> = levels.iter().map(|v| v * scale).collect();
        let moved = window(&scaled).volatility();
        let (l0, l1) = (base.level.unwrap(), moved.level.unwrap());
        prop_assert!((l1 - l0 * scale).abs() <= 1e-9 * (l0 * scale).max(1e-12), "{l1} vs {l0} x {scale}");
        let (r0, r1) = (base.log_return.unwrap(), moved.log_return.unwrap());
        prop_assert!((r1 - r0).abs() <= 1e-9 * r0.max(1e-9), "{r1} vs {r0}");
    }
}

proptest! {
    #[test]
    fn a_snapshot_survives_the_wire_bit_for_bit(legs in prop::collection::vec(1e-300f64..1e300, CODES.len())) {
        let s = snapshot(&legs);
        let back = RateSnapshot::from_json(&s.to_json()).unwrap();
        for (pair, rate) in &s.rates {
            prop_assert_eq!(back.rates[pair].get().to_bits(), rate.get().to_bits());
        }
    }
}
