//! `alert_history`: every trigger, recorded once per event id together with its outbox rows
//! and the rule's new state, and read newest first with the state of its deliveries.

use chrono::Utc;
use fxmon_app::ports::{StoreError, TriggerFilter, TriggerRecord, TriggerWrite};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{QueryBuilder, Sqlite};

use super::super::error::store_error;
use super::super::time;
use super::{outbox, rows};

/// One transaction, so a trigger is recorded, queued and its rule's state saved together or
/// not at all; the state moves only from `write.previous`. A replay (same event id) finds the
/// state already moved, or the event id taken, and changes nothing.
pub(super) async fn record(pool: &SqlitePool, write: &TriggerWrite) -> Result<bool, StoreError> {
    let now = time::encode(Utc::now())?;
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    let recorded = record_on(&mut tx, write, &now).await?;
    if recorded {
        tx.commit().await.map_err(store_error)?;
    }
    Ok(recorded)
}

/// `record`'s writes, on a connection inside a write transaction. False when it changed
/// nothing: it writes only once both checks passed, which checking in steps makes safe
/// because SQLite lets one writer at a time into the database.
pub(super) async fn record_on(
    conn: &mut SqliteConnection,
    write: &TriggerWrite,
    now: &str,
) -> Result<bool, StoreError> {
    let trigger = &write.trigger;
    let triggered_at = time::encode(trigger.triggered_at)?;
    let fired_at = write.state.last_fired_at.map(time::encode).transpose()?;
    let previous_fired_at = write
        .previous
        .and_then(|p| p.last_fired_at)
        .map(time::encode)
        .transpose()?;
    // The history row first, only while the rule holds the state the fire was computed
    // from: a fire from a stale view (another alerter fired or re-armed the rule) or a
    // replay (the event id is taken) inserts nothing.
    let inserted = sqlx::query(
        "INSERT INTO alert_history (event_id, alert_id, pair, condition, threshold, rate,
                                    message, triggered_at, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
          WHERE EXISTS (SELECT 1 FROM user_alerts
                         WHERE id = ?2 AND (?10 OR (armed = ?11 AND last_fired_at IS ?12)))
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&trigger.event_id)
    .bind(trigger.alert_id)
    .bind(trigger.pair.to_string())
    .bind(trigger.condition.as_str())
    .bind(trigger.threshold)
    .bind(trigger.rate)
    .bind(&trigger.message)
    .bind(triggered_at)
    .bind(now)
    .bind(write.previous.is_none())
    .bind(write.previous.map(|p| p.armed))
    .bind(previous_fired_at)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    if inserted.rows_affected() == 0 {
        if write.previous.is_none() && !exists(conn, trigger.alert_id).await? {
            // Unconditional, yet nothing matched: the alert does not exist.
            let reason = format!("alert {} does not exist", trigger.alert_id);
            return Err(StoreError::Rejected(reason.into()));
        }
        return Ok(false);
    }
    sqlx::query(
        "UPDATE user_alerts
            SET armed = ?, last_fired_at = ?, active = CASE WHEN ? THEN 0 ELSE active END
          WHERE id = ?",
    )
    .bind(write.state.armed)
    .bind(fired_at)
    .bind(write.retire)
    .bind(trigger.alert_id)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    outbox::enqueue(conn, write, now).await?;
    Ok(true)
}

/// Whether alert `id` exists.
async fn exists(conn: &mut SqliteConnection, id: i64) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM user_alerts WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(found.is_some())
}

/// The page of triggers is chosen first (filters added only when asked for, so SQLite can
/// use the (alert_id, triggered_at) and (pair, triggered_at) indexes rather than scan), then
/// joined with its deliveries: one query, one consistent read.
pub(super) async fn list(
    pool: &SqlitePool,
    filter: &TriggerFilter,
) -> Result<Vec<TriggerRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT h.id, h.event_id, h.alert_id, h.pair, h.condition, h.threshold, h.rate,
                h.message, h.triggered_at, ",
    );
    query.push(outbox::STATUS_COLUMNS).push(
        " FROM (SELECT id, event_id, alert_id, pair, condition, threshold, rate, message,
                       triggered_at
                  FROM alert_history WHERE 1",
    );
    if let Some(alert_id) = filter.alert_id {
        query.push(" AND alert_id = ").push_bind(alert_id);
    }
    if let Some(pair) = filter.pair {
        query.push(" AND pair = ").push_bind(pair.to_string());
    }
    crate::owner::push_alert_owner(&mut query, filter.owner);
    query
        .push(" ORDER BY triggered_at DESC, id DESC LIMIT ")
        .push_bind(i64::from(filter.limit))
        .push(" OFFSET ")
        .push_bind(i64::from(filter.offset))
        .push(
            ") AS h LEFT JOIN alert_deliveries AS d ON d.event_id = h.event_id
             ORDER BY h.triggered_at DESC, h.id DESC, d.id",
        );
    let rows = query.build().fetch_all(pool).await.map_err(store_error)?;
    let mut records: Vec<TriggerRecord> = Vec::new();
    for row in &rows {
        let id = rows::id(row)?;
        if records.last().is_none_or(|last| last.id != id) {
            let trigger = rows::trigger(id, row)?;
            records.push(TriggerRecord {
                id,
                trigger,
                deliveries: Vec::new(),
            });
        }
        if let Some(delivery) = outbox::status(row)? {
            records
                .last_mut()
                .expect("pushed above")
                .deliveries
                .push(delivery);
        }
    }
    Ok(records)
}
