//! Kafka adapters (any Kafka-protocol broker: Apache Kafka, Redpanda, managed services)
//! behind the bus ports, via `rdkafka`'s bundled librdkafka.
//!
//! Delivery is at-least-once end to end: the producer is idempotent and `publish` returns
//! only once the broker has acknowledged the message on all in-sync replicas; consumers
//! commit an offset only after the message's effects are durable, so a crash or a
//! rebalance redelivers uncommitted messages and never skips them. Consumers must therefore
//! be idempotent. See docs/KAFKA.md.

mod context;
mod error;
mod publisher;
mod settings;
mod subscriber;
mod topics;

pub use error::KafkaSetupError;
pub use publisher::KafkaPublisher;
pub use settings::KafkaSettings;
pub use subscriber::KafkaSubscriber;
pub use topics::{ensure_topics, fxmon_topics, TopicReport, TopicSpec};
