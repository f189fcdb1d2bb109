//! Where a registry's plugins and their grants come from.

use std::path::{Path, PathBuf};

/// Where the plugins and their grants come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginPaths {
    /// The directory of `.wasm` components.
    pub modules: PathBuf,
    /// The grants file (`plugins.toml`); `None` grants nothing to anyone.
    pub grants: Option<PathBuf>,
    /// The plugin files to load, by name without `.wasm` (a desk's list);
    /// `None` loads every component in the directory.
    pub only: Option<Vec<String>>,
}

impl PluginPaths {
    /// Every plugin built with deskhand, with the demo shop's grants
    /// (`desks/shop/plugins.toml`); a desk narrows this to its own list.
    pub fn builtin() -> Self {
        PluginPaths {
            modules: PathBuf::from(super::BUILTIN_PLUGINS_DIR),
            grants: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/plugins.toml")),
            only: None,
        }
    }

    /// The components in `dir`, with the grants in `dir/plugins.toml` (none
    /// if that file does not exist).
    pub fn dir(dir: impl Into<PathBuf>) -> Self {
        let modules = dir.into();
        PluginPaths {
            grants: Some(modules.join("plugins.toml")),
            modules,
            only: None,
        }
    }

    /// Only the plugin files named here (without `.wasm`) are loaded.
    pub fn only(mut self, names: Vec<String>) -> Self {
        self.only = Some(names);
        self
    }

    /// The same components with the grants in `file`.
    pub fn with_grants(mut self, file: impl Into<PathBuf>) -> Self {
        self.grants = Some(file.into());
        self
    }
}

impl From<&str> for PluginPaths {
    fn from(dir: &str) -> Self {
        PluginPaths::dir(dir)
    }
}

impl From<&Path> for PluginPaths {
    fn from(dir: &Path) -> Self {
        PluginPaths::dir(dir)
    }
}

impl From<PathBuf> for PluginPaths {
    fn from(dir: PathBuf) -> Self {
        PluginPaths::dir(dir)
    }
}

impl From<&PathBuf> for PluginPaths {
    fn from(dir: &PathBuf) -> Self {
        PluginPaths::dir(dir.clone())
    }
}
