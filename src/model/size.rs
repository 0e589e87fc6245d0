//! How big a model an architecture config means, computed from the config alone with checked
//! arithmetic, before anything is allocated. A weights file's manifest is untrusted input: a
//! crafted one (a width of 2^31, a class embedding of 10^9) must be refused here with a
//! message, not discovered by an allocation that aborts the process or traps the page's only
//! wasm instance (wasm32 has 4 GiB at most, and `usize` is 32 bits there).
//!
//! The counts follow `generator.rs` and `discriminator.rs` layer by layer; a test checks them
//! against burn's own `num_params` for every preset.

use super::config::{ArchConfig, ImageGanConfig, LabelMixing, ToyGanConfig, Upsample};
use crate::error::{Result, WebganError};

/// Most parameters a generator and its discriminator may have together. The largest shipped
/// pair (faces, 64x64) has about 5 M; training keeps about five copies (weights, gradients,
/// two Adam moments, a rollback snapshot), so 64 M stays within a browser tab's memory.
pub const MAX_PARAMETERS: u64 = 64_000_000;
/// Most activation values one sample may need in its largest layer: bounds the memory of a
/// forward pass per sample (the faces preset needs about 0.1 M).
pub const MAX_ACTIVATIONS_PER_SAMPLE: u64 = 4_000_000;

/// Parameter and activation counts of an architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSize {
    pub generator_params: u64,
    pub discriminator_params: u64,
    /// Values in the largest intermediate tensor of one sample's forward pass.
    pub activations_per_sample: u64,
}

/// Checked u64 arithmetic that turns an overflow into the error for `field`.
struct Calc {
    field: &'static str,
}

impl Calc {
    fn mul(&self, a: u64, b: u64) -> Result<u64> {
        a.checked_mul(b).ok_or_else(|| self.overflow())
    }
    fn add(&self, a: u64, b: u64) -> Result<u64> {
        a.checked_add(b).ok_or_else(|| self.overflow())
    }
    fn overflow(&self) -> WebganError {
        WebganError::invalid(
            self.field,
            "(too large)",
            "the model it describes is too large to count",
        )
    }
}

fn linear(c: &Calc, inputs: u64, outputs: u64) -> Result<u64> {
    c.add(c.mul(inputs, outputs)?, outputs)
}

/// A convolution with `taps` weights per pair of channels, and a bias.
fn conv(c: &Calc, cin: u64, cout: u64, taps: u64) -> Result<u64> {
    c.add(c.mul(c.mul(cin, cout)?, taps)?, cout)
}

/// A 4x4 (transposed) convolution with bias.
fn conv4(c: &Calc, cin: u64, cout: u64) -> Result<u64> {
    conv(c, cin, cout, 16)
}

/// burn's BatchNorm: gamma, beta and the running mean and variance, one each per channel
/// (burn's `num_params` counts all four, and all four are stored).
fn batch_norm(c: &Calc, channels: u64) -> Result<u64> {
    c.mul(channels, 4)
}

impl ModelSize {
    /// Counts an image GAN; `stages()` must already have succeeded (it bounds the loop).
    fn image(config: &ImageGanConfig) -> Result<ModelSize> {
        let c = Calc { field: "width" };
        let (start, stages) = config.stages()?;
        let (start, stages) = (start as u64, stages as u32);
        let width = config.width as u64;
        let latent = config.latent_dim as u64;
        let classes = config.n_classes as u64;
        let channels = config.channels as u64;
        let widest = c.mul(
            width,
            1u64.checked_shl(stages - 1).ok_or_else(|| c.overflow())?,
        )?;
        let start_area = start * start;

        // Generator: class embedding, projection to the start map, transposed convolutions.
        let (embed_dim, extra_inputs) = match (classes, config.label_mixing) {
            (0, _) => (0, 0),
            (_, LabelMixing::Multiply) => (latent, 0),
            (_, LabelMixing::Concat) => {
                (config.class_embed_dim as u64, config.class_embed_dim as u64)
            }
        };
        let e = Calc {
            field: "class_embed_dim",
        };
        let mut g = e.mul(classes, embed_dim)?;
        let projected = c.mul(start_area, widest)?;
        g = c.add(g, linear(&c, e.add(latent, extra_inputs)?, projected)?)?;
        // Conditional batch norm: per class, a scale and a shift offset per channel.
        let class_norm = |channels: u64| -> Result<u64> {
            if config.class_norm {
                c.mul(c.mul(classes, channels)?, 2)
            } else {
                Ok(0)
            }
        };
        g = c.add(g, batch_norm(&c, widest)?)?;
        g = c.add(g, class_norm(widest)?)?;
        let mut largest = projected;
        let mut ch = widest;
        let mut side = start;
        for stage in 0..stages {
            let last = stage + 1 == stages;
            let out = if last { channels } else { ch / 2 };
            let taps = match config.upsample {
                Upsample::Transposed => 16,
                Upsample::Resize => 9,
            };
            g = c.add(g, conv(&c, ch, out, taps)?)?;
            if !last {
                g = c.add(g, batch_norm(&c, out)?)?;
                g = c.add(g, class_norm(out)?)?;
            }
            side *= 2;
            largest = largest.max(c.mul(side * side, out.max(ch))?);
            ch = out;
        }

        // Discriminator: strided convolutions, a linear head, the class projection.
        let d_width = c.mul(width, config.d_width_factor as u64)?;
        let mut d = 0;
        let mut ch = channels;
        let mut side = start << stages;
        for stage in 0..stages {
            let out = c.mul(d_width, 1 << stage)?;
            d = c.add(d, conv4(&c, ch, out)?)?;
            side /= 2;
            largest = largest.max(c.mul(side * side, out)?);
            ch = out;
        }
        let features = c.mul(start_area, ch)?;
        d = c.add(d, linear(&c, features, 1)?)?;
        d = c.add(d, e.mul(classes, features)?)?;
        Ok(ModelSize {
            generator_params: g,
            discriminator_params: d,
            activations_per_sample: largest,
        })
    }

    fn toy(config: &ToyGanConfig) -> Result<ModelSize> {
        let c = Calc { field: "hidden" };
        let (latent, hidden) = (config.latent_dim as u64, config.hidden as u64);
        let layers = config.layers as u64;
        let inner = c.mul(layers.saturating_sub(1), linear(&c, hidden, hidden)?)?;
        let g = c.add(
            c.add(linear(&c, latent, hidden)?, inner)?,
            linear(&c, hidden, 2)?,
        )?;
        let d = c.add(
            c.add(linear(&c, 2, hidden)?, inner)?,
            linear(&c, hidden, 1)?,
        )?;
        Ok(ModelSize {
            generator_params: g,
            discriminator_params: d,
            activations_per_sample: hidden.max(latent),
        })
    }

    /// The sizes `arch` means, or an error when they cannot even be counted.
    pub fn of(arch: &ArchConfig) -> Result<ModelSize> {
        match arch {
            ArchConfig::Image(c) => ModelSize::image(c),
            ArchConfig::Toy(c) => ModelSize::toy(c),
        }
    }

    pub fn total_params(&self) -> u64 {
        self.generator_params
            .saturating_add(self.discriminator_params)
    }

    /// Refuses a model beyond [`MAX_PARAMETERS`] or [`MAX_ACTIVATIONS_PER_SAMPLE`].
    pub fn check(&self) -> Result<()> {
        if self.total_params() > MAX_PARAMETERS {
            return Err(WebganError::invalid(
                "architecture",
                format!("{} parameters", self.total_params()),
                format!("at most {MAX_PARAMETERS} parameters (generator and discriminator)"),
            ));
        }
        if self.activations_per_sample > MAX_ACTIVATIONS_PER_SAMPLE {
            return Err(WebganError::invalid(
                "architecture",
                format!("{} activations per sample", self.activations_per_sample),
                format!("at most {MAX_ACTIVATIONS_PER_SAMPLE} values in one layer per sample"),
            ));
        }
        Ok(())
    }
}
