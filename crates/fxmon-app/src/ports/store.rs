//! Durable storage of rates and alerts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_core::{AlertRule, Condition, Pair, Rate, RuleState};

/// Boxed cause of a store failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Worth retrying: the database is down, busy or timed out.
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// Not worth retrying: the data or the query is wrong.
    #[error("the store rejected the operation: {0}")]
    Rejected(#[source] BoxError),
}

/// One stored rate: a row of `fx_rates`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRate {
    pub pair: Pair,
    pub rate: Rate,
    /// The provider's as-of time.
    pub timestamp: DateTime<Utc>,
    pub source: String,
}

/// One point of a pair's history.
#[derive(Debug, Clone, PartialEq)]
pub struct RatePoint {
    pub timestamp: DateTime<Utc>,
    pub rate: f64,
    pub source: String,
}

/// Time order of a history answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// What history to read.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryQuery {
    pub pair: Pair,
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Inclusive upper bound.
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u32,
    pub order: Order,
}

impl HistoryQuery {
    /// The newest `limit` points of `pair`, newest first.
    pub fn latest(pair: Pair, limit: u32) -> Self {
        Self {
            pair,
            from: None,
            to: None,
            limit,
            offset: 0,
            order: Order::Desc,
        }
    }
}

/// Rate history.
#[async_trait]
pub trait RateStore: Send + Sync {
    /// Inserts rows, skipping any already stored with the same (pair, timestamp, source),
    /// all or nothing. Returns how many rows were new.
    async fn insert_rates(&self, rows: &[StoredRate]) -> Result<u64, StoreError>;

    /// A pair's history. Answers any pair whose legs are stored: directly (A/B), inverted
    /// (B/A), or as a cross of two rows with a common base, the same timestamp and the same
    /// source (USD/JPY = EUR/JPY ÷ EUR/USD).
    async fn history(&self, query: &HistoryQuery) -> Result<Vec<RatePoint>, StoreError>;

    /// The newest stored snapshot at or before `at` (now if `None`): the rows of the most
    /// recent (timestamp, source) group, as a snapshot against their common base. Rows of
    /// that group quoted against another base are left out.
    async fn snapshot_at(
        &self,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<fxmon_core::RateSnapshot>, StoreError>;

    /// Every currency (as base or quote) of the rows stored between `from` and `to`,
    /// inclusive; open bounds are unbounded.
    async fn currencies_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<std::collections::BTreeSet<fxmon_core::Currency>, StoreError>;

    /// Number of rows in `fx_rates`.
    async fn count_rates(&self) -> Result<u64, StoreError>;

    /// Checks the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A trigger to record in `alert_history`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTrigger {
    /// Unique per (alert, observation): a replayed snapshot yields the same id.
    pub event_id: String,
    pub alert_id: i64,
    pub pair: Pair,
    pub condition: Condition,
    pub threshold: f64,
    pub rate: f64,
    pub message: String,
    /// The as-of time of the rate that triggered it.
    pub triggered_at: DateTime<Utc>,
}

/// An alert as stored, with its lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub rule: AlertRule,
    /// False while paused, after a `once` alert fired, after expiry, or once deleted.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Set by a (soft) delete; the alert stops and its history stays.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Arm state and last notification, as the alerter last saved them.
    pub state: RuleState,
    /// Where triggers are POSTed, if anywhere.
    pub webhook_url: Option<String>,
    /// The API key that created it, if any.
    pub owner: Option<i64>,
}

/// An alert to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// The rule; its `id` is ignored (the store assigns one).
    pub rule: AlertRule,
    pub webhook_url: Option<String>,
    /// The HMAC-SHA256 key of the webhook's signatures (shown to the user once, at creation).
    pub webhook_secret: Option<String>,
    /// The API key that creates it, if any: only that key can see or change it.
    pub owner: Option<i64>,
}

/// Which alerts to list. Deleted alerts are never listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// Only alerts that are active (not paused, fired-once or expired).
    pub active_only: bool,
    pub pair: Option<Pair>,
    pub owner: OwnerFilter,
}

/// Whose alerts (or triggers of whose alerts) to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Everyone's: for the services, which work on every alert.
    #[default]
    Any,
    /// Alerts created without an API key.
    Unowned,
    /// Alerts created with this API key.
    Key(i64),
}

/// A change to an alert; `None` leaves a field as it is. Changing the threshold or the
/// hysteresis makes it a new rule: its arm state starts over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertPatch {
    /// `false` pauses, `true` resumes.
    pub active: Option<bool>,
    pub threshold: Option<f64>,
    pub hysteresis: Option<f64>,
    pub cooldown_seconds: Option<u32>,
}

/// Which triggers to list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerFilter {
    pub limit: u32,
    pub offset: u32,
    pub alert_id: Option<i64>,
    pub pair: Option<Pair>,
    /// Only triggers of these owners' alerts.
    pub owner: OwnerFilter,
}

/// A row of `alert_history`, with the state of its deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerRecord {
    pub id: i64,
    pub trigger: AlertTrigger,
    pub deliveries: Vec<DeliveryStatus>,
}

/// Everything one trigger changes, written in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerWrite {
    pub trigger: AlertTrigger,
    /// The `fx-alerts` event, as JSON: queued for the bus and, if the alert has one, the
    /// webhook.
    pub event: String,
    /// The rule's state the fire was computed from. When set, the write happens only if
    /// the store still holds it, so two alerters with different views cannot both fire one
    /// rule (the alerter always sets it).
    pub previous: Option<RuleState>,
    /// The rule's state after firing.
    pub state: RuleState,
    /// Deactivate the alert (a `once` alert that fired).
    pub retire: bool,
}

/// One change to the rules made while evaluating a batch, in evaluation order.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleWrite {
    /// Rules' states (re-armed, held) without a trigger, as [`AlertStore::save_states`].
    States(Vec<(i64, RuleState)>),
    /// A fire, as [`AlertStore::record_trigger`].
    Trigger(TriggerWrite),
    /// Alerts that can never fire again, as [`AlertStore::retire_alerts`].
    Retire(Vec<i64>),
}

/// Everything evaluating one batch of snapshots changes in the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluationWrite {
    /// In evaluation order.
    pub writes: Vec<RuleWrite>,
    /// The newest snapshot evaluated of each source, as [`AlertStore::set_watermark`].
    pub watermarks: Vec<(String, DateTime<Utc>)>,
}

impl EvaluationWrite {
    /// Moves `source`'s watermark forward to `as_of` (never back).
    pub fn mark(&mut self, source: &str, as_of: DateTime<Utc>) {
        match self.watermarks.iter_mut().find(|(s, _)| s == source) {
            Some((_, newest)) => *newest = (*newest).max(as_of),
            None => self.watermarks.push((source.to_owned(), as_of)),
        }
    }

    /// The triggers among `writes`, in order.
    pub fn triggers(&self) -> impl Iterator<Item = &TriggerWrite> {
        self.writes.iter().filter_map(|write| match write {
            RuleWrite::Trigger(trigger) => Some(trigger),
            _ => None,
        })
    }
}

/// Where a queued delivery goes. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum DeliveryTarget {
    /// The `fx-alerts` topic.
    Bus,
    /// A JSON POST signed with the alert's secret.
    Webhook { url: String, secret: String },
}

impl std::fmt::Debug for DeliveryTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryTarget::Bus => f.write_str("Bus"),
            DeliveryTarget::Webhook { url, .. } => f
                .debug_struct("Webhook")
                .field("url", url)
                .field("secret", &"<redacted>")
                .finish(),
        }
    }
}

/// A delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDelivery {
    pub id: i64,
    pub event_id: String,
    pub alert_id: i64,
    pub pair: Pair,
    pub target: DeliveryTarget,
    /// The body to send.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the first attempt was due (the trigger's recording time).
    pub created_at: DateTime<Utc>,
}

/// A delivery's state, as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 3] = [
        DeliveryState::Pending,
        DeliveryState::Delivered,
        DeliveryState::Failed,
    ];

    /// The state with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == name)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

/// The names of the delivery targets, as `DeliveryStatus::target` holds them.
pub const DELIVERY_TARGETS: [&str; 2] = ["bus", "webhook"];

/// The target name `name` as a `'static` string, if it is one of [`DELIVERY_TARGETS`].
pub fn delivery_target(name: &str) -> Option<&'static str> {
    DELIVERY_TARGETS.into_iter().find(|target| *target == name)
}

/// One delivery of one trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryStatus {
    /// `bus` or `webhook`.
    pub target: &'static str,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// User alerts and their trigger history.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Creates an active alert with its initial state.
    async fn create_alert(&self, alert: &NewAlert) -> Result<AlertRecord, StoreError>;

    /// One alert by id; `None` if it never existed or was deleted.
    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError>;

    /// Alerts matching `filter`, by id.
    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError>;

    /// Applies `patch`; `None` if the alert does not exist or was deleted.
    async fn update_alert(
        &self,
        id: i64,
        patch: &AlertPatch,
    ) -> Result<Option<AlertRecord>, StoreError>;

    /// Soft-deletes: the alert stops and disappears from listings, its history stays.
    /// Returns false if it did not exist or was already deleted.
    async fn delete_alert(&self, id: i64) -> Result<bool, StoreError>;

    /// Every active alert's rule and saved state.
    async fn active_alerts(&self) -> Result<Vec<(AlertRule, RuleState)>, StoreError>;

    /// A number that changes whenever any alert is created, edited, paused, resumed,
    /// retired or deleted — but not when only its arm state changes — so a reader reloads
    /// `active_alerts` only when something changed.
    async fn rules_version(&self) -> Result<i64, StoreError>;

    /// The as-of time of the newest snapshot of `source` the alerter has evaluated.
    async fn watermark(&self, source: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Moves `source`'s watermark forward to `as_of` (never back).
    async fn set_watermark(&self, source: &str, as_of: DateTime<Utc>) -> Result<(), StoreError>;

    /// Saves rules' states (re-armed, held) without a trigger.
    async fn save_states(&self, states: &[(i64, RuleState)]) -> Result<(), StoreError>;

    /// Deactivates alerts that can never fire again (expired).
    async fn retire_alerts(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Records a trigger in one transaction: the `alert_history` row, its outbox entries,
    /// the rule's new state and (for `once`) its deactivation. Returns false, changing
    /// nothing, if the `event_id` was already recorded or the rule's stored state is no
    /// longer `write.previous`, when given (another alerter moved it first).
    async fn record_trigger(&self, write: &TriggerWrite) -> Result<bool, StoreError>;

    /// Applies a batch's rule writes in order, then its watermarks, in one transaction:
    /// after a crash the alerter finds all of them or none. Each trigger is recorded as by
    /// [`record_trigger`](Self::record_trigger): one whose event is already recorded, or
    /// whose rule the store no longer holds in `previous`, changes nothing (PostgreSQL
    /// undoes it to a savepoint) and the rest stand. Returns, for each trigger in order,
    /// whether it was recorded. One transaction instead of one per write keeps the alerter
    /// from queueing dozens of small commits behind the processor's (docs/BENCHMARKS.md).
    async fn record_evaluation(
        &self,
        evaluation: &EvaluationWrite,
    ) -> Result<Vec<bool>, StoreError>;

    /// Recorded triggers matching `filter`, newest first (by `triggered_at`, then id).
    async fn triggers(&self, filter: &TriggerFilter) -> Result<Vec<TriggerRecord>, StoreError>;
}

/// What to record after a delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryStep {
    /// Done: `attempts` counts this one.
    Delivered { attempts: u32, at: DateTime<Utc> },
    /// Failed for now: try again at `at`.
    Retry {
        attempts: u32,
        at: DateTime<Utc>,
        reason: String,
    },
    /// Failed for good: refused by the target, or too old to keep trying.
    GiveUp { attempts: u32, reason: String },
}

/// The durable outbox of alert deliveries.
#[async_trait]
pub trait DeliveryOutbox: Send + Sync {
    /// Pending deliveries whose next attempt is due at `now`, oldest first.
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError>;

    /// Marks a delivery done.
    async fn delivered(&self, id: i64, attempts: u32, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records a failed attempt and when to try again.
    async fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Records the last failed attempt: no more retries.
    async fn give_up(&self, id: i64, attempts: u32, error: &str) -> Result<(), StoreError>;

    /// Records attempts' outcomes, each as [`delivered`](Self::delivered),
    /// [`retry_later`](Self::retry_later) or [`give_up`](Self::give_up) would: in one
    /// transaction where the store has them, so a busy worker does not queue one commit
    /// per event. The default records each alone.
    async fn record_steps(&self, steps: &[(i64, DeliveryStep)]) -> Result<(), StoreError> {
        for (id, step) in steps {
            match step {
                DeliveryStep::Delivered { attempts, at } => {
                    self.delivered(*id, *attempts, *at).await?;
                }
                DeliveryStep::Retry {
                    attempts,
                    at,
                    reason,
                } => self.retry_later(*id, *attempts, *at, reason).await?,
                DeliveryStep::GiveUp { attempts, reason } => {
                    self.give_up(*id, *attempts, reason).await?;
                }
            }
        }
        Ok(())
    }
}
