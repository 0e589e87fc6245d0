//! The little dense linear algebra the latent tools need, on small symmetric matrices
//! (latent_dim x latent_dim, at most a few hundred wide), in plain Rust so that it builds for the
//! page as well as natively (nalgebra is a native-only dependency here). Matrices are
//! row-major `Vec<f64>`s of n * n values.

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: eigenvalues in
/// descending order and the matching unit eigenvectors (row k of the returned n x n matrix is
/// the k-th vector). Jacobi is slow for large n but exact to rounding and simple; at n = 64 a
/// decomposition takes about a millisecond.
pub fn symmetric_eigen(matrix: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(matrix.len(), n * n, "symmetric_eigen needs an n x n matrix");
    let mut a = matrix.to_vec();
    // Columns of v are the eigenvectors as the rotations accumulate.
    let mut v = identity(n);
    let scale: f64 = a
        .iter()
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-14 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j * n + j].total_cmp(&a[i * n + i]));
    let values = order.iter().map(|&i| a[i * n + i]).collect();
    let vectors = order
        .iter()
        .flat_map(|&i| (0..n).map(|k| v[k * n + i]).collect::<Vec<_>>())
        .collect();
    (values, vectors)
}

/// The n x n identity.
pub fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    (0..n).for_each(|i| m[i * n + i] = 1.0);
    m
}

/// Inverse of a symmetric positive-definite matrix through its Cholesky factor; `None` when
/// the matrix is not positive definite (e.g. fewer samples than dimensions).
pub fn spd_inverse(matrix: &[f64], n: usize) -> Option<Vec<f64>> {
    // matrix = L L^T.
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            let value = matrix[i * n + j] - sum;
            if i == j {
                if value <= 0.0 || !value.is_finite() {
                    return None;
                }
                l[i * n + i] = value.sqrt();
            } else {
                l[i * n + j] = value / l[j * n + j];
            }
        }
    }
    // Solve L L^T X = I column by column.
    let mut inv = vec![0.0; n * n];
    for col in 0..n {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let rhs = if i == col { 1.0 } else { 0.0 };
            let sum: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
            y[i] = (rhs - sum) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let sum: f64 = (i + 1..n).map(|k| l[k * n + i] * inv[k * n + col]).sum();
            inv[i * n + col] = (y[i] - sum) / l[i * n + i];
        }
    }
    Some(inv)
}

/// a (n x m) times b (m x p), row-major.
pub fn matmul(a: &[f64], b: &[f64], n: usize, m: usize, p: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * p];
    for i in 0..n {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            for j in 0..p {
                out[i * p + j] += aik * b[k * p + j];
            }
        }
    }
    out
}

/// Gram-Schmidt (twice, for numerical orthogonality) on the rows of `rows` (k rows of length
/// n): returns orthonormal rows spanning the same nested subspaces, in the same order. A row
/// that is (numerically) dependent on the earlier ones is an error.
pub fn orthonormalise(rows: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, usize> {
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let mut v = row.clone();
        for _ in 0..2 {
            for u in &out {
                let d = dot(&v, u);
                v.iter_mut().zip(u).for_each(|(x, y)| *x -= d * y);
            }
        }
        let norm = dot(&v, &v).sqrt();
        // Not `norm <= …`: a NaN norm must be refused too.
        let floor = 1e-10 * dot(row, row).sqrt().max(f64::MIN_POSITIVE);
        if norm.partial_cmp(&floor) != Some(std::cmp::Ordering::Greater) {
            return Err(index);
        }
        v.iter_mut().for_each(|x| *x /= norm);
        out.push(v);
    }
    Ok(out)
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_recovers_a_known_spectrum() {
        // Q diag(5, 2, 1) Q^T with a rotation Q.
        let (c, s) = (0.6f64, 0.8f64);
        let q = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        let d = [5.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0];
        let qt: Vec<f64> = (0..9).map(|i| q[(i % 3) * 3 + i / 3]).collect();
        let m = matmul(&matmul(&q, &d, 3, 3, 3), &qt, 3, 3, 3);
        let (values, vectors) = symmetric_eigen(&m, 3);
        for (got, want) in values.iter().zip([5.0, 2.0, 1.0]) {
            assert!((got - want).abs() < 1e-10, "{values:?}");
        }
        // First eigenvector is Q's first column, up to sign.
        let first = &vectors[0..3];
        assert!((dot(first, &[c, s, 0.0]).abs() - 1.0).abs() < 1e-10);
        // M v = lambda v for every pair.
        for k in 0..3 {
            let v = &vectors[k * 3..k * 3 + 3];
            let mv = matmul(&m, v, 3, 3, 1);
            for i in 0..3 {
                assert!((mv[i] - values[k] * v[i]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn spd_inverse_inverts_and_refuses_singular() {
        let m = [4.0, 1.0, 1.0, 3.0];
        let inv = spd_inverse(&m, 2).unwrap();
        let id = matmul(&m, &inv, 2, 2, 2);
        for (got, want) in id.iter().zip(identity(2)) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!(spd_inverse(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
    }

    #[test]
    fn gram_schmidt_gives_orthonormal_rows_and_flags_dependence() {
        let rows = vec![vec![3.0, 0.0, 4.0], vec![1.0, 1.0, 0.0]];
        let o = orthonormalise(&rows).unwrap();
        assert!((dot(&o[0], &o[0]) - 1.0).abs() < 1e-12);
        assert!(dot(&o[0], &o[1]).abs() < 1e-12);
        assert!((o[0][0] - 0.6).abs() < 1e-12, "order and direction kept");
        assert_eq!(
            orthonormalise(&[vec![1.0, 2.0], vec![2.0, 4.0]]).unwrap_err(),
            1
        );
    }
}
