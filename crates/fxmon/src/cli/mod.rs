//! Command-line interface: one subcommand per role, one `Args` block per concern.
//! Every flag also reads an `FXMON_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod backends;
mod bench;
mod webhooks;

pub use backends::{BackendArgs, BusArgs, BusKind, CacheArgs, CacheKind, StoreArgs, StoreKind};
pub use bench::{BenchCommand, BenchLoadArgs, BenchPipelineArgs};
pub use webhooks::WebhookArgs;

/// Real-time foreign-exchange rate monitoring and alerting.
#[derive(Debug, Parser)]
#[command(name = "fxmon", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The roles and tools of the binary.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything in one process: producer, processor, alerter and API, on embedded
    /// defaults (in-process bus, SQLite files, in-memory cache) or on the backends given.
    Run(RunArgs),
    /// Run the producer alone: poll the rate source and publish to `fx-rates` (needs
    /// `--bus kafka`).
    Producer(ProducerArgs),
    /// Run the processor alone: store each snapshot and update the cache (consumer group
    /// `rate-processor-group`; needs `--bus kafka` and `--cache redis`).
    Processor(ProcessorArgs),
    /// Run the alerter alone: evaluate alert rules and deliver triggers (consumer group
    /// `alert-engine-group`; needs `--bus kafka`).
    Alerter(AlerterArgs),
    /// Run the HTTP API alone (needs `--bus kafka` for `/stream` and `--cache redis`).
    Api(ApiArgs),
    /// Import history into the store.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Create or upgrade the store's schema, then exit.
    Migrate(StoreArgs),
    /// Manage API keys: create (printed once), list, revoke. A running API honours a
    /// change within a second.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Measure throughput and latency: the pipeline in this process, or load on a running
    /// deployment.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `fxmon apikey ...`.
#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create a key and print it once; only its SHA-256 digest is stored.
    Create {
        /// A label for the key, e.g. who or what uses it.
        #[arg(long, env = "FXMON_APIKEY_NAME")]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List every key (id, prefix, name, created, revoked); never the keys themselves.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key by id; requests with it are refused from then on.
    Revoke {
        /// The key's id, as `list` shows it.
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `import` can read.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The ECB's euro reference rates (the history zip or a CSV in the ECB's format).
    /// Rows already stored are skipped, so importing twice adds nothing.
    Ecb(ImportEcbArgs),
}

/// Arguments of `import ecb`.
#[derive(Debug, Args)]
pub struct ImportEcbArgs {
    /// Path to `eurofxref-hist.zip`, `eurofxref-hist.csv` or `eurofxref.csv`.
    pub path: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Logging.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log format.
    #[arg(long, env = "FXMON_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// Log filter, in `tracing` EnvFilter syntax (e.g. `info,fxmon_app=debug`).
    #[arg(long, env = "FXMON_LOG", default_value = "info", global = true)]
    pub log: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which rate source to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// exchangerate-api.com's keyless v4 endpoint (the seed's).
    ExchangerateApi,
    /// open.er-api.com's keyless v6 endpoint.
    OpenErApi,
    /// exchangerate-api.com's keyed v6 endpoint; key from FXMON_EXCHANGERATE_API_KEY (or the
    /// file named by FXMON_EXCHANGERATE_API_KEY_FILE).
    ExchangerateApiV6,
    /// A seeded random walk from the latest ECB rates; no network.
    Simulate,
}

/// The rate source and how to poll it.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Rate source.
    #[arg(long, env = "FXMON_SOURCE", default_value = "exchangerate-api")]
    pub source: SourceKind,
    /// Origin of the provider's API, instead of its public one (e.g. a local mirror).
    #[arg(long, env = "FXMON_SOURCE_URL")]
    pub source_url: Option<String>,
    /// Seconds between polls; never earlier than the provider's announced next update.
    #[arg(long, env = "FXMON_POLL_INTERVAL", default_value_t = 30.0, value_parser = positive_secs)]
    pub poll_interval: f64,
    /// Seconds a fetch may take before it counts as failed.
    #[arg(long, env = "FXMON_SOURCE_TIMEOUT", default_value_t = 10.0, value_parser = positive_secs)]
    pub source_timeout: f64,
    /// Publish every fetched snapshot, even when the provider's data has not changed.
    #[arg(long, env = "FXMON_PUBLISH_UNCHANGED")]
    pub publish_unchanged: bool,
    /// Simulator: seconds between ticks.
    #[arg(long, env = "FXMON_SIMULATE_TICK", default_value_t = 1.0, value_parser = positive_secs)]
    pub simulate_tick: f64,
    /// Simulator: random seed (the same seed replays the same walk).
    #[arg(long, env = "FXMON_SIMULATE_SEED", default_value_t = 42)]
    pub simulate_seed: u64,
    /// Hours after which the provider's data counts as stale in /health
    /// (exchangerate-api.com's free data changes once a day).
    #[arg(long, env = "FXMON_STALE_AFTER_HOURS", default_value_t = 26.0, value_parser = positive_secs)]
    pub stale_after_hours: f64,
    /// Percent a rate may move from the last accepted rate of its pair; a bigger move is
    /// quarantined (not published) until the provider serves the new level for 3 updates.
    #[arg(long, env = "FXMON_MAX_JUMP_PCT", default_value_t = fxmon_app::producer::DEFAULT_MAX_JUMP_PCT, value_parser = positive_secs)]
    pub max_jump_pct: f64,
    /// Publish one `fx-alerts` event (condition `source_stale`) per stale-feed episode:
    /// data older than --stale-after-hours, or fetches failing that long.
    #[arg(long, env = "FXMON_STALE_ALERT")]
    pub stale_alert: bool,
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address the API listens on.
    #[arg(long, env = "FXMON_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub pairs: PairsArgs,
    /// On a first start with an empty store, load the bundled ECB history (1999 onwards);
    /// a backfill an interrupted start left half done is finished.
    #[arg(long, env = "FXMON_BACKFILL_ECB")]
    pub backfill_ecb: bool,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub backends: BackendArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// The tracked pairs.
#[derive(Debug, Clone, Args)]
pub struct PairsArgs {
    /// Pairs to track (crosses allowed), comma-separated, or `all` for every currency the
    /// provider returns.
    #[arg(
        long,
        env = "FXMON_PAIRS",
        default_value = "USD/EUR,USD/GBP,USD/JPY,USD/CAD,USD/AUD,USD/CHF,USD/CNY,USD/INR"
    )]
    pub pairs: String,
}

/// Arguments of `producer`.
#[derive(Debug, Args)]
pub struct ProducerArgs {
    #[command(flatten)]
    pub pairs: PairsArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub bus: BusArgs,
}

/// Arguments of `processor`.
#[derive(Debug, Args)]
pub struct ProcessorArgs {
    #[command(flatten)]
    pub pairs: PairsArgs,
    #[command(flatten)]
    pub backends: BackendArgs,
}

/// Arguments of `alerter`.
#[derive(Debug, Args)]
pub struct AlerterArgs {
    #[command(flatten)]
    pub backends: BackendArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// Arguments of `api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Address the API listens on.
    #[arg(long, env = "FXMON_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub pairs: PairsArgs,
    #[command(flatten)]
    pub backends: BackendArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// The HTTP API's behaviour.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Browser origins allowed to call the API (CORS), comma-separated, e.g.
    /// `https://dash.example.com`. Default: none, so only pages served by fxmon itself.
    #[arg(long, env = "FXMON_CORS_ALLOW_ORIGINS", value_delimiter = ',', value_parser = origin)]
    pub cors_allow_origins: Vec<axum::http::HeaderValue>,
    /// Require an API key for writes (alert changes) even while no key exists. Always on
    /// when listening on a non-loopback address; otherwise writes need a key as soon as
    /// one exists (`fxmon apikey create`).
    #[arg(long, env = "FXMON_REQUIRE_AUTH")]
    pub require_auth: bool,
    /// Require an API key for reads too (rates, history, alerts...). /health, /ready, the
    /// dashboard's files and the API docs stay open.
    #[arg(long, env = "FXMON_PRIVATE_READS")]
    pub private_reads: bool,
    /// Requests per second allowed per client IP for requests without a key (bursts up
    /// to the same number); loopback clients are not limited; 0 turns the limit off.
    #[arg(long, env = "FXMON_RATE_LIMIT_PER_IP", default_value_t = 50.0, value_parser = non_negative)]
    pub rate_limit_per_ip: f64,
    /// Requests per second allowed per API key (bursts up to the same number); 0 turns
    /// the limit off.
    #[arg(long, env = "FXMON_RATE_LIMIT_PER_KEY", default_value_t = 200.0, value_parser = non_negative)]
    pub rate_limit_per_key: f64,
    /// The largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "FXMON_MAX_BODY_BYTES", default_value_t = fxmon_api::DEFAULT_MAX_BODY_BYTES, value_parser = clap::value_parser!(usize))]
    pub max_body_bytes: usize,
    /// Events `/stream` keeps for clients that reconnect with `Last-Event-ID`.
    #[arg(long, env = "FXMON_STREAM_BUFFER", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub stream_buffer: u32,
}

fn origin(raw: &str) -> Result<axum::http::HeaderValue, String> {
    let raw = raw.trim();
    let valid = (raw.starts_with("http://") || raw.starts_with("https://")) && !raw.ends_with('/');
    if !valid {
        return Err(format!(
            "{raw:?} must be an origin like https://example.com (scheme and host, no path)"
        ));
    }
    axum::http::HeaderValue::from_str(raw).map_err(|e| format!("{raw:?}: {e}"))
}

fn non_negative(raw: &str) -> Result<f64, String> {
    finite(raw, |value| value >= 0.0, "zero or more")
}

fn positive_secs(raw: &str) -> Result<f64, String> {
    finite(raw, |value| value > 0.0, "greater than zero")
}

/// `raw` as a finite number for which `ok` holds; otherwise an error saying it `must be`.
fn finite(raw: &str, ok: fn(f64) -> bool, must_be: &str) -> Result<f64, String> {
    let value: f64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a number"))?;
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(format!("{raw} must be {must_be}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_reads_an_fxmon_environment_variable_and_has_help() {
        fn check(command: &clap::Command) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_positional() {
                    continue;
                }
                let env = arg
                    .get_env()
                    .unwrap_or_else(|| panic!("--{id} has no env var"));
                assert!(
                    env.to_str().unwrap().starts_with("FXMON_"),
                    "--{id}: {env:?}"
                );
                assert!(arg.get_help().is_some(), "--{id} has no help");
            }
            for sub in command.get_subcommands() {
                check(sub);
            }
        }
        check(&Cli::command());
    }

    #[test]
    fn a_non_positive_interval_is_refused_with_its_value() {
        let err = Cli::try_parse_from(["fxmon", "run", "--poll-interval", "0"]).unwrap_err();
        assert!(
            err.to_string().contains("0 must be greater than zero"),
            "{err}"
        );
    }
}
