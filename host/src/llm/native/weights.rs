//! A native model's tensors, read through candle's GGUF reader and
//! converted once into the kernels' layouts.

use candle_core::Device;
use candle_core::quantized::{GgmlDType, QTensor};
use deskhand_kernels::{GgmlBlocks, PanelMatrix, Pool, QuantMatrix};

use super::config::NativeConfig;
use crate::llm::gguf::GgufFile;

/// A projection: quantised blocks for one row at a time (decoding), f32
/// panels for many (prefill), and an optional bias.
pub struct Linear {
    pub quant: QuantMatrix,
    pub panels: PanelMatrix,
    pub bias: Option<Vec<f32>>,
}

impl Linear {
    fn new(quant: QuantMatrix, bias: Option<Vec<f32>>, pool: &Pool) -> Self {
        let panels = PanelMatrix::from_quant(&quant, pool);
        Linear {
            quant,
            panels,
            bias,
        }
    }

    /// Outputs.
    pub fn rows(&self) -> usize {
        self.quant.rows()
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
        let linear = |l: &Linear| l.quant.size_bytes() + l.panels.size_bytes();
        self.embeddings.size_bytes()
            + self.output.as_ref().map_or(0, QuantMatrix::size_bytes)
            + self
                .layers
                .iter()
                .map(|l| {
                    linear(&l.qkv)
                        + linear(&l.attention_output)
                        + linear(&l.gate_up)
                        + linear(&l.down)
                })
                .sum::<usize>()
    }

    /// The output projection, tied or not.
    pub fn output(&self) -> &QuantMatrix {
        self.output.as_ref().unwrap_or(&self.embeddings)
    }
}

/// Reads tensors of one file.
struct Reader<'a> {
    file: &'a mut GgufFile,
}

impl Reader<'_> {
    fn has(&self, name: &str) -> bool {
        self.file.content.tensor_infos.contains_key(name)
    }

    fn tensor(&mut self, name: &str) -> Result<QTensor, String> {
        let GgufFile {
            content, reader, ..
        } = &mut *self.file;
        content
            .tensor(reader, name, &Device::Cpu)
            .map_err(|e| format!("reading {name}: {e}"))
    }

    fn vector(&mut self, name: &str) -> Result<Vec<f32>, String> {
        let tensor = self.tensor(name)?;
        tensor
            .dequantize(&Device::Cpu)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| format!("reading {name}: {e}"))
    }

    fn optional_vector(&mut self, name: &str) -> Result<Option<Vec<f32>>, String> {
        if self.has(name) {
            self.vector(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A `rows × cols` matrix: Q4_0, Q4_1 and Q8_0 blocks convert without
    /// loss, anything else is re-quantised to 8 bits from f32.
    fn matrix(&mut self, name: &str) -> Result<QuantMatrix, String> {
        let tensor = self.tensor(name)?;
        let dims = tensor.shape().dims().to_vec();
        let [rows, cols] = dims[..] else {
            return Err(format!("{name} has shape {dims:?}, not a matrix"));
        };
        let blocks = match tensor.dtype() {
            GgmlDType::Q4_0 => Some(GgmlBlocks::Q4_0),
            GgmlDType::Q4_1 => Some(GgmlBlocks::Q4_1),
            GgmlDType::Q8_0 => Some(GgmlBlocks::Q8_0),
            _ => None,
        };
        let converted = match blocks {
            Some(kind) => {
                let data = tensor.data().map_err(|e| format!("reading {name}: {e}"))?;
                QuantMatrix::from_ggml(kind, rows, cols, &data)
            }
            None => {
                let values = tensor
                    .dequantize(&Device::Cpu)
                    .and_then(|t| t.flatten_all())
                    .and_then(|t| t.to_vec1::<f32>())
                    .map_err(|e| format!("reading {name}: {e}"))?;
                QuantMatrix::from_f32(rows, cols, &values)
            }
        };
        converted.map_err(|e| format!("{name}: {e}"))
    }
}

/// Loads every tensor `config` calls for.
pub fn load(file: &mut GgufFile, config: &NativeConfig, pool: &Pool) -> Result<Weights, String> {
    let mut reader = Reader { file };
    let embeddings = reader.matrix("token_embd.weight")?;
    if embeddings.cols() != config.hidden {
        return Err(format!(
            "token_embd.weight has {} columns, the metadata says {}",
            embeddings.cols(),
            config.hidden
        ));
    }
    let output = if reader.has("output.weight") {
        Some(reader.matrix("output.weight")?)
    } else {
        None
    };
    let output_norm = reader.vector("output_norm.weight")?;
    let mut layers = Vec::with_capacity(config.layers);
    for layer in 0..config.layers {
        let name = |part: &str| format!("blk.{layer}.{part}");
        let q = reader.matrix(&name("attn_q.weight"))?;
        let k = reader.matrix(&name("attn_k.weight"))?;
        let v = reader.matrix(&name("attn_v.weight"))?;
        let expected = [config.query_width(), config.kv_width(), config.kv_width()];
        if [q.rows(), k.rows(), v.rows()] != expected {
            return Err(format!(
                "blk.{layer}: q/k/v have {}/{}/{} outputs, the metadata implies {expected:?}",
                q.rows(),
                k.rows(),
                v.rows()
            ));
        }
        let biases = [
            reader.optional_vector(&name("attn_q.bias"))?,
            reader.optional_vector(&name("attn_k.bias"))?,
            reader.optional_vector(&name("attn_v.bias"))?,
        ];
        let qkv_bias = if biases.iter().any(Option::is_some) {
            let mut stacked = Vec::with_capacity(expected.iter().sum());
            for (bias, width) in biases.into_iter().zip(expected) {
                stacked.extend(bias.unwrap_or_else(|| vec![0.0; width]));
            }
            Some(stacked)
        } else {
            None
        };
        let gate = reader.matrix(&name("ffn_gate.weight"))?;
        let up = reader.matrix(&name("ffn_up.weight"))?;
        layers.push(Layer {
            attention_norm: reader.vector(&name("attn_norm.weight"))?,
            qkv: Linear::new(QuantMatrix::stack(&[&q, &k, &v]), qkv_bias, pool),
            query_norm: reader.optional_vector(&name("attn_q_norm.weight"))?,
            key_norm: reader.optional_vector(&name("attn_k_norm.weight"))?,
            attention_output: Linear::new(
                reader.matrix(&name("attn_output.weight"))?,
                reader.optional_vector(&name("attn_output.bias"))?,
                pool,
            ),
            ffn_norm: reader.vector(&name("ffn_norm.weight"))?,
            gate_up: Linear::new(QuantMatrix::stack(&[&gate, &up]), None, pool),
            down: Linear::new(reader.matrix(&name("ffn_down.weight"))?, None, pool),
        });
    }
    Ok(Weights {
        embeddings,
        layers,
        output_norm,
        output,
    })
}
