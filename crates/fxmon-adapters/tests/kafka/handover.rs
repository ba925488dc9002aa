//! A partition moving to a new group member takes its uncommitted messages along: the new
//! owner gets them again, and a late commit by the old owner does not skip them.

use std::time::Duration;

use fxmon_adapters::kafka::{KafkaPublisher, KafkaSubscriber};
use fxmon_app::ports::{BusPublisher, BusSubscriber, Delivery, Topic};

use crate::support::{broker, create_topic, next};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_partition_is_redelivered_from_its_last_commit_to_the_new_owner() {
    let broker = broker!();
    let settings = broker.settings("handover");
    create_topic(&settings, Topic::Rates.name(), 2).await;
    let publisher = KafkaPublisher::new(&settings).unwrap();
    for i in 0..20 {
        let key = format!("k{}", i % 10);
        publisher
            .publish(Topic::Rates, &key, vec![i])
            .await
            .unwrap();
    }

    // The first member reads everything but commits only each partition's first message.
    let mut first = KafkaSubscriber::new(&settings, Topic::Rates, "handover-group").unwrap();
    let mut read = Vec::new();
    for _ in 0..20 {
        read.push(next(&mut first).await);
    }
    let in_partition =
        |p: i32| -> Vec<Delivery> { read.iter().filter(|d| d.partition == p).cloned().collect() };
    let partitions = [in_partition(0), in_partition(1)];
    assert!(
        partitions.iter().all(|p| p.len() > 1),
        "keys did not spread"
    );
    for messages in &partitions {
        first.commit(&messages[0]).await.unwrap();
    }

    // A second member joins; both poll until the group has split the partitions.
    let mut second = KafkaSubscriber::new(&settings, Topic::Rates, "handover-group").unwrap();
    let mut received = Vec::new();
    let split = async {
        while first.assigned_partitions().len() != 1 || second.assigned_partitions().len() != 1 {
            let (_, got) = tokio::join!(poll(&mut first), poll(&mut second));
            received.extend(got);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), split)
        .await
        .expect("the members split the partitions within 20 s");
    let moved = second.assigned_partitions()[0];
    let expected: Vec<Vec<u8>> = partitions[moved as usize][1..]
        .iter()
        .map(|d| d.payload.clone())
        .collect();
    while received.len() < expected.len() {
        received.push(next(&mut second).await);
    }
    let payloads: Vec<Vec<u8>> = received.iter().map(|d| d.payload.clone()).collect();
    assert_eq!(
        payloads, expected,
        "the new owner did not resume after the last commit"
    );

    // The old owner's late commit of a message it no longer owns is a no-op: a third
    // member still starts the moved partition after its last real commit.
    let late = partitions[moved as usize].last().unwrap();
    first.commit(late).await.unwrap();
    drop((first, second));
    let mut third = KafkaSubscriber::new(&settings, Topic::Rates, "handover-group").unwrap();
    let mut again = Vec::new();
    for _ in 0..18 {
        again.push(next(&mut third).await.payload);
    }
    for payload in &expected {
        assert!(again.contains(payload), "message {payload:?} was skipped");
    }
}

/// At most one message within 100 ms; polling also lets rebalances run.
async fn poll(subscriber: &mut KafkaSubscriber) -> Option<Delivery> {
    let next = tokio::time::timeout(Duration::from_millis(100), subscriber.next()).await;
    next.ok()
        .map(|got| got.expect("consume").expect("the bus is open"))
}
