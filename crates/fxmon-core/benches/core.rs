//! The hot paths of processing rates, in-process: the full cross-rate matrix of 166
//! currencies, and one volatility update (both figures). Method and results:
//! docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use fxmon_core::{Currency, Pair, Rate, RateSnapshot, VolatilityWindow, WINDOW};

/// A USD-based snapshot quoting `n - 1` other currencies: `n` currencies in all.
fn snapshot(n: usize) -> (RateSnapshot, Vec<Currency>) {
    let currencies: Vec<Currency> = std::iter::once(Currency::USD)
        .chain(Currency::all().filter(|&c| c != Currency::USD))
        .take(n)
        .collect();
    assert_eq!(
        currencies.len(),
        n,
        "the currency table has fewer than {n} codes"
    );
    let rates: BTreeMap<Pair, Rate> = currencies[1..]
        .iter()
        .enumerate()
        .map(|(i, &quote)| {
            let pair = Pair::new(Currency::USD, quote).unwrap();
            (pair, Rate::new(0.5 + i as f64 * 0.731).unwrap())
        })
        .collect();
    let at = Utc.timestamp_opt(1_780_000_000, 0).unwrap();
    (
        RateSnapshot::new(at, Currency::USD, rates, "bench").unwrap(),
        currencies,
    )
}

fn cross_matrix(c: &mut Criterion) {
    let (snapshot, currencies) = snapshot(166);
    c.bench_function("cross_matrix/166_currencies_27390_pairs", |b| {
        b.iter(|| snapshot.cross_matrix(black_box(&currencies)).unwrap())
    });
}

fn volatility(c: &mut Criterion) {
    let start: DateTime<Utc> = Utc.timestamp_opt(1_780_000_000, 0).unwrap();
    let mut window = VolatilityWindow::new();
    for i in 0..WINDOW as i64 {
        window.push(
            start + TimeDelta::seconds(i),
            Rate::new(1.1 + i as f64 * 1e-4).unwrap(),
        );
    }
    let mut second = WINDOW as i64;
    let levels = [1.1012, 1.0987, 1.1003, 1.0995];
    c.bench_function("volatility/update_both_figures", |b| {
        b.iter(|| {
            second += 1;
            let level = Rate::new(levels[second as usize % levels.len()]).unwrap();
            window.push(start + TimeDelta::seconds(second), black_box(level));
            black_box(window.volatility())
        })
    });
}

criterion_group!(benches, cross_matrix, volatility);
criterion_main!(benches);
