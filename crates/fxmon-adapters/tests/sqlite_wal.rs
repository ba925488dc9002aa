//! The embedded store checkpoints its WAL beside the writer (`sqlite/checkpoint.rs`): under
//! a steady stream of small write transactions, with a reader busy all along, the WAL is
//! copied into the database and started again from its beginning, so the file stays near
//! 16 MiB instead of growing to the writer's own, far higher, automatic threshold.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{HistoryQuery, RateStore, StoredRate};
use fxmon_core::{Pair, Rate};

/// The WAL header's checkpoint sequence number, which SQLite increments each time it
/// starts the WAL again; 0 before the file exists.
fn wal_restarts(wal: &Path) -> u32 {
    match std::fs::read(wal) {
        Ok(bytes) if bytes.len() >= 16 => u32::from_be_bytes(bytes[12..16].try_into().unwrap()),
        _ => 0,
    }
}

/// One snapshot's rows: 29 pairs at one time, as a one-snapshot batch stores them.
fn snapshot(second: i64) -> Vec<StoredRate> {
    let start: DateTime<Utc> = "2026-10-30T00:00:00Z".parse().unwrap();
    let quotes = [
        "USD", "JPY", "BGN", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK", "NOK",
        "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD",
        "PHP", "SGD", "THB",
    ];
    quotes
        .iter()
        .enumerate()
        .map(|(i, quote)| StoredRate {
            pair: Pair::parse(&format!("EUR/{quote}")).unwrap(),
            rate: Rate::new(1.0 + i as f64 + (second % 100) as f64 * 1e-4).unwrap(),
            timestamp: start + Duration::milliseconds(second),
            source: "wal-test".to_owned(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_started_again_under_steady_writes_while_reading() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    let wal = dir.path().join("fxmon.db-wal");
    let restarts_at_open = wal_restarts(&wal);

    let reading = Arc::new(AtomicBool::new(true));
    let reads = Arc::new(AtomicU64::new(0));
    let reader = tokio::spawn({
        let (store, reading, reads) = (store.clone(), reading.clone(), reads.clone());
        async move {
            let pair = Pair::parse("EUR/USD").unwrap();
            while reading.load(Ordering::Relaxed) {
                store
                    .history(&HistoryQuery::latest(pair, 50))
                    .await
                    .unwrap();
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    let mut largest_wal = 0;
    let mut written = 0;
    let mut second = 0;
    while wal_restarts(&wal) < restarts_at_open + 3 {
        assert!(
            second < 20_000,
            "the WAL was not started again 3 times in {second} transactions; it is {} bytes",
            std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0)
        );
        written += store.insert_rates(&snapshot(second)).await.unwrap();
        second += 1;
        largest_wal = largest_wal.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    reading.store(false, Ordering::Relaxed);
    reader.await.unwrap();

    assert!(
        reads.load(Ordering::Relaxed) > 10,
        "the reader read throughout"
    );
    // 4,096 pages of 4 KiB, plus what is written while the last passes run. (SQLite's own
    // checkpoint in the writer, every 10,000 pages as before, let it reach 41 MB.)
    assert!(
        largest_wal < 32 << 20,
        "the WAL grew to {largest_wal} bytes"
    );
    assert_eq!(written, second as u64 * 29, "every row was stored once");
    assert_eq!(store.count_rates().await.unwrap(), written);
}
