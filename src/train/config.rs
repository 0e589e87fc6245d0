//! What a training run is told: [`TrainConfig`], its bounds check, and how manifests written
//! before a setting existed are read.

use burn::config::Config;

use super::augment::{self, Augmentation};
use crate::error::{Result, WebganError};
use crate::limits;
use crate::loss::GanLoss;
use crate::model::{ArchConfig, DiscriminatorOptions};

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
    /// Decay of the exponential moving average of the generator's weights, which is what
    /// sampling, previews and exported generators use (Karras et al., 2018; Yazici et al.,
    /// 2019); 0 turns it off (the average is then the generator itself). 0.999 averages over
    /// roughly the last thousand steps, after a warm-up (see `ema`).
    #[config(default = 0.999)]
    pub ema_decay: f64,
    /// DiffAugment (Zhao et al., 2020): the augmentations applied to every image D sees, real
    /// and generated, in both steps (see `augment`). None by default: they pay off when the
    /// data are few (thousands of images), and the presets' data sets are larger.
    #[config(default = "Vec::new()")]
    pub augment: Vec<Augmentation>,
    /// Spectral normalisation of every discriminator weight (Miyato et al., 2018; see
    /// `model::spectral`): D becomes 1-Lipschitz per layer, which steadies training, chiefly
    /// with the hinge loss. Off by default: the presets were tuned without it.
    #[config(default = false)]
    pub spectral_norm: bool,
    /// Weight of an auxiliary classifier in D (AC-GAN, Odena et al., 2017): D also learns to
    /// name the class of real images, and G is rewarded when D names its images' classes. 0
    /// (off) by default; conditional image models only. Weighted high it is known to narrow
    /// the variety within a class.
    #[config(default = 0.0)]
    pub aux_weight: f32,
    /// R1 (Mescheder et al., 2018): gamma / 2 x the squared gradient of D at real images,
    /// applied lazily, every `R1_INTERVAL` D updates at that many times the weight (Karras et
    /// al., 2020; see `penalty::r1`). 0 (off) by default.
    #[config(default = 0.0)]
    pub r1_weight: f32,
}

/// D updates between R1 penalties (lazy regularisation; StyleGAN2's 16): the penalty costs a
/// gradient and two more passes of D, so it is paid on one update in 16, weighted 16 times.
pub const R1_INTERVAL: u64 = 16;

impl TrainConfig {
    /// What the discriminator has beyond its architecture.
    pub fn discriminator_options(&self) -> DiscriminatorOptions {
        DiscriminatorOptions {
            spectral_norm: self.spectral_norm,
            aux_classifier: self.aux_weight > 0.0,
        }
    }

    /// Refuses absurd values, and settings that do not fit the model `arch`, with a message
    /// instead of training into NaNs.
    pub fn validate(&self, arch: &ArchConfig) -> Result<()> {
        augment::check(&self.augment, arch)?;
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
        limits::SEED.check_count(self.seed)?;
        limits::EMA_DECAY.check(self.ema_decay)?;
        limits::AUX_WEIGHT.check(self.aux_weight as f64)?;
        if self.aux_weight > 0.0 && !matches!(arch, ArchConfig::Image(c) if c.n_classes > 0) {
            return Err(WebganError::invalid(
                "aux_weight",
                self.aux_weight,
                "an auxiliary classifier needs a conditional image model (with classes)",
            ));
        }
        limits::R1_WEIGHT.check(self.r1_weight as f64)
    }
}

/// Completes a training configuration as written by an older webgan (a manifest's `train`)
/// with the settings added since, at the values that reproduce how those runs trained. burn's
/// `Config` derive makes every field required when deserialising, so without this the shipped
/// models and every older checkpoint would stop loading.
pub(crate) fn fill_added_settings(config: &mut serde_json::Value) {
    if let Some(fields) = config.as_object_mut() {
        // Before the moving average existed, samples came from the trained generator itself.
        fields.entry("ema_decay").or_insert(serde_json::json!(0.0));
        fields.entry("augment").or_insert(serde_json::json!([]));
        fields
            .entry("spectral_norm")
            .or_insert(serde_json::json!(false));
        fields.entry("aux_weight").or_insert(serde_json::json!(0.0));
        fields.entry("r1_weight").or_insert(serde_json::json!(0.0));
    }
}

/// Deserialises an optional [`TrainConfig`] written by this or an older webgan (see
/// [`fill_added_settings`]); for `#[serde(deserialize_with)]` on manifests.
pub(crate) fn deserialize_any_version<'de, D>(
    deserializer: D,
) -> std::result::Result<Option<TrainConfig>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    let Some(mut value) = Option::<serde_json::Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    fill_added_settings(&mut value);
    serde_json::from_value(value)
        .map(Some)
        .map_err(serde::de::Error::custom)
}
