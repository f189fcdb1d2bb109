//! Debounced file watching, shared by plugin and policy hot reload.
//!
//! Editors and build tools write files in several steps (truncate, write,
//! rename). The watcher waits until the watched paths have been quiet for a
//! short moment and then calls back once, so a reload sees the finished file.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// How long the paths must be quiet before the callback runs.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Watches some paths until dropped.
pub struct FileWatcher {
    _watcher: RecommendedWatcher,
    _thread: std::thread::JoinHandle<()>,
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    /// The path that could not be watched.
    pub path: PathBuf,
    /// What the OS said.
    #[source]
    pub source: notify::Error,
}

impl FileWatcher {
    /// Watches `dirs` (not recursively) and calls `on_change` after each burst
    /// of changes to a file for which `relevant` is true.
    pub fn spawn(
        name: &str,
        dirs: &[&Path],
        relevant: impl Fn(&Path) -> bool + Send + 'static,
        mut on_change: impl FnMut() + Send + 'static,
    ) -> Result<Self, WatchError> {
        let (tx, rx) = mpsc::channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if let Ok(event) = event
                    && !event.kind.is_access()
                    && event.paths.iter().any(|p| relevant(p))
                {
                    let _ = tx.send(());
                }
            })
            .map_err(|source| WatchError {
                path: dirs.first().map(|d| d.to_path_buf()).unwrap_or_default(),
                source,
            })?;
        for dir in dirs {
            watcher
                .watch(dir, RecursiveMode::NonRecursive)
                .map_err(|source| WatchError {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        let thread = std::thread::Builder::new()
            .name(format!("deskhand-watch-{name}"))
            .spawn(move || {
                // Ends when the watcher (and with it the sender) is dropped.
                while rx.recv().is_ok() {
                    while rx.recv_timeout(DEBOUNCE).is_ok() {}
                    on_change();
                }
            })
            .expect("spawning a file watcher thread");
        Ok(FileWatcher {
            _watcher: watcher,
            _thread: thread,
        })
    }
}
