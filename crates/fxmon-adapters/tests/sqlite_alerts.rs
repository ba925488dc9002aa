//! `SqliteStore` as an `AlertStore`: alerts parse back, pause, resume, change and are softly
//! deleted; triggers are recorded once and read newest first, filtered and paged.

use chrono::DateTime;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{
    AlertFilter, AlertPatch, AlertRecord, AlertStore, AlertTrigger, StoreError, TriggerFilter,
};
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
    trigger_on("USD/EUR", event_id, alert_id, triggered_at)
}

fn trigger_on(pair_text: &str, event_id: &str, alert_id: i64, triggered_at: &str) -> AlertTrigger {
    AlertTrigger {
        event_id: event_id.to_owned(),
        alert_id,
        pair: pair(pair_text),
        condition: Condition::Below,
        threshold: 0.85,
        rate: 0.8412,
        message: "USD/EUR is 0.8412, below 0.85".to_owned(),
        triggered_at: DateTime::parse_from_rfc3339(triggered_at).unwrap().to_utc(),
    }
}

/// Creates an alert, for tests about something else.
async fn alert(
    store: &SqliteStore,
    pair_text: &str,
    condition: Condition,
    threshold: f64,
) -> AlertRecord {
    store
        .create_alert(pair(pair_text), condition, threshold)
        .await
        .unwrap()
}

fn newest(limit: u32, offset: u32) -> TriggerFilter {
    TriggerFilter {
        limit,
        offset,
        alert_id: None,
        pair: None,
    }
}

fn event_ids(records: &[fxmon_app::ports::TriggerRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.trigger.event_id.as_str())
        .collect()
}

fn pause() -> AlertPatch {
    AlertPatch {
        active: Some(false),
        threshold: None,
    }
}

#[tokio::test]
async fn a_created_alert_is_active_and_reads_back_the_same_by_id() {
    let (_dir, store) = fresh_store().await;
    let before = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    assert!(created.active);
    assert_eq!(created.deleted_at, None);
    assert!(created.created_at > before, "{:?}", created.created_at);
    assert_eq!(created.rule.pair, pair("USD/EUR"));
    assert_eq!(created.rule.condition, Condition::Below);
    assert_eq!(created.rule.threshold, 0.85);
    assert_eq!(
        store.get_alert(created.rule.id).await.unwrap(),
        Some(created)
    );
}

#[tokio::test]
async fn created_alerts_come_back_as_active_alerts() {
    let (_dir, store) = fresh_store().await;
    let first = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let second = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    assert_ne!(first.rule.id, second.rule.id);
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [first.rule, second.rule]
    );
}

#[tokio::test]
async fn alerts_paused_or_deleted_by_another_tool_are_not_active() {
    let (dir, store) = fresh_store().await;
    let paused = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let deleted = alert(&store, "USD/JPY", Condition::Above, 150.0).await.rule;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await.rule;
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
async fn an_alert_row_that_does_not_parse_is_skipped_by_listings_not_fatal() {
    let (dir, store) = fresh_store().await;
    let good = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    sqlx::query(
        "INSERT INTO user_alerts (pair, condition, threshold, created_at)
         VALUES ('USD/XYZ', 'below', 1.0, '2026-10-30T00:00:00.000000Z'),
                ('USD/EUR', 'sideways', 1.0, '2026-10-30T00:00:00.000000Z')",
    )
    .execute(&mut raw(&dir).await)
    .await
    .unwrap();
    assert_eq!(
        store.active_alerts().await.unwrap(),
        vec![good.rule.clone()]
    );
    let listed = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed, vec![good.clone()]);
    // Asked for by id, a bad row is an error rather than a misleading "not found".
    let error = store.get_alert(good.rule.id + 1).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
}

#[tokio::test]
async fn a_non_finite_threshold_is_rejected_on_create_and_on_update() {
    let (_dir, store) = fresh_store().await;
    let error = store
        .create_alert(pair("USD/EUR"), Condition::Below, f64::NAN)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert!(store.active_alerts().await.unwrap().is_empty());

    let kept = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    for threshold in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let patch = AlertPatch {
            active: None,
            threshold: Some(threshold),
        };
        let error = store.update_alert(kept.rule.id, &patch).await.unwrap_err();
        assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    }
    assert_eq!(store.get_alert(kept.rule.id).await.unwrap(), Some(kept));
}

#[tokio::test]
async fn pausing_hides_an_alert_from_active_alerts_and_resuming_restores_it() {
    let (_dir, store) = fresh_store().await;
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let id = created.rule.id;

    let paused = store.update_alert(id, &pause()).await.unwrap().unwrap();
    assert!(!paused.active);
    assert_eq!(paused.rule, created.rule);
    assert!(store.active_alerts().await.unwrap().is_empty());
    assert_eq!(store.get_alert(id).await.unwrap(), Some(paused.clone()));

    let resume = AlertPatch {
        active: Some(true),
        threshold: None,
    };
    let resumed = store.update_alert(id, &resume).await.unwrap().unwrap();
    assert_eq!(resumed, created);
    assert_eq!(store.active_alerts().await.unwrap(), [created.rule]);
}

#[tokio::test]
async fn a_threshold_change_is_kept_and_leaves_the_rest_alone() {
    let (_dir, store) = fresh_store().await;
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let id = created.rule.id;
    store.update_alert(id, &pause()).await.unwrap();
    let patch = AlertPatch {
        active: None,
        threshold: Some(0.8),
    };
    let changed = store.update_alert(id, &patch).await.unwrap().unwrap();
    assert_eq!(changed.rule.threshold, 0.8);
    assert!(!changed.active, "a threshold change does not resume");
    assert_eq!(
        (
            changed.rule.pair,
            changed.rule.condition,
            changed.created_at
        ),
        (
            created.rule.pair,
            created.rule.condition,
            created.created_at
        )
    );
    assert_eq!(store.get_alert(id).await.unwrap(), Some(changed));
}

#[tokio::test]
async fn an_alert_that_never_existed_is_not_found_by_any_operation() {
    let (_dir, store) = fresh_store().await;
    assert_eq!(store.get_alert(42).await.unwrap(), None);
    assert_eq!(store.update_alert(42, &pause()).await.unwrap(), None);
    assert!(!store.delete_alert(42).await.unwrap());
}

#[tokio::test]
async fn deleting_hides_the_alert_everywhere_and_keeps_its_history() {
    let (_dir, store) = fresh_store().await;
    let gone = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    let event = trigger("e1", gone.id, "2026-10-30T10:00:00Z");
    store.record_trigger(&event).await.unwrap();

    assert!(store.delete_alert(gone.id).await.unwrap());
    assert!(
        !store.delete_alert(gone.id).await.unwrap(),
        "already deleted"
    );
    assert_eq!(store.get_alert(gone.id).await.unwrap(), None);
    assert_eq!(store.update_alert(gone.id, &pause()).await.unwrap(), None);
    let resume = AlertPatch {
        active: Some(true),
        threshold: None,
    };
    assert_eq!(store.update_alert(gone.id, &resume).await.unwrap(), None);
    assert_eq!(
        store.list_alerts(&AlertFilter::default()).await.unwrap(),
        vec![kept.clone()]
    );
    assert_eq!(store.active_alerts().await.unwrap(), [kept.rule]);

    let history = store
        .triggers(&TriggerFilter {
            alert_id: Some(gone.id),
            ..newest(10, 0)
        })
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].trigger, event);
}

#[tokio::test]
async fn deleting_stamps_the_row_and_stops_it() {
    let (dir, store) = fresh_store().await;
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    store.delete_alert(id).await.unwrap();
    let (active, deleted_at): (bool, Option<String>) =
        sqlx::query_as("SELECT active, deleted_at FROM user_alerts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut raw(&dir).await)
            .await
            .unwrap();
    assert!(!active);
    assert!(deleted_at.is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn listing_filters_by_activity_and_pair_in_id_order() {
    let (_dir, store) = fresh_store().await;
    let usd_eur = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let eur_gbp = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    let paused = alert(&store, "USD/EUR", Condition::Above, 0.95).await;
    let paused = store
        .update_alert(paused.rule.id, &pause())
        .await
        .unwrap()
        .unwrap();
    let list = |active_only, pair_text: Option<&str>| {
        let filter = AlertFilter {
            active_only,
            pair: pair_text.map(pair),
        };
        let store = store.clone();
        async move { store.list_alerts(&filter).await.unwrap() }
    };
    assert_eq!(
        list(false, None).await,
        [usd_eur.clone(), eur_gbp.clone(), paused.clone()]
    );
    assert_eq!(list(true, None).await, [usd_eur.clone(), eur_gbp]);
    assert_eq!(
        list(false, Some("USD/EUR")).await,
        [usd_eur.clone(), paused]
    );
    assert_eq!(list(true, Some("USD/EUR")).await, [usd_eur]);
    assert_eq!(list(false, Some("EUR/USD")).await, []);
}

#[tokio::test]
async fn recording_the_same_trigger_twice_records_it_once() {
    let (_dir, store) = fresh_store().await;
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let event = trigger(
        "alert-1@2026-10-30T10:00:00Z",
        alert.id,
        "2026-10-30T10:00:00Z",
    );
    assert!(store.record_trigger(&event).await.unwrap());
    assert!(!store.record_trigger(&event).await.unwrap());
    let recorded = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].trigger, event);
}

#[tokio::test]
async fn triggers_are_newest_first_ties_by_newest_id_and_paged() {
    let (_dir, store) = fresh_store().await;
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let times = [
        "2026-10-30T10:00:00Z",
        "2026-10-30T12:00:00Z",
        "2026-10-30T11:00:00Z",
        "2026-10-30T12:00:00Z",
    ];
    for (i, at) in times.iter().enumerate() {
        store
            .record_trigger(&trigger(&format!("e{i}"), alert.id, at))
            .await
            .unwrap();
    }
    let all = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(event_ids(&all), ["e3", "e1", "e2", "e0"]);
    assert!(all.windows(2).all(|w| w[0].id != w[1].id));
    let page = store.triggers(&newest(2, 1)).await.unwrap();
    assert_eq!(event_ids(&page), ["e1", "e2"]);
    assert!(store.triggers(&newest(2, 4)).await.unwrap().is_empty());
    assert!(store.triggers(&newest(0, 0)).await.unwrap().is_empty());
}

#[tokio::test]
async fn triggers_filter_by_alert_and_by_pair() {
    let (_dir, store) = fresh_store().await;
    let first = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let second = alert(&store, "EUR/GBP", Condition::Above, 0.9).await.rule;
    let third = alert(&store, "USD/EUR", Condition::Above, 0.95).await.rule;
    let events = [
        trigger_on("USD/EUR", "a", first.id, "2026-10-30T10:00:00Z"),
        trigger_on("EUR/GBP", "b", second.id, "2026-10-30T11:00:00Z"),
        trigger_on("USD/EUR", "c", third.id, "2026-10-30T12:00:00Z"),
        trigger_on("USD/EUR", "d", first.id, "2026-10-30T13:00:00Z"),
    ];
    for event in &events {
        store.record_trigger(event).await.unwrap();
    }
    let by = |alert_id, pair_text: Option<&str>| {
        let filter = TriggerFilter {
            alert_id,
            pair: pair_text.map(pair),
            ..newest(10, 0)
        };
        let store = store.clone();
        async move { store.triggers(&filter).await.unwrap() }
    };
    assert_eq!(event_ids(&by(Some(first.id), None).await), ["d", "a"]);
    assert_eq!(event_ids(&by(None, Some("USD/EUR")).await), ["d", "c", "a"]);
    assert_eq!(event_ids(&by(None, Some("EUR/GBP")).await), ["b"]);
    assert_eq!(event_ids(&by(Some(third.id), Some("USD/EUR")).await), ["c"]);
    assert!(by(Some(second.id), Some("USD/EUR")).await.is_empty());
    assert!(by(Some(999), None).await.is_empty());
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
