//! The alerter: evaluates the active alert rules against each snapshot through a
//! [`RuleIndex`] (crosses included), and records each trigger once, with its deliveries
//! queued in the durable outbox. A batch's triggers, rule states and watermarks are saved
//! in one store transaction, so a restart neither re-fires inside a cooldown nor forgets
//! an armed rule.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fxmon_core::alert::{Metric, Metrics};
use fxmon_core::snapshot::format_time;
use fxmon_core::{
    AlertRule, Pair, PairMap, Rate, RateSnapshot, RuleIndex, RuleState, VolatilityWindow,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::consume::{consume, Handled, SnapshotHandler};
use crate::ports::{
    AlertStore, AlertTrigger, BusError, BusPublisher, BusSubscriber, EvaluationWrite, HistoryQuery,
    Order, RateStore, RuleWrite, StoreError, TriggerWrite,
};
use crate::processor::load_window;

/// What the alerter needs.
pub struct AlerterDeps {
    pub alerts: Arc<dyn AlertStore>,
    /// Rate history: volatility windows and `change_pct` reference rates.
    pub rates: Arc<dyn RateStore>,
    /// Where unparseable messages go.
    pub dead_letters: Arc<dyn BusPublisher>,
    /// Called after triggers were recorded, to wake the delivery worker.
    pub on_recorded: Arc<dyn Fn() + Send + Sync>,
}

/// The `fx-alerts` event: the original's fields plus `event_id`, `triggered_at` and, for
/// `change_pct` and `volatility_above`, the metric `value` that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    pub event_id: String,
    pub alert_id: i64,
    pub pair: String,
    pub condition: String,
    pub threshold: f64,
    pub current_rate: f64,
    pub value: f64,
    pub message: String,
    pub triggered_at: String,
}

/// Rules, their index, and the per-pair series the metrics need.
pub struct Alerter {
    deps: AlerterDeps,
    index: RuleIndex,
    /// The store's rules version the index was built from; `None` forces a reload.
    version: Option<i64>,
    volatility: PairMap<VolatilityWindow>,
    last_seen: HashMap<String, DateTime<Utc>>,
}

impl Alerter {
    /// An alerter; rules load on the first snapshot.
    pub fn new(deps: AlerterDeps) -> Self {
        Self {
            deps,
            index: RuleIndex::new(),
            version: None,
            volatility: PairMap::default(),
            last_seen: HashMap::new(),
        }
    }

    /// Evaluates one snapshot; returns the triggers newly recorded.
    pub async fn evaluate(
        &mut self,
        snapshot: &RateSnapshot,
    ) -> Result<Vec<AlertTrigger>, StoreError> {
        self.evaluate_batch(std::slice::from_ref(snapshot)).await
    }

    /// Evaluates snapshots in bus order with the rules as they are now; returns the
    /// triggers newly recorded. Every rule change of the batch and each source's watermark
    /// are written in one transaction (`AlertStore::record_evaluation`): a crash before it
    /// replays the batch from the same rule states, so it changes the same things again.
    ///
    /// On an error, the index is ahead of the store (snapshots evaluated, their changes not
    /// recorded): it is dropped, with every series, so that evaluating the batch again
    /// starts from what the store holds, as after a restart.
    pub async fn evaluate_batch(
        &mut self,
        snapshots: &[RateSnapshot],
    ) -> Result<Vec<AlertTrigger>, StoreError> {
        let evaluated = self.evaluate_in_order(snapshots).await;
        if evaluated.is_err() {
            self.version = None;
            self.last_seen.clear();
            self.volatility = PairMap::default();
        }
        evaluated
    }

    async fn evaluate_in_order(
        &mut self,
        snapshots: &[RateSnapshot],
    ) -> Result<Vec<AlertTrigger>, StoreError> {
        self.reload_rules().await?;
        let mut evaluation = EvaluationWrite::default();
        for snapshot in snapshots {
            if self.observe(snapshot, &mut evaluation.writes).await? {
                evaluation.mark(&snapshot.source, snapshot.timestamp);
            }
        }
        if evaluation.watermarks.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = self.deps.alerts.record_evaluation(&evaluation).await?;
        let mut recorded = Vec::new();
        for (write, recorded_now) in evaluation.triggers().zip(outcomes) {
            let trigger = &write.trigger;
            if recorded_now {
                tracing::info!(alert_id = trigger.alert_id, pair = %trigger.pair, rate = trigger.rate, "Alert fired.");
                crate::metrics::add(crate::metrics::ALERTS_FIRED, 1);
                recorded.push(trigger.clone());
            } else {
                // Already recorded, or another alerter moved the rule first: this index's
                // view is stale, so rebuild it from the store next time.
                self.version = None;
            }
        }
        if !recorded.is_empty() {
            // Queued durably: wake the delivery worker.
            (self.deps.on_recorded)();
        }
        Ok(recorded)
    }

    /// Evaluates one snapshot against the loaded rules, adding every rule change to
    /// `writes`; false for a snapshot not newer than its source's last (not a new
    /// observation).
    async fn observe(
        &mut self,
        snapshot: &RateSnapshot,
        writes: &mut Vec<RuleWrite>,
    ) -> Result<bool, StoreError> {
        // A replayed, redelivered or out-of-order snapshot is not a new observation: it
        // must not move any rule's state back. The watermark survives restarts.
        if !self.last_seen.contains_key(&snapshot.source) {
            if let Some(mark) = self.deps.alerts.watermark(&snapshot.source).await? {
                self.last_seen.insert(snapshot.source.clone(), mark);
            }
        }
        if self
            .last_seen
            .get(&snapshot.source)
            .is_some_and(|seen| snapshot.timestamp <= *seen)
        {
            return Ok(false);
        }
        let at = snapshot.timestamp;
        let pairs = self.index.pairs();
        let mut fired_count = 0;
        for pair in pairs {
            let Ok(rate) = snapshot.cross(pair) else {
                continue;
            };
            let metrics = self.metrics(pair, rate, at).await?;
            let evaluation = self.index.evaluate(pair, at, &metrics);
            // Sorted by rule id, as the index reports fires.
            let fired_ids: Vec<i64> = evaluation.fired.iter().map(|f| f.rule_id).collect();
            let unfired = |id: &i64| fired_ids.binary_search(id).is_err();
            let quiet: Vec<(i64, RuleState)> = evaluation
                .changed
                .iter()
                .filter(|(id, _)| unfired(id))
                .copied()
                .collect();
            if !quiet.is_empty() {
                writes.push(RuleWrite::States(quiet));
            }
            for fired in &evaluation.fired {
                let rule = &fired.rule;
                writes.push(RuleWrite::Trigger(trigger_write(
                    rule,
                    fired.previous,
                    fired.state,
                    rate.get(),
                    fired.value,
                    at,
                    rule.frequency == fxmon_core::alert::Frequency::Once,
                )));
                fired_count += 1;
            }
            let expired: Vec<i64> = evaluation
                .retired
                .iter()
                .filter(|id| unfired(id))
                .copied()
                .collect();
            if !expired.is_empty() {
                writes.push(RuleWrite::Retire(expired));
            }
        }
        tracing::debug!(source = snapshot.source, as_of = %at, fired = fired_count, "Evaluated a snapshot.");
        self.last_seen.insert(snapshot.source.clone(), at);
        Ok(true)
    }

    /// Rebuilds the index from the store when the rules changed (created, edited, paused,
    /// resumed, retired, deleted), which the store's rules version tells without loading
    /// them. States come from the store, which holds every change the index made.
    async fn reload_rules(&mut self) -> Result<(), StoreError> {
        let version = self.deps.alerts.rules_version().await?;
        if self.version == Some(version) {
            return Ok(());
        }
        let active = self.deps.alerts.active_alerts().await?;
        self.index = RuleIndex::build(active);
        self.version = Some(version);
        Ok(())
    }

    /// The metric values of `pair` at `at`: its rate, its log-return volatility, and its
    /// percent change over each window its rules use.
    async fn metrics(
        &mut self,
        pair: Pair,
        rate: Rate,
        at: DateTime<Utc>,
    ) -> Result<Observed, StoreError> {
        let volatility = if self.volatility.contains_key(&pair) {
            self.volatility.get_mut(&pair).expect("checked")
        } else {
            let window = load_window(self.deps.rates.as_ref(), pair).await?;
            self.volatility.entry(pair).or_insert(window)
        };
        volatility.push(at, rate);
        let mut changes = Vec::new();
        for window in self.index.windows(pair) {
            let since = at - TimeDelta::seconds(i64::from(window));
            let reference = HistoryQuery {
                pair,
                from: None,
                to: Some(since),
                limit: 1,
                offset: 0,
                order: Order::Desc,
            };
            let points = self.deps.rates.history(&reference).await?;
            if let Some(point) = points.first() {
                changes.push((window, (rate.get() / point.rate - 1.0) * 100.0));
            }
        }
        Ok(Observed {
            rate: rate.get(),
            volatility: volatility.volatility().log_return,
            changes,
        })
    }
}

/// One pair's metric values at one observation.
struct Observed {
    rate: f64,
    volatility: Option<f64>,
    changes: Vec<(u32, f64)>,
}

impl Metrics for Observed {
    fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Rate => Some(self.rate),
            Metric::Volatility => self.volatility,
            Metric::ChangePct { window_seconds } => self
                .changes
                .iter()
                .find(|(w, _)| *w == window_seconds)
                .map(|(_, change)| *change),
        }
    }
}

fn trigger_write(
    rule: &AlertRule,
    previous: RuleState,
    state: RuleState,
    rate: f64,
    value: f64,
    at: DateTime<Utc>,
    retire: bool,
) -> TriggerWrite {
    let trigger = AlertTrigger {
        // Deterministic: the same rule on the same observation always has the same id.
        event_id: format!("{}-{}", rule.id, at.timestamp_micros()),
        alert_id: rule.id,
        pair: rule.pair,
        condition: rule.condition,
        threshold: rule.threshold,
        rate,
        message: rule.message(value),
        triggered_at: at,
    };
    let event = AlertEvent {
        event_id: trigger.event_id.clone(),
        alert_id: rule.id,
        pair: rule.pair.to_string(),
        condition: rule.condition.to_string(),
        threshold: rule.threshold,
        current_rate: rate,
        value,
        message: trigger.message.clone(),
        triggered_at: format_time(at),
    };
    TriggerWrite {
        trigger,
        event: serde_json::to_string(&event).expect("plain fields serialize"),
        previous: Some(previous),
        state,
        retire,
    }
}

#[async_trait::async_trait]
impl SnapshotHandler for Alerter {
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError> {
        self.evaluate(snapshot).await?;
        Ok(Handled)
    }

    async fn handle_batch(&mut self, snapshots: &[RateSnapshot]) -> Result<Handled, StoreError> {
        self.evaluate_batch(snapshots).await?;
        Ok(Handled)
    }
}

/// Consumes `fx-rates` until `shutdown`.
pub async fn serve(
    alerter: Alerter,
    subscriber: Box<dyn BusSubscriber>,
    retry: Duration,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    crate::metrics::start_alerter();
    let dead_letters = alerter.deps.dead_letters.clone();
    consume(alerter, subscriber, dead_letters, retry, shutdown).await
}
