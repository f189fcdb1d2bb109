//! llama.cpp's GGUF LoRA adapters, as `llama-cli --lora FILE` loads them:
//! `general.type = "adapter"`, `adapter.type = "lora"`,
//! `adapter.lora.alpha`, and per projection `blk.N.attn_q.weight.lora_a`
//! (`ne = [inputs, rank]`) and `.lora_b` (`ne = [rank, outputs]`), in the
//! base GGUF's row order.

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::quantized::QTensor;
use candle_core::quantized::gguf_file::{self, Value as Gguf};
use candle_core::{Device, Tensor};

use super::{Adapter, AdapterError, LowRank, Target};
use crate::llm::gguf::Architecture;

/// A projection's `lora_a` and `lora_b`, as read: shape and values.
type Pair = (
    Option<(Vec<usize>, Vec<f32>)>,
    Option<(Vec<usize>, Vec<f32>)>,
);

/// Writes `adapter` as a GGUF LoRA file for a base model of `architecture`.
pub fn save(
    adapter: &Adapter,
    path: &Path,
    architecture: Architecture,
) -> Result<(), AdapterError> {
    let io = |e: &dyn std::fmt::Display| AdapterError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    for (&(layer, target), delta) in &adapter.layers {
        let rank = delta.rank();
        let name = format!("blk.{layer}.{}.weight", target.gguf_name());
        let a =
            Tensor::from_slice(&delta.a, (rank, delta.inputs), &Device::Cpu).map_err(|e| io(&e))?;
        let b = Tensor::from_slice(&delta.b, (delta.outputs, rank), &Device::Cpu)
            .map_err(|e| io(&e))?;
        tensors.push((
            format!("{name}.lora_a"),
            QTensor::quantize(&a, candle_core::quantized::GgmlDType::F32).map_err(|e| io(&e))?,
        ));
        tensors.push((
            format!("{name}.lora_b"),
            QTensor::quantize(&b, candle_core::quantized::GgmlDType::F32).map_err(|e| io(&e))?,
        ));
    }
    let name = adapter
        .base_model
        .clone()
        .unwrap_or_else(|| "deskhand adapter".into());
    let metadata: Vec<(&str, Gguf)> = vec![
        (
            "general.architecture",
            Gguf::String(architecture.as_str().into()),
        ),
        ("general.type", Gguf::String("adapter".into())),
        ("general.name", Gguf::String(name)),
        ("adapter.type", Gguf::String("lora".into())),
        ("adapter.lora.alpha", Gguf::F32(adapter.alpha)),
        ("deskhand.lora.rank", Gguf::U32(adapter.rank as u32)),
        ("deskhand.lora.dropout", Gguf::F32(adapter.dropout)),
    ];
    let metadata: Vec<(&str, &Gguf)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
    }
    let mut file = std::fs::File::create(path).map_err(|e| io(&e))?;
    gguf_file::write(&mut file, &metadata, &tensors).map_err(|e| io(&e))
}

/// Reads a GGUF LoRA file.
pub fn load(path: &Path) -> Result<Adapter, AdapterError> {
    let format = |reason: String| AdapterError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| AdapterError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut reader = std::io::BufReader::new(file);
    let content =
        gguf_file::Content::read(&mut reader).map_err(|e| format(format!("not GGUF ({e})")))?;
    let text = |key: &str| {
        content
            .metadata
            .get(key)
            .and_then(|v| v.to_string().ok())
            .cloned()
    };
    if text("general.type").as_deref() != Some("adapter")
        || text("adapter.type").as_deref() != Some("lora")
    {
        return Err(format(
            "general.type is not adapter, or adapter.type not lora".into(),
        ));
    }
    let alpha = content
        .metadata
        .get("adapter.lora.alpha")
        .and_then(|v| v.to_f32().ok())
        .unwrap_or(0.0);
    let dropout = content
        .metadata
        .get("deskhand.lora.dropout")
        .and_then(|v| v.to_f32().ok())
        .unwrap_or(0.0);
    let mut pairs: BTreeMap<(usize, Target), Pair> = BTreeMap::new();
    let names: Vec<String> = content.tensor_infos.keys().cloned().collect();
    for name in names {
        let parsed = name
            .strip_prefix("blk.")
            .and_then(|rest| rest.split_once('.'))
            .and_then(|(layer, rest)| {
                let (target, matrix) = rest.split_once(".weight.lora_")?;
                Some((
                    layer.parse::<usize>().ok()?,
                    Target::from_name(target)?,
                    matrix.to_string(),
                ))
            });
        let Some((layer, target, matrix)) = parsed else {
            return Err(format(format!("unexpected tensor {name}")));
        };
        let tensor = content
            .tensor(&mut reader, &name, &Device::Cpu)
            .and_then(|t| t.dequantize(&Device::Cpu))
            .map_err(|e| format(format!("{name}: {e}")))?;
        let dims = tensor.dims().to_vec();
        let values = tensor
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| format(format!("{name}: {e}")))?;
        let entry = pairs.entry((layer, target)).or_default();
        match matrix.as_str() {
            "a" => entry.0 = Some((dims, values)),
            "b" => entry.1 = Some((dims, values)),
            other => {
                return Err(format(format!(
                    "{name}: lora_{other} is neither lora_a nor lora_b"
                )));
            }
        }
    }
    let mut layers = BTreeMap::new();
    let mut rank = None;
    for ((layer, target), pair) in pairs {
        let (Some((a_dims, a)), Some((b_dims, b))) = pair else {
            return Err(format(format!(
                "{target} of layer {layer} lacks lora_a or lora_b"
            )));
        };
        if a_dims.len() != 2 || b_dims.len() != 2 || a_dims[0] != b_dims[1] {
            return Err(format(format!(
                "{target} of layer {layer}: lora_a {a_dims:?}, lora_b {b_dims:?}"
            )));
        }
        if *rank.get_or_insert(a_dims[0]) != a_dims[0] {
            return Err(format("the projections have different ranks".into()));
        }
        layers.insert(
            (layer, target),
            LowRank {
                inputs: a_dims[1],
                outputs: b_dims[0],
                a,
                b,
            },
        );
    }
    let rank = rank.ok_or_else(|| format("no LoRA tensors".into()))?;
    Ok(Adapter {
        rank,
        alpha: if alpha > 0.0 { alpha } else { rank as f32 },
        dropout,
        layers,
        base_model: text("general.name"),
    })
}
