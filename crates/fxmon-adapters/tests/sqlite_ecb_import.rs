//! The shipped ECB history through `SqliteStore`: a full import, a replay, and every kind
//! of history answer on real data.

use std::time::Instant;

use chrono::{DateTime, Utc};
use fxmon_adapters::ecb;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{HistoryQuery, Order, RateStore, StoredRate};
use fxmon_core::Pair;

fn on(day: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{day}T00:00:00Z"))
        .unwrap()
        .to_utc()
}

/// The single point of `pair` on `day`.
async fn rate_on(store: &SqliteStore, pair: &str, day: &str) -> f64 {
    let query = HistoryQuery {
        pair: Pair::parse(pair).unwrap(),
        from: Some(on(day)),
        to: Some(on(day)),
        limit: 10,
        offset: 0,
        order: Order::Asc,
    };
    let points = store.history(&query).await.unwrap();
    assert_eq!(points.len(), 1, "{pair} on {day}: {points:?}");
    assert_eq!(points[0].source, "ecb");
    points[0].rate
}

fn close(actual: f64, expected: f64) -> bool {
    ((actual - expected) / expected).abs() < 1e-12
}

#[tokio::test]
async fn importing_the_shipped_history_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    let started = Instant::now();
    let days = ecb::parse(ecb::shipped_history()).unwrap();
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    let parsed = started.elapsed();
    let inserted = store.insert_rates(&rows).await.unwrap();
    println!(
        "Parsed {} days into {} rows in {parsed:?}; imported in {:?}.",
        days.len(),
        rows.len(),
        started.elapsed() - parsed
    );
    assert_eq!(inserted, rows.len() as u64);
    assert!(inserted > 200_000, "{inserted}");

    let again = Instant::now();
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 0);
    println!("Replayed in {:?}.", again.elapsed());
    assert_eq!(store.count_rates().await.unwrap(), inserted);
}

#[tokio::test]
async fn ecb_history_answers_direct_inverse_and_crossed_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    let days = ecb::parse(ecb::shipped_history()).unwrap();
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    store.insert_rates(&rows).await.unwrap();

    let day = "2026-10-30";
    assert_eq!(rate_on(&store, "EUR/USD", day).await, 1.1172);
    assert!(close(rate_on(&store, "USD/EUR", day).await, 1.0 / 1.1172));
    let usd_jpy = rate_on(&store, "USD/JPY", day).await;
    assert!(close(usd_jpy, 175.68 / 1.1172), "{usd_jpy}");
    let jpy_usd = rate_on(&store, "JPY/USD", day).await;
    assert!(close(jpy_usd, 1.0 / usd_jpy), "{jpy_usd}");

    let latest = HistoryQuery::latest(Pair::parse("USD/JPY").unwrap(), 5);
    let points = store.history(&latest).await.unwrap();
    assert_eq!(points.len(), 5);
    assert_eq!(points[0].timestamp, on(day));
    let all = HistoryQuery {
        limit: u32::MAX,
        order: Order::Asc,
        ..latest
    };
    let all = store.history(&all).await.unwrap();
    assert_eq!(all.len(), days.len());
    assert_eq!(all[0].timestamp, on("1999-01-04"));
}
