//! The delivery worker: drains the durable outbox of alert events to `fx-alerts` and to
//! webhooks, retrying failures with exponential backoff until each is delivered, refused or
//! too old. Delivery is at least once: a crash between a send and its record sends again,
//! so receivers drop duplicates by event id.

mod policy;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ports::{
    BusPublisher, DeliveryOutbox, DeliveryTarget, PendingDelivery, StoreError, Topic, WebhookError,
    WebhookSender,
};

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
}

/// Delivers due outbox entries until `shutdown`. Store errors are logged and retried after
/// the poll interval, never returned: the worker only ends on shutdown, leaving whatever
/// was in flight to be sent again on the next start.
///
/// Attempts, their records and the reads of the outbox overlap: a delivery that becomes
/// due (a wake) goes out while earlier attempts are still waiting for a slow target or
/// their outcomes are being written. A delivery is in flight from the read that returned
/// it until its outcome is recorded, and a read skips what is in flight, so nothing is
/// sent twice by one worker; an outcome whose record failed is read, and sent, again.
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
    let limit = policy.batch_size.max(1) as usize;
    let mut flight = Flight::default();
    let mut attempts = FuturesUnordered::new();
    let mut recording: Option<BoxFuture<'_, Recorded>> = None;
    // Whether to read the outbox at the next turn; whether the last read filled the room
    // it had (more may be due); until when not to read (the store failed: give it the
    // poll interval).
    let mut look = true;
    let mut more_due = false;
    let mut paused_until: Option<Instant> = None;
    loop {
        if look && paused_until.is_none() && flight.ids.len() < limit {
            look = false;
            let room = limit - flight.ids.len();
            match worker.due(&flight.ids, room).await {
                Ok(due) => {
                    more_due = due.len() == room;
                    flight.take(due);
                }
                Err(error) => {
                    tracing::warn!("Reading the delivery outbox failed; retrying: {error}");
                    paused_until = Some(Instant::now() + policy.poll_interval);
                }
            }
        }
        while attempts.len() < policy.concurrency.max(1) {
            let Some(delivery) = flight.queued.pop_front() else {
                break;
            };
            attempts.push(worker.deliver(delivery));
        }
        if recording.is_none() && !flight.finished.is_empty() {
            let steps = std::mem::take(&mut flight.finished);
            recording = Some(Box::pin(worker.record(steps)));
        }
        let wait_until = paused_until.unwrap_or_else(|| Instant::now() + policy.poll_interval);
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            Some(outcome) = attempts.next(), if !attempts.is_empty() => {
                flight.finished.push(outcome);
            }
            recorded = async { recording.as_mut().expect("guarded").await }, if recording.is_some() => {
                recording = None;
                for id in &recorded.ids {
                    flight.ids.remove(id);
                }
                match recorded.stored {
                    true => look |= more_due,
                    false => paused_until = Some(Instant::now() + policy.poll_interval),
                }
            }
            () = waker.0.notified() => look = true,
            () = tokio::time::sleep_until(wait_until) => {
                look = true;
                paused_until = None;
            }
        }
    }
}

/// The deliveries a worker has read and not yet recorded.
#[derive(Default)]
struct Flight {
    /// Every delivery in flight: queued, being attempted, or its outcome being recorded.
    ids: HashSet<i64>,
    /// Read, waiting for a free attempt slot.
    queued: VecDeque<PendingDelivery>,
    /// Attempted, outcome not yet being recorded.
    finished: Vec<(i64, Step)>,
}

impl Flight {
    fn take(&mut self, due: Vec<PendingDelivery>) {
        for delivery in due {
            self.ids.insert(delivery.id);
            self.queued.push_back(delivery);
        }
    }
}

/// What recording a set of outcomes came to.
struct Recorded {
    ids: Vec<i64>,
    /// False: nothing was recorded, and the deliveries stay due.
    stored: bool,
}

struct Worker {
    outbox: Arc<dyn DeliveryOutbox>,
    bus: Arc<dyn BusPublisher>,
    webhooks: Arc<dyn WebhookSender>,
    policy: DeliveryPolicy,
    clock: Clock,
}

impl Worker {
    /// Up to `room` due deliveries that are not in flight already.
    async fn due(
        &self,
        in_flight: &HashSet<i64>,
        room: usize,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        // The in-flight ones are still due in the store until recorded: read past them.
        let limit = u32::try_from(room + in_flight.len()).unwrap_or(u32::MAX);
        let due = self.outbox.due_deliveries(self.clock.now(), limit).await?;
        Ok(due
            .into_iter()
            .filter(|delivery| !in_flight.contains(&delivery.id))
            .take(room)
            .collect())
    }

    /// Records attempts' outcomes in one write, so a busy worker does not queue one commit
    /// per event.
    async fn record(&self, steps: Vec<(i64, Step)>) -> Recorded {
        let ids: Vec<i64> = steps.iter().map(|(id, _)| *id).collect();
        let stored = match self.outbox.record_steps(&steps).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(
                    delivery_ids = ?ids,
                    "Recording delivery attempts failed; they will be attempted again: {error}"
                );
                false
            }
        };
        Recorded { ids, stored }
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
