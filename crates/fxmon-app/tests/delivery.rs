//! The delivery worker over a fake outbox, bus and webhook sender, on paused time.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use fxmon_app::delivery::{self, DeliveryPolicy, DeliveryWaker};
use fxmon_app::ports::{
    BusError, BusPublisher, DeliveryOutbox, DeliveryState, DeliveryTarget, PendingDelivery,
    StoreError, Topic, WebhookError, WebhookSender,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// One outbox row: the delivery as it would be read back, and its state.
#[derive(Debug, Clone)]
struct Row {
    delivery: PendingDelivery,
    state: DeliveryState,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    delivered_calls: u32,
}

/// The outbox as a Mutex'd Vec; `unavailable` fails that many `due_deliveries` calls first,
/// `unrecordable` that many `delivered` calls.
#[derive(Default)]
struct FakeOutbox {
    rows: Mutex<Vec<Row>>,
    unavailable: Mutex<u32>,
    unrecordable: Mutex<u32>,
}

impl FakeOutbox {
    fn with(deliveries: Vec<PendingDelivery>) -> Arc<Self> {
        let outbox = Arc::new(Self::default());
        for delivery in deliveries {
            outbox.push(delivery);
        }
        outbox
    }

    fn push(&self, delivery: PendingDelivery) {
        self.rows.lock().unwrap().push(Row {
            next_attempt_at: delivery.created_at,
            delivery,
            state: DeliveryState::Pending,
            last_error: None,
            delivered_calls: 0,
        });
    }

    fn row(&self, id: i64) -> Row {
        let rows = self.rows.lock().unwrap();
        rows.iter().find(|r| r.delivery.id == id).unwrap().clone()
    }

    fn update(&self, id: i64, change: impl FnOnce(&mut Row)) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        change(rows.iter_mut().find(|r| r.delivery.id == id).unwrap());
        Ok(())
    }
}

#[async_trait]
impl DeliveryOutbox for FakeOutbox {
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let mut unavailable = self.unavailable.lock().unwrap();
        if *unavailable > 0 {
            *unavailable -= 1;
            return Err(StoreError::Unavailable("database is locked".into()));
        }
        let rows = self.rows.lock().unwrap();
        let mut due: Vec<&Row> = rows
            .iter()
            .filter(|r| r.state == DeliveryState::Pending && r.next_attempt_at <= now)
            .collect();
        due.sort_by_key(|r| (r.next_attempt_at, r.delivery.id));
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|r| r.delivery.clone())
            .collect())
    }

    async fn delivered(
        &self,
        id: i64,
        attempts: u32,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut unrecordable = self.unrecordable.lock().unwrap();
        if *unrecordable > 0 {
            *unrecordable -= 1;
            return Err(StoreError::Unavailable("database is locked".into()));
        }
        self.update(id, |r| {
            r.state = DeliveryState::Delivered;
            r.delivery.attempts = attempts;
            r.delivered_calls += 1;
        })
    }

    async fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.update(id, |r| {
            r.delivery.attempts = attempts;
            r.next_attempt_at = next_attempt_at;
            r.last_error = Some(error.to_owned());
        })
    }

    async fn give_up(&self, id: i64, attempts: u32, error: &str) -> Result<(), StoreError> {
        self.update(id, |r| {
            r.state = DeliveryState::Failed;
            r.delivery.attempts = attempts;
            r.last_error = Some(error.to_owned());
        })
    }
}

/// One call to the fake sender.
#[derive(Debug, Clone)]
struct Sent {
    at: Instant,
    url: String,
    secret: String,
    event_id: String,
    body: String,
}

/// A webhook sender replaying scripted outcomes per URL (then succeeding), optionally slow.
#[derive(Default)]
struct FakeSender {
    scripts: Mutex<HashMap<String, VecDeque<Result<(), WebhookError>>>>,
    slow: Mutex<HashMap<String, Duration>>,
    sent: Mutex<Vec<Sent>>,
}

impl FakeSender {
    fn scripted(url: &str, outcomes: Vec<Result<(), WebhookError>>) -> Arc<Self> {
        let sender = Arc::new(Self::default());
        sender
            .scripts
            .lock()
            .unwrap()
            .insert(url.to_owned(), outcomes.into());
        sender
    }

    /// A sender whose attempts to `url` take `delay` (then succeed).
    fn slow(url: &str, delay: Duration) -> Arc<Self> {
        let sender = Arc::new(Self::default());
        sender.slow.lock().unwrap().insert(url.to_owned(), delay);
        sender
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn gaps(&self) -> Vec<Duration> {
        let sent = self.sent();
        sent.windows(2).map(|w| w[1].at - w[0].at).collect()
    }
}

#[async_trait]
impl WebhookSender for FakeSender {
    async fn send(
        &self,
        url: &str,
        secret: &str,
        event_id: &str,
        body: &str,
    ) -> Result<(), WebhookError> {
        self.sent.lock().unwrap().push(Sent {
            at: Instant::now(),
            url: url.into(),
            secret: secret.into(),
            event_id: event_id.into(),
            body: body.into(),
        });
        let slow = self.slow.lock().unwrap().get(url).copied();
        if let Some(delay) = slow {
            tokio::time::sleep(delay).await;
        }
        let next = self
            .scripts
            .lock()
            .unwrap()
            .get_mut(url)
            .and_then(VecDeque::pop_front);
        next.unwrap_or(Ok(()))
    }
}

#[derive(Default)]
struct FakeBus(Mutex<Vec<(Topic, String, Vec<u8>)>>);

#[async_trait]
impl BusPublisher for FakeBus {
    async fn publish(&self, topic: Topic, key: &str, payload: Vec<u8>) -> Result<(), BusError> {
        self.0
            .lock()
            .unwrap()
            .push((topic, key.to_owned(), payload));
        Ok(())
    }
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

fn webhook(id: i64, url: &str) -> PendingDelivery {
    PendingDelivery {
        id,
        event_id: format!("event-{id}"),
        alert_id: 7,
        pair: "EUR/USD".parse().unwrap(),
        target: DeliveryTarget::Webhook {
            url: url.into(),
            secret: "s3cret".into(),
        },
        payload: format!(r#"{{"event_id":"event-{id}"}}"#),
        attempts: 0,
        created_at: Utc::now(),
    }
}

struct Running {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), StoreError>>,
    waker: DeliveryWaker,
}

fn start(
    outbox: Arc<FakeOutbox>,
    bus: Arc<FakeBus>,
    sender: Arc<FakeSender>,
    policy: DeliveryPolicy,
) -> Running {
    let shutdown = CancellationToken::new();
    let waker = DeliveryWaker::new();
    let task = tokio::spawn(delivery::serve(
        outbox,
        bus,
        sender,
        policy,
        waker.clone(),
        shutdown.clone(),
    ));
    Running {
        shutdown,
        task,
        waker,
    }
}

async fn stop(running: Running) {
    running.shutdown.cancel();
    running.task.await.unwrap().unwrap();
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[tokio::test(start_paused = true)]
async fn a_success_marks_the_delivery_delivered_once() {
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    let sender = Arc::new(FakeSender::default());
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender.clone(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(3600.0)).await;
    stop(running).await;
    let row = outbox.row(1);
    assert_eq!(row.state, DeliveryState::Delivered);
    assert_eq!((row.delivered_calls, row.delivery.attempts), (1, 1));
    let sent = sender.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].url.as_str(), sent[0].secret.as_str()),
        ("http://a", "s3cret")
    );
    assert_eq!(sent[0].event_id, "event-1");
    assert_eq!(sent[0].body, r#"{"event_id":"event-1"}"#);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_with_growing_delays_until_delivered() {
    let failure = || Err(WebhookError::transient("HTTP 503 Service Unavailable"));
    let sender = FakeSender::scripted("http://a", vec![failure(), failure(), failure(), failure()]);
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    let policy = DeliveryPolicy::default();
    let running = start(outbox.clone(), Arc::default(), sender.clone(), policy);
    tokio::time::sleep(secs(60.0)).await;
    stop(running).await;
    let row = outbox.row(1);
    assert_eq!(row.state, DeliveryState::Delivered);
    assert_eq!(row.delivery.attempts, 5);
    assert_eq!(
        row.last_error.as_deref(),
        Some("HTTP 503 Service Unavailable")
    );
    // Steps of 1, 2, 4, 8 s with equal jitter, found at the next poll (500 ms).
    let gaps = sender.gaps();
    let poll = policy.poll_interval;
    for (gap, step) in gaps.iter().zip([1.0, 2.0, 4.0, 8.0]) {
        assert!(
            *gap >= secs(step / 2.0) && *gap <= secs(step) + poll,
            "{gaps:?}"
        );
    }
    assert!(gaps.windows(2).all(|w| w[0] <= w[1] + poll), "{gaps:?}");
    assert!(gaps[3] > gaps[0], "{gaps:?}");
}

#[tokio::test(start_paused = true)]
async fn a_refusal_gives_up_at_once_with_its_reason() {
    let refused = WebhookError::permanent("HTTP 410 Gone: the target refused the event");
    let sender = FakeSender::scripted("http://a", vec![Err(refused)]);
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender.clone(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(3600.0)).await;
    stop(running).await;
    let row = outbox.row(1);
    assert_eq!(row.state, DeliveryState::Failed);
    assert_eq!(row.delivery.attempts, 1);
    assert_eq!(
        row.last_error.as_deref(),
        Some("HTTP 410 Gone: the target refused the event")
    );
    assert_eq!(sender.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_delivery_still_failing_after_the_give_up_age_is_given_up() {
    let failures = (0..1000).map(|_| Err(WebhookError::transient("no answer within 10s")));
    let sender = FakeSender::scripted("http://a", failures.collect());
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    let policy = DeliveryPolicy {
        backoff_max: secs(4.0),
        give_up_after: secs(30.0),
        ..DeliveryPolicy::default()
    };
    let running = start(outbox.clone(), Arc::default(), sender.clone(), policy);
    tokio::time::sleep(secs(29.0)).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Pending);
    tokio::time::sleep(secs(6.0)).await;
    let row = outbox.row(1);
    assert_eq!(row.state, DeliveryState::Failed);
    let attempts = row.delivery.attempts;
    assert!(attempts >= 8, "{attempts}");
    let reason = format!("no answer within 10s (gave up after {attempts} attempts)");
    assert_eq!(row.last_error, Some(reason));
    tokio::time::sleep(secs(3600.0)).await;
    stop(running).await;
    assert_eq!(
        sender.sent().len(),
        attempts as usize,
        "no attempt after giving up"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_is_honoured() {
    let throttled = WebhookError::Transient {
        reason: "HTTP 429 Too Many Requests".into(),
        retry_after: Some(secs(90.0)),
    };
    let sender = FakeSender::scripted("http://a", vec![Err(throttled)]);
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender.clone(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(89.0)).await;
    assert_eq!(sender.sent().len(), 1, "retried before the Retry-After");
    tokio::time::sleep(secs(2.0)).await;
    stop(running).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
    let gap = sender.gaps()[0];
    assert!(gap >= secs(90.0) && gap <= secs(90.5), "{gap:?}");
}

#[tokio::test(start_paused = true)]
async fn the_bus_target_publishes_to_fx_alerts_keyed_by_pair() {
    let delivery = PendingDelivery {
        target: DeliveryTarget::Bus,
        pair: "GBP/JPY".parse().unwrap(),
        ..webhook(1, "unused")
    };
    let outbox = FakeOutbox::with(vec![delivery]);
    let bus = Arc::new(FakeBus::default());
    let sender = Arc::new(FakeSender::default());
    let running = start(
        outbox.clone(),
        bus.clone(),
        sender.clone(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(1.0)).await;
    stop(running).await;
    let published = bus.0.lock().unwrap().clone();
    assert_eq!(published.len(), 1);
    let (topic, key, payload) = &published[0];
    assert_eq!((topic.name(), key.as_str()), ("fx-alerts", "GBP/JPY"));
    assert_eq!(payload, br#"{"event_id":"event-1"}"#);
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
    assert!(sender.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_slow_target_does_not_hold_up_the_others() {
    let sender = FakeSender::slow("http://slow", secs(10.0));
    let outbox = FakeOutbox::with(vec![webhook(1, "http://slow"), webhook(2, "http://fast")]);
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender,
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(1.0)).await;
    assert_eq!(outbox.row(2).state, DeliveryState::Delivered);
    assert_eq!(outbox.row(1).state, DeliveryState::Pending);
    tokio::time::sleep(secs(10.0)).await;
    stop(running).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
}

#[tokio::test(start_paused = true)]
async fn a_delivery_due_while_a_slow_attempt_is_in_flight_goes_out_at_once_and_nothing_twice() {
    let sender = FakeSender::slow("http://slow", secs(10.0));
    let outbox = FakeOutbox::with(vec![webhook(1, "http://slow")]);
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender.clone(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(1.0)).await;
    outbox.push(webhook(2, "http://fast"));
    running.waker.wake();
    tokio::time::sleep(secs(0.01)).await;
    assert_eq!(outbox.row(2).state, DeliveryState::Delivered);
    assert_eq!(outbox.row(1).state, DeliveryState::Pending);
    // Twenty polls pass while the slow attempt is in flight; none sends it again.
    tokio::time::sleep(secs(10.0)).await;
    stop(running).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
    let sent: Vec<String> = sender.sent().into_iter().map(|s| s.event_id).collect();
    assert_eq!(sent, ["event-1", "event-2"]);
    assert_eq!(outbox.row(1).delivered_calls, 1);
}

#[tokio::test(start_paused = true)]
async fn an_attempt_whose_outcome_could_not_be_recorded_is_made_again() {
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    *outbox.unrecordable.lock().unwrap() = 1;
    let sender = Arc::new(FakeSender::default());
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender.clone(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(0.1)).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Pending);
    assert_eq!(sender.sent().len(), 1);
    // After the poll interval the store is tried again: sent again, then recorded once.
    tokio::time::sleep(secs(1.0)).await;
    stop(running).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
    assert_eq!(sender.sent().len(), 2);
    assert_eq!(outbox.row(1).delivered_calls, 1);
}

#[tokio::test(start_paused = true)]
async fn a_backlog_larger_than_a_batch_goes_out_without_waiting_for_the_poll() {
    let outbox = FakeOutbox::with((1..=7).map(|id| webhook(id, "http://a")).collect());
    let policy = DeliveryPolicy {
        batch_size: 2,
        poll_interval: secs(3600.0),
        ..DeliveryPolicy::default()
    };
    let sender = Arc::new(FakeSender::default());
    let running = start(outbox.clone(), Arc::default(), sender.clone(), policy);
    tokio::time::sleep(secs(0.1)).await;
    stop(running).await;
    for id in 1..=7 {
        assert_eq!(outbox.row(id).state, DeliveryState::Delivered, "{id}");
    }
    assert_eq!(sender.sent().len(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_wake_delivers_at_once_without_waiting_for_the_poll() {
    let outbox = FakeOutbox::with(Vec::new());
    let policy = DeliveryPolicy {
        poll_interval: secs(3600.0),
        ..DeliveryPolicy::default()
    };
    let running = start(outbox.clone(), Arc::default(), Arc::default(), policy);
    tokio::time::sleep(secs(1.0)).await;
    outbox.push(webhook(1, "http://a"));
    running.waker.wake();
    tokio::time::sleep(secs(0.01)).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
    stop(running).await;
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_store_is_retried_and_never_ends_the_worker() {
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    *outbox.unavailable.lock().unwrap() = 5;
    let running = start(
        outbox.clone(),
        Arc::default(),
        Arc::default(),
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(2.0)).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Pending);
    assert!(!running.task.is_finished());
    tokio::time::sleep(secs(1.0)).await;
    assert_eq!(outbox.row(1).state, DeliveryState::Delivered);
    stop(running).await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_interrupts_an_attempt_in_flight_and_leaves_it_pending() {
    let sender = FakeSender::slow("http://a", secs(30.0));
    let outbox = FakeOutbox::with(vec![webhook(1, "http://a")]);
    let running = start(
        outbox.clone(),
        Arc::default(),
        sender,
        DeliveryPolicy::default(),
    );
    tokio::time::sleep(secs(1.0)).await;
    let started = Instant::now();
    stop(running).await;
    assert!(started.elapsed() < secs(0.1));
    let row = outbox.row(1);
    assert_eq!(
        (row.state, row.delivery.attempts),
        (DeliveryState::Pending, 0)
    );
    assert!(row.next_attempt_at <= Utc::now() + TimeDelta::seconds(1));
}
