//! The wasmtime engine every plugin runs in, and the limits of its sandbox.
//!
//! One [`Sandbox`] per process: a pooling allocator (instantiation in
//! microseconds), epoch interruption for wall-clock deadlines, and a linker
//! that offers WASI without any ambient capability plus deskhand's own
//! `records`, `http`, `config`, `clock` and `log` imports, each limited by
//! the calling plugin's grant.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use super::call::CallContext;
use super::http::HttpClient;
use super::state::GuestState;
use crate::bindings::tool::Tool;

/// How often the engine's epoch advances; the resolution of call deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(2);

/// How much of each pooled memory and table stays mapped between calls.
const KEEP_RESIDENT: usize = 2 << 20;

/// Limits applied to every plugin call.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Wall-clock budget of one call, instantiation included (default 200 ms).
    pub timeout: Duration,
    /// Most linear memory one call may use, in bytes (default 32 MiB).
    pub memory_limit: usize,
    /// How many plugin calls may be in flight at once (default 64).
    pub max_concurrent_calls: u32,
    /// Where compiled plugins are cached between runs; `None` disables the cache.
    pub compile_cache: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            timeout: Duration::from_millis(200),
            memory_limit: 32 << 20,
            max_concurrent_calls: 64,
            compile_cache: default_compile_cache(),
        }
    }
}

/// `~/.cache/deskhand/wasmtime`, where compiled plugins are kept.
pub fn default_compile_cache() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    Some(PathBuf::from(home).join(".cache/deskhand/wasmtime"))
}

/// The engine and linker shared by every plugin.
pub struct Sandbox {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<GuestState>,
    pub(crate) config: SandboxConfig,
    /// Started on the first plugin call that needs it.
    http: OnceLock<Arc<HttpClient>>,
}

impl Sandbox {
    /// Builds the engine, starts its epoch ticker and prepares the linker.
    pub fn new(config: SandboxConfig) -> Result<Arc<Self>, SandboxError> {
        Self::build(config).map_err(|e| SandboxError(format!("{e:#}")))
    }

    fn build(config: SandboxConfig) -> wasmtime::Result<Arc<Self>> {
        let mut wasm = Config::new();
        wasm.wasm_component_model(true).epoch_interruption(true);
        let mut pool = PoolingAllocationConfig::new();
        let calls = config.max_concurrent_calls.max(1);
        // A Rust component holds a handful of core instances; leave room for them.
        pool.total_component_instances(calls)
            .total_core_instances(calls * 8)
            .total_memories(calls * 2)
            .total_tables(calls * 8)
            .total_stacks(calls)
            .max_memories_per_component(4)
            .max_memory_size(config.memory_limit)
            // Reset a slot by restoring only the pages the last call dirtied
            // (Linux's PAGEMAP_SCAN where available) instead of unmapping and
            // faulting them in again: most of the per-call cost otherwise.
            .pagemap_scan(wasmtime::Enabled::Auto)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
        wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if let Some(dir) = &config.compile_cache {
            let mut cache = wasmtime::CacheConfig::new();
            cache.with_directory(dir);
            match wasmtime::Cache::new(cache) {
                Ok(cache) => {
                    wasm.cache(Some(cache));
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), "plugin compile cache disabled: {e}")
                }
            }
        }
        let engine = Engine::new(&wasm)?;
        spawn_epoch_ticker(&engine);

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        Tool::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        // Policies run in this sandbox too. Besides `log` and WASI they import
        // only their types-only interface, which has nothing to link but must
        // exist as an instance.
        linker.instance("deskhand:plugin/policy-types@0.2.0")?;
        Ok(Arc::new(Sandbox {
            engine,
            linker,
            config,
            http: OnceLock::new(),
        }))
    }

    /// The limits this sandbox applies.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Compiles component `bytes` and links them against the host's imports.
    pub(crate) fn prepare(&self, bytes: &[u8]) -> Result<InstancePre<GuestState>, String> {
        let component = Component::new(&self.engine, bytes).map_err(|e| format!("{e:#}"))?;
        self.linker
            .instantiate_pre(&component)
            .map_err(|e| format!("it imports something the host does not offer: {e:#}"))
    }

    /// A fresh store for one guest call, with the call deadline and memory
    /// cap armed. `call` is `None` when no customer is involved (reading a
    /// manifest, evaluating a policy); `timeout` replaces the sandbox's
    /// default budget for plugins granted a longer one.
    pub(crate) fn new_store(
        &self,
        guest: Arc<str>,
        call: Option<CallContext>,
        timeout: Option<Duration>,
    ) -> Store<GuestState> {
        let timeout = timeout.unwrap_or(self.config.timeout);
        let state = GuestState::new(guest, call, self.config.memory_limit);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        store.set_epoch_deadline(Self::ticks(timeout));
        store.epoch_deadline_trap();
        store
    }

    /// The HTTP client for plugin requests.
    pub(crate) fn http(&self) -> Arc<HttpClient> {
        self.http.get_or_init(HttpClient::start).clone()
    }

    /// When a call started now with `timeout` (or the default) must end.
    pub(crate) fn deadline(&self, timeout: Option<Duration>) -> Instant {
        Instant::now() + timeout.unwrap_or(self.config.timeout)
    }

    /// What a failed guest call amounts to.
    pub(crate) fn failure(
        &self,
        store: &Store<GuestState>,
        error: wasmtime::Error,
    ) -> GuestFailure {
        self.failure_within(store, error, self.config.timeout)
    }

    /// Like [`failure`](Self::failure), for a call that had `timeout`.
    pub(crate) fn failure_within(
        &self,
        store: &Store<GuestState>,
        error: wasmtime::Error,
        timeout: Duration,
    ) -> GuestFailure {
        if store.data().memory.exceeded {
            return GuestFailure::OutOfMemory {
                limit_mib: self.config.memory_limit >> 20,
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => GuestFailure::Timeout {
                limit_ms: timeout.as_millis() as u64,
            },
            Some(trap) => GuestFailure::Crashed {
                detail: match store.data().last_error_line() {
                    Some(line) => format!("{trap} ({line})"),
                    None => trap.to_string(),
                },
            },
            None => GuestFailure::Host {
                detail: format!("{error:#}"),
            },
        }
    }

    /// A call budget in epoch ticks.
    fn ticks(timeout: Duration) -> u64 {
        let ticks = timeout.as_micros() / EPOCH_TICK.as_micros();
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

/// Why the sandbox could not start (the engine's configuration was refused,
/// e.g. the pooling allocator could not reserve its memory).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot start the wasmtime sandbox: {0}")]
pub struct SandboxError(pub String);

/// How a guest call failed when it did not return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestFailure {
    /// It ran past its deadline and was stopped.
    #[error("did not finish within {limit_ms} ms and was stopped")]
    Timeout { limit_ms: u64 },
    /// It tried to use more memory than the sandbox allows.
    #[error("tried to use more than {limit_mib} MiB of memory and was stopped")]
    OutOfMemory { limit_mib: usize },
    /// It trapped: a panic, an abort, an illegal operation.
    #[error("crashed: {detail}")]
    Crashed { detail: String },
    /// The host failed while serving it (instantiation, an import).
    #[error("could not be run by the host: {detail}")]
    Host { detail: String },
}

/// Advances the engine's epoch every tick until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("deskhand-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match engine.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawning the epoch ticker thread");
}
