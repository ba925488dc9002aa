//! The processor's work on one 8-pair snapshot with the store taken out: eight volatility
//! updates, the cross-rate matrix of the tracked currencies (72 ordered pairs), and both
//! writes to the embedded cache. Method and results: docs/BENCHMARKS.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_app::ports::{HistoryQuery, RatePoint, RateStore, StoreError, StoredRate};
use fxmon_app::processor::{Processor, ProcessorDeps};
use fxmon_app::Tracked;
use fxmon_core::{Currency, Pair, Rate, RateSnapshot};

const PAIRS: &str = "USD/EUR,USD/GBP,USD/JPY,USD/CAD,USD/AUD,USD/CHF,USD/CNY,USD/INR";

/// A store that keeps nothing and answers at once: what is measured is the processor.
struct NoStore;

#[async_trait]
impl RateStore for NoStore {
    async fn insert_rates(&self, rows: &[StoredRate]) -> Result<u64, StoreError> {
        Ok(rows.len() as u64)
    }
    async fn history(&self, _: &HistoryQuery) -> Result<Vec<RatePoint>, StoreError> {
        Ok(Vec::new())
    }
    async fn snapshot_at(
        &self,
        _: Option<DateTime<Utc>>,
    ) -> Result<Option<RateSnapshot>, StoreError> {
        Ok(None)
    }
    async fn currencies_between(
        &self,
        _: Option<DateTime<Utc>>,
        _: Option<DateTime<Utc>>,
    ) -> Result<std::collections::BTreeSet<Currency>, StoreError> {
        Ok(Default::default())
    }
    async fn count_rates(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

fn snapshot() -> RateSnapshot {
    let values = [0.86, 0.75, 157.0, 1.39, 1.42, 0.82, 7.1, 88.5];
    let rates: BTreeMap<Pair, Rate> = PAIRS
        .split(',')
        .zip(values)
        .map(|(pair, v)| (Pair::parse(pair).unwrap(), Rate::new(v).unwrap()))
        .collect();
    let at = Utc.timestamp_opt(1_780_000_000, 0).unwrap();
    RateSnapshot::new(at, Currency::USD, rates, "bench").unwrap()
}

fn process_snapshot(c: &mut Criterion) {
    let deps = ProcessorDeps {
        store: Arc::new(NoStore),
        cache: Arc::new(MemoryRateCache::new()),
        dead_letters: Arc::new(MemoryBus::new(1)),
    };
    let mut processor = Processor::new(deps, Tracked::parse(PAIRS).unwrap());
    let mut snapshot = snapshot();
    // Fill the windows first: the steady state has 20 updates in each.
    for _ in 0..25 {
        snapshot.timestamp += TimeDelta::seconds(1);
        processor
            .process(&snapshot)
            .now_or_never()
            .unwrap()
            .unwrap();
    }
    c.bench_function("processor/one_8_pair_snapshot_without_store", |b| {
        b.iter(|| {
            // A newer as-of time each time, so every window takes the update.
            snapshot.timestamp += TimeDelta::seconds(1);
            let stored = processor.process(black_box(&snapshot)).now_or_never();
            black_box(stored.expect("nothing here waits").unwrap())
        })
    });
}

criterion_group!(benches, process_snapshot);
criterion_main!(benches);
