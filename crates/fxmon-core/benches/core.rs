//! The hot paths of processing rates, in-process: the full cross-rate matrix of 166
//! currencies, one volatility update (both figures), and parsing a snapshot. Method and results:
//! docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

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
    c.bench_function("cross_matrix/166_currencies_new", |b| {
        b.iter(|| snapshot.cross_matrix(black_box(&currencies)).unwrap())
    });
    // What a consumer does on each snapshot: the same matrix, recomputed in place.
    let mut matrix = snapshot.cross_matrix(&currencies).unwrap();
    c.bench_function("cross_matrix/166_currencies_update", |b| {
        b.iter(|| matrix.update(black_box(&snapshot)).unwrap())
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
    let levels = [1.1012, 1.0987, 1.1003, 1.0995].map(|v| Rate::new(v).unwrap());
    let mut second = WINDOW as i64;
    let mut times = Vec::with_capacity(1024);
    // Only the update is timed: the increasing as-of times are made beforehand, 1,024 at
    // a time (chrono's date arithmetic would otherwise be a fifth of what is measured).
    c.bench_function("volatility/update_both_figures", |b| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            let mut left = iterations;
            while left > 0 {
                let batch = left.min(1024);
                times.clear();
                times.extend((0..batch).map(|i| start + TimeDelta::seconds(second + i as i64)));
                second += batch as i64;
                let began = Instant::now();
                for (i, &as_of) in times.iter().enumerate() {
                    window.push(as_of, black_box(levels[i % levels.len()]));
                    black_box(window.volatility());
                }
                timed += began.elapsed();
                left -= batch;
            }
            timed
        })
    });
}

/// What each consumer does first with every message: a 30-currency snapshot (the ECB's
/// latest day has 29 rates) parsed from its wire JSON.
fn parse(c: &mut Criterion) {
    let (snapshot, _) = snapshot(30);
    let json = snapshot.to_json();
    c.bench_function("snapshot/from_json_29_rates", |b| {
        b.iter(|| RateSnapshot::from_json(black_box(&json)).unwrap())
    });
    c.bench_function("currency/parse", |b| {
        b.iter(|| Currency::parse(black_box("sek")).unwrap())
    });
}

criterion_group!(benches, cross_matrix, volatility, parse);
criterion_main!(benches);
