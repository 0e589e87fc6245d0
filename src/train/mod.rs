//! One adversarial training step, written once for every backend.
//!
//! [`GanTrainer::step`] runs k discriminator updates and one generator update and returns its
//! statistics as a tensor that has not been read yet: the step itself never waits on the
//! device, so the very same code drives `webgan train` natively and the page's Train view on
//! WebGPU, where a synchronous read would panic. The caller reads [`StepStats`] when (and if)
//! it wants to, asynchronously in the browser.

pub mod augment;
mod config;
#[cfg(feature = "train")]
pub mod ema;
#[cfg(feature = "train")]
mod penalty;
mod stats;
#[cfg(feature = "train")]
mod trainer;

pub(crate) use config::deserialize_any_version;
pub use config::{R1_INTERVAL, TrainConfig};
#[cfg(feature = "train")]
pub use penalty::{input_gradient_direction, r1};
pub use stats::{StepStats, StepValues};
#[cfg(feature = "train")]
pub use trainer::GanTrainer;

/// A batch of real data on the host: `samples` is [batch, sample_len] row-major in the model's
/// value range ([-1, 1] for images), `labels` one class per sample for conditional models.
pub struct RealBatch<'a> {
    pub samples: &'a [f32],
    pub labels: Option<&'a [i64]>,
}
