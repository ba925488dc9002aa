//! The delivery worker through a real HTTP target that is down, then recovers: every event
//! arrives, each accepted exactly once; over a fake outbox, then over `SqliteStore`'s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_adapters::memory::MemoryBus;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_adapters::webhook::HttpWebhookSender;
use fxmon_app::delivery::{self, DeliveryPolicy, DeliveryWaker};
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{
    AlertStore, AlertTrigger, DeliveryOutbox, DeliveryState, DeliveryTarget, NewAlert,
    PendingDelivery, StoreError, TriggerFilter, TriggerWrite,
};
use fxmon_core::{AlertRule, Condition, RuleState};
use tokio_util::sync::CancellationToken;

use crate::receiver::{Answer, Receiver, SECRET};

/// An in-memory outbox: pending rows with their next attempt, and the ids delivered.
#[derive(Default)]
struct FakeOutbox {
    pending: Mutex<Vec<(PendingDelivery, DateTime<Utc>)>>,
    delivered: Mutex<Vec<i64>>,
    failed: Mutex<Vec<(i64, String)>>,
}

impl FakeOutbox {
    fn remove(&self, id: i64) {
        self.pending.lock().unwrap().retain(|(d, _)| d.id != id);
    }
}

#[async_trait]
impl DeliveryOutbox for FakeOutbox {
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let pending = self.pending.lock().unwrap();
        let due = pending.iter().filter(|(_, next)| *next <= now);
        Ok(due.take(limit as usize).map(|(d, _)| d.clone()).collect())
    }

    async fn delivered(&self, id: i64, _: u32, _: DateTime<Utc>) -> Result<(), StoreError> {
        self.remove(id);
        self.delivered.lock().unwrap().push(id);
        Ok(())
    }

    async fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        _: &str,
    ) -> Result<(), StoreError> {
        let mut pending = self.pending.lock().unwrap();
        let (delivery, next) = pending.iter_mut().find(|(d, _)| d.id == id).unwrap();
        delivery.attempts = attempts;
        *next = next_attempt_at;
        Ok(())
    }

    async fn give_up(&self, id: i64, _: u32, error: &str) -> Result<(), StoreError> {
        self.remove(id);
        self.failed.lock().unwrap().push((id, error.to_owned()));
        Ok(())
    }
}

fn delivery(id: i64, url: &str) -> PendingDelivery {
    let event_id = format!("{id}-1764151200000");
    PendingDelivery {
        id,
        payload: format!(r#"{{"event_id":"{event_id}","alert_id":{id},"pair":"EUR/USD"}}"#),
        event_id,
        alert_id: id,
        pair: "EUR/USD".parse().unwrap(),
        target: DeliveryTarget::Webhook {
            url: url.to_owned(),
            secret: SECRET.to_owned(),
        },
        attempts: 0,
        created_at: Utc::now(),
    }
}

#[tokio::test]
async fn a_target_down_for_two_seconds_then_receives_every_event_exactly_once() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    receiver.down_for(Duration::from_secs(2));
    let outbox = Arc::new(FakeOutbox::default());
    let now = Utc::now();
    *outbox.pending.lock().unwrap() = (1..=5)
        .map(|id| (delivery(id, &receiver.url), now))
        .collect();
    let policy = quick_policy();
    let sender = Arc::new(
        HttpWebhookSender::new(Duration::from_secs(2), TargetPolicy::AllowPrivate).unwrap(),
    );
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(delivery::serve(
        outbox.clone(),
        Arc::new(MemoryBus::new(16)),
        sender,
        policy,
        DeliveryWaker::new(),
        shutdown.clone(),
    ));

    let started = Instant::now();
    while outbox.delivered.lock().unwrap().len() < 5 && started.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    worker.await.unwrap().unwrap();

    assert!(outbox.failed.lock().unwrap().is_empty());
    let mut delivered = outbox.delivered.lock().unwrap().clone();
    delivered.sort_unstable();
    assert_eq!(delivered, [1, 2, 3, 4, 5]);
    let accepted = receiver.accepted();
    assert_eq!(accepted.len(), 5, "{accepted:?}");
    assert!(accepted.values().all(|&count| count == 1), "{accepted:?}");
    let received = receiver.received();
    assert!(received.iter().all(|r| r.signature_ok));
    // Each event was tried several times during the outage, with backoff, not in a loop.
    let attempts = received.len();
    assert!((5 * 4..=5 * 15).contains(&attempts), "{attempts} requests");
}

/// A fast policy for real-time tests.
fn quick_policy() -> DeliveryPolicy {
    DeliveryPolicy {
        poll_interval: Duration::from_millis(50),
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        give_up_after: Duration::from_secs(60),
        ..DeliveryPolicy::default()
    }
}

#[tokio::test]
async fn over_the_sqlite_outbox_a_webhook_failing_twice_shows_delivered_after_three_attempts() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    receiver.fail_first(2);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("fxmon.db"))
            .await
            .unwrap(),
    );
    let new = NewAlert {
        rule: AlertRule::new(0, "EUR/USD".parse().unwrap(), Condition::Above, 1.1),
        webhook_url: Some(receiver.url.clone()),
        webhook_secret: Some(SECRET.to_owned()),
        owner: Default::default(),
    };
    let alert_id = store.create_alert(&new).await.unwrap().rule.id;
    let trigger = AlertTrigger {
        event_id: format!("{alert_id}-1764151200000000"),
        alert_id,
        pair: "EUR/USD".parse().unwrap(),
        condition: Condition::Above,
        threshold: 1.1,
        rate: 1.1042,
        message: "EUR/USD is 1.1042, above 1.1".to_owned(),
        triggered_at: Utc::now(),
    };
    let event = format!(
        r#"{{"event_id":"{}","alert_id":{alert_id}}}"#,
        trigger.event_id
    );
    let state = RuleState {
        armed: false,
        last_fired_at: Some(trigger.triggered_at),
    };
    let write = TriggerWrite {
        trigger,
        event: event.clone(),
        previous: None,
        state,
        retire: false,
    };
    assert!(store.record_trigger(&write).await.unwrap());

    let sender = Arc::new(
        HttpWebhookSender::new(Duration::from_secs(2), TargetPolicy::AllowPrivate).unwrap(),
    );
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(delivery::serve(
        store.clone(),
        Arc::new(MemoryBus::new(16)),
        sender,
        quick_policy(),
        DeliveryWaker::new(),
        shutdown.clone(),
    ));
    let filter = TriggerFilter {
        limit: 1,
        offset: 0,
        alert_id: Some(alert_id),
        pair: None,
        owner: Default::default(),
    };
    let started = Instant::now();
    let deliveries = loop {
        let deliveries = store.triggers(&filter).await.unwrap().remove(0).deliveries;
        let done = deliveries.iter().all(|d| d.state != DeliveryState::Pending);
        if done || started.elapsed() > Duration::from_secs(10) {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    shutdown.cancel();
    worker.await.unwrap().unwrap();

    let shown: Vec<_> = deliveries
        .iter()
        .map(|d| (d.target, d.state, d.attempts))
        .collect();
    assert!(
        shown.contains(&("bus", DeliveryState::Delivered, 1)),
        "{deliveries:?}"
    );
    assert!(
        shown.contains(&("webhook", DeliveryState::Delivered, 3)),
        "{deliveries:?}"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received
        .iter()
        .all(|r| r.signature_ok && r.body == event.as_bytes()));
    assert_eq!(receiver.accepted()[&write.trigger.event_id], 1);
}
