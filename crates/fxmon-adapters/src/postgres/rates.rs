//! `RateStore` over PostgreSQL: batched idempotent inserts, counts and the health check.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{HistoryQuery, RatePoint, RateStore, StoreError, StoredRate};
use fxmon_core::{Pair, RateSnapshot};
use sqlx::{Postgres, Transaction};

use super::error::store_error;
use super::partitions::month_of;
use super::{history, snapshot, time, PgStore};

/// Rows per statement: each column is bound as one array, so a statement's size is not
/// bounded by PostgreSQL's 65535 parameters; this keeps one statement's memory modest.
const CHUNK_ROWS: usize = 10_000;

/// `ON CONFLICT ... DO NOTHING` skips rows already stored (and repeats within the batch);
/// `rows_affected` counts only the new ones. `created_at` is the transaction's time.
const INSERT_SQL: &str = "
INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source)
SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::float8[], $5::timestamptz[],
                     $6::text[])
ON CONFLICT (pair, timestamp, source) DO NOTHING";

#[async_trait]
impl RateStore for PgStore {
    /// Creates the partitions the batch needs first, in their own short transaction, so
    /// the insert itself never holds the parent table's DDL lock.
    async fn insert_rates(&self, rows: &[StoredRate]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let rows = in_key_order(rows)?;
        let months: BTreeSet<_> = rows
            .iter()
            .map(|row| month_of(row.timestamp.date_naive()))
            .collect();
        self.ensure_months(&months).await?;
        // Dropped without commit on any error, so a failed batch leaves nothing behind.
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // In the pairs' order, like the rows, so concurrent writers cannot deadlock.
        let new_pairs = self.pairs.missing(rows.iter().map(|row| &row.pair));
        if !new_pairs.is_empty() {
            insert_pairs(&mut tx, &new_pairs).await?;
        }
        let mut inserted = 0;
        for chunk in rows.chunks(CHUNK_ROWS) {
            inserted += insert_chunk(&mut tx, chunk).await?;
        }
        insert_snapshots(&mut tx, &rows).await?;
        tx.commit().await.map_err(store_error)?;
        self.pairs.add(&new_pairs);
        Ok(inserted)
    }

    async fn history(&self, query: &HistoryQuery) -> Result<Vec<RatePoint>, StoreError> {
        history::history(&self.pool, query).await
    }

    async fn snapshot_at(
        &self,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<RateSnapshot>, StoreError> {
        snapshot::snapshot_at(&self.pool, at).await
    }

    async fn currencies_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<std::collections::BTreeSet<fxmon_core::Currency>, StoreError> {
        snapshot::currencies_between(&self.pool, from, to).await
    }

    async fn count_rates(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM fx_rates")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(count.unsigned_abs())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

/// The rows, checked, in one total order. Two writers inserting overlapping batches then
/// take their row locks in the same order and wait for each other instead of deadlocking.
/// Time first, so each chunk fills few partitions.
fn in_key_order(rows: &[StoredRate]) -> Result<Vec<&StoredRate>, StoreError> {
    for row in rows {
        time::check(row.timestamp)?;
    }
    let mut sorted: Vec<&StoredRate> = rows.iter().collect();
    sorted.sort_unstable_by(|a, b| {
        (a.timestamp, a.pair, &a.source).cmp(&(b.timestamp, b.pair, &b.source))
    });
    Ok(sorted)
}

/// Lists `pairs` in `fx_pairs`, where history finds the first leg of a cross.
async fn insert_pairs(
    tx: &mut Transaction<'static, Postgres>,
    pairs: &[Pair],
) -> Result<(), StoreError> {
    let names: Vec<String> = pairs.iter().map(ToString::to_string).collect();
    let bases: Vec<String> = pairs
        .iter()
        .map(|pair| pair.base().code().to_owned())
        .collect();
    let quotes: Vec<String> = pairs
        .iter()
        .map(|pair| pair.quote().code().to_owned())
        .collect();
    sqlx::query(
        "INSERT INTO fx_pairs (pair, base, quote)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])
         ON CONFLICT (pair) DO NOTHING",
    )
    .bind(names)
    .bind(bases)
    .bind(quotes)
    .execute(&mut **tx)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Lists the batch's snapshots in `fx_snapshots`, where `snapshot_at` finds the newest.
/// `rows` are in time order; the snapshots go in key order, as the rows do, so concurrent
/// writers cannot deadlock.
async fn insert_snapshots(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[&StoredRate],
) -> Result<(), StoreError> {
    let mut snapshots: Vec<(DateTime<Utc>, &str)> = rows
        .iter()
        .map(|row| (row.timestamp, row.source.as_str()))
        .collect();
    snapshots.sort_unstable();
    snapshots.dedup();
    let (timestamps, sources): (Vec<DateTime<Utc>>, Vec<&str>) = snapshots.into_iter().unzip();
    sqlx::query(
        "INSERT INTO fx_snapshots (timestamp, source)
         SELECT * FROM UNNEST($1::timestamptz[], $2::text[])
         ON CONFLICT (timestamp, source) DO NOTHING",
    )
    .bind(timestamps)
    .bind(sources)
    .execute(&mut **tx)
    .await
    .map_err(store_error)?;
    Ok(())
}

async fn insert_chunk(
    tx: &mut Transaction<'static, Postgres>,
    chunk: &[&StoredRate],
) -> Result<u64, StoreError> {
    let mut pairs = Vec::with_capacity(chunk.len());
    let mut bases = Vec::with_capacity(chunk.len());
    let mut quotes = Vec::with_capacity(chunk.len());
    let mut rates = Vec::with_capacity(chunk.len());
    let mut timestamps = Vec::with_capacity(chunk.len());
    let mut sources = Vec::with_capacity(chunk.len());
    for row in chunk {
        pairs.push(row.pair.to_string());
        bases.push(row.pair.base().code().to_owned());
        quotes.push(row.pair.quote().code().to_owned());
        rates.push(row.rate.get());
        timestamps.push(row.timestamp);
        sources.push(row.source.as_str());
    }
    let done = sqlx::query(INSERT_SQL)
        .bind(pairs)
        .bind(bases)
        .bind(quotes)
        .bind(rates)
        .bind(timestamps)
        .bind(sources)
        .execute(&mut **tx)
        .await
        .map_err(store_error)?;
    Ok(done.rows_affected())
}
