//! Each service of fxmon, spawned onto a process's `Services` from the ports it needs.
//! `fxmon run` spawns them all; `fxmon producer|processor|alerter|api` one each.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fxmon_adapters::webhook::{HttpWebhookSender, DEFAULT_TIMEOUT};
use fxmon_api::auth::AuthSettings;
use fxmon_api::limits::RateLimits;
use fxmon_api::{ApiDeps, ApiSettings, LiveFeed};
use fxmon_app::alerter::{self, Alerter, AlerterDeps};
use fxmon_app::delivery::{self, DeliveryPolicy, DeliveryWaker};
use fxmon_app::health::HealthDeps;
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{BusSubscriber, KeyStore, RateCache, Topic, ALERTER_GROUP, PROCESSOR_GROUP};
use fxmon_app::processor::{self, Processor, ProcessorDeps};
use fxmon_app::producer::jump::JumpBound;
use fxmon_app::producer::{self, FeedChecks, ProducerConfig, ProducerDeps};
use fxmon_app::{SourceHealth, Tracked};
use fxmon_core::PollPolicy;
use tokio::net::TcpListener;

use crate::backends::{Bus, Stores};
use crate::cli::{HttpArgs, SourceArgs, SourceKind};
use crate::services::Services;

/// How long a consumer waits before retrying a snapshot whose store write failed.
const STORE_RETRY: Duration = Duration::from_millis(200);
/// The consumer group of an API's live feed (`/stream`); each API process is its own
/// group, since each must see every message.
const LIVE_FEED_GROUP: &str = "api-live-feed";

/// Spawns the producer; returns the source's health for `/health`.
pub fn spawn_producer(
    services: &mut Services,
    args: &SourceArgs,
    tracked: &Tracked,
    bus: &Bus,
) -> anyhow::Result<SourceHealth> {
    let source = crate::source::build(args)?;
    let health = SourceHealth::new(source.name());
    let interval = match args.source {
        SourceKind::Simulate => args.simulate_tick,
        _ => args.poll_interval,
    };
    let config = ProducerConfig {
        policy: PollPolicy {
            interval: Duration::from_secs_f64(interval),
            ..PollPolicy::default()
        },
        tracked: tracked.clone(),
        publish_unchanged: args.publish_unchanged,
        checks: FeedChecks {
            max_jump: JumpBound::new(args.max_jump_pct).context("--max-jump-pct is invalid.")?,
            stale_after: Duration::from_secs_f64(args.stale_after_hours * 3600.0),
            stale_alert: args.stale_alert,
            ..FeedChecks::default()
        },
    };
    let deps = ProducerDeps {
        source,
        bus: bus.publisher()?,
        health: health.clone(),
    };
    services.spawn("producer", producer::serve(deps, config, services.token()));
    Ok(health)
}

/// Spawns the processor.
pub fn spawn_processor(
    services: &mut Services,
    tracked: &Tracked,
    bus: &Bus,
    stores: &Stores,
    cache: Arc<dyn RateCache>,
) -> anyhow::Result<()> {
    let inbox = bus.subscribe(Topic::Rates, PROCESSOR_GROUP)?;
    let processor = Processor::new(
        ProcessorDeps {
            store: stores.rates.clone(),
            cache,
            dead_letters: bus.publisher()?,
        },
        tracked.clone(),
    );
    services.spawn(
        "processor",
        processor::serve(processor, inbox, STORE_RETRY, services.token()),
    );
    Ok(())
}

/// Spawns the alerter and its delivery worker, which POSTs webhooks only to `targets`.
pub fn spawn_alerter(
    services: &mut Services,
    bus: &Bus,
    stores: &Stores,
    targets: TargetPolicy,
) -> anyhow::Result<()> {
    let inbox = bus.subscribe(Topic::Rates, ALERTER_GROUP)?;
    spawn_alerter_on(services, inbox, bus, stores, targets)
}

/// [`spawn_alerter`] on a given subscription to `fx-rates` (the benchmark's counts).
pub fn spawn_alerter_on(
    services: &mut Services,
    inbox: Box<dyn BusSubscriber>,
    bus: &Bus,
    stores: &Stores,
    targets: TargetPolicy,
) -> anyhow::Result<()> {
    let publisher = bus.alert_publisher()?;
    let waker = DeliveryWaker::new();
    let alerter = Alerter::new(AlerterDeps {
        alerts: stores.alerts.clone(),
        rates: stores.rates.clone(),
        dead_letters: publisher.clone(),
        on_recorded: Arc::new({
            let waker = waker.clone();
            move || waker.wake()
        }),
    });
    services.spawn(
        "alerter",
        alerter::serve(alerter, inbox, STORE_RETRY, services.token()),
    );
    let webhooks = HttpWebhookSender::new(DEFAULT_TIMEOUT, targets)
        .context("Failed to build the webhook client.")?;
    services.spawn(
        "delivery",
        delivery::serve(
            stores.outbox.clone(),
            publisher,
            Arc::new(webhooks),
            DeliveryPolicy::default(),
            waker,
            services.token(),
        ),
    );
    Ok(())
}

/// What the API serves from.
pub struct ApiParts<'a> {
    pub listen: SocketAddr,
    pub http: &'a HttpArgs,
    pub tracked: &'a Tracked,
    pub bus: &'a Bus,
    pub stores: &'a Stores,
    pub cache: Arc<dyn RateCache>,
    /// The source's health, when this process runs the producer.
    pub source: Option<SourceHealth>,
    pub stale_after: Duration,
    /// The webhook URLs alerts may be created with.
    pub webhooks: TargetPolicy,
}

/// Binds the listener and spawns the API with its live feed.
pub async fn spawn_api(services: &mut Services, parts: ApiParts<'_>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(parts.listen)
        .await
        .with_context(|| format!("Failed to listen on {}.", parts.listen))?;
    let feed = LiveFeed::new(parts.http.stream_buffer as usize, start_micros());
    let group = format!("{LIVE_FEED_GROUP}-{}", std::process::id());
    let rates = parts.bus.subscribe_live(Topic::Rates, &group)?;
    let alerts = parts.bus.subscribe_live(Topic::Alerts, &group)?;
    services.spawn(
        "live feed",
        fxmon_api::feed::pump(feed.clone(), rates, alerts, services.token()),
    );
    let deps = ApiDeps {
        store: parts.stores.rates.clone(),
        alerts: parts.stores.alerts.clone(),
        keys: parts.stores.keys.clone(),
        cache: parts.cache.clone(),
        health: HealthDeps {
            store: parts.stores.rates.clone(),
            cache: parts.cache,
            bus: parts.bus.publisher()?,
            source: parts.source,
            stale_after: parts.stale_after,
        },
        tracked: parts.tracked.clone(),
        feed,
    };
    let auth = auth_settings(parts.listen, parts.http);
    log_auth(auth, parts.stores.keys.as_ref()).await;
    let settings = ApiSettings {
        cors_allow_origins: parts.http.cors_allow_origins.clone(),
        auth,
        rate_limits: RateLimits {
            per_ip: parts.http.rate_limit_per_ip,
            per_key: parts.http.rate_limit_per_key,
        },
        max_body_bytes: parts.http.max_body_bytes,
        webhook_targets: parts.webhooks,
    };
    services.spawn(
        "metrics upkeep",
        fxmon_api::metrics::upkeep(services.token()),
    );
    tracing::info!(listen = %parts.listen, "API listening.");
    services.spawn(
        "api",
        fxmon_api::serve(listener, deps, settings, services.token()),
    );
    Ok(())
}

/// When requests need a key: writes always do on a non-loopback address.
fn auth_settings(listen: SocketAddr, http: &HttpArgs) -> AuthSettings {
    AuthSettings {
        require_auth: http.require_auth || !listen.ip().is_loopback(),
        private_reads: http.private_reads,
    }
}

/// Says at start-up who may change alerts.
async fn log_auth(auth: AuthSettings, keys: &dyn KeyStore) {
    let active = match keys.active_keys().await {
        Ok(active) => active,
        Err(error) => {
            tracing::warn!("Could not count the API keys: {error}");
            return;
        }
    };
    let reads = if auth.private_reads {
        "reads need an API key"
    } else {
        "reads are public"
    };
    if auth.require_auth || active > 0 {
        tracing::info!(
            active_keys = active,
            "Alert writes need an API key; {reads}."
        );
        if active == 0 {
            tracing::warn!(
                "No API key exists yet, so every write is refused: create one with \
                 `fxmon apikey create --name NAME`."
            );
        }
    } else {
        tracing::warn!(
            "No API key exists and the API listens on loopback: alert writes are open to \
             local clients without a key ({reads}). They will need one as soon as a key is \
             created with `fxmon apikey create`."
        );
    }
}

/// Microseconds since the epoch: the first `/stream` event id, so ids keep increasing
/// across restarts.
fn start_micros() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or_default()
}
