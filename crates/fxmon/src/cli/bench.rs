//! Arguments of `fxmon bench`: the in-process pipeline benchmark and the load generator.

use clap::{Args, Subcommand};

use super::{positive_secs, BackendArgs, BusArgs, PairsArgs, StoreArgs};

/// What `bench` can measure.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Feed simulated snapshots to the processor and alerter in this process; report
    /// stored rows/s and snapshot-to-alert latency.
    ///
    /// The services run on the chosen backends. SQLite: a fresh temporary store unless --data-dir is given; PostgreSQL:
    /// the given database (use an empty one: bench rows go under the source
    /// `fxmon-bench-<time>`, and the bench refuses a store holding active alert rules);
    /// Kafka: fresh topics under the prefix `<--kafka-prefix>bench-<time>-`.
    Pipeline(BenchPipelineArgs),
    /// Publish simulated snapshots at a fixed rate into a running deployment's Kafka;
    /// report what went out and what the store kept up with.
    ///
    /// Snapshots carry a source of this run's own (`fxmon-bench-load-<time>`); with
    /// --check-store, the deployment's store is counted until it holds them all.
    Load(BenchLoadArgs),
}

/// Arguments of `bench pipeline`.
#[derive(Debug, Args)]
pub struct BenchPipelineArgs {
    /// Snapshots per second to publish; unset: as fast as the pipeline takes them (a
    /// throughput run).
    #[arg(long, env = "FXMON_BENCH_RATE", value_name = "SNAPSHOTS_PER_SEC", allow_negative_numbers = true, value_parser = positive_secs)]
    pub rate: Option<f64>,
    /// Processors sharing the work, in one consumer group (for the scaling curve; with
    /// Kafka, each gets a share of the partitions).
    #[arg(long, env = "FXMON_BENCH_PROCESSORS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub processors: u16,
    /// Sources the snapshots take turns among, each its own bus key, so they spread over
    /// the topic's partitions (--kafka-partitions); one source uses one partition.
    #[arg(long, env = "FXMON_BENCH_SOURCES", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub sources: u16,
    #[command(flatten)]
    pub run: BenchRunArgs,
    #[command(flatten)]
    pub pairs: PairsArgs,
    #[command(flatten)]
    pub backends: BackendArgs,
}

/// Arguments of `bench load`.
#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// Snapshots per second to publish (missed ticks are caught up in a burst, so the
    /// count aims at rate × duration).
    #[arg(long, env = "FXMON_BENCH_RATE", value_name = "SNAPSHOTS_PER_SEC", allow_negative_numbers = true, value_parser = positive_secs)]
    pub rate: f64,
    #[command(flatten)]
    pub run: BenchRunArgs,
    /// With a store: seconds to wait after the last publish for the store to hold every
    /// row of this run.
    #[arg(long, env = "FXMON_BENCH_CATCH_UP_TIMEOUT", default_value_t = 30.0, value_name = "SECS", value_parser = positive_secs)]
    pub catch_up_timeout: f64,
    /// Count this run's rows in the deployment's store (`--store postgres`, or the SQLite
    /// file in --data-dir, which must exist).
    #[arg(long, env = "FXMON_BENCH_CHECK_STORE")]
    pub check_store: bool,
    #[command(flatten)]
    pub bus: BusArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// What every benchmark run shares.
#[derive(Debug, Clone, Args)]
pub struct BenchRunArgs {
    /// Seconds of measured load (after a short warm-up).
    #[arg(long, env = "FXMON_BENCH_DURATION", default_value_t = 10.0, value_name = "SECS", allow_negative_numbers = true, value_parser = positive_secs)]
    pub duration: f64,
    /// Currencies per snapshot, i.e. rows stored per snapshot [default: every currency of
    /// the ECB's latest reference rates, about 30].
    #[arg(long, env = "FXMON_BENCH_CURRENCIES", value_parser = clap::value_parser!(u16).range(1..))]
    pub currencies: Option<u16>,
    /// Print one JSON object instead of the human-readable report.
    #[arg(long, env = "FXMON_BENCH_JSON")]
    pub json: bool,
}
