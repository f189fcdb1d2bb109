//! Where deskhand keeps things on disk.

use std::path::{Path, PathBuf};

/// The default data directory, relative to where deskhand runs.
pub const DEFAULT_DATA_DIR: &str = "data";

/// The file name of the order store inside the data directory.
pub const STORE_FILE: &str = "deskhand.db";

/// The LanceDB folder of the knowledge base, inside the data directory.
pub const KB_TABLE_DIR: &str = "kb.lance";

/// The demo shop's help centre (the repository's `desks/shop/kb/`).
pub fn builtin_kb_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/kb")
}

/// The file in the data directory where a running deskhand records the
/// policy engine's status.
pub const POLICY_STATUS_FILE: &str = "policy-status.json";

/// Paths of everything deskhand reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Everything the product writes (store, indexes, reports) goes under here.
    pub data_dir: PathBuf,
    /// The directory of tool plugins (`.wasm` components).
    pub plugins_dir: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            plugins_dir: PathBuf::from(crate::plugins::BUILTIN_PLUGINS_DIR),
        }
    }
}

impl Paths {
    /// The SQLite store file.
    pub fn store_file(&self) -> PathBuf {
        self.data_dir.join(STORE_FILE)
    }

    /// A path inside the data directory.
    pub fn data(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.data_dir.join(relative)
    }
}
