//! What the alerter reads and saves between triggers: the active rules with their arm
//! state, saved states, and rules retired because they can never fire again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fxmon_app::ports::StoreError;
use fxmon_core::{AlertRule, RuleState};
use sqlx::postgres::PgPool;

use super::super::error::store_error;
use super::super::time;
use super::rows::{self, RULE_COLUMNS};

pub(super) async fn active(pool: &PgPool) -> Result<Vec<(AlertRule, RuleState)>, StoreError> {
    let sql = format!(
        "SELECT {RULE_COLUMNS} FROM user_alerts
          WHERE active AND deleted_at IS NULL ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    rows::parse_skipping_bad_rows(&rows, rows::rule_and_state)
}

/// One statement over arrays, so after a crash the alerter sees either every state of a
/// snapshot or none. Rows are updated in id order, so two savers cannot deadlock; of two
/// states for one id, the last wins.
pub(super) async fn save(pool: &PgPool, states: &[(i64, RuleState)]) -> Result<(), StoreError> {
    if states.is_empty() {
        return Ok(());
    }
    let sorted: BTreeMap<i64, RuleState> = states.iter().copied().collect();
    let mut ids = Vec::with_capacity(sorted.len());
    let mut armed = Vec::with_capacity(sorted.len());
    let mut fired: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(sorted.len());
    for (id, state) in sorted {
        ids.push(id);
        armed.push(state.armed);
        fired.push(state.last_fired_at.map(time::check).transpose()?);
    }
    sqlx::query(
        "UPDATE user_alerts AS a SET armed = s.armed, last_fired_at = s.last_fired_at
           FROM UNNEST($1::bigint[], $2::boolean[], $3::timestamptz[])
                AS s(id, armed, last_fired_at)
          WHERE a.id = s.id",
    )
    .bind(ids)
    .bind(armed)
    .bind(fired)
    .execute(pool)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(super) async fn retire(pool: &PgPool, ids: &[i64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("UPDATE user_alerts SET active = false WHERE id = ANY($1) AND active")
        .bind(ids)
        .execute(pool)
        .await
        .map_err(store_error)?;
    Ok(())
}
