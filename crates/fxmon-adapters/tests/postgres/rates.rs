//! Batches: a replay is a no-op, a batch is all or nothing, a closed store is unavailable.

use chrono::{Duration, NaiveDate};
use fxmon_adapters::postgres::PgOptions;
use fxmon_app::ports::{RateStore, StoreError, StoredRate};
use fxmon_core::{Pair, Rate};

use crate::support::*;

/// `n` EUR/USD rows one minute apart.
pub fn minutes(n: usize) -> Vec<StoredRate> {
    let start = at("2026-10-30T00:00:00Z");
    (0..n)
        .map(|i| StoredRate {
            pair: Pair::parse("EUR/USD").unwrap(),
            rate: Rate::new(1.1 + i as f64 * 1e-5).unwrap(),
            timestamp: start + Duration::minutes(i as i64),
            source: "test".to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn inserting_the_same_rows_twice_stores_them_once() {
    let (_db, store) = fresh_store!();
    // More than one statement's worth, spanning two months.
    let rows = minutes(25_000);
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 25_000);
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 0);
    assert_eq!(store.insert_rates(&[]).await.unwrap(), 0);
    assert_eq!(store.count_rates().await.unwrap(), 25_000);
}

#[tokio::test]
async fn a_row_differing_only_in_source_or_time_is_a_new_row_and_repeats_count_once() {
    let (_db, store) = fresh_store!();
    let rows = [
        row("EUR/USD", 1.1, "2026-10-30T00:00:00Z", "ecb"),
        row("EUR/USD", 1.1, "2026-10-30T00:00:00Z", "other"),
        row("EUR/USD", 1.1, "2026-10-30T00:00:00.000001Z", "ecb"),
        row("EUR/USD", 1.2, "2026-10-30T00:00:00Z", "ecb"),
        // Nanoseconds are dropped: the same key as the first row.
        row("EUR/USD", 1.3, "2026-10-30T00:00:00.000000500Z", "ecb"),
    ];
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 3);
    assert_eq!(store.count_rates().await.unwrap(), 3);
}

#[tokio::test]
async fn a_batch_with_an_unstorable_time_stores_nothing() {
    let (_db, store) = fresh_store!();
    let mut rows = minutes(12_000);
    rows[11_000].timestamp = NaiveDate::from_ymd_opt(10000, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let error = store.insert_rates(&rows).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert!(error.to_string().contains("0000-9999"), "{error}");
    assert_eq!(store.count_rates().await.unwrap(), 0);
}

#[tokio::test]
async fn a_batch_the_database_refuses_after_the_first_statement_is_rolled_back() {
    let (db, store) = fresh_store!();
    store.insert_rates(&minutes(10)).await.unwrap();
    // A constraint stands in for any failure PostgreSQL raises after earlier statements of
    // the batch were written. The GBP row sorts last (latest time), past the first 10k.
    sqlx::query("ALTER TABLE fx_rates ADD CONSTRAINT refuse_gbp CHECK (quote <> 'GBP')")
        .execute(&mut db.raw().await)
        .await
        .unwrap();
    let mut rows = minutes(12_000);
    rows.push(row("EUR/GBP", 0.83, "2026-12-31T00:00:00Z", "test"));
    let error = store.insert_rates(&rows).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(store.count_rates().await.unwrap(), 10);
}

#[tokio::test]
async fn a_closed_store_is_unavailable_and_an_open_one_answers_ping() {
    let (_db, store) = fresh_store!();
    store.ping().await.unwrap();
    store.close().await;
    let error = store.ping().await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error}");
}

#[tokio::test]
async fn a_session_ended_by_an_administrator_is_unavailable_not_rejected() {
    let (db, store) = fresh_store!();
    // Hold the table so the store's query waits, then end its session from outside, as
    // `pg_terminate_backend` or a server shutdown would: SQLSTATE 57P01.
    let mut locker = db.raw().await;
    let mut lock = sqlx::Connection::begin(&mut locker).await.unwrap();
    sqlx::query("LOCK TABLE fx_rates IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let waiting = store.clone();
    let counting = tokio::spawn(async move { waiting.count_rates().await });
    let mut admin = db.raw().await;
    loop {
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        if !ended.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let error = counting.await.unwrap().unwrap_err();
    let StoreError::Unavailable(source) = &error else {
        panic!("a terminated session is transient: {error}")
    };
    let code = match source.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db_error)) => db_error.code().map(|c| c.into_owned()),
        _ => None,
    };
    assert_eq!(code.as_deref(), Some("57P01"), "{error}");
    lock.rollback().await.unwrap();
    // The pool replaces the connection: the store works again.
    store.ping().await.unwrap();
}

#[tokio::test]
async fn connecting_to_a_server_that_is_not_there_is_unavailable_within_the_timeout() {
    let options = PgOptions {
        connect_timeout: std::time::Duration::from_millis(500),
        ..PgOptions::default()
    };
    // Port 1 on loopback: nothing listens there.
    let started = std::time::Instant::now();
    let result =
        fxmon_adapters::postgres::PgStore::connect("postgres://postgres@127.0.0.1:1/x", options)
            .await;
    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let error =
        fxmon_adapters::postgres::PgStore::connect("postgres://host:port/db", PgOptions::default())
            .await
            .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
}
