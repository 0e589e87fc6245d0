//! Distribution statistics over classifier outputs: Fréchet distance (FID's formula, in our
//! classifier's feature space), an Inception-Score analogue, nearest-neighbour distances.

use nalgebra::{DMatrix, DVector};
#[cfg(not(target_family = "wasm"))]
use {
    crate::error::Result,
    crate::inference::read_floats,
    burn::tensor::{Device, Tensor, TensorData},
};

/// Mean and covariance of feature vectors.
pub struct Gaussian {
    mean: DVector<f64>,
    cov: DMatrix<f64>,
}

impl Gaussian {
    /// From `n` rows of `dim` features (row-major).
    pub fn fit(features: &[f32], dim: usize) -> Gaussian {
        let n = features.len() / dim;
        let x = DMatrix::from_row_iterator(n, dim, features.iter().map(|&v| v as f64));
        let mean = x.row_mean().transpose();
        let centred = DMatrix::from_fn(n, dim, |i, j| x[(i, j)] - mean[j]);
        let cov = centred.transpose() * &centred / (n.max(2) - 1) as f64;
        Gaussian { mean, cov }
    }

    /// Fréchet distance between two Gaussians:
    /// |m1 - m2|² + Tr(C1 + C2 - 2 (C1 C2)^½) (Heusel et al., 2017). The trace of the matrix
    /// square root is computed as Tr((C1^½ C2 C1^½)^½), which is symmetric, so a symmetric
    /// eigendecomposition suffices.
    pub fn frechet(&self, other: &Gaussian) -> f64 {
        let diff = &self.mean - &other.mean;
        let root = sym_sqrt(&self.cov);
        let middle = &root * &other.cov * &root;
        let middle = (&middle + middle.transpose()) * 0.5;
        let tr_sqrt: f64 = middle
            .symmetric_eigen()
            .eigenvalues
            .iter()
            .map(|&l| l.max(0.0).sqrt())
            .sum();
        (diff.dot(&diff) + self.cov.trace() + other.cov.trace() - 2.0 * tr_sqrt).max(0.0)
    }
}

fn sym_sqrt(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = ((m + m.transpose()) * 0.5).symmetric_eigen();
    let roots = DVector::from_iterator(
        eig.eigenvalues.len(),
        eig.eigenvalues.iter().map(|&l| l.max(0.0).sqrt()),
    );
    &eig.eigenvectors * DMatrix::from_diagonal(&roots) * eig.eigenvectors.transpose()
}

/// exp(E_x KL(p(y|x) || p(y))): high when each sample is confidently one class and the classes
/// are used evenly (Salimans et al., 2016), here with the project's classifier.
pub fn inception_score(probs: &[f32], n_classes: usize) -> f64 {
    let rows: Vec<&[f32]> = probs.chunks_exact(n_classes).collect();
    let n = rows.len().max(1) as f64;
    let mut marginal = vec![0.0f64; n_classes];
    for r in &rows {
        for (m, &p) in marginal.iter_mut().zip(*r) {
            *m += p as f64 / n;
        }
    }
    let kl: f64 = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&marginal)
                .filter(|(p, _)| **p > 0.0)
                .map(|(&p, &m)| p as f64 * ((p as f64).ln() - m.max(1e-12).ln()))
                .sum::<f64>()
        })
        .sum::<f64>()
        / n;
    kl.exp()
}

#[cfg(not(target_family = "wasm"))]
/// For each query row, the Euclidean distance to its nearest row of `reference` (both
/// [n, len] row-major), by matmul on `device`.
pub fn nearest_distances(
    queries: &[f32],
    reference: &[f32],
    len: usize,
    device: &Device,
) -> Result<Vec<f32>> {
    let nq = queries.len() / len;
    let q = Tensor::<2>::from_data(TensorData::new(queries.to_vec(), [nq, len]), device);
    let q2 = q.clone().powi_scalar(2).sum_dim(1); // [nq, 1]
    let mut best = vec![f32::INFINITY; nq];
    for chunk in reference.chunks(8192 * len) {
        let nr = chunk.len() / len;
        let r = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [nr, len]), device);
        let r2 = r.clone().powi_scalar(2).sum_dim(1).reshape([1, nr]);
        let d2 = q2.clone() + r2 - q.clone().matmul(r.transpose()) * 2.0;
        let mins = read_floats(d2.min_dim(1))?;
        for (b, m) in best.iter_mut().zip(mins) {
            *b = b.min(m.max(0.0).sqrt());
        }
    }
    Ok(best)
}

pub fn median(values: &[f32]) -> f32 {
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    if v.is_empty() {
        f32::NAN
    } else {
        v[v.len() / 2]
    }
}

pub fn quantile(values: &[f32], q: f32) -> f32 {
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    if v.is_empty() {
        return f32::NAN;
    }
    v[((v.len() - 1) as f32 * q).round() as usize]
}

/// Per class, the root mean squared distance of its feature rows to their mean.
pub fn class_spreads(
    features: &[f32],
    dim: usize,
    labels: &[i64],
    classes: usize,
) -> Vec<Option<f64>> {
    (0..classes as i64)
        .map(|c| {
            let rows: Vec<&[f32]> = features
                .chunks_exact(dim.max(1))
                .zip(labels)
                .filter(|(_, l)| **l == c)
                .map(|(r, _)| r)
                .collect();
            if rows.len() < 2 {
                return None;
            }
            let n = rows.len() as f64;
            let mut mean = vec![0.0f64; dim];
            for r in &rows {
                for (m, &v) in mean.iter_mut().zip(*r) {
                    *m += v as f64 / n;
                }
            }
            let ss: f64 = rows
                .iter()
                .flat_map(|r| r.iter().zip(&mean).map(|(&v, m)| (v as f64 - m).powi(2)))
                .sum();
            Some((ss / n).sqrt())
        })
        .collect()
}

/// Diversity within classes: the mean over classes of the generated spread over the real one
/// (both from [`class_spreads`]; 1 is as varied as real, lower is less varied), over the
/// classes both sides have; `None` when there is no such class.
pub fn spread_ratio(generated: &[Option<f64>], real: &[Option<f64>]) -> Option<f64> {
    let ratios: Vec<f64> = generated
        .iter()
        .zip(real)
        .filter_map(|(g, r)| Some(g.as_ref()? / r.filter(|r| *r > 0.0)?))
        .collect();
    (!ratios.is_empty()).then(|| ratios.iter().sum::<f64>() / ratios.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_class_spread_and_its_ratio_to_real() {
        // Class 0: two points 2 apart in 1-D (spread 1); class 1: one point (no spread).
        let spread = class_spreads(&[0.0, 2.0, 5.0], 1, &[0, 0, 1], 2);
        assert_eq!(spread, vec![Some(1.0), None]);
        let real = vec![Some(2.0), Some(3.0)];
        assert_eq!(
            spread_ratio(&spread, &real),
            Some(0.5),
            "only classes both sides have"
        );
        assert_eq!(
            spread_ratio(&[Some(1.0)], &[Some(0.0)]),
            None,
            "no real spread, no class to compare"
        );
    }

    #[test]
    fn frechet_of_a_distribution_with_itself_is_zero_and_grows_with_a_shift() {
        let mut rng = crate::latent::rng_for(1, 0, 0);
        let a = crate::latent::normal(&mut rng, 4000, 3);
        let g = Gaussian::fit(&a, 3);
        assert!(g.frechet(&g) < 1e-6);
        // Shifting the mean by 2 in one coordinate adds |2|² = 4.
        let shifted: Vec<f32> = a.chunks(3).flat_map(|r| [r[0] + 2.0, r[1], r[2]]).collect();
        let d = g.frechet(&Gaussian::fit(&shifted, 3));
        assert!((d - 4.0).abs() < 1e-6, "{d}");
        // Scaling by 2 (cov I -> 4I) adds Tr(I + 4I - 2*2I) = 3, near enough for a sample.
        let scaled: Vec<f32> = a.iter().map(|v| v * 2.0).collect();
        let d = g.frechet(&Gaussian::fit(&scaled, 3));
        assert!((d - 3.0).abs() < 0.3, "{d}");
    }

    #[test]
    fn inception_score_spans_one_to_the_number_of_classes() {
        // Confident and even over 4 classes: 4. Uniform predictions: 1.
        let confident: Vec<f32> = (0..8)
            .flat_map(|i| (0..4).map(move |c| if c == i % 4 { 1.0 } else { 0.0 }))
            .collect();
        assert!((inception_score(&confident, 4) - 4.0).abs() < 1e-9);
        assert!((inception_score(&[0.25; 16], 4) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn nearest_distances_match_brute_force() {
        let device = Device::flex();
        let q = vec![0.0, 0.0, 3.0, 4.0];
        let r = vec![1.0, 0.0, 3.0, 3.0, 10.0, 10.0];
        let d = nearest_distances(&q, &r, 2, &device).unwrap();
        assert!(
            (d[0] - 1.0).abs() < 1e-5 && (d[1] - 1.0).abs() < 1e-5,
            "{d:?}"
        );
    }
}
