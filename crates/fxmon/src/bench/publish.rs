//! Publishes snapshots with many acknowledgements outstanding (a Kafka publish waits for
//! the broker, ~ms, which would otherwise cap the rate), yet in order: each publish is
//! polled once as it is submitted, which hands the message to the bus client, and only
//! then is the next one built.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use fxmon_app::ports::{BusError, BusPublisher, Topic};
use fxmon_core::RateSnapshot;

use super::latency::PublishLog;

/// Most publishes awaiting their acknowledgement at once.
const MAX_IN_FLIGHT: usize = 1024;

type Publish = Pin<Box<dyn Future<Output = Result<(), BusError>> + Send>>;

/// Publishes snapshots to `fx-rates` and keeps score.
pub struct Publisher {
    bus: Arc<dyn BusPublisher>,
    log: Arc<PublishLog>,
    in_flight: VecDeque<(Instant, Publish)>,
    /// Time from submission to acknowledgement of each publish.
    pub acks: Vec<Duration>,
    pub submitted: u64,
    pub failed: u64,
    pub last_error: Option<BusError>,
}

impl Publisher {
    pub fn new(bus: Arc<dyn BusPublisher>, log: Arc<PublishLog>) -> Self {
        Self {
            bus,
            log,
            in_flight: VecDeque::new(),
            acks: Vec::new(),
            submitted: 0,
            failed: 0,
            last_error: None,
        }
    }

    /// Hands `snapshot` to the bus (keyed by its source, as the producer does); waits only
    /// while the most publishes are outstanding.
    pub async fn submit(&mut self, snapshot: &RateSnapshot) {
        let bus = self.bus.clone();
        let key = snapshot.source.clone();
        let payload = snapshot.to_json();
        let mut publish: Publish =
            Box::pin(async move { bus.publish(Topic::Rates, &key, payload).await });
        let started = Instant::now();
        self.log
            .record(snapshot.timestamp.timestamp_micros(), started);
        self.submitted += 1;
        let first = poll_fn(|cx| Poll::Ready(publish.as_mut().poll(cx))).await;
        match first {
            Poll::Ready(result) => self.settle(started, result),
            Poll::Pending => self.in_flight.push_back((started, publish)),
        }
        while self.in_flight.len() >= MAX_IN_FLIGHT {
            self.reap().await;
        }
    }

    /// Waits until at least one outstanding publish is settled; never returns when none is
    /// outstanding (so it can sit in a `select!`).
    pub async fn reap(&mut self) {
        if self.in_flight.is_empty() {
            return std::future::pending().await;
        }
        let in_flight = &mut self.in_flight;
        let settled = poll_fn(|cx| {
            let mut settled = Vec::new();
            in_flight.retain_mut(|(started, publish)| match publish.as_mut().poll(cx) {
                Poll::Ready(result) => {
                    settled.push((*started, result));
                    false
                }
                Poll::Pending => true,
            });
            if settled.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(settled)
            }
        })
        .await;
        for (started, result) in settled {
            self.settle(started, result);
        }
    }

    /// Waits for every outstanding publish.
    pub async fn flush(&mut self) {
        while !self.in_flight.is_empty() {
            self.reap().await;
        }
    }

    /// Publishes acknowledged so far.
    pub fn acknowledged(&self) -> u64 {
        self.acks.len() as u64
    }

    fn settle(&mut self, started: Instant, result: Result<(), BusError>) {
        match result {
            Ok(()) => self.acks.push(started.elapsed()),
            Err(error) => {
                self.failed += 1;
                self.last_error = Some(error);
            }
        }
    }
}
