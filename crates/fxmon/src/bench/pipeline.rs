//! `fxmon bench pipeline`: the processor, the alerter and its delivery worker in this
//! process on the chosen bus, store and cache, fed simulated snapshots. Measures the
//! sustained store rate over the measured window and the time from publishing a snapshot
//! to receiving, on `fx-alerts`, an alert it fired.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fxmon_app::ports::Topic;
use fxmon_app::Tracked;
use tokio_util::sync::CancellationToken;

use super::alerts::{self, Heard, Listened};
use super::consumers::{self, Consumers};
use super::feed::{Feed, PERIOD};
use super::latency::{summarize, PublishLog, Summary};
use super::pace::{drive, Pace};
use super::publish::Publisher;
use super::report::{Json, Value};
use super::{rules, run_id};
use crate::backends::{open_cache, open_store, Bus};
use crate::cli::{BackendArgs, BenchPipelineArgs, BusKind, StoreKind};
use crate::services::{cancel_on_signal, Services};

/// How long the warm-up may take (Kafka consumers joining their groups).
const WARM_UP_LIMIT: Duration = Duration::from_secs(60);
/// How long the consumers may take to finish the backlog after the measured window.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);
/// Alerts still arriving this long after the consumers finished count as the backlog's.
const ALERT_QUIET: Duration = Duration::from_millis(500);
/// The `--data-dir` default, which the benchmark replaces by a temporary directory.
const DEFAULT_DATA_DIR: &str = "./fxmon-data";

/// What one run measured.
struct Measured {
    window: Duration,
    stored: u64,
    evaluated: u64,
    published: u64,
    drain: Duration,
    heard: Heard,
    from_micros: i64,
}

/// `fxmon bench pipeline`.
pub async fn pipeline(args: BenchPipelineArgs) -> anyhow::Result<()> {
    let id = run_id();
    let (backends, scratch) = isolate(&args.backends, id)?;
    let result = bench(&args, &backends, id).await;
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    let (feed, measured) = result?;
    print(&args, &backends, &feed, &measured);
    Ok(())
}

/// The backends of this run: a temporary SQLite directory unless one was named, and
/// fresh Kafka topics and groups, so earlier runs' messages are not replayed.
fn isolate(args: &BackendArgs, id: i64) -> anyhow::Result<(BackendArgs, Option<PathBuf>)> {
    let mut backends = args.clone();
    let mut scratch = None;
    if backends.store.store == StoreKind::Sqlite
        && backends.store.data_dir.as_path() == std::path::Path::new(DEFAULT_DATA_DIR)
    {
        let dir = std::env::temp_dir().join(format!("fxmon-bench-{id}"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("Failed to create {}.", dir.display()))?;
        backends.store.data_dir = dir.clone();
        scratch = Some(dir);
    }
    if backends.bus.bus == BusKind::Kafka {
        backends.bus.kafka_prefix = format!("{}bench-{id}-", backends.bus.kafka_prefix);
    }
    Ok((backends, scratch))
}

async fn bench(
    args: &BenchPipelineArgs,
    backends: &BackendArgs,
    id: i64,
) -> anyhow::Result<(Feed, Measured)> {
    let tracked = Tracked::parse(&args.pairs.pairs).context("--pairs is invalid.")?;
    let stores = open_store(&backends.store).await?;
    let bus = Bus::open(&backends.bus, None).await?;
    let cache = open_cache(&backends.cache, None).await?;
    let mut feed = Feed::spread(
        format!("fxmon-bench-{id}"),
        args.sources,
        args.run.currencies,
    )?;
    let rule_ids = rules::create(stores.alerts.as_ref(), &feed).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone())?);
    let mut services = Services::new(shutdown.clone());
    let consumers = consumers::spawn(
        &mut services,
        &tracked,
        &bus,
        &stores,
        cache,
        args.processors,
    )?;
    let log = Arc::new(PublishLog::default());
    let heard = Listened::default();
    let listener = bus.subscribe(Topic::Alerts, "fxmon-bench-alerts")?;
    services.spawn(
        "alert listener",
        alerts::listen(listener, log.clone(), heard.clone(), shutdown.clone()),
    );
    let running = tokio::spawn(services.wait());
    let mut publisher = Publisher::new(bus.publisher()?, log);
    let pace = Pace::of(args.rate);
    let measured = measure(
        &mut publisher,
        &mut feed,
        pace,
        args,
        &consumers,
        &heard,
        &shutdown,
    )
    .await;
    shutdown.cancel();
    let stopped = running.await.context("The services' task panicked.")?;
    rules::delete(stores.alerts.as_ref(), &rule_ids).await;
    stopped?;
    Ok((feed, measured?))
}

/// Warm-up, measured window, drain.
async fn measure(
    publisher: &mut Publisher,
    feed: &mut Feed,
    pace: Pace,
    args: &BenchPipelineArgs,
    consumers: &Consumers,
    heard: &Listened,
    stop: &CancellationToken,
) -> anyhow::Result<Measured> {
    let finished = || consumers.finished();
    warm_up(publisher, feed, pace, consumers, heard, stop).await?;
    let from_micros = feed.last_as_of_micros();
    let first = publisher.submitted;
    let stored_before = consumers.stored.get();
    let evaluated_before = consumers.evaluated.get();
    let started = Instant::now();
    let length = Duration::from_secs_f64(args.run.duration);
    drive(publisher, feed, pace, length, &finished, stop).await;
    let window = started.elapsed();
    let stored = consumers.stored.get() - stored_before;
    let evaluated = consumers.evaluated.get() - evaluated_before;
    let published = publisher.submitted - first;
    let drained = Instant::now();
    publisher.flush().await;
    settle(publisher, consumers, heard, DRAIN_LIMIT, stop).await?;
    let drain = drained.elapsed();
    let heard = std::mem::take(&mut *heard.lock().expect("listener lock"));
    Ok(Measured {
        window,
        stored,
        evaluated,
        published,
        drain,
        heard,
        from_micros,
    })
}

/// One swing of snapshots, until the consumers finished them and an alert came back: the
/// consumers have joined the bus and loaded their state.
async fn warm_up(
    publisher: &mut Publisher,
    feed: &mut Feed,
    pace: Pace,
    consumers: &Consumers,
    heard: &Listened,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let rate = match pace {
        Pace::Rate(rate) => rate,
        Pace::Unthrottled => 1000.0,
    };
    for _ in 0..PERIOD {
        publisher.submit(&feed.next_snapshot()).await;
        tokio::time::sleep(Duration::from_secs_f64(1.0 / rate)).await;
    }
    settle(publisher, consumers, heard, WARM_UP_LIMIT, stop).await?;
    if heard.lock().expect("listener lock").events == 0 {
        bail!("No alert arrived on fx-alerts during the warm-up.");
    }
    Ok(())
}

/// Waits until every published snapshot is finished by both consumers and no alert has
/// arrived for a moment.
async fn settle(
    publisher: &mut Publisher,
    consumers: &Consumers,
    heard: &Listened,
    limit: Duration,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    publisher.flush().await;
    if let Some(error) = &publisher.last_error {
        bail!("Publishing to fx-rates failed: {error}");
    }
    loop {
        if stop.is_cancelled() {
            bail!("The benchmark was stopped (a service failed or a signal arrived).");
        }
        let done = consumers.finished() >= publisher.submitted;
        let last = heard.lock().expect("listener lock").last_at;
        if done && last.is_some_and(|at| at.elapsed() >= ALERT_QUIET) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "The pipeline did not settle within {} s: {} of {} snapshots stored, {} \
                 evaluated, {} alerts received.",
                limit.as_secs(),
                consumers.stored.get(),
                publisher.submitted,
                consumers.evaluated.get(),
                heard.lock().expect("listener lock").events
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn print(args: &BenchPipelineArgs, backends: &BackendArgs, feed: &Feed, m: &Measured) {
    let seconds = m.window.as_secs_f64();
    let rows = m.stored * feed.rows_per_snapshot();
    let latencies = m
        .heard
        .latencies
        .iter()
        .filter(|(as_of, _)| *as_of > m.from_micros)
        .map(|(_, latency)| *latency)
        .collect();
    let latency = summarize(latencies);
    let names = Names::of(backends);
    if args.run.json {
        let json = Json::default()
            .text("bench", "pipeline")
            .text("bus", names.bus)
            .text("store", names.store)
            .text("cache", names.cache)
            .with("rate", args.rate.map_or(Value::Null, Value::Number))
            .count("processors", u64::from(args.processors))
            .count("sources", u64::from(args.sources))
            .number("duration_s", seconds)
            .count("rows_per_snapshot", feed.rows_per_snapshot())
            .count("snapshots", m.stored)
            .count("published", m.published)
            .count("evaluated", m.evaluated)
            .count("rows", rows)
            .number("rows_per_sec", rows as f64 / seconds)
            .number("snapshots_per_sec", m.stored as f64 / seconds)
            .count("alerts", latency.count as u64)
            .count("alerts_total", m.heard.events)
            .number("p50_ms", latency.p50_ms)
            .number("p99_ms", latency.p99_ms)
            .number("max_ms", latency.max_ms)
            .number("drain_s", m.drain.as_secs_f64())
            .text("source", feed.source());
        println!("{}", json.render());
        return;
    }
    human(args, &names, feed, m, rows, &latency);
}

fn human(
    args: &BenchPipelineArgs,
    names: &Names,
    feed: &Feed,
    m: &Measured,
    rows: u64,
    latency: &Summary,
) {
    let seconds = m.window.as_secs_f64();
    let pace = args
        .rate
        .map_or("unthrottled".to_owned(), |r| format!("{r} snapshots/s"));
    println!(
        "fxmon bench pipeline: bus {}, store {}, cache {}",
        names.bus, names.store, names.cache
    );
    println!(
        "  load      {pace} for {seconds:.1} s, {} rows per snapshot, {} published",
        feed.rows_per_snapshot(),
        m.published
    );
    println!(
        "  stored    {rows} rows ({:.0} rows/s), {} snapshots ({:.0}/s)",
        rows as f64 / seconds,
        m.stored,
        m.stored as f64 / seconds
    );
    println!(
        "  evaluated {} snapshots by the alerter ({:.0}/s)",
        m.evaluated,
        m.evaluated as f64 / seconds
    );
    println!(
        "  alerts    {} on fx-alerts; snapshot-to-alert p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latency.count, latency.p50_ms, latency.p99_ms, latency.max_ms
    );
    println!(
        "  drain     {:.2} s after the window to finish the backlog",
        m.drain.as_secs_f64()
    );
    if args.rate.is_none() {
        println!("  (unthrottled: latencies include queueing; measure them with --rate)");
    }
}

/// The backends' names, for the report.
struct Names {
    bus: &'static str,
    store: &'static str,
    cache: &'static str,
}

impl Names {
    fn of(args: &BackendArgs) -> Self {
        use crate::cli::CacheKind;
        Self {
            bus: match args.bus.bus {
                BusKind::Memory => "memory",
                BusKind::Kafka => "kafka",
            },
            store: match args.store.store {
                StoreKind::Sqlite => "sqlite",
                StoreKind::Postgres => "postgres",
            },
            cache: match args.cache.cache {
                CacheKind::Memory => "memory",
                CacheKind::Redis => "redis",
            },
        }
    }
}
