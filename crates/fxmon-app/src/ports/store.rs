//! Durable storage of rates and alerts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_core::{AlertRule, Condition, Pair, Rate};

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
    /// False while paused (or once deleted).
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Set by a (soft) delete; the alert stops and its history stays.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Which alerts to list. Deleted alerts are never listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// Only alerts that are not paused.
    pub active_only: bool,
    pub pair: Option<Pair>,
}

/// A change to an alert; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertPatch {
    /// `false` pauses, `true` resumes.
    pub active: Option<bool>,
    pub threshold: Option<f64>,
}

/// Which triggers to list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerFilter {
    pub limit: u32,
    pub offset: u32,
    pub alert_id: Option<i64>,
    pub pair: Option<Pair>,
}

/// A row of `alert_history`.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerRecord {
    pub id: i64,
    pub trigger: AlertTrigger,
}

/// User alerts and their trigger history.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Creates an active alert.
    async fn create_alert(
        &self,
        pair: Pair,
        condition: Condition,
        threshold: f64,
    ) -> Result<AlertRecord, StoreError>;

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

    /// Every active (not paused, not deleted) alert's rule.
    async fn active_alerts(&self) -> Result<Vec<AlertRule>, StoreError>;

    /// Records a trigger; returns false if its `event_id` was already recorded.
    async fn record_trigger(&self, trigger: &AlertTrigger) -> Result<bool, StoreError>;

    /// Recorded triggers matching `filter`, newest first (by `triggered_at`, then id).
    async fn triggers(&self, filter: &TriggerFilter) -> Result<Vec<TriggerRecord>, StoreError>;
}
