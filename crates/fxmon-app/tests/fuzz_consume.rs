//! The consumer loop (`consume`, shared by the processor and the alerter) against
//! malformed and schema-violating `fx-rates` messages: each goes to the dead-letter topic
//! with the parser's reason, its offset is committed, the loop neither stops nor fails,
//! and the valid message after it is handled — the partition is never blocked. The same
//! for a message the store rejects.
//!
//! `fuzz_consume_random_streams` mixes FXMON_FUZZ_CASES (default 500) random messages;
//! `FXMON_FUZZ_SEED` picks another stream. (No proptest in this crate: a seeded RNG.)

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fxmon_app::consume::{consume, Handled, SnapshotHandler};
use fxmon_app::ports::{BusError, BusPublisher, BusSubscriber, Delivery, StoreError, Topic};
use fxmon_core::RateSnapshot;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const VALID: &str = r#"{"timestamp":"2026-02-04T10:30:00Z","base":"USD","rates":{"USD/EUR":0.847,"USD/GBP":0.789},"source":"exchangerate-api.com","fetched_at":"2026-02-04T10:30:02Z"}"#;

/// A partition whose messages are consumed in order; `None` after the last.
struct Partition {
    queue: VecDeque<Delivery>,
    commits: Arc<Mutex<Vec<i64>>>,
}

#[async_trait]
impl BusSubscriber for Partition {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(self.queue.pop_front())
    }

    async fn commit(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        self.commits.lock().unwrap().push(delivery.offset);
        Ok(())
    }
}

/// Records what is published to it.
#[derive(Default)]
struct Letters(Mutex<Vec<(Topic, String, Value)>>);

#[async_trait]
impl BusPublisher for Letters {
    async fn publish(&self, topic: Topic, key: &str, payload: Vec<u8>) -> Result<(), BusError> {
        let letter = serde_json::from_slice(&payload).expect("a dead letter is JSON");
        self.0.lock().unwrap().push((topic, key.to_owned(), letter));
        Ok(())
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// Records the snapshots it handles; rejects those from source `rejected`, as a store
/// refusing the data would.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<RateSnapshot>>>);

#[async_trait]
impl SnapshotHandler for Recorder {
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError> {
        if snapshot.source == "rejected" {
            return Err(StoreError::Rejected(
                "check constraint fx_rates_rate_check".into(),
            ));
        }
        self.0.lock().unwrap().push(snapshot.clone());
        Ok(Handled)
    }
}

struct Outcome {
    handled: Vec<RateSnapshot>,
    letters: Vec<(Topic, String, Value)>,
    commits: Vec<i64>,
}

/// Runs `consume` over `payloads` (offsets 0, 1, ...) until the partition runs out.
async fn run(payloads: &[Vec<u8>]) -> Outcome {
    let queue = payloads
        .iter()
        .enumerate()
        .map(|(offset, payload)| Delivery {
            key: "k".to_owned(),
            payload: payload.clone(),
            partition: 0,
            offset: offset as i64,
        })
        .collect();
    let commits = Arc::new(Mutex::new(Vec::new()));
    let letters = Arc::new(Letters::default());
    let recorder = Recorder::default();
    let partition = Partition {
        queue,
        commits: commits.clone(),
    };
    let done = consume(
        recorder.clone(),
        Box::new(partition),
        letters.clone(),
        Duration::from_millis(1),
        CancellationToken::new(),
    );
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("the consumer is not blocked")
        .expect("the consumer does not fail");
    let outcome = Outcome {
        handled: recorder.0.lock().unwrap().clone(),
        letters: letters.0.lock().unwrap().clone(),
        commits: commits.lock().unwrap().clone(),
    };
    outcome
}

/// `VALID` as a JSON object, changed by `edit`.
fn edited(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
    let mut value: Value = serde_json::from_str(VALID).unwrap();
    edit(value.as_object_mut().unwrap());
    serde_json::to_vec(&value).unwrap()
}

/// Schema violations, each with a word its reason must contain.
fn violations() -> Vec<(Vec<u8>, &'static str)> {
    let set = |k: &'static str, v: Value| edited(move |m| drop(m.insert(k.to_owned(), v)));
    let remove = |k: &'static str| edited(move |m| drop(m.remove(k)));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut cases = vec![
        (set("timestamp", json!(1_770_201_000)), "JSON"),
        (set("timestamp", json!("yesterday")), "timestamp"),
        (set("timestamp", json!("2026-02-30T00:00:00Z")), "timestamp"),
        (set("fetched_at", json!("soon")), "fetched_at"),
        (set("next_update_at", json!("never")), "next_update_at"),
        (set("next_update_at", json!(false)), "JSON"),
        (set("base", json!("XYZ")), "base"),
        (set("base", json!(840)), "JSON"),
        (set("base", json!("EUR")), "rates"),
        (set("rates", json!([["USD/EUR", 0.85]])), "JSON"),
        (set("rates", json!({})), "rates"),
        (set("rates", json!({"USD/EUR": "0.85"})), "JSON"),
        (set("rates", json!({"USD/EUR": -0.85})), "USD/EUR"),
        (set("rates", json!({"USD/EUR": 0})), "USD/EUR"),
        (set("rates", json!({"USD/XYZ": 1.1})), "USD/XYZ"),
        (set("rates", json!({"USD/USD": 1.0})), "USD/USD"),
        (set("rates", json!({"USDEURO": 1.0})), "USDEURO"),
        (set("source", json!("  ")), "source"),
        (set("source", Value::Null), "JSON"),
        (b"{\"rates\":{\"USD/EUR\":1e400}}".to_vec(), "JSON"),
        (
            br#"{"timestamp":"2026-02-04T10:30:00Z","timestamp":"x"}"#.to_vec(),
            "JSON",
        ),
        (b"[]".to_vec(), "JSON"),
        (b"null".to_vec(), "JSON"),
        (b"".to_vec(), "JSON"),
        (vec![0xff, 0xfe, b'{'], "JSON"),
        (deep.into_bytes(), "JSON"),
    ];
    for field in ["timestamp", "base", "rates", "source"] {
        cases.push((remove(field), field));
    }
    cases
}

#[tokio::test]
async fn every_schema_violation_is_dead_lettered_with_its_reason_and_the_next_message_flows() {
    let violations = violations();
    // Each violation followed by a valid message; then one the store rejects, then a valid one.
    let mut payloads = Vec::new();
    for (bad, _) in &violations {
        payloads.push(bad.clone());
        payloads.push(VALID.as_bytes().to_vec());
    }
    payloads.push(edited(|m| {
        drop(m.insert("source".into(), json!("rejected")))
    }));
    payloads.push(VALID.as_bytes().to_vec());
    let outcome = run(&payloads).await;

    assert_eq!(
        outcome.handled.len(),
        violations.len() + 1,
        "every valid message"
    );
    let expected: Vec<i64> = (0..payloads.len() as i64).collect();
    assert_eq!(
        outcome.commits, expected,
        "every offset committed, in order"
    );
    assert_eq!(outcome.letters.len(), violations.len() + 1);
    let reasons = violations
        .iter()
        .map(|(_, word)| *word)
        .chain(["fx_rates_rate_check"]);
    let mut unnamed = Vec::new();
    for (i, ((topic, key, letter), word)) in outcome.letters.iter().zip(reasons).enumerate() {
        let offset = (2 * i) as i64;
        assert_eq!(*topic, Topic::DeadLetter);
        assert_eq!(key, "k");
        assert_eq!(letter["topic"], "fx-rates");
        assert_eq!(letter["offset"], offset);
        let payload = String::from_utf8_lossy(&payloads[offset as usize]);
        assert_eq!(letter["payload"], payload.as_ref(), "offset {offset}");
        let reason = letter["reason"].as_str().unwrap();
        if !reason.contains(word) {
            unnamed.push(format!(
                "{payload}\n  reason {reason:?} does not name {word:?}"
            ));
        }
    }
    assert!(
        unnamed.is_empty(),
        "reasons that miss the point:\n{}",
        unnamed.join("\n")
    );
}

/// A message, valid or mangled, for the random streams.
fn random_message(rng: &mut StdRng) -> Vec<u8> {
    let valid = VALID.as_bytes().to_vec();
    match rng.gen_range(0..6) {
        0 => valid,
        1 => (0..rng.gen_range(0..64)).map(|_| rng.gen()).collect(),
        2 => valid[..rng.gen_range(0..valid.len())].to_vec(),
        3 => {
            let mut bytes = valid;
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.gen();
            bytes
        }
        4 => {
            let fields = ["timestamp", "base", "rates", "source", "fetched_at"];
            let field = fields[rng.gen_range(0..fields.len())];
            let values = [
                json!(null),
                json!(1),
                json!("USD"),
                json!([]),
                json!({}),
                json!(-1.5),
            ];
            let value = values[rng.gen_range(0..values.len())].clone();
            edited(|m| drop(m.insert(field.to_owned(), value)))
        }
        _ => {
            let mut violations = violations();
            violations.swap_remove(rng.gen_range(0..violations.len())).0
        }
    }
}

#[tokio::test]
async fn fuzz_consume_random_streams() {
    let cases: usize = std::env::var("FXMON_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    let seed: u64 = std::env::var("FXMON_FUZZ_SEED")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(7);
    let mut rng = StdRng::seed_from_u64(seed);
    let payloads: Vec<Vec<u8>> = (0..cases).map(|_| random_message(&mut rng)).collect();
    let outcome = run(&payloads).await;

    // Exactly the parseable messages are handled, the rest dead-lettered, all committed.
    let parsed: Vec<RateSnapshot> = payloads
        .iter()
        .filter_map(|p| RateSnapshot::from_json(p).ok())
        .collect();
    assert_eq!(outcome.handled, parsed, "FXMON_FUZZ_SEED={seed}");
    assert_eq!(outcome.letters.len(), payloads.len() - parsed.len());
    assert_eq!(outcome.commits, (0..cases as i64).collect::<Vec<_>>());
    for (_, _, letter) in &outcome.letters {
        let offset = letter["offset"].as_u64().unwrap() as usize;
        let error = RateSnapshot::from_json(&payloads[offset]).unwrap_err();
        assert_eq!(letter["reason"], error.to_string(), "offset {offset}");
    }
}
