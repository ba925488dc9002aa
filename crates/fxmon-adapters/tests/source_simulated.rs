//! `SimulatedSource`: deterministic for a seed, always valid, always moving forward in time.

use std::collections::BTreeMap;

use fxmon_adapters::source::{SimulatedSource, SimulatorConfig};
use fxmon_app::ports::{FetchedRates, RateSource};
use fxmon_core::{Currency, Rate};

/// ECB-like start rates against USD (the seed's eight pairs).
fn start() -> BTreeMap<Currency, Rate> {
    [
        ("EUR", 0.847),
        ("GBP", 0.789),
        ("JPY", 110.25),
        ("CAD", 1.258),
        ("AUD", 1.312),
        ("CHF", 0.912),
        ("CNY", 6.456),
        ("INR", 74.123),
    ]
    .into_iter()
    .map(|(code, value)| (Currency::parse(code).unwrap(), Rate::new(value).unwrap()))
    .collect()
}

fn simulator(seed: u64) -> SimulatedSource {
    SimulatedSource::new(SimulatorConfig::new(Currency::USD, start(), seed)).unwrap()
}

async fn ticks(source: &SimulatedSource, n: usize) -> Vec<FetchedRates> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(source.fetch().await.unwrap());
    }
    out
}

fn rates_only(ticks: &[FetchedRates]) -> Vec<BTreeMap<Currency, Rate>> {
    ticks.iter().map(|t| t.rates.clone()).collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_sequence_of_rates() {
    let a = ticks(&simulator(42), 500).await;
    let b = ticks(&simulator(42), 500).await;
    assert_eq!(rates_only(&a), rates_only(&b));
}

#[tokio::test]
async fn different_seeds_give_different_sequences() {
    let a = ticks(&simulator(1), 10).await;
    let b = ticks(&simulator(2), 10).await;
    assert_ne!(rates_only(&a), rates_only(&b));
}

#[tokio::test]
async fn every_tick_moves_the_rates_and_quotes_every_start_currency_against_the_base() {
    let source = simulator(7);
    let tick = source.fetch().await.unwrap();
    assert_eq!(source.name(), "simulator");
    assert_eq!(tick.base, Currency::USD);
    assert_eq!(tick.next_update, None);
    assert!(tick.skipped.is_empty());
    assert_eq!(
        tick.rates.keys().collect::<Vec<_>>(),
        start().keys().collect::<Vec<_>>()
    );
    assert_ne!(tick.rates, start());
}

#[tokio::test]
async fn rates_stay_finite_and_positive_over_a_hundred_thousand_ticks() {
    let source = simulator(2025);
    let mut last = None;
    for _ in 0..100_000 {
        last = Some(source.fetch().await.unwrap());
    }
    let last = last.unwrap();
    for (currency, rate) in &last.rates {
        let value = rate.get();
        assert!(value.is_finite() && value > 0.0, "{currency}: {value}");
        // sigma 0.0005 over 1e5 ticks is a log-sd of about 0.16: nowhere near 10x.
        let drift = (value / start()[currency].get()).ln().abs();
        assert!(drift < 1.5, "{currency} drifted by {drift}");
    }
}

#[tokio::test]
async fn as_of_times_strictly_increase_even_when_ticks_come_faster_than_the_clock() {
    let all = ticks(&simulator(3), 5_000).await;
    assert!(all.windows(2).all(|w| w[0].as_of < w[1].as_of));
    assert!(all
        .iter()
        .all(|t| t.as_of.timestamp_subsec_nanos() % 1_000_000 == 0));
}
