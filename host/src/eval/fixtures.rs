//! A scenario's data: its fixtures, or its desk's seed, at its clock.

use std::path::Path;

use crate::store::{RecordStore, StoreError, seed};

use super::scenario::Fixtures;

/// Writes the scenario's data into an empty store at `now`: its own
/// fixtures, or else the seed file of its desk.
pub fn build_data(
    store: &dyn RecordStore,
    desk_seed: &Path,
    fixtures: Option<&Fixtures>,
    now: i64,
) -> Result<(), StoreError> {
    match fixtures {
        Some(fixtures) => seed::seed_data(store, fixtures, "the fixtures", now)?,
        None => seed::seed_file(store, desk_seed, now)?,
    };
    Ok(())
}
