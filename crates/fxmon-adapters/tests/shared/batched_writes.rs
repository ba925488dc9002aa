//! Cases both stores must pass, run by `tests/sqlite_alerts` and `tests/postgres`:
//! `record_evaluation` applies a batch's rule writes and watermarks in one transaction,
//! each trigger in a savepoint of its own, and `record_steps` records a delivery round's
//! outcomes together or not at all.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use fxmon_app::ports::{
    AlertRecord, AlertStore, AlertTrigger, DeliveryOutbox, DeliveryState, DeliveryStep,
    EvaluationWrite, NewAlert, RuleWrite, StoreError, TriggerFilter, TriggerRecord, TriggerWrite,
};
use fxmon_core::{AlertRule, Condition, Pair, RuleState};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// The first moment a store cannot hold.
fn year_10000() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(10000, 1, 1)
        .unwrap()
        .and_time(NaiveTime::MIN)
        .and_utc()
}

async fn alert(
    store: &dyn AlertStore,
    pair: &str,
    condition: Condition,
    webhook_url: Option<&str>,
) -> AlertRecord {
    let new = NewAlert {
        rule: AlertRule::new(0, Pair::parse(pair).unwrap(), condition, 0.85),
        webhook_url: webhook_url.map(str::to_owned),
        webhook_secret: webhook_url.map(|_| "k".to_owned()),
        owner: Default::default(),
    };
    store.create_alert(&new).await.unwrap()
}

/// A fire of `alert_id` at `at_text`, computed from `previous` (`None`: unconditional).
fn fired_from(
    previous: Option<RuleState>,
    event_id: &str,
    alert_id: i64,
    at_text: &str,
) -> TriggerWrite {
    let triggered_at = at(at_text);
    TriggerWrite {
        trigger: AlertTrigger {
            event_id: event_id.to_owned(),
            alert_id,
            pair: Pair::parse("USD/EUR").unwrap(),
            condition: Condition::Below,
            threshold: 0.85,
            rate: 0.8412,
            message: "USD/EUR is 0.8412, below 0.85".to_owned(),
            triggered_at,
        },
        event: format!(r#"{{"event_id":"{event_id}"}}"#),
        previous,
        state: RuleState {
            armed: false,
            last_fired_at: Some(triggered_at),
        },
        retire: false,
    }
}

fn armed() -> RuleState {
    RuleState {
        armed: true,
        last_fired_at: None,
    }
}

fn batch(writes: Vec<RuleWrite>, watermark: &str) -> EvaluationWrite {
    EvaluationWrite {
        writes,
        watermarks: vec![("sim".to_owned(), at(watermark))],
    }
}

/// Every recorded trigger, newest first.
async fn recorded(store: &dyn AlertStore) -> Vec<TriggerRecord> {
    let all = TriggerFilter {
        limit: 100,
        offset: 0,
        alert_id: None,
        pair: None,
        owner: Default::default(),
    };
    store.triggers(&all).await.unwrap()
}

async fn event_ids(store: &dyn AlertStore) -> Vec<String> {
    let records = recorded(store).await;
    records.into_iter().map(|r| r.trigger.event_id).collect()
}

async fn deliveries(store: &dyn AlertStore) -> usize {
    recorded(store)
        .await
        .iter()
        .map(|r| r.deliveries.len())
        .sum()
}

async fn state(store: &dyn AlertStore, id: i64) -> RuleState {
    store.get_alert(id).await.unwrap().unwrap().state
}

pub async fn a_batch_is_applied_in_order_with_its_watermarks(store: &dyn AlertStore) {
    let a = alert(store, "USD/EUR", Condition::Below, None).await.rule;
    let b = alert(store, "EUR/GBP", Condition::Above, None).await.rule;
    let first = fired_from(Some(armed()), "e1", a.id, "2026-10-30T10:00:00Z");
    let rearmed = RuleState {
        armed: true,
        last_fired_at: first.state.last_fired_at,
    };
    let second = fired_from(Some(rearmed), "e2", a.id, "2026-10-30T10:05:00Z");
    let evaluation = batch(
        vec![
            RuleWrite::Trigger(first.clone()),
            RuleWrite::States(vec![(a.id, rearmed)]),
            RuleWrite::Trigger(second.clone()),
            RuleWrite::Retire(vec![b.id]),
        ],
        "2026-10-30T10:05:00Z",
    );
    assert_eq!(
        store.record_evaluation(&evaluation).await.unwrap(),
        [true, true]
    );

    assert_eq!(event_ids(store).await, ["e2", "e1"]);
    assert_eq!(deliveries(store).await, 2);
    assert_eq!(state(store, a.id).await, second.state);
    assert!(!store.get_alert(b.id).await.unwrap().unwrap().active);
    assert_eq!(
        store.watermark("sim").await.unwrap(),
        Some(at("2026-10-30T10:05:00Z"))
    );
}

pub async fn a_stale_trigger_is_skipped_and_the_rest_of_the_batch_stands(store: &dyn AlertStore) {
    let a = alert(store, "USD/EUR", Condition::Below, None).await.rule;
    let b = alert(store, "EUR/GBP", Condition::Above, None).await.rule;
    // Computed from a state the store does not hold: another alerter moved the rule.
    let moved = RuleState {
        armed: false,
        last_fired_at: Some(at("2026-10-30T09:00:00Z")),
    };
    let stale = fired_from(Some(moved), "e1", a.id, "2026-10-30T10:00:00Z");
    let fresh = fired_from(Some(armed()), "e2", b.id, "2026-10-30T10:00:00Z");
    let evaluation = batch(
        vec![RuleWrite::Trigger(stale), RuleWrite::Trigger(fresh.clone())],
        "2026-10-30T10:00:00Z",
    );
    assert_eq!(
        store.record_evaluation(&evaluation).await.unwrap(),
        [false, true]
    );
    assert_eq!(event_ids(store).await, ["e2"]);
    assert_eq!(deliveries(store).await, 1);
    assert_eq!(state(store, a.id).await, armed());
    assert_eq!(state(store, b.id).await, fresh.state);
}

pub async fn a_replayed_trigger_whose_rule_state_matches_changes_nothing(store: &dyn AlertStore) {
    let a = alert(store, "USD/EUR", Condition::Below, None).await.rule;
    let b = alert(store, "EUR/GBP", Condition::Above, None).await.rule;
    let first = fired_from(Some(armed()), "e1", a.id, "2026-10-30T10:00:00Z");
    assert!(store.record_trigger(&first).await.unwrap());
    // Re-armed since: the replay's compare-and-set matches, its event id does not insert.
    store.save_states(&[(a.id, armed())]).await.unwrap();
    let held = RuleState {
        armed: false,
        last_fired_at: None,
    };
    let evaluation = batch(
        vec![
            RuleWrite::Trigger(first),
            RuleWrite::States(vec![(b.id, held)]),
        ],
        "2026-10-30T10:00:00Z",
    );
    assert_eq!(store.record_evaluation(&evaluation).await.unwrap(), [false]);
    assert_eq!(recorded(store).await.len(), 1);
    assert_eq!(deliveries(store).await, 1);
    assert_eq!(state(store, a.id).await, armed());
    assert_eq!(state(store, b.id).await, held);
}

pub async fn a_batch_that_fails_leaves_nothing_behind(store: &dyn AlertStore) {
    let a = alert(store, "USD/EUR", Condition::Below, None).await.rule;
    store
        .set_watermark("sim", at("2026-10-30T09:00:00Z"))
        .await
        .unwrap();
    let held = RuleState {
        armed: false,
        last_fired_at: None,
    };
    let evaluation = batch(
        vec![
            RuleWrite::States(vec![(a.id, held)]),
            RuleWrite::Trigger(fired_from(
                Some(armed()),
                "e1",
                a.id,
                "2026-10-30T10:00:00Z",
            )),
            // Unconditional, for an alert that does not exist: rejected.
            RuleWrite::Trigger(fired_from(None, "e2", 42, "2026-10-30T10:00:00Z")),
        ],
        "2026-10-30T10:00:00Z",
    );
    let error = store.record_evaluation(&evaluation).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(recorded(store).await.len(), 0);
    assert_eq!(deliveries(store).await, 0);
    assert_eq!(state(store, a.id).await, armed());
    assert_eq!(
        store.watermark("sim").await.unwrap(),
        Some(at("2026-10-30T09:00:00Z"))
    );
}

pub async fn a_rounds_steps_are_recorded_together_or_not_at_all<S>(store: &S)
where
    S: AlertStore + DeliveryOutbox,
{
    let id = alert(
        store,
        "USD/EUR",
        Condition::Below,
        Some("https://hooks.example.com/fx"),
    )
    .await
    .rule
    .id;
    let write = fired_from(Some(armed()), "e1", id, "2026-10-30T10:00:00Z");
    assert!(store.record_trigger(&write).await.unwrap());
    let due = store.due_deliveries(Utc::now(), 100).await.unwrap();
    let [bus, webhook] = &due[..] else {
        panic!("{due:?}")
    };
    let sent_at = at("2026-10-30T10:00:01Z");
    let later = Utc::now() + TimeDelta::seconds(30);
    let retry = |attempts, at| DeliveryStep::Retry {
        attempts,
        at,
        reason: "HTTP 503".to_owned(),
    };
    let steps = [
        (
            bus.id,
            DeliveryStep::Delivered {
                attempts: 1,
                at: sent_at,
            },
        ),
        (webhook.id, retry(1, later)),
    ];
    store.record_steps(&steps).await.unwrap();
    let [delivered, retried] = &recorded(store).await[0].deliveries[..] else {
        panic!()
    };
    assert_eq!(
        (delivered.state, delivered.delivered_at),
        (DeliveryState::Delivered, Some(sent_at))
    );
    assert_eq!(
        (
            retried.state,
            retried.attempts,
            retried.last_error.as_deref()
        ),
        (DeliveryState::Pending, 1, Some("HTTP 503"))
    );

    // The second step cannot be stored: the first is rolled back with it.
    let give_up = DeliveryStep::GiveUp {
        attempts: 2,
        reason: "refused".to_owned(),
    };
    let failing = [(webhook.id, give_up), (webhook.id, retry(2, year_10000()))];
    let error = store.record_steps(&failing).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(recorded(store).await[0].deliveries[1], *retried);
}
