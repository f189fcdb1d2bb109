//! AdamW with decoupled weight decay, as `torch.optim.AdamW` computes it,
//! and the learning-rate schedule of Hugging Face's trainer (linear warm-up,
//! then linear decay to zero).

use candle_core::{Tensor, Var};

use super::error::TuneError;

/// AdamW's settings (PyTorch's defaults but the learning rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWSettings {
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl AdamWSettings {
    /// PyTorch's betas and epsilon, no weight decay (PEFT's examples).
    pub fn new(learning_rate: f64) -> Self {
        AdamWSettings {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// The optimiser's state for a set of variables.
pub struct AdamW {
    settings: AdamWSettings,
    vars: Vec<Var>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    step: i32,
}

impl AdamW {
    pub fn new(vars: Vec<Var>, settings: AdamWSettings) -> Result<Self, TuneError> {
        let first = vars
            .iter()
            .map(|v| v.zeros_like())
            .collect::<Result<_, _>>()?;
        let second = vars
            .iter()
            .map(|v| v.zeros_like())
            .collect::<Result<_, _>>()?;
        Ok(AdamW {
            settings,
            vars,
            first,
            second,
            step: 0,
        })
    }

    /// One update with `gradients` (one per variable, in order) at learning
    /// rate `lr`.
    pub fn step(&mut self, gradients: &[Tensor], lr: f64) -> Result<(), TuneError> {
        let s = self.settings;
        self.step += 1;
        let correction1 = 1.0 - s.beta1.powi(self.step);
        let correction2 = 1.0 - s.beta2.powi(self.step);
        for (i, var) in self.vars.iter().enumerate() {
            let g = &gradients[i];
            let m = ((&self.first[i] * s.beta1)? + (g * (1.0 - s.beta1))?)?;
            let v = ((&self.second[i] * s.beta2)? + (g.sqr()? * (1.0 - s.beta2))?)?;
            let m_hat = (&m / correction1)?;
            let v_hat = (&v / correction2)?;
            let decayed = (var.as_tensor() * (1.0 - lr * s.weight_decay))?;
            let update = (m_hat / (v_hat.sqrt()? + s.eps)?)?;
            var.set(&(decayed - (update * lr)?)?)?;
            self.first[i] = m;
            self.second[i] = v;
        }
        Ok(())
    }
}

/// The learning rate at `step` of `total`: linear warm-up over `warmup`
/// steps, then linear decay to zero.
pub fn scheduled_rate(peak: f64, step: usize, total: usize, warmup: usize) -> f64 {
    if step < warmup {
        return peak * (step + 1) as f64 / warmup as f64;
    }
    let remaining = total.saturating_sub(step) as f64;
    let span = total.saturating_sub(warmup).max(1) as f64;
    peak * remaining / span
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn first_step_moves_each_value_by_the_learning_rate_against_its_gradient() {
        // Adam's first step is lr·sign(g) (m̂/√v̂ = g/|g|).
        let var = Var::from_vec(vec![1.0f32, -1.0, 0.5], 3, &Device::Cpu).unwrap();
        let mut adam = AdamW::new(vec![var.clone()], AdamWSettings::new(0.1)).unwrap();
        let grad = Tensor::new(&[2.0f32, -0.5, 0.0], &Device::Cpu).unwrap();
        adam.step(&[grad], 0.1).unwrap();
        let after = var.as_tensor().to_vec1::<f32>().unwrap();
        assert!((after[0] - 0.9).abs() < 1e-6);
        assert!((after[1] - -0.9).abs() < 1e-6);
        assert_eq!(after[2], 0.5);
    }

    #[test]
    fn the_schedule_warms_up_then_decays_to_zero() {
        assert_eq!(scheduled_rate(1.0, 0, 10, 2), 0.5);
        assert_eq!(scheduled_rate(1.0, 2, 10, 2), 1.0);
        assert_eq!(scheduled_rate(1.0, 10, 10, 2), 0.0);
        assert_eq!(scheduled_rate(1.0, 0, 10, 0), 1.0);
    }
}
