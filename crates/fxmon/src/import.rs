//! `fxmon import ecb`: loads the ECB's reference-rate history into the store.

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::Context;
use fxmon_adapters::ecb;
use fxmon_app::ports::{RateStore, StoredRate};
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
    .with_context(|| format!("Failed to import {}.", args.path.display()))?;
    println!("{summary}");
    Ok(())
}

/// Loads the ECB history bundled in the binary (for `run --backfill-ecb`) in one
/// transaction, so an interrupted backfill leaves the store empty and the next start
/// backfills again.
pub async fn backfill_shipped(store: &dyn RateStore) -> anyhow::Result<()> {
    let started = Instant::now();
    let days =
        ecb::parse(ecb::shipped_history()).context("The bundled ECB history is unreadable.")?;
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    let inserted = store
        .insert_rates(&rows)
        .await
        .context("Failed to backfill the bundled ECB history.")?;
    tracing::info!(
        days = days.len(),
        rates = inserted,
        seconds = started.elapsed().as_secs_f64(),
        "Backfilled the bundled ECB history."
    );
    Ok(())
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
