//! One adversarial training step, written once for every backend.
//!
//! [`GanTrainer::step`] runs k discriminator updates and one generator update and returns its
//! statistics as a tensor that has not been read yet: the step itself never waits on the
//! device, so the very same code drives `webgan train` natively and the page's Train view on
//! WebGPU, where a synchronous read would panic. The caller reads [`StepStats`] when (and if)
//! it wants to, asynchronously in the browser.

use burn::config::Config;
use burn::tensor::{Tensor, TensorData};

use crate::error::{Result, WebganError};
use crate::limits;
use crate::loss::GanLoss;

#[cfg(feature = "train")]
mod trainer;
#[cfg(feature = "train")]
pub use trainer::{GanTrainer, input_gradient_direction};

/// Hyperparameters of adversarial training. Defaults follow DCGAN (Radford et al., 2016).
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// The adversarial objective.
    #[config(default = "GanLoss::NonSaturating")]
    pub loss: GanLoss,
    /// Samples per batch.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Adam learning rate of the generator.
    #[config(default = 2e-4)]
    pub lr_g: f64,
    /// Adam learning rate of the discriminator.
    #[config(default = 2e-4)]
    pub lr_d: f64,
    /// Adam's first-moment decay; DCGAN's 0.5 instead of the usual 0.9 steadies GAN training.
    #[config(default = 0.5)]
    pub beta1: f32,
    /// Adam's second-moment decay.
    #[config(default = 0.999)]
    pub beta2: f32,
    /// Discriminator updates per generator update (WGAN-GP usually wants 5).
    #[config(default = 1)]
    pub d_steps: usize,
    /// One-sided label smoothing: D's target for real samples is 1 - this (Salimans et al.,
    /// 2016). Only for the probabilistic losses.
    #[config(default = 0.0)]
    pub label_smoothing: f32,
    /// Weight of WGAN-GP's gradient penalty.
    #[config(default = 10.0)]
    pub gp_weight: f32,
    /// Seed of everything random in the run (weights, noise, data order).
    #[config(default = 42)]
    pub seed: u64,
}

impl TrainConfig {
    /// Refuses absurd values with a message instead of training into NaNs.
    pub fn validate(&self) -> Result<()> {
        limits::BATCH_SIZE.check_count(self.batch_size as u64)?;
        limits::LR_G.check(self.lr_g)?;
        limits::LR_D.check(self.lr_d)?;
        limits::BETA1.check(self.beta1 as f64)?;
        limits::BETA2.check(self.beta2 as f64)?;
        limits::D_STEPS.check_count(self.d_steps as u64)?;
        limits::LABEL_SMOOTHING.check(self.label_smoothing as f64)?;
        if self.label_smoothing > 0.0 && !self.loss.is_probabilistic() {
            return Err(WebganError::invalid(
                "label_smoothing",
                self.label_smoothing,
                format!(
                    "only applies to minimax and non-saturating, not {}",
                    self.loss
                ),
            ));
        }
        limits::GP_WEIGHT.check(self.gp_weight as f64)?;
        limits::SEED.check_count(self.seed)
    }
}

/// The statistics of one step, still on the device. Read them with [`StepStats::read`]
/// natively or [`StepStats::read_async`] anywhere; reading is the only synchronisation point.
pub struct StepStats {
    /// [d_loss, g_loss, d_real, d_fake, gradient_penalty]
    values: Tensor<1>,
    pub step: u64,
}

/// The statistics of one step, read back.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepValues {
    pub step: u64,
    /// Discriminator loss (for WGAN-GP including the penalty).
    pub d_loss: f32,
    pub g_loss: f32,
    /// Mean D(x) on real samples: a probability for minimax/non-saturating, else a raw score.
    pub d_real: f32,
    /// Mean D(G(z)) on generated samples, same scale as `d_real`.
    pub d_fake: f32,
    /// WGAN-GP's penalty term (0 for other losses).
    pub gradient_penalty: f32,
}

impl StepStats {
    fn values_from(data: TensorData, step: u64) -> Result<StepValues> {
        let v: Vec<f32> = data
            .convert::<f32>()
            .try_to_vec()
            .map_err(|e| WebganError::Readback(format!("{e:?}")))?;
        if v.len() != 5 {
            return Err(WebganError::Readback(format!(
                "expected 5 statistics, got {}",
                v.len()
            )));
        }
        let values = StepValues {
            step,
            d_loss: v[0],
            g_loss: v[1],
            d_real: v[2],
            d_fake: v[3],
            gradient_penalty: v[4],
        };
        values.check_finite()?;
        Ok(values)
    }

    /// Blocking read (native only: in the browser use [`StepStats::read_async`]).
    #[cfg(not(target_family = "wasm"))]
    pub fn read(self) -> Result<StepValues> {
        let data = self
            .values
            .try_into_data()
            .map_err(|e| WebganError::Readback(format!("{e:?}")))?;
        Self::values_from(data, self.step)
    }

    pub async fn read_async(self) -> Result<StepValues> {
        let data = self
            .values
            .into_data_async()
            .await
            .map_err(|e| WebganError::Readback(format!("{e:?}")))?;
        Self::values_from(data, self.step)
    }
}

impl StepValues {
    /// NaN or infinite losses mean training diverged: say so instead of going on.
    pub fn check_finite(&self) -> Result<()> {
        for (what, value) in [
            ("the discriminator loss", self.d_loss),
            ("the generator loss", self.g_loss),
            ("mean D(x)", self.d_real),
            ("mean D(G(z))", self.d_fake),
            ("the gradient penalty", self.gradient_penalty),
        ] {
            if !value.is_finite() {
                return Err(WebganError::Diverged {
                    step: self.step,
                    what,
                    value,
                });
            }
        }
        Ok(())
    }
}

/// A batch of real data on the host: `samples` is [batch, sample_len] row-major in the model's
/// value range ([-1, 1] for images), `labels` one class per sample for conditional models.
pub struct RealBatch<'a> {
    pub samples: &'a [f32],
    pub labels: Option<&'a [i64]>,
}
