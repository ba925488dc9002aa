//! `KafkaPublisher`: an idempotent producer whose `publish` waits for the broker's
//! acknowledgement, so "published" means the cluster has the message.

use std::time::Duration;

use async_trait::async_trait;
use fxmon_app::ports::{BusError, BusPublisher, Topic};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;

use super::context::TracingContext;
use super::error::{bus_error, KafkaSetupError};
use super::settings::KafkaSettings;

/// How long `publish` keeps retrying (librdkafka's `delivery.timeout.ms`) before failing.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `ping` waits for the cluster's metadata.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Publishes to Kafka topics.
#[derive(Clone)]
pub struct KafkaPublisher {
    producer: FutureProducer<TracingContext>,
    settings: KafkaSettings,
}

impl KafkaPublisher {
    /// A producer for `settings`; it connects lazily, so this fails only on bad settings.
    /// It waits up to librdkafka's `linger.ms` (5 ms) to send messages together.
    pub fn new(settings: &KafkaSettings) -> Result<Self, KafkaSetupError> {
        Self::lingering(settings, None)
    }

    /// Like [`new`](Self::new), but each message is sent at once (`linger.ms=0`) unless
    /// `settings` say otherwise: for a topic of few messages whose latency counts,
    /// `fx-alerts`. (Every producer at once was slower: see docs/BENCHMARKS.md.)
    pub fn prompt(settings: &KafkaSettings) -> Result<Self, KafkaSetupError> {
        Self::lingering(settings, Some("0"))
    }

    fn lingering(
        settings: &KafkaSettings,
        linger_ms: Option<&str>,
    ) -> Result<Self, KafkaSetupError> {
        let producer = config(settings, linger_ms)
            .create_with_context(TracingContext::default())
            .map_err(KafkaSetupError::config)?;
        Ok(Self {
            producer,
            settings: settings.clone(),
        })
    }
}

/// The producer's configuration: `linger_ms`, when given, replaces librdkafka's default.
fn config(settings: &KafkaSettings, linger_ms: Option<&str>) -> ClientConfig {
    let delivery_timeout = DELIVERY_TIMEOUT.as_millis().to_string();
    let mut defaults = vec![
        ("delivery.timeout.ms", delivery_timeout.as_str()),
        // The Java client's hash, so keys land on the same partitions whichever client
        // produced them (librdkafka's default is CRC32).
        ("partitioner", "murmur2_random"),
    ];
    defaults.extend(linger_ms.map(|ms| ("linger.ms", ms)));
    settings.client_config(
        &defaults,
        &[("enable.idempotence", "true"), ("acks", "all")],
    )
}

#[async_trait]
impl BusPublisher for KafkaPublisher {
    /// Sends one message keyed by `key` (all messages of a key go to one partition, in
    /// order) and waits for the broker's acknowledgement.
    async fn publish(&self, topic: Topic, key: &str, payload: Vec<u8>) -> Result<(), BusError> {
        let name = self.settings.topic_name(topic.name());
        let record = FutureRecord::to(&name).key(key).payload(&payload);
        // The queue timeout bounds the wait for room in librdkafka's local queue when the
        // broker is slower than fxmon: back-pressure, not loss.
        match self.producer.send(record, DELIVERY_TIMEOUT).await {
            Ok(_) => Ok(()),
            Err((error, _message)) => Err(bus_error(&format!("publishing to {name}"), &error)),
        }
    }

    /// Fetches the cluster's metadata, failing after a short timeout.
    async fn ping(&self) -> Result<(), BusError> {
        let producer = self.producer.clone();
        // `fetch_metadata` blocks its thread until the answer or the timeout.
        let metadata = tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, PING_TIMEOUT)
                .map(drop)
        })
        .await
        .map_err(|error| BusError::Other(format!("pinging Kafka: {error}")))?;
        metadata.map_err(|error| bus_error("pinging Kafka", &error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prompt_producer_sends_without_lingering_unless_told_otherwise() {
        let mut settings = KafkaSettings::new("127.0.0.1:9092");
        assert_eq!(config(&settings, None).get("linger.ms"), None);
        assert_eq!(config(&settings, Some("0")).get("linger.ms"), Some("0"));
        settings.extra = vec![("linger.ms".to_owned(), "2".to_owned())];
        assert_eq!(config(&settings, Some("0")).get("linger.ms"), Some("2"));
        assert_eq!(config(&settings, Some("0")).get("acks"), Some("all"));
    }
}
