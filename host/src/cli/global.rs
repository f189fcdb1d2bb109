//! The options every command understands, and what they select: the desk,
//! its data, plugins, policies, help centre and models.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deskhand::clock::{Clock, parse_rfc3339};
use deskhand::config::Paths;
use deskhand::desk::Desk;
use deskhand::llm::models::{CHAT_MODEL, EMBEDDER, ModelCache, default_cache_dir};
use deskhand::llm::{Engine, EngineConfig, ModelBackend, RemoteConfig, RemoteModel};
use deskhand::plugins::{PluginPaths, PluginRegistry, Sandbox, SandboxConfig};
use deskhand::policy::{PolicyEngine, PolicyGate, PolicyPaths};
use deskhand::retrieval::Embedder;
use deskhand::store::{Store, StoreLocation};

/// Options every command understands.
#[derive(clap::Args, Clone)]
pub struct GlobalArgs {
    /// The desk to serve: a folder with a desk.toml, or the name of a shipped
    /// desk (shop, telecom); default: the demo shop.
    #[arg(long, global = true, env = "DESKHAND_DESK", value_name = "DIR|NAME")]
    pub desk: Option<PathBuf>,

    /// Where the store and everything else deskhand writes live, a folder
    /// per desk (data/shop/, data/telecom/, …).
    #[arg(long, global = true, env = "DESKHAND_DATA_DIR", default_value = deskhand::config::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Directory of tool plugins (.wasm components); defaults to the plugins built with deskhand.
    #[arg(long = "plugins", global = true, env = "DESKHAND_PLUGINS")]
    pub plugins_dir: Option<PathBuf>,

    /// What each plugin may touch (records, hosts, settings); defaults to
    /// plugins.toml beside --plugins, or the desk's plugins.toml.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_PLUGIN_GRANTS",
        value_name = "FILE"
    )]
    pub plugin_grants: Option<PathBuf>,

    /// The seed data written into an empty store (default: the desk's seed.json).
    #[arg(long, global = true, env = "DESKHAND_SEED_FILE", value_name = "FILE")]
    pub seed_file: Option<PathBuf>,

    /// Wall-clock budget of one plugin call, in milliseconds.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_PLUGIN_TIMEOUT_MS",
        default_value_t = 200
    )]
    pub plugin_timeout_ms: u64,

    /// Memory cap of one plugin call, in MiB.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_PLUGIN_MEMORY_MIB",
        default_value_t = 32
    )]
    pub plugin_memory_mib: usize,

    /// The policy configuration file.
    #[arg(
        long = "policies",
        global = true,
        env = "DESKHAND_POLICIES",
        value_name = "FILE"
    )]
    pub policies_file: Option<PathBuf>,

    /// Directory of policy components (.wasm); defaults to the policies built with deskhand.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_POLICY_MODULES",
        value_name = "DIR"
    )]
    pub policy_modules: Option<PathBuf>,

    /// Directory of policy test cases (*.toml); defaults to tests/ beside the configuration file.
    #[arg(long, global = true, env = "DESKHAND_POLICY_TESTS", value_name = "DIR")]
    pub policy_tests: Option<PathBuf>,

    /// A GGUF chat model to use instead of the default (fetched on first use).
    #[arg(long, global = true, env = "DESKHAND_MODEL", value_name = "PATH.gguf")]
    pub model: Option<PathBuf>,

    /// A LoRA adapter for the chat model: a PEFT folder (adapter_model.safetensors + adapter_config.json) or a GGUF LoRA file; default: the desk's [model] adapter.
    #[arg(long, global = true, env = "DESKHAND_ADAPTER", value_name = "PATH")]
    pub adapter: Option<PathBuf>,

    /// A sentence-embedding model folder (config.json, tokenizer.json, model.safetensors).
    #[arg(long, global = true, env = "DESKHAND_EMBEDDER", value_name = "DIR")]
    pub embedder: Option<PathBuf>,

    /// Where models are cached and fetched to (default: ~/.cache/deskhand/models).
    #[arg(
        long = "models",
        global = true,
        env = "DESKHAND_MODELS",
        value_name = "DIR"
    )]
    pub models_dir: Option<PathBuf>,

    /// The help-centre folder (Markdown) the knowledge base is built from; default: the desk's kb/.
    #[arg(long = "kb", global = true, env = "DESKHAND_KB", value_name = "DIR")]
    pub kb_dir: Option<PathBuf>,

    /// Where the store is: an SQLite file, or a PostgreSQL URL
    /// (postgres://USER:PASSWORD@HOST:PORT/DB) that several hosts share;
    /// default: deskhand.db in the desk's data folder.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_STORE",
        hide_env_values = true,
        value_name = "FILE|URL"
    )]
    pub store: Option<String>,

    /// An OpenAI-compatible chat-completions server to run the model on
    /// (llama.cpp's server, vLLM, Ollama) instead of the local engine; its
    /// API key, if any, comes from DESKHAND_MODEL_API_KEY.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_MODEL_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub model_url: Option<String>,

    /// The model to ask the server for (default: the first it lists).
    #[arg(long, global = true, env = "DESKHAND_MODEL_NAME", value_name = "NAME")]
    pub model_name: Option<String>,

    /// The longest one request to the model server may take, in seconds.
    #[arg(
        long,
        global = true,
        env = "DESKHAND_MODEL_TIMEOUT_SECS",
        default_value_t = 120
    )]
    pub model_timeout_secs: u64,

    /// Fix the business clock at this RFC 3339 instant instead of the system time.
    #[arg(long, global = true, env = "DESKHAND_NOW", value_name = "RFC3339")]
    pub now: Option<String>,
}

impl GlobalArgs {
    /// The desk these options select: `--desk` (a folder or a shipped
    /// desk's name), or the demo shop.
    pub fn desk(&self) -> anyhow::Result<Desk> {
        let Some(chosen) = &self.desk else {
            return Desk::default_desk().context("loading the demo shop desk");
        };
        if chosen.is_dir() {
            return Desk::load(chosen)
                .with_context(|| format!("loading the desk {}", chosen.display()));
        }
        let name = chosen.to_string_lossy();
        let shipped = deskhand::desk::shipped_desks_dir().join(name.as_ref());
        if !name.contains(['/', '\\']) && shipped.is_dir() {
            return Desk::load(&shipped).with_context(|| format!("loading the desk {name}"));
        }
        let names: Vec<String> = deskhand::desk::shipped_desks()
            .map(|desks| desks.into_iter().map(|d| d.id).collect())
            .unwrap_or_default();
        anyhow::bail!(
            "--desk {}: no such folder, and no shipped desk of that name (shipped: {}); \
             give a folder with a desk.toml, e.g. a copy of desks/shop",
            chosen.display(),
            names.join(", ")
        )
    }

    /// The paths these options select: the desk's folder in the data directory.
    pub fn paths(&self) -> Paths {
        // A desk that fails to load is reported by whatever needs it.
        let desk = self
            .desk()
            .map(|d| d.id)
            .unwrap_or_else(|_| deskhand::desk::DEFAULT_DESK.to_string());
        let mut paths = Paths {
            data_dir: self.data_dir.join(desk),
            ..Paths::default()
        };
        if let Some(dir) = &self.plugins_dir {
            paths.plugins_dir = dir.clone();
        }
        paths
    }

    /// Where the plugins and their grants come from: `--plugins` and
    /// `--plugin-grants`, or the desk's.
    pub fn plugin_paths(&self) -> anyhow::Result<PluginPaths> {
        let paths = match &self.plugins_dir {
            Some(dir) => PluginPaths::dir(dir.clone()),
            None => self.desk()?.plugins,
        };
        Ok(match &self.plugin_grants {
            Some(file) => paths.with_grants(file.clone()),
            None => paths,
        })
    }

    /// The seed data file: `--seed-file`, or the desk's.
    pub fn seed_file(&self) -> anyhow::Result<PathBuf> {
        match &self.seed_file {
            Some(file) => Ok(file.clone()),
            None => Ok(self.desk()?.seed),
        }
    }

    /// The model cache: `--models`, or the default.
    pub fn model_cache(&self) -> ModelCache {
        ModelCache::new(self.models_dir.clone().unwrap_or_else(default_cache_dir))
    }

    /// The help-centre folder: `--kb`, or the desk's.
    pub fn kb_dir(&self) -> anyhow::Result<PathBuf> {
        match &self.kb_dir {
            Some(dir) => Ok(dir.clone()),
            None => Ok(self.desk()?.kb_dir),
        }
    }

    /// The business clock: fixed by `--now`, the system time otherwise.
    pub fn clock(&self) -> anyhow::Result<Clock> {
        match &self.now {
            Some(text) => {
                let at = parse_rfc3339(text).with_context(|| {
                    format!("--now {text:?} is not an RFC 3339 time such as 2026-06-15T12:00:00Z")
                })?;
                Ok(Clock::fixed(at))
            }
            None => Ok(Clock::system()),
        }
    }

    /// The sandbox limits these options select.
    pub fn sandbox_config(&self) -> SandboxConfig {
        SandboxConfig {
            timeout: Duration::from_millis(self.plugin_timeout_ms.max(1)),
            memory_limit: self.plugin_memory_mib.max(1) << 20,
            ..SandboxConfig::default()
        }
    }

    /// The chat model's file: `--model`, or the default, fetched if missing.
    pub fn chat_model_path(&self) -> anyhow::Result<PathBuf> {
        match &self.model {
            Some(path) => {
                anyhow::ensure!(path.is_file(), "--model {} is not a file", path.display());
                Ok(path.clone())
            }
            None => {
                let cache = self.model_cache();
                cache.ensure(&CHAT_MODEL, true)?;
                Ok(cache.chat_model_path())
            }
        }
    }

    /// Loads the embedder: `--embedder`, or the default, fetched if missing.
    pub fn load_embedder(&self) -> anyhow::Result<Embedder> {
        let dir = match &self.embedder {
            Some(dir) => dir.clone(),
            None => self.model_cache().ensure(&EMBEDDER, true)?,
        };
        Embedder::load(&dir).with_context(|| format!("loading the embedder {}", dir.display()))
    }

    /// The LoRA adapter to add to the chat model: `--adapter`, or the
    /// desk's `[model] adapter`.
    pub fn adapter_path(&self) -> anyhow::Result<Option<PathBuf>> {
        let path = match &self.adapter {
            Some(path) => Some(path.clone()),
            None => self.desk()?.adapter,
        };
        if let Some(path) = &path {
            anyhow::ensure!(
                path.exists(),
                "the adapter {} does not exist; train one with `deskhand tune` or fix --adapter / [model] adapter",
                path.display()
            );
        }
        Ok(path)
    }

    /// The language model these options select: the server of
    /// `--model-url`, or the local engine.
    pub fn load_model(&self) -> anyhow::Result<Arc<dyn ModelBackend>> {
        let Some(url) = &self.model_url else {
            return Ok(Arc::new(self.load_engine()?));
        };
        anyhow::ensure!(
            self.adapter.is_none(),
            "--adapter needs the local engine; load the adapter into the model server instead, or leave out --model-url"
        );
        let config = RemoteConfig {
            model: self.model_name.clone(),
            timeout: Duration::from_secs(self.model_timeout_secs.max(1)),
            ..RemoteConfig::new(url.clone())
        };
        let model = RemoteModel::connect(config).with_context(|| {
            format!(
                "connecting to the model server {}",
                deskhand::store::redact_password(url)
            )
        })?;
        eprintln!("model: {}", model.describe());
        Ok(Arc::new(model))
    }

    /// Loads the chat model into an engine, with the adapter if one is set.
    pub fn load_engine(&self) -> anyhow::Result<Engine> {
        let path = self.chat_model_path()?;
        let adapter = self.adapter_path()?;
        let context = match &adapter {
            Some(a) => format!(
                "loading the model {} with the adapter {}",
                path.display(),
                a.display()
            ),
            None => format!("loading the model {}", path.display()),
        };
        let config = EngineConfig {
            adapter,
            ..EngineConfig::new(&path)
        };
        Engine::load(config).context(context)
    }

    /// The sandbox every plugin and policy of this process runs in.
    pub fn sandbox(&self) -> anyhow::Result<Arc<Sandbox>> {
        Sandbox::new(self.sandbox_config()).context("starting the wasmtime sandbox")
    }

    /// Where the policies come from: the options, or the desk's.
    pub fn policy_paths(&self) -> anyhow::Result<PolicyPaths> {
        let mut paths = self.desk()?.policies;
        if let Some(file) = &self.policies_file {
            paths.config = file.clone();
            paths.tests = file
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("tests");
        }
        if let Some(dir) = &self.policy_modules {
            paths.modules = dir.clone();
        }
        if let Some(dir) = &self.policy_tests {
            paths.tests = dir.clone();
        }
        Ok(paths)
    }

    /// Loads the policy set; it must be valid and pass its tests.
    pub fn load_policies(&self) -> anyhow::Result<Arc<PolicyEngine>> {
        self.load_policies_in(self.sandbox()?)
    }

    fn load_policies_in(&self, sandbox: Arc<Sandbox>) -> anyhow::Result<Arc<PolicyEngine>> {
        let paths = self.policy_paths()?;
        let engine = PolicyEngine::load(sandbox, paths.clone())
            .with_context(|| format!("loading the policies from {}", paths.config.display()))?;
        Ok(Arc::new(engine))
    }

    /// Where the store is: `--store`, or deskhand.db in the desk's data folder.
    pub fn store_location(&self) -> StoreLocation {
        match &self.store {
            Some(text) => StoreLocation::parse(text),
            None => StoreLocation::Sqlite(self.paths().store_file()),
        }
    }

    /// Opens the store, seeding the desk's data if it is empty (once, however
    /// many hosts start on it together).
    pub fn open_store(&self, clock: &Clock) -> anyhow::Result<Arc<dyn Store>> {
        let location = self.store_location();
        if let StoreLocation::Sqlite(path) = &location
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
        }
        let store = location
            .open()
            .with_context(|| format!("opening the store {}", location.redacted()))?;
        if store.is_empty()? {
            let _seeding = store.hold("seed")?;
            if store.is_empty()? {
                let seed = self.seed_file()?;
                let seeded =
                    deskhand::store::seed::seed_file(store.as_ref(), &seed, clock.now())
                        .with_context(|| format!("seeding the store from {}", seed.display()))?;
                eprintln!(
                    "seeded {} from {}: {}",
                    location.redacted(),
                    seed.display(),
                    seeded.describe()
                );
            }
        }
        Ok(store)
    }

    /// Loads the plugins and the policies into one gate, sharing one sandbox;
    /// the policies are checked against the facts the tools offer.
    pub fn load_gate(&self, store: Arc<dyn Store>) -> anyhow::Result<PolicyGate> {
        let sandbox = self.sandbox()?;
        let tools = self.load_plugins_in(sandbox.clone())?;
        let paths = self.policy_paths()?;
        let policies = PolicyEngine::load_for_tools(sandbox, paths.clone(), tools.clone())
            .with_context(|| format!("loading the policies from {}", paths.config.display()))?;
        Ok(PolicyGate::new(tools, Arc::new(policies), store))
    }

    /// Loads the plugins directory, reporting plugins that were skipped.
    pub fn load_plugins(&self) -> anyhow::Result<Arc<PluginRegistry>> {
        self.load_plugins_in(self.sandbox()?)
    }

    pub fn load_plugins_in(&self, sandbox: Arc<Sandbox>) -> anyhow::Result<Arc<PluginRegistry>> {
        let paths = self.plugin_paths()?;
        let dir = paths.modules.clone();
        let registry = PluginRegistry::load(sandbox, paths).with_context(|| {
            format!(
                "loading plugins from {} (build them with `cargo build`, or point --plugins at a folder of .wasm files)",
                dir.display()
            )
        })?;
        // The desk's external MCP servers lend their tools to the same catalog.
        let external = deskhand::mcp::external::connect(&self.desk()?.mcp_servers);
        for failure in &external.failures {
            eprintln!("warning: {failure}");
        }
        if !external.tools.is_empty() {
            registry
                .set_remote(external.tools)
                .context("adding the external MCP servers' tools")?;
        }
        for failure in registry.catalog().failures() {
            eprintln!("warning: skipped plugin {failure}");
        }
        Ok(Arc::new(registry))
    }
}
