//! Recording a trigger (history row, outbox rows and the rule's state in one transaction,
//! once per event id) and reading triggers back newest first, filtered and paged.

use chrono::{NaiveDate, NaiveTime};
use fxmon_app::ports::{
    AlertStore, DeliveryState, DeliveryStatus, StoreError, TriggerFilter, TriggerRecord,
};
use fxmon_core::{Condition, RuleState};

use crate::support::*;

#[tokio::test]
async fn a_trigger_is_recorded_with_its_bus_delivery_and_the_rules_new_state() {
    let (dir, store) = fresh_store().await;
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let write = fired(trigger("e1", alert.id, "2026-10-30T10:00:00Z"));
    assert!(store.record_trigger(&write).await.unwrap());

    let recorded = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].trigger, write.trigger);
    let [bus] = &recorded[0].deliveries[..] else {
        panic!("{:?}", recorded[0].deliveries)
    };
    assert_eq!(
        (bus.target, bus.state, bus.attempts),
        ("bus", DeliveryState::Pending, 0)
    );
    assert!(bus.next_attempt_at.is_some());
    assert_eq!((&bus.last_error, bus.delivered_at), (&None, None));
    let saved = store.get_alert(alert.id).await.unwrap().unwrap();
    assert_eq!(saved.state, write.state);
    assert!(saved.active, "a recurring alert stays active");
    assert_eq!(count(&dir, "alert_deliveries").await, 1);
}

#[tokio::test]
async fn an_alert_with_a_webhook_queues_a_second_delivery() {
    let (_dir, store) = fresh_store().await;
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    record(&store, trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z")).await;
    let recorded = store.triggers(&newest(10, 0)).await.unwrap();
    let targets: Vec<&str> = recorded[0].deliveries.iter().map(|d| d.target).collect();
    assert_eq!(targets, ["bus", "webhook"]);
}

#[tokio::test]
async fn a_once_alert_that_fires_is_retired_in_the_same_write() {
    let (_dir, store) = fresh_store().await;
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let mut write = fired(trigger("e1", alert.id, "2026-10-30T10:00:00Z"));
    write.retire = true;
    assert!(store.record_trigger(&write).await.unwrap());
    let saved = store.get_alert(alert.id).await.unwrap().unwrap();
    assert!(!saved.active);
    assert_eq!(saved.state, write.state);
    assert!(store.active_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_replayed_trigger_adds_no_history_nor_delivery_and_changes_no_state() {
    let (dir, store) = fresh_store().await;
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    let id = alert.rule.id;
    let first = fired(trigger("alert-1@10:00", id, "2026-10-30T10:00:00Z"));
    assert!(store.record_trigger(&first).await.unwrap());
    let after_first = store.get_alert(id).await.unwrap().unwrap();

    let mut replay = first.clone();
    replay.state = RuleState {
        armed: true,
        last_fired_at: Some(at("2026-10-30T11:00:00Z")),
    };
    replay.retire = true;
    replay.event = "a different body".to_owned();
    assert!(!store.record_trigger(&replay).await.unwrap());

    assert_eq!(count(&dir, "alert_history").await, 1);
    assert_eq!(count(&dir, "alert_deliveries").await, 2);
    assert_eq!(store.get_alert(id).await.unwrap(), Some(after_first));
}

#[tokio::test]
async fn a_trigger_that_fails_part_way_leaves_nothing_behind() {
    let (dir, store) = fresh_store().await;
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let mut write = fired(trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z"));
    // The history and outbox rows are written before the state, which cannot be stored.
    let year_10000 = NaiveDate::from_ymd_opt(10000, 1, 1)
        .unwrap()
        .and_time(NaiveTime::MIN)
        .and_utc();
    write.state.last_fired_at = Some(year_10000);
    let error = store.record_trigger(&write).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(count(&dir, "alert_history").await, 0);
    assert_eq!(count(&dir, "alert_deliveries").await, 0);
    assert_eq!(store.get_alert(alert.rule.id).await.unwrap(), Some(alert));
}

#[tokio::test]
async fn a_trigger_for_an_alert_that_does_not_exist_is_rejected() {
    let (dir, store) = fresh_store().await;
    let write = fired(trigger("e", 42, "2026-10-30T10:00:00Z"));
    let error = store.record_trigger(&write).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(count(&dir, "alert_deliveries").await, 0);
}

#[tokio::test]
async fn triggers_are_newest_first_ties_by_newest_id_and_paged() {
    let (_dir, store) = fresh_store().await;
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    let times = [
        "2026-10-30T10:00:00Z",
        "2026-10-30T12:00:00Z",
        "2026-10-30T11:00:00Z",
        "2026-10-30T12:00:00Z",
    ];
    for (i, at) in times.iter().enumerate() {
        record(&store, trigger(&format!("e{i}"), alert.rule.id, at)).await;
    }
    let all = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(event_ids(&all), ["e3", "e1", "e2", "e0"]);
    assert!(all.windows(2).all(|w| w[0].id != w[1].id));
    assert!(all.iter().all(|t| t.deliveries.len() == 2), "{all:?}");
    let page = store.triggers(&newest(2, 1)).await.unwrap();
    assert_eq!(event_ids(&page), ["e1", "e2"]);
    assert!(page.iter().all(|t| t.deliveries.len() == 2), "{page:?}");
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
    for event in events {
        record(&store, event).await;
    }
    let by = |alert_id, pair_text: Option<&str>| {
        let filter = TriggerFilter {
            alert_id,
            pair: pair_text.map(pair),
            owner: Default::default(),
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
async fn a_trigger_recorded_before_the_outbox_existed_has_no_deliveries() {
    let (dir, store) = fresh_store().await;
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    sqlx::query(
        "INSERT INTO alert_history (event_id, alert_id, pair, condition, threshold, rate,
                                    message, triggered_at, created_at)
         VALUES ('old', ?, 'USD/EUR', 'below', 0.85, 0.84, 'm',
                 '2026-10-30T09:00:00.000000Z', '2026-10-30T09:00:00.000000Z')",
    )
    .bind(alert.id)
    .execute(&mut raw(&dir).await)
    .await
    .unwrap();
    let recorded: Vec<TriggerRecord> = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(event_ids(&recorded), ["old"]);
    assert_eq!(recorded[0].deliveries, Vec::<DeliveryStatus>::new());
}
