//! Monthly partitions: created ahead by `connect`, on demand for old history, routed to by
//! time, dropped for retention; the default partition as a self-emptying safety net.

use chrono::{Datelike, Months, NaiveDate, Utc};
use fxmon_adapters::postgres::PgStore;
use fxmon_app::ports::RateStore;
use sqlx::PgConnection;

use crate::support::*;

fn month(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

fn name(month: NaiveDate) -> String {
    format!("fx_rates_p{:04}{:02}", month.year(), month.month())
}

/// The partitions of `fx_rates`, by name.
async fn partitions(raw: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'fx_rates'::regclass ORDER BY 1",
    )
    .fetch_all(raw)
    .await
    .unwrap()
}

/// Which partition holds each row, by its time, oldest first.
async fn placement(raw: &mut PgConnection) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS'),
                tableoid::regclass::text
           FROM fx_rates ORDER BY timestamp",
    )
    .fetch_all(raw)
    .await
    .unwrap()
}

#[tokio::test]
async fn connect_creates_this_month_and_the_next_three_and_a_default() {
    let (db, _store) = fresh_store!();
    let this = Utc::now().date_naive().with_day(1).unwrap();
    let mut expected: Vec<String> = (0..4)
        .map(|n| name(this.checked_add_months(Months::new(n)).unwrap()))
        .collect();
    expected.push("fx_rates_default".to_owned());
    expected.sort();
    assert_eq!(partitions(&mut db.raw().await).await, expected);
}

#[tokio::test]
async fn rows_of_1999_and_2026_land_in_their_month_partitions() {
    let (db, store) = fresh_store!();
    store
        .insert_rates(&[
            row("EUR/USD", 1.1789, "1999-01-04T00:00:00Z", "ecb"),
            row("EUR/USD", 1.1743, "1999-01-31T23:59:59.999999Z", "ecb"),
            row("EUR/USD", 1.1634, "1999-02-01T00:00:00Z", "ecb"),
            row("EUR/USD", 1.1172, "2026-10-30T00:00:00Z", "ecb"),
        ])
        .await
        .unwrap();
    let expected = [
        ("1999-01-04T00:00:00", "fx_rates_p199901"),
        ("1999-01-31T23:59:59", "fx_rates_p199901"),
        ("1999-02-01T00:00:00", "fx_rates_p199902"),
        ("2026-10-30T00:00:00", "fx_rates_p202610"),
    ]
    .map(|(t, p)| (t.to_owned(), p.to_owned()));
    assert_eq!(placement(&mut db.raw().await).await, expected);
    assert_eq!(db.count("fx_rates_default").await, 0);
}

#[tokio::test]
async fn ensuring_partitions_is_idempotent_and_other_processes_see_them() {
    let (db, store) = fresh_store!();
    store.ensure_partitions(month(2001, 11), 2).await.unwrap();
    let once = partitions(&mut db.raw().await).await;
    store.ensure_partitions(month(2001, 12), 1).await.unwrap();
    // Another process, whose cache knows nothing, asks for the same months.
    let other = db.store().await;
    other.ensure_partitions(month(2001, 11), 2).await.unwrap();
    assert_eq!(partitions(&mut db.raw().await).await, once);
    for m in ["fx_rates_p200111", "fx_rates_p200112", "fx_rates_p200201"] {
        assert!(once.iter().any(|p| p == m), "{m} in {once:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_importing_the_same_new_months_at_once_all_succeed() {
    let (db, store) = fresh_store!();
    let rows: Vec<_> = (1..=12)
        .map(|m| {
            let time = format!("1987-{m:02}-15T00:00:00Z");
            row("EUR/USD", 1.0 + f64::from(m) / 100.0, &time, "x")
        })
        .collect();
    let mut importers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        // Each with its own (empty) cache of months, as separate processes would have.
        let url = db.url.clone();
        let rows = rows.clone();
        importers.spawn(async move {
            let other = PgStore::connect(&url, Default::default()).await?;
            other.insert_rates(&rows).await
        });
    }
    let mut inserted = 0;
    while let Some(result) = importers.join_next().await {
        inserted += result.unwrap().unwrap();
    }
    assert_eq!(
        inserted, 12,
        "each row stored once, by whichever process came first"
    );
    assert_eq!(store.count_rates().await.unwrap(), 12);
    let names = partitions(&mut db.raw().await).await;
    let created = names.iter().filter(|n| n.starts_with("fx_rates_p1987"));
    assert_eq!(created.count(), 12);
}

#[tokio::test]
async fn retention_drops_whole_months_before_the_cutoff_and_keeps_the_rest() {
    let (db, store) = fresh_store!();
    store
        .insert_rates(&[
            row("EUR/USD", 1.17, "1999-01-04T00:00:00Z", "ecb"),
            row("EUR/USD", 1.16, "1999-02-01T00:00:00Z", "ecb"),
            row("EUR/USD", 1.15, "1999-03-31T00:00:00Z", "ecb"),
            row("EUR/USD", 1.11, "2026-10-30T00:00:00Z", "ecb"),
        ])
        .await
        .unwrap();
    // Any day of March: everything before March goes, March stays.
    let dropped = store
        .drop_partitions_before(NaiveDate::from_ymd_opt(1999, 3, 17).unwrap())
        .await
        .unwrap();
    assert_eq!(dropped, ["fx_rates_p199901", "fx_rates_p199902"]);
    assert_eq!(store.count_rates().await.unwrap(), 2);
    let names = partitions(&mut db.raw().await).await;
    assert!(!names.iter().any(|n| n == "fx_rates_p199901"), "{names:?}");
    assert!(names.iter().any(|n| n == "fx_rates_p199903"), "{names:?}");
    let again = store.drop_partitions_before(month(1999, 3)).await.unwrap();
    assert!(again.is_empty());
    // The dropped months' snapshots are gone with their rows.
    assert_eq!(db.count("fx_snapshots").await, 2);
    let february = store.snapshot_at(Some(at("1999-02-15T00:00:00Z"))).await;
    assert_eq!(february.unwrap(), None);
    let march = store.snapshot_at(Some(at("1999-04-01T00:00:00Z"))).await;
    assert_eq!(
        march.unwrap().unwrap().timestamp,
        at("1999-03-31T00:00:00Z")
    );

    // The month can be written again: the store forgot it had a partition.
    store
        .insert_rates(&[row("EUR/USD", 1.17, "1999-01-04T00:00:00Z", "ecb")])
        .await
        .unwrap();
    let placed = placement(&mut db.raw().await).await;
    assert_eq!(placed[0].1, "fx_rates_p199901");
}

#[tokio::test]
async fn rows_in_the_default_partition_move_to_their_month_when_it_is_created() {
    let (db, store) = fresh_store!();
    let mut raw = db.raw().await;
    // Another writer that skipped partition creation: its rows land in the default.
    sqlx::query(
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source)
         VALUES ('EUR/USD', 'EUR', 'USD', 1.2, '1995-06-15T00:00:00Z', 'old'),
                ('EUR/USD', 'EUR', 'USD', 1.3, '1995-07-01T00:00:00Z', 'old')",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    assert_eq!(db.count("fx_rates_default").await, 2);

    let inserted = store
        .insert_rates(&[
            row("EUR/USD", 1.2, "1995-06-15T00:00:00Z", "old"),
            row("EUR/USD", 1.25, "1995-06-16T00:00:00Z", "old"),
        ])
        .await
        .unwrap();
    assert_eq!(inserted, 1, "the moved row still counts as stored");
    let placed = placement(&mut raw).await;
    let expected = [
        ("1995-06-15T00:00:00", "fx_rates_p199506"),
        ("1995-06-16T00:00:00", "fx_rates_p199506"),
        ("1995-07-01T00:00:00", "fx_rates_default"),
    ]
    .map(|(t, p)| (t.to_owned(), p.to_owned()));
    assert_eq!(placed, expected);
}
