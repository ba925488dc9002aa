//! Reading `user_alerts` and `alert_history` rows back into the port's types, with the
//! core's parsers: a row edited by hand or written by a newer fxmon may not parse.

use fxmon_app::ports::{AlertRecord, AlertTrigger, BoxError, StoreError};
use fxmon_core::alert::{Direction, Frequency};
use fxmon_core::{AlertRule, Condition, Pair, RuleState};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::super::error::{store_error, Invalid};
use super::super::time;

/// The `user_alerts` columns of a rule and its state, which `rule_and_state` reads.
pub(super) const RULE_COLUMNS: &str = "id, pair, condition, threshold, window_seconds, \
     direction, hysteresis, cooldown_seconds, frequency, expires_at, armed, last_fired_at";

/// The `user_alerts` columns `alert` reads.
pub(super) const ALERT_COLUMNS: &str = "id, pair, condition, threshold, window_seconds, \
     direction, hysteresis, cooldown_seconds, frequency, expires_at, armed, last_fired_at, \
     active, created_at, deleted_at, webhook_url, owner_key_id";

const ALERTS: &str = "user_alerts";

/// The `id` column, which every other column's error names.
pub(super) fn id(row: &SqliteRow) -> Result<i64, StoreError> {
    row.try_get("id").map_err(store_error)
}

/// The rule in a `user_alerts` row, or why it does not parse or is not a valid rule (the
/// alerter relies on every rule it gets being valid).
pub(super) fn alert_rule(id: i64, row: &SqliteRow) -> Result<AlertRule, Invalid> {
    let wrap = |source: BoxError| Invalid::StoredRow {
        table: ALERTS,
        id,
        source,
    };
    let (pair, condition) = pair_and_condition(ALERTS, id, row)?;
    let window: Option<i64> = column(ALERTS, id, row, "window_seconds")?;
    let direction: Option<String> = column(ALERTS, id, row, "direction")?;
    let cooldown: i64 = column(ALERTS, id, row, "cooldown_seconds")?;
    let frequency: String = column(ALERTS, id, row, "frequency")?;
    let expires_at: Option<String> = column(ALERTS, id, row, "expires_at")?;
    let rule = AlertRule {
        id,
        pair,
        condition,
        threshold: column(ALERTS, id, row, "threshold")?,
        window_seconds: window
            .map(u32::try_from)
            .transpose()
            .map_err(|e| wrap(e.into()))?,
        direction: direction
            .as_deref()
            .map(str::parse::<Direction>)
            .transpose()
            .map_err(|e| wrap(e.into()))?,
        hysteresis: column(ALERTS, id, row, "hysteresis")?,
        cooldown_seconds: u32::try_from(cooldown).map_err(|e| wrap(e.into()))?,
        frequency: frequency.parse::<Frequency>().map_err(|e| wrap(e.into()))?,
        expires_at: expires_at.as_deref().map(time::decode).transpose()?,
    };
    rule.validate().map_err(|e| wrap(e.into()))?;
    Ok(rule)
}

/// A rule's saved state.
pub(super) fn state(id: i64, row: &SqliteRow) -> Result<RuleState, Invalid> {
    let last_fired_at: Option<String> = column(ALERTS, id, row, "last_fired_at")?;
    Ok(RuleState {
        armed: column(ALERTS, id, row, "armed")?,
        last_fired_at: last_fired_at.as_deref().map(time::decode).transpose()?,
    })
}

/// A rule and its state (read with `RULE_COLUMNS`).
pub(super) fn rule_and_state(id: i64, row: &SqliteRow) -> Result<(AlertRule, RuleState), Invalid> {
    Ok((alert_rule(id, row)?, state(id, row)?))
}

/// A whole `user_alerts` row (read with `ALERT_COLUMNS`), or why it does not parse.
pub(super) fn alert(id: i64, row: &SqliteRow) -> Result<AlertRecord, Invalid> {
    let created_at: String = column(ALERTS, id, row, "created_at")?;
    let deleted_at: Option<String> = column(ALERTS, id, row, "deleted_at")?;
    Ok(AlertRecord {
        rule: alert_rule(id, row)?,
        active: column(ALERTS, id, row, "active")?,
        created_at: time::decode(&created_at)?,
        deleted_at: deleted_at.as_deref().map(time::decode).transpose()?,
        state: state(id, row)?,
        webhook_url: column(ALERTS, id, row, "webhook_url")?,
        owner: column(ALERTS, id, row, "owner_key_id")?,
    })
}

/// The trigger in an `alert_history` row. Unlike a bad alert, a bad trigger is an error:
/// skipping it would silently shorten the history a caller asked for.
pub(super) fn trigger(id: i64, row: &SqliteRow) -> Result<AlertTrigger, StoreError> {
    const TABLE: &str = "alert_history";
    let (pair, condition) = pair_and_condition(TABLE, id, row)?;
    let triggered_at: String = column(TABLE, id, row, "triggered_at")?;
    Ok(AlertTrigger {
        event_id: column(TABLE, id, row, "event_id")?,
        alert_id: column(TABLE, id, row, "alert_id")?,
        pair,
        condition,
        threshold: column(TABLE, id, row, "threshold")?,
        rate: column(TABLE, id, row, "rate")?,
        message: column(TABLE, id, row, "message")?,
        triggered_at: time::decode(&triggered_at)?,
    })
}

/// The `pair` and `condition` columns both tables hold.
fn pair_and_condition(
    table: &'static str,
    id: i64,
    row: &SqliteRow,
) -> Result<(Pair, Condition), Invalid> {
    let wrap = |source: BoxError| Invalid::StoredRow { table, id, source };
    let pair: String = column(table, id, row, "pair")?;
    let condition: String = column(table, id, row, "condition")?;
    let pair = Pair::parse(&pair).map_err(|e| wrap(e.into()))?;
    let condition = condition.parse::<Condition>().map_err(|e| wrap(e.into()))?;
    Ok((pair, condition))
}

/// One column of row `id` of `table`, its decode error naming the row.
pub(super) fn column<'r, T>(
    table: &'static str,
    id: i64,
    row: &'r SqliteRow,
    name: &str,
) -> Result<T, Invalid>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(name).map_err(|e| Invalid::StoredRow {
        table,
        id,
        source: e.into(),
    })
}

/// Parses each row, logging and skipping the ones that do not parse: one bad row (edited by
/// hand, or from a newer fxmon) must not stop every alert nor hide the others.
pub(super) fn parse_skipping_bad_rows<T>(
    rows: &[SqliteRow],
    parse: fn(i64, &SqliteRow) -> Result<T, Invalid>,
) -> Result<Vec<T>, StoreError> {
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        let id = id(row)?;
        match parse(id, row) {
            Ok(value) => parsed.push(value),
            Err(error) => {
                tracing::warn!(alert_id = id, %error, "Skipped an alert that does not parse.")
            }
        }
    }
    Ok(parsed)
}
