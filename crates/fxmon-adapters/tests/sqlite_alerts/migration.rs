//! Migration 0004 over a database the previous fxmon wrote: its alerts keep working, with
//! the defaults of the new fields.

use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::AlertStore;
use fxmon_core::{Condition, RuleState};

use crate::support::*;

/// A database migrated with 0001–0003 only, as the previous release left it.
async fn previous_release_database(dir: &tempfile::TempDir) {
    let mut connection = crate::previous_release::database_before(dir.path(), "0004").await;
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
