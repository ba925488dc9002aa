//! `SqliteStore` as a `RateStore`: idempotent batches, transactions, reopening, history.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{HistoryQuery, Order, RateStore, StoreError, StoredRate};
use fxmon_core::{Pair, Rate};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tempfile::TempDir;

#[path = "shared/previous_release.rs"]
mod previous_release;

async fn fresh_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    (dir, store)
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn row(pair: &str, rate: f64, timestamp: &str, source: &str) -> StoredRate {
    StoredRate {
        pair: Pair::parse(pair).unwrap(),
        rate: Rate::new(rate).unwrap(),
        timestamp: at(timestamp),
        source: source.to_owned(),
    }
}

/// `n` EUR/USD rows one minute apart.
fn minutes(n: usize) -> Vec<StoredRate> {
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

fn query(pair: &str) -> HistoryQuery {
    HistoryQuery {
        pair: Pair::parse(pair).unwrap(),
        from: None,
        to: None,
        limit: 1000,
        offset: 0,
        order: Order::Asc,
    }
}

#[tokio::test]
async fn inserting_the_same_rows_twice_stores_them_once() {
    let (_dir, store) = fresh_store().await;
    let rows = minutes(1200);
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 1200);
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 0);
    assert_eq!(store.insert_rates(&[]).await.unwrap(), 0);
    assert_eq!(store.count_rates().await.unwrap(), 1200);
}

#[tokio::test]
async fn a_row_differing_only_in_source_or_time_is_a_new_row() {
    let (_dir, store) = fresh_store().await;
    let rows = [
        row("EUR/USD", 1.1, "2026-10-30T00:00:00Z", "ecb"),
        row("EUR/USD", 1.1, "2026-10-30T00:00:00Z", "other"),
        row("EUR/USD", 1.1, "2026-10-30T00:00:00.000001Z", "ecb"),
        row("EUR/USD", 1.2, "2026-10-30T00:00:00Z", "ecb"),
    ];
    assert_eq!(store.insert_rates(&rows).await.unwrap(), 3);
}

#[tokio::test]
async fn a_batch_with_an_unstorable_row_past_the_first_chunk_stores_nothing() {
    let (_dir, store) = fresh_store().await;
    let mut rows = minutes(1200);
    rows[1100].timestamp = NaiveDate::from_ymd_opt(10000, 1, 1)
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
async fn a_batch_the_database_refuses_midway_is_rolled_back() {
    let (dir, store) = fresh_store().await;
    store.insert_rates(&minutes(10)).await.unwrap();
    // A trigger stands in for any failure SQLite raises after earlier chunks were written.
    let mut raw = SqliteConnectOptions::new()
        .filename(dir.path().join("fxmon.db"))
        .connect()
        .await
        .unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_gbp BEFORE INSERT ON fx_rates WHEN NEW.quote = 'GBP'
         BEGIN SELECT RAISE(ABORT, 'test refuses GBP'); END",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();
    let mut rows = minutes(1200);
    rows.push(row("EUR/GBP", 0.83, "2026-10-30T00:00:00Z", "test"));
    let error = store.insert_rates(&rows).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(store.count_rates().await.unwrap(), 10);
    // The refused batch's snapshots were rolled back with its rows.
    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(newest.timestamp, minutes(10)[9].timestamp);
    assert_eq!(newest.source, "test");
}

#[tokio::test]
async fn reopening_the_file_keeps_the_rows_and_creates_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/fxmon.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store.insert_rates(&minutes(3)).await.unwrap();
    store.close().await;
    let reopened = SqliteStore::open(&path).await.unwrap();
    reopened.migrate().await.unwrap();
    assert_eq!(reopened.count_rates().await.unwrap(), 3);
    let points = reopened.history(&query("EUR/USD")).await.unwrap();
    assert_eq!(points[2].timestamp, at("2026-10-30T00:02:00Z"));
}

#[tokio::test]
async fn history_orders_limits_offsets_and_bounds_inclusively() {
    let (_dir, store) = fresh_store().await;
    store.insert_rates(&minutes(10)).await.unwrap();
    let minute = |m: i64| at("2026-10-30T00:00:00Z") + Duration::minutes(m);

    let all = store.history(&query("EUR/USD")).await.unwrap();
    assert_eq!(all.len(), 10);
    assert!(all.windows(2).all(|w| w[0].timestamp < w[1].timestamp));

    let latest = HistoryQuery::latest(Pair::parse("EUR/USD").unwrap(), 3);
    let newest: Vec<_> = store.history(&latest).await.unwrap();
    assert_eq!(
        newest.iter().map(|p| p.timestamp).collect::<Vec<_>>(),
        [minute(9), minute(8), minute(7)]
    );

    let page = HistoryQuery {
        offset: 2,
        limit: 2,
        ..query("EUR/USD")
    };
    let page = store.history(&page).await.unwrap();
    assert_eq!(
        page.iter().map(|p| p.timestamp).collect::<Vec<_>>(),
        [minute(2), minute(3)]
    );

    let bounded = HistoryQuery {
        from: Some(minute(4)),
        to: Some(minute(6)),
        ..query("EUR/USD")
    };
    let bounded = store.history(&bounded).await.unwrap();
    assert_eq!(
        bounded.iter().map(|p| p.timestamp).collect::<Vec<_>>(),
        [minute(4), minute(5), minute(6)]
    );
    assert_eq!(bounded[0].source, "test");
    assert!((bounded[0].rate - (1.1 + 4e-5)).abs() < 1e-12);
}

#[tokio::test]
async fn a_pair_stored_only_the_other_way_round_is_answered_inverted() {
    let (_dir, store) = fresh_store().await;
    store
        .insert_rates(&[row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api")])
        .await
        .unwrap();
    let points = store.history(&query("EUR/USD")).await.unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].rate, 1.25);
    assert_eq!(points[0].source, "api");
}

#[tokio::test]
async fn a_cross_is_answered_from_two_legs_of_the_same_time_and_source() {
    let (_dir, store) = fresh_store().await;
    store
        .insert_rates(&[
            row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api"),
            row("USD/GBP", 0.7, "2026-10-30T10:00:00Z", "api"),
            // Legs that do not share a time or a source make no cross.
            row("USD/EUR", 0.9, "2026-10-30T11:00:00Z", "api"),
            row("USD/GBP", 0.6, "2026-10-30T11:00:01Z", "api"),
            row("USD/GBP", 0.6, "2026-10-30T11:00:00Z", "other"),
        ])
        .await
        .unwrap();
    let eur_gbp = store.history(&query("EUR/GBP")).await.unwrap();
    assert_eq!(eur_gbp.len(), 1);
    assert!((eur_gbp[0].rate - 0.7 / 0.8).abs() < 1e-15);
    assert_eq!(eur_gbp[0].timestamp, at("2026-10-30T10:00:00Z"));
    let gbp_eur = store.history(&query("GBP/EUR")).await.unwrap();
    assert!((eur_gbp[0].rate * gbp_eur[0].rate - 1.0).abs() < 1e-15);
}

#[tokio::test]
async fn a_stored_row_wins_over_a_cross_for_the_same_time_and_source() {
    let (_dir, store) = fresh_store().await;
    store
        .insert_rates(&[
            row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api"),
            row("USD/GBP", 0.7, "2026-10-30T10:00:00Z", "api"),
            row("EUR/GBP", 0.875001, "2026-10-30T10:00:00Z", "api"),
        ])
        .await
        .unwrap();
    let points = store.history(&query("EUR/GBP")).await.unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].rate, 0.875001);
}

#[tokio::test]
async fn a_closed_store_is_unavailable_and_an_open_one_answers_ping() {
    let (_dir, store) = fresh_store().await;
    store.ping().await.unwrap();
    store.close().await;
    let error = store.ping().await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error}");
}

/// Migration 0009 over a database the previous release wrote (0001–0008): the pairs it
/// holds are listed in `fx_pairs`, so its crosses are answered as before, and so are those
/// of pairs stored afterwards.
#[tokio::test]
async fn crosses_over_a_database_of_the_previous_release_are_answered_after_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fxmon.db");
    let mut connection = previous_release::database_before(dir.path(), "0009").await;
    sqlx::query(
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source, created_at) VALUES
           ('USD/EUR', 'USD', 'EUR', 0.8, '2026-10-30T10:00:00.000000Z', 'api', '2026-10-30T10:00:00.000000Z'),
           ('USD/GBP', 'USD', 'GBP', 0.7, '2026-10-30T10:00:00.000000Z', 'api', '2026-10-30T10:00:00.000000Z')",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();

    let store = SqliteStore::open(&path).await.unwrap();
    let eur_gbp = store.history(&query("EUR/GBP")).await.unwrap();
    assert_eq!(eur_gbp.len(), 1);
    assert_eq!(eur_gbp[0].rate, 0.7 / 0.8);

    store
        .insert_rates(&[row("USD/JPY", 150.0, "2026-10-30T10:00:00Z", "api")])
        .await
        .unwrap();
    let eur_jpy = store.history(&query("EUR/JPY")).await.unwrap();
    assert_eq!(
        eur_jpy.len(),
        1,
        "a pair stored after migrating is a leg too"
    );
    assert_eq!(eur_jpy[0].rate, 150.0 / 0.8);
}

/// Migration 0010 over a database of the release before it: `fx_rates` is rebuilt keyed
/// by (pair, timestamp, source) without losing a row, `fx_snapshots` lists the stored
/// snapshots, and everything read from either answers as before.
#[tokio::test]
async fn rates_of_a_database_before_the_keyed_table_are_kept_and_answered_after_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fxmon.db");
    let mut connection = previous_release::database_before(dir.path(), "0010").await;
    sqlx::query(
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source, created_at) VALUES
           ('USD/EUR', 'USD', 'EUR', 0.8, '2026-10-30T10:00:00.000000Z', 'api', '2026-10-30T10:00:01.000000Z'),
           ('USD/GBP', 'USD', 'GBP', 0.7, '2026-10-30T10:00:00.000000Z', 'api', '2026-10-30T10:00:01.000000Z'),
           ('USD/EUR', 'USD', 'EUR', 0.9, '2026-10-30T11:00:00.000000Z', 'api', '2026-10-30T11:00:01.000000Z'),
           ('USD/EUR', 'USD', 'EUR', 0.85, '2026-10-30T09:00:00.000000Z', 'other', '2026-10-30T09:00:01.000000Z');
         INSERT INTO fx_pairs (pair, base, quote) VALUES
           ('USD/EUR', 'USD', 'EUR'), ('USD/GBP', 'USD', 'GBP')",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.count_rates().await.unwrap(), 4);
    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(newest.timestamp, at("2026-10-30T11:00:00Z"));
    assert_eq!(newest.rates.len(), 1);
    let ten = store
        .snapshot_at(Some(at("2026-10-30T10:30:00Z")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ten.timestamp, at("2026-10-30T10:00:00Z"));
    assert_eq!(ten.source, "api");
    assert_eq!(ten.rates.len(), 2);
    let nine = store
        .snapshot_at(Some(at("2026-10-30T09:30:00Z")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nine.source, "other");
    let currencies = store.currencies_between(None, None).await.unwrap();
    assert_eq!(currencies.len(), 3);
    let eur_gbp = store.history(&query("EUR/GBP")).await.unwrap();
    assert_eq!(eur_gbp.len(), 1);
    assert_eq!(eur_gbp[0].rate, 0.7 / 0.8);
    let mut usd_eur = query("USD/EUR");
    usd_eur.order = Order::Desc;
    let points = store.history(&usd_eur).await.unwrap();
    let rates: Vec<f64> = points.iter().map(|p| p.rate).collect();
    assert_eq!(rates, [0.9, 0.8, 0.85]);

    // The key still makes a replay a no-op, and new rows land beside the migrated ones.
    let replay = row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api");
    let later = row("USD/EUR", 0.95, "2026-10-30T12:00:00Z", "api");
    assert_eq!(store.insert_rates(&[replay, later]).await.unwrap(), 1);
    assert_eq!(store.count_rates().await.unwrap(), 5);
    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(newest.timestamp, at("2026-10-30T12:00:00Z"));
}

/// Stored rows are read only as far as the page reaches (`limit + offset` of them), yet a
/// page mixing stored rows with crosses is the same: each time takes its stored row when
/// there is one, and the cross otherwise.
#[tokio::test]
async fn pages_mixing_stored_rows_and_crosses_take_the_stored_row_for_each_time() {
    let (_dir, store) = fresh_store().await;
    let time = |hour: u32| format!("2026-10-30T{hour:02}:00:00Z");
    let stored = |hour: u32| 0.9 + f64::from(hour) / 100.0;
    let mut rows = Vec::new();
    for hour in 1..=6 {
        rows.push(row("USD/EUR", 0.8, &time(hour), "api"));
        rows.push(row("USD/GBP", 0.7, &time(hour), "api"));
        if hour <= 5 {
            rows.push(row(
                "EUR/GBP",
                0.9 + f64::from(hour) / 100.0,
                &time(hour),
                "api",
            ));
        }
    }
    store.insert_rates(&rows).await.unwrap();
    let page = |limit: u32, offset: u32| {
        let store = store.clone();
        async move {
            let mut query = query("EUR/GBP");
            query.order = Order::Desc;
            query.limit = limit;
            query.offset = offset;
            store
                .history(&query)
                .await
                .unwrap()
                .into_iter()
                .map(|point| (point.timestamp, point.rate))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        page(2, 0).await,
        [(at(&time(6)), 0.7 / 0.8), (at(&time(5)), stored(5))],
        "06:00 has only the cross"
    );
    assert_eq!(
        page(3, 1).await,
        [5, 4, 3].map(|hour| (at(&time(hour)), stored(hour)))
    );
    assert_eq!(
        page(3, 2).await,
        [4, 3, 2].map(|hour| (at(&time(hour)), stored(hour))),
        "the offset counts toward the stored rows read"
    );
    assert_eq!(page(10, 0).await.len(), 6);
}
