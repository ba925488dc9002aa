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
        [(1, true), (2, true), (3, true), (4, true), (5, true)]
    );
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let (db, store) = fresh_store!();
    store.migrate().await.unwrap();
    let again = db.store().await;
    again.migrate().await.unwrap();
    assert_eq!(db.count("_sqlx_migrations").await, 5);
}
