//! Consumer groups with manual commits: a new member resumes after the last commit, and
//! two members split a topic's partitions without losing or repeating messages.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use fxmon_adapters::kafka::{KafkaPublisher, KafkaSubscriber};
use fxmon_app::ports::{BusPublisher, BusSubscriber, Delivery, Topic};
use tokio::sync::{mpsc, watch};

use crate::support::{broker, create_topic, next, take};

#[tokio::test]
async fn a_new_member_resumes_after_the_last_commit_and_gets_uncommitted_messages_again() {
    let broker = broker!();
    let settings = broker.settings("resume");
    create_topic(&settings, Topic::Rates.name(), 1).await;
    let publisher = KafkaPublisher::new(&settings).unwrap();
    for i in 0..10 {
        publisher
            .publish(Topic::Rates, "ecb", format!("m{i}").into_bytes())
            .await
            .unwrap();
    }

    let mut first = KafkaSubscriber::new(&settings, Topic::Rates, "resume-group").unwrap();
    for i in 0..7 {
        let delivery = next(&mut first).await;
        assert_eq!(delivery.payload, format!("m{i}").into_bytes());
        if i == 3 {
            first.commit(&delivery).await.unwrap();
        }
    }
    drop(first); // m4..m6 were received but never committed: a crash after receiving them

    let mut second = KafkaSubscriber::new(&settings, Topic::Rates, "resume-group").unwrap();
    let payloads: Vec<String> = take(&mut second, 6)
        .await
        .into_iter()
        .map(|(_, p, _)| p)
        .collect();
    assert_eq!(payloads, ["m4", "m5", "m6", "m7", "m8", "m9"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_partitions_and_together_get_every_message_once() {
    let broker = broker!();
    let settings = broker.settings("split");
    create_topic(&settings, Topic::Rates.name(), 4).await;
    let (sender, mut received) = mpsc::unbounded_channel();
    let mut assignments = Vec::new();
    for member_id in 0..2 {
        let subscriber = KafkaSubscriber::new(&settings, Topic::Rates, "split-group").unwrap();
        let (assigned, watched) = watch::channel(Vec::new());
        assignments.push(watched);
        tokio::spawn(member(member_id, subscriber, sender.clone(), assigned));
    }
    wait_for_split(&mut assignments).await;

    let publisher = KafkaPublisher::new(&settings).unwrap();
    for i in 0..48 {
        let key = format!("k{}", i % 12);
        let payload = format!("{key}-{i:02}").into_bytes();
        publisher
            .publish(Topic::Rates, &key, payload)
            .await
            .unwrap();
    }

    let mut by_member: [Vec<Delivery>; 2] = Default::default();
    for _ in 0..48 {
        let (member_id, delivery) = tokio::time::timeout(Duration::from_secs(15), received.recv())
            .await
            .expect("every message within 15 s")
            .expect("members running");
        by_member[member_id].push(delivery);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(received.try_recv().is_err(), "a message arrived twice");
    assert!(
        by_member.iter().all(|d| !d.is_empty()),
        "one member did all the work"
    );

    let mut payloads = BTreeSet::new();
    let mut owner_of_key = HashMap::new();
    for (member_id, deliveries) in by_member.iter().enumerate() {
        let mut last_of_key: HashMap<&str, Vec<u8>> = HashMap::new();
        for delivery in deliveries {
            assert!(
                payloads.insert(delivery.payload.clone()),
                "duplicate delivery"
            );
            let owner = *owner_of_key
                .entry(delivery.key.clone())
                .or_insert(member_id);
            assert_eq!(
                owner, member_id,
                "key {} consumed by both members",
                delivery.key
            );
            if let Some(previous) = last_of_key.insert(&delivery.key, delivery.payload.clone()) {
                assert!(
                    previous < delivery.payload,
                    "key {} out of order",
                    delivery.key
                );
            }
        }
    }
    assert_eq!(payloads.len(), 48);
}

/// A group member's loop: report the assignment, take a message, commit it, pass it on.
async fn member(
    member_id: usize,
    mut subscriber: KafkaSubscriber,
    sender: mpsc::UnboundedSender<(usize, Delivery)>,
    assigned: watch::Sender<Vec<i32>>,
) {
    while !sender.is_closed() {
        assigned.send_replace(subscriber.assigned_partitions());
        let Ok(next) = tokio::time::timeout(Duration::from_millis(100), subscriber.next()).await
        else {
            continue; // no message yet; keep polling so rebalances run
        };
        let delivery = next.expect("consume").expect("the bus is open");
        subscriber.commit(&delivery).await.expect("commit");
        let _ = sender.send((member_id, delivery));
    }
}

/// Waits (up to 20 s) until the two members hold disjoint halves of the 4 partitions.
async fn wait_for_split(assignments: &mut [watch::Receiver<Vec<i32>>]) {
    let settled = async {
        loop {
            let held: Vec<Vec<i32>> = assignments.iter().map(|a| a.borrow().clone()).collect();
            let all: BTreeSet<i32> = held.iter().flatten().copied().collect();
            let total: usize = held.iter().map(Vec::len).sum();
            if held.iter().all(|h| !h.is_empty()) && total == 4 && all.len() == 4 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), settled)
        .await
        .expect("the two members split the partitions within 20 s");
}
