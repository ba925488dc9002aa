//! `TracingContext`: routes librdkafka's logs, errors and rebalances to `tracing`
//! (rdkafka's default context logs through the `log` crate, which fxmon does not collect).

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;

/// The client context of every fxmon Kafka client.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TracingContext;

impl ClientContext for TracingContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        use RDKafkaLogLevel::*;
        match level {
            Emerg | Alert | Critical | Error => tracing::error!(facility, "librdkafka: {message}"),
            Warning => tracing::warn!(facility, "librdkafka: {message}"),
            Notice | Info => tracing::info!(facility, "librdkafka: {message}"),
            Debug => tracing::debug!(facility, "librdkafka: {message}"),
        }
    }

    // librdkafka retries these itself (e.g. a broker is down); they are worth a warning,
    // not a failure.
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "Kafka client reported an error.");
    }
}

impl ConsumerContext for TracingContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(partitions) => {
                let partitions = describe(partitions);
                tracing::info!(partitions, "Kafka partitions assigned.");
            }
            Rebalance::Revoke(partitions) => {
                let partitions = describe(partitions);
                tracing::info!(
                    partitions,
                    "Kafka partitions revoked; uncommitted messages go to their next owner."
                );
            }
            Rebalance::Error(error) => tracing::warn!(%error, "Kafka rebalance failed."),
        }
    }
}

/// `topic[partition]` for each element, e.g. `fx-rates[0] fx-rates[3]`.
fn describe(partitions: &rdkafka::TopicPartitionList) -> String {
    let names: Vec<String> = partitions
        .elements()
        .iter()
        .map(|p| format!("{}[{}]", p.topic(), p.partition()))
        .collect();
    names.join(" ")
}
