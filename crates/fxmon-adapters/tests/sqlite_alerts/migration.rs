//! Migration 0004 over a database the previous fxmon wrote: its alerts keep working, with
//! the defaults of the new fields.

use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::AlertStore;
use fxmon_core::{Condition, RuleState};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

use crate::support::*;

/// A database migrated with 0001–0003 only, as the previous release left it.
async fn previous_release_database(dir: &tempfile::TempDir) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    for name in [
        "0001_init.sql",
        "0002_timestamp_index.sql",
        "0003_alert_history_filters.sql",
    ] {
        std::fs::copy(source.join(name), old.join(name)).unwrap();
    }
    let mut connection = SqliteConnectOptions::new()
        .filename(dir.path().join("fxmon.db"))
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&mut connection)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO user_alerts (pair, condition, threshold, active, created_at)
         VALUES ('USD/EUR', 'below', 0.85, 1, '2026-10-30T00:00:00.000000Z')",
    )
    .execute(&mut connection)
    .await
    .unwrap();
}

#[tokio::test]
async fn alerts_written_before_the_alert_engine_get_the_defaults_and_start_armed() {
    let dir = tempfile::tempdir().unwrap();
    previous_release_database(&dir).await;
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    let active = store.active_alerts().await.unwrap();
    let [(rule, state)] = &active[..] else {
        panic!("{active:?}")
    };
    let expected = fxmon_core::AlertRule {
        id: rule.id,
        ..crate::support::rule("USD/EUR", Condition::Below, 0.85)
    };
    assert_eq!(rule, &expected);
    assert_eq!(*state, RuleState::initial(rule));
    let record = store.get_alert(rule.id).await.unwrap().unwrap();
    assert_eq!(record.webhook_url, None);
    assert_eq!(count(&dir, "alert_deliveries").await, 0);
}
