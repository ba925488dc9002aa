//! A pair's history from whichever rows can answer it: direct, inverse, or a cross.

use fxmon_app::ports::{HistoryQuery, Order, RatePoint, StoreError};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;

use super::error::store_error;
use super::time;

/// Points for A/B ($1 = A, $2 = B, $5 = "A/B", $6 = "B/A") between $3 and $4 inclusive,
/// from three kinds of rows: A/B itself; B/A inverted; and X/A with X/B of the same time and
/// source, for any X (1 A = rate(X/B) / rate(X/A) B). Where several kinds answer the same
/// (time, source), the most direct wins: `DISTINCT ON` keeps the first row of each group by
/// `kind`.
///
/// Rows are looked up by `pair`, so that the unique (pair, timestamp, source) index serves
/// the direct and inverse rows, both legs of a cross, and the second leg with equalities
/// only. The first leg's pairs (every X/A) come from `fx_pairs`, so no other index on
/// `fx_rates` than the one on time is needed.
///
/// Each row carries a numerator and a denominator and the division happens in Rust, as in
/// the SQLite store, so a cross or an inverse equals, bit for bit, the one the core
/// computes from a snapshot and the one SQLite answers.
///
/// A stored pair (direct or inverse) has one row per (time, source), so only its first
/// `limit + offset` rows in the requested order can make the page: each of those two
/// branches stops there, reading the unique key's index in order, instead of sorting the
/// pair's whole history to return the newest few.
fn history_sql(direction: &str) -> String {
    format!(
        "
SELECT timestamp, num, den, source FROM (
    SELECT DISTINCT ON (timestamp, source) timestamp, num, den, source FROM (
        (SELECT timestamp, rate AS num, 1.0::float8 AS den, source, 0 AS kind
           FROM fx_rates
          WHERE pair = $5 AND timestamp BETWEEN $3 AND $4
          ORDER BY timestamp {direction}, source {direction} LIMIT $7 + $8)
        UNION ALL
        (SELECT timestamp, 1.0::float8, rate, source, 1
           FROM fx_rates
          WHERE pair = $6 AND timestamp BETWEEN $3 AND $4
          ORDER BY timestamp {direction}, source {direction} LIMIT $7 + $8)
        UNION ALL
        SELECT a.timestamp, b.rate, a.rate, a.source, 2
          FROM fx_pairs AS p
          JOIN fx_rates AS a
            ON a.pair = p.pair AND a.timestamp BETWEEN $3 AND $4
          JOIN fx_rates AS b
            ON b.pair = p.base || '/' || $2
           AND b.timestamp = a.timestamp AND b.source = a.source
         WHERE p.quote = $1 AND p.base <> $2
           AND b.timestamp BETWEEN $3 AND $4
    ) AS candidates
    ORDER BY timestamp, source, kind
) AS best
ORDER BY timestamp {direction}, source {direction} LIMIT $7 OFFSET $8"
    )
}

/// Runs `query` against the pool.
pub(super) async fn history(
    pool: &PgPool,
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
        .bind(query.pair.to_string())
        .bind(query.pair.inverse().to_string())
        .bind(i64::from(query.limit))
        .bind(i64::from(query.offset))
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    rows.iter().map(point).collect()
}

fn point(row: &PgRow) -> Result<RatePoint, StoreError> {
    let num: f64 = row.try_get("num").map_err(store_error)?;
    let den: f64 = row.try_get("den").map_err(store_error)?;
    Ok(RatePoint {
        timestamp: row.try_get("timestamp").map_err(store_error)?,
        rate: num / den,
        source: row.try_get("source").map_err(store_error)?,
    })
}
