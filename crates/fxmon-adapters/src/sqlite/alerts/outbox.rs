//! `alert_deliveries`, the durable outbox: rows are queued in the transaction that records
//! their trigger, polled when due, and marked delivered, due again later, or failed.
//!
//! Marking only touches pending rows, so a late or repeated report cannot undo a final state.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{
    delivery_target, BoxError, DeliveryOutbox, DeliveryState, DeliveryStatus, DeliveryStep,
    DeliveryTarget, PendingDelivery, StoreError, TriggerWrite,
};
use fxmon_core::Pair;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::SqliteExecutor;

use super::super::error::{store_error, Invalid};
use super::super::{time, SqliteStore};
use super::rows::column;

const TABLE: &str = "alert_deliveries";

/// The columns of a delivery's status, as `status` reads them from a join with `d`.
pub(super) const STATUS_COLUMNS: &str = "d.id AS delivery_id, d.target AS delivery_target, \
     d.state AS delivery_state, d.attempts AS delivery_attempts, \
     d.last_error AS delivery_last_error, d.next_attempt_at AS delivery_next_attempt_at, \
     d.delivered_at AS delivery_delivered_at";

/// Queues `write.event` for the bus and, if the alert has a webhook, for it (its URL copied,
/// so a later change of the alert does not redirect a queued event). Both are due `now`.
pub(super) async fn enqueue(
    conn: &mut SqliteConnection,
    write: &TriggerWrite,
    now: &str,
) -> Result<(), StoreError> {
    let trigger = &write.trigger;
    sqlx::query(
        "INSERT INTO alert_deliveries (event_id, alert_id, pair, target, url, payload,
                                       next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, 'bus', NULL, ?4, ?5, ?5)
         UNION ALL
         SELECT ?1, id, ?3, 'webhook', webhook_url, ?4, ?5, ?5
           FROM user_alerts WHERE id = ?2 AND webhook_url IS NOT NULL",
    )
    .bind(&trigger.event_id)
    .bind(trigger.alert_id)
    .bind(trigger.pair.to_string())
    .bind(&write.event)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// The delivery in a row joined with `STATUS_COLUMNS`; `None` where the join found none
/// (a trigger recorded before the outbox existed). `next_attempt_at` only while pending.
pub(super) fn status(row: &SqliteRow) -> Result<Option<DeliveryStatus>, StoreError> {
    let Some(id) = column::<Option<i64>>(TABLE, 0, row, "delivery_id")? else {
        return Ok(None);
    };
    let target: String = column(TABLE, id, row, "delivery_target")?;
    let state: String = column(TABLE, id, row, "delivery_state")?;
    let state =
        DeliveryState::parse(&state).ok_or_else(|| invalid(id, format!("state {state:?}")))?;
    let next: String = column(TABLE, id, row, "delivery_next_attempt_at")?;
    let delivered_at: Option<String> = column(TABLE, id, row, "delivery_delivered_at")?;
    Ok(Some(DeliveryStatus {
        target: delivery_target(&target)
            .ok_or_else(|| invalid(id, format!("target {target:?}")))?,
        state,
        attempts: column(TABLE, id, row, "delivery_attempts")?,
        last_error: column(TABLE, id, row, "delivery_last_error")?,
        next_attempt_at: (state == DeliveryState::Pending)
            .then(|| time::decode(&next))
            .transpose()?,
        delivered_at: delivered_at.as_deref().map(time::decode).transpose()?,
    }))
}

fn invalid(id: i64, what: String) -> Invalid {
    let source: BoxError = format!("unknown {what}").into();
    Invalid::StoredRow {
        table: TABLE,
        id,
        source,
    }
}

/// A due row as `PendingDelivery`, or why it can never be sent.
fn pending(id: i64, row: &SqliteRow) -> Result<PendingDelivery, Invalid> {
    let target: String = column(TABLE, id, row, "target")?;
    let target = match target.as_str() {
        "bus" => DeliveryTarget::Bus,
        "webhook" => {
            let url: Option<String> = column(TABLE, id, row, "url")?;
            let secret: Option<String> = column(TABLE, id, row, "webhook_secret")?;
            match (url, secret) {
                (Some(url), Some(secret)) => DeliveryTarget::Webhook { url, secret },
                _ => return Err(invalid(id, "webhook without a URL or a secret".into())),
            }
        }
        other => return Err(invalid(id, format!("target {other:?}"))),
    };
    let pair: String = column(TABLE, id, row, "pair")?;
    let created_at: String = column(TABLE, id, row, "created_at")?;
    Ok(PendingDelivery {
        id,
        event_id: column(TABLE, id, row, "event_id")?,
        alert_id: column(TABLE, id, row, "alert_id")?,
        pair: Pair::parse(&pair).map_err(|e| Invalid::StoredRow {
            table: TABLE,
            id,
            source: e.into(),
        })?,
        target,
        payload: column(TABLE, id, row, "payload")?,
        attempts: column(TABLE, id, row, "attempts")?,
        created_at: time::decode(&created_at)?,
    })
}

#[async_trait]
impl DeliveryOutbox for SqliteStore {
    /// Due rows by due time, then id: a first attempt is due when it was queued, so
    /// deliveries go out in trigger order, and this walks the (state, next_attempt_at)
    /// index. A row that can never be sent (edited by hand) is failed with its reason here,
    /// once, rather than logged at every poll.
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.event_id, d.alert_id, d.pair, d.target, d.url, d.payload,
                    d.attempts, d.created_at, a.webhook_secret
               FROM alert_deliveries AS d LEFT JOIN user_alerts AS a ON a.id = d.alert_id
              WHERE d.state = 'pending' AND d.next_attempt_at <= ?
              ORDER BY d.next_attempt_at, d.id LIMIT ?",
        )
        .bind(time::upper_bound(Some(now)))
        .bind(i64::from(limit))
        .fetch_all(&self.alerts.pool)
        .await
        .map_err(store_error)?;
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = column(TABLE, 0, row, "id")?;
            match pending(id, row) {
                Ok(delivery) => due.push(delivery),
                Err(error) => {
                    tracing::warn!(delivery_id = id, %error, "Failed a delivery that does not parse.");
                    let attempts: u32 = column(TABLE, id, row, "attempts")?;
                    self.give_up(id, attempts, &error.to_string()).await?;
                }
            }
        }
        Ok(due)
    }

    async fn delivered(&self, id: i64, attempts: u32, at: DateTime<Utc>) -> Result<(), StoreError> {
        record_step(
            &self.alerts.writer,
            id,
            &DeliveryStep::Delivered { attempts, at },
        )
        .await
    }

    async fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let step = DeliveryStep::Retry {
            attempts,
            at: next_attempt_at,
            reason: error.to_owned(),
        };
        record_step(&self.alerts.writer, id, &step).await
    }

    async fn give_up(&self, id: i64, attempts: u32, error: &str) -> Result<(), StoreError> {
        let step = DeliveryStep::GiveUp {
            attempts,
            reason: error.to_owned(),
        };
        record_step(&self.alerts.writer, id, &step).await
    }

    /// One transaction: the round's records take the one writer once.
    async fn record_steps(&self, steps: &[(i64, DeliveryStep)]) -> Result<(), StoreError> {
        if let [(id, step)] = steps {
            return record_step(&self.alerts.writer, *id, step).await;
        }
        let mut tx = self.alerts.writer.begin().await.map_err(store_error)?;
        for (id, step) in steps {
            record_step(&mut *tx, *id, step).await?;
        }
        tx.commit().await.map_err(store_error)
    }
}

/// Moves a pending delivery on by `step`.
async fn record_step(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    step: &DeliveryStep,
) -> Result<(), StoreError> {
    let query = match step {
        DeliveryStep::Delivered { attempts, at } => sqlx::query(
            "UPDATE alert_deliveries SET state = 'delivered', attempts = ?2, delivered_at = ?3
              WHERE id = ?1 AND state = 'pending'",
        )
        .bind(id)
        .bind(attempts)
        .bind(time::encode(*at)?),
        DeliveryStep::Retry {
            attempts,
            at,
            reason,
        } => sqlx::query(
            "UPDATE alert_deliveries SET attempts = ?2, next_attempt_at = ?3, last_error = ?4
              WHERE id = ?1 AND state = 'pending'",
        )
        .bind(id)
        .bind(attempts)
        .bind(time::encode(*at)?)
        .bind(reason),
        DeliveryStep::GiveUp { attempts, reason } => sqlx::query(
            "UPDATE alert_deliveries SET state = 'failed', attempts = ?2, last_error = ?3
              WHERE id = ?1 AND state = 'pending'",
        )
        .bind(id)
        .bind(attempts)
        .bind(reason),
    };
    query.execute(executor).await.map_err(store_error)?;
    Ok(())
}
