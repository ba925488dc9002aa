//! The shipped ECB history through `PgStore`: a full import (timed), a replay, every kind
//! of history answer on real data, and snapshots over it.

use std::time::Instant;

use chrono::{DateTime, Utc};
use fxmon_adapters::ecb;
use fxmon_adapters::postgres::PgStore;
use fxmon_app::ports::{HistoryQuery, Order, RateStore, StoredRate};
use fxmon_core::{Currency, Pair};

use crate::support::*;

fn on(day: &str) -> DateTime<Utc> {
    at(&format!("{day}T00:00:00Z"))
}

/// The single point of `pair` on `day`.
async fn rate_on(store: &PgStore, pair_text: &str, day: &str) -> f64 {
    let query = HistoryQuery {
        pair: pair(pair_text),
        from: Some(on(day)),
        to: Some(on(day)),
        limit: 10,
        offset: 0,
        order: Order::Asc,
    };
    let points = store.history(&query).await.unwrap();
    assert_eq!(points.len(), 1, "{pair_text} on {day}: {points:?}");
    assert_eq!(points[0].source, "ecb");
    points[0].rate
}

/// Imports the shipped history, printing how long each step took.
async fn import(store: &PgStore) -> (Vec<ecb::EcbDay>, Vec<StoredRate>, u64) {
    let started = Instant::now();
    let days = ecb::parse(ecb::shipped_history()).unwrap();
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    let parsed = started.elapsed();
    let inserted = store.insert_rates(&rows).await.unwrap();
    println!(
        "Parsed {} days into {} rows in {parsed:?}; imported into PostgreSQL in {:?}.",
        days.len(),
        rows.len(),
        started.elapsed() - parsed
    );
    (days, rows, inserted)
}

#[tokio::test]
async fn importing_the_shipped_history_twice_adds_nothing_the_second_time() {
    let (db, store) = fresh_store!();
    // Timed apart from the rows: creating 334 monthly partitions is most of a first import.
    let started = Instant::now();
    let first = chrono::NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
    store.ensure_partitions(first, 333).await.unwrap();
    println!(
        "Created the partitions 1999-01..2026-10 in {:?}.",
        started.elapsed()
    );
    let (days, rows, inserted) = import(&store).await;
    assert_eq!(inserted, rows.len() as u64);
    assert!(inserted > 200_000, "{inserted}");

    let again = Instant::now();
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 0);
    println!("Replayed in {:?}.", again.elapsed());
    assert_eq!(store.count_rates().await.unwrap(), inserted);
    // One partition per month from January 1999, none of it in the default.
    assert_eq!(
        db.count("fx_rates_p199901").await,
        count_days(&days, "1999-01")
    );
    assert_eq!(db.count("fx_rates_default").await, 0);
}

/// Rows of the days of `month` (YYYY-MM).
fn count_days(days: &[ecb::EcbDay], month: &str) -> i64 {
    days.iter()
        .filter(|d| d.date.to_string().starts_with(month))
        .map(|d| d.rates.len() as i64)
        .sum()
}

#[tokio::test]
async fn ecb_history_answers_direct_inverse_and_crossed_pairs_bit_for_bit() {
    let (_db, store) = fresh_store!();
    let (days, _, _) = import(&store).await;

    let day = "2026-10-30";
    assert_eq!(rate_on(&store, "EUR/USD", day).await, 1.1172);
    assert_eq!(rate_on(&store, "USD/EUR", day).await, 1.0 / 1.1172);
    // Divided in Rust exactly as the SQLite store and the core do.
    assert_eq!(rate_on(&store, "USD/JPY", day).await, 175.68 / 1.1172);
    let jpy_usd = rate_on(&store, "JPY/USD", day).await;
    assert_eq!(jpy_usd, 1.1172 / 175.68);

    let latest = HistoryQuery::latest(pair("USD/JPY"), 5);
    let points = store.history(&latest).await.unwrap();
    assert_eq!(points.len(), 5);
    assert_eq!(points[0].timestamp, on(day));
    let all = HistoryQuery {
        limit: u32::MAX,
        order: Order::Asc,
        ..latest
    };
    let started = Instant::now();
    let all = store.history(&all).await.unwrap();
    println!(
        "A cross over the whole history took {:?}.",
        started.elapsed()
    );
    assert_eq!(all.len(), days.len());
    assert_eq!(all[0].timestamp, on("1999-01-04"));
}

#[tokio::test]
async fn over_the_full_ecb_history_any_day_is_found_quickly() {
    let (_db, store) = fresh_store!();
    let (days, rows, _) = import(&store).await;

    let started = Instant::now();
    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    let weekend = store.snapshot_at(Some(at("2026-10-25T12:00:00Z"))).await;
    let first = store.snapshot_at(Some(at("1999-01-04T23:59:59Z"))).await;
    let elapsed = started.elapsed();
    println!(
        "Three snapshot reads over {} rows took {elapsed:?}.",
        rows.len()
    );

    let usd = Pair::new(Currency::EUR, Currency::USD).unwrap();
    assert_eq!(newest.timestamp, on("2026-10-30"));
    assert_eq!(newest.rates[&usd].get(), 1.1172);
    assert_eq!(newest.rates.len(), days.last().unwrap().rates.len());
    // A Sunday answers with the Friday before it.
    assert_eq!(weekend.unwrap().unwrap().timestamp, on("2026-10-23"));
    let first = first.unwrap().unwrap();
    assert_eq!(first.timestamp, on("1999-01-04"));
    assert_eq!(first.rates.len(), days[0].rates.len());
    let currencies = store.currencies_between(None, None).await.unwrap();
    assert!(currencies.len() > 30, "{currencies:?}");
}
