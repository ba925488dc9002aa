//! `TracingContext`: routes librdkafka's logs, errors and rebalances to `tracing`
//! (rdkafka's default context logs through the `log` crate, which fxmon does not collect).

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::Statistics;

/// The client context of every fxmon Kafka client.
#[derive(Debug, Clone, Default)]
pub(crate) struct TracingContext {
    /// The consumer group (as fxmon names it), for a consumer: its statistics then set
    /// the consumer-lag gauge.
    group: Option<String>,
}

impl TracingContext {
    /// The context of a member of `group`.
    pub(crate) fn consumer(group: &str) -> Self {
        Self {
            group: Some(group.to_owned()),
        }
    }
}

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

    fn stats(&self, statistics: Statistics) {
        let Some(group) = &self.group else {
            return;
        };
        for (topic, lag) in lag_by_topic(&statistics) {
            fxmon_app::metrics::set_consumer_lag(&topic, group, lag);
        }
    }
}

/// Per topic, the messages this member has not committed yet: the sum over its partitions
/// of librdkafka's `consumer_lag` (high watermark minus committed offset). Partitions with
/// an unknown lag (-1: not assigned here, or nothing committed or fetched yet) count 0.
fn lag_by_topic(statistics: &Statistics) -> Vec<(String, u64)> {
    statistics
        .topics
        .iter()
        .map(|(name, topic)| {
            let lag = topic
                .partitions
                .iter()
                // Partition -1 is librdkafka's internal "unassigned" queue.
                .filter(|(id, _)| **id >= 0)
                .map(|(_, p)| u64::try_from(p.consumer_lag).unwrap_or(0))
                .sum();
            (name.clone(), lag)
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use rdkafka::statistics::{Partition, Topic};

    use super::*;

    fn partition(partition: i32, consumer_lag: i64) -> (i32, Partition) {
        let stats = Partition {
            partition,
            consumer_lag,
            ..Partition::default()
        };
        (partition, stats)
    }

    #[test]
    fn the_lag_of_a_topic_sums_its_partitions_and_ignores_unknown_ones() {
        let topic = Topic {
            topic: "fx-rates".to_owned(),
            partitions: [
                partition(0, 3),
                partition(1, 4),
                partition(2, -1),
                partition(-1, 99),
            ]
            .into_iter()
            .collect(),
            ..Topic::default()
        };
        let mut statistics = Statistics::default();
        statistics.topics.insert("fx-rates".to_owned(), topic);
        assert_eq!(lag_by_topic(&statistics), [("fx-rates".to_owned(), 7)]);
    }
}
