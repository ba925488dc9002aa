//! `fxmon import ecb`: loads the ECB's reference-rate history into the store.

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::Context;
use fxmon_adapters::ecb;
use fxmon_app::ports::{HistoryQuery, RateStore, StoredRate};
use fxmon_core::{Currency, Pair, Rate};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::ImportEcbArgs;

/// Rows per store write: big enough to be fast, small enough for a smooth progress bar.
const BATCH: usize = 10_000;

/// Imports the file at `args.path`.
pub async fn import_ecb(args: ImportEcbArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.path)
        .with_context(|| format!("Failed to read {}.", args.path.display()))?;
    let stores = crate::backends::open_store(&args.store).await?;
    let summary = import(
        stores.rates.as_ref(),
        &bytes,
        std::io::stderr().is_terminal(),
    )
    .await
    .with_context(|| format!("Failed to import {}.", args.path.display()));
    stores.close().await;
    println!("{}", summary?);
    Ok(())
}

/// The ECB's first reference rate (4 January 1999), which a finished backfill holds.
const FIRST_ECB_DAY: &str = "1999-01-04T00:00:00Z";

/// Loads the ECB history bundled in the binary (for `run --backfill-ecb`) when the store
/// is empty, or finishes a backfill an earlier start left half done. Rows go in newest day
/// first, [`BATCH`] at a time, so memory stays bounded: a store holding the first ECB day
/// is complete (and is checked without parsing the history), one holding the bundled
/// newest day but not the first is half done. A batch already stored is skipped row by
/// row on the next try, so an interruption loses nothing.
pub async fn backfill_shipped(store: &dyn RateStore) -> anyhow::Result<()> {
    let started = Instant::now();
    let first = StoredRate {
        pair: Pair::new(Currency::EUR, Currency::USD)?,
        rate: Rate::new(1.0)?,
        timestamp: FIRST_ECB_DAY.parse()?,
        source: ecb::SOURCE.to_owned(),
    };
    // Not `count_rates`: counting reads the whole table into memory.
    let empty = store.snapshot_at(None).await?.is_none();
    if !empty && has_row(store, &first).await? {
        return Ok(());
    }
    let days =
        ecb::parse(ecb::shipped_history()).context("The bundled ECB history is unreadable.")?;
    let Some(newest) = days.last() else {
        return Ok(());
    };
    if !empty {
        let row = ecb::to_stored_rates(std::slice::from_ref(newest)).next();
        let started_before = match row {
            Some(row) => has_row(store, &row).await?,
            None => false,
        };
        if !started_before {
            return Ok(());
        }
    }
    let mut rows = days
        .iter()
        .rev()
        .flat_map(|day| ecb::to_stored_rates(std::slice::from_ref(day)))
        .peekable();
    let mut inserted = 0;
    while rows.peek().is_some() {
        let batch: Vec<StoredRate> = rows.by_ref().take(BATCH).collect();
        inserted += store
            .insert_rates(&batch)
            .await
            .context("Failed to backfill the bundled ECB history.")?;
    }
    tracing::info!(
        days = days.len(),
        rates = inserted,
        seconds = started.elapsed().as_secs_f64(),
        "Backfilled the bundled ECB history."
    );
    Ok(())
}

/// Whether `row` (its pair, time and source) is stored.
async fn has_row(store: &dyn RateStore, row: &StoredRate) -> anyhow::Result<bool> {
    let query = HistoryQuery {
        from: Some(row.timestamp),
        to: Some(row.timestamp),
        ..HistoryQuery::latest(row.pair, 10)
    };
    let points = store.history(&query).await?;
    Ok(points.iter().any(|point| point.source == row.source))
}

/// Parses and stores; returns a one-line summary.
async fn import(store: &dyn RateStore, bytes: &[u8], progress: bool) -> anyhow::Result<String> {
    let started = Instant::now();
    let days = ecb::parse(bytes)?;
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    let bar = if progress {
        ProgressBar::new(rows.len() as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rates ({eta} left)")
                .expect("the template is valid"),
        )
    } else {
        ProgressBar::hidden()
    };
    let mut inserted = 0;
    for chunk in rows.chunks(BATCH) {
        inserted += store.insert_rates(chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let (first, last) = (days.first(), days.last());
    Ok(format!(
        "Imported {} ECB days ({} to {}): {} rates read, {} new, {} already stored, in {:.2}s.",
        days.len(),
        first.map(|d| d.date.to_string()).unwrap_or_default(),
        last.map(|d| d.date.to_string()).unwrap_or_default(),
        rows.len(),
        inserted,
        rows.len() as u64 - inserted,
        started.elapsed().as_secs_f64(),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use fxmon_adapters::sqlite::SqliteStore;

    use super::*;

    async fn store() -> (tempfile::TempDir, Arc<SqliteStore>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("fxmon.db"))
            .await
            .unwrap();
        (dir, Arc::new(store))
    }

    fn shipped() -> Vec<StoredRate> {
        let days = ecb::parse(ecb::shipped_history()).unwrap();
        ecb::to_stored_rates(&days).collect()
    }

    #[tokio::test]
    async fn a_backfill_interrupted_after_some_batches_is_finished_on_the_next_start() {
        let (_dir, store) = store().await;
        let all = shipped();
        // What an interrupted start leaves: the first batches (the newest days), committed.
        let newest_first: Vec<StoredRate> = all.iter().rev().take(2 * BATCH).cloned().collect();
        store.insert_rates(&newest_first).await.unwrap();
        backfill_shipped(store.as_ref()).await.unwrap();
        assert_eq!(store.count_rates().await.unwrap(), all.len() as u64);
        // Complete now: another start adds nothing.
        backfill_shipped(store.as_ref()).await.unwrap();
        assert_eq!(store.count_rates().await.unwrap(), all.len() as u64);
    }

    #[tokio::test]
    async fn a_store_holding_other_data_is_not_backfilled() {
        let (_dir, store) = store().await;
        let mut row = shipped().pop().unwrap();
        row.source = "exchangerate-api.com".into();
        store.insert_rates(&[row]).await.unwrap();
        backfill_shipped(store.as_ref()).await.unwrap();
        assert_eq!(store.count_rates().await.unwrap(), 1);
    }
}
