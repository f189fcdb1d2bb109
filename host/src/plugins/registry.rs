//! The set of tool plugins loaded from a directory, swapped as a whole on
//! every reload.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

use super::error::{LoadError, ToolError, available_list};
use super::grants::Grants;
use super::paths::PluginPaths;
use super::plugin::Plugin;
use super::sandbox::Sandbox;
use super::scope::CustomerScope;

/// One consistent view of the loaded plugins.
#[derive(Default)]
pub struct Catalog {
    /// Working plugins by tool name.
    by_name: BTreeMap<String, Arc<Plugin>>,
    /// Files that were not loaded, and why.
    failures: Vec<LoadError>,
}

impl Catalog {
    /// The plugins, sorted by tool name.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.by_name.values()
    }

    /// The files that failed to load, and why.
    pub fn failures(&self) -> &[LoadError] {
        &self.failures
    }
}

/// What one (re)load of the directory changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Tools that appeared.
    pub added: Vec<String>,
    /// Tools whose file changed.
    pub replaced: Vec<String>,
    /// Tools whose file was removed.
    pub removed: Vec<String>,
    /// Files that failed to load (a working earlier version, if any, stays).
    pub failed: Vec<String>,
}

impl ReloadReport {
    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.replaced.is_empty()
            && self.removed.is_empty()
            && self.failed.is_empty()
    }
}

/// The tool plugins of one directory.
///
/// Every `.wasm` file in the directory is loaded; a file that fails is
/// reported with its path and reason and skipped, and the others load.
/// [`reload`](PluginRegistry::reload) rescans the directory and swaps in a new
/// [`Catalog`] at once; callers holding an `Arc<Plugin>` finish on it.
pub struct PluginRegistry {
    sandbox: Arc<Sandbox>,
    dir: PathBuf,
    grants_file: Option<PathBuf>,
    /// The file stems to load; `None`: every component of the directory.
    only: Option<Vec<String>>,
    grants: RwLock<Arc<Grants>>,
    catalog: RwLock<Arc<Catalog>>,
    /// Tools from outside the directory (external MCP servers'), merged
    /// into every catalog.
    remote: RwLock<Vec<Arc<Plugin>>>,
    /// Counts the reloads that changed the tools, for listeners.
    changes: tokio::sync::watch::Sender<u64>,
}

impl PluginRegistry {
    /// Loads every plugin in `paths.modules` with the grants of
    /// `paths.grants`. Fails only if the directory cannot be read or the
    /// grants file is broken.
    pub fn load(sandbox: Arc<Sandbox>, paths: impl Into<PluginPaths>) -> Result<Self, LoadError> {
        let paths = paths.into();
        let registry = PluginRegistry {
            sandbox,
            dir: paths.modules,
            grants_file: paths.grants,
            only: paths.only,
            grants: RwLock::new(Arc::new(Grants::none())),
            catalog: RwLock::new(Arc::new(Catalog::default())),
            remote: RwLock::new(Vec::new()),
            changes: tokio::sync::watch::channel(0).0,
        };
        registry.reload()?;
        for failure in registry.catalog().failures() {
            tracing::warn!("plugin skipped: {failure}");
        }
        Ok(registry)
    }

    /// The directory the plugins come from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The grants file, if any.
    pub fn grants_file(&self) -> Option<&Path> {
        self.grants_file.as_deref()
    }

    /// The grants in force.
    pub fn grants(&self) -> Arc<Grants> {
        self.grants.read().clone()
    }

    /// The sandbox the plugins run in.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// The current catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().clone()
    }

    /// The plugin providing tool `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Plugin>> {
        self.catalog.read().by_name.get(name).cloned()
    }

    /// Looks up tool `name`, or explains which tools exist.
    pub fn require(&self, name: &str) -> Result<Arc<Plugin>, ToolError> {
        let catalog = self.catalog();
        catalog
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| ToolError::UnknownTool {
                name: name.to_string(),
                available: available_list(catalog.by_name.keys().map(String::as_str)),
            })
    }

    /// Adds tools from outside the directory (replacing the ones added
    /// before) and reloads, so they join the catalog beside the components.
    /// A name that a component already has is reported as a failure.
    pub fn set_remote(&self, tools: Vec<Arc<Plugin>>) -> Result<ReloadReport, LoadError> {
        *self.remote.write() = tools;
        self.reload()
    }

    /// A receiver that sees a new value after every reload that added,
    /// replaced or removed a tool.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Calls tool `name` for the customer of `scope`.
    pub fn call(
        &self,
        name: &str,
        scope: &CustomerScope,
        args: &Value,
    ) -> Result<Value, ToolError> {
        self.require(name)?.invoke(scope, args)
    }

    /// Rescans the directory and installs the new catalog. Unchanged files are
    /// not recompiled; a file that now fails keeps its last working version.
    pub fn reload(&self) -> Result<ReloadReport, LoadError> {
        let files: Vec<PathBuf> = wasm_files(&self.dir)?
            .into_iter()
            .filter(|path| {
                self.only.as_ref().is_none_or(|names| {
                    path.file_stem()
                        .is_some_and(|stem| names.iter().any(|n| stem == n.as_str()))
                })
            })
            .collect();
        let grants = match &self.grants_file {
            None => Arc::new(Grants::none()),
            Some(path) => match Grants::load(path) {
                Ok(grants) => Arc::new(grants),
                // A broken edit of a live file keeps the grants in force;
                // at start there are none to keep, and loading fails.
                Err(e) if self.catalog.read().by_name.is_empty() => {
                    return Err(LoadError::Grants {
                        path: path.clone(),
                        reason: e.reason,
                    });
                }
                Err(e) => {
                    tracing::error!("plugin grants not reloaded, the previous ones stay: {e}");
                    self.grants()
                }
            },
        };
        let previous = self.catalog();
        let previous_by_path: BTreeMap<&Path, &Arc<Plugin>> =
            previous.by_name.values().map(|p| (p.path(), p)).collect();

        let mut next = Catalog::default();
        let mut report = ReloadReport::default();
        // A listed plugin without its file is a failure to see, not a silence.
        for name in self.only.iter().flatten() {
            let file = self.dir.join(format!("{name}.wasm"));
            if !files.contains(&file) {
                next.failures.push(LoadError::Missing {
                    path: self.dir.clone(),
                    name: name.clone(),
                });
            }
        }
        for path in files {
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    next.failures.push(LoadError::Read {
                        path,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let old = previous_by_path.get(path.as_path()).copied();
            let plugin = match old {
                Some(old) if old.digest() == super::plugin::digest_of(&bytes) => old.clone(),
                _ => match Plugin::from_bytes(&self.sandbox, &path, &bytes) {
                    Ok(plugin) => {
                        match old {
                            Some(old) => report.replaced.push(old.name().to_string()),
                            None => report.added.push(plugin.name().to_string()),
                        }
                        Arc::new(plugin)
                    }
                    Err(error) => {
                        tracing::warn!("plugin not loaded: {error}");
                        report.failed.push(path.display().to_string());
                        next.failures.push(error);
                        match old {
                            Some(old) => old.clone(),
                            None => continue,
                        }
                    }
                },
            };
            if let Some(other) = next.by_name.get(plugin.name()) {
                next.failures.push(LoadError::Duplicate {
                    path: path.clone(),
                    name: plugin.name().to_string(),
                    other: other.path().to_path_buf(),
                });
                continue;
            }
            next.by_name.insert(plugin.name().to_string(), plugin);
        }
        for tool in self.remote.read().iter() {
            let old = previous_by_path.get(tool.path()).copied();
            match old {
                Some(old) if old.digest() == tool.digest() => {}
                Some(old) => report.replaced.push(old.name().to_string()),
                None => report.added.push(tool.name().to_string()),
            }
            if let Some(other) = next.by_name.get(tool.name()) {
                next.failures.push(LoadError::Duplicate {
                    path: tool.path().to_path_buf(),
                    name: tool.name().to_string(),
                    other: other.path().to_path_buf(),
                });
                continue;
            }
            next.by_name.insert(tool.name().to_string(), tool.clone());
        }
        for (name, old) in &previous.by_name {
            let still_there = next
                .by_name
                .values()
                .any(|p| Arc::ptr_eq(p, old) || p.path() == old.path());
            if !still_there {
                report.removed.push(name.clone());
            }
        }
        for plugin in next.by_name.values() {
            plugin.set_grant(grants.of(plugin.grant_name()));
        }
        *self.grants.write() = grants;
        *self.catalog.write() = Arc::new(next);
        if !(report.added.is_empty() && report.replaced.is_empty() && report.removed.is_empty()) {
            self.changes.send_modify(|n| *n += 1);
        }
        if !report.is_empty() {
            tracing::info!(
                added = ?report.added,
                replaced = ?report.replaced,
                removed = ?report.removed,
                failed = ?report.failed,
                "plugins reloaded"
            );
        }
        Ok(report)
    }
}

/// The `.wasm` files directly in `dir`, sorted by name so duplicates resolve
/// the same way every time.
fn wasm_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::Directory {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm") && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

impl PluginRegistry {
    /// Reloads the registry whenever a `.wasm` file in its directory is added,
    /// replaced or removed, or the grants file changes, until the returned
    /// watcher is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<crate::watch::FileWatcher, crate::watch::WatchError> {
        let registry = Arc::downgrade(self);
        let grants_file = self.grants_file.clone();
        let mut dirs = vec![self.dir.as_path()];
        if let Some(parent) = self
            .grants_file
            .as_deref()
            .and_then(Path::parent)
            .filter(|p| p.is_dir() && *p != self.dir.as_path())
        {
            dirs.push(parent);
        }
        crate::watch::FileWatcher::spawn(
            "plugins",
            &dirs,
            move |path| {
                path.extension().is_some_and(|ext| ext == "wasm")
                    || grants_file
                        .as_deref()
                        .is_some_and(|g| path.file_name() == g.file_name())
            },
            move || {
                if let Some(registry) = registry.upgrade()
                    && let Err(e) = registry.reload()
                {
                    tracing::error!("plugin reload failed: {e}");
                }
            },
        )
    }
}
