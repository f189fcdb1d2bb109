//! The LoRA matrices being trained: `A` (`rank × inputs`, PEFT's Kaiming
//! uniform start) and `B` (`outputs × rank`, zeros, so training starts from
//! the base model) per adapted projection, and the delta
//! `(α/r)·B·A·dropout(x)` they add.

use std::cell::RefCell;
use std::collections::BTreeMap;

use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::error::TuneError;
use crate::llm::NativeConfig;
use crate::llm::adapter::{Adapter, LowRank, Target};

/// The adapter's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraSettings {
    pub rank: usize,
    pub alpha: f32,
    pub dropout: f32,
    pub targets: Vec<Target>,
}

impl Default for LoraSettings {
    /// PEFT's usual start for a small model: rank 16, α 32, dropout 0.05,
    /// the attention projections.
    fn default() -> Self {
        LoraSettings {
            rank: 16,
            alpha: 32.0,
            dropout: 0.05,
            targets: Target::ATTENTION.to_vec(),
        }
    }
}

/// The trainable matrices.
pub struct Lora {
    pub settings: LoraSettings,
    vars: BTreeMap<(usize, Target), (Var, Var)>,
}

impl Lora {
    /// Fresh matrices for every layer of `config`, seeded.
    pub fn new(
        config: &NativeConfig,
        settings: LoraSettings,
        seed: u64,
    ) -> Result<Lora, TuneError> {
        if settings.rank == 0 {
            return Err(TuneError::Settings("--rank must be at least 1".into()));
        }
        if !(0.0..1.0).contains(&settings.dropout) {
            return Err(TuneError::Settings("--dropout must be in 0 ≤ p < 1".into()));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut vars = BTreeMap::new();
        for layer in 0..config.layers {
            for &target in &settings.targets {
                let (outputs, inputs) = config.projection_shape(target);
                let bound = 1.0 / (inputs as f32).sqrt();
                let a: Vec<f32> = (0..settings.rank * inputs)
                    .map(|_| rng.random_range(-bound..bound))
                    .collect();
                let a = Var::from_vec(a, (settings.rank, inputs), &Device::Cpu)?;
                let b = Var::zeros(
                    (outputs, settings.rank),
                    candle_core::DType::F32,
                    &Device::Cpu,
                )?;
                vars.insert((layer, target), (a, b));
            }
        }
        Ok(Lora { settings, vars })
    }

    /// Every trainable variable.
    pub fn vars(&self) -> Vec<Var> {
        self.vars
            .values()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect()
    }

    /// Trainable numbers.
    pub fn parameters(&self) -> usize {
        self.vars
            .values()
            .map(|(a, b)| a.elem_count() + b.elem_count())
            .sum()
    }

    /// The matrices for a training pass (tracked, with dropout from `rng`).
    pub fn training(&self, rng: StdRng) -> LoraWeights {
        LoraWeights {
            matrices: self
                .vars
                .iter()
                .map(|(key, (a, b))| (*key, (a.as_tensor().clone(), b.as_tensor().clone())))
                .collect(),
            scale: self.settings.alpha / self.settings.rank as f32,
            dropout: (self.settings.dropout > 0.0)
                .then(|| (self.settings.dropout, RefCell::new(rng))),
        }
    }

    /// The matrices as they are now, untracked and without dropout.
    pub fn inference(&self) -> Result<LoraWeights, TuneError> {
        let mut matrices = BTreeMap::new();
        for (key, (a, b)) in &self.vars {
            matrices.insert(*key, (a.as_tensor().detach(), b.as_tensor().detach()));
        }
        Ok(LoraWeights {
            matrices,
            scale: self.settings.alpha / self.settings.rank as f32,
            dropout: None,
        })
    }

    /// The trained adapter.
    pub fn to_adapter(&self, base_model: Option<String>) -> Result<Adapter, TuneError> {
        let mut layers = BTreeMap::new();
        for (&key, (a, b)) in &self.vars {
            let (rank, inputs) = a.dims2()?;
            let (outputs, _) = b.dims2()?;
            debug_assert_eq!(rank, self.settings.rank);
            layers.insert(
                key,
                LowRank {
                    inputs,
                    outputs,
                    a: a.flatten_all()?.to_vec1::<f32>()?,
                    b: b.flatten_all()?.to_vec1::<f32>()?,
                },
            );
        }
        Ok(Adapter {
            rank: self.settings.rank,
            alpha: self.settings.alpha,
            dropout: self.settings.dropout,
            layers,
            base_model,
        })
    }

    /// Sets the matrices to `adapter`'s (a checkpoint to resume from, or a
    /// test's values).
    pub fn load(&self, adapter: &Adapter) -> Result<(), TuneError> {
        for (key, (a, b)) in &self.vars {
            let delta = adapter.layers.get(key).ok_or_else(|| {
                TuneError::Settings(format!("the adapter lacks {} of layer {}", key.1, key.0))
            })?;
            a.set(&Tensor::from_slice(&delta.a, a.dims(), &Device::Cpu)?)?;
            b.set(&Tensor::from_slice(&delta.b, b.dims(), &Device::Cpu)?)?;
        }
        Ok(())
    }
}

/// LoRA matrices as one forward pass uses them.
pub struct LoraWeights {
    matrices: BTreeMap<(usize, Target), (Tensor, Tensor)>,
    scale: f32,
    dropout: Option<(f32, RefCell<StdRng>)>,
}

impl LoraWeights {
    /// An adapter's matrices, for inference.
    pub fn from_adapter(adapter: &Adapter) -> Result<LoraWeights, TuneError> {
        let mut matrices = BTreeMap::new();
        for (&key, delta) in &adapter.layers {
            let a = Tensor::from_slice(&delta.a, (delta.rank(), delta.inputs), &Device::Cpu)?;
            let b = Tensor::from_slice(&delta.b, (delta.outputs, delta.rank()), &Device::Cpu)?;
            matrices.insert(key, (a, b));
        }
        Ok(LoraWeights {
            matrices,
            scale: adapter.scale(),
            dropout: None,
        })
    }

    /// `y + (α/r)·dropout(x)·Aᵀ·Bᵀ` if `target` of `layer` is adapted.
    pub fn add_delta(
        &self,
        layer: usize,
        target: Target,
        x: &Tensor,
        y: Tensor,
    ) -> Result<Tensor, TuneError> {
        let Some((a, b)) = self.matrices.get(&(layer, target)) else {
            return Ok(y);
        };
        let x = match &self.dropout {
            Some((p, rng)) => {
                let keep = 1.0 - *p;
                let mut rng = rng.borrow_mut();
                let mask: Vec<f32> = (0..x.elem_count())
                    .map(|_| {
                        if rng.random::<f32>() < keep {
                            1.0 / keep
                        } else {
                            0.0
                        }
                    })
                    .collect();
                (x * Tensor::from_vec(mask, x.dims(), &Device::Cpu)?)?
            }
            None => x.clone(),
        };
        let delta = x.matmul(&a.t()?)?.matmul(&b.t()?)?;
        Ok((y + (delta * self.scale as f64)?)?)
    }
}
