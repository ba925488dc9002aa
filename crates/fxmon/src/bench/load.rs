//! `fxmon bench load`: publishes simulated snapshots at a fixed rate into a running
//! deployment's bus, under a source name of this run's own, and reports what went out
//! and, given the deployment's store, how much of it was stored and how late.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use fxmon_app::ports::{HistoryQuery, Order, RateStore};
use tokio_util::sync::CancellationToken;

use super::feed::Feed;
use super::latency::{summarize, PublishLog};
use super::pace::{drive, Pace};
use super::publish::Publisher;
use super::report::{Json, Value};
use super::run_id;
use crate::backends::{open_store, Bus};
use crate::cli::{BenchLoadArgs, StoreArgs, StoreKind};
use crate::services::cancel_on_signal;

/// Points read per history page when counting this run's rows.
const PAGE: u32 = 10_000;
/// How often the store is counted while it catches up.
const POLL: Duration = Duration::from_millis(250);

/// How far the store got with this run's snapshots.
struct Caught {
    snapshots: u64,
    /// From the last acknowledged publish until the store held every snapshot; `None` if
    /// it did not within the timeout.
    lag: Option<Duration>,
}

/// `fxmon bench load`.
pub async fn load(args: BenchLoadArgs) -> anyhow::Result<()> {
    let bus = Bus::open(&args.bus, Some("bench load")).await?;
    let store = if args.check_store {
        Some(open_existing(&args.store).await?)
    } else {
        None
    };
    let mut feed = Feed::new(
        format!("fxmon-bench-load-{}", run_id()),
        args.run.currencies,
    )?;
    let stop = CancellationToken::new();
    tokio::spawn(cancel_on_signal(stop.clone())?);
    let mut publisher = Publisher::new(bus.publisher()?, Arc::new(PublishLog::default()));
    let first = next_micros(&feed);
    let started = Instant::now();
    let length = Duration::from_secs_f64(args.run.duration);
    drive(
        &mut publisher,
        &mut feed,
        Pace::Rate(args.rate),
        length,
        &|| 0,
        &stop,
    )
    .await;
    publisher.flush().await;
    let elapsed = started.elapsed();
    let published_at = Instant::now();
    let caught = match &store {
        Some(store) => {
            let timeout = Duration::from_secs_f64(args.catch_up_timeout);
            let range = (first, feed.last_as_of_micros());
            let target = publisher.acknowledged();
            Some(catch_up(store.as_ref(), &feed, range, target, published_at, timeout).await?)
        }
        None => None,
    };
    print(&args, &feed, &publisher, elapsed, caught.as_ref());
    if let Some(error) = &publisher.last_error {
        bail!("{} publishes failed; the last: {error}", publisher.failed);
    }
    Ok(())
}

/// The deployment's store; never a new one.
async fn open_existing(args: &StoreArgs) -> anyhow::Result<Arc<dyn RateStore>> {
    if args.store == StoreKind::Sqlite && !args.sqlite_path().exists() {
        bail!(
            "--check-store: no SQLite store at {} (set --data-dir to the deployment's).",
            args.sqlite_path().display()
        );
    }
    Ok(open_store(args).await?.rates)
}

/// The as-of time (µs) the feed's next snapshot will have at the earliest.
fn next_micros(feed: &Feed) -> i64 {
    (feed.last_as_of_micros() + 1).max(Utc::now().timestamp_micros())
}

/// Counts this run's snapshots in the store until it holds `target` or `timeout` passed.
async fn catch_up(
    store: &dyn RateStore,
    feed: &Feed,
    (first, last): (i64, i64),
    target: u64,
    since: Instant,
    timeout: Duration,
) -> anyhow::Result<Caught> {
    loop {
        let snapshots = stored(store, feed, first, last).await?;
        if snapshots >= target {
            let lag = Some(since.elapsed());
            return Ok(Caught { snapshots, lag });
        }
        if since.elapsed() >= timeout {
            return Ok(Caught {
                snapshots,
                lag: None,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// This run's snapshots in the store: the points of its first leg under its source
/// (a snapshot is stored all or nothing).
async fn stored(store: &dyn RateStore, feed: &Feed, first: i64, last: i64) -> anyhow::Result<u64> {
    let (pair, _) = feed.mids().next().context("The feed has no legs.")?;
    let time = |micros| DateTime::from_timestamp_micros(micros);
    let mut count = 0;
    let mut offset = 0;
    loop {
        let query = HistoryQuery {
            pair,
            from: time(first),
            to: time(last),
            limit: PAGE,
            offset,
            order: Order::Asc,
        };
        let points = store
            .history(&query)
            .await
            .context("Failed to count this run's rows in the store.")?;
        count += points.iter().filter(|p| p.source == feed.source()).count() as u64;
        if points.len() < PAGE as usize {
            return Ok(count);
        }
        offset += PAGE;
    }
}

fn print(
    args: &BenchLoadArgs,
    feed: &Feed,
    publisher: &Publisher,
    elapsed: Duration,
    caught: Option<&Caught>,
) {
    let seconds = elapsed.as_secs_f64();
    let published = publisher.acknowledged();
    let acks = summarize(publisher.acks.clone());
    let rows = feed.rows_per_snapshot();
    if args.run.json {
        let mut json = Json::default()
            .text("bench", "load")
            .number("rate", args.rate)
            .number("duration_s", seconds)
            .text("source", feed.source())
            .count("rows_per_snapshot", rows)
            .count("snapshots", published)
            .count("failed", publisher.failed)
            .number("snapshots_per_sec", published as f64 / seconds)
            .number("rows_per_sec", (published * rows) as f64 / seconds)
            .number("p50_ms", acks.p50_ms)
            .number("p99_ms", acks.p99_ms)
            .number("max_ms", acks.max_ms);
        if let Some(caught) = caught {
            json = json
                .count("stored_snapshots", caught.snapshots)
                .count("stored_rows", caught.snapshots * rows)
                .with("kept_up", Value::Flag(caught.lag.is_some()))
                .with(
                    "lag_s",
                    caught
                        .lag
                        .map_or(Value::Null, |lag| Value::Number(lag.as_secs_f64())),
                );
        }
        println!("{}", json.render());
        return;
    }
    println!(
        "fxmon bench load: {} snapshots/s for {seconds:.1} s as source {}",
        args.rate,
        feed.source()
    );
    println!(
        "  published {published} snapshots ({:.0}/s, {rows} rows each), {} failed",
        published as f64 / seconds,
        publisher.failed
    );
    println!(
        "  publish   acknowledged after p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        acks.p50_ms, acks.p99_ms, acks.max_ms
    );
    if let Some(caught) = caught {
        let lag = caught.lag.map_or_else(
            || format!("not all within {} s", args.catch_up_timeout),
            |lag| format!("all {:.2} s after the last publish", lag.as_secs_f64()),
        );
        println!(
            "  stored    {} of {published} snapshots ({} rows), {lag}",
            caught.snapshots,
            caught.snapshots * rows
        );
    }
}
