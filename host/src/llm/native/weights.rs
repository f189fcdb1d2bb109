//! A native model's tensors, read through candle's GGUF reader, checked
//! against the metadata and converted once into the kernels' layouts.

use candle_core::Device;
use candle_core::quantized::{GgmlDType, QTensor};
use deskhand_kernels::{GgmlBlocks, PanelMatrix, Pool, QuantMatrix};

use super::config::NativeConfig;
use super::error::NativeError;
use crate::llm::gguf::GgufFile;

/// f32 prefill panels are kept for models whose panels fit in this many
/// bytes (SmolLM2-135M needs 424 MiB, a Qwen3-0.6B 1.7 GiB); larger models
/// re-pack each projection when a prompt needs it, instead of holding four
/// bytes per weight. `DESKHAND_PANEL_BUDGET_MIB` changes it.
pub const DEFAULT_PANEL_BUDGET: usize = 2 << 30;

/// A projection: quantised blocks for one row at a time (decoding), f32
/// panels for many (prefill) when the budget allows, and an optional bias.
pub struct Linear {
    pub quant: QuantMatrix,
    pub panels: Option<PanelMatrix>,
    pub bias: Option<Vec<f32>>,
}

impl Linear {
    /// Outputs.
    pub fn rows(&self) -> usize {
        self.quant.rows()
    }

    fn size_bytes(&self) -> usize {
        self.quant.size_bytes() + self.panels.as_ref().map_or(0, PanelMatrix::size_bytes)
    }
}

/// One transformer block.
pub struct Layer {
    pub attention_norm: Vec<f32>,
    /// Queries, keys and values stacked: `query_width + 2·kv_width` outputs.
    pub qkv: Linear,
    /// Qwen 3's per-head RMSNorm of queries and keys.
    pub query_norm: Option<Vec<f32>>,
    pub key_norm: Option<Vec<f32>>,
    pub attention_output: Linear,
    pub ffn_norm: Vec<f32>,
    /// Gate and up projections stacked: `2·feed_forward` outputs.
    pub gate_up: Linear,
    pub down: Linear,
}

/// Every tensor of the model.
pub struct Weights {
    pub embeddings: QuantMatrix,
    pub layers: Vec<Layer>,
    pub output_norm: Vec<f32>,
    /// The output projection; `None` when it is tied to the embeddings.
    pub output: Option<QuantMatrix>,
}

impl Weights {
    /// Bytes held by the weights in both layouts.
    pub fn size_bytes(&self) -> usize {
        self.embeddings.size_bytes()
            + self.output.as_ref().map_or(0, QuantMatrix::size_bytes)
            + self
                .layers
                .iter()
                .map(|l| {
                    l.qkv.size_bytes()
                        + l.attention_output.size_bytes()
                        + l.gate_up.size_bytes()
                        + l.down.size_bytes()
                })
                .sum::<usize>()
    }

    /// The output projection, tied or not.
    pub fn output(&self) -> &QuantMatrix {
        self.output.as_ref().unwrap_or(&self.embeddings)
    }
}

/// Reads and checks tensors of one file.
struct Reader<'a> {
    file: &'a mut GgufFile,
}

impl Reader<'_> {
    fn has(&self, name: &str) -> bool {
        self.file.content.tensor_infos.contains_key(name)
    }

    fn tensor(&mut self, name: &str) -> Result<QTensor, NativeError> {
        let GgufFile {
            content, reader, ..
        } = &mut *self.file;
        content
            .tensor(reader, name, &Device::Cpu)
            .map_err(|e| NativeError::Invalid(format!("reading {name}: {e}")))
    }

    fn values(name: &str, tensor: &QTensor) -> Result<Vec<f32>, NativeError> {
        tensor
            .dequantize(&Device::Cpu)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| NativeError::Invalid(format!("reading {name}: {e}")))
    }

    /// A vector of exactly `len` values.
    fn vector(&mut self, name: &str, len: usize) -> Result<Vec<f32>, NativeError> {
        let tensor = self.tensor(name)?;
        let values = Self::values(name, &tensor)?;
        if values.len() != len {
            return Err(NativeError::Invalid(format!(
                "{name} has {} values, the metadata implies {len}",
                values.len()
            )));
        }
        Ok(values)
    }

    fn optional_vector(&mut self, name: &str, len: usize) -> Result<Option<Vec<f32>>, NativeError> {
        if self.has(name) {
            self.vector(name, len).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A `rows × cols` matrix: Q4_0, Q4_1 and Q8_0 blocks convert without
    /// loss, anything else is re-quantised to 8 bits from f32.
    fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<QuantMatrix, NativeError> {
        let tensor = self.tensor(name)?;
        let dims = tensor.shape().dims().to_vec();
        if dims != [rows, cols] {
            return Err(NativeError::Invalid(format!(
                "{name} has shape {dims:?}, the metadata implies [{rows}, {cols}]"
            )));
        }
        let blocks = match tensor.dtype() {
            GgmlDType::Q4_0 => Some(GgmlBlocks::Q4_0),
            GgmlDType::Q4_1 => Some(GgmlBlocks::Q4_1),
            GgmlDType::Q8_0 => Some(GgmlBlocks::Q8_0),
            _ => None,
        };
        let converted = match blocks {
            Some(kind) => {
                let data = tensor
                    .data()
                    .map_err(|e| NativeError::Invalid(format!("reading {name}: {e}")))?;
                QuantMatrix::from_ggml(kind, rows, cols, &data)
            }
            None => QuantMatrix::from_f32(rows, cols, &Self::values(name, &tensor)?),
        };
        converted.map_err(|e| NativeError::Invalid(format!("{name}: {e}")))
    }
}

/// How many bytes of prefill panels to keep: `DESKHAND_PANEL_BUDGET_MIB`,
/// or [`DEFAULT_PANEL_BUDGET`].
fn panel_budget() -> usize {
    std::env::var("DESKHAND_PANEL_BUDGET_MIB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(DEFAULT_PANEL_BUDGET, |mib| mib << 20)
}

/// Loads every tensor `config` calls for, checking each shape.
pub fn load(
    file: &mut GgufFile,
    config: &NativeConfig,
    pool: &Pool,
) -> Result<Weights, NativeError> {
    let mut reader = Reader { file };
    let vocab = reader
        .file
        .content
        .tensor_infos
        .get("token_embd.weight")
        .and_then(|info| info.shape.dims().first().copied())
        .ok_or_else(|| NativeError::Invalid("no token_embd.weight".into()))?;
    let (hidden, ffn) = (config.hidden, config.feed_forward);
    let (query, kv) = (config.query_width(), config.kv_width());
    let embeddings = reader.matrix("token_embd.weight", vocab, hidden)?;
    let output = if reader.has("output.weight") {
        Some(reader.matrix("output.weight", vocab, hidden)?)
    } else {
        None
    };
    let output_norm = reader.vector("output_norm.weight", hidden)?;
    let stack = |name: String, parts: &[&QuantMatrix]| {
        QuantMatrix::stack(parts).map_err(|e| NativeError::Invalid(format!("{name}: {e}")))
    };
    let panel_bytes = panel_bytes(config);
    let keep_panels = panel_bytes <= panel_budget();
    if !keep_panels {
        tracing::info!(
            mib = panel_bytes >> 20,
            "prefill panels over budget: re-packed per prompt instead (DESKHAND_PANEL_BUDGET_MIB)"
        );
    }
    let linear = |quant: QuantMatrix, bias: Option<Vec<f32>>| Linear {
        panels: keep_panels.then(|| PanelMatrix::from_quant(&quant, pool)),
        quant,
        bias,
    };
    let mut layers = Vec::with_capacity(config.layers);
    for layer in 0..config.layers {
        let name = |part: &str| format!("blk.{layer}.{part}");
        let q = reader.matrix(&name("attn_q.weight"), query, hidden)?;
        let k = reader.matrix(&name("attn_k.weight"), kv, hidden)?;
        let v = reader.matrix(&name("attn_v.weight"), kv, hidden)?;
        let biases = [
            reader.optional_vector(&name("attn_q.bias"), query)?,
            reader.optional_vector(&name("attn_k.bias"), kv)?,
            reader.optional_vector(&name("attn_v.bias"), kv)?,
        ];
        let qkv_bias = biases.iter().any(Option::is_some).then(|| {
            biases
                .into_iter()
                .zip([query, kv, kv])
                .flat_map(|(bias, width)| bias.unwrap_or_else(|| vec![0.0; width]))
                .collect::<Vec<f32>>()
        });
        let gate = reader.matrix(&name("ffn_gate.weight"), ffn, hidden)?;
        let up = reader.matrix(&name("ffn_up.weight"), ffn, hidden)?;
        layers.push(Layer {
            attention_norm: reader.vector(&name("attn_norm.weight"), hidden)?,
            qkv: linear(stack(name("attn_qkv"), &[&q, &k, &v])?, qkv_bias),
            query_norm: reader.optional_vector(&name("attn_q_norm.weight"), config.head_dim)?,
            key_norm: reader.optional_vector(&name("attn_k_norm.weight"), config.head_dim)?,
            attention_output: linear(
                reader.matrix(&name("attn_output.weight"), hidden, query)?,
                reader.optional_vector(&name("attn_output.bias"), hidden)?,
            ),
            ffn_norm: reader.vector(&name("ffn_norm.weight"), hidden)?,
            gate_up: linear(stack(name("ffn_gate_up"), &[&gate, &up])?, None),
            down: linear(reader.matrix(&name("ffn_down.weight"), hidden, ffn)?, None),
        });
    }
    Ok(Weights {
        embeddings,
        layers,
        output_norm,
        output,
    })
}

/// Bytes the f32 prefill panels of every layer take.
fn panel_bytes(config: &NativeConfig) -> usize {
    let panels = |rows: usize, cols: usize| rows.div_ceil(32) * 32 * cols * 4;
    let (hidden, ffn) = (config.hidden, config.feed_forward);
    let per_layer = panels(config.query_width() + 2 * config.kv_width(), hidden)
        + panels(hidden, config.query_width())
        + panels(2 * ffn, hidden)
        + panels(hidden, ffn);
    config.layers * per_layer
}
