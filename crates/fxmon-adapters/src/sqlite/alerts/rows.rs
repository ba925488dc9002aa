//! Reading `user_alerts` and `alert_history` rows back into the port's types, with the
//! core's parsers: a row edited by hand or written by a newer fxmon may not parse.

use fxmon_app::ports::{AlertRecord, AlertTrigger, BoxError, StoreError, TriggerRecord};
use fxmon_core::{AlertRule, Condition, Pair};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::super::error::{store_error, Invalid};
use super::super::time;

/// The `user_alerts` columns `alert` reads.
pub(super) const ALERT_COLUMNS: &str =
    "id, pair, condition, threshold, active, created_at, deleted_at";

/// The `alert_history` columns `trigger` reads.
pub(super) const TRIGGER_COLUMNS: &str =
    "id, event_id, alert_id, pair, condition, threshold, rate, message, triggered_at";

/// The `id` column, which every other column's error names.
pub(super) fn id(row: &SqliteRow) -> Result<i64, StoreError> {
    row.try_get("id").map_err(store_error)
}

/// The rule in a `user_alerts` row, or why it does not parse.
pub(super) fn alert_rule(id: i64, row: &SqliteRow) -> Result<AlertRule, Invalid> {
    let (pair, condition) = pair_and_condition("user_alerts", id, row)?;
    let threshold = column("user_alerts", id, row, "threshold")?;
    Ok(AlertRule {
        id,
        pair,
        condition,
        threshold,
    })
}

/// A whole `user_alerts` row (read with `ALERT_COLUMNS`), or why it does not parse.
pub(super) fn alert(id: i64, row: &SqliteRow) -> Result<AlertRecord, Invalid> {
    const TABLE: &str = "user_alerts";
    let rule = alert_rule(id, row)?;
    let created_at: String = column(TABLE, id, row, "created_at")?;
    let deleted_at: Option<String> = column(TABLE, id, row, "deleted_at")?;
    Ok(AlertRecord {
        rule,
        active: column(TABLE, id, row, "active")?,
        created_at: time::decode(&created_at)?,
        deleted_at: deleted_at.as_deref().map(time::decode).transpose()?,
    })
}

/// An `alert_history` row (read with `TRIGGER_COLUMNS`). Unlike a bad alert, a bad trigger
/// is an error: skipping it would silently shorten the history a caller asked for.
pub(super) fn trigger(row: &SqliteRow) -> Result<TriggerRecord, StoreError> {
    let id = id(row)?;
    const TABLE: &str = "alert_history";
    let (pair, condition) = pair_and_condition(TABLE, id, row)?;
    let triggered_at: String = column(TABLE, id, row, "triggered_at")?;
    let trigger = AlertTrigger {
        event_id: column(TABLE, id, row, "event_id")?,
        alert_id: column(TABLE, id, row, "alert_id")?,
        pair,
        condition,
        threshold: column(TABLE, id, row, "threshold")?,
        rate: column(TABLE, id, row, "rate")?,
        message: column(TABLE, id, row, "message")?,
        triggered_at: time::decode(&triggered_at)?,
    };
    Ok(TriggerRecord { id, trigger })
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
fn column<'r, T>(table: &'static str, id: i64, row: &'r SqliteRow, name: &str) -> Result<T, Invalid>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(name).map_err(|e| Invalid::StoredRow {
        table,
        id,
        source: e.into(),
    })
}
