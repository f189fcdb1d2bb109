//! The live policy set: loaded at start, hot-reloaded on every change to
//! `policies.toml`, a policy component or a test case file, and swapped only
//! when the new set compiles, validates and passes every test case.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;

use super::cases::{CaseOutcome, load_cases, run_cases};
use super::config::PolicyFile;
use super::facts_check::{self, FactsCatalog};
use super::set::PolicySet;
use crate::plugins::{PluginRegistry, Sandbox};
use crate::watch::{FileWatcher, WatchError};

/// Where the policy set comes from.
#[derive(Debug, Clone)]
pub struct PolicyPaths {
    /// `policies.toml`.
    pub config: PathBuf,
    /// The directory of compiled policy components (`.wasm`).
    pub modules: PathBuf,
    /// The directory of test cases (`*.toml`).
    pub tests: PathBuf,
}

impl PolicyPaths {
    /// The demo shop desk's policies and the components built with deskhand.
    pub fn builtin() -> Self {
        Self::config(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/policies/policies.toml"),
        )
    }

    /// The configuration `config`, its test cases in `tests/` beside it, and
    /// the components built with deskhand.
    pub fn config(config: impl Into<PathBuf>) -> Self {
        let config = config.into();
        let tests = config.parent().unwrap_or(Path::new(".")).join("tests");
        PolicyPaths {
            config,
            modules: PathBuf::from(BUILTIN_POLICIES_DIR),
            tests,
        }
    }
}

/// The folder the build writes the shipped policy components to.
pub const BUILTIN_POLICIES_DIR: &str = env!("DESKHAND_BUILTIN_POLICIES");

/// The folder the build writes the test policy components to.
pub const TEST_POLICIES_DIR: &str = env!("DESKHAND_TEST_POLICIES");

/// Why a policy set was not (re)loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyError {
    /// `policies.toml` cannot be read or parsed.
    #[error("{path}: {reason}")]
    Config { path: PathBuf, reason: String },
    /// A component is missing or broken, or parameters break a schema.
    #[error("{0}")]
    Invalid(String),
    /// A test case file is broken.
    #[error("policy tests: {0}")]
    Cases(String),
    /// Test cases failed against the new set.
    #[error("{} policy test(s) failed: {}", .0.len(), .0.join("; "))]
    TestsFailed(Vec<String>),
}

/// A change that was refused.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RejectedChange {
    /// When, unix seconds.
    pub at: i64,
    /// Why.
    pub reason: String,
}

/// What `policies status` shows.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PolicyStatus {
    /// The active revision.
    pub revision: String,
    /// When it became active, unix seconds.
    pub loaded_at: i64,
    /// How many revisions were activated since start (the first load counts).
    pub reloads: u64,
    /// How many changes were refused since start.
    pub rejected: u64,
    /// The latest refused change.
    pub last_rejected: Option<RejectedChange>,
}

/// The live policy set.
pub struct PolicyEngine {
    sandbox: Arc<Sandbox>,
    paths: PolicyPaths,
    current: RwLock<Arc<PolicySet>>,
    status: Mutex<PolicyStatus>,
    /// Serialises reloads, so two bursts of edits cannot interleave.
    reloading: Mutex<()>,
    /// Where the status is written after every change, for `policies status`.
    status_file: Option<PathBuf>,
    /// The tools whose facts every candidate set is checked against.
    tools: Option<Arc<PluginRegistry>>,
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl PolicyEngine {
    /// Loads the set; it must be valid and pass its tests, or nothing starts.
    pub fn load(sandbox: Arc<Sandbox>, paths: PolicyPaths) -> Result<Self, PolicyError> {
        Self::load_inner(sandbox, paths, None)
    }

    /// Loads the set like [`load`](Self::load), and also refuses it (now and
    /// on every reload) when a tool of `tools` does not offer the facts a
    /// policy that applies to it reads.
    pub fn load_for_tools(
        sandbox: Arc<Sandbox>,
        paths: PolicyPaths,
        tools: Arc<PluginRegistry>,
    ) -> Result<Self, PolicyError> {
        Self::load_inner(sandbox, paths, Some(tools))
    }

    fn load_inner(
        sandbox: Arc<Sandbox>,
        paths: PolicyPaths,
        tools: Option<Arc<PluginRegistry>>,
    ) -> Result<Self, PolicyError> {
        let catalog = tools.as_deref().map(facts_check::catalog_of);
        let set = Self::passing(&sandbox, &paths, &HashMap::new(), catalog.as_ref())?;
        let status = PolicyStatus {
            revision: set.revision().to_string(),
            loaded_at: unix_now(),
            reloads: 1,
            rejected: 0,
            last_rejected: None,
        };
        tracing::info!(revision = %set.revision(), "policy set loaded");
        Ok(PolicyEngine {
            sandbox,
            paths,
            current: RwLock::new(Arc::new(set)),
            status: Mutex::new(status),
            reloading: Mutex::new(()),
            status_file: None,
            tools,
        })
    }

    /// Also writes the status as JSON to `path` after every reload or refused
    /// change, so `deskhand policies status` can show what a running server did.
    pub fn with_status_file(mut self, path: PathBuf) -> Self {
        self.status_file = Some(path);
        self.save_status();
        self
    }

    fn save_status(&self) {
        let Some(path) = &self.status_file else {
            return;
        };
        let json = serde_json::to_string_pretty(&self.status()).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json) {
            tracing::warn!(path = %path.display(), "cannot write the policy status: {e}");
        }
    }

    /// The active revision. Hold on to it for the whole of one decision.
    pub fn current(&self) -> Arc<PolicySet> {
        self.current.read().clone()
    }

    /// Where the set comes from.
    pub fn paths(&self) -> &PolicyPaths {
        &self.paths
    }

    /// Revision, reload counts and the last refused change.
    pub fn status(&self) -> PolicyStatus {
        self.status.lock().clone()
    }

    /// Builds a candidate set from the files and runs the test cases against
    /// it, passing or not, without an engine: for reporting on files that an
    /// engine would refuse.
    pub fn checker(
        sandbox: Arc<Sandbox>,
        paths: PolicyPaths,
    ) -> Result<(Arc<PolicySet>, Vec<CaseOutcome>), PolicyError> {
        let (set, outcomes) = Self::candidate(&sandbox, &paths, &HashMap::new(), None)?;
        Ok((Arc::new(set), outcomes))
    }

    /// Builds a candidate set from the files as they are now and runs the test
    /// cases against it, passing or not. Nothing is swapped.
    pub fn check(&self) -> Result<(Arc<PolicySet>, Vec<CaseOutcome>), PolicyError> {
        let catalog = self.tools.as_deref().map(facts_check::catalog_of);
        let (set, outcomes) = Self::candidate(
            &self.sandbox,
            &self.paths,
            &self.compiled(),
            catalog.as_ref(),
        )?;
        Ok((Arc::new(set), outcomes))
    }

    /// Rebuilds the set from the files; swaps it in if it is valid and passes
    /// every test case, else keeps the active one and records why.
    pub fn reload(&self) -> Result<String, PolicyError> {
        let _one_at_a_time = self.reloading.lock();
        let started = Instant::now();
        let catalog = self.tools.as_deref().map(facts_check::catalog_of);
        match Self::passing(
            &self.sandbox,
            &self.paths,
            &self.compiled(),
            catalog.as_ref(),
        ) {
            Ok(set) => {
                let revision = set.revision().to_string();
                let changed = revision != self.current().revision();
                if changed {
                    *self.current.write() = Arc::new(set);
                    let mut status = self.status.lock();
                    status.revision = revision.clone();
                    status.loaded_at = unix_now();
                    status.reloads += 1;
                    tracing::info!(%revision, millis = started.elapsed().as_millis() as u64, "policy set reloaded");
                    self.save_status();
                }
                Ok(revision)
            }
            Err(error) => {
                tracing::error!(
                    "policy change refused, revision {} stays active: {error}",
                    self.current().revision()
                );
                let mut status = self.status.lock();
                status.rejected += 1;
                status.last_rejected = Some(RejectedChange {
                    at: unix_now(),
                    reason: error.to_string(),
                });
                drop(status);
                self.save_status();
                Err(error)
            }
        }
    }

    /// Reloads on every change to the configuration, a component or a test
    /// case, until the returned watcher is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<FileWatcher, WatchError> {
        let engine = Arc::downgrade(self);
        let config = self.paths.config.clone();
        let config_dir = config
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let modules = self.paths.modules.clone();
        let tests = self.paths.tests.clone();
        let mut dirs: Vec<&Path> = vec![config_dir.as_path(), modules.as_path()];
        if tests.is_dir() {
            dirs.push(tests.as_path());
        }
        let relevant = {
            let (modules, tests) = (modules.clone(), tests.clone());
            move |path: &Path| {
                path == config
                    || (path.parent() == Some(modules.as_path())
                        && path.extension().is_some_and(|e| e == "wasm"))
                    || (path.parent() == Some(tests.as_path())
                        && path.extension().is_some_and(|e| e == "toml"))
            }
        };
        FileWatcher::spawn("policies", &dirs, relevant, move || {
            if let Some(engine) = engine.upgrade() {
                let _ = engine.reload();
            }
        })
    }

    fn compiled(&self) -> HashMap<String, Arc<super::component::PolicyComponent>> {
        self.current()
            .components()
            .map(|c| (c.digest().to_string(), c.clone()))
            .collect()
    }

    fn candidate(
        sandbox: &Arc<Sandbox>,
        paths: &PolicyPaths,
        compiled: &HashMap<String, Arc<super::component::PolicyComponent>>,
        tools: Option<&FactsCatalog>,
    ) -> Result<(PolicySet, Vec<CaseOutcome>), PolicyError> {
        let config_error = |reason: String| PolicyError::Config {
            path: paths.config.clone(),
            reason,
        };
        let text =
            std::fs::read_to_string(&paths.config).map_err(|e| config_error(e.to_string()))?;
        let file = PolicyFile::parse(&text).map_err(config_error)?;
        let set = PolicySet::build(sandbox, &file, &text, &paths.modules, compiled)
            .map_err(PolicyError::Invalid)?;
        if let Some(tools) = tools {
            facts_check::check(&set, tools).map_err(PolicyError::Invalid)?;
        }
        let cases = load_cases(&paths.tests).map_err(PolicyError::Cases)?;
        let outcomes = run_cases(&set, &cases);
        Ok((set, outcomes))
    }

    /// A candidate that passes every test case, or the failures.
    fn passing(
        sandbox: &Arc<Sandbox>,
        paths: &PolicyPaths,
        compiled: &HashMap<String, Arc<super::component::PolicyComponent>>,
        tools: Option<&FactsCatalog>,
    ) -> Result<PolicySet, PolicyError> {
        let (set, outcomes) = Self::candidate(sandbox, paths, compiled, tools)?;
        let failed: Vec<String> = outcomes
            .iter()
            .filter(|o| !o.passed)
            .map(|o| format!("{:?} ({})", o.name, o.detail))
            .collect();
        if failed.is_empty() {
            Ok(set)
        } else {
            Err(PolicyError::TestsFailed(failed))
        }
    }
}
