//! What the alerter reads and saves: active rules with their state, saved states (kept
//! across a restart), retired rules, and rows another tool broke or changed.

use chrono::{NaiveDate, NaiveTime};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{AlertFilter, AlertStore, StoreError};
use fxmon_core::{Condition, RuleState};

use crate::support::*;

#[tokio::test]
async fn created_alerts_come_back_as_active_alerts_with_their_initial_state() {
    let (_dir, store) = fresh_store().await;
    let first = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let second = alert(&store, "EUR/GBP", Condition::CrossesAbove, 0.9).await;
    assert_ne!(first.rule.id, second.rule.id);
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(first.rule, first.state), (second.rule, second.state)]
    );
}

#[tokio::test]
async fn saved_states_survive_a_restart_in_the_middle_of_a_cooldown() {
    let (dir, store) = fresh_store().await;
    let cooling = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let rearmed = alert(&store, "EUR/GBP", Condition::CrossesAbove, 0.9)
        .await
        .rule;
    let fired = RuleState {
        armed: false,
        last_fired_at: Some(at("2026-10-30T10:00:00.123456Z")),
    };
    let armed = RuleState {
        armed: true,
        last_fired_at: None,
    };
    store
        .save_states(&[(cooling.id, fired), (rearmed.id, armed)])
        .await
        .unwrap();
    store.close().await;

    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(cooling.clone(), fired), (rearmed, armed)]
    );
    assert_eq!(
        store.get_alert(cooling.id).await.unwrap().unwrap().state,
        fired
    );
    store.save_states(&[]).await.unwrap();
}

#[tokio::test]
async fn saving_states_is_all_or_nothing() {
    let (_dir, store) = fresh_store().await;
    let first = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let second = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    let good = RuleState {
        armed: false,
        last_fired_at: Some(at("2026-10-30T10:00:00Z")),
    };
    // A time the store cannot keep fails the batch after the first row was written.
    let year_10000 = NaiveDate::from_ymd_opt(10000, 1, 1)
        .unwrap()
        .and_time(NaiveTime::MIN)
        .and_utc();
    let bad = RuleState {
        armed: false,
        last_fired_at: Some(year_10000),
    };
    let error = store
        .save_states(&[(first.rule.id, good), (second.rule.id, bad)])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(first.rule, first.state), (second.rule, second.state)]
    );
}

#[tokio::test]
async fn retired_alerts_are_no_longer_active_but_still_listed() {
    let (_dir, store) = fresh_store().await;
    let expired = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    store.retire_alerts(&[expired.rule.id]).await.unwrap();
    store.retire_alerts(&[]).await.unwrap();
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(kept.rule.clone(), kept.state)]
    );
    let listed = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(!listed[0].active && listed[1].active);
}

#[tokio::test]
async fn alerts_paused_or_deleted_by_another_tool_are_not_active() {
    let (dir, store) = fresh_store().await;
    let paused = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let deleted = alert(&store, "USD/JPY", Condition::Above, 150.0).await.rule;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
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
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(kept.rule, kept.state)]
    );
}

#[tokio::test]
async fn an_alert_row_that_does_not_parse_or_is_not_a_valid_rule_is_skipped_not_fatal() {
    let (dir, store) = fresh_store().await;
    let good = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    sqlx::query(
        "INSERT INTO user_alerts (pair, condition, threshold, created_at, window_seconds,
                                  frequency, cooldown_seconds, last_fired_at)
         VALUES ('USD/XYZ', 'below', 1.0, '2026-10-30T00:00:00.000000Z', NULL, 'once', 1, NULL),
                ('USD/EUR', 'sideways', 1.0, '2026-10-30T00:00:00.000000Z', NULL, 'once', 1, NULL),
                ('USD/EUR', 'above', 1.0, '2026-10-30T00:00:00.000000Z', 60, 'once', 1, NULL),
                ('USD/EUR', 'above', 1.0, '2026-10-30T00:00:00.000000Z', NULL, 'twice', 1, NULL),
                ('USD/EUR', 'above', 1.0, '2026-10-30T00:00:00.000000Z', NULL, 'once', -1, NULL),
                ('USD/EUR', 'above', 1.0, '2026-10-30T00:00:00.000000Z', NULL, 'once', 1, 'soon')",
    )
    .execute(&mut raw(&dir).await)
    .await
    .unwrap();
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(good.rule.clone(), good.state)]
    );
    let listed = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed, vec![good.clone()]);
    // Asked for by id, a bad row is an error rather than a misleading "not found".
    for id in good.rule.id + 1..=good.rule.id + 6 {
        let error = store.get_alert(id).await.unwrap_err();
        assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    }
}

#[tokio::test]
async fn the_rules_version_moves_with_rule_changes_but_not_with_arm_state() {
    let (_dir, store) = fresh_store().await;
    let v0 = store.rules_version().await.unwrap();
    let record = create(&store, rule("USD/EUR", Condition::Below, 0.85)).await;
    let id = record.rule.id;
    let v1 = store.rules_version().await.unwrap();
    assert!(v1 > v0, "a new alert is a change");
    let fired = RuleState {
        armed: false,
        last_fired_at: Some(at("2026-10-30T00:00:00Z")),
    };
    store.save_states(&[(id, fired)]).await.unwrap();
    assert_eq!(
        store.rules_version().await.unwrap(),
        v1,
        "arm state is not a rule change"
    );
    store.update_alert(id, &pause()).await.unwrap();
    let v2 = store.rules_version().await.unwrap();
    assert!(v2 > v1, "pausing is");
    store.delete_alert(id).await.unwrap();
    assert!(store.rules_version().await.unwrap() > v2, "deleting is");
}

#[tokio::test]
async fn a_sources_watermark_only_moves_forward() {
    let (_dir, store) = fresh_store().await;
    assert_eq!(store.watermark("sim").await.unwrap(), None);
    store
        .set_watermark("sim", at("2026-10-30T00:00:02Z"))
        .await
        .unwrap();
    store
        .set_watermark("sim", at("2026-10-30T00:00:01Z"))
        .await
        .unwrap();
    assert_eq!(
        store.watermark("sim").await.unwrap(),
        Some(at("2026-10-30T00:00:02Z"))
    );
    assert_eq!(store.watermark("other").await.unwrap(), None);
}
