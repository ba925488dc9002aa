//! Start-up: migrations compiled in, applied once however many processes start together.

use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_app::ports::RateStore;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_connecting_to_a_fresh_database_at_once_all_succeed() {
    let Some(db) = Database::create().await else {
        return;
    };
    let mut starts = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = db.url.clone();
        starts.spawn(async move { PgStore::connect(&url, PgOptions::default()).await });
    }
    let mut stores = Vec::new();
    while let Some(connected) = starts.join_next().await {
        stores.push(connected.unwrap().unwrap());
    }
    for store in &stores {
        assert_eq!(store.count_rates().await.unwrap(), 0);
    }
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut db.raw().await)
            .await
            .unwrap();
    assert_eq!(
        applied,
        [
            (1, true),
            (2, true),
            (3, true),
            (4, true),
            (5, true),
            (6, true)
        ]
    );
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let (db, store) = fresh_store!();
    store.migrate().await.unwrap();
    let again = db.store().await;
    again.migrate().await.unwrap();
    assert_eq!(db.count("_sqlx_migrations").await, 6);
}

/// Migration 0006 over a database of the release before it: `fx_snapshots` lists the
/// snapshots already stored, so the newest one and a range's currencies are answered as
/// before, without the index on time that it drops.
#[tokio::test]
async fn snapshots_of_a_database_before_fx_snapshots_are_answered_after_migrating() {
    let Some(db) = Database::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    for entry in std::fs::read_dir(&source).unwrap() {
        let name = entry.unwrap().file_name();
        if name.to_str().unwrap() < "0006" {
            std::fs::copy(source.join(&name), dir.path().join(&name)).unwrap();
        }
    }
    let mut raw = db.raw().await;
    sqlx::migrate::Migrator::new(dir.path())
        .await
        .unwrap()
        .run(&mut raw)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source) VALUES
           ('EUR/USD', 'EUR', 'USD', 1.10, '2026-10-29T00:00:00Z', 'ecb'),
           ('EUR/USD', 'EUR', 'USD', 1.11, '2026-10-30T00:00:00Z', 'ecb'),
           ('EUR/JPY', 'EUR', 'JPY', 175.0, '2026-10-30T00:00:00Z', 'ecb');
         INSERT INTO fx_pairs (pair, base, quote) VALUES
           ('EUR/USD', 'EUR', 'USD'), ('EUR/JPY', 'EUR', 'JPY')",
    )
    .execute(&mut raw)
    .await
    .unwrap();

    let store = db.store().await;
    assert_eq!(db.count("fx_snapshots").await, 2);
    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(newest.timestamp, at("2026-10-30T00:00:00Z"));
    assert_eq!(newest.rates.len(), 2);
    let before = store
        .snapshot_at(Some(at("2026-10-29T12:00:00Z")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.rates[&pair("EUR/USD")].get(), 1.10);
    let currencies = store.currencies_between(None, None).await.unwrap();
    let codes: Vec<String> = currencies.iter().map(ToString::to_string).collect();
    assert_eq!(codes, ["EUR", "JPY", "USD"]);
    let indexes: Vec<String> =
        sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE tablename = 'fx_rates'")
            .fetch_all(&mut raw)
            .await
            .unwrap();
    assert_eq!(indexes, ["fx_rates_pair_timestamp_source"]);
}
