//! A step's statistics: on the device until the caller reads them (asynchronously in the
//! browser, where a synchronous read would panic).

use burn::tensor::{Tensor, TensorData};

use crate::error::{Result, WebganError};

/// The statistics of one step, still on the device. Read them with [`StepStats::read`]
/// natively or [`StepStats::read_async`] anywhere; reading is the only synchronisation point.
pub struct StepStats {
    /// [d_loss, g_loss, d_real, d_fake], and gradient_penalty where there is one
    pub(super) values: Tensor<1>,
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
        if !(4..=5).contains(&v.len()) {
            return Err(WebganError::Readback(format!(
                "expected 4 or 5 statistics, got {}",
                v.len()
            )));
        }
        let values = StepValues {
            step,
            d_loss: v[0],
            g_loss: v[1],
            d_real: v[2],
            d_fake: v[3],
            gradient_penalty: v.get(4).copied().unwrap_or(0.0),
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
