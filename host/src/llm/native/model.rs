//! The native forward pass: embeddings, then per layer RMSNorm → stacked
//! QKV projection → RoPE → causal attention → output projection (added to
//! the residual) → RMSNorm → stacked gate/up → SiLU·up → down projection
//! (added to the residual), and the last position's logits.
//!
//! One token (decoding) runs on quantised weights and i8 activations,
//! matrix-vector; a prompt chunk of [`GEMM_ROWS`] tokens or more runs as
//! GEMMs on the f32 panels. Buffers live in [`Scratch`] and are reused, the
//! key/value cache grows by doubling, and the whole pass runs on one pool.

use std::sync::Arc;

use deskhand_kernels::attention::{Heads, attention};
use deskhand_kernels::gemm::gemm;
use deskhand_kernels::matvec::matvec;
use deskhand_kernels::norm::{rms_norm, rms_norm_in_place};
use deskhand_kernels::vmath::silu_mul;
use deskhand_kernels::{Isa, LayerCache, PanelMatrix, Pool, QuantizedVector, Rope};

use super::config::NativeConfig;
use super::error::NativeError;
use super::weights::{self, Linear, Weights};
use crate::llm::adapter::{Adapter, AdapterError, LowRank, Target};
use crate::llm::error::LlmError;
use crate::llm::gguf::GgufFile;

/// From this many tokens on, a forward pass uses GEMMs.
pub const GEMM_ROWS: usize = 4;

/// The kernels a model runs on: an instruction set and worker threads.
#[derive(Debug)]
pub struct Compute {
    pub isa: Isa,
    pub pool: Pool,
}

impl Compute {
    /// `isa` (or the scalar reference, if this CPU cannot run it) on
    /// `threads` workers.
    pub fn new(isa: Isa, threads: usize) -> Result<Self, LlmError> {
        if !isa.is_supported() {
            tracing::warn!(%isa, "this CPU cannot run these kernels; using the scalar reference");
        }
        let pool = Pool::new(threads)
            .map_err(|e| LlmError::Inference(format!("starting the kernel threads: {e}")))?;
        Ok(Compute {
            isa: isa.usable(),
            pool,
        })
    }
}

/// Reused buffers of the forward pass.
#[derive(Default)]
struct Scratch {
    hidden: Vec<f32>,
    normed: Vec<f32>,
    qkv: Vec<f32>,
    attended: Vec<f32>,
    gate_up: Vec<f32>,
    activated: Vec<f32>,
    work: ProjectionWork,
}

/// Reused buffers of one projection.
#[derive(Default)]
struct ProjectionWork {
    /// The packed rows of a GEMM's `A`.
    packed: Vec<f32>,
    /// One row quantised to i8 for a matrix-vector product.
    quantized: QuantizedVector,
    /// Panels re-packed per projection when the model keeps none.
    panels: PanelMatrix,
}

/// A loaded native model with its key/value cache.
pub struct NativeModel {
    config: Arc<NativeConfig>,
    weights: Arc<Weights>,
    rope: Arc<Rope>,
    compute: Arc<Compute>,
    caches: Vec<LayerCache>,
    scratch: Scratch,
    /// A LoRA adapter added to the projections' outputs.
    adapter: Option<Arc<Adapter>>,
}

impl Clone for NativeModel {
    /// Shares the weights and copies the cache (compactly).
    fn clone(&self) -> Self {
        NativeModel {
            config: self.config.clone(),
            weights: self.weights.clone(),
            rope: self.rope.clone(),
            compute: self.compute.clone(),
            caches: self.caches.clone(),
            scratch: Scratch::default(),
            adapter: self.adapter.clone(),
        }
    }
}

impl NativeModel {
    /// Reads the configuration of `file`; `Err` says why the native engine
    /// does not cover it, or what is wrong with the file.
    pub fn config_of(file: &GgufFile) -> Result<NativeConfig, NativeError> {
        NativeConfig::from_gguf(file)
    }

    /// Loads the weights of `file` for `config`, converting them on `compute`.
    pub fn load(
        file: &mut GgufFile,
        config: NativeConfig,
        compute: Arc<Compute>,
    ) -> Result<Self, LlmError> {
        let weights = compute
            .pool
            .install(|| weights::load(file, &config, &compute.pool))
            .map_err(|e| LlmError::Load {
                path: file.path.clone(),
                reason: e.to_string(),
            })?;
        let rope = Rope::new(
            config.head_dim,
            config.rope_base,
            config.context_length,
            config.rope_style,
        );
        tracing::debug!(
            isa = %compute.isa,
            threads = compute.pool.threads(),
            mib = weights.size_bytes() / (1 << 20),
            "native model loaded"
        );
        let caches = (0..config.layers)
            .map(|_| LayerCache::new(config.kv_heads, config.head_dim))
            .collect();
        Ok(NativeModel {
            config: Arc::new(config),
            weights: Arc::new(weights),
            rope: Arc::new(rope),
            compute,
            caches,
            scratch: Scratch::default(),
            adapter: None,
        })
    }

    /// Adds `adapter`'s low-rank deltas to every projection it adapts,
    /// after checking that it was made for a model of this shape.
    pub fn set_adapter(&mut self, adapter: Adapter) -> Result<(), AdapterError> {
        let config = self.config.clone();
        adapter.check_against(&|target| config.projection_shape(target), config.layers)?;
        self.adapter = Some(Arc::new(adapter));
        self.clear();
        Ok(())
    }

    /// The configuration read from the file.
    pub fn config(&self) -> &NativeConfig {
        &self.config
    }

    /// The kernels in use.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// Positions the model can hold (the context length, capped).
    pub fn max_positions(&self) -> usize {
        self.rope.positions()
    }

    /// Positions in the cache.
    pub fn position(&self) -> usize {
        self.caches.first().map_or(0, LayerCache::len)
    }

    /// Empties the cache.
    pub fn clear(&mut self) {
        self.caches.iter_mut().for_each(|c| c.truncate(0));
    }

    /// Runs `tokens` at positions `position..` and returns the logits of the
    /// last one. A `position` before the cache's end rewinds the cache.
    pub fn forward(&mut self, tokens: &[u32], position: usize) -> Result<Vec<f32>, LlmError> {
        if tokens.is_empty() {
            return Err(LlmError::Inference("a forward pass needs a token".into()));
        }
        let held = self.position();
        if position > held {
            return Err(LlmError::Inference(format!(
                "position {position} is past the {held} cached positions"
            )));
        }
        let end = position + tokens.len();
        if end > self.rope.positions() {
            return Err(LlmError::PromptTooLong {
                tokens: end,
                context: self.rope.positions(),
            });
        }
        let vocab = self.weights.embeddings.rows();
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            return Err(LlmError::Inference(format!(
                "token {bad} is outside the vocabulary of {vocab}"
            )));
        }
        for cache in &mut self.caches {
            cache.truncate(position);
            cache.reserve(end);
        }
        let compute = self.compute.clone();
        let span = tracing::trace_span!("forward", tokens = tokens.len(), position);
        let _entered = span.enter();
        // Every shape was checked at load, so a panic here is a bug; it must
        // not take the engine's worker thread down with it. The cache is
        // rewound by the next pass, whatever this one left in it.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compute.pool.install(|| self.run(tokens, position))
        }))
        .map_err(|panic| {
            let reason = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            tracing::error!(reason, "the native forward pass failed");
            LlmError::Inference(format!("the forward pass failed: {reason}"))
        })
    }

    fn run(&mut self, tokens: &[u32], position: usize) -> Vec<f32> {
        let adapter = self.adapter.clone();
        let delta = |layer: usize, target: Target| -> Option<(&LowRank, f32)> {
            let adapter = adapter.as_deref()?;
            Some((adapter.get(layer, target)?, adapter.scale()))
        };
        let config = self.config.clone();
        let weights = self.weights.clone();
        let compute = self.compute.clone();
        let (isa, pool) = (compute.isa, &compute.pool);
        let m = tokens.len();
        let hidden = config.hidden;
        let s = &mut self.scratch;

        s.hidden.resize(m * hidden, 0.0);
        for (row, &token) in s.hidden.chunks_mut(hidden).zip(tokens) {
            weights.embeddings.dequantize_row(token as usize, row);
        }
        let (qw, kvw) = (config.query_width(), config.kv_width());
        let qkv_width = qw + 2 * kvw;
        let ffn = config.feed_forward;
        let heads = Heads {
            query: config.heads,
            kv: config.kv_heads,
            dim: config.head_dim,
        };
        for (index, (layer, cache)) in weights.layers.iter().zip(&mut self.caches).enumerate() {
            // Attention.
            normalize_rows(
                &s.hidden,
                hidden,
                &layer.attention_norm,
                config.rms_eps,
                &mut s.normed,
            );
            project(
                isa,
                pool,
                &layer.qkv,
                &s.normed,
                m,
                &mut s.qkv,
                false,
                &mut s.work,
            );
            for (target, offset) in [
                (Target::Query, 0),
                (Target::Key, qw),
                (Target::Value, qw + kvw),
            ] {
                if let Some((d, scale)) = delta(index, target) {
                    d.add_to(&s.normed, &mut s.qkv, qkv_width, offset, scale);
                }
            }
            for (i, row) in s.qkv.chunks_mut(qkv_width).enumerate() {
                let (queries, rest) = row.split_at_mut(qw);
                let (keys, values) = rest.split_at_mut(kvw);
                for head in queries.chunks_mut(config.head_dim) {
                    if let Some(norm) = &layer.query_norm {
                        rms_norm_in_place(head, norm, config.rms_eps);
                    }
                    self.rope.apply(head, position + i);
                }
                for head in keys.chunks_mut(config.head_dim) {
                    if let Some(norm) = &layer.key_norm {
                        rms_norm_in_place(head, norm, config.rms_eps);
                    }
                    self.rope.apply(head, position + i);
                }
                cache.push(keys, values);
            }
            s.attended.resize(m * qw, 0.0);
            attention(
                isa,
                pool,
                heads,
                &s.qkv,
                qkv_width,
                m,
                cache,
                &mut s.attended,
                qw,
            );
            project(
                isa,
                pool,
                &layer.attention_output,
                &s.attended,
                m,
                &mut s.hidden,
                true,
                &mut s.work,
            );
            if let Some((d, scale)) = delta(index, Target::Output) {
                d.add_to(&s.attended, &mut s.hidden, hidden, 0, scale);
            }

            // Feed-forward.
            normalize_rows(
                &s.hidden,
                hidden,
                &layer.ffn_norm,
                config.rms_eps,
                &mut s.normed,
            );
            project(
                isa,
                pool,
                &layer.gate_up,
                &s.normed,
                m,
                &mut s.gate_up,
                false,
                &mut s.work,
            );
            for (target, offset) in [(Target::Gate, 0), (Target::Up, ffn)] {
                if let Some((d, scale)) = delta(index, target) {
                    d.add_to(&s.normed, &mut s.gate_up, 2 * ffn, offset, scale);
                }
            }
            s.activated.resize(m * ffn, 0.0);
            for (out, row) in s.activated.chunks_mut(ffn).zip(s.gate_up.chunks(2 * ffn)) {
                let (gate, up) = row.split_at(ffn);
                silu_mul(isa, gate, up, out);
            }
            project(
                isa,
                pool,
                &layer.down,
                &s.activated,
                m,
                &mut s.hidden,
                true,
                &mut s.work,
            );
            if let Some((d, scale)) = delta(index, Target::Down) {
                d.add_to(&s.activated, &mut s.hidden, hidden, 0, scale);
            }
        }

        let last = &s.hidden[(m - 1) * hidden..];
        s.normed.resize(hidden, 0.0);
        rms_norm(
            last,
            &weights.output_norm,
            config.rms_eps,
            &mut s.normed[..hidden],
        );
        s.work.quantized.quantize(&s.normed[..hidden]);
        let output = weights.output();
        let mut logits = vec![0.0; output.rows()];
        matvec(isa, pool, output, &s.work.quantized, &mut logits, false);
        logits
    }
}

/// RMSNorm of each `width`-wide row of `x` into `out`.
fn normalize_rows(x: &[f32], width: usize, weight: &[f32], eps: f32, out: &mut Vec<f32>) {
    out.resize(x.len(), 0.0);
    for (row, normed) in x.chunks(width).zip(out.chunks_mut(width)) {
        rms_norm(row, weight, eps, normed);
    }
}

/// `out = x·Wᵀ + bias` (or `out += x·Wᵀ`) for `m` rows of `x`.
#[allow(clippy::too_many_arguments)]
fn project(
    isa: Isa,
    pool: &Pool,
    linear: &Linear,
    x: &[f32],
    m: usize,
    out: &mut Vec<f32>,
    accumulate: bool,
    work: &mut ProjectionWork,
) {
    let (n, k) = (linear.rows(), linear.quant.cols());
    if !accumulate {
        out.resize(m * n, 0.0);
    }
    if m >= GEMM_ROWS {
        let panels = match &linear.panels {
            Some(panels) => panels,
            None => {
                work.panels.fill_from(&linear.quant, pool);
                &work.panels
            }
        };
        let (a, b) = (x, panels.as_panels());
        gemm(isa, pool, a, m, k, b, out, n, accumulate, &mut work.packed);
    } else {
        for (row, y) in x.chunks(k).zip(out.chunks_mut(n)) {
            work.quantized.quantize(row);
            matvec(isa, pool, &linear.quant, &work.quantized, y, accumulate);
        }
    }
    if let Some(bias) = &linear.bias {
        for y in out.chunks_mut(n) {
            y.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
        }
    }
}
