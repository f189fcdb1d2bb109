//! `deskhand store …`: seed or reset the store from a seed data file.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use deskhand::store::{RecordStore, SqliteStore, seed};

use super::GlobalArgs;

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Write the seed data (--seed-file, default the desk's seed.json) into an empty store.
    Seed,
    /// Delete everything in the store and write the seed data afresh.
    Reset,
}

pub fn run(global: &GlobalArgs, command: StoreCommand) -> anyhow::Result<ExitCode> {
    let clock = global.clock()?;
    let path = global.paths().store_file();
    let store = SqliteStore::open(&path)
        .with_context(|| format!("opening the store {}", path.display()))?;
    let file = global.seed_file()?;
    let seeded = match command {
        StoreCommand::Seed => {
            if !store.is_empty()? {
                anyhow::bail!(
                    "the store {} already holds data; run `deskhand store reset` to start again from {}",
                    path.display(),
                    file.display()
                );
            }
            seed::seed_file(&store, &file, clock.now())
                .with_context(|| format!("seeding from {}", file.display()))?
        }
        StoreCommand::Reset => {
            store.clear().context("clearing the store")?;
            seed::seed_file(&store, &file, clock.now())
                .with_context(|| format!("seeding from {}", file.display()))?
        }
    };
    let customers: Vec<String> = store
        .customers()?
        .into_iter()
        .map(|c| format!("{} {}", c.id, c.name))
        .collect();
    println!(
        "{}: {} ({})",
        path.display(),
        seeded.describe(),
        customers.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
