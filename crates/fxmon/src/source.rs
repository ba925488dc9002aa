//! Builds the configured rate source.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fxmon_adapters::ecb;
use fxmon_adapters::source::{
    HttpRateSource, HttpSourceConfig, Provider, SimulatedSource, SimulatorConfig, API_KEY_ENV,
};
use fxmon_app::ports::RateSource;
use fxmon_core::{Currency, Rate};

use crate::cli::{SourceArgs, SourceKind};

/// The rate source the flags describe.
pub fn build(args: &SourceArgs) -> anyhow::Result<Arc<dyn RateSource>> {
    let provider = match args.source {
        SourceKind::Simulate => return Ok(Arc::new(simulator(args)?)),
        SourceKind::ExchangerateApi => Provider::ExchangerateApiV4,
        SourceKind::OpenErApi => Provider::OpenErApi,
        SourceKind::ExchangerateApiV6 => Provider::ExchangerateApiV6,
    };
    let config = HttpSourceConfig {
        provider,
        base_url: args.source_url.clone(),
        api_key: std::env::var(API_KEY_ENV).ok(),
        timeout: Duration::from_secs_f64(args.source_timeout),
    };
    let source = HttpRateSource::new(config).context("The rate source settings are invalid.")?;
    Ok(Arc::new(source))
}

/// A simulator starting from the newest ECB rates, re-based on USD.
fn simulator(args: &SourceArgs) -> anyhow::Result<SimulatedSource> {
    let config = SimulatorConfig::new(Currency::USD, newest_ecb_in_usd()?, args.simulate_seed);
    SimulatedSource::new(config).context("The simulator settings are invalid.")
}

/// The bundled ECB history's newest day, re-based on USD: the price of one USD in each
/// other currency, EUR included.
pub fn newest_ecb_in_usd() -> anyhow::Result<BTreeMap<Currency, Rate>> {
    let days =
        ecb::parse(ecb::shipped_history()).context("The bundled ECB history is unreadable.")?;
    let latest = days.last().context("The bundled ECB history is empty.")?;
    let eur_usd = latest
        .rates
        .get(&Currency::USD)
        .context("The newest ECB day has no USD rate.")?
        .get();
    let mut rates: BTreeMap<Currency, Rate> = latest
        .rates
        .iter()
        .filter(|(c, _)| **c != Currency::USD)
        .filter_map(|(c, r)| Some((*c, Rate::new(r.get() / eur_usd).ok()?)))
        .collect();
    rates.insert(Currency::EUR, Rate::new(1.0 / eur_usd)?);
    Ok(rates)
}
