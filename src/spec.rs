//! What to train, as both front ends say it: a preset plus overrides. `webgan train` builds one
//! from its flags, the page's Train view sends one as JSON; [`TrainSpec::resolve`] turns it
//! into the architecture and training configuration, validated against `crate::limits`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};
use crate::loss::GanLoss;
use crate::model::{ArchConfig, ImageGanConfig, Upsample};
use crate::presets::{Preset, Recipe};
use crate::train::TrainConfig;
use crate::train::augment::Augmentation;

/// A preset and the settings that override its defaults. Every field but `preset` is
/// optional; in JSON unknown fields are refused, so a typo never trains with a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSpec {
    /// The architecture, defaults and (for the toy sets) the data.
    pub preset: Preset,
    /// Which of the preset's recipes the defaults come from (default: `long`).
    pub recipe: Option<Recipe>,
    pub loss: Option<GanLoss>,
    pub lr_g: Option<f64>,
    pub lr_d: Option<f64>,
    pub batch_size: Option<usize>,
    pub d_steps: Option<usize>,
    pub label_smoothing: Option<f32>,
    pub seed: Option<u64>,
    /// Decay of the generator's moving average (0: off).
    pub ema_decay: Option<f64>,
    /// DiffAugment's augmentations, e.g. `["color", "translation", "cutout"]`.
    pub augment: Option<Vec<Augmentation>>,
    /// Spectral normalisation of the discriminator's weights.
    pub spectral_norm: Option<bool>,
    /// Adam's decays (`TrainConfig::beta1`, `beta2`), the same for both networks.
    pub beta1: Option<f32>,
    pub beta2: Option<f32>,
    /// Weight of D's auxiliary classifier (`TrainConfig::aux_weight`; 0: none).
    pub aux_weight: Option<f32>,
    /// R1's gamma (`TrainConfig::r1_weight`; 0: off).
    pub r1_weight: Option<f32>,
    /// Architecture overrides. For the image presets, a data set of another shape (the page's
    /// "your own files") sets `image_size`, `channels` and `n_classes` from the data.
    pub latent_dim: Option<usize>,
    pub width: Option<usize>,
    pub image_size: Option<usize>,
    pub channels: Option<usize>,
    pub n_classes: Option<usize>,
    /// Conditional batch norm in the generator (`ImageGanConfig::class_norm`): conditional
    /// image models only.
    pub class_norm: Option<bool>,
    /// The discriminator's width as a multiple of `width` (`ImageGanConfig::d_width_factor`).
    pub d_width_factor: Option<usize>,
    /// How the generator doubles the image's side (`ImageGanConfig::upsample`).
    pub upsample: Option<Upsample>,
}

impl Default for TrainSpec {
    fn default() -> Self {
        TrainSpec::preset(Preset::Ring)
    }
}

impl TrainSpec {
    /// A preset with all its defaults.
    pub fn preset(preset: Preset) -> TrainSpec {
        TrainSpec {
            preset,
            recipe: None,
            loss: None,
            lr_g: None,
            lr_d: None,
            batch_size: None,
            d_steps: None,
            label_smoothing: None,
            seed: None,
            ema_decay: None,
            augment: None,
            spectral_norm: None,
            beta1: None,
            beta2: None,
            aux_weight: None,
            r1_weight: None,
            latent_dim: None,
            width: None,
            image_size: None,
            channels: None,
            n_classes: None,
            class_norm: None,
            d_width_factor: None,
            upsample: None,
        }
    }

    /// Parses the page's JSON (an empty string means the defaults).
    pub fn from_json(json: &str) -> Result<TrainSpec> {
        let json = if json.trim().is_empty() { "{}" } else { json };
        serde_json::from_str(json).map_err(|e| crate::WebganError::InvalidConfig {
            name: "training spec",
            value: json.chars().take(200).collect(),
            why: e.to_string(),
        })
    }

    /// This spec's settings, each taken from `base` where this one leaves it out.
    fn or(&self, base: &TrainSpec) -> TrainSpec {
        TrainSpec {
            preset: self.preset,
            recipe: self.recipe.or(base.recipe),
            loss: self.loss.or(base.loss),
            lr_g: self.lr_g.or(base.lr_g),
            lr_d: self.lr_d.or(base.lr_d),
            batch_size: self.batch_size.or(base.batch_size),
            d_steps: self.d_steps.or(base.d_steps),
            label_smoothing: self.label_smoothing.or(base.label_smoothing),
            seed: self.seed.or(base.seed),
            ema_decay: self.ema_decay.or(base.ema_decay),
            augment: self.augment.clone().or(base.augment.clone()),
            spectral_norm: self.spectral_norm.or(base.spectral_norm),
            beta1: self.beta1.or(base.beta1),
            beta2: self.beta2.or(base.beta2),
            aux_weight: self.aux_weight.or(base.aux_weight),
            r1_weight: self.r1_weight.or(base.r1_weight),
            latent_dim: self.latent_dim.or(base.latent_dim),
            width: self.width.or(base.width),
            image_size: self.image_size.or(base.image_size),
            channels: self.channels.or(base.channels),
            n_classes: self.n_classes.or(base.n_classes),
            class_norm: self.class_norm.or(base.class_norm),
            d_width_factor: self.d_width_factor.or(base.d_width_factor),
            upsample: self.upsample.or(base.upsample),
        }
    }

    /// The architecture and training configuration this spec means, validated: the preset's
    /// defaults, then its recipe's, then this spec's own settings.
    pub fn resolve(&self) -> Result<(ArchConfig, TrainConfig)> {
        let recipe = self.recipe.unwrap_or_default();
        let mut spec = self.or(&recipe.overrides(self.preset));
        // A recipe's class batch norm and D classifier are for conditional models: unlabelled
        // images of the same preset train without them. A spec that asks for them there is
        // still refused.
        let classes = spec.n_classes.unwrap_or(self.preset.arch().n_classes());
        if self.class_norm.is_none() && classes == 0 {
            spec.class_norm = None;
        }
        if self.aux_weight.is_none() && classes == 0 {
            spec.aux_weight = None;
        }
        spec.resolve_over_preset()
    }

    fn resolve_over_preset(&self) -> Result<(ArchConfig, TrainConfig)> {
        let arch = match self.preset.arch() {
            ArchConfig::Image(c) => ArchConfig::Image(ImageGanConfig {
                image_size: self.image_size.unwrap_or(c.image_size),
                channels: self.channels.unwrap_or(c.channels),
                latent_dim: self.latent_dim.unwrap_or(c.latent_dim),
                width: self.width.unwrap_or(c.width),
                n_classes: self.n_classes.unwrap_or(c.n_classes),
                class_norm: self.class_norm.unwrap_or(c.class_norm),
                d_width_factor: self.d_width_factor.unwrap_or(c.d_width_factor),
                upsample: self.upsample.unwrap_or(c.upsample),
                ..c
            }),
            ArchConfig::Toy(_) if self.class_norm == Some(true) => {
                return Err(WebganError::invalid(
                    "class_norm",
                    true,
                    format!(
                        "conditional batch norm needs a conditional image model; {} is 2-D \
                         points without classes",
                        self.preset.name()
                    ),
                ));
            }
            ArchConfig::Toy(_) if self.d_width_factor.is_some_and(|f| f != 1) => {
                return Err(WebganError::invalid(
                    "d_width_factor",
                    self.d_width_factor.unwrap_or(1),
                    format!(
                        "{}'s two networks share one width (`width`); the factor is for image \
                         models",
                        self.preset.name()
                    ),
                ));
            }
            ArchConfig::Toy(_) if self.upsample == Some(Upsample::Resize) => {
                return Err(WebganError::invalid(
                    "upsample",
                    "resize",
                    format!(
                        "{} draws 2-D points with an MLP; upsampling is for image models",
                        self.preset.name()
                    ),
                ));
            }
            ArchConfig::Toy(mut c) => {
                if let Some(z) = self.latent_dim {
                    c.latent_dim = z;
                }
                if let Some(w) = self.width {
                    c.hidden = w;
                }
                ArchConfig::Toy(c)
            }
        };
        let mut config = self.preset.train_config();
        config.loss = self.loss.unwrap_or(config.loss);
        config.lr_g = self.lr_g.unwrap_or(config.lr_g);
        config.lr_d = self.lr_d.unwrap_or(config.lr_d);
        config.batch_size = self.batch_size.unwrap_or(config.batch_size);
        config.d_steps = self.d_steps.unwrap_or(config.d_steps);
        config.label_smoothing = self.label_smoothing.unwrap_or(config.label_smoothing);
        config.seed = self.seed.unwrap_or(config.seed);
        config.ema_decay = self.ema_decay.unwrap_or(config.ema_decay);
        if let Some(augment) = &self.augment {
            config.augment = augment.clone();
        }
        config.spectral_norm = self.spectral_norm.unwrap_or(config.spectral_norm);
        config.beta1 = self.beta1.unwrap_or(config.beta1);
        config.beta2 = self.beta2.unwrap_or(config.beta2);
        config.aux_weight = self.aux_weight.unwrap_or(config.aux_weight);
        config.r1_weight = self.r1_weight.unwrap_or(config.r1_weight);
        arch.validate()?;
        config.validate(&arch)?;
        Ok((arch, config))
    }

    /// The spec that reproduces a run's architecture and settings exactly (for display and
    /// for a run resumed from a checkpoint).
    pub fn of(preset: Preset, arch: &ArchConfig, config: &TrainConfig) -> TrainSpec {
        let mut s = TrainSpec {
            loss: Some(config.loss),
            lr_g: Some(config.lr_g),
            lr_d: Some(config.lr_d),
            batch_size: Some(config.batch_size),
            d_steps: Some(config.d_steps),
            label_smoothing: Some(config.label_smoothing),
            seed: Some(config.seed),
            ema_decay: Some(config.ema_decay),
            augment: Some(config.augment.clone()),
            spectral_norm: Some(config.spectral_norm),
            beta1: Some(config.beta1),
            beta2: Some(config.beta2),
            aux_weight: Some(config.aux_weight),
            r1_weight: Some(config.r1_weight),
            latent_dim: Some(arch.latent_dim()),
            ..TrainSpec::preset(preset)
        };
        match arch {
            ArchConfig::Image(c) => {
                s.width = Some(c.width);
                s.image_size = Some(c.image_size);
                s.channels = Some(c.channels);
                s.n_classes = Some(c.n_classes);
                s.class_norm = Some(c.class_norm);
                s.d_width_factor = Some(c.d_width_factor);
                s.upsample = Some(c.upsample);
            }
            ArchConfig::Toy(c) => s.width = Some(c.hidden),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_is_its_preset_plus_overrides() {
        let (arch, config) = TrainSpec::preset(Preset::Digits).resolve().unwrap();
        assert_eq!(arch, Preset::Digits.arch());
        assert_eq!(config, Preset::Digits.train_config());
        let spec = TrainSpec::from_json(
            r#"{"preset":"digits","batch_size":16,"width":32,"class_norm":true,
                "beta1":0.0,"beta2":0.99,"aux_weight":0.1,"r1_weight":1.0,
                "d_width_factor":2,"upsample":"resize"}"#,
        )
        .unwrap();
        let (arch, config) = spec.resolve().unwrap();
        assert_eq!(config.batch_size, 16);
        assert_eq!((config.beta1, config.beta2), (0.0, 0.99));
        assert_eq!((config.aux_weight, config.r1_weight), (0.1, 1.0));
        let ArchConfig::Image(c) = &arch else {
            panic!("digits is an image preset")
        };
        assert_eq!((c.width, c.n_classes, c.class_norm), (32, 10, true));
        assert_eq!((c.d_width_factor, c.upsample), (2, Upsample::Resize));
        // Round trip through `of`.
        assert_eq!(
            TrainSpec::of(Preset::Digits, &arch, &config)
                .resolve()
                .unwrap(),
            (arch, config)
        );
    }

    #[test]
    fn image_only_settings_are_refused_for_points() {
        let resolve = |json: &str| TrainSpec::from_json(json).unwrap().resolve();
        let e = resolve(r#"{"preset":"ring","upsample":"resize"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("upsample"), "{e}");
        resolve(r#"{"preset":"ring","upsample":"transposed"}"#).unwrap();
        assert!(TrainSpec::from_json(r#"{"preset":"digits","upsample":"bilinear"}"#).is_err());
    }

    #[test]
    fn the_minutes_recipe_sets_image_levers_and_settings_still_win() {
        let resolve = |json: &str| TrainSpec::from_json(json).unwrap().resolve().unwrap();
        let width = |arch: &ArchConfig| match arch {
            ArchConfig::Image(c) => c.width,
            ArchConfig::Toy(c) => c.hidden,
        };
        let long = resolve(r#"{"preset":"digits"}"#);
        assert_eq!(long, resolve(r#"{"preset":"digits","recipe":"long"}"#));
        let (arch, config) = resolve(r#"{"preset":"digits","recipe":"minutes"}"#);
        let quick = Recipe::Minutes.overrides(Preset::Digits);
        assert_eq!(Some(width(&arch)), quick.width);
        assert_eq!(Some(config.lr_g), quick.lr_g);
        assert_ne!((width(&arch), config.lr_g), (width(&long.0), long.1.lr_g));
        let (arch, _) = resolve(r#"{"preset":"digits","recipe":"minutes","width":16}"#);
        assert_eq!(
            width(&arch),
            16,
            "a spec's own setting wins over its recipe"
        );
        // Class batch norm where the model has classes: on for digits, off for unlabelled
        // images of the same preset (a spec's own choice still wins, and is still checked).
        let class_norm = |arch: &ArchConfig| matches!(arch, ArchConfig::Image(c) if c.class_norm);
        assert!(class_norm(
            &resolve(r#"{"preset":"digits","recipe":"minutes"}"#).0
        ));
        assert!(!class_norm(&long.0));
        let unlabelled = r#""preset":"digits","recipe":"minutes","n_classes":0"#;
        assert!(!class_norm(&resolve(&format!("{{{unlabelled}}}")).0));
        let off = r#"{"preset":"digits","recipe":"minutes","class_norm":false}"#;
        assert!(!class_norm(&resolve(off).0));
        let asked = format!(r#"{{{unlabelled},"class_norm":true}}"#);
        let e = TrainSpec::from_json(&asked).unwrap().resolve().unwrap_err();
        assert!(e.to_string().contains("class_norm"), "{e}");
        // The shipped model's levers: D's classifier, like class batch norm, only with classes.
        let (arch, config) = resolve(r#"{"preset":"digits","recipe":"minutes"}"#);
        assert!(matches!(arch, ArchConfig::Image(c) if c.upsample == Upsample::Resize));
        assert_eq!(
            (config.beta1, config.beta2, config.aux_weight),
            (0.0, 0.99, 0.1)
        );
        let (arch, config) = resolve(&format!("{{{unlabelled}}}"));
        assert!(matches!(arch, ArchConfig::Image(c) if c.upsample == Upsample::Resize));
        assert_eq!(config.aux_weight, 0.0);
        let asked = format!(r#"{{{unlabelled},"aux_weight":0.1}}"#);
        let e = TrainSpec::from_json(&asked).unwrap().resolve().unwrap_err();
        assert!(e.to_string().contains("aux_weight"), "{e}");
        // Faces take the image levers and nothing of digits'; toy sets train as they did.
        assert_eq!(
            resolve(r#"{"preset":"ring","recipe":"minutes"}"#),
            resolve(r#"{"preset":"ring"}"#),
        );
        for preset in ["faces", "faces32"] {
            let long = resolve(&format!(r#"{{"preset":"{preset}"}}"#));
            let (arch, config) = resolve(&format!(r#"{{"preset":"{preset}","recipe":"minutes"}}"#));
            assert!(matches!(&arch, ArchConfig::Image(c) if c.upsample == Upsample::Resize));
            assert_eq!((config.beta1, config.beta2), (0.0, 0.99));
            assert_eq!(
                (
                    width(&arch),
                    config.lr_g,
                    config.batch_size,
                    config.aux_weight
                ),
                (width(&long.0), long.1.lr_g, long.1.batch_size, 0.0)
            );
        }
    }

    #[test]
    fn bad_specs_name_the_field() {
        for (json, field) in [
            (r#"{"preset":"ring","batch_size":0}"#, "batch_size"),
            (r#"{"preset":"ring","d_steps":21}"#, "d_steps"),
            (r#"{"preset":"ring","lr_g":0}"#, "lr_g"),
            (r#"{"preset":"digits","ema_decay":1}"#, "ema_decay"),
            (r#"{"preset":"digits","ema_decay":-0.5}"#, "ema_decay"),
            (r#"{"preset":"ring","augment":["cutout"]}"#, "augment"),
            (
                r#"{"preset":"digits","augment":["color","color"]}"#,
                "augment",
            ),
            (r#"{"preset":"digits","augment":["zoom"]}"#, "zoom"),
            (r#"{"preset":"digits","latent_dim":5000}"#, "latent_dim"),
            (r#"{"preset":"digits","width":100000}"#, "width"),
            (r#"{"preset":"ring","bacth_size":8}"#, "bacth_size"),
            (r#"{"preset":"mandelbrot"}"#, "mandelbrot"),
            (r#"{"preset":"ring","batch_size":-1}"#, "batch_size"),
            (r#"{"preset":"ring","class_norm":true}"#, "class_norm"),
            (r#"{"preset":"faces32","class_norm":true}"#, "class_norm"),
        ] {
            let e = TrainSpec::from_json(json)
                .and_then(|s| s.resolve())
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{json}: {e}");
        }
    }
}
