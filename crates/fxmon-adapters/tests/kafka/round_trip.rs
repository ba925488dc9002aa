//! Publish then consume: keys and payloads survive, one key's messages stay in order on
//! one partition, and a live view starts at the newest message.

use std::collections::HashMap;
use std::time::Duration;

use fxmon_adapters::kafka::{KafkaPublisher, KafkaSubscriber};
use fxmon_app::ports::{BusPublisher, BusSubscriber, Topic};

use crate::support::{broker, create_topic, next, take};

#[tokio::test]
async fn published_messages_arrive_with_their_keys_in_order_per_key() {
    let broker = broker!();
    let settings = broker.settings("round-trip");
    create_topic(&settings, Topic::Rates.name(), 3).await;
    let publisher = KafkaPublisher::new(&settings).unwrap();
    let keys = ["ecb", "simulated", "frankfurter"];
    for i in 0..30 {
        let key = keys[i % keys.len()];
        let payload = format!("{key}-{i:02}").into_bytes();
        publisher.publish(Topic::Rates, key, payload).await.unwrap();
    }

    let mut subscriber = KafkaSubscriber::new(&settings, Topic::Rates, "round-trip-group").unwrap();
    let received = take(&mut subscriber, 30).await;

    let mut per_key: HashMap<String, Vec<String>> = HashMap::new();
    let mut partition_of: HashMap<String, i32> = HashMap::new();
    for (key, payload, partition) in received {
        assert!(
            payload.starts_with(&key),
            "{payload} arrived under key {key}"
        );
        let first = *partition_of.entry(key.clone()).or_insert(partition);
        assert_eq!(first, partition, "key {key} spread over partitions");
        per_key.entry(key).or_default().push(payload);
    }
    for (i, key) in keys.iter().enumerate() {
        let expected: Vec<String> = (i..30)
            .step_by(3)
            .map(|n| format!("{key}-{n:02}"))
            .collect();
        assert_eq!(
            per_key[*key], expected,
            "key {key} out of order or incomplete"
        );
    }
}

#[tokio::test]
async fn ping_answers_when_the_broker_is_up() {
    let broker = broker!();
    let publisher = KafkaPublisher::new(&broker.settings("ping-up")).unwrap();
    publisher.ping().await.unwrap();
}

#[tokio::test]
async fn a_live_view_starts_at_the_newest_message() {
    let broker = broker!();
    let settings = broker.settings("latest");
    create_topic(&settings, Topic::Alerts.name(), 1).await;
    let publisher = KafkaPublisher::new(&settings).unwrap();
    publisher
        .publish(Topic::Alerts, "EURUSD", b"old".to_vec())
        .await
        .unwrap();

    let mut live = KafkaSubscriber::from_latest(&settings, Topic::Alerts, "live-view").unwrap();
    // Poll until assigned, then a little longer so the start offset is resolved.
    let mut polls_after_assignment = 0;
    while polls_after_assignment < 3 {
        let early = tokio::time::timeout(Duration::from_millis(100), live.next()).await;
        assert!(early.is_err(), "a live view replayed retained history");
        if !live.assigned_partitions().is_empty() {
            polls_after_assignment += 1;
        }
    }
    publisher
        .publish(Topic::Alerts, "EURUSD", b"new".to_vec())
        .await
        .unwrap();
    assert_eq!(next(&mut live).await.payload, b"new");
}
