//! `KafkaSettings`: where the cluster is and how to talk to it.

use std::fmt;

use fxmon_app::redact;
use rdkafka::ClientConfig;

/// Keys that carry fxmon's delivery guarantees; `extra` cannot override them.
const GUARANTEES: [&str; 5] = [
    "enable.idempotence",
    "acks",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.offset.reset",
];

/// How to reach a Kafka-protocol cluster. `Debug` masks secret properties.
#[derive(Clone, PartialEq, Eq)]
pub struct KafkaSettings {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    pub brokers: String,
    /// `client.id`, which brokers show in logs, metrics and quotas.
    pub client_id: String,
    /// Prepended to topic and group names, so several deployments (or tests) can share
    /// one cluster; empty in a normal deployment.
    pub prefix: String,
    /// librdkafka properties passed through verbatim (e.g. `security.protocol`, `sasl.*`,
    /// `partition.assignment.strategy`); they override fxmon's tunable defaults but not
    /// its delivery guarantees.
    pub extra: Vec<(String, String)>,
}

impl fmt::Debug for KafkaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSettings")
            .field("brokers", &self.brokers)
            .field("client_id", &self.client_id)
            .field("prefix", &self.prefix)
            .field("extra", &redact::properties(&self.extra))
            .finish()
    }
}

impl KafkaSettings {
    /// Settings for `brokers` with client id `fxmon`, no prefix and no extra properties.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            client_id: "fxmon".to_owned(),
            prefix: String::new(),
            extra: Vec::new(),
        }
    }

    /// The name on the cluster of the topic fxmon calls `topic`.
    pub fn topic_name(&self, topic: &str) -> String {
        format!("{}{topic}", self.prefix)
    }

    /// The id on the cluster of the consumer group fxmon calls `group`.
    pub fn group_id(&self, group: &str) -> String {
        format!("{}{group}", self.prefix)
    }

    /// A client configuration: `defaults`, then `extra`, then `guarantees`, so the caller's
    /// guarantees always win.
    pub(crate) fn client_config(
        &self,
        defaults: &[(&str, &str)],
        guarantees: &[(&str, &str)],
    ) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id);
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in &self.extra {
            if GUARANTEES.contains(&key.as_str()) {
                tracing::warn!(
                    key,
                    "Ignoring a Kafka setting that would weaken delivery guarantees."
                );
                continue;
            }
            config.set(key, value);
        }
        for (key, value) in guarantees {
            config.set(*key, *value);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_settings_override_defaults_but_not_guarantees() {
        let mut settings = KafkaSettings::new("127.0.0.1:9092");
        settings.extra = vec![
            ("linger.ms".to_owned(), "50".to_owned()),
            ("enable.auto.commit".to_owned(), "true".to_owned()),
        ];
        let config =
            settings.client_config(&[("linger.ms", "5")], &[("enable.auto.commit", "false")]);
        assert_eq!(config.get("linger.ms"), Some("50"));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
        assert_eq!(config.get("bootstrap.servers"), Some("127.0.0.1:9092"));
        assert_eq!(config.get("client.id"), Some("fxmon"));
    }

    #[test]
    fn debug_output_masks_secret_properties() {
        let mut settings = KafkaSettings::new("b:9092");
        settings.extra = vec![
            ("sasl.username".to_owned(), "fxmon".to_owned()),
            ("sasl.password".to_owned(), "marker".to_owned()),
        ];
        let shown = format!("{settings:?}");
        assert!(!shown.contains("marker"), "{shown}");
        assert!(shown.contains("sasl.password=***"), "{shown}");
    }

    #[test]
    fn the_prefix_namespaces_topics_and_groups() {
        let mut settings = KafkaSettings::new("b:9092");
        settings.prefix = "test-1.".to_owned();
        assert_eq!(settings.topic_name("fx-rates"), "test-1.fx-rates");
        assert_eq!(
            settings.group_id("rate-processor-group"),
            "test-1.rate-processor-group"
        );
    }
}
