//! The consumer loop takes every message already waiting as one batch, handles it with
//! one `handle_batch`, and commits once per partition, after the handler succeeded. A
//! batch the store rejects is split, so only the bad snapshot is dead-lettered; a batch
//! that fails while the store is unavailable is retried whole and committed only after.
//! A handler that gathers also takes what arrives within its gather time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fxmon_app::consume::{consume, Handled, SnapshotHandler, MAX_BATCH};
use fxmon_app::ports::{BusError, BusPublisher, BusSubscriber, Delivery, StoreError, Topic};
use fxmon_core::RateSnapshot;
use tokio_util::sync::CancellationToken;

/// A snapshot of `source` whose as-of second is `second`.
fn payload(source: &str, second: u32) -> Vec<u8> {
    format!(
        r#"{{"timestamp":"2026-02-04T10:30:{second:02}Z","base":"USD","rates":{{"USD/EUR":0.847}},"source":"{source}"}}"#
    )
    .into_bytes()
}

/// Partitions whose messages are all waiting already: `next` and `try_next` both take
/// the next one, round-robin over the partitions, until none is left.
struct Waiting {
    queue: VecDeque<Delivery>,
    commits: Arc<Mutex<Vec<(i32, i64)>>>,
}

#[async_trait]
impl BusSubscriber for Waiting {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(self.queue.pop_front())
    }

    async fn try_next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(self.queue.pop_front())
    }

    async fn commit(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        let mut commits = self.commits.lock().unwrap();
        commits.push((delivery.partition, delivery.offset));
        Ok(())
    }
}

/// Counts dead letters.
#[derive(Default)]
struct Letters(Mutex<Vec<String>>);

#[async_trait]
impl BusPublisher for Letters {
    async fn publish(&self, topic: Topic, _: &str, payload: Vec<u8>) -> Result<(), BusError> {
        assert_eq!(topic, Topic::DeadLetter);
        let letter: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        self.0
            .lock()
            .unwrap()
            .push(letter["reason"].as_str().unwrap().to_owned());
        Ok(())
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// Records each call: batches as their sizes, single snapshots as 1s in `singles`.
/// Rejects source "rejected"; reports the store unavailable `unavailable` times first.
#[derive(Clone, Default)]
struct Recorder {
    batches: Arc<Mutex<Vec<usize>>>,
    singles: Arc<Mutex<Vec<String>>>,
    handled: Arc<Mutex<Vec<u32>>>,
    unavailable: Arc<Mutex<u32>>,
    /// Commits seen when each batch was handled: none may cover an unhandled message.
    commits: Arc<Mutex<Vec<(i32, i64)>>>,
    commits_at_batch: Arc<Mutex<Vec<usize>>>,
    /// What `gather` answers.
    gather: Duration,
}

impl Recorder {
    fn check(&self, snapshots: &[RateSnapshot]) -> Result<(), StoreError> {
        {
            let mut unavailable = self.unavailable.lock().unwrap();
            if *unavailable > 0 {
                *unavailable -= 1;
                return Err(StoreError::Unavailable("database is locked".into()));
            }
        }
        if snapshots.iter().any(|s| s.source == "rejected") {
            return Err(StoreError::Rejected("CHECK constraint failed".into()));
        }
        Ok(())
    }

    fn record(&self, snapshots: &[RateSnapshot]) {
        let mut handled = self.handled.lock().unwrap();
        handled.extend(
            snapshots
                .iter()
                .map(|s| s.timestamp.format("%S").to_string().parse::<u32>().unwrap()),
        );
    }
}

#[async_trait]
impl SnapshotHandler for Recorder {
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError> {
        self.singles.lock().unwrap().push(snapshot.source.clone());
        self.check(std::slice::from_ref(snapshot))?;
        self.record(std::slice::from_ref(snapshot));
        Ok(Handled)
    }

    async fn handle_batch(&mut self, snapshots: &[RateSnapshot]) -> Result<Handled, StoreError> {
        self.batches.lock().unwrap().push(snapshots.len());
        let committed = self.commits.lock().unwrap().len();
        self.commits_at_batch.lock().unwrap().push(committed);
        self.check(snapshots)?;
        self.record(snapshots);
        Ok(Handled)
    }

    fn gather(&self) -> Duration {
        self.gather
    }
}

struct Run {
    recorder: Recorder,
    letters: Vec<String>,
    commits: Vec<(i32, i64)>,
}

/// Consumes `messages` (partition, payload), offsets counted per partition from 0.
async fn run(messages: Vec<(i32, Vec<u8>)>, recorder: Recorder) -> Run {
    let mut next_offset = [0i64; 4];
    let queue = messages
        .into_iter()
        .map(|(partition, payload)| {
            let offset = &mut next_offset[partition as usize];
            *offset += 1;
            Delivery {
                key: "k".to_owned(),
                payload,
                partition,
                offset: *offset - 1,
            }
        })
        .collect();
    let letters = Arc::new(Letters::default());
    let subscriber = Waiting {
        queue,
        commits: recorder.commits.clone(),
    };
    let done = consume(
        recorder.clone(),
        Box::new(subscriber),
        letters.clone(),
        Duration::from_millis(1),
        CancellationToken::new(),
    );
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("the consumer is not blocked")
        .expect("the consumer does not fail");
    let commits = recorder.commits.lock().unwrap().clone();
    let letters = letters.0.lock().unwrap().clone();
    Run {
        recorder,
        letters,
        commits,
    }
}

#[tokio::test]
async fn waiting_messages_are_one_batch_with_one_commit_per_partition() {
    let mut messages: Vec<(i32, Vec<u8>)> =
        (0..6).map(|i| (i % 2, payload("a", i as u32))).collect();
    messages.insert(3, (1, b"{not json".to_vec()));
    let run = run(messages, Recorder::default()).await;

    assert_eq!(
        *run.recorder.batches.lock().unwrap(),
        vec![6],
        "one batch of the valid six"
    );
    assert!(run.recorder.singles.lock().unwrap().is_empty());
    assert_eq!(
        *run.recorder.handled.lock().unwrap(),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(
        run.letters.len(),
        1,
        "the malformed message is dead-lettered"
    );
    assert!(run.letters[0].contains("JSON"), "{:?}", run.letters);
    // Partition 0 held offsets 0..=2, partition 1 offsets 0..=3 (the bad one included).
    let mut commits = run.commits.clone();
    commits.sort_unstable();
    assert_eq!(commits, vec![(0, 2), (1, 3)]);
    assert_eq!(
        *run.recorder.commits_at_batch.lock().unwrap(),
        vec![0],
        "no commit before the batch was handled"
    );
}

#[tokio::test]
async fn a_batch_holding_a_rejected_snapshot_is_split_and_only_that_one_dead_lettered() {
    let messages = vec![
        (0, payload("a", 1)),
        (0, payload("rejected", 2)),
        (0, payload("a", 3)),
    ];
    let run = run(messages, Recorder::default()).await;

    assert_eq!(*run.recorder.batches.lock().unwrap(), vec![3]);
    assert_eq!(
        *run.recorder.singles.lock().unwrap(),
        vec!["a", "rejected", "a"],
        "each alone, in order"
    );
    assert_eq!(*run.recorder.handled.lock().unwrap(), vec![1, 3]);
    assert_eq!(run.letters.len(), 1);
    assert!(
        run.letters[0].contains("CHECK constraint failed"),
        "{:?}",
        run.letters
    );
    assert_eq!(run.commits, vec![(0, 2)]);
}

#[tokio::test]
async fn a_batch_failing_while_the_store_is_down_is_retried_whole_then_committed() {
    let recorder = Recorder::default();
    *recorder.unavailable.lock().unwrap() = 2;
    let messages = (0..4).map(|i| (0, payload("a", i))).collect();
    let run = run(messages, recorder).await;

    assert_eq!(
        *run.recorder.batches.lock().unwrap(),
        vec![4, 4, 4],
        "two failures, then success"
    );
    assert_eq!(
        *run.recorder.handled.lock().unwrap(),
        vec![0, 1, 2, 3],
        "handled once"
    );
    assert_eq!(
        *run.recorder.commits_at_batch.lock().unwrap(),
        vec![0, 0, 0],
        "nothing committed while failing"
    );
    assert_eq!(run.commits, vec![(0, 3)]);
    assert!(run.letters.is_empty());
}

#[tokio::test]
async fn a_batch_holds_at_most_max_batch_messages() {
    let count = MAX_BATCH + 10;
    let messages = (0..count)
        .map(|i| (0, payload("a", (i % 60) as u32)))
        .collect();
    let run = run(messages, Recorder::default()).await;

    assert_eq!(*run.recorder.batches.lock().unwrap(), vec![MAX_BATCH, 10]);
    assert_eq!(
        run.commits,
        vec![(0, MAX_BATCH as i64 - 1), (0, count as i64 - 1)]
    );
}

/// Messages that arrive over time: each is sent after its delay from the previous one.
struct Arriving(tokio::sync::mpsc::UnboundedReceiver<Delivery>);

#[async_trait]
impl BusSubscriber for Arriving {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(self.0.recv().await)
    }

    async fn try_next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(self.0.try_recv().ok())
    }

    async fn commit(&mut self, _: &Delivery) -> Result<(), BusError> {
        Ok(())
    }
}

/// The batch sizes a handler gathering for `gather` sees when messages arrive after
/// `delays_ms` (each from the one before).
async fn batches_arriving(gather: Duration, delays_ms: &[u64]) -> Vec<usize> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let recorder = Recorder {
        gather,
        ..Recorder::default()
    };
    let done = tokio::spawn(consume(
        recorder.clone(),
        Box::new(Arriving(receiver)),
        Arc::new(Letters::default()),
        Duration::from_millis(1),
        CancellationToken::new(),
    ));
    for (offset, delay) in delays_ms.iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(*delay)).await;
        let delivery = Delivery {
            key: "k".to_owned(),
            payload: payload("a", offset as u32),
            partition: 0,
            offset: offset as i64,
        };
        sender.send(delivery).unwrap();
    }
    drop(sender);
    done.await.unwrap().unwrap();
    let batches = recorder.batches.lock().unwrap().clone();
    assert_eq!(
        *recorder.handled.lock().unwrap(),
        (0..delays_ms.len() as u32).collect::<Vec<_>>(),
        "every message handled once, in order"
    );
    batches
}

#[tokio::test(start_paused = true)]
async fn a_gathering_handler_also_takes_what_arrives_within_its_gather_time() {
    // Arrivals at 0, 40, 80, 300 and 310 ms.
    let delays = [0, 40, 40, 220, 10];
    assert_eq!(
        batches_arriving(Duration::from_millis(100), &delays).await,
        vec![3, 2],
        "the first three arrive within 100 ms of the first; so does the fifth of the fourth"
    );
    assert_eq!(
        batches_arriving(Duration::ZERO, &delays).await,
        vec![1, 1, 1, 1, 1],
        "without gathering, nothing was waiting when each arrived"
    );
}
