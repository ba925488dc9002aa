//! `KafkaSubscriber`: a consumer-group member that commits offsets by hand, only when the
//! caller says a message's effects are durable.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::FutureExt;
use fxmon_app::ports::{BusError, BusSubscriber, Delivery, Topic};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::context::TracingContext;
use super::error::{bus_error, lost_ownership, KafkaSetupError};
use super::settings::KafkaSettings;

/// How often librdkafka reports statistics, and with them the consumer lag.
const LAG_INTERVAL_MS: &str = "5000";

/// Receives one topic's messages as a member of a consumer group.
pub struct KafkaSubscriber {
    consumer: Arc<StreamConsumer<TracingContext>>,
    topic: String,
}

impl KafkaSubscriber {
    /// Joins `group` on `topic`. A group without committed offsets starts at the earliest
    /// retained message, so nothing published before the first start is skipped.
    pub fn new(
        settings: &KafkaSettings,
        topic: Topic,
        group: &str,
    ) -> Result<Self, KafkaSetupError> {
        Self::join(settings, topic, group, "earliest")
    }

    /// Joins `group` on `topic`, starting at the newest message when the group has no
    /// committed offset: for live views (the API's feed), which must not replay days of
    /// retained history when a new process starts.
    pub fn from_latest(
        settings: &KafkaSettings,
        topic: Topic,
        group: &str,
    ) -> Result<Self, KafkaSetupError> {
        Self::join(settings, topic, group, "latest")
    }

    fn join(
        settings: &KafkaSettings,
        topic: Topic,
        group: &str,
        start: &str,
    ) -> Result<Self, KafkaSetupError> {
        // Cooperative rebalancing moves only the partitions that must move when a member
        // joins or leaves; the others keep flowing.
        let config = settings.client_config(
            &[("partition.assignment.strategy", "cooperative-sticky")],
            &[
                ("group.id", &settings.group_id(group)),
                ("auto.offset.reset", start),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                // librdkafka's statistics carry each partition's lag (TracingContext::stats).
                ("statistics.interval.ms", LAG_INTERVAL_MS),
            ],
        );
        let consumer: StreamConsumer<TracingContext> = config
            .create_with_context(TracingContext::consumer(group))
            .map_err(KafkaSetupError::config)?;
        let topic = settings.topic_name(topic.name());
        consumer
            .subscribe(&[&topic])
            .map_err(KafkaSetupError::config)?;
        Ok(Self {
            consumer: Arc::new(consumer),
            topic,
        })
    }

    /// The partitions of its topic assigned to this member right now, in order. Changes
    /// only inside `next` (librdkafka runs rebalances while the consumer is polled).
    pub fn assigned_partitions(&self) -> Vec<i32> {
        let mut partitions: Vec<i32> = match self.consumer.assignment() {
            Ok(assigned) => assigned
                .elements_for_topic(&self.topic)
                .iter()
                .map(|p| p.partition())
                .collect(),
            Err(_) => Vec::new(),
        };
        partitions.sort_unstable();
        partitions
    }

    /// Whether `partition` of this subscriber's topic is assigned to it right now.
    fn owns(&self, partition: i32) -> bool {
        self.consumer
            .assignment()
            .is_ok_and(|assigned| assigned.find_partition(&self.topic, partition).is_some())
    }
}

#[async_trait]
impl BusSubscriber for KafkaSubscriber {
    /// The next message. Never `None`: a Kafka topic has no end. Errors librdkafka
    /// recovers from by itself (a broker restarting, a topic not created yet) are logged
    /// and waited out; only fatal ones are returned.
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        loop {
            match self.consumer.recv().await {
                Ok(message) => return Ok(Some(to_delivery(&message))),
                Err(error) if is_fatal(&error) => {
                    return Err(bus_error(&format!("consuming {}", self.topic), &error))
                }
                Err(error) => {
                    tracing::warn!(topic = self.topic, %error, "Kafka consumer error; retrying.")
                }
            }
        }
    }

    /// A message librdkafka has already fetched. `recv` polls its queue without blocking
    /// and registers for a wake-up only when it is empty, so dropping the unfinished
    /// future loses nothing.
    async fn try_next(&mut self) -> Result<Option<Delivery>, BusError> {
        match self.consumer.recv().now_or_never() {
            Some(Ok(message)) => Ok(Some(to_delivery(&message))),
            Some(Err(error)) if is_fatal(&error) => {
                Err(bus_error(&format!("consuming {}", self.topic), &error))
            }
            // A recoverable error: `next` logs and waits it out.
            Some(Err(_)) | None => Ok(None),
        }
    }

    /// Commits `delivery.offset + 1` for its partition, synchronously: when this returns
    /// `Ok`, the group's coordinator has stored the offset (or the partition has moved to
    /// another member, which then redelivers everything after the last commit).
    async fn commit(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        // A partition revoked since `delivery` was received belongs to another member now;
        // committing for it could overwrite that member's progress.
        if !self.owns(delivery.partition) {
            tracing::warn!(
                topic = self.topic,
                partition = delivery.partition,
                offset = delivery.offset,
                "Not committing a message of a revoked partition; its new owner redelivers it."
            );
            return Ok(());
        }
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset(
                &self.topic,
                delivery.partition,
                Offset::Offset(delivery.offset + 1),
            )
            .map_err(|error| bus_error("committing", &error))?;
        let consumer = Arc::clone(&self.consumer);
        // A synchronous commit blocks its thread for one round trip to the coordinator.
        let committed =
            tokio::task::spawn_blocking(move || consumer.commit(&offsets, CommitMode::Sync))
                .await
                .map_err(|error| BusError::Other(format!("committing: {error}")))?;
        match committed {
            Ok(()) => Ok(()),
            Err(error) if lost_ownership(&error) => {
                tracing::warn!(
                    topic = self.topic,
                    partition = delivery.partition,
                    offset = delivery.offset,
                    %error,
                    "Commit refused after a rebalance; the new owner redelivers the message."
                );
                Ok(())
            }
            Err(error) => Err(bus_error(&format!("committing to {}", self.topic), &error)),
        }
    }
}

/// Copies a message out of librdkafka's buffer.
fn to_delivery(message: &BorrowedMessage<'_>) -> Delivery {
    Delivery {
        key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
        payload: message.payload().unwrap_or_default().to_vec(),
        partition: message.partition(),
        offset: message.offset(),
    }
}

/// Whether the consumer cannot go on (librdkafka gives up only on these).
fn is_fatal(error: &KafkaError) -> bool {
    matches!(error, KafkaError::MessageConsumptionFatal(_))
        || error.rdkafka_error_code() == Some(rdkafka::error::RDKafkaErrorCode::Fatal)
}
