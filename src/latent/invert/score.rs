//! Scoring candidates: the pixel error a search descends, the best of a pool of random
//! latents as a starting point, and how close a match is in words.

use burn::tensor::{Int, Tensor, TensorData};

use super::config::POOL_ROWS;
use crate::latent;
use crate::model::Generator;

/// Each row's mean squared pixel error: [rows, sample_len] x 2 -> [rows].
pub(super) fn pixel_mse(samples: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (samples - targets).powi_scalar(2).mean_dim(1).reshape([-1])
}

/// One starting z per candidate row of `targets`: the closest (pixel MSE) of `pool` random
/// latents drawn for it. Chosen on the device (argmin and gather), so nothing is read back and
/// the same code runs where reads must be asynchronous.
// burn's `slice` takes one range per dimension: `[start..end]` is the rows, not a list.
#[allow(clippy::single_range_in_vec_init)]
pub(super) fn best_of_pools(
    generator: &Generator,
    targets: &Tensor<2>,
    labels: Option<&Tensor<1, Int>>,
    pool: usize,
    seed: u64,
    dim: usize,
) -> Tensor<2> {
    let device = targets.device();
    let n = targets.dims()[0];
    let draws = latent::normal(&mut latent::rng_for(seed, 11, 0), n * pool, dim);
    let draws = Tensor::<3>::from_data(TensorData::new(draws, [n, pool, dim]), &device);
    if pool == 1 {
        return draws.reshape([n, dim]);
    }
    let per_chunk = (POOL_ROWS / pool).max(1);
    let mut picked = Vec::new();
    for start in (0..n).step_by(per_chunk) {
        let end = (start + per_chunk).min(n);
        let rows = end - start;
        let z = draws.clone().slice([start..end]);
        let repeat_rows = |t: Tensor<2>| {
            let width = t.dims()[1];
            t.unsqueeze_dim::<3>(1)
                .repeat_dim(1, pool)
                .reshape([rows * pool, width])
        };
        let target = repeat_rows(targets.clone().slice([start..end]));
        let label = labels.map(|l| {
            l.clone()
                .slice([start..end])
                .unsqueeze_dim::<2>(1)
                .repeat_dim(1, pool)
                .reshape([rows * pool])
        });
        let out = generator.forward(z.clone().reshape([rows * pool, dim]), label);
        let mse = pixel_mse(out, target).reshape([rows, pool]);
        let best = mse.argmin(1).unsqueeze_dim::<3>(2).repeat_dim(2, dim);
        picked.push(z.gather(1, best).reshape([rows, dim]));
    }
    Tensor::cat(picked, 0)
}

/// Root-mean-square pixel error on a 0..1 brightness scale, from an MSE on [-1, 1].
pub fn rms_error(mse: f32) -> f32 {
    mse.max(0.0).sqrt() / 2.0
}

/// One sentence on how close a match is, for a person. The bands were read off the shipped
/// digits model: recovering its own samples lands far below the first; the best of 1,000
/// random samples of the right class sits around the second; a blank pad or a scribble ends
/// above it.
pub fn closeness(mse: f32) -> String {
    let rms = rms_error(mse);
    let verdict = if rms < 0.08 {
        "a close match"
    } else if rms < 0.16 {
        "a rough match: the model draws something like it"
    } else {
        "no good match: this is the nearest thing the model can draw"
    };
    format!(
        "{verdict} (pixels off by {:.0}% on average, root-mean-square)",
        rms * 100.0
    )
}
