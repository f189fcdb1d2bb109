//! `deskhand store …`: seed or reset the store from a seed data file.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use deskhand::store::seed;

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
    let location = global.store_location();
    let store = location
        .open()
        .with_context(|| format!("opening the store {}", location.redacted()))?;
    let path = location.redacted();
    let file = global.seed_file()?;
    let seeded = match command {
        StoreCommand::Seed => {
            if !store.is_empty()? {
                anyhow::bail!(
                    "the store {} already holds data; run `deskhand store reset` to start again from {}",
                    path,
                    file.display()
                );
            }
            seed::seed_file(store.as_ref(), &file, clock.now())
                .with_context(|| format!("seeding from {}", file.display()))?
        }
        StoreCommand::Reset => {
            store.clear().context("clearing the store")?;
            seed::seed_file(store.as_ref(), &file, clock.now())
                .with_context(|| format!("seeding from {}", file.display()))?
        }
    };
    let customers: Vec<String> = store
        .customers()?
        .into_iter()
        .map(|c| format!("{} {}", c.id, c.name))
        .collect();
    println!("{}: {} ({})", path, seeded.describe(), customers.join(", "));
    Ok(ExitCode::SUCCESS)
}
