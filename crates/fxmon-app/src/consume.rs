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

/// Per-snapshot work of a consumer.
#[async_trait::async_trait]
pub trait SnapshotHandler: Send {
    /// Applies one snapshot; must be idempotent, since a crash redelivers.
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError>;
}

/// Runs the loop until `shutdown`. A snapshot taken off the bus is finished (or left
/// uncommitted for redelivery) before the loop looks at `shutdown` again.
pub async fn consume(
    mut handler: impl SnapshotHandler,
    mut subscriber: Box<dyn BusSubscriber>,
    dead_letters: Arc<dyn BusPublisher>,
    retry: Duration,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    loop {
        let delivery = tokio::select! {
            next = subscriber.next() => match next? {
                Some(delivery) => delivery,
                None => return Ok(()),
            },
            () = shutdown.cancelled() => return Ok(()),
        };
        let snapshot = match RateSnapshot::from_json(&delivery.payload) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                dead_letter(dead_letters.as_ref(), &delivery, &error.to_string()).await?;
                commit(subscriber.as_mut(), &delivery).await;
                continue;
            }
        };
        let mut attempt: u32 = 0;
        loop {
            match handler.handle(&snapshot).await {
                Ok(Handled) => break,
                Err(StoreError::Rejected(error)) => {
                    dead_letter(dead_letters.as_ref(), &delivery, &error.to_string()).await?;
                    break;
                }
                Err(error @ StoreError::Unavailable(_)) => {
                    attempt = attempt.saturating_add(1);
                    let delay = retry.saturating_mul(1 << (attempt - 1).min(6));
                    tracing::warn!(
                        attempt,
                        retry_in_s = delay.as_secs_f64(),
                        "Handling a snapshot failed; will retry: {error}"
                    );
                    // Leaving without a commit is safe: the message is redelivered.
                    if sleep_or_shutdown(delay, &shutdown).await {
                        return Ok(());
                    }
                }
            }
        }
        commit(subscriber.as_mut(), &delivery).await;
    }
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
