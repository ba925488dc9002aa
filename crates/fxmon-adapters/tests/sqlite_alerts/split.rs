//! The alerts file: an earlier release's alerts move there once, with everything that
//! refers to them, and the alert engine's writes no longer wait for a writer of the rates.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{
    AlertFilter, AlertStore, DeliveryOutbox, DeliveryTarget, EvaluationWrite, KeyStore, RateStore,
    RuleWrite, StoredRate,
};
use fxmon_core::{Condition, Rate};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::support::*;

/// What the release before the alerts file held: a key, an alert it owns with a trigger
/// and its pending delivery, a soft-deleted alert, an alert deleted outright (its id must
/// not come back), a watermark, and a rate.
const EARLIER_ROWS: &str = "
INSERT INTO api_keys (id, name, prefix, digest, created_at)
     VALUES (1, 'ops', 'fxk_3f9a1c', 'digest-1', '2026-10-30T00:00:00.000000Z');
INSERT INTO user_alerts (id, pair, condition, threshold, created_at, owner_key_id, armed,
                         last_fired_at)
     VALUES (1, 'USD/EUR', 'below', 0.85, '2026-10-30T00:00:00.000000Z', 1, 0,
             '2026-10-30T10:00:00.000000Z');
INSERT INTO user_alerts (id, pair, condition, threshold, created_at, deleted_at)
     VALUES (2, 'USD/GBP', 'above', 0.8, '2026-10-30T00:00:00.000000Z',
             '2026-10-30T01:00:00.000000Z');
INSERT INTO user_alerts (id, pair, condition, threshold, created_at)
     VALUES (3, 'USD/JPY', 'above', 160, '2026-10-30T00:00:00.000000Z');
DELETE FROM user_alerts WHERE id = 3;
INSERT INTO alert_history (event_id, alert_id, pair, condition, threshold, rate, message,
                           triggered_at, created_at)
     VALUES ('1-1793354400000000', 1, 'USD/EUR', 'below', 0.85, 0.84,
             'USD/EUR is 0.84, below 0.85', '2026-10-30T10:00:00.000000Z',
             '2026-10-30T10:00:00.000100Z');
INSERT INTO alert_deliveries (event_id, alert_id, pair, target, payload, next_attempt_at,
                              created_at)
     VALUES ('1-1793354400000000', 1, 'USD/EUR', 'bus', '{\"event_id\":\"1-1793354400000000\"}',
             '2026-10-30T10:00:00.000100Z', '2026-10-30T10:00:00.000100Z');
INSERT INTO alert_watermarks (source, as_of) VALUES ('ecb', '2026-10-30T10:00:00.000000Z');
INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source, created_at)
     VALUES ('USD/EUR', 'USD', 'EUR', 0.84, '2026-10-30T10:00:00.000000Z', 'ecb',
             '2026-10-30T10:00:00.000100Z');
INSERT INTO fx_pairs (pair, base, quote) VALUES ('USD/EUR', 'USD', 'EUR');
INSERT INTO fx_snapshots (timestamp, source) VALUES ('2026-10-30T10:00:00.000000Z', 'ecb');
";

const ALERT_TABLES: &str = "'api_keys', 'user_alerts', 'alert_history', 'alert_deliveries',
                            'alert_watermarks', 'alert_rules_version'";

/// `fxmon.db` in `dir` as the release before the alerts file left it, with its rows.
async fn earlier_release(dir: &Path) {
    let mut connection = crate::previous_release::database_before(dir, "0011").await;
    sqlx::raw_sql(EARLIER_ROWS)
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
}

async fn connect(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .unwrap()
}

/// How many of the alert engine's tables the rates file still has.
async fn alert_tables_in_rates_file(path: &Path) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM sqlite_master WHERE name IN ({ALERT_TABLES})"
    ))
    .fetch_one(&mut connect(path).await)
    .await
    .unwrap()
}

#[tokio::test]
async fn alerts_of_a_database_before_the_alerts_file_move_into_it_with_all_they_refer_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fxmon.db");
    earlier_release(dir.path()).await;

    let store = SqliteStore::open(&path).await.unwrap();
    assert!(SqliteStore::alerts_path(&path).exists());
    assert_eq!(alert_tables_in_rates_file(&path).await, 0);

    let kept = store.get_alert(1).await.unwrap().unwrap();
    assert_eq!(kept.rule.pair, pair("USD/EUR"));
    assert_eq!(kept.owner, Some(1));
    let active = store.active_alerts().await.unwrap();
    assert_eq!(active.len(), 1, "the soft-deleted alert stays inactive");
    assert!(!active[0].1.armed, "the rule's state moves with it");
    let history = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(event_ids(&history), ["1-1793354400000000"]);
    let due = store.due_deliveries(Utc::now(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event_id, "1-1793354400000000");
    assert_eq!(due[0].target, DeliveryTarget::Bus);
    assert_eq!(
        store.watermark("ecb").await.unwrap(),
        Some(at("2026-10-30T10:00:00Z"))
    );
    let keys = store.list_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].prefix, "fxk_3f9a1c");
    assert_eq!(store.count_rates().await.unwrap(), 1, "the rates stay");

    let next = alert(&store, "USD/CHF", Condition::Above, 0.9).await;
    assert_eq!(
        next.rule.id, 4,
        "no id of a deleted alert is handed out again"
    );
    store.close().await;

    let reopened = SqliteStore::open(&path).await.unwrap();
    // Deleted alerts are not listed: the one kept and the one created.
    let listed = reopened.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(count(&dir, "alert_history").await, 1);
}

#[tokio::test]
async fn a_copy_stopped_before_the_rates_file_dropped_its_alerts_is_not_made_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fxmon.db");
    earlier_release(dir.path()).await;
    SqliteStore::open(&path).await.unwrap().close().await;
    // The alerts file holds the copy; the rates file, as if the drop never ran, the same
    // rows again.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("fxmon.db{suffix}")));
    }
    std::fs::remove_dir_all(dir.path().join("migrations")).unwrap();
    earlier_release(dir.path()).await;

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(alert_tables_in_rates_file(&path).await, 0);
    let listed = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(count(&dir, "user_alerts").await, 2);
    assert_eq!(count(&dir, "alert_history").await, 1);
    assert_eq!(count(&dir, "alert_deliveries").await, 1);
    assert_eq!(count(&dir, "api_keys").await, 1);
}

#[tokio::test]
async fn the_alert_engine_writes_while_another_connection_holds_the_rates_file() {
    let (dir, store) = fresh_store().await;
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let mut rates_writer = connect(&dir.path().join("fxmon.db")).await;
    let held = rates_writer.begin_with("BEGIN IMMEDIATE").await.unwrap();

    // A rate write waits for the lock (up to the 5 s busy timeout)...
    let rate = StoredRate {
        pair: pair("USD/EUR"),
        rate: Rate::new(0.84).unwrap(),
        timestamp: at("2026-10-30T10:00:00Z"),
        source: "ecb".to_owned(),
    };
    let rates = [rate];
    let waiting = tokio::time::timeout(Duration::from_millis(300), store.insert_rates(&rates));
    assert!(waiting.await.is_err(), "the rates file is locked");
    // ...while the alert engine's writes go ahead.
    let mut evaluation = EvaluationWrite::default();
    let trigger = trigger(
        "1-1793354400000000",
        created.rule.id,
        "2026-10-30T10:00:00Z",
    );
    evaluation.writes.push(RuleWrite::Trigger(fired(trigger)));
    evaluation.mark("ecb", at("2026-10-30T10:00:00Z"));
    let recorded =
        tokio::time::timeout(Duration::from_secs(1), store.record_evaluation(&evaluation))
            .await
            .expect("an evaluation is recorded while the rates file is locked")
            .unwrap();
    assert_eq!(recorded, [true]);
    tokio::time::timeout(
        Duration::from_secs(1),
        alert(&store, "USD/GBP", Condition::Above, 0.8),
    )
    .await
    .expect("an alert is created while the rates file is locked");
    held.rollback().await.unwrap();
}
