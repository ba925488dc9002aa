//! The alerter over a real SQLite store: timelines of cooldown and re-arming, a restart in
//! the middle of a cooldown, replays, `change_pct` and `volatility_above` on stored
//! history, `once` and expiry — each trigger recorded once, with its deliveries queued.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use fxmon_adapters::memory::MemoryBus;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::alerter::{Alerter, AlerterDeps};
use fxmon_app::ports::{
    AlertStore, DeliveryOutbox, NewAlert, RateStore, StoredRate, TriggerFilter,
};
use fxmon_core::alert::{Direction, Frequency};
use fxmon_core::{AlertRule, Condition, Currency, Pair, Rate, RateSnapshot};

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + second, 0).unwrap()
}

fn pair(s: &str) -> Pair {
    Pair::parse(s).unwrap()
}

fn snapshot(second: i64, eur: f64) -> RateSnapshot {
    let rates: BTreeMap<Pair, Rate> = [("USD/EUR", eur), ("USD/GBP", 0.75)]
        .into_iter()
        .map(|(p, v)| (pair(p), Rate::new(v).unwrap()))
        .collect();
    RateSnapshot::new(at(second), Currency::USD, rates, "test").unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    wakes: Arc<AtomicUsize>,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(&dir.path().join("fxmon.db"))
                .await
                .unwrap(),
        );
        Self {
            _dir: dir,
            store,
            wakes: Arc::default(),
        }
    }

    fn alerter(&self) -> Alerter {
        let wakes = self.wakes.clone();
        Alerter::new(AlerterDeps {
            alerts: self.store.clone(),
            rates: self.store.clone(),
            dead_letters: Arc::new(MemoryBus::new(1)),
            on_recorded: Arc::new(move || {
                wakes.fetch_add(1, Ordering::SeqCst);
            }),
        })
    }

    async fn alert(&self, rule: AlertRule, webhook: Option<&str>) -> i64 {
        let new = NewAlert {
            rule,
            webhook_url: webhook.map(str::to_owned),
            webhook_secret: webhook.map(|_| "s3cret".to_owned()),
            owner: Default::default(),
        };
        self.store.create_alert(&new).await.unwrap().rule.id
    }

    /// Stores the snapshot's rows (the processor's job) and evaluates it.
    async fn feed(&self, alerter: &mut Alerter, snapshot: &RateSnapshot) -> Vec<i64> {
        let rows: Vec<StoredRate> = snapshot
            .rates
            .iter()
            .map(|(p, r)| StoredRate {
                pair: *p,
                rate: *r,
                timestamp: snapshot.timestamp,
                source: snapshot.source.clone(),
            })
            .collect();
        self.store.insert_rates(&rows).await.unwrap();
        alerter
            .evaluate(snapshot)
            .await
            .unwrap()
            .iter()
            .map(|t| t.alert_id)
            .collect()
    }

    async fn history(&self, alert_id: i64) -> Vec<DateTime<Utc>> {
        let filter = TriggerFilter {
            limit: 1000,
            offset: 0,
            alert_id: Some(alert_id),
            pair: None,
            owner: Default::default(),
        };
        let mut times: Vec<_> = self
            .store
            .triggers(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.trigger.triggered_at)
            .collect();
        times.reverse();
        times
    }
}

fn rule(pair_name: &str, condition: Condition, threshold: f64, cooldown: u32) -> AlertRule {
    let mut rule = AlertRule::new(0, pair(pair_name), condition, threshold);
    rule.cooldown_seconds = cooldown;
    rule
}

#[tokio::test]
async fn one_episode_one_notification_with_cooldown_and_rearm_over_a_timeline() {
    let setup = Setup::new().await;
    let id = setup
        .alert(rule("USD/EUR", Condition::Below, 0.85, 300), None)
        .await;
    let mut alerter = setup.alerter();
    // Minute by minute: fires at 1; same episode at 2; clears at 3; met again at 4, inside
    // the 300 s cooldown (held), still met at 6 = 300 s after the fire → fires; clears at
    // 7; met again at 9, held until 11 (300 s after 6) → fires.
    let path = [
        0.86, 0.84, 0.83, 0.86, 0.84, 0.84, 0.84, 0.86, 0.87, 0.84, 0.84, 0.84,
    ];
    for (minute, eur) in path.iter().enumerate() {
        setup
            .feed(&mut alerter, &snapshot(60 * minute as i64, *eur))
            .await;
    }
    assert_eq!(setup.history(id).await, [at(60), at(360), at(660)]);
    assert_eq!(
        setup.wakes.load(Ordering::SeqCst),
        3,
        "the delivery worker is woken per recording"
    );
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_cooldown_does_not_fire_again() {
    let setup = Setup::new().await;
    let id = setup
        .alert(rule("USD/EUR", Condition::Below, 0.85, 3600), None)
        .await;
    let mut first = setup.alerter();
    setup.feed(&mut first, &snapshot(0, 0.84)).await;
    setup.feed(&mut first, &snapshot(60, 0.86)).await; // clears: re-armed, saved
    drop(first);

    let mut second = setup.alerter();
    assert!(
        setup
            .feed(&mut second, &snapshot(120, 0.84))
            .await
            .is_empty(),
        "inside the cooldown"
    );
    assert!(setup
        .feed(&mut second, &snapshot(1800, 0.84))
        .await
        .is_empty());
    drop(second);
    let mut third = setup.alerter();
    assert_eq!(
        setup.feed(&mut third, &snapshot(3600, 0.84)).await,
        [id],
        "the cooldown has passed"
    );
    assert_eq!(setup.history(id).await, [at(0), at(3600)]);
}

#[tokio::test]
async fn replaying_every_snapshot_records_nothing_new() {
    let setup = Setup::new().await;
    let id = setup
        .alert(
            rule("EUR/GBP", Condition::CrossesAbove, 0.87, 0),
            Some("http://127.0.0.1:9/hook"),
        )
        .await;
    let snapshots: Vec<RateSnapshot> = [0.87, 0.86, 0.87, 0.86, 0.85]
        .iter()
        .enumerate()
        .map(|(i, e)| snapshot(60 * i as i64, *e))
        .collect();
    let mut alerter = setup.alerter();
    for s in &snapshots {
        setup.feed(&mut alerter, s).await;
    }
    // EUR/GBP = 0.75 / USD/EUR: 0.862, 0.872 (crosses), 0.862, 0.872 (crosses), 0.882.
    let fired = setup.history(id).await;
    assert_eq!(fired, [at(60), at(180)]);
    let outbox = setup
        .store
        .due_deliveries(Utc::now() + chrono::TimeDelta::days(1), 100)
        .await
        .unwrap();
    assert_eq!(outbox.len(), 4, "a bus and a webhook delivery per trigger");

    let mut again = setup.alerter();
    for s in &snapshots {
        assert!(setup.feed(&mut again, s).await.is_empty());
        assert!(setup.feed(&mut alerter, s).await.is_empty());
    }
    assert_eq!(setup.history(id).await, fired);
    assert_eq!(
        setup
            .store
            .due_deliveries(Utc::now() + chrono::TimeDelta::days(1), 100)
            .await
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn change_pct_compares_with_the_stored_rate_a_window_ago() {
    let setup = Setup::new().await;
    let mut up = rule("USD/EUR", Condition::ChangePct, 1.0, 0);
    up.window_seconds = Some(3600);
    up.direction = Some(Direction::Up);
    let id = setup.alert(up, None).await;
    let mut alerter = setup.alerter();
    setup.feed(&mut alerter, &snapshot(0, 0.8000)).await;
    // 30 min later +2 %, but nothing is stored an hour back yet: no reference, no fire.
    assert!(setup
        .feed(&mut alerter, &snapshot(1800, 0.8160))
        .await
        .is_empty());
    // At 1 h: +0.99 % over the rate at 0 → not yet.
    assert!(setup
        .feed(&mut alerter, &snapshot(3600, 0.80792))
        .await
        .is_empty());
    // At 70 min the reference is the last rate stored at or before 10 min: 0.8000 (at 0),
    // so +1.05 % → fires.
    assert_eq!(
        setup.feed(&mut alerter, &snapshot(4200, 0.8084)).await,
        [id]
    );
}

#[tokio::test]
async fn volatility_above_uses_the_unit_free_volatility_of_stored_updates() {
    let setup = Setup::new().await;
    let id = setup
        .alert(rule("USD/EUR", Condition::VolatilityAbove, 0.01, 0), None)
        .await;
    let mut alerter = setup.alerter();
    let mut fired = Vec::new();
    for (i, eur) in [0.85, 0.851, 0.850, 0.851, 0.80, 0.86, 0.79]
        .iter()
        .enumerate()
    {
        fired.extend(
            setup
                .feed(&mut alerter, &snapshot(60 * i as i64, *eur))
                .await,
        );
    }
    assert_eq!(
        fired,
        [id],
        "fires once when the swings begin, not on the calm start"
    );
    let times = setup.history(id).await;
    assert_eq!(times, [at(240)]);
}

#[tokio::test]
async fn a_once_alert_deactivates_after_firing_and_an_expired_alert_never_fires() {
    let setup = Setup::new().await;
    let mut once = rule("USD/EUR", Condition::Above, 0.85, 0);
    once.frequency = Frequency::Once;
    let once = setup.alert(once, None).await;
    let mut expiring = rule("USD/EUR", Condition::Below, 0.85, 0);
    expiring.expires_at = Some(at(90));
    let expiring = setup.alert(expiring, None).await;
    let mut alerter = setup.alerter();
    assert_eq!(setup.feed(&mut alerter, &snapshot(0, 0.86)).await, [once]);
    assert!(!setup.store.get_alert(once).await.unwrap().unwrap().active);
    assert!(setup
        .feed(&mut alerter, &snapshot(60, 0.84))
        .await
        .contains(&expiring));
    assert!(setup
        .feed(&mut alerter, &snapshot(120, 0.86))
        .await
        .is_empty());
    assert!(
        setup
            .feed(&mut alerter, &snapshot(180, 0.84))
            .await
            .is_empty(),
        "expired at 90 s"
    );
    assert!(
        !setup
            .store
            .get_alert(expiring)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    assert_eq!(setup.history(once).await.len(), 1);
}

#[tokio::test]
async fn two_alerters_seeing_the_same_pair_from_different_sources_fire_a_rule_once() {
    let setup = Setup::new().await;
    let id = setup
        .alert(rule("USD/EUR", Condition::Below, 0.85, 3600), None)
        .await;
    let (mut left, mut right) = (setup.alerter(), setup.alerter());
    // Both load the rule armed, then each sees USD/EUR below 0.85 from its own source.
    let from = |source: &str, second: i64| {
        let mut s = snapshot(second, 0.84);
        s.source = source.to_owned();
        s
    };
    let mut fired = setup.feed(&mut left, &from("a", 0)).await;
    fired.extend(setup.feed(&mut right, &from("b", 1)).await);
    assert_eq!(
        fired,
        [id],
        "the second alerter's fire was computed from a stale state"
    );
    assert_eq!(setup.history(id).await.len(), 1);
    // The loser rebuilt its view from the store: the episode goes on, nothing new fires.
    assert!(setup.feed(&mut right, &from("b", 2)).await.is_empty());
}
