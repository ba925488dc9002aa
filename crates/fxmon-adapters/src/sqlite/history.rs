//! A pair's history from whichever rows can answer it: direct, inverse, or a cross.

use fxmon_app::ports::{HistoryQuery, Order, RatePoint, StoreError};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::Row;

use super::error::store_error;
use super::time;

/// Points for A/B (?1 = A, ?2 = B, ?7 = "A/B", ?8 = "B/A") between ?3 and ?4 inclusive,
/// from three kinds of rows:
/// A/B itself; B/A inverted; and X/A with X/B of the same time and source, for any X
/// (1 A = rate(X/B) / rate(X/A) B). Where several kinds answer the same (time, source),
/// the most direct wins: SQLite takes the bare columns from the row holding `MIN(kind)`.
///
/// Each row carries a numerator and a denominator and the division happens in Rust, so a
/// cross or an inverse from the store equals, bit for bit, the one the core computes
/// from a snapshot (SQLite's own division can differ in the last place).
///
/// Rows are looked up by `pair`, so that `fx_rates`'s key, (pair, timestamp, source), serves
/// the direct and inverse rows, both legs of a cross, and the second leg with all three
/// columns as equalities; `fx_rates` needs no index besides, which makes every insert
/// cheaper. The first leg's pairs (every X/A) come from `fx_pairs`, which `CROSS JOIN`
/// makes the outer loop. Joined on (base, quote) instead, SQLite carries the BETWEEN over
/// to `b` and scans a range per row: 6 s instead of 30 ms for a cross over the whole ECB
/// history.
///
/// A stored pair (direct or inverse) has one row per (time, source), so only its first
/// `limit + offset` rows in the requested order can make the page: each of those two
/// branches stops there, reading the table in key order, instead of grouping
/// the pair's whole history to return the newest few.
fn history_sql(direction: &str) -> String {
    format!(
        "
SELECT timestamp, num, den, source, MIN(kind) AS kind FROM (
    SELECT * FROM (
        SELECT timestamp, rate AS num, 1.0 AS den, source, 0 AS kind
          FROM fx_rates
         WHERE pair = ?7 AND timestamp BETWEEN ?3 AND ?4
         ORDER BY timestamp {direction}, source {direction} LIMIT ?5 + ?6)
    UNION ALL
    SELECT * FROM (
        SELECT timestamp, 1.0, rate, source, 1
          FROM fx_rates
         WHERE pair = ?8 AND timestamp BETWEEN ?3 AND ?4
         ORDER BY timestamp {direction}, source {direction} LIMIT ?5 + ?6)
    UNION ALL
    SELECT a.timestamp, b.rate, a.rate, a.source, 2
      FROM fx_pairs AS p
     CROSS JOIN fx_rates AS a
        ON a.pair = p.pair AND a.timestamp BETWEEN ?3 AND ?4
      JOIN fx_rates AS b
        ON b.pair = p.base || '/' || ?2
       AND b.timestamp = a.timestamp AND b.source = a.source
     WHERE p.quote = ?1 AND p.base <> ?2
)
GROUP BY timestamp, source
ORDER BY timestamp {direction}, source {direction} LIMIT ?5 OFFSET ?6"
    )
}

/// Runs `query` against the pool.
pub(super) async fn history(
    pool: &SqlitePool,
    query: &HistoryQuery,
) -> Result<Vec<RatePoint>, StoreError> {
    let direction = match query.order {
        Order::Asc => "ASC",
        Order::Desc => "DESC",
    };
    let sql = history_sql(direction);
    let rows = sqlx::query(&sql)
        .bind(query.pair.base().code())
        .bind(query.pair.quote().code())
        .bind(time::lower_bound(query.from))
        .bind(time::upper_bound(query.to))
        .bind(i64::from(query.limit))
        .bind(i64::from(query.offset))
        .bind(query.pair.to_string())
        .bind(query.pair.inverse().to_string())
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    rows.iter().map(point).collect()
}

fn point(row: &SqliteRow) -> Result<RatePoint, StoreError> {
    let timestamp: String = row.try_get("timestamp").map_err(store_error)?;
    let num: f64 = row.try_get("num").map_err(store_error)?;
    let den: f64 = row.try_get("den").map_err(store_error)?;
    Ok(RatePoint {
        timestamp: time::decode(&timestamp)?,
        rate: num / den,
        source: row.try_get("source").map_err(store_error)?,
    })
}
