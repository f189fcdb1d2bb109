//! PEFT's adapter files: `adapter_model.safetensors` and
//! `adapter_config.json`, as `PeftModel.from_pretrained` reads them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde_json::{Value, json};

use super::{Adapter, AdapterError, LowRank, QkLayout, Target};

/// The weights' file in a PEFT folder.
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";
/// The configuration's file in a PEFT folder.
pub const CONFIG_FILE: &str = "adapter_config.json";

/// PEFT's name of a tensor: `base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`.
pub fn tensor_name(layer: usize, target: Target, matrix: char) -> String {
    format!(
        "base_model.model.model.layers.{layer}.{}.{}.lora_{matrix}.weight",
        target.hf_block(),
        target.hf_name()
    )
}

/// Writes `adapter` into the folder `dir` (created if missing).
pub fn save(adapter: &Adapter, dir: &Path, layout: &QkLayout) -> Result<(), AdapterError> {
    let io = |path: &Path, e: &dyn std::fmt::Display| AdapterError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
    let weights = dir.join(WEIGHTS_FILE);
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (&(layer, target), delta) in &adapter.layers {
        let rank = delta.rank();
        let a = Tensor::from_slice(&delta.a, (rank, delta.inputs), &Device::Cpu);
        let b = layout.to_hf(target, &delta.b, delta.outputs);
        let b = Tensor::from_slice(&b, (delta.outputs, rank), &Device::Cpu);
        tensors.insert(
            tensor_name(layer, target, 'A'),
            a.map_err(|e| io(&weights, &e))?,
        );
        tensors.insert(
            tensor_name(layer, target, 'B'),
            b.map_err(|e| io(&weights, &e))?,
        );
    }
    candle_core::safetensors::save(&tensors, &weights).map_err(|e| io(&weights, &e))?;
    let config = json!({
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": adapter.base_model,
        "r": adapter.rank,
        "lora_alpha": adapter.alpha,
        "lora_dropout": adapter.dropout,
        "target_modules": adapter.targets().iter().map(|t| t.hf_name()).collect::<Vec<_>>(),
        "bias": "none",
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "use_rslora": false,
        "use_dora": false,
        "modules_to_save": null,
        "layers_to_transform": null,
        "rank_pattern": {},
        "alpha_pattern": {},
        "revision": null,
    });
    let path = dir.join(CONFIG_FILE);
    let text = serde_json::to_string_pretty(&config).map_err(|e| io(&path, &e))?;
    std::fs::write(&path, text + "\n").map_err(|e| io(&path, &e))
}

/// Reads a PEFT folder (or its safetensors file, with the configuration
/// beside it).
pub fn load(path: &Path, layout: &QkLayout) -> Result<Adapter, AdapterError> {
    let dir: PathBuf = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let weights = if path.is_dir() {
        dir.join(WEIGHTS_FILE)
    } else {
        path.to_path_buf()
    };
    let format = |p: &Path, reason: String| AdapterError::Format {
        path: p.to_path_buf(),
        reason,
    };
    let config_path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&config_path).map_err(|e| AdapterError::Io {
        path: config_path.clone(),
        reason: format!("{e} (a PEFT adapter needs its {CONFIG_FILE})"),
    })?;
    let config: Value =
        serde_json::from_str(&text).map_err(|e| format(&config_path, e.to_string()))?;
    if config.get("peft_type").and_then(Value::as_str) != Some("LORA") {
        return Err(format(&config_path, "peft_type is not LORA".into()));
    }
    for unsupported in ["use_dora", "use_rslora"] {
        if config.get(unsupported).and_then(Value::as_bool) == Some(true) {
            return Err(format(
                &config_path,
                format!("{unsupported} is not supported"),
            ));
        }
    }
    let rank = config.get("r").and_then(Value::as_u64).unwrap_or(8) as usize;
    let alpha = config
        .get("lora_alpha")
        .and_then(Value::as_f64)
        .unwrap_or(8.0) as f32;
    let dropout = config
        .get("lora_dropout")
        .and_then(Value::as_f64)
        .unwrap_or(0.0) as f32;
    let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)
        .map_err(|e| format(&weights, e.to_string()))?;
    let mut pairs: BTreeMap<(usize, Target), (Option<Tensor>, Option<Tensor>)> = BTreeMap::new();
    for (name, tensor) in tensors {
        let Some((layer, target, matrix)) = parse_name(&name) else {
            return Err(format(&weights, format!("unexpected tensor {name}")));
        };
        let entry = pairs.entry((layer, target)).or_default();
        if matrix == 'A' {
            entry.0 = Some(tensor);
        } else {
            entry.1 = Some(tensor);
        }
    }
    let mut layers = BTreeMap::new();
    for ((layer, target), pair) in pairs {
        let (Some(a), Some(b)) = pair else {
            return Err(format(
                &weights,
                format!("{target} of layer {layer} lacks lora_A or lora_B"),
            ));
        };
        let values = |t: &Tensor| -> Result<(Vec<usize>, Vec<f32>), AdapterError> {
            let dims = t.dims().to_vec();
            let v = t
                .to_dtype(candle_core::DType::F32)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(|e| format(&weights, e.to_string()))?;
            Ok((dims, v))
        };
        let (a_dims, a) = values(&a)?;
        let (b_dims, b) = values(&b)?;
        if a_dims.len() != 2 || b_dims.len() != 2 || a_dims[0] != rank || b_dims[1] != rank {
            return Err(format(
                &weights,
                format!(
                    "{target} of layer {layer}: lora_A {a_dims:?}, lora_B {b_dims:?} for rank {rank}"
                ),
            ));
        }
        let outputs = b_dims[0];
        layers.insert(
            (layer, target),
            LowRank {
                inputs: a_dims[1],
                outputs,
                a,
                b: layout.to_gguf(target, &b, outputs),
            },
        );
    }
    Ok(Adapter {
        rank,
        alpha,
        dropout,
        layers,
        base_model: config
            .get("base_model_name_or_path")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// `(layer, target, 'A' | 'B')` of a PEFT tensor name (with or without the
/// adapter's name, `.default`, before `.weight`).
fn parse_name(name: &str) -> Option<(usize, Target, char)> {
    let rest = name.split(".layers.").nth(1)?;
    let mut parts = rest.split('.');
    let layer = parts.next()?.parse().ok()?;
    let _block = parts.next()?;
    let target = Target::from_name(parts.next()?)?;
    let matrix = match parts.next()? {
        "lora_A" => 'A',
        "lora_B" => 'B',
        _ => return None,
    };
    Some((layer, target, matrix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_peft() {
        assert_eq!(
            tensor_name(3, Target::Query, 'A'),
            "base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight"
        );
        assert_eq!(
            parse_name("base_model.model.model.layers.12.mlp.down_proj.lora_B.default.weight"),
            Some((12, Target::Down, 'B'))
        );
    }
}
