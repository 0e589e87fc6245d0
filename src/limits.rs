//! Every bound on a setting, defined once. The config validators (`TrainConfig`,
//! `ImageGanConfig`, `ToyGanConfig`) check against these, and the page's training form reads
//! the same table (`trainLimits()` in wasm) so that it refuses exactly what Rust refuses.

use serde::Serialize;

use crate::error::{Result, WebganError};

/// The inclusive range a numeric setting must lie in (`min` itself excluded when
/// `min_exclusive`), and whether it must be a whole number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Limit {
    /// The setting's name, as in the JSON spec and the config structs.
    pub key: &'static str,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
    pub min_exclusive: bool,
}

impl Limit {
    const fn int(key: &'static str, min: u32, max: u32) -> Limit {
        Limit {
            key,
            min: min as f64,
            max: max as f64,
            integer: true,
            min_exclusive: false,
        }
    }

    const fn real(key: &'static str, min: f64, max: f64) -> Limit {
        Limit {
            key,
            min,
            max,
            integer: false,
            min_exclusive: false,
        }
    }

    const fn above(key: &'static str, min: f64, max: f64) -> Limit {
        Limit {
            key,
            min,
            max,
            integer: false,
            min_exclusive: true,
        }
    }

    /// What the bound says, for messages: "must be 1..=4096".
    pub fn describe(&self) -> String {
        if self.integer {
            format!("must be a whole number in {}..={}", self.min, self.max)
        } else if self.min_exclusive {
            format!("must be above {} and at most {}", self.min, self.max)
        } else {
            format!("must be in [{}, {}]", self.min, self.max)
        }
    }

    pub fn contains(&self, v: f64) -> bool {
        let above_min = if self.min_exclusive {
            v > self.min
        } else {
            v >= self.min
        };
        v.is_finite() && above_min && v <= self.max && (!self.integer || v.fract() == 0.0)
    }

    /// Checks a real value.
    pub fn check(&self, v: f64) -> Result<()> {
        if self.contains(v) {
            Ok(())
        } else {
            Err(WebganError::invalid(self.key, v, self.describe()))
        }
    }

    /// Checks a count (any `usize`/`u64`, without a lossy cast of huge values).
    pub fn check_count(&self, v: u64) -> Result<()> {
        if (v as f64) >= self.min && v <= self.max as u64 && !(self.min_exclusive && v == 0) {
            Ok(())
        } else {
            Err(WebganError::invalid(self.key, v, self.describe()))
        }
    }
}

/// The largest training set a run keeps on a GPU (`run::DeviceData`); larger ones are copied
/// batch by batch from the host. WebGPU's default limit on one storage buffer a kernel binds
/// (128 MiB), which every adapter grants: the page's 10,000 digits (31 MB) stay on the GPU,
/// all of MNIST (188 MB) and the faces (480 MB) do not. (Natively, where a batch's upload is a
/// few microseconds of PCIe, that costs little; in a page each upload crosses to the GPU
/// process.)
pub const MAX_DEVICE_DATA_BYTES: usize = 128 << 20;

pub const BATCH_SIZE: Limit = Limit::int("batch_size", 1, 4096);
pub const LR_G: Limit = Limit::above("lr_g", 0.0, 1.0);
pub const LR_D: Limit = Limit::above("lr_d", 0.0, 1.0);
/// Adam's decays: `[0, 1)`; checked as `[0, 0.99999]`.
pub const BETA1: Limit = Limit::real("beta1", 0.0, 0.99999);
pub const BETA2: Limit = Limit::real("beta2", 0.0, 0.99999);
/// WGAN-GP wants 5; more than 20 D steps per G step starves the generator in every setting.
pub const D_STEPS: Limit = Limit::int("d_steps", 1, 20);
pub const LABEL_SMOOTHING: Limit = Limit::real("label_smoothing", 0.0, 0.5);
pub const GP_WEIGHT: Limit = Limit::real("gp_weight", 0.0, 1000.0);
/// R1's gamma (Mescheder et al., 2018); 0 turns the penalty off. Published values run from
/// 0.01 (small images) to 100 (large ones).
pub const R1_WEIGHT: Limit = Limit::real("r1_weight", 0.0, 1000.0);
/// Weight of the discriminator's auxiliary classifier loss (Odena et al., 2017); 0 turns it
/// off. Past 10 the classes would drown the adversarial game.
pub const AUX_WEIGHT: Limit = Limit::real("aux_weight", 0.0, 10.0);
/// 0 turns the generator's moving average off; below 1, or it would never move. Past 0.99999
/// its horizon (100k steps) exceeds any run this project trains.
pub const EMA_DECAY: Limit = Limit::real("ema_decay", 0.0, 0.99999);
/// Seeds stay within 32 bits so the page (JavaScript numbers) can hold every one exactly.
pub const SEED: Limit = Limit::int("seed", 0, u32::MAX);
pub const LATENT_DIM: Limit = Limit::int("latent_dim", 1, 1024);
pub const IMAGE_SIZE: Limit = Limit::int("image_size", 6, 256);
/// Feature maps of the first stage; the widest stage is bounded by [`WIDEST`] too.
pub const WIDTH: Limit = Limit::int("width", 1, 1024);
pub const WIDEST: u64 = 4096;
/// The discriminator's feature maps as a multiple of the generator's; its widest stage is
/// bounded by [`WIDEST`] too.
pub const D_WIDTH_FACTOR: Limit = Limit::int("d_width_factor", 1, 8);
pub const N_CLASSES: Limit = Limit::int("n_classes", 0, 1000);
pub const CLASS_EMBED_DIM: Limit = Limit::int("class_embed_dim", 1, 1024);
/// Columns of an image grid (`webgan sample --cols`, the page's `renderGrid`).
pub const GRID_COLS: Limit = Limit::int("cols", 1, 1024);
pub const TOY_HIDDEN: Limit = Limit::int("hidden", 1, 4096);
pub const TOY_LAYERS: Limit = Limit::int("layers", 1, 16);

/// The limits a training spec's fields obey, in the order a form shows them.
pub const TRAINING: [Limit; 18] = [
    LR_G,
    LR_D,
    BATCH_SIZE,
    D_STEPS,
    LATENT_DIM,
    WIDTH,
    SEED,
    LABEL_SMOOTHING,
    GP_WEIGHT,
    EMA_DECAY,
    BETA1,
    BETA2,
    D_WIDTH_FACTOR,
    AUX_WEIGHT,
    R1_WEIGHT,
    IMAGE_SIZE,
    N_CLASSES,
    CLASS_EMBED_DIM,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_accept_their_bounds_and_refuse_beyond() {
        assert!(BATCH_SIZE.contains(1.0) && BATCH_SIZE.contains(4096.0));
        assert!(!BATCH_SIZE.contains(0.0) && !BATCH_SIZE.contains(4097.0));
        assert!(!BATCH_SIZE.contains(1.5), "integers only");
        assert!(!LR_G.contains(0.0) && LR_G.contains(1e-9) && LR_G.contains(1.0));
        assert!(!LR_G.contains(f64::NAN) && !LR_G.contains(f64::INFINITY));
        assert!(BATCH_SIZE.check_count(u64::MAX).is_err());
        assert!(BATCH_SIZE.check_count(64).is_ok());
        let e = D_STEPS.check_count(21).unwrap_err().to_string();
        assert!(e.contains("d_steps") && e.contains("1..=20"), "{e}");
    }
}
