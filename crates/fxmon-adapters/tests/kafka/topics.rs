//! `ensure_topics` creates missing topics with the requested partitions and retention,
//! and leaves existing ones alone.

use fxmon_adapters::kafka::{ensure_topics, fxmon_topics, KafkaSettings};
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;

use crate::support::broker;

#[tokio::test]
async fn ensure_topics_creates_missing_topics_and_is_idempotent() {
    let broker = broker!();
    let settings = broker.settings("topics");
    let mut specs = fxmon_topics(4);
    specs[2].partitions = 1;

    let first = ensure_topics(&settings, &specs).await.unwrap();
    let created: Vec<_> = first
        .iter()
        .map(|r| (r.name.as_str(), r.partitions, r.created))
        .collect();
    assert_eq!(
        created,
        [
            ("topics.fx-rates", 4, true),
            ("topics.fx-alerts", 4, true),
            ("topics.fx-dead-letter", 1, true)
        ]
    );
    assert_eq!(
        retention_ms(&settings, "topics.fx-rates").await,
        "604800000"
    );
    assert_eq!(
        retention_ms(&settings, "topics.fx-alerts").await,
        "2592000000"
    );

    // Asking again, even for more partitions, changes nothing.
    let again = ensure_topics(&settings, &fxmon_topics(8)).await.unwrap();
    let existing: Vec<_> = again.iter().map(|r| (r.partitions, r.created)).collect();
    assert_eq!(existing, [(4, false), (4, false), (1, false)]);
}

/// The topic's `retention.ms` as the broker describes it.
async fn retention_ms(settings: &KafkaSettings, topic: &str) -> String {
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .create()
        .unwrap();
    let described = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new())
        .await
        .unwrap();
    let config = described.into_iter().next().unwrap().unwrap();
    let entry = config.get("retention.ms").expect("retention.ms described");
    entry.value.clone().expect("retention.ms has a value")
}
