//! Architecture configurations. A config fully determines a model's shapes, so it is what a
//! weights file stores to check that it fits the model it is loaded into.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use super::size::ModelSize;
use crate::error::{Result, WebganError};
use crate::limits;

/// A DCGAN-style convolutional GAN for square images.
#[derive(Config, Debug, PartialEq)]
pub struct ImageGanConfig {
    /// Side of the square images in pixels: 28 for digits, 32 or 64 for faces. Must be a
    /// starting size of 3 to 7 doubled at least once (16, 28, 32, 56, 64, ...).
    #[config(default = 28)]
    pub image_size: usize,
    /// Colour channels: 1 (grey) or 3 (RGB).
    #[config(default = 1)]
    pub channels: usize,
    /// Length of the latent vector z.
    #[config(default = 64)]
    pub latent_dim: usize,
    /// Feature maps of the generator's last hidden stage and the discriminator's first; each
    /// stage further from the image doubles it.
    #[config(default = 64)]
    pub width: usize,
    /// 0 for an unconditional model, else the number of classes (10 for digits). The generator
    /// then takes a class label (an embedding concatenated to z) and the discriminator uses it
    /// through a projection term (Miyato & Koyama, 2018).
    #[config(default = 0)]
    pub n_classes: usize,
    /// How the generator takes its class label.
    #[config(default = "LabelMixing::Multiply")]
    pub label_mixing: LabelMixing,
    /// Size of the generator's class embedding when `label_mixing` is `Concat`.
    #[config(default = 16)]
    pub class_embed_dim: usize,
    /// Conditional batch norm in the generator (Miyato & Koyama, 2018, with the projection
    /// discriminator): every batch norm's scale and shift depend on the class, so every layer,
    /// not only the first, is told which class it draws. Conditional models only; files
    /// written before it existed read as `false`.
    #[config(default = false)]
    pub class_norm: bool,
    /// The discriminator's feature maps as a multiple of `width` (1: as wide as the
    /// generator). A wider D is the lever when D is what limits the game; it costs time
    /// roughly with its square. Files written before it existed read as 1.
    #[config(default = 1)]
    pub d_width_factor: usize,
    /// How each generator stage doubles the image's side. Files written before it existed
    /// read as `transposed`.
    #[config(default = "Upsample::Transposed")]
    pub upsample: Upsample,
}

/// How a generator stage doubles the side of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Upsample {
    /// A 4x4 stride-2 transposed convolution (DCGAN): 16 taps, free to differ between the
    /// four output phases, which is where checkerboard artefacts come from.
    Transposed,
    /// Nearest-neighbour doubling, then a 3x3 convolution (Odena et al., "Deconvolution and
    /// Checkerboard Artifacts", Distill 2016): every output phase sees the same 9 taps.
    /// Computed as the transposed convolution whose 4x4 kernel those taps determine, so it
    /// costs what `transposed` costs on every backend.
    Resize,
}

/// How a conditional generator combines z with the class label's embedding e(y).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelMixing {
    /// z * e(y), with e(y) as long as z (as in Odena et al.'s AC-GAN and TensorFlow.js'
    /// mnist-acgan): every latent coordinate is modulated by the class, so the generator
    /// cannot learn to ignore z (measured here: concatenation collapsed to one digit per class
    /// within 3,000 steps).
    Multiply,
    /// [z, e(y)] concatenated.
    Concat,
}

impl ImageGanConfig {
    /// Spatial size where the generator starts and the number of 2x stages up to `image_size`.
    pub fn stages(&self) -> Result<(usize, usize)> {
        let mut start = self.image_size;
        let mut stages = 0;
        while start > 7 && start.is_multiple_of(2) {
            start /= 2;
            stages += 1;
        }
        if stages == 0 || !(3..=7).contains(&start) {
            return Err(WebganError::invalid(
                "image_size",
                self.image_size,
                "must be 3 to 7 pixels doubled at least once (e.g. 16, 28, 32, 64)",
            ));
        }
        Ok((start, stages))
    }

    /// Feature maps of the discriminator's first stage.
    pub fn d_width(&self) -> usize {
        self.width * self.d_width_factor
    }

    /// Number of values in one image (height x width x channels).
    pub fn image_len(&self) -> usize {
        self.image_size * self.image_size * self.channels
    }

    /// Checks every field against its limit (`crate::limits`), then the size of the model it
    /// means (`super::size`), all before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        limits::IMAGE_SIZE.check_count(self.image_size as u64)?;
        self.stages()?;
        if !(self.channels == 1 || self.channels == 3) {
            return Err(WebganError::invalid(
                "channels",
                self.channels,
                "must be 1 or 3",
            ));
        }
        limits::LATENT_DIM.check_count(self.latent_dim as u64)?;
        limits::WIDTH.check_count(self.width as u64)?;
        limits::N_CLASSES.check_count(self.n_classes as u64)?;
        // Checked even where the label mixing ignores it: a manifest is untrusted, and a field
        // no one reads today may be read tomorrow.
        limits::CLASS_EMBED_DIM.check_count(self.class_embed_dim as u64)?;
        if self.class_norm && self.n_classes == 0 {
            return Err(WebganError::invalid(
                "class_norm",
                true,
                "conditional batch norm needs classes (n_classes > 0); this model has none",
            ));
        }
        limits::D_WIDTH_FACTOR.check_count(self.d_width_factor as u64)?;
        let (_, stages) = self.stages()?;
        let widest = (self.width as u64).checked_shl(stages as u32 - 1);
        if widest.is_none_or(|w| w > limits::WIDEST) {
            return Err(WebganError::invalid(
                "width",
                self.width,
                format!(
                    "the widest stage (width x {}) must stay at most {}",
                    1u64 << (stages - 1),
                    limits::WIDEST
                ),
            ));
        }
        let d_widest = widest.and_then(|w| w.checked_mul(self.d_width_factor as u64));
        if d_widest.is_none_or(|w| w > limits::WIDEST) {
            return Err(WebganError::invalid(
                "d_width_factor",
                self.d_width_factor,
                format!(
                    "the discriminator's widest stage (width x {} x this) must stay at most {}",
                    1u64 << (stages - 1),
                    limits::WIDEST
                ),
            ));
        }
        ModelSize::of(&ArchConfig::Image(self.clone()))?.check()
    }
}

/// A pair of small MLPs for 2-D toy data (the GAN Lab setting).
#[derive(Config, Debug, PartialEq)]
pub struct ToyGanConfig {
    /// Length of the latent vector z.
    #[config(default = 8)]
    pub latent_dim: usize,
    /// Units in each hidden layer of both networks.
    #[config(default = 128)]
    pub hidden: usize,
    /// Hidden layers in each network.
    #[config(default = 3)]
    pub layers: usize,
}

impl ToyGanConfig {
    pub fn validate(&self) -> Result<()> {
        limits::LATENT_DIM.check_count(self.latent_dim as u64)?;
        limits::TOY_HIDDEN.check_count(self.hidden as u64)?;
        limits::TOY_LAYERS.check_count(self.layers as u64)?;
        ModelSize::of(&ArchConfig::Toy(self.clone()))?.check()
    }
}

/// Which architecture a model has; stored in every weights file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArchConfig {
    Image(ImageGanConfig),
    Toy(ToyGanConfig),
}

/// Deserialises an [`ArchConfig`] written by this or an older webgan (a manifest's `arch`),
/// completing it with the settings added since at the values those models were built with.
/// burn's `Config` derive makes every field required when deserialising, so without this the
/// shipped models and every older file would stop loading (as `train::config` does for the
/// training settings).
pub(crate) fn deserialize_any_version<'de, D>(
    deserializer: D,
) -> std::result::Result<ArchConfig, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let mut value = serde_json::Value::deserialize(deserializer)?;
    if value.get("kind").and_then(|k| k.as_str()) == Some("image")
        && let Some(fields) = value.as_object_mut()
    {
        // Before conditional batch norm, every generator's batch norms were the plain ones;
        // before the factor, D was exactly as wide as G; before the choice, every generator
        // upsampled by transposed convolutions.
        fields
            .entry("class_norm")
            .or_insert(serde_json::json!(false));
        fields
            .entry("d_width_factor")
            .or_insert(serde_json::json!(1));
        fields
            .entry("upsample")
            .or_insert(serde_json::json!("transposed"));
    }
    serde_json::from_value(value).map_err(D::Error::custom)
}

impl ArchConfig {
    pub fn validate(&self) -> Result<()> {
        match self {
            ArchConfig::Image(c) => c.validate(),
            ArchConfig::Toy(c) => c.validate(),
        }
    }

    pub fn latent_dim(&self) -> usize {
        match self {
            ArchConfig::Image(c) => c.latent_dim,
            ArchConfig::Toy(c) => c.latent_dim,
        }
    }

    pub fn n_classes(&self) -> usize {
        match self {
            ArchConfig::Image(c) => c.n_classes,
            ArchConfig::Toy(_) => 0,
        }
    }

    /// Number of values in one sample: pixels x channels, or 2 for points.
    pub fn sample_len(&self) -> usize {
        match self {
            ArchConfig::Image(c) => c.image_len(),
            ArchConfig::Toy(_) => 2,
        }
    }

    /// (size, channels) for image models.
    pub fn image_shape(&self) -> Option<(usize, usize)> {
        match self {
            ArchConfig::Image(c) => Some((c.image_size, c.channels)),
            ArchConfig::Toy(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "deserialize_any_version")]
        arch: ArchConfig,
    }

    fn read(json: &str) -> std::result::Result<ArchConfig, serde_json::Error> {
        serde_json::from_str::<Holder>(json).map(|h| h.arch)
    }

    #[test]
    fn architectures_written_before_class_norm_read_without_it() {
        let old = r#"{"arch":{"kind":"image","image_size":28,"channels":1,"latent_dim":64,
            "width":64,"n_classes":10,"label_mixing":"multiply","class_embed_dim":16}}"#;
        let ArchConfig::Image(c) = read(old).unwrap() else {
            panic!("an image architecture")
        };
        assert!(!c.class_norm);
        assert_eq!(c.d_width_factor, 1);
        assert_eq!(c.upsample, Upsample::Transposed);
        assert_eq!(c, ImageGanConfig::new().with_n_classes(10));
        // A written one reads back as written; toy architectures are left alone.
        let on = ArchConfig::Image(c.with_class_norm(true));
        let json = format!(r#"{{"arch":{}}}"#, serde_json::to_string(&on).unwrap());
        assert_eq!(read(&json).unwrap(), on);
        let toy = r#"{"arch":{"kind":"toy","latent_dim":8,"hidden":128,"layers":3}}"#;
        assert_eq!(read(toy).unwrap(), ArchConfig::Toy(ToyGanConfig::new()));
        assert!(
            read(r#"{"arch":{"kind":"image"}}"#).is_err(),
            "only added fields fill in"
        );
    }

    #[test]
    fn the_discriminator_width_factor_is_bounded() {
        let wide = |f| ImageGanConfig::new().with_d_width_factor(f).validate();
        wide(2).unwrap();
        assert_eq!(ImageGanConfig::new().with_d_width_factor(3).d_width(), 192);
        for bad in [0, 9] {
            let e = wide(bad).unwrap_err().to_string();
            assert!(e.contains("d_width_factor"), "{e}");
        }
        // Within the factor's own bounds, but D's widest stage past the limit.
        let e = ImageGanConfig::new()
            .with_width(1024)
            .with_d_width_factor(8)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("width"), "{e}");
    }

    #[test]
    fn class_norm_needs_classes() {
        let e = ImageGanConfig::new()
            .with_class_norm(true)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("class_norm"), "{e}");
        let conditional = ImageGanConfig::new()
            .with_n_classes(10)
            .with_class_norm(true);
        conditional.validate().unwrap();
    }
}
