//! The fxmon binary: parses the command line once and hands typed settings to a subcommand.

mod backends;
mod bench;
mod cli;
mod import;
mod roles;
mod run;
mod services;
mod source;
mod telemetry;

use clap::Parser;

use cli::{BenchCommand, Cli, Command, ImportCommand};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log)?;
    match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Producer(args) => run::producer(args).await,
        Command::Processor(args) => run::processor(args).await,
        Command::Alerter(args) => run::alerter(args).await,
        Command::Api(args) => run::api(args).await,
        Command::Import(ImportCommand::Ecb(args)) => import::import_ecb(args).await,
        Command::Bench(BenchCommand::Pipeline(args)) => bench::pipeline(args).await,
        Command::Bench(BenchCommand::Load(args)) => bench::load(args).await,
        Command::Migrate(store) => {
            // Opening a store migrates it.
            backends::open_store(&store).await?;
            tracing::info!(store = ?store.store, "Store is migrated.");
            Ok(())
        }
    }
}
