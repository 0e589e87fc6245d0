//! Linear boundaries in z, in plain Rust: logistic regression (on soft targets, by Newton's
//! method) and least squares, and InterFaceGAN's conditional projection that makes each
//! attribute's edit direction leave the others' scores alone. The systems are latent_dim + 1
//! wide (101 for faces), so dense normal equations are exact and quick.

use crate::linalg;

/// Ridge on the weights (not the bias), per sample: keeps Newton's steps finite where the
/// labels are (nearly) separable, too small to bend a fit on thousands of latents.
const RIDGE: f64 = 1e-4;
/// Newton iterations for the logistic fit (it converges in well under ten on these data).
const NEWTON_STEPS: usize = 25;

/// A fitted boundary: weights on z and a bias.
#[derive(Clone, Debug)]
pub struct Linear {
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl Linear {
    pub fn score(&self, z: &[f32]) -> f64 {
        self.bias
            + self
                .weights
                .iter()
                .zip(z)
                .map(|(w, x)| w * *x as f64)
                .sum::<f64>()
    }

    /// The weights as a unit vector (None if they are all zero or not finite).
    pub fn unit_normal(&self) -> Option<Vec<f64>> {
        let norm = linalg::dot(&self.weights, &self.weights).sqrt();
        (norm.is_finite() && norm > 0.0).then(|| self.weights.iter().map(|w| w / norm).collect())
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Solves (XᵀWX + ridge) β = Xᵀr for the rows of `z` with a bias column: the shared step of
/// both fits. `weight(i)` and `rhs(i)` give sample i's W and r.
fn weighted_solve(
    z: &[f32],
    dim: usize,
    weight: impl Fn(usize) -> f64,
    rhs: impl Fn(usize) -> f64,
) -> Option<Vec<f64>> {
    let n = z.len() / dim;
    let m = dim + 1;
    let mut h = vec![0.0; m * m];
    let mut g = vec![0.0; m];
    let mut x = vec![0.0; m];
    for (i, row) in z.chunks_exact(dim).enumerate() {
        x[..dim]
            .iter_mut()
            .zip(row)
            .for_each(|(a, b)| *a = *b as f64);
        x[dim] = 1.0;
        let (w, r) = (weight(i), rhs(i));
        for a in 0..m {
            g[a] += x[a] * r;
            let wa = w * x[a];
            for b in a..m {
                h[a * m + b] += wa * x[b];
            }
        }
    }
    for a in 0..m {
        for b in 0..a {
            h[a * m + b] = h[b * m + a];
        }
    }
    for a in 0..dim {
        h[a * m + a] += RIDGE * n as f64;
    }
    let inv = linalg::spd_inverse(&h, m)?;
    Some(linalg::matmul(&inv, &g, m, m, 1))
}

fn split(beta: Vec<f64>, dim: usize) -> Linear {
    Linear {
        bias: beta[dim],
        weights: beta[..dim].to_vec(),
    }
}

/// Least squares of `y` on the rows of `z` (`dim` each) with a bias. None if the system is
/// singular (too few latents).
pub fn linear(z: &[f32], dim: usize, y: &[f64]) -> Option<Linear> {
    weighted_solve(z, dim, |_| 1.0, |i| y[i]).map(|b| split(b, dim))
}

/// Logistic regression of soft targets `p` in [0, 1] (e.g. a classifier's probability) on the
/// rows of `z`, by Newton's method (iteratively reweighted least squares).
pub fn logistic(z: &[f32], dim: usize, p: &[f64]) -> Option<Linear> {
    let n = z.len() / dim;
    let mut beta = vec![0.0; dim + 1];
    for _ in 0..NEWTON_STEPS {
        let model = split(beta.clone(), dim);
        let s: Vec<f64> = z
            .chunks_exact(dim)
            .map(|r| sigmoid(model.score(r)))
            .collect();
        // Newton: H Δ = Xᵀ(p - s) - ridge β, with H = XᵀSX + ridge; solving for β + Δ directly
        // gives H β_new = XᵀS X β + Xᵀ(p - s), i.e. weights S and targets X β + (p - s) / S.
        let w = |i: usize| (s[i] * (1.0 - s[i])).max(1e-6);
        let old: Vec<f64> = z.chunks_exact(dim).map(|r| model.score(r)).collect();
        let next = weighted_solve(z, dim, w, |i| w(i) * old[i] + (p[i] - s[i]))?;
        let change = next
            .iter()
            .zip(&beta)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        beta = next;
        if !change.is_finite() {
            return None;
        }
        if change < 1e-7 {
            break;
        }
    }
    (n > 0).then(|| split(beta, dim))
}

/// Each normal with the span of the others projected out, unit length: editing along
/// direction k leaves every other attribute's linear score z · normal_j exactly as it was.
/// None when a normal lies in the span of the others (nothing is left to edit).
pub fn conditional(normals: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    (0..normals.len())
        .map(|k| {
            let others: Vec<Vec<f64>> = normals
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, v)| v.clone())
                .collect();
            let basis = linalg::orthonormalise(&others).ok()?;
            let mut v = normals[k].clone();
            for _ in 0..2 {
                for u in &basis {
                    let d = linalg::dot(&v, u);
                    v.iter_mut().zip(u).for_each(|(x, y)| *x -= d * y);
                }
            }
            let norm = linalg::dot(&v, &v).sqrt();
            (norm > 1e-6).then(|| v.iter().map(|x| x / norm).collect())
        })
        .collect()
}

/// Spearman's rank correlation of two equally long series (ties get their mean rank).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
                j += 1;
            }
            for &k in &order[i..=j] {
                r[k] = (i + j) as f64 / 2.0;
            }
            i = j + 1;
        }
        r
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (ma, mb) = (mean(&ra), mean(&rb));
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
    cov / (var(&ra, ma) * var(&rb, mb)).sqrt().max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latent;

    /// Latents and a known direction: the fits must find it.
    fn data(n: usize, dim: usize) -> (Vec<f32>, Vec<f64>) {
        let z = latent::batch_for_seed(3, n, dim);
        let truth: Vec<f64> = (0..dim).map(|i| if i < 2 { 1.0 } else { 0.0 }).collect();
        (z, truth)
    }

    #[test]
    fn least_squares_recovers_a_linear_score() {
        let dim = 5;
        let (z, truth) = data(400, dim);
        let y: Vec<f64> = z
            .chunks_exact(dim)
            .map(|r| 2.0 * r[0] as f64 + 2.0 * r[1] as f64 + 0.5)
            .collect();
        let fit = linear(&z, dim, &y).unwrap();
        assert!((fit.bias - 0.5).abs() < 1e-2, "{}", fit.bias);
        let n = fit.unit_normal().unwrap();
        let cos = linalg::dot(&n, &truth) / 2f64.sqrt();
        assert!(cos > 0.999, "{cos}");
    }

    #[test]
    fn logistic_regression_recovers_a_noisy_boundary() {
        let dim = 5;
        let (z, truth) = data(2000, dim);
        // Soft labels: the probability a logistic model with this boundary gives.
        let p: Vec<f64> = z
            .chunks_exact(dim)
            .map(|r| sigmoid(1.5 * (r[0] + r[1]) as f64 - 0.3))
            .collect();
        let fit = logistic(&z, dim, &p).unwrap();
        let n = fit.unit_normal().unwrap();
        let cos = linalg::dot(&n, &truth) / 2f64.sqrt();
        assert!(cos > 0.99, "{cos}");
        assert!((fit.weights[0] - 1.5).abs() < 0.1, "{:?}", fit.weights);
        // Separable hard labels stay finite thanks to the ridge.
        let hard: Vec<f64> = z.chunks_exact(dim).map(|r| f64::from(r[0] > 0.0)).collect();
        let fit = logistic(&z, dim, &hard).unwrap();
        assert!(fit.weights.iter().all(|w| w.is_finite()));
        assert!(fit.unit_normal().unwrap()[0] > 0.99);
    }

    #[test]
    fn conditional_directions_are_orthogonal_to_the_other_normals() {
        let a = vec![1.0, 0.0, 0.0];
        let b = vec![0.6, 0.8, 0.0];
        let d = conditional(&[a.clone(), b.clone()]).unwrap();
        assert!(linalg::dot(&d[0], &b).abs() < 1e-12);
        assert!(linalg::dot(&d[1], &a).abs() < 1e-12);
        for (k, v) in d.iter().enumerate() {
            assert!((linalg::dot(v, v) - 1.0).abs() < 1e-12);
            assert!(
                linalg::dot(v, [&a, &b][k]) > 0.0,
                "still edits its own attribute"
            );
        }
        assert!(conditional(&[a.clone(), a]).is_none(), "parallel normals");
    }

    #[test]
    fn spearman_ranks() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 25.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        let s = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((s - 0.8).abs() < 1e-12, "{s}");
    }
}
