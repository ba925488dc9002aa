//! The fxmon binary: parses the command line once and hands typed settings to a subcommand.

mod apikey;
mod backends;
mod bench;
mod cli;
mod import;
mod roles;
mod run;
mod secrets;
mod services;
mod source;
mod telemetry;

use anyhow::Context;
use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

use cli::{BenchCommand, Cli, Command, ImportCommand};

fn main() -> anyhow::Result<()> {
    // Before the runtime starts its threads: this sets environment variables.
    secrets::load_files()?;
    let matches = Cli::command().get_matches();
    if let Err(message) = secrets::refuse_command_line_secrets(&matches) {
        Cli::command()
            .error(ErrorKind::ArgumentConflict, message)
            .exit();
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let runtime = tokio::runtime::Runtime::new().context("Failed to start the runtime.")?;
    // The error is printed as it exits; a connection error may quote a URL.
    runtime.block_on(start(cli)).map_err(secrets::masked)
}

async fn start(cli: Cli) -> anyhow::Result<()> {
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
        Command::Apikey(command) => apikey::run(command).await,
        Command::Migrate(store) => {
            // Opening a store migrates it.
            backends::open_store(&store).await?.close().await;
            tracing::info!(store = ?store.store, "Store is migrated.");
            Ok(())
        }
    }
}
