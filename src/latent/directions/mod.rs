//! Meaningful directions in latent space: the directions of z that move the generator's first
//! block the most, ordered by how much of its activation variance they drive (GANSpace,
//! Härkönen et al. 2020, in an equivalent form that fits in a web page).
//!
//! GANSpace samples many z, takes PCA of an early layer's activations Y and regresses z onto
//! the principal coordinates to get directions in z. Here the same thing is computed through
//! the cross-covariance instead: the least-squares linear map A (z -> Y) is fitted, and the
//! directions are the eigenvectors of A Aᵀ (latent_dim x latent_dim). Where Y is linear in z the
//! two agree exactly (PCA's components are A's right singular vectors and the regression maps
//! them to its left ones, the eigenvectors of A Aᵀ); where it is not, the part of Y that no
//! linear function of z explains could not be steered by moving z along a line anyway. The
//! gain: a d x D cross-covariance (64 x 6,272 for digits) accumulated on the device instead of
//! a D x D covariance and its PCA, and the directions come out orthonormal and ordered, each
//! with its share of the activations' total variance.
//!
//! Computed once by `webgan export` and stored in the weights manifest; computed on the fly
//! (fewer samples) for files without them.

use burn::tensor::{Int, Tensor, TensorData};

use crate::error::{Result, WebganError};
use crate::inference::{Sampler, read_floats_async};
use crate::latent;
use crate::linalg;

/// Latents sampled per direction set at export (per class for conditional models).
pub const EXPORT_SAMPLES: usize = 10_000;
/// Latents per set when a file has no stored directions and they are computed on load.
pub const ON_LOAD_SAMPLES: usize = 2_000;
/// Directions kept per set (or latent_dim, if smaller): sliders beyond the first few
/// move the activations by little.
pub const KEPT: usize = 8;
/// Seed of the sampled latents: the same file always gets the same directions.
pub const SEED: u64 = 0x6a9_5ace;
/// Latents per forward pass while accumulating.
const BATCH: usize = 500;

pub mod stored;

pub use stored::{DirectionSet, Directions};

/// Running sums of one class's (or the whole model's) latents and activations. The
/// activation-side sums stay on the device until the end.
struct Moments {
    n: usize,
    sum_z: Vec<f64>,
    zz: Vec<f64>,
    /// [latent_dim, features]: Σ z yᵀ.
    zy: Option<Tensor<2>>,
    /// [features]: Σ y.
    sum_y: Option<Tensor<1>>,
    /// [1]: Σ |y|².
    sum_yy: Option<Tensor<1>>,
}

/// What one set's moments reduce to: the d x d matrix A Aᵀ and the total activation variance.
struct Reduced {
    g: Vec<f64>,
    total_variance: f64,
}

impl Moments {
    fn new(dim: usize) -> Moments {
        Moments {
            n: 0,
            sum_z: vec![0.0; dim],
            zz: vec![0.0; dim * dim],
            zy: None,
            sum_y: None,
            sum_yy: None,
        }
    }

    fn add(&mut self, sampler: &Sampler, z: Vec<f32>, labels: Option<Vec<i64>>) -> Result<()> {
        let dim = self.sum_z.len();
        let b = z.len() / dim;
        for row in z.chunks_exact(dim) {
            for i in 0..dim {
                self.sum_z[i] += row[i] as f64;
                for j in 0..dim {
                    self.zz[i * dim + j] += (row[i] * row[j]) as f64;
                }
            }
        }
        self.n += b;
        let device = sampler.device();
        let zt = Tensor::<2>::from_data(TensorData::new(z, [b, dim]), device);
        let labels = labels.map(|l| Tensor::<1, Int>::from_data(TensorData::new(l, [b]), device));
        let y = sampler.generator().first_block(zt.clone(), labels);
        let zy = zt.transpose().matmul(y.clone());
        let sum_y = y.clone().sum_dim(0).reshape([-1]);
        let sum_yy = y.powi_scalar(2).sum();
        self.zy = Some(match self.zy.take() {
            Some(acc) => acc + zy,
            None => zy,
        });
        self.sum_y = Some(match self.sum_y.take() {
            Some(acc) => acc + sum_y,
            None => sum_y,
        });
        self.sum_yy = Some(match self.sum_yy.take() {
            Some(acc) => acc + sum_yy,
            None => sum_yy,
        });
        Ok(())
    }

    async fn reduce(self) -> Result<Reduced> {
        let dim = self.sum_z.len();
        let (Some(zy), Some(sum_y), Some(sum_yy)) = (self.zy, self.sum_y, self.sum_yy) else {
            return Err(WebganError::invalid(
                "samples",
                0,
                "directions need samples",
            ));
        };
        let features = zy.dims()[1];
        let zy = read_floats_async(zy.reshape([-1])).await?;
        let sum_y = read_floats_async(sum_y).await?;
        let sum_yy = read_floats_async(sum_yy).await?[0] as f64;
        let n = self.n as f64;
        let mean_z: Vec<f64> = self.sum_z.iter().map(|s| s / n).collect();
        let mean_y: Vec<f64> = sum_y.iter().map(|&s| s as f64 / n).collect();
        let czz: Vec<f64> = (0..dim * dim)
            .map(|k| self.zz[k] / n - mean_z[k / dim] * mean_z[k % dim])
            .collect();
        // Cross-covariance, d x features.
        let czy: Vec<f64> = (0..dim * features)
            .map(|k| zy[k] as f64 / n - mean_z[k / features] * mean_y[k % features])
            .collect();
        let total_variance = sum_yy / n - mean_y.iter().map(|m| m * m).sum::<f64>();
        let inv = linalg::spd_inverse(&czz, dim).ok_or_else(|| {
            WebganError::invalid(
                "samples",
                self.n,
                "too few latents to estimate directions (need well over latent_dim)",
            )
        })?;
        // A = Czz⁻¹ Czy, so A Aᵀ = Czz⁻¹ (Czy Czyᵀ) Czz⁻¹.
        let mut cc = vec![0.0; dim * dim];
        for i in 0..dim {
            let ri = &czy[i * features..(i + 1) * features];
            for j in i..dim {
                let v = linalg::dot(ri, &czy[j * features..(j + 1) * features]);
                cc[i * dim + j] = v;
                cc[j * dim + i] = v;
            }
        }
        let g = linalg::matmul(
            &linalg::matmul(&inv, &cc, dim, dim, dim),
            &inv,
            dim,
            dim,
            dim,
        );
        // Symmetrise away rounding.
        let g = (0..dim * dim)
            .map(|k| 0.5 * (g[k] + g[(k % dim) * dim + k / dim]))
            .collect();
        Ok(Reduced {
            g,
            total_variance: total_variance.max(f64::MIN_POSITIVE),
        })
    }
}

/// The eigen-directions of a (mean) A Aᵀ, orthonormalised, with their variance shares.
fn direction_set(g: &[f64], total_variance: f64, dim: usize) -> Result<DirectionSet> {
    let (values, vectors) = linalg::symmetric_eigen(g, dim);
    let kept = KEPT.min(dim);
    let rows: Vec<Vec<f64>> = (0..kept)
        .map(|k| vectors[k * dim..(k + 1) * dim].to_vec())
        .collect();
    let rows = linalg::orthonormalise(&rows).map_err(|k| {
        WebganError::invalid("directions", k, "eigenvectors came out linearly dependent")
    })?;
    Ok(DirectionSet {
        vectors: rows
            .iter()
            .map(|r| {
                // A sign convention, so recomputing gives the same slider directions: the
                // largest component is positive.
                let big = r
                    .iter()
                    .copied()
                    .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
                let sign = if big < 0.0 { -1.0 } else { 1.0 };
                r.iter().map(|x| (x * sign) as f32).collect()
            })
            .collect(),
        variance_share: values[..kept]
            .iter()
            .map(|v| (v.max(0.0) / total_variance) as f32)
            .collect(),
    })
}

/// Per-class reductions (one entry for an unconditional model), `samples` latents each.
async fn reduce_classes(sampler: &Sampler, samples: usize) -> Result<Vec<Reduced>> {
    let dim = sampler.latent_dim();
    if samples < 2 * dim || samples > 1_000_000 {
        return Err(WebganError::invalid(
            "samples",
            samples,
            format!(
                "directions need 2 x latent_dim ({}) to 1,000,000 latents",
                2 * dim
            ),
        ));
    }
    let classes = sampler.arch().n_classes();
    let mut out = Vec::new();
    for class in 0..classes.max(1) {
        let mut moments = Moments::new(dim);
        let mut done = 0;
        let mut batch_index = 0u64;
        while done < samples {
            let b = BATCH.min(samples - done);
            let mut rng = latent::rng_for(SEED, class as u64, batch_index);
            let z = latent::normal(&mut rng, b, dim);
            let labels = (classes > 0).then(|| vec![class as i64; b]);
            moments.add(sampler, z, labels)?;
            done += b;
            batch_index += 1;
        }
        out.push(moments.reduce().await?);
    }
    Ok(out)
}

/// Computes a model's directions from `samples` latents per class: per class when
/// `per_class`, else one set for all (the eigenvectors of the classes' mean A Aᵀ).
pub async fn compute(sampler: &Sampler, samples: usize, per_class: bool) -> Result<Directions> {
    let dim = sampler.latent_dim();
    let reduced = reduce_classes(sampler, samples).await?;
    let per_class = per_class && reduced.len() > 1;
    let sets = if per_class {
        reduced
            .iter()
            .map(|r| direction_set(&r.g, r.total_variance, dim))
            .collect::<Result<Vec<_>>>()?
    } else {
        let k = reduced.len() as f64;
        let g: Vec<f64> = (0..dim * dim)
            .map(|i| reduced.iter().map(|r| r.g[i]).sum::<f64>() / k)
            .collect();
        let total = reduced.iter().map(|r| r.total_variance).sum::<f64>() / k;
        vec![direction_set(&g, total, dim)?]
    };
    Ok(Directions {
        layer: "first_block".into(),
        samples,
        seed: SEED,
        latent_dim: dim,
        per_class,
        sets,
    })
}

/// How well one shared set serves each class, against that class's own set: for each class,
/// the share of its top-`k` per-class variance that the shared top-`k` directions capture
/// (1.0 = as good as its own). The measurement behind the shared-or-per-class choice.
pub async fn shared_vs_per_class(sampler: &Sampler, samples: usize, k: usize) -> Result<Vec<f64>> {
    let dim = sampler.latent_dim();
    let k = k.clamp(1, dim);
    let reduced = reduce_classes(sampler, samples).await?;
    let n = reduced.len() as f64;
    let mean_g: Vec<f64> = (0..dim * dim)
        .map(|i| reduced.iter().map(|r| r.g[i]).sum::<f64>() / n)
        .collect();
    let (_, shared) = linalg::symmetric_eigen(&mean_g, dim);
    Ok(reduced
        .iter()
        .map(|r| {
            let (own_values, _) = linalg::symmetric_eigen(&r.g, dim);
            let own: f64 = own_values[..k].iter().sum();
            let captured: f64 = (0..k)
                .map(|j| {
                    let u = &shared[j * dim..(j + 1) * dim];
                    linalg::dot(u, &linalg::matmul(&r.g, u, dim, dim, 1))
                })
                .sum();
            captured / own.max(f64::MIN_POSITIVE)
        })
        .collect())
}

/// The directions stored in the sampler's manifest (checked), or computed now from
/// [`ON_LOAD_SAMPLES`] latents when it has none. Returns whether they were computed.
pub async fn of_model(sampler: &Sampler) -> Result<(Directions, bool)> {
    if let Some(stored) = &sampler.manifest.directions {
        stored.check(sampler.latent_dim(), sampler.arch().n_classes())?;
        return Ok((stored.clone(), false));
    }
    let per_class = default_per_class(sampler);
    Ok((compute(sampler, ON_LOAD_SAMPLES, per_class).await?, true))
}

/// The shared-or-per-class choice: one set per class for conditional models. The digits
/// model's labels multiply z, so each class has its own principal axes: a shared set captures
/// little of the variance each class's own directions drive, and its first direction moves
/// images hardly more than a random one (`examples/latent_figures.rs` measures it; the figures
/// are in models/README.md).
pub fn default_per_class(sampler: &Sampler) -> bool {
    sampler.arch().n_classes() > 0
}
