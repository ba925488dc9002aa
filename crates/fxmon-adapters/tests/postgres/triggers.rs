//! Recording a trigger (history row, outbox rows and the rule's state in one transaction,
//! once per event id) and reading triggers back newest first, filtered and paged.

use chrono::TimeDelta;
use fxmon_app::ports::{AlertStore, DeliveryState, StoreError, TriggerFilter};
use fxmon_core::{Condition, RuleState};

use crate::support::*;

#[tokio::test]
async fn a_trigger_is_recorded_with_its_deliveries_and_the_rules_new_state() {
    let (db, store) = fresh_store!();
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    let write = fired(trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z"));
    assert!(store.record_trigger(&write).await.unwrap());

    let recorded = store.triggers(&newest(10, 0)).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].trigger, write.trigger);
    let targets: Vec<&str> = recorded[0].deliveries.iter().map(|d| d.target).collect();
    assert_eq!(targets, ["bus", "webhook"]);
    let bus = &recorded[0].deliveries[0];
    assert_eq!((bus.state, bus.attempts), (DeliveryState::Pending, 0));
    assert!(bus.next_attempt_at.is_some());
    assert_eq!((&bus.last_error, bus.delivered_at), (&None, None));
    let saved = store.get_alert(alert.rule.id).await.unwrap().unwrap();
    assert_eq!(saved.state, write.state);
    assert!(saved.active, "a recurring alert stays active");
    assert_eq!(db.count("alert_deliveries").await, 2);
}

#[tokio::test]
async fn a_once_alert_that_fires_is_retired_in_the_same_write() {
    let (_db, store) = fresh_store!();
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
    let (db, store) = fresh_store!();
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

    assert_eq!(db.count("alert_history").await, 1);
    assert_eq!(db.count("alert_deliveries").await, 2);
    assert_eq!(store.get_alert(id).await.unwrap(), Some(after_first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_alerters_recording_the_same_event_at_once_record_it_once() {
    let (db, store) = fresh_store!();
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    let write = fired(trigger("race", id, "2026-10-30T10:00:00Z"));
    let mut alerters = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (url, write) = (db.url.clone(), write.clone());
        alerters.spawn(async move {
            let other = fxmon_adapters::postgres::PgStore::connect(&url, Default::default())
                .await
                .unwrap();
            other.record_trigger(&write).await.unwrap()
        });
    }
    let mut new = 0;
    while let Some(recorded) = alerters.join_next().await {
        new += u32::from(recorded.unwrap());
    }
    assert_eq!(new, 1);
    assert_eq!(db.count("alert_history").await, 1);
    assert_eq!(db.count("alert_deliveries").await, 1);
}

#[tokio::test]
async fn a_trigger_that_fails_part_way_leaves_nothing_behind() {
    let (db, store) = fresh_store!();
    let alert = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let mut write = fired(trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z"));
    // The history and outbox rows are written before the state, which cannot be stored.
    write.state.last_fired_at = Some(at("9999-12-31T00:00:00Z") + TimeDelta::days(400));
    let error = store.record_trigger(&write).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(db.count("alert_history").await, 0);
    assert_eq!(db.count("alert_deliveries").await, 0);
    assert_eq!(store.get_alert(alert.rule.id).await.unwrap(), Some(alert));
}

#[tokio::test]
async fn a_trigger_for_an_alert_that_does_not_exist_is_rejected() {
    let (db, store) = fresh_store!();
    let write = fired(trigger("e", 42, "2026-10-30T10:00:00Z"));
    let error = store.record_trigger(&write).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(db.count("alert_deliveries").await, 0);
}

#[tokio::test]
async fn triggers_are_newest_first_ties_by_newest_id_and_paged() {
    let (_db, store) = fresh_store!();
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
    assert!(all.iter().all(|t| t.deliveries.len() == 2), "{all:?}");
    let page = store.triggers(&newest(2, 1)).await.unwrap();
    assert_eq!(event_ids(&page), ["e1", "e2"]);
    assert!(page.iter().all(|t| t.deliveries.len() == 2), "{page:?}");
    assert!(store.triggers(&newest(2, 4)).await.unwrap().is_empty());
    assert!(store.triggers(&newest(0, 0)).await.unwrap().is_empty());
}

#[tokio::test]
async fn triggers_filter_by_alert_and_by_pair() {
    let (_db, store) = fresh_store!();
    let first = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let second = alert(&store, "EUR/GBP", Condition::Above, 0.9).await.rule;
    let third = alert(&store, "USD/EUR", Condition::Above, 0.95).await.rule;
    for event in [
        trigger_on("USD/EUR", "a", first.id, "2026-10-30T10:00:00Z"),
        trigger_on("EUR/GBP", "b", second.id, "2026-10-30T11:00:00Z"),
        trigger_on("USD/EUR", "c", third.id, "2026-10-30T12:00:00Z"),
        trigger_on("USD/EUR", "d", first.id, "2026-10-30T13:00:00Z"),
    ] {
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
    assert_eq!(event_ids(&by(Some(third.id), Some("USD/EUR")).await), ["c"]);
    assert!(by(Some(second.id), Some("USD/EUR")).await.is_empty());
    assert!(by(Some(999), None).await.is_empty());
}
