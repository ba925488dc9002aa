//! `MemoryBus`: the in-process bus of the embedded mode. Each (topic, group) is a bounded
//! queue; publishing waits for room, so a slow consumer slows the producer instead of
//! losing messages. Messages are the same bytes Kafka would carry, so consumers exercise
//! the same parser in both modes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fxmon_app::metrics;
use fxmon_app::ports::{BusError, BusPublisher, BusSubscriber, Delivery, Topic};
use tokio::sync::mpsc;

type Queue = Arc<tokio::sync::Mutex<mpsc::Receiver<Delivery>>>;

struct Group {
    sender: mpsc::Sender<Delivery>,
    receiver: Queue,
}

/// An in-process bus. Cloning shares it.
#[derive(Clone)]
pub struct MemoryBus {
    groups: Arc<Mutex<HashMap<(Topic, String), Group>>>,
    next_offset: Arc<AtomicI64>,
    capacity: usize,
}

impl MemoryBus {
    /// A bus whose queues hold up to `capacity` messages each.
    pub fn new(capacity: usize) -> Self {
        Self {
            groups: Arc::default(),
            next_offset: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// Joins `group` on `topic`. Members of one group share its messages; every group gets
    /// every message published after the group first subscribed.
    pub fn subscribe(&self, topic: Topic, group: &str) -> MemorySubscriber {
        let mut groups = self.groups.lock().expect("bus lock");
        let entry = groups.entry((topic, group.to_owned())).or_insert_with(|| {
            let (sender, receiver) = mpsc::channel(self.capacity);
            Group {
                sender,
                receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
            }
        });
        MemorySubscriber {
            receiver: entry.receiver.clone(),
            topic,
            group: group.to_owned(),
        }
    }
}

#[async_trait]
impl BusPublisher for MemoryBus {
    async fn publish(&self, topic: Topic, key: &str, payload: Vec<u8>) -> Result<(), BusError> {
        let senders: Vec<_> = {
            let groups = self.groups.lock().expect("bus lock");
            groups
                .iter()
                .filter(|((t, _), _)| *t == topic)
                .map(|((_, name), g)| (name.clone(), g.sender.clone()))
                .collect()
        };
        let offset = self.next_offset.fetch_add(1, Ordering::Relaxed);
        for (group, sender) in senders {
            let delivery = Delivery {
                key: key.to_owned(),
                payload: payload.clone(),
                partition: 0,
                offset,
            };
            sender.send(delivery).await.map_err(|_| BusError::Closed)?;
            let depth = sender.max_capacity() - sender.capacity();
            metrics::set_consumer_lag(topic.name(), &group, depth as u64);
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// A member of a consumer group on a [`MemoryBus`].
pub struct MemorySubscriber {
    receiver: Queue,
    topic: Topic,
    group: String,
}

impl MemorySubscriber {
    /// Reports the group's queue depth as its consumer lag.
    fn report_lag(&self, receiver: &mpsc::Receiver<Delivery>) {
        metrics::set_consumer_lag(self.topic.name(), &self.group, receiver.len() as u64);
    }
}

#[async_trait]
impl BusSubscriber for MemorySubscriber {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        let mut receiver = self.receiver.lock().await;
        let delivery = receiver.recv().await;
        self.report_lag(&receiver);
        Ok(delivery)
    }

    /// Another member of the group holding the queue counts as nothing waiting.
    async fn try_next(&mut self) -> Result<Option<Delivery>, BusError> {
        let Ok(mut receiver) = self.receiver.try_lock() else {
            return Ok(None);
        };
        let delivery = receiver.try_recv().ok();
        self.report_lag(&receiver);
        Ok(delivery)
    }

    /// In-process queues hold nothing durable: a delivered message is already gone.
    async fn commit(&mut self, _delivery: &Delivery) -> Result<(), BusError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_group_gets_every_message_and_members_of_a_group_share_them() {
        let bus = MemoryBus::new(16);
        let mut processor = bus.subscribe(Topic::Rates, "p");
        let mut alerter = bus.subscribe(Topic::Rates, "a");
        let mut alerter_two = bus.subscribe(Topic::Rates, "a");
        let mut alerts = bus.subscribe(Topic::Alerts, "p");
        for i in 0..4u8 {
            bus.publish(Topic::Rates, "k", vec![i]).await.unwrap();
        }
        for i in 0..4u8 {
            assert_eq!(processor.next().await.unwrap().unwrap().payload, vec![i]);
        }
        let mut shared = Vec::new();
        for _ in 0..2 {
            shared.push(alerter.next().await.unwrap().unwrap().payload[0]);
            shared.push(alerter_two.next().await.unwrap().unwrap().payload[0]);
        }
        assert_eq!(shared, [0, 1, 2, 3]);
        let nothing =
            tokio::time::timeout(std::time::Duration::from_millis(20), alerts.next()).await;
        assert!(nothing.is_err(), "the alerts topic got a rates message");
    }

    #[tokio::test]
    async fn a_full_queue_makes_the_publisher_wait_instead_of_dropping() {
        let bus = MemoryBus::new(1);
        let mut sub = bus.subscribe(Topic::Rates, "g");
        bus.publish(Topic::Rates, "k", vec![1]).await.unwrap();
        let blocked = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            bus.publish(Topic::Rates, "k", vec![2]),
        )
        .await;
        assert!(blocked.is_err(), "publish should wait for room");
        assert_eq!(sub.next().await.unwrap().unwrap().payload, vec![1]);
        bus.publish(Topic::Rates, "k", vec![3]).await.unwrap();
        assert_eq!(sub.next().await.unwrap().unwrap().payload, vec![3]);
    }
}
