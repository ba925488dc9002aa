//! `user_alerts`: creating, reading, pausing, changing and (softly) deleting alerts.
//!
//! A rule that fails `AlertRule::validate` is `StoreError::Rejected` with the core's
//! `RuleError` itself as the source, so a caller can say which field was wrong.

use fxmon_app::ports::{AlertFilter, AlertPatch, AlertRecord, NewAlert, StoreError};
use fxmon_core::alert::RuleError;
use fxmon_core::{AlertRule, RuleState};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder};

use super::super::error::store_error;
use super::super::time;
use super::rows::{self, ALERT_COLUMNS};

/// A webhook the store could never sign for.
#[derive(Debug, thiserror::Error)]
#[error("webhook_url needs a webhook_secret to sign its deliveries with")]
struct UnsignedWebhook;

pub(super) async fn create(pool: &PgPool, alert: &NewAlert) -> Result<AlertRecord, StoreError> {
    let rule = &alert.rule;
    rule.validate().map_err(rejected)?;
    if alert.webhook_url.is_some() && alert.webhook_secret.is_none() {
        return Err(StoreError::Rejected(Box::new(UnsignedWebhook)));
    }
    let state = RuleState::initial(rule);
    let sql = format!(
        "INSERT INTO user_alerts (pair, condition, threshold, window_seconds, direction,
                                  hysteresis, cooldown_seconds, frequency, expires_at,
                                  webhook_url, webhook_secret, armed, last_fired_at, active,
                                  owner_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, true, $13)
         RETURNING {ALERT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(rule.pair.to_string())
        .bind(rule.condition.as_str())
        .bind(rule.threshold)
        .bind(rule.window_seconds.map(i64::from))
        .bind(rule.direction.map(|d| d.as_str()))
        .bind(rule.hysteresis)
        .bind(i64::from(rule.cooldown_seconds))
        .bind(rule.frequency.as_str())
        .bind(rule.expires_at.map(time::check).transpose()?)
        .bind(&alert.webhook_url)
        .bind(&alert.webhook_secret)
        .bind(state.armed)
        .bind(alert.owner)
        .fetch_one(pool)
        .await
        .map_err(store_error)?;
    // Read back like any other row, so the record equals what `get` returns later.
    alert_of(&row)
}

pub(super) async fn get(pool: &PgPool, id: i64) -> Result<Option<AlertRecord>, StoreError> {
    let sql =
        format!("SELECT {ALERT_COLUMNS} FROM user_alerts WHERE id = $1 AND deleted_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    row.as_ref().map(alert_of).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    filter: &AlertFilter,
) -> Result<Vec<AlertRecord>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {ALERT_COLUMNS} FROM user_alerts WHERE deleted_at IS NULL"
    ));
    if filter.active_only {
        query.push(" AND active");
    }
    if let Some(pair) = filter.pair {
        query.push(" AND pair = ").push_bind(pair.to_string());
    }
    crate::owner::push_owner(&mut query, filter.owner);
    query.push(" ORDER BY id");
    let rows = query.build().fetch_all(pool).await.map_err(store_error)?;
    rows::parse_skipping_bad_rows(&rows, rows::alert)
}

/// Read (locking the row), patch, validate and write in one transaction, so a concurrent
/// delete or change cannot slip between the read and the write.
pub(super) async fn update(
    pool: &PgPool,
    id: i64,
    patch: &AlertPatch,
) -> Result<Option<AlertRecord>, StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM user_alerts WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let current = alert_of(&row)?;
    let (rule, state) = patched(&current, patch);
    rule.validate().map_err(rejected)?;
    let sql = format!(
        "UPDATE user_alerts
            SET active = $1, threshold = $2, hysteresis = $3, cooldown_seconds = $4,
                armed = $5, last_fired_at = $6
          WHERE id = $7
         RETURNING {ALERT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patch.active.unwrap_or(current.active))
        .bind(rule.threshold)
        .bind(rule.hysteresis)
        .bind(i64::from(rule.cooldown_seconds))
        .bind(state.armed)
        .bind(state.last_fired_at)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
    let updated = alert_of(&row)?;
    tx.commit().await.map_err(store_error)?;
    Ok(Some(updated))
}

/// The rule and state after `patch`: a new threshold or hysteresis is a new rule, whose
/// state starts over (armed or not, no cooldown); the same values change nothing.
fn patched(current: &AlertRecord, patch: &AlertPatch) -> (AlertRule, RuleState) {
    let mut rule = current.rule.clone();
    rule.threshold = patch.threshold.unwrap_or(rule.threshold);
    rule.hysteresis = patch.hysteresis.unwrap_or(rule.hysteresis);
    rule.cooldown_seconds = patch.cooldown_seconds.unwrap_or(rule.cooldown_seconds);
    let renewed =
        rule.threshold != current.rule.threshold || rule.hysteresis != current.rule.hysteresis;
    let state = if renewed {
        RuleState::initial(&rule)
    } else {
        current.state
    };
    (rule, state)
}

/// Keeps the row: `alert_history` rows still reference it.
pub(super) async fn delete(pool: &PgPool, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE user_alerts SET deleted_at = now(), active = false
          WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .execute(pool)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

/// An alert asked for by id: a row that does not parse is an error, not "not found".
fn alert_of(row: &PgRow) -> Result<AlertRecord, StoreError> {
    Ok(rows::alert(rows::id(row)?, row)?)
}

/// An invalid rule, with the `RuleError` as the source so that callers can name the field.
fn rejected(error: RuleError) -> StoreError {
    StoreError::Rejected(Box::new(error))
}
