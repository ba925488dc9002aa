//! The alerter: evaluates active alert rules against each snapshot (crosses included),
//! records each trigger once in `alert_history` and publishes it to `fx-alerts`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fxmon_core::snapshot::format_time;
use fxmon_core::{AlertRule, ArmState, RateSnapshot};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::consume::{consume, Handled, SnapshotHandler};
use crate::ports::{
    AlertStore, AlertTrigger, BusError, BusPublisher, BusSubscriber, StoreError, Topic,
};

/// What the alerter needs.
pub struct AlerterDeps {
    pub store: Arc<dyn AlertStore>,
    pub bus: Arc<dyn BusPublisher>,
}

/// The `fx-alerts` event: the seed's fields plus `event_id` and `triggered_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    pub event_id: String,
    pub alert_id: i64,
    pub pair: String,
    pub condition: String,
    pub threshold: f64,
    pub current_rate: f64,
    pub message: String,
    pub triggered_at: String,
}

impl From<&AlertTrigger> for AlertEvent {
    fn from(t: &AlertTrigger) -> Self {
        Self {
            event_id: t.event_id.clone(),
            alert_id: t.alert_id,
            pair: t.pair.to_string(),
            condition: t.condition.to_string(),
            threshold: t.threshold,
            current_rate: t.rate,
            message: t.message.clone(),
            triggered_at: format_time(t.triggered_at),
        }
    }
}

/// Rule evaluation with per-rule arm state.
pub struct Alerter {
    deps: AlerterDeps,
    armed: HashMap<i64, ArmState>,
    last_seen: HashMap<String, DateTime<Utc>>,
}

impl Alerter {
    /// An alerter with every rule armed.
    pub fn new(deps: AlerterDeps) -> Self {
        Self {
            deps,
            armed: HashMap::new(),
            last_seen: HashMap::new(),
        }
    }

    /// Evaluates every active rule; returns the triggers newly recorded.
    pub async fn evaluate(
        &mut self,
        snapshot: &RateSnapshot,
    ) -> Result<Vec<AlertTrigger>, StoreError> {
        // A replayed or out-of-order snapshot is not a new observation.
        if self
            .last_seen
            .get(&snapshot.source)
            .is_some_and(|seen| snapshot.timestamp <= *seen)
        {
            return Ok(Vec::new());
        }
        let rules = self.deps.store.active_alerts().await?;
        let mut fired = Vec::new();
        for rule in &rules {
            let Ok(rate) = snapshot.cross(rule.pair) else {
                continue;
            };
            if self.armed.entry(rule.id).or_default().observe(rule, rate) {
                fired.push(trigger(rule, rate.get(), snapshot.timestamp));
            }
        }
        let mut recorded = Vec::new();
        for trigger in fired {
            if self.deps.store.record_trigger(&trigger).await? {
                recorded.push(trigger);
            }
        }
        self.last_seen
            .insert(snapshot.source.clone(), snapshot.timestamp);
        Ok(recorded)
    }
}

fn trigger(rule: &AlertRule, rate: f64, as_of: DateTime<Utc>) -> AlertTrigger {
    AlertTrigger {
        // Deterministic: the same rule on the same observation always has the same id.
        event_id: format!("{}-{}", rule.id, as_of.timestamp_micros()),
        alert_id: rule.id,
        pair: rule.pair,
        condition: rule.condition,
        threshold: rule.threshold,
        rate,
        message: rule.message(fxmon_core::Rate::new(rate).expect("came from a Rate")),
        triggered_at: as_of,
    }
}

#[async_trait::async_trait]
impl SnapshotHandler for Alerter {
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError> {
        for trigger in self.evaluate(snapshot).await? {
            tracing::info!(alert_id = trigger.alert_id, pair = %trigger.pair, rate = trigger.rate, "Alert fired.");
            let event =
                serde_json::to_vec(&AlertEvent::from(&trigger)).expect("plain fields serialize");
            if let Err(error) = self
                .deps
                .bus
                .publish(Topic::Alerts, &trigger.pair.to_string(), event)
                .await
            {
                tracing::warn!(
                    event_id = trigger.event_id,
                    "Publishing an alert event failed: {error}"
                );
            }
        }
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
    let dead_letters = alerter.deps.bus.clone();
    consume(alerter, subscriber, dead_letters, retry, shutdown).await
}
