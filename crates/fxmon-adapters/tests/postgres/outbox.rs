//! `PgStore` as a `DeliveryOutbox`: a recorded trigger's deliveries are due at once, in
//! trigger order, with the webhook's URL and secret; a returned delivery is claimed for the
//! lease (never handed to two workers), due again after it if its worker died; a failed
//! attempt is due again when asked; a delivered or failed row is final.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_app::ports::{
    AlertStore, DeliveryOutbox, DeliveryState, DeliveryStatus, DeliveryTarget, PendingDelivery,
};
use fxmon_core::Condition;

use crate::support::*;

/// The deliveries due now (and claims them).
async fn due(store: &PgStore) -> Vec<PendingDelivery> {
    store.due_deliveries(Utc::now(), 100).await.unwrap()
}

/// The delivery states of the newest trigger.
async fn statuses(store: &PgStore) -> Vec<DeliveryStatus> {
    let newest = store.triggers(&newest(1, 0)).await.unwrap();
    newest[0].deliveries.clone()
}

#[tokio::test]
async fn a_recorded_trigger_is_due_at_once_to_the_bus_and_the_signed_webhook() {
    let (_db, store) = fresh_store!();
    let before = Utc::now() - TimeDelta::seconds(1);
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k3y").await;
    let write = fired(trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z"));
    store.record_trigger(&write).await.unwrap();

    let not_yet = store.due_deliveries(before, 100).await.unwrap();
    assert!(not_yet.is_empty(), "{not_yet:?}");
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
}

#[tokio::test]
async fn due_deliveries_come_in_trigger_order_up_to_the_limit() {
    let (_db, store) = fresh_store!();
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
    let rest = due(&store).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].event_id, "e3");
}

#[tokio::test]
async fn a_claimed_delivery_is_not_due_again_until_its_lease_ends() {
    let Some(db) = Database::create().await else {
        return;
    };
    let options = PgOptions {
        delivery_lease: Duration::from_secs(60),
        ..PgOptions::default()
    };
    let store = PgStore::connect(&db.url, options).await.unwrap();
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    record(&store, trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z")).await;
    let now = Utc::now();
    let claimed = store.due_deliveries(now, 100).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(store.due_deliveries(now, 100).await.unwrap().is_empty());
    let [bus, _] = &statuses(&store).await[..] else {
        panic!()
    };
    assert_eq!(bus.next_attempt_at, Some(lease_end(now, 60)));

    // The worker died: at the lease's end the rows are due again, as they were.
    let after = now + TimeDelta::seconds(60);
    let again = store.due_deliveries(after, 100).await.unwrap();
    assert_eq!(again, claimed);
}

/// `now` plus `seconds`, to the microsecond PostgreSQL keeps.
fn lease_end(now: chrono::DateTime<Utc>, seconds: i64) -> chrono::DateTime<Utc> {
    let end = now + TimeDelta::seconds(seconds);
    end - TimeDelta::nanoseconds(i64::from(end.timestamp_subsec_nanos() % 1000))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_polling_at_once_never_get_the_same_delivery() {
    let (db, store) = fresh_store!();
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    for i in 0..200 {
        let time = "2026-10-30T10:00:00Z";
        record(&store, trigger(&format!("e{i:03}"), id, time)).await;
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = db.url.clone();
        workers.spawn(async move {
            let worker = PgStore::connect(&url, PgOptions::default()).await.unwrap();
            let mut taken = Vec::new();
            loop {
                let batch = worker.due_deliveries(Utc::now(), 7).await.unwrap();
                if batch.is_empty() {
                    return taken;
                }
                taken.extend(batch.into_iter().map(|d| d.id));
            }
        });
    }
    let mut all = Vec::new();
    let mut busy_workers = 0;
    while let Some(taken) = workers.join_next().await {
        let taken = taken.unwrap();
        busy_workers += usize::from(!taken.is_empty());
        all.extend(taken);
    }
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        (count, all.len()),
        (200, 200),
        "each delivery handed out once"
    );
    println!("{busy_workers} of 4 workers took deliveries.");
}

#[tokio::test]
async fn a_failed_attempt_is_due_again_at_the_time_asked_with_its_error_shown() {
    let (_db, store) = fresh_store!();
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
}

#[tokio::test]
async fn a_delivered_row_is_final_and_a_late_report_does_not_undo_it() {
    let (_db, store) = fresh_store!();
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

    let far = Utc::now() + TimeDelta::days(365);
    assert!(store.due_deliveries(far, 100).await.unwrap().is_empty());
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
    let (_db, store) = fresh_store!();
    let alert = alert_with_webhook(&store, "https://hooks.example.com/fx", "k").await;
    record(&store, trigger("e1", alert.rule.id, "2026-10-30T10:00:00Z")).await;
    let [bus, webhook] = &due(&store).await[..] else {
        panic!()
    };
    store.give_up(webhook.id, 8, "HTTP 500").await.unwrap();

    let far = Utc::now() + TimeDelta::days(365);
    let left = store.due_deliveries(far, 100).await.unwrap();
    assert_eq!(left.iter().map(|d| d.id).collect::<Vec<_>>(), [bus.id]);
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
async fn the_due_poll_walks_the_partial_index_of_pending_rows() {
    let (db, _store) = fresh_store!();
    let mut raw = db.raw().await;
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut raw)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM alert_deliveries
          WHERE state = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at, id LIMIT 10",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("alert_deliveries_pending_next_attempt_at"),
        "{plan}"
    );
    assert!(!plan.contains("Sort"), "sorted by the index: {plan}");
}
