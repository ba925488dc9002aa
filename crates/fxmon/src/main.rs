//! The fxmon binary: parses the command line once and hands typed settings to a subcommand.

mod cli;
mod import;
mod run;
mod source;
mod telemetry;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, ImportCommand};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log)?;
    match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Import(ImportCommand::Ecb(args)) => import::import_ecb(args).await,
        Command::Migrate(store) => {
            fxmon_adapters::sqlite::SqliteStore::open(&store.sqlite_path())
                .await
                .context("Failed to open and migrate the SQLite store.")?;
            tracing::info!(path = %store.sqlite_path().display(), "Store is migrated.");
            Ok(())
        }
    }
}
