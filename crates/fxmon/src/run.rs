//! `fxmon run`: every service in one process on the embedded adapters. The first service
//! to fail cancels the others; SIGINT/SIGTERM finishes the snapshot in flight and exits 0.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_adapters::webhook::HttpWebhookSender;
use fxmon_api::{ApiDeps, ApiSettings, LiveFeed};
use fxmon_app::alerter::{self, Alerter, AlerterDeps};
use fxmon_app::delivery::{self, DeliveryPolicy, DeliveryWaker};
use fxmon_app::health::HealthDeps;
use fxmon_app::ports::{RateStore, Topic, ALERTER_GROUP, PROCESSOR_GROUP};
use fxmon_app::processor::{self, Processor, ProcessorDeps};
use fxmon_app::producer::{self, ProducerConfig, ProducerDeps};
use fxmon_app::{SourceHealth, Tracked};
use fxmon_core::PollPolicy;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::{RunArgs, SourceKind};
use crate::import;

/// How long a consumer waits before retrying a snapshot whose store write failed.
const STORE_RETRY: Duration = Duration::from_millis(200);
/// Messages each in-process queue holds before the producer waits.
const BUS_CAPACITY: usize = 1024;
/// The consumer group of the API's live feed (`/stream`).
const LIVE_FEED_GROUP: &str = "api-live-feed";

/// Microseconds since the epoch: the first `/stream` event id, so ids keep increasing
/// across restarts.
fn start_micros() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or_default()
}

/// Runs until a signal or the first service failure.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone())?);
    let tracked = Tracked::parse(&args.pairs).context("--pairs / FXMON_PAIRS is invalid.")?;
    let source = crate::source::build(&args.source)?;
    let store = Arc::new(
        SqliteStore::open(&args.store.sqlite_path())
            .await
            .with_context(|| {
                format!(
                    "Failed to open the SQLite store in {}.",
                    args.store.data_dir.display()
                )
            })?,
    );
    if args.backfill_ecb && store.count_rates().await? == 0 {
        import::backfill_shipped(store.as_ref()).await?;
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("Failed to listen on {}.", args.listen))?;
    let bus = Arc::new(MemoryBus::new(BUS_CAPACITY));
    let cache = Arc::new(MemoryRateCache::new());
    let health = SourceHealth::new(source.name());
    // Subscribe before the producer starts, so no snapshot is published to nobody.
    let processor_inbox = Box::new(bus.subscribe(Topic::Rates, PROCESSOR_GROUP));
    let alerter_inbox = Box::new(bus.subscribe(Topic::Rates, ALERTER_GROUP));
    let interval = match args.source.source {
        SourceKind::Simulate => args.source.simulate_tick,
        _ => args.source.poll_interval,
    };
    let producer_config = ProducerConfig {
        policy: PollPolicy {
            interval: Duration::from_secs_f64(interval),
            ..PollPolicy::default()
        },
        tracked: tracked.clone(),
        publish_unchanged: args.source.publish_unchanged,
    };
    let feed = LiveFeed::new(args.http.stream_buffer as usize, start_micros());
    let feed_inputs = (
        Box::new(bus.subscribe(Topic::Rates, LIVE_FEED_GROUP)),
        Box::new(bus.subscribe(Topic::Alerts, LIVE_FEED_GROUP)),
    );
    let api_deps = ApiDeps {
        store: store.clone(),
        alerts: store.clone(),
        cache: cache.clone(),
        health: HealthDeps {
            store: store.clone(),
            cache: cache.clone(),
            bus: bus.clone(),
            source: Some(health.clone()),
            stale_after: Duration::from_secs_f64(args.source.stale_after_hours * 3600.0),
        },
        tracked: tracked.clone(),
        feed: feed.clone(),
    };
    let api_settings = ApiSettings {
        cors_allow_origins: args.http.cors_allow_origins.clone(),
    };

    let mut services = Services::new(shutdown.clone());
    let producer_deps = ProducerDeps {
        source,
        bus: bus.clone(),
        health,
    };
    services.spawn(
        "producer",
        producer::serve(producer_deps, producer_config, shutdown.clone()),
    );
    let processor = Processor::new(
        ProcessorDeps {
            store: store.clone(),
            cache: cache.clone(),
            dead_letters: bus.clone(),
        },
        tracked,
    );
    services.spawn(
        "processor",
        processor::serve(processor, processor_inbox, STORE_RETRY, shutdown.clone()),
    );
    let waker = DeliveryWaker::new();
    let alerter = Alerter::new(AlerterDeps {
        alerts: store.clone(),
        rates: store.clone(),
        dead_letters: bus.clone(),
        on_recorded: Arc::new({
            let waker = waker.clone();
            move || waker.wake()
        }),
    });
    services.spawn(
        "alerter",
        alerter::serve(alerter, alerter_inbox, STORE_RETRY, shutdown.clone()),
    );
    let webhooks = HttpWebhookSender::new(fxmon_adapters::webhook::DEFAULT_TIMEOUT)
        .context("Failed to build the webhook client.")?;
    services.spawn(
        "delivery",
        delivery::serve(
            store.clone(),
            bus.clone(),
            Arc::new(webhooks),
            DeliveryPolicy::default(),
            waker,
            shutdown.clone(),
        ),
    );
    services.spawn(
        "live feed",
        fxmon_api::feed::pump(feed, feed_inputs.0, feed_inputs.1, shutdown.clone()),
    );
    tracing::info!(listen = %args.listen, "API listening.");
    services.spawn(
        "api",
        fxmon_api::serve(listener, api_deps, api_settings, shutdown.clone()),
    );
    services.wait().await
}

/// The running services, all tied to one cancellation token.
struct Services {
    set: JoinSet<(&'static str, anyhow::Result<()>)>,
    shutdown: CancellationToken,
}

impl Services {
    fn new(shutdown: CancellationToken) -> Self {
        Self {
            set: JoinSet::new(),
            shutdown,
        }
    }

    fn spawn<E>(
        &mut self,
        name: &'static str,
        service: impl Future<Output = Result<(), E>> + Send + 'static,
    ) where
        E: Into<anyhow::Error>,
    {
        self.set
            .spawn(async move { (name, service.await.map_err(Into::into)) });
    }

    /// Waits for every service; the first to stop (failed or not) stops the rest.
    async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.set.join_next().await {
            let (name, result) = joined.context("A service task panicked.")?;
            match result {
                Ok(()) => tracing::info!(service = name, "Service stopped."),
                Err(error) => {
                    tracing::error!(service = name, "Service failed: {error:#}");
                    first_error.get_or_insert(error.context(format!("The {name} failed")));
                }
            }
            self.shutdown.cancel();
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Installs SIGINT and SIGTERM handlers now, so a signal that arrives while the store is
/// still opening or backfilling also ends in a clean shutdown; returns the task that
/// cancels `shutdown` when one arrives.
fn cancel_on_signal(shutdown: CancellationToken) -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("Failed to listen for SIGINT.")?;
    let mut terminate = signal(SignalKind::terminate()).context("Failed to listen for SIGTERM.")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received; shutting down."),
            _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down."),
            () = shutdown.cancelled() => {}
        }
        shutdown.cancel();
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_failure_stops_every_other_service_and_is_returned_with_its_cause() {
        let shutdown = CancellationToken::new();
        let mut services = Services::new(shutdown.clone());
        let waiter = shutdown.clone();
        services.spawn("patient", async move {
            waiter.cancelled().await;
            Ok::<(), anyhow::Error>(())
        });
        services.spawn("broken", async {
            Err::<(), _>(anyhow::anyhow!("disk full"))
        });
        let error = tokio::time::timeout(Duration::from_secs(5), services.wait())
            .await
            .expect("every service stopped")
            .unwrap_err();
        assert_eq!(format!("{error:#}"), "The broken failed: disk full");
        assert!(shutdown.is_cancelled());
    }

    #[tokio::test]
    async fn a_clean_shutdown_returns_ok() {
        let shutdown = CancellationToken::new();
        let mut services = Services::new(shutdown.clone());
        for name in ["a", "b"] {
            let token = shutdown.clone();
            services.spawn(name, async move {
                token.cancelled().await;
                Ok::<(), anyhow::Error>(())
            });
        }
        shutdown.cancel();
        services.wait().await.unwrap();
    }
}
