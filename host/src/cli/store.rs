//! `deskhand store …`: the demo shop.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use deskhand::store::{OrderStore, SqliteStore, seed};

use super::GlobalArgs;

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Write the demo shop (3 customers, 28 orders) into an empty store.
    Seed,
    /// Delete everything in the store and write the demo shop afresh.
    Reset,
}

pub fn run(global: &GlobalArgs, command: StoreCommand) -> anyhow::Result<ExitCode> {
    let clock = global.clock()?;
    let path = global.paths().store_file();
    let store = SqliteStore::open(&path)
        .with_context(|| format!("opening the store {}", path.display()))?;
    let seeded = match command {
        StoreCommand::Seed => {
            if !store.is_empty()? {
                anyhow::bail!(
                    "the store {} already holds orders; run `deskhand store reset` to start again from the demo shop",
                    path.display()
                );
            }
            seed::seed(&store, clock.now()).context("seeding the demo shop")?
        }
        StoreCommand::Reset => seed::reset(&store, clock.now()).context("resetting the store")?,
    };
    println!(
        "{}: {} customers, {} orders (C001 Ana Souza, C002 Ben Okafor, C003 Chloé Martin)",
        path.display(),
        seeded.customers,
        seeded.orders
    );
    Ok(ExitCode::SUCCESS)
}
