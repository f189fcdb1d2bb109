//! The per-call store data of a plugin instance.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::call::CallContext;

/// How much of a plugin's stdout/stderr is kept for the log, per call.
const CAPTURED_OUTPUT_BYTES: usize = 64 << 10;

/// Everything one call's `Store` holds. A fresh one is made for every call,
/// so nothing a plugin does can leak into the next customer's call.
pub struct GuestState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) memory: MemoryCap,
    /// `None` while the host reads a manifest or runs a policy: no
    /// customer, no records, no network.
    pub(crate) call: Option<CallContext>,
    /// The plugin's tool name (or file name before the manifest is known), for logs.
    pub(crate) plugin: Arc<str>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl GuestState {
    /// A sandbox with no ambient capability: no files, no environment, no
    /// arguments, no network; stdout and stderr are captured for the log.
    pub(crate) fn new(plugin: Arc<str>, call: Option<CallContext>, memory_limit: usize) -> Self {
        let stdout = MemoryOutputPipe::new(CAPTURED_OUTPUT_BYTES);
        let stderr = MemoryOutputPipe::new(CAPTURED_OUTPUT_BYTES);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        GuestState {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap::new(memory_limit),
            call,
            plugin,
            stdout,
            stderr,
        }
    }

    /// Sends what the plugin printed to the host's log.
    pub(crate) fn flush_output(&self) {
        for (stream, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            if bytes.is_empty() {
                continue;
            }
            for line in String::from_utf8_lossy(&bytes).lines() {
                tracing::info!(plugin = %self.plugin, stream, "{line}");
            }
        }
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and remembers whether the cap was hit, so an abort
/// after a failed allocation is reported as out-of-memory, not a vague trap.
pub(crate) struct MemoryCap {
    limit: usize,
    pub(crate) exceeded: bool,
}

impl MemoryCap {
    fn new(limit: usize) -> Self {
        MemoryCap {
            limit,
            exceeded: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

impl GuestState {
    /// What the guest last said on stderr before failing: a Rust panic's
    /// location and message when there is one, else the last line.
    pub(crate) fn last_error_line(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("note: run with `RUST_BACKTRACE"))
            .collect();
        if let Some(at) = lines.iter().rposition(|line| line.contains("panicked at")) {
            let message = lines.get(at + 1).copied().unwrap_or_default();
            return Some(format!("{} {message}", lines[at]).trim().to_string());
        }
        lines.last().map(|line| line.to_string())
    }
}
