//! `LiveFeed`: the events `/stream` pushes (new snapshots, alert events), numbered, with a
//! bounded replay buffer so a client reconnecting with `Last-Event-ID` misses nothing that
//! is still buffered.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use fxmon_app::ports::{BusError, BusSubscriber};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// One event of the live stream.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Increasing; starts at the process's start time in microseconds, so ids stay
    /// increasing across restarts and an old `Last-Event-ID` never hides new events.
    pub id: u64,
    /// `rates` (an `fx-rates` snapshot) or `alert` (an `fx-alerts` event).
    pub kind: &'static str,
    /// The message as the bus carried it (JSON).
    pub data: Arc<str>,
}

struct Inner {
    buffer: VecDeque<FeedEvent>,
    next_id: u64,
}

/// Shared handle to the feed.
#[derive(Clone)]
pub struct LiveFeed {
    inner: Arc<Mutex<Inner>>,
    sender: broadcast::Sender<FeedEvent>,
    capacity: usize,
    closed: CancellationToken,
}

impl LiveFeed {
    /// A feed keeping the last `capacity` events for replay; ids start at `first_id`.
    pub fn new(capacity: usize, first_id: u64) -> Self {
        let capacity = capacity.max(1);
        let (sender, _) = broadcast::channel(capacity);
        Self {
            inner: Arc::new(Mutex::new(Inner {
                buffer: VecDeque::with_capacity(capacity),
                next_id: first_id,
            })),
            sender,
            capacity,
            closed: CancellationToken::new(),
        }
    }

    /// Ends every open stream (at shutdown, so the server's graceful stop does not wait
    /// on clients that never hang up).
    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Resolves once the feed is closed.
    pub async fn closed(&self) {
        self.closed.cancelled().await;
    }

    /// Appends an event and sends it to every subscriber; returns its id.
    pub fn push(&self, kind: &'static str, data: impl Into<Arc<str>>) -> u64 {
        let mut inner = self.inner.lock().expect("feed lock");
        let event = FeedEvent {
            id: inner.next_id,
            kind,
            data: data.into(),
        };
        inner.next_id += 1;
        if inner.buffer.len() == self.capacity {
            inner.buffer.pop_front();
        }
        inner.buffer.push_back(event.clone());
        let id = event.id;
        // Sent under the lock, so `subscribe` sees each event either in the replay or live.
        let _ = self.sender.send(event);
        id
    }

    /// The buffered events after `last_seen` (none for a new client, `None`), and a
    /// receiver of every later event, with no gap and no overlap between the two.
    pub fn subscribe(
        &self,
        last_seen: Option<u64>,
    ) -> (Vec<FeedEvent>, broadcast::Receiver<FeedEvent>) {
        let inner = self.inner.lock().expect("feed lock");
        let replay = inner
            .buffer
            .iter()
            .filter(|e| last_seen.is_some_and(|seen| e.id > seen))
            .cloned()
            .collect();
        (replay, self.sender.subscribe())
    }
}

/// Forwards `fx-rates` and `fx-alerts` messages from the bus into the feed until `shutdown`.
pub async fn pump(
    feed: LiveFeed,
    mut rates: Box<dyn BusSubscriber>,
    mut alerts: Box<dyn BusSubscriber>,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    loop {
        tokio::select! {
            next = rates.next() => match next? {
                Some(delivery) => {
                    feed.push("rates", String::from_utf8_lossy(&delivery.payload).into_owned());
                    rates.commit(&delivery).await?;
                }
                None => return Ok(()),
            },
            next = alerts.next() => match next? {
                Some(delivery) => {
                    feed.push("alert", String::from_utf8_lossy(&delivery.payload).into_owned());
                    alerts.commit(&delivery).await?;
                }
                None => return Ok(()),
            },
            () = shutdown.cancelled() => {
                feed.close();
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_gets_the_events_after_its_last_id_then_live_ones() {
        let feed = LiveFeed::new(3, 100);
        for i in 0..5 {
            feed.push("rates", format!("{i}"));
        }
        let (replay, mut live) = feed.subscribe(Some(102));
        let ids: Vec<u64> = replay.iter().map(|e| e.id).collect();
        assert_eq!(ids, [103, 104]);
        let (all, _) = feed.subscribe(Some(0));
        assert_eq!(
            all.iter().map(|e| e.id).collect::<Vec<_>>(),
            [102, 103, 104],
            "bounded to 3"
        );
        let (fresh, _) = feed.subscribe(None);
        assert!(fresh.is_empty(), "a new client starts live");
        assert_eq!(feed.push("alert", "x"), 105);
        assert_eq!(live.try_recv().unwrap().id, 105);
    }
}
