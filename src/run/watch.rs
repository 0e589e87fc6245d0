//! What a live view of a run shows besides the samples: 2-D models' real points and D's
//! decision surface, and a quality figure cheap enough to refresh every few steps.

use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData};
use serde::Serialize;

use super::TrainingRun;
use crate::data::{Toy, TrainingData};
use crate::error::{Result, WebganError};
use crate::inference::read_floats_async;
use crate::latent;
use crate::metrics;

/// Diversity of generated images below this fraction of the real data's means collapse.
const COLLAPSE_RATIO: f32 = 0.5;
/// Real images the diversity of generated ones is compared with.
const REAL_FOR_DIVERSITY: usize = 64;

/// What [`TrainingRun::quality`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Quality {
    Toy {
        modes_covered: usize,
        modes_total: usize,
        high_quality: f32,
        /// Half the modes or more lost after warm-up: the classic mode collapse.
        collapsed: bool,
    },
    Images {
        /// Mean pairwise L2 distance between the watched generated images.
        diversity: f32,
        /// The same between real training images.
        real_diversity: f32,
        ratio: f32,
        /// Generated images much less varied than real ones: the generator is collapsing.
        collapsed: bool,
    },
}

impl TrainingRun {
    /// The toy set this run learns, if it is a 2-D run.
    pub fn toy(&self) -> Option<Toy> {
        match &self.data {
            TrainingData::Toy(t) => Some(*t),
            TrainingData::Samples(_) => None,
        }
    }

    /// Toy data only: `n` real points (a fixed draw).
    pub fn real_points(&self, n: usize) -> Vec<f32> {
        match self.toy() {
            Some(toy) => toy.sample(&mut latent::rng_for(self.trainer.config.seed, 77, 0), n),
            None => Vec::new(),
        }
    }

    /// Toy data only: D's probability of "real" on a `resolution`² grid over
    /// [-extent, extent]², row-major from the top row (y = +extent).
    pub async fn heatmap(&self, resolution: usize, extent: f32) -> Result<Vec<f32>> {
        if self.toy().is_none() {
            return Err(WebganError::invalid(
                "heatmap",
                self.data.name(),
                "only 2-D toy data has a decision surface to draw",
            ));
        }
        if !((2..=256).contains(&resolution) && extent.is_finite() && extent > 0.0) {
            return Err(WebganError::invalid(
                "heatmap",
                format!("{resolution} x {resolution} over ±{extent}"),
                "resolution must be 2..=256 and extent positive",
            ));
        }
        let step = 2.0 * extent / (resolution - 1) as f32;
        let mut points = Vec::with_capacity(2 * resolution * resolution);
        for row in 0..resolution {
            for col in 0..resolution {
                points.push(-extent + col as f32 * step);
                points.push(extent - row as f32 * step);
            }
        }
        let device = self.trainer.device().clone().inner();
        let x = Tensor::<2>::from_data(
            TensorData::new(points, [resolution * resolution, 2]),
            &device,
        );
        let d = self.trainer.discriminator.valid();
        read_floats_async(sigmoid(d.forward(x, None))).await
    }

    /// Mode coverage (2-D) or a diversity ratio (images), with a `collapsed` flag.
    pub async fn quality(&self) -> Result<Quality> {
        let fake = self.samples().await?;
        match &self.data {
            TrainingData::Toy(toy) => {
                let (covered, total, high) = if toy.modes().is_empty() {
                    // The spiral has no modes: count points near the data as "high quality".
                    let real = self.real_points(2048);
                    let near = metrics::fraction_near(&fake, &real, 0.15);
                    (usize::from(near > 0.5), 1, near)
                } else {
                    let c = metrics::mode_coverage(*toy, &fake);
                    (c.modes_covered, c.modes_total, c.high_quality)
                };
                Ok(Quality::Toy {
                    modes_covered: covered,
                    modes_total: total,
                    high_quality: high,
                    collapsed: self.steps() >= 500 && covered * 2 <= total,
                })
            }
            TrainingData::Samples(d) => {
                let len = d.sample_len;
                let n = d.len().min(REAL_FOR_DIVERSITY);
                let diversity = metrics::mean_pairwise_distance(&fake, len);
                let real_diversity = metrics::mean_pairwise_distance(&d.samples[..n * len], len);
                let ratio = if real_diversity > 0.0 {
                    diversity / real_diversity
                } else {
                    0.0
                };
                Ok(Quality::Images {
                    diversity,
                    real_diversity,
                    ratio,
                    collapsed: self.steps() >= 200 && ratio < COLLAPSE_RATIO,
                })
            }
        }
    }
}
