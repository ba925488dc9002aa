//! The newest stored snapshot at or before a time, rebuilt from its rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use fxmon_app::ports::StoreError;
use fxmon_core::{Currency, Pair, Rate, RateSnapshot};
use sqlx::postgres::PgPool;
use sqlx::Row;

use super::error::store_error;
use super::time;

/// Rows of the most recent (timestamp, source) group at or before `at`, as a snapshot
/// against the base most of them share. Ties of time go to the first source by name. The
/// group is found in `fx_snapshots`, and its rows pair by pair through the unique key.
pub(super) async fn snapshot_at(
    pool: &PgPool,
    at: Option<DateTime<Utc>>,
) -> Result<Option<RateSnapshot>, StoreError> {
    let newest = sqlx::query(
        "SELECT timestamp, source FROM fx_snapshots WHERE timestamp <= $1
          ORDER BY timestamp DESC, source LIMIT 1",
    )
    .bind(time::upper_bound(at))
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    let timestamp: DateTime<Utc> = newest.try_get("timestamp").map_err(store_error)?;
    let source: String = newest.try_get("source").map_err(store_error)?;
    let rows = sqlx::query(
        "SELECT r.base, r.quote, r.rate
           FROM fx_pairs AS p
           JOIN fx_rates AS r
             ON r.pair = p.pair AND r.timestamp = $1 AND r.source = $2",
    )
    .bind(timestamp)
    .bind(&source)
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    let mut by_base: BTreeMap<Currency, BTreeMap<Pair, Rate>> = BTreeMap::new();
    for row in &rows {
        let base: String = row.try_get("base").map_err(store_error)?;
        let quote: String = row.try_get("quote").map_err(store_error)?;
        let rate: f64 = row.try_get("rate").map_err(store_error)?;
        // Rows were validated on the way in; one that no longer parses is skipped, not fatal.
        let (Ok(base), Ok(quote), Ok(rate)) = (
            Currency::parse(&base),
            Currency::parse(&quote),
            Rate::new(rate),
        ) else {
            continue;
        };
        if let Ok(pair) = Pair::new(base, quote) {
            by_base.entry(base).or_default().insert(pair, rate);
        }
    }
    let Some((base, rates)) = by_base.into_iter().max_by_key(|(_, rates)| rates.len()) else {
        return Ok(None);
    };
    let snapshot = RateSnapshot::new(timestamp, base, rates, source)
        .map_err(|e| StoreError::Rejected(Box::new(e)))?;
    Ok(Some(snapshot))
}

/// Every currency of the rows stored between `from` and `to` (inclusive): the currencies
/// of each pair with a row in that range, found with one look-up of the key per pair.
pub(super) async fn currencies_between(
    pool: &PgPool,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<BTreeSet<Currency>, StoreError> {
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT base FROM fx_pairs AS p
          WHERE EXISTS (SELECT FROM fx_rates AS r
                         WHERE r.pair = p.pair AND r.timestamp BETWEEN $1 AND $2)
         UNION
         SELECT quote FROM fx_pairs AS p
          WHERE EXISTS (SELECT FROM fx_rates AS r
                         WHERE r.pair = p.pair AND r.timestamp BETWEEN $1 AND $2)",
    )
    .bind(time::lower_bound(from))
    .bind(time::upper_bound(to))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    // Codes were validated on the way in; one that no longer parses is left out.
    Ok(codes
        .iter()
        .filter_map(|c| Currency::parse(c).ok())
        .collect())
}
