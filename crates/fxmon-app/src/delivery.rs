//! The delivery worker: drains the durable outbox of alert events to `fx-alerts` and to
//! webhooks, retrying failures with exponential backoff until each is delivered, refused or
//! too old. Delivery is at least once: a crash between a send and its record sends again,
//! so receivers drop duplicates by event id.

mod policy;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::stream::{self, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ports::{
    BusPublisher, DeliveryOutbox, DeliveryTarget, PendingDelivery, StoreError, Topic, WebhookError,
    WebhookSender,
};
use crate::producer::sleep_or_shutdown;

pub use policy::{DeliveryPolicy, Step};

/// Wakes the delivery worker early, e.g. right after the alerter recorded a trigger, so an
/// event goes out at once instead of at the next poll. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct DeliveryWaker(Arc<Notify>);

impl DeliveryWaker {
    /// A waker not yet shared with a worker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the worker to look at the outbox now. A wake while the worker is busy is kept
    /// (one permit), so it is never lost.
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Waits for a wake or `timeout`; returns true if `shutdown` came first.
    async fn wait(&self, timeout: Duration, shutdown: &CancellationToken) -> bool {
        tokio::select! {
            () = self.0.notified() => false,
            () = tokio::time::sleep(timeout) => false,
            () = shutdown.cancelled() => true,
        }
    }
}

/// Delivers due outbox entries until `shutdown`. Store errors are logged and retried after
/// the poll interval, never returned: the worker only ends on shutdown, leaving whatever
/// was in flight to be sent again on the next start.
pub async fn serve(
    outbox: Arc<dyn DeliveryOutbox>,
    bus: Arc<dyn BusPublisher>,
    webhooks: Arc<dyn WebhookSender>,
    policy: DeliveryPolicy,
    waker: DeliveryWaker,
    shutdown: CancellationToken,
) -> Result<(), StoreError> {
    let worker = Worker {
        outbox,
        bus,
        webhooks,
        policy,
        clock: Clock::start(),
    };
    loop {
        let pace = tokio::select! {
            pace = worker.round() => pace,
            () = shutdown.cancelled() => return Ok(()),
        };
        let stopped = match pace {
            Pace::Again => false,
            Pace::Idle => waker.wait(policy.poll_interval, &shutdown).await,
            Pace::StoreDown => sleep_or_shutdown(policy.poll_interval, &shutdown).await,
        };
        if stopped {
            return Ok(());
        }
    }
}

/// What the worker does after a round.
enum Pace {
    /// A full batch went well: more may be due already.
    Again,
    /// Nothing more is due: wait for a wake or the poll interval.
    Idle,
    /// The outbox could not be read or written: give the store the poll interval.
    StoreDown,
}

struct Worker {
    outbox: Arc<dyn DeliveryOutbox>,
    bus: Arc<dyn BusPublisher>,
    webhooks: Arc<dyn WebhookSender>,
    policy: DeliveryPolicy,
    clock: Clock,
}

impl Worker {
    /// Attempts one batch of due deliveries, `concurrency` at a time. Outcomes are recorded
    /// as they come, those that are ready together in one write, so a slow target delays
    /// no other's record, and a busy round does not queue one commit per event.
    async fn round(&self) -> Pace {
        let limit = self.policy.batch_size.max(1);
        let due = match self.outbox.due_deliveries(self.clock.now(), limit).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!("Reading the delivery outbox failed; retrying: {error}");
                return Pace::StoreDown;
            }
        };
        let full = due.len() >= limit as usize;
        let mut outcomes = stream::iter(due)
            .map(|delivery| self.deliver(delivery))
            .buffer_unordered(self.policy.concurrency.max(1))
            .ready_chunks(limit as usize);
        let mut unrecorded = 0;
        while let Some(steps) = outcomes.next().await {
            if let Err(error) = self.outbox.record_steps(&steps).await {
                let ids: Vec<i64> = steps.iter().map(|(id, _)| *id).collect();
                tracing::warn!(
                    delivery_ids = ?ids,
                    "Recording delivery attempts failed; they will be attempted again: {error}"
                );
                unrecorded += steps.len();
            }
        }
        match (full, unrecorded) {
            (_, 1..) => Pace::StoreDown,
            (true, 0) => Pace::Again,
            (false, 0) => Pace::Idle,
        }
    }

    /// One attempt, and what to record of it. Until it is recorded the delivery stays due,
    /// and is sent again.
    async fn deliver(&self, delivery: PendingDelivery) -> (i64, Step) {
        let result = tokio::time::timeout(self.policy.attempt_timeout, self.attempt(&delivery))
            .await
            .unwrap_or_else(|_| {
                let limit = self.policy.attempt_timeout.as_secs_f64();
                Err(WebhookError::transient(format!(
                    "no answer within {limit}s"
                )))
            });
        let step = self
            .policy
            .next_step(&delivery, &result, self.clock.now(), rand::random());
        log_step(&delivery, &step);
        crate::metrics::count_delivery(&delivery.target, &step);
        (delivery.id, step)
    }

    /// Sends the event to its target. A bus failure is always worth retrying.
    async fn attempt(&self, delivery: &PendingDelivery) -> Result<(), WebhookError> {
        match &delivery.target {
            DeliveryTarget::Bus => {
                let key = delivery.pair.to_string();
                let payload = delivery.payload.clone().into_bytes();
                self.bus
                    .publish(Topic::Alerts, &key, payload)
                    .await
                    .map_err(|e| WebhookError::transient(format!("publishing failed: {e}")))
            }
            DeliveryTarget::Webhook { url, secret } => {
                self.webhooks
                    .send(url, secret, &delivery.event_id, &delivery.payload)
                    .await
            }
        }
    }
}

/// Logs an attempt's outcome. Never the target itself: a webhook URL can hold a token.
fn log_step(delivery: &PendingDelivery, step: &Step) {
    let target = match delivery.target {
        DeliveryTarget::Bus => "bus",
        DeliveryTarget::Webhook { .. } => "webhook",
    };
    let (id, event_id, alert_id) = (delivery.id, &delivery.event_id, delivery.alert_id);
    match step {
        Step::Delivered { attempts, .. } => tracing::debug!(
            delivery_id = id, %event_id, alert_id, target, attempts, "Delivered an alert event."
        ),
        Step::Retry {
            attempts,
            at,
            reason,
        } => tracing::warn!(
            delivery_id = id, %event_id, alert_id, target, attempts, retry_at = %at,
            "Delivering an alert event failed; will retry: {reason}"
        ),
        Step::GiveUp { attempts, reason } => tracing::warn!(
            delivery_id = id, %event_id, alert_id, target, attempts,
            "Gave up delivering an alert event: {reason}"
        ),
    }
}

/// Wall-clock time that advances with tokio's clock, so paused-time tests drive the
/// schedule, and never lags the system clock, so a delivery recorded by another task is
/// due at once.
struct Clock {
    wall: DateTime<Utc>,
    start: Instant,
}

impl Clock {
    fn start() -> Self {
        Self {
            wall: Utc::now(),
            start: Instant::now(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.start.elapsed()).unwrap_or(TimeDelta::MAX);
        let ticked = self.wall.checked_add_signed(elapsed).unwrap_or(self.wall);
        ticked.max(Utc::now())
    }
}
