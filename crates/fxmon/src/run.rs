//! `fxmon run` (every service in one process) and `fxmon producer|processor|alerter|api`
//! (one each). The first service to fail cancels the others; SIGINT/SIGTERM finishes the
//! snapshot in flight and exits 0.

use std::time::Duration;

use anyhow::Context;
use fxmon_app::Tracked;
use tokio_util::sync::CancellationToken;

use crate::backends::{open_cache, open_store, Bus, Stores};
use crate::cli::{AlerterArgs, ApiArgs, PairsArgs, ProcessorArgs, ProducerArgs, RunArgs};
use crate::import;
use crate::roles::{spawn_alerter, spawn_api, spawn_processor, spawn_producer, ApiParts};
use crate::services::{cancel_on_signal, Services};

/// How old the provider's data may be before `/health` calls it stale, when this process
/// does not poll the provider itself.
const STALE_AFTER_DEFAULT: Duration = Duration::from_secs(26 * 3600);

/// A process's services, cancelled by SIGINT/SIGTERM from the start (so a signal during
/// start-up, e.g. a long backfill, also ends cleanly).
fn services() -> anyhow::Result<Services> {
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone())?);
    Ok(Services::new(shutdown))
}

fn tracked(args: &PairsArgs) -> anyhow::Result<Tracked> {
    Tracked::parse(&args.pairs).context("--pairs / FXMON_PAIRS is invalid.")
}

/// `fxmon run`.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    // Before any service starts, so `/metrics` counts from the first snapshot.
    fxmon_api::metrics::install();
    let mut services = services()?;
    let tracked = tracked(&args.pairs)?;
    let stores = open_store(&args.backends.store).await?;
    if args.backfill_ecb {
        import::backfill_shipped(stores.rates.as_ref()).await?;
    }
    let bus = Bus::open(&args.backends.bus, None).await?;
    let cache = open_cache(&args.backends.cache, None).await?;
    // Consumers subscribe before the producer starts, so no snapshot goes to nobody.
    spawn_processor(&mut services, &tracked, &bus, &stores, cache.clone())?;
    spawn_alerter(&mut services, &bus, &stores, args.webhooks.targets())?;
    let health = spawn_producer(&mut services, &args.source, &tracked, &bus)?;
    let parts = ApiParts {
        listen: args.listen,
        http: &args.http,
        tracked: &tracked,
        bus: &bus,
        stores: &stores,
        cache,
        source: Some(health),
        stale_after: Duration::from_secs_f64(args.source.stale_after_hours * 3600.0),
        webhooks: args.webhooks.targets(),
    };
    spawn_api(&mut services, parts).await?;
    wait_then_close(services, &stores).await
}

/// `fxmon producer`.
pub async fn producer(args: ProducerArgs) -> anyhow::Result<()> {
    let mut services = services()?;
    let tracked = tracked(&args.pairs)?;
    let bus = Bus::open(&args.bus, Some("producer")).await?;
    spawn_producer(&mut services, &args.source, &tracked, &bus)?;
    services.wait().await
}

/// `fxmon processor`.
pub async fn processor(args: ProcessorArgs) -> anyhow::Result<()> {
    let mut services = services()?;
    let tracked = tracked(&args.pairs)?;
    let stores = open_store(&args.backends.store).await?;
    let bus = Bus::open(&args.backends.bus, Some("processor")).await?;
    let cache = open_cache(&args.backends.cache, Some("processor")).await?;
    spawn_processor(&mut services, &tracked, &bus, &stores, cache)?;
    wait_then_close(services, &stores).await
}

/// `fxmon alerter`.
pub async fn alerter(args: AlerterArgs) -> anyhow::Result<()> {
    let mut services = services()?;
    let stores = open_store(&args.backends.store).await?;
    let bus = Bus::open(&args.backends.bus, Some("alerter")).await?;
    spawn_alerter(&mut services, &bus, &stores, args.webhooks.targets())?;
    wait_then_close(services, &stores).await
}

/// `fxmon api`.
pub async fn api(args: ApiArgs) -> anyhow::Result<()> {
    fxmon_api::metrics::install();
    let mut services = services()?;
    let tracked = tracked(&args.pairs)?;
    let stores = open_store(&args.backends.store).await?;
    let bus = Bus::open(&args.backends.bus, Some("api")).await?;
    let cache = open_cache(&args.backends.cache, Some("api")).await?;
    let parts = ApiParts {
        listen: args.listen,
        http: &args.http,
        tracked: &tracked,
        bus: &bus,
        stores: &stores,
        cache,
        source: None,
        stale_after: STALE_AFTER_DEFAULT,
        webhooks: args.webhooks.targets(),
    };
    spawn_api(&mut services, parts).await?;
    wait_then_close(services, &stores).await
}

/// Waits for `services` to stop, then closes the store, so an embedded one leaves its
/// files complete.
async fn wait_then_close(services: Services, stores: &Stores) -> anyhow::Result<()> {
    let stopped = services.wait().await;
    stores.close().await;
    stopped
}
