//! How fast snapshots go out: at a fixed rate (a tokio interval whose missed ticks are
//! caught up in a burst, so a stall does not lower the count and the latency of what
//! queued behind it is measured, not hidden), or as fast as the consumers finish them.

use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::feed::Feed;
use super::publish::Publisher;

/// Most snapshots published but not yet finished by every consumer, unthrottled.
const MAX_LEAD: u64 = 2048;

/// The publishing pace.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// Snapshots per second.
    Rate(f64),
    /// As fast as the consumers keep up, at most [`MAX_LEAD`] ahead.
    Unthrottled,
}

impl Pace {
    pub fn of(rate: Option<f64>) -> Self {
        rate.map_or(Self::Unthrottled, Self::Rate)
    }
}

/// Publishes from `feed` for `length` (or until `stop`). `finished` tells how many
/// snapshots every consumer has finished; only the unthrottled pace looks at it.
pub async fn drive(
    publisher: &mut Publisher,
    feed: &mut Feed,
    pace: Pace,
    length: Duration,
    finished: &dyn Fn() -> u64,
    stop: &CancellationToken,
) {
    let deadline = Instant::now() + length;
    match pace {
        Pace::Rate(rate) => at_rate(publisher, feed, rate, deadline, stop).await,
        Pace::Unthrottled => unthrottled(publisher, feed, deadline, finished, stop).await,
    }
}

async fn at_rate(
    publisher: &mut Publisher,
    feed: &mut Feed,
    rate: f64,
    deadline: Instant,
    stop: &CancellationToken,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(deadline) => return,
            _ = ticks.tick() => publisher.submit(&feed.next_snapshot()).await,
            () = publisher.reap() => {}
        }
    }
}

async fn unthrottled(
    publisher: &mut Publisher,
    feed: &mut Feed,
    deadline: Instant,
    finished: &dyn Fn() -> u64,
    stop: &CancellationToken,
) {
    while Instant::now() < deadline && !stop.is_cancelled() {
        if publisher.submitted.saturating_sub(finished()) > MAX_LEAD {
            tokio::select! {
                () = publisher.reap() => {}
                () = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
            continue;
        }
        publisher.submit(&feed.next_snapshot()).await;
        if publisher.submitted.is_multiple_of(64) {
            // Publishing to a queue with room never waits: let the consumers run.
            tokio::task::yield_now().await;
        }
    }
}
