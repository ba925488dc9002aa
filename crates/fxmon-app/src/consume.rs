//! The consumer loop shared by the processor and the alerter: parse, handle with retries,
//! dead-letter what cannot be parsed, commit only after the handler's effects are durable.

use std::sync::Arc;
use std::time::Duration;

use fxmon_core::RateSnapshot;
use tokio_util::sync::CancellationToken;

use crate::ports::{BusError, BusPublisher, BusSubscriber, Delivery, StoreError, Topic};
use crate::producer::sleep_or_shutdown;

/// Proof that a snapshot's effects are durable and its offset may be committed.
pub struct Handled;

/// The most messages taken off the bus as one batch: bounds a batch's memory and its
/// transaction (~7,000 rows of ECB-sized snapshots) while amortising each commit.
pub const MAX_BATCH: usize = 256;

/// Per-snapshot work of a consumer.
#[async_trait::async_trait]
pub trait SnapshotHandler: Send {
    /// Applies one snapshot; must be idempotent, since a crash redelivers.
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError>;

    /// Applies snapshots in bus order, with the same effects as handling each in turn.
    /// Idempotent like `handle`: after an error the whole batch is tried again, or, for
    /// [`StoreError::Rejected`], each snapshot alone, to find the one to dead-letter.
    async fn handle_batch(&mut self, snapshots: &[RateSnapshot]) -> Result<Handled, StoreError> {
        for snapshot in snapshots {
            self.handle(snapshot).await?;
        }
        Ok(Handled)
    }

    /// How long after a batch's first message more may be waited for, up to
    /// [`MAX_BATCH`]. Zero (the default) takes only what is already waiting.
    fn gather(&self) -> Duration {
        Duration::ZERO
    }
}

/// Runs the loop until `shutdown`. Each turn waits for one message, takes whatever else
/// is already waiting or arrives within the handler's [`SnapshotHandler::gather`] time
/// (up to [`MAX_BATCH`]), handles them as one batch and then commits the last offset of
/// each partition. A batch taken off the bus is finished (or left uncommitted for
/// redelivery) before the loop looks at `shutdown` again.
pub async fn consume(
    mut handler: impl SnapshotHandler,
    mut subscriber: Box<dyn BusSubscriber>,
    dead_letters: Arc<dyn BusPublisher>,
    retry: Duration,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    let dead_letters = dead_letters.as_ref();
    loop {
        let first = tokio::select! {
            next = subscriber.next() => match next? {
                Some(delivery) => delivery,
                None => return Ok(()),
            },
            () = shutdown.cancelled() => return Ok(()),
        };
        let gathered_until = tokio::time::Instant::now() + handler.gather();
        let mut deliveries = vec![first];
        while deliveries.len() < MAX_BATCH {
            if let Some(delivery) = subscriber.try_next().await? {
                deliveries.push(delivery);
                continue;
            }
            if tokio::time::Instant::now() >= gathered_until {
                break;
            }
            match tokio::time::timeout_at(gathered_until, subscriber.next()).await {
                Ok(next) => match next? {
                    Some(delivery) => deliveries.push(delivery),
                    // Closed: this batch is handled, and the next turn returns.
                    None => break,
                },
                Err(_elapsed) => break,
            }
        }
        let mut parsed = Vec::with_capacity(deliveries.len());
        let mut snapshots = Vec::with_capacity(deliveries.len());
        for delivery in &deliveries {
            match RateSnapshot::from_json(&delivery.payload) {
                Ok(snapshot) => {
                    parsed.push(delivery);
                    snapshots.push(snapshot);
                }
                Err(error) => dead_letter(dead_letters, delivery, &error.to_string()).await?,
            }
        }
        let handled = match snapshots.is_empty() {
            true => Outcome::Done,
            false => with_retries(&mut handler, Work::Batch(&snapshots), retry, &shutdown).await,
        };
        match handled {
            Outcome::Done => {}
            Outcome::Stopped => return Ok(()),
            // Some snapshot is unusable: find it by handling each alone.
            Outcome::Rejected(_) => {
                for (delivery, snapshot) in parsed.iter().zip(&snapshots) {
                    match with_retries(&mut handler, Work::One(snapshot), retry, &shutdown).await {
                        Outcome::Done => {}
                        Outcome::Stopped => return Ok(()),
                        Outcome::Rejected(reason) => {
                            dead_letter(dead_letters, delivery, &reason).await?;
                        }
                    }
                }
            }
        }
        for delivery in last_per_partition(&deliveries) {
            commit(subscriber.as_mut(), delivery).await;
        }
    }
}

/// How handling a batch (or one snapshot) ended.
enum Outcome {
    Done,
    /// Shut down while waiting to retry; nothing is committed, so it is redelivered.
    Stopped,
    /// The store refused it for good; the reason.
    Rejected(String),
}

/// What to hand the handler.
#[derive(Clone, Copy)]
enum Work<'a> {
    Batch(&'a [RateSnapshot]),
    One(&'a RateSnapshot),
}

/// Hands `work` to `handler` until it succeeds or is rejected, backing off (doubling from
/// `retry`) while the store is unavailable.
async fn with_retries(
    handler: &mut impl SnapshotHandler,
    work: Work<'_>,
    retry: Duration,
    shutdown: &CancellationToken,
) -> Outcome {
    let mut failures: u32 = 0;
    loop {
        let result = match work {
            Work::Batch(snapshots) => handler.handle_batch(snapshots).await,
            Work::One(snapshot) => handler.handle(snapshot).await,
        };
        match result {
            Ok(Handled) => return Outcome::Done,
            Err(StoreError::Rejected(error)) => return Outcome::Rejected(error.to_string()),
            Err(error @ StoreError::Unavailable(_)) => {
                failures = failures.saturating_add(1);
                let delay = retry.saturating_mul(1 << (failures - 1).min(6));
                tracing::warn!(
                    attempt = failures,
                    retry_in_s = delay.as_secs_f64(),
                    "Handling snapshots failed; will retry: {error}"
                );
                // Leaving without a commit is safe: the messages are redelivered.
                if sleep_or_shutdown(delay, shutdown).await {
                    return Outcome::Stopped;
                }
            }
        }
    }
}

/// The last delivery of each partition, which commits everything before it there.
fn last_per_partition(deliveries: &[Delivery]) -> Vec<&Delivery> {
    let mut last: Vec<&Delivery> = Vec::new();
    for delivery in deliveries {
        match last.iter_mut().find(|d| d.partition == delivery.partition) {
            Some(slot) if slot.offset < delivery.offset => *slot = delivery,
            Some(_) => {}
            None => last.push(delivery),
        }
    }
    last
}

/// Commits `delivery`. A failed commit is logged, not fatal: the work is already durable
/// and idempotent, so the worst outcome is a redelivery after a restart, which changes
/// nothing; stopping the consumer would turn a broker hiccup into an outage.
async fn commit(subscriber: &mut dyn BusSubscriber, delivery: &Delivery) {
    if let Err(error) = subscriber.commit(delivery).await {
        tracing::warn!(
            partition = delivery.partition,
            offset = delivery.offset,
            "Committing an offset failed; the message may be redelivered, harmlessly: {error}"
        );
    }
}

/// Sends an unusable message to the dead-letter topic with the reason.
async fn dead_letter(
    bus: &dyn BusPublisher,
    delivery: &Delivery,
    reason: &str,
) -> Result<(), BusError> {
    tracing::warn!(
        partition = delivery.partition,
        offset = delivery.offset,
        "Dead-lettering a message: {reason}"
    );
    let letter = serde_json::json!({
        "topic": Topic::Rates.name(),
        "partition": delivery.partition,
        "offset": delivery.offset,
        "key": delivery.key,
        "reason": reason,
        "payload": String::from_utf8_lossy(&delivery.payload),
    });
    bus.publish(
        Topic::DeadLetter,
        &delivery.key,
        letter.to_string().into_bytes(),
    )
    .await
}
