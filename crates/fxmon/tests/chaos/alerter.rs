//! A `fxmon alerter` SIGKILLed at random while it evaluates, then restarted: each trigger
//! of two edge alerts is recorded exactly once, and a snapshot delivered again after a
//! restart records nothing new and keeps its trigger's `event_id`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_app::ports::{AlertStore, NewAlert};
use fxmon_core::{AlertRule, Condition, Pair};

use crate::cluster::Cluster;
use crate::crash::Role;
use crate::pg;
use crate::plan::{Plan, Rng};
use crate::snapshots::{Series, EUR_THRESHOLD, GBP_THRESHOLD};
use crate::tally::{tally, Item};

/// An edge rule as the test understands it, independently of the alerter's code: it
/// starts disarmed, arms on the near side (at or on it), fires when armed and strictly
/// past the threshold, then disarms; no cooldown.
struct Edge {
    id: i64,
    code: &'static str,
    threshold: f64,
    above: bool,
}

impl Edge {
    fn fires(&self, series: &Series, steps: std::ops::Range<usize>) -> Vec<Item> {
        let mut armed = false;
        let mut fires = Vec::new();
        for step in steps {
            let rate = series.rate(self.code, self.threshold, step);
            let past = if self.above {
                rate > self.threshold
            } else {
                rate < self.threshold
            };
            if armed && past {
                armed = false;
                let micros = series.time(step).timestamp_micros();
                fires.push((self.id.to_string(), micros, rate.to_bits()));
            } else if !past {
                armed = true;
            }
        }
        fires
    }
}

async fn create(store: &PgStore, code: &'static str, condition: Condition, threshold: f64) -> Edge {
    let pair = Pair::parse(&format!("USD/{code}")).unwrap();
    let mut rule = AlertRule::new(0, pair, condition, threshold);
    rule.cooldown_seconds = 0;
    let new = NewAlert {
        rule,
        webhook_url: None,
        webhook_secret: None,
        owner: Default::default(),
    };
    let id = store.create_alert(&new).await.unwrap().rule.id;
    let above = condition == Condition::CrossesAbove;
    Edge {
        id,
        code,
        threshold,
        above,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alerter_killed_at_random_records_each_trigger_once() {
    let plan = Plan::from_env();
    let folder = tempfile::tempdir().unwrap();
    let Some(cluster) = Cluster::start(folder.path(), "a") else {
        return;
    };
    let started = Instant::now();
    let url = cluster.database.url.clone();
    let store = PgStore::connect(&url, PgOptions::default()).await.unwrap();
    let rules = [
        create(&store, "EUR", Condition::CrossesAbove, EUR_THRESHOLD).await,
        create(&store, "GBP", Condition::CrossesBelow, GBP_THRESHOLD).await,
    ];
    drop(store);
    // Even, so the last step is one where USD/EUR fires.
    let steps = plan.alert_snapshots.div_ceil(2) * 2;
    let series = Series::new(&cluster.tag);
    let snapshots: Vec<_> = (0..steps).map(|s| series.snapshot(s)).collect();
    cluster.publish(&snapshots).await;
    let expected: Vec<Item> = rules
        .iter()
        .flat_map(|r| r.fires(&series, 0..steps))
        .collect();

    let env = cluster.env();
    let mut alerter = Role {
        folder: folder.path(),
        name: "alerter",
        args: &["alerter"],
        env: &env,
        progress: || pg::count(&url, "SELECT count(*) FROM alert_history"),
        target: expected.len() as u64,
    };
    let mut rng = Rng::new(plan.seed ^ 0xa1e7);
    let kills = alerter.kill_repeatedly(&plan, &mut rng).await;
    assert_eq!(
        alerter
            .finish("final", Duration::from_secs(300))
            .await
            .terminate(),
        Some(0)
    );
    let last = series.time(steps - 1).timestamp_micros();
    let before = event_id(&url, rules[0].id, last);

    // Redelivery: the last snapshot again (as after a crash before its commit), then two
    // new ones, to a restarted alerter; the new fires prove the duplicate was consumed.
    let again = [
        series.snapshot(steps - 1),
        series.snapshot(steps),
        series.snapshot(steps + 1),
    ];
    cluster.publish(&again).await;
    let expected: Vec<Item> = rules
        .iter()
        .flat_map(|r| r.fires(&series, 0..steps + 2))
        .collect();
    alerter.target = expected.len() as u64;
    let last_run = alerter.finish("redelivery", Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(last_run.terminate(), Some(0));

    assert_eq!(
        event_id(&url, rules[0].id, last),
        before,
        "redelivery keeps the event_id"
    );
    let rows = pg::query(
        &url,
        "SELECT alert_id, (extract(epoch FROM triggered_at) * 1000000)::bigint, rate, event_id \
         FROM alert_history",
    );
    let ids: HashSet<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "event_ids are distinct");
    let stored: Vec<Item> = rows
        .iter()
        .map(|r| {
            let rate: f64 = r[2].parse().unwrap();
            (r[0].clone(), r[1].parse().unwrap(), rate.to_bits())
        })
        .collect();
    tally(&expected, &stored).report(
        "alerter",
        &format!(
            "snapshots={} kills={kills} seed={} redelivered_event_id={before} took={:.1?}",
            steps + 2,
            plan.seed,
            started.elapsed()
        ),
    );
}

/// The `event_id` of the single trigger of `alert_id` at `micros`.
fn event_id(url: &str, alert_id: i64, micros: i64) -> String {
    let rows = pg::query(
        url,
        &format!(
            "SELECT event_id FROM alert_history WHERE alert_id = {alert_id} \
             AND (extract(epoch FROM triggered_at) * 1000000)::bigint = {micros}"
        ),
    );
    assert_eq!(
        rows.len(),
        1,
        "one trigger of alert {alert_id} at {micros}: {rows:?}"
    );
    rows[0][0].clone()
}
