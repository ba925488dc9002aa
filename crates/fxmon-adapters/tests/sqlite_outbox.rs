//! `SqliteStore` as a `DeliveryOutbox`: a recorded trigger's deliveries are due at once,
//! in trigger order, with the webhook's URL and secret; a failed attempt is due again when
//! asked; a delivered or failed row is final; all of it survives a restart and shows in
//! the triggers' delivery states.

// Shared with tests/sqlite_alerts; this binary uses only part of it.
#[allow(dead_code)]
#[path = "sqlite_alerts/support.rs"]
mod support;

use chrono::{TimeDelta, Utc};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{
    AlertStore, DeliveryOutbox, DeliveryState, DeliveryStatus, DeliveryTarget, PendingDelivery,
};
use fxmon_core::Condition;
use support::*;

/// The deliveries due now.
async fn due(store: &SqliteStore) -> Vec<PendingDelivery> {
    store.due_deliveries(Utc::now(), 100).await.unwrap()
}

/// The delivery states of the newest trigger.
async fn statuses(store: &SqliteStore) -> Vec<DeliveryStatus> {
    let newest = store.triggers(&newest(1, 0)).await.unwrap();
    newest[0].deliveries.clone()
}

#[tokio::test]
async fn a_recorded_trigger_is_due_at_once_to_the_bus_and_the_signed_webhook() {
    let (_dir, store) = fresh_store().await;
    let before = Utc::now() - TimeDelta::seconds(1);
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k3y").await;
    let write = fired(trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z"));
    store.record_trigger(&write).await.unwrap();

    let due = due(&store).await;
    let targets: Vec<&DeliveryTarget> = due.iter().map(|d| &d.target).collect();
    let webhook = DeliveryTarget::Webhook {
        url: "https://hooks.example.com/fx".to_owned(),
        secret: "k3y".to_owned(),
    };
    assert_eq!(targets, [&DeliveryTarget::Bus, &webhook]);
    for delivery in &due {
        assert_eq!(delivery.event_id, "e1");
        assert_eq!(delivery.alert_id, alert.rule.id);
        assert_eq!(delivery.pair, pair("USD/EUR"));
        assert_eq!(delivery.payload, write.event);
        assert_eq!(delivery.attempts, 0);
        assert!(delivery.created_at > before, "{delivery:?}");
    }
    let not_yet = store.due_deliveries(before, 100).await.unwrap();
    assert!(not_yet.is_empty(), "{not_yet:?}");
}

#[tokio::test]
async fn due_deliveries_come_in_trigger_order_up_to_the_limit() {
    let (_dir, store) = fresh_store().await;
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    for event in ["e1", "e2", "e3"] {
        record(&store, trigger(event, id, "2026-10-30T10:00:00Z")).await;
    }
    let first_two = store.due_deliveries(Utc::now(), 2).await.unwrap();
    let events: Vec<&str> = first_two.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(events, ["e1", "e2"]);
}

#[tokio::test]
async fn a_failed_attempt_is_due_again_at_the_time_asked_with_its_error_shown() {
    let (_dir, store) = fresh_store().await;
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    record(&store, trigger("e1", id, "2026-10-30T10:00:00Z")).await;
    let delivery = due(&store).await.remove(0);
    let later = Utc::now() + TimeDelta::seconds(30);
    store
        .retry_later(delivery.id, 1, later, "connection refused")
        .await
        .unwrap();

    assert!(due(&store).await.is_empty());
    let again = store.due_deliveries(later, 100).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (delivery.id, 1));
    let [status] = &statuses(&store).await[..] else {
        panic!()
    };
    assert_eq!((status.state, status.attempts), (DeliveryState::Pending, 1));
    assert_eq!(status.last_error.as_deref(), Some("connection refused"));
    let expected = later.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let shown = status.next_attempt_at.unwrap();
    assert_eq!(shown.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), expected);
}

#[tokio::test]
async fn a_delivered_row_is_no_longer_due_and_a_late_report_does_not_undo_it() {
    let (_dir, store) = fresh_store().await;
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    record(&store, trigger("e1", id, "2026-10-30T10:00:00Z")).await;
    let delivery = due(&store).await.remove(0);
    let sent_at = at("2026-10-30T10:00:01Z");
    store.delivered(delivery.id, 2, sent_at).await.unwrap();
    store.give_up(delivery.id, 3, "late").await.unwrap();
    store
        .retry_later(delivery.id, 3, Utc::now(), "late")
        .await
        .unwrap();

    assert!(due(&store).await.is_empty());
    let expected = DeliveryStatus {
        target: "bus",
        state: DeliveryState::Delivered,
        attempts: 2,
        last_error: None,
        next_attempt_at: None,
        delivered_at: Some(sent_at),
    };
    assert_eq!(statuses(&store).await, [expected]);
}

#[tokio::test]
async fn a_row_given_up_is_failed_with_its_reason_and_never_due_again() {
    let (_dir, store) = fresh_store().await;
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    record(&store, trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z")).await;
    let webhook = due(&store).await.remove(1);
    store.give_up(webhook.id, 8, "HTTP 500").await.unwrap();

    let far = Utc::now() + TimeDelta::days(365);
    let left = store.due_deliveries(far, 100).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].target, DeliveryTarget::Bus);
    let failed = &statuses(&store).await[1];
    assert_eq!(
        (failed.target, failed.state),
        ("webhook", DeliveryState::Failed)
    );
    assert_eq!(
        (failed.attempts, failed.last_error.as_deref()),
        (8, Some("HTTP 500"))
    );
    assert_eq!((failed.next_attempt_at, failed.delivered_at), (None, None));
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart() {
    let (dir, store) = fresh_store().await;
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    record(&store, trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z")).await;
    let before = due(&store).await;
    store.close().await;
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    assert_eq!(due(&store).await, before);
}

#[tokio::test]
async fn a_webhook_row_that_can_never_be_signed_is_failed_once_not_returned() {
    let (dir, store) = fresh_store().await;
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    record(&store, trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z")).await;
    sqlx::query("UPDATE user_alerts SET webhook_secret = NULL")
        .execute(&mut raw(&dir).await)
        .await
        .unwrap();

    let due_now = due(&store).await;
    assert_eq!(due_now.len(), 1);
    assert_eq!(due_now[0].target, DeliveryTarget::Bus);
    let failed = &statuses(&store).await[1];
    assert_eq!(failed.state, DeliveryState::Failed);
    assert!(
        failed
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("secret")),
        "{failed:?}"
    );
    assert_eq!(due(&store).await.len(), 1);
}

#[tokio::test]
async fn the_due_poll_walks_its_index_rather_than_the_whole_outbox() {
    let (dir, _store) = fresh_store().await;
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN
         SELECT d.id FROM alert_deliveries AS d LEFT JOIN user_alerts AS a ON a.id = d.alert_id
          WHERE d.state = 'pending' AND d.next_attempt_at <= '2026'
          ORDER BY d.next_attempt_at, d.id LIMIT 10",
    )
    .fetch_all(&mut raw(&dir).await)
    .await
    .unwrap();
    let details: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
    assert!(
        details[0].contains("USING INDEX alert_deliveries_state_next_attempt_at"),
        "{details:?}"
    );
    assert!(
        details.iter().all(|d| !d.contains("TEMP B-TREE")),
        "sorted by the index, not afterwards: {details:?}"
    );
}
