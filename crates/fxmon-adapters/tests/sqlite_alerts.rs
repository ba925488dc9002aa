//! `SqliteStore` as an `AlertStore`: alerts parse back, triggers are recorded once.

use chrono::DateTime;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{AlertStore, AlertTrigger, StoreError};
use fxmon_core::{Condition, Pair};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;
use tempfile::TempDir;

async fn fresh_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    (dir, store)
}

/// A second connection to the file, to change rows the way another tool would.
async fn raw(dir: &TempDir) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(dir.path().join("fxmon.db"))
        .connect()
        .await
        .unwrap()
}

fn pair(text: &str) -> Pair {
    Pair::parse(text).unwrap()
}

fn trigger(event_id: &str, alert_id: i64, triggered_at: &str) -> AlertTrigger {
    AlertTrigger {
        event_id: event_id.to_owned(),
        alert_id,
        pair: pair("USD/EUR"),
        condition: Condition::Below,
        threshold: 0.85,
        rate: 0.8412,
        message: "USD/EUR is 0.8412, below 0.85".to_owned(),
        triggered_at: DateTime::parse_from_rfc3339(triggered_at).unwrap().to_utc(),
    }
}

#[tokio::test]
async fn created_alerts_come_back_as_active_alerts() {
    let (_dir, store) = fresh_store().await;
    let first = store
        .create_alert(pair("USD/EUR"), Condition::Below, 0.85)
        .await
        .unwrap();
    let second = store
        .create_alert(pair("EUR/GBP"), Condition::Above, 0.9)
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(store.active_alerts().await.unwrap(), [first, second]);
}

#[tokio::test]
async fn paused_or_deleted_alerts_are_not_active() {
    let (dir, store) = fresh_store().await;
    let paused = store
        .create_alert(pair("USD/EUR"), Condition::Below, 0.85)
        .await
        .unwrap();
    let deleted = store
        .create_alert(pair("USD/JPY"), Condition::Above, 150.0)
        .await
        .unwrap();
    let kept = store
        .create_alert(pair("EUR/GBP"), Condition::Above, 0.9)
        .await
        .unwrap();
    let mut raw = raw(&dir).await;
    sqlx::query("UPDATE user_alerts SET active = 0 WHERE id = ?")
        .bind(paused.id)
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("UPDATE user_alerts SET deleted_at = '2026-10-30T00:00:00.000000Z' WHERE id = ?")
        .bind(deleted.id)
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(store.active_alerts().await.unwrap(), [kept]);
}

#[tokio::test]
async fn an_alert_row_that_does_not_parse_is_skipped_not_fatal() {
    let (dir, store) = fresh_store().await;
    let good = store
        .create_alert(pair("USD/EUR"), Condition::Below, 0.85)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO user_alerts (pair, condition, threshold, created_at)
         VALUES ('USD/XYZ', 'below', 1.0, '2026-10-30T00:00:00.000000Z'),
                ('USD/EUR', 'sideways', 1.0, '2026-10-30T00:00:00.000000Z')",
    )
    .execute(&mut raw(&dir).await)
    .await
    .unwrap();
    assert_eq!(store.active_alerts().await.unwrap(), [good]);
}

#[tokio::test]
async fn a_non_finite_threshold_is_rejected() {
    let (_dir, store) = fresh_store().await;
    let error = store
        .create_alert(pair("USD/EUR"), Condition::Below, f64::NAN)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert!(store.active_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn recording_the_same_trigger_twice_records_it_once() {
    let (_dir, store) = fresh_store().await;
    let alert = store
        .create_alert(pair("USD/EUR"), Condition::Below, 0.85)
        .await
        .unwrap();
    let event = trigger(
        "alert-1@2026-10-30T10:00:00Z",
        alert.id,
        "2026-10-30T10:00:00Z",
    );
    assert!(store.record_trigger(&event).await.unwrap());
    assert!(!store.record_trigger(&event).await.unwrap());
    assert_eq!(store.recent_triggers(10).await.unwrap(), [event]);
}

#[tokio::test]
async fn recent_triggers_are_newest_first_and_limited() {
    let (_dir, store) = fresh_store().await;
    let alert = store
        .create_alert(pair("USD/EUR"), Condition::Below, 0.85)
        .await
        .unwrap();
    let times = [
        "2026-10-30T10:00:00Z",
        "2026-10-30T12:00:00Z",
        "2026-10-30T11:00:00Z",
    ];
    for (i, at) in times.iter().enumerate() {
        store
            .record_trigger(&trigger(&format!("e{i}"), alert.id, at))
            .await
            .unwrap();
    }
    let recent = store.recent_triggers(2).await.unwrap();
    let ids: Vec<&str> = recent.iter().map(|t| t.event_id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2"]);
}

#[tokio::test]
async fn a_trigger_for_an_alert_that_does_not_exist_is_rejected() {
    let (_dir, store) = fresh_store().await;
    let error = store
        .record_trigger(&trigger("e", 42, "2026-10-30T10:00:00Z"))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
}
