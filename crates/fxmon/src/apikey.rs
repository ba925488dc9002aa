//! `fxmon apikey create|list|revoke`: API keys in the store the API reads them from.

use anyhow::{bail, Context};
use fxmon_app::keys;

use crate::backends::{open_store, Stores};
use crate::cli::ApikeyCommand;

pub async fn run(command: ApikeyCommand) -> anyhow::Result<()> {
    let store = match &command {
        ApikeyCommand::Create { name, store } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 200 {
                bail!("--name must be 1 to 200 characters, got {name:?}.");
            }
            store
        }
        ApikeyCommand::List { store } | ApikeyCommand::Revoke { store, .. } => store,
    };
    let stores = open_store(store).await?;
    let done = act(&command, &stores).await;
    stores.close().await;
    done
}

async fn act(command: &ApikeyCommand, stores: &Stores) -> anyhow::Result<()> {
    match command {
        ApikeyCommand::Create { name, .. } => {
            let name = name.trim();
            let new = keys::generate();
            let key = stores
                .keys
                .create_key(name, &new.prefix, &new.digest)
                .await
                .context("Failed to store the new API key.")?;
            // The key goes to stdout alone, so `KEY=$(fxmon apikey create ...)` works.
            eprintln!(
                "Created API key {} ({:?}). It is shown once: store it now; fxmon keeps only \
                 its SHA-256 digest.",
                key.id, key.name
            );
            println!("{}", new.key);
        }
        ApikeyCommand::List { .. } => {
            let keys = stores
                .keys
                .list_keys()
                .await
                .context("Failed to list the API keys.")?;
            println!(
                "{:>5}  {:<12}  {:<20}  {:<20}  name",
                "id", "prefix", "created", "revoked"
            );
            for key in keys {
                let time =
                    |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
                println!(
                    "{:>5}  {:<12}  {:<20}  {:<20}  {}",
                    key.id,
                    key.prefix,
                    time(key.created_at),
                    key.revoked_at.map(time).unwrap_or_else(|| "-".to_owned()),
                    key.name
                );
            }
        }
        ApikeyCommand::Revoke { id, .. } => {
            if !stores
                .keys
                .revoke_key(*id)
                .await
                .context("Failed to revoke the API key.")?
            {
                bail!("No active API key has id {id} (see `fxmon apikey list`).");
            }
            eprintln!("Revoked API key {id}; requests with it are refused within a second.");
        }
    }
    Ok(())
}
