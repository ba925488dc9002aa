//! `RateStore` over SQLite: batched idempotent inserts, counts and the health check.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{HistoryQuery, RatePoint, RateStore, StoreError, StoredRate};
use fxmon_core::{Pair, RateSnapshot};
use sqlx::{QueryBuilder, Sqlite};

use super::error::store_error;
use super::{history, snapshot, time, SqliteStore};

/// The most rows per INSERT: 7 binds each stays below SQLite's 32766-variable limit.
const CHUNK_ROWS: usize = 4096;

#[async_trait]
impl RateStore for SqliteStore {
    async fn insert_rates(&self, rows: &[StoredRate]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let created_at = time::encode(Utc::now())?;
        // Built before the writer is taken, so that it is held only while SQLite works.
        let mut inserts = chunks(rows)
            .map(|chunk| insert_statement(chunk, &created_at))
            .collect::<Result<Vec<_>, _>>()?;
        let new_pairs = self.pairs.missing(rows.iter().map(|row| &row.pair));
        let mut listings: Vec<_> = new_pairs.chunks(CHUNK_ROWS).map(pairs_statement).collect();
        // Dropped without commit on any error, so a failed batch leaves nothing behind.
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let mut inserted = 0;
        for insert in &mut inserts {
            let done = insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            inserted += done.rows_affected();
        }
        for listing in &mut listings {
            listing
                .build()
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
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
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fx_rates")
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

/// `rows` in chunks whose sizes are powers of two, each the largest that fits (up to
/// [`CHUNK_ROWS`]). Each size is one statement text, prepared once and then reused from the
/// writer's statement cache: at most 13 of them whatever the batch sizes, where chunks of
/// any size would prepare (and cache, up to 100) a new statement for every remainder.
/// Fewer, larger statements mean fewer hand-offs to the writer's thread: 7,424 rows take 4
/// statements instead of 15 chunks of 500 (docs/BENCHMARKS.md).
fn chunks(rows: &[StoredRate]) -> impl Iterator<Item = &[StoredRate]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = CHUNK_ROWS.min(1 << rest.len().ilog2());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// One multi-row `INSERT ... ON CONFLICT DO NOTHING`: a row already stored is skipped and
/// not counted in `rows_affected`.
fn insert_statement<'a>(
    chunk: &[StoredRate],
    created_at: &'a str,
) -> Result<QueryBuilder<'a, Sqlite>, StoreError> {
    // A snapshot's rows share their time: encode it once, not once per row.
    let mut timestamps: Vec<String> = Vec::with_capacity(chunk.len());
    for (i, row) in chunk.iter().enumerate() {
        let timestamp = if i > 0 && chunk[i - 1].timestamp == row.timestamp {
            timestamps[i - 1].clone()
        } else {
            time::encode(row.timestamp)?
        };
        timestamps.push(timestamp);
    }
    let mut insert = QueryBuilder::new(
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source, created_at) ",
    );
    insert.push_values(
        chunk.iter().zip(timestamps),
        |mut values, (row, timestamp)| {
            values
                .push_bind(row.pair.to_string())
                .push_bind(row.pair.base().code().to_owned())
                .push_bind(row.pair.quote().code().to_owned())
                .push_bind(row.rate.get())
                .push_bind(timestamp)
                .push_bind(row.source.clone())
                .push_bind(created_at);
        },
    );
    insert.push(" ON CONFLICT (pair, timestamp, source) DO NOTHING");
    Ok(insert)
}

/// Lists `pairs` in `fx_pairs`, where history finds the first legs of a cross.
fn pairs_statement(pairs: &[Pair]) -> QueryBuilder<'static, Sqlite> {
    let mut insert = QueryBuilder::new("INSERT INTO fx_pairs (pair, base, quote) ");
    insert.push_values(pairs, |mut values, pair| {
        values
            .push_bind(pair.to_string())
            .push_bind(pair.base().code().to_owned())
            .push_bind(pair.quote().code().to_owned());
    });
    insert.push(" ON CONFLICT (pair) DO NOTHING");
    insert
}

#[cfg(test)]
mod tests {
    use super::*;
    use fxmon_core::Rate;

    fn rows(n: usize) -> Vec<StoredRate> {
        let pair = Pair::parse("USD/EUR").unwrap();
        (0..n)
            .map(|i| StoredRate {
                pair,
                rate: Rate::new(1.0 + i as f64).unwrap(),
                timestamp: DateTime::UNIX_EPOCH,
                source: "test".to_owned(),
            })
            .collect()
    }

    #[test]
    fn chunks_are_the_largest_powers_of_two_that_fit_and_cover_every_row_in_order() {
        for (n, sizes) in [
            (0, vec![]),
            (1, vec![1]),
            (290, vec![256, 32, 2]),
            (7424, vec![4096, 2048, 1024, 256]),
            (10_000, vec![4096, 4096, 1024, 512, 256, 16]),
        ] {
            let rows = rows(n);
            let chunks: Vec<&[StoredRate]> = chunks(&rows).collect();
            let lengths: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            assert_eq!(lengths, sizes, "{n} rows");
            assert_eq!(chunks.concat(), rows, "{n} rows");
        }
    }
}
