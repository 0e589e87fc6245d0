//! DiffAugment (Zhao et al., 2020): random colour, translation and cutout applied to every
//! image the discriminator sees, real and generated, in the D step and the G step alike.
//! Because the transforms are differentiable and applied to both kinds of image, D cannot
//! simply memorise a small training set, and the generator still learns the un-augmented
//! distribution (augmenting only the reals would teach G to make augmented images).
//!
//! The random choices are drawn on the host from the run's seeded streams ([`AugmentParams`]),
//! so a run augments identically on every backend and when resumed. On the device the
//! transforms are a few elementwise ops and one `gather` with a host-built index (translation
//! and cutout together: out-of-image and cut-out pixels read a zero appended to each row), all
//! of which autodiff differentiates and none of which reads anything back.

use burn::tensor::{Int, Tensor, TensorData};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};
use crate::model::ArchConfig;

/// One kind of augmentation. Whatever order a policy lists them in, they apply as colour,
/// then translation, then cutout (DiffAugment's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Augmentation {
    /// Brightness (+ U[-0.5, 0.5)), then saturation (x U[0, 2)), then contrast
    /// (x U[0.5, 1.5)), each per image, on the [-1, 1] pixel scale.
    Color,
    /// A shift by up to 1/8 of the image side in each direction, filling with 0 (mid-grey).
    Translation,
    /// A square of half the image side set to 0, at a random centre (it may be clipped).
    Cutout,
}

/// Refuses policies that name an augmentation twice, and any augmentation of a model that
/// does not make images.
pub fn check(policy: &[Augmentation], arch: &ArchConfig) -> Result<()> {
    let mut sorted = policy.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != policy.len() {
        return Err(WebganError::invalid(
            "augment",
            format!("{policy:?}"),
            "names an augmentation twice",
        ));
    }
    if !policy.is_empty() && arch.image_shape().is_none() {
        return Err(WebganError::invalid(
            "augment",
            format!("{policy:?}"),
            "augmentations transform images; this model makes 2-D points",
        ));
    }
    Ok(())
}

/// The random choices for one batch, one entry per image. Every field is drawn whatever the
/// policy, so turning one augmentation on or off does not change the others' draws.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentParams {
    /// Added to every pixel.
    pub brightness: Vec<f32>,
    /// Scales each pixel's deviation from its mean over channels.
    pub saturation: Vec<f32>,
    /// Scales each pixel's deviation from the image's mean.
    pub contrast: Vec<f32>,
    /// (rows, columns): output pixel (r, c) shows input pixel (r + rows, c + columns).
    pub shift: Vec<(i64, i64)>,
    /// Top-left (row, column) of the cut-out square; may lie outside the image.
    pub cutout: Vec<(i64, i64)>,
}

/// Translation reaches 1/8 of the side, cutout covers 1/2 of it (DiffAugment's ratios),
/// both rounded to whole pixels.
fn max_shift(size: usize) -> i64 {
    (size as f64 * 0.125 + 0.5) as i64
}

fn cutout_side(size: usize) -> i64 {
    (size as f64 * 0.5 + 0.5) as i64
}

impl AugmentParams {
    /// Draws the choices for `batch` images of side `size`.
    pub fn draw(rng: &mut impl Rng, batch: usize, size: usize) -> AugmentParams {
        let (shift, cut) = (max_shift(size), cutout_side(size));
        let mut p = AugmentParams {
            brightness: Vec::with_capacity(batch),
            saturation: Vec::with_capacity(batch),
            contrast: Vec::with_capacity(batch),
            shift: Vec::with_capacity(batch),
            cutout: Vec::with_capacity(batch),
        };
        for _ in 0..batch {
            p.brightness.push(rng.random::<f32>() - 0.5);
            p.saturation.push(rng.random::<f32>() * 2.0);
            p.contrast.push(rng.random::<f32>() + 0.5);
            p.shift.push((
                rng.random_range(-shift..=shift),
                rng.random_range(-shift..=shift),
            ));
            // The centre ranges over the image (one step further for even sides, as in
            // DiffAugment), so every pixel is cut out equally often.
            let centres = size as i64 + 1 - cut % 2;
            p.cutout.push((
                rng.random_range(0..centres) - cut / 2,
                rng.random_range(0..centres) - cut / 2,
            ));
        }
        p
    }
}

/// Applies `policy` to `x`, [batch, size * size * channels] channels-last images, with the
/// choices in `params` (one per image). An empty policy returns `x` itself.
pub fn apply(
    x: Tensor<2>,
    policy: &[Augmentation],
    params: &AugmentParams,
    size: usize,
    channels: usize,
) -> Tensor<2> {
    let device = x.device();
    let [batch, n] = x.dims();
    let mut x = x;
    if policy.contains(&Augmentation::Color) {
        let per_image =
            |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [batch, 1]), &device);
        x = x + per_image(&params.brightness);
        let pixels = x.reshape([batch, size * size, channels]);
        let mean = pixels.clone().mean_dim(2);
        let saturation = per_image(&params.saturation).reshape([batch, 1, 1]);
        x = ((pixels - mean.clone()) * saturation + mean).reshape([batch, n]);
        let mean = x.clone().mean_dim(1);
        x = (x - mean.clone()) * per_image(&params.contrast) + mean;
    }
    let translate = policy.contains(&Augmentation::Translation);
    let cutout = policy.contains(&Augmentation::Cutout);
    if translate || cutout {
        let index = source_index(params, size, channels, translate, cutout);
        let index = Tensor::<2, Int>::from_data(TensorData::new(index, [batch, n]), &device);
        let zero = Tensor::zeros([batch, 1], &device);
        x = Tensor::cat(vec![x, zero], 1).gather(1, index);
    }
    x
}

/// For every output value, the input value it shows (index into a row of `n` values), or `n`
/// for the zero appended to the row: outside the image after translation, or cut out.
fn source_index(
    params: &AugmentParams,
    size: usize,
    channels: usize,
    translate: bool,
    cutout: bool,
) -> Vec<i64> {
    let (side, cut) = (size as i64, cutout_side(size));
    let n = (size * size * channels) as i64;
    let mut index = Vec::with_capacity(params.shift.len() * n as usize);
    for (&(dr, dc), &(cr, cc)) in params.shift.iter().zip(&params.cutout) {
        let (dr, dc) = if translate { (dr, dc) } else { (0, 0) };
        for r in 0..side {
            for c in 0..side {
                let (sr, sc) = (r + dr, c + dc);
                let outside = !(0..side).contains(&sr) || !(0..side).contains(&sc);
                let cut_out = cutout && (cr..cr + cut).contains(&r) && (cc..cc + cut).contains(&c);
                for ch in 0..channels as i64 {
                    index.push(match outside || cut_out {
                        true => n,
                        false => (sr * side + sc) * channels as i64 + ch,
                    });
                }
            }
        }
    }
    index
}
