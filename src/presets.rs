//! Named starting points: an architecture, training defaults and where the data lives.
//! Presets are configurations, not code paths: everything they set can be overridden.

use serde::{Deserialize, Serialize};

use crate::data::Toy;
use crate::model::{ArchConfig, ImageGanConfig, ToyGanConfig};
use crate::train::TrainConfig;

/// What a run's defaults are tuned for. `Long` is the recipe the shipped models were trained
/// with, and `webgan train`'s default. `Minutes` is the page's Train view default: samples a
/// visitor can read within minutes on a small CPU, where a run lasts as long as someone
/// watches (docs/training-in-minutes.md measures both). Image presets take resize-convolution
/// and Adam betas (0, 0.99) under it, digits also its own sizes and class levers; the toy
/// presets train the same under both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Recipe {
    #[default]
    Long,
    Minutes,
}

impl Recipe {
    /// The settings this recipe puts over `preset`'s defaults; a spec's own settings win over
    /// them (`TrainSpec::resolve`).
    pub fn overrides(self, preset: Preset) -> crate::spec::TrainSpec {
        let mut spec = crate::spec::TrainSpec::preset(preset);
        if self == Recipe::Minutes && preset == Preset::Digits {
            // A narrower network and smaller batches step several times faster, and higher
            // learning rates get further per step; chosen by quality against wall-clock
            // minutes (docs/training-in-minutes.md).
            spec.width = Some(32);
            spec.batch_size = Some(32);
            spec.lr_g = Some(1e-3);
            spec.lr_d = Some(1e-3);
            // Every generator layer told the class: the digits read right sooner, at no
            // measurable cost per step. Only where the model has classes (`TrainSpec::resolve`).
            spec.class_norm = Some(true);
            // D's classifier (docs/experiments.md): with the levers below, 98.3% of digits
            // read right at step 1,200 against 93.2% without them
            // (docs/training-in-minutes.md). Like class batch norm, only where the model has
            // classes.
            spec.aux_weight = Some(0.1);
        }
        if self == Recipe::Minutes && preset.toy().is_none() {
            // Resize-convolution and Adam betas (0, 0.99): on faces32 at 1,000 equal steps FID
            // 21 against 130, 9 of 10 gender x age classes against 6 (docs/experiments.md).
            spec.upsample = Some(crate::model::Upsample::Resize);
            spec.beta1 = Some(0.0);
            spec.beta2 = Some(0.99);
        }
        spec
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Class-conditional DCGAN on MNIST digits, 28x28 grey.
    Digits,
    /// DCGAN on face crops (UTKFace), 64x64 RGB.
    Faces,
    /// The same at 32x32, four times cheaper to train.
    Faces32,
    /// MLP GAN on a ring of 8 Gaussians.
    Ring,
    /// MLP GAN on a 5x5 grid of Gaussians.
    Grid,
    /// MLP GAN on a two-armed spiral.
    Spiral,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Digits => "digits",
            Preset::Faces => "faces",
            Preset::Faces32 => "faces32",
            Preset::Ring => "ring",
            Preset::Grid => "grid",
            Preset::Spiral => "spiral",
        }
    }

    /// Every preset, in the order the page lists them.
    pub const ALL: [Preset; 6] = [
        Preset::Digits,
        Preset::Faces,
        Preset::Faces32,
        Preset::Ring,
        Preset::Grid,
        Preset::Spiral,
    ];

    /// The preset that trains a person's own images: grey ones as digits (28x28), colour ones
    /// as faces32 (32x32 RGB, small enough to train in a page). The images are resized to its
    /// size; the data decide the classes.
    pub fn for_images(channels: usize) -> Preset {
        if channels == 3 {
            Preset::Faces32
        } else {
            Preset::Digits
        }
    }

    pub fn toy(self) -> Option<Toy> {
        match self {
            Preset::Ring => Some(Toy::Ring),
            Preset::Grid => Some(Toy::Grid),
            Preset::Spiral => Some(Toy::Spiral),
            _ => None,
        }
    }

    pub fn arch(self) -> ArchConfig {
        match self {
            Preset::Digits => ArchConfig::Image(ImageGanConfig::new().with_n_classes(10)),
            Preset::Faces => ArchConfig::Image(
                ImageGanConfig::new()
                    .with_image_size(64)
                    .with_channels(3)
                    .with_latent_dim(100)
                    .with_width(48),
            ),
            Preset::Faces32 => ArchConfig::Image(
                ImageGanConfig::new()
                    .with_image_size(32)
                    .with_channels(3)
                    .with_latent_dim(100)
                    .with_width(64),
            ),
            Preset::Ring | Preset::Grid | Preset::Spiral => ArchConfig::Toy(ToyGanConfig::new()),
        }
    }

    pub fn train_config(self) -> TrainConfig {
        match self {
            // No moving average for the 2-D sets: their view draws the generator's points over
            // D's decision surface, and only the trained generator's points are what D is
            // answering; an average lagging behind them would make the picture lie.
            Preset::Ring | Preset::Grid | Preset::Spiral => TrainConfig::new()
                .with_batch_size(256)
                .with_lr_g(3e-4)
                .with_lr_d(3e-4)
                .with_ema_decay(0.0),
            _ => TrainConfig::new(),
        }
    }

    /// Where the data lives by default, relative to the project root.
    pub fn default_data(self) -> Option<&'static str> {
        match self {
            Preset::Digits => Some("../shared/data/mnist"),
            Preset::Faces | Preset::Faces32 => Some("../shared/data/faces/utkface-crop_part1"),
            _ => None,
        }
    }

    pub fn default_steps(self) -> u64 {
        match self {
            Preset::Digits => 5000,
            Preset::Faces | Preset::Faces32 => 20000,
            _ => 2000,
        }
    }
}
