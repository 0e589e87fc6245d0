//! The exponential moving average (EMA) of the generator's weights (Karras et al., 2018;
//! Yazici et al., 2019): what sampling, previews and exported generators use, because a GAN's
//! generator keeps circling around a good solution and the average of its recent weights lies
//! closer to it than any single iterate.
//!
//! After the generator's n-th update (n = 0, 1, ...) every float tensor e of the average
//! becomes `beta * e + (1 - beta) * g`, g the generator's tensor, with
//! `beta = min(decay, (1 + n) / (10 + n))` ([`effective_decay`]), computed in f64 and both
//! factors rounded to f32. The update is two tensor ops per tensor, issued on the device
//! without reading anything back, so it runs on WebGPU in a page as it does natively.
//!
//! Batch norm's running statistics are averaged like the weights (as BigGAN's EMA does),
//! not copied from the generator: the statistics a set of averaged weights produces are, to
//! first order, the average of the statistics over the same window, while the generator's
//! own statistics belong to its latest weights only.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;

use crate::error::{Result, WebganError};
use crate::model::Generator;

/// The decay used after the generator's `update`-th update (0 for the first).
///
/// The warm-up `(1 + n) / (10 + n)` keeps the average from remembering the random
/// initialisation: with a flat 0.999 the first thousand steps' previews would mostly show the
/// untrained generator. With it the average spans roughly the last tenth of training until
/// that is longer than `decay`'s own horizon (n ≈ 9000 for 0.999).
pub fn effective_decay(decay: f64, update: u64) -> f64 {
    let n = update as f64;
    decay.min((1.0 + n) / (10.0 + n))
}

/// The average after the generator's `update`-th update: `average` moved towards `live`
/// (the generator being trained, on any device) by [`effective_decay`]. With `decay` 0 the
/// result is the generator's weights themselves, bit for bit. The result lives on the plain
/// (non-autodiff) device, where it never records a graph.
pub fn updated(
    average: &Generator,
    live: &Generator,
    decay: f64,
    update: u64,
) -> Result<Generator> {
    // valid(): the generator's weights without autodiff, its running statistics merged.
    let live = live.valid();
    if decay == 0.0 {
        return Ok(live);
    }
    let beta = effective_decay(decay, update);
    let mut blend = Blend {
        live: crate::model::flat_float_tensors(&live).into_iter(),
        keep: beta as f32,
        take: (1.0 - beta) as f32,
        mismatch: false,
    };
    // valid() gives the average fresh running-state cells: burn's mappers overwrite running
    // statistics in place, and the run's rollback snapshot shares the old cells.
    let next = average.valid().map(&mut blend);
    if blend.mismatch || blend.live.next().is_some() {
        return Err(WebganError::ArchitectureMismatch(
            "the generator's moving average has another structure than the generator".into(),
        ));
    }
    Ok(next)
}

/// Replaces each float tensor e by `keep * e + take * g`, g the next collected tensor.
struct Blend {
    live: std::vec::IntoIter<(Tensor<1>, Vec<usize>)>,
    keep: f32,
    take: f32,
    mismatch: bool,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, average, _) = param.consume();
        match self.live.next() {
            Some((g, shape)) if shape == average.dims().to_vec() => {
                let g: Tensor<D> = g.reshape(average.dims());
                Param::initialized(id, average * self.keep + g * self.take)
            }
            _ => {
                self.mismatch = true;
                Param::initialized(id, average)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::effective_decay;

    #[test]
    fn the_warm_up_starts_low_and_reaches_the_decay() {
        assert_eq!(effective_decay(0.999, 0), 0.1);
        assert!((effective_decay(0.999, 90) - 0.91).abs() < 1e-12);
        assert_eq!(effective_decay(0.999, 9000), 0.999);
        assert_eq!(effective_decay(0.999, 1_000_000), 0.999);
        assert_eq!(effective_decay(0.0, 5), 0.0);
    }
}
