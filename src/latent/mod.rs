//! Latent vectors: seeds to z, class labels, and paths through latent space.
//! Everything is drawn on the host from a seeded RNG, so the same seed gives the same z on
//! every backend and every machine.

pub mod attributes;
pub mod directions;
#[cfg(feature = "train")]
pub mod invert;
pub mod target_image;

use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::StandardNormal;

use crate::error::{Result, WebganError};

/// A reproducible RNG for one purpose at one step: mixing the parts with splitmix64 means
/// resuming at step N draws exactly what an uninterrupted run drew at step N.
pub fn rng_for(seed: u64, stream: u64, index: u64) -> StdRng {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    for part in [stream, index] {
        x = splitmix64(x ^ part.wrapping_mul(0xbf58_476d_1ce4_e5b9));
    }
    StdRng::seed_from_u64(x)
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` latent vectors of length `dim`, row-major, from N(0, 1).
pub fn normal(rng: &mut impl Rng, n: usize, dim: usize) -> Vec<f32> {
    (0..n * dim)
        .map(|_| rng.sample::<f32, _>(StandardNormal))
        .collect()
}

/// The latent batch a seed stands for (what `webgan sample --seed` and the page draw).
pub fn batch_for_seed(seed: u64, n: usize, dim: usize) -> Vec<f32> {
    normal(&mut StdRng::seed_from_u64(seed), n, dim)
}

/// Class labels for a grid: all `class` if given, else 0, 1, 2, ... repeating (row-major, so
/// a grid with one column per class shows one class per column).
pub fn grid_labels(n: usize, n_classes: usize, class: Option<usize>) -> Vec<i64> {
    (0..n)
        .map(|i| match class {
            Some(c) => c as i64,
            None => (i % n_classes.max(1)) as i64,
        })
        .collect()
}

/// Uniformly random class labels.
pub fn random_labels(rng: &mut impl Rng, n: usize, n_classes: usize) -> Vec<i64> {
    (0..n)
        .map(|_| rng.random_range(0..n_classes) as i64)
        .collect()
}

/// Spherical interpolation between two latent vectors (Shoemake; White, 2016): stays on the
/// shell where Gaussian latents live, unlike a straight line. Falls back to a straight line
/// when the vectors are (nearly) parallel.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    let cos = (dot / (na * nb).max(f32::MIN_POSITIVE)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    if omega.abs() < 1e-4 {
        return a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect();
    }
    let s = omega.sin();
    let (wa, wb) = (((1.0 - t) * omega).sin() / s, (t * omega).sin() / s);
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}

/// A smooth random walk: each step moves `z` a little along a fresh random direction and
/// rescales it so its norm stays near sqrt(dim), the typical norm of a Gaussian latent.
pub fn walk_step(z: &[f32], rng: &mut impl Rng, step_size: f32) -> Vec<f32> {
    let dim = z.len();
    let dir = normal(rng, 1, dim);
    let moved: Vec<f32> = z.iter().zip(&dir).map(|(x, d)| x + step_size * d).collect();
    let norm = moved
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    let target = (dim as f32).sqrt();
    moved.iter().map(|x| x * target / norm).collect()
}

/// The truncation trick (Brock et al., 2019): pulls every latent toward the prior's mean (0)
/// by `psi`. `psi` = 1 leaves z untouched; 0 gives the mean latent, the model's "average"
/// sample, for every seed; in between trades variety for typicality.
pub fn truncate(z: &[f32], psi: f32) -> Result<Vec<f32>> {
    check_psi(psi)?;
    Ok(z.iter().map(|v| v * psi).collect())
}

/// The one check of a truncation value, for the CLI and the page alike.
pub fn check_psi(psi: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&psi) {
        return Err(WebganError::invalid(
            "truncation",
            psi,
            "psi must be a number from 0 (the mean sample) to 1 (no truncation)",
        ));
    }
    Ok(())
}

/// Largest side of a latent plane (cells per row or column).
pub const MAX_PLANE_SIDE: usize = 32;

/// A `rows` x `cols` grid of latents between two to four corners (each `dim` long, flat),
/// row-major, by spherical interpolation along both axes. Four corners are top-left,
/// top-right, bottom-left, bottom-right. Three: the fourth completes the parallelogram (scaled
/// to the corners' mean norm, where Gaussian latents live). Two: the path from the first to the
/// second, read row by row.
pub fn plane(corners: &[f32], dim: usize, rows: usize, cols: usize) -> Result<Vec<f32>> {
    if dim == 0 || !corners.len().is_multiple_of(dim) || !(2..=4).contains(&(corners.len() / dim)) {
        return Err(WebganError::invalid(
            "corners",
            format!("{} values", corners.len()),
            format!("a latent plane needs 2 to 4 corner latents of {dim} values each"),
        ));
    }
    for (name, side) in [("rows", rows), ("cols", cols)] {
        if !(1..=MAX_PLANE_SIDE).contains(&side) {
            return Err(WebganError::invalid(
                name,
                side,
                format!("a latent plane is 1 to {MAX_PLANE_SIDE} cells on each side"),
            ));
        }
    }
    if corners.iter().any(|v| !v.is_finite()) {
        return Err(WebganError::invalid(
            "corners",
            "non-finite",
            "latent values must be finite",
        ));
    }
    let c: Vec<&[f32]> = corners.chunks_exact(dim).collect();
    let at = |i: usize, n: usize| {
        if n < 2 {
            0.0
        } else {
            i as f32 / (n - 1) as f32
        }
    };
    if c.len() == 2 {
        let n = rows * cols;
        return Ok((0..n).flat_map(|i| slerp(c[0], c[1], at(i, n))).collect());
    }
    let fourth = match c.len() {
        4 => c[3].to_vec(),
        _ => {
            let raw: Vec<f32> = (0..dim).map(|k| c[1][k] + c[2][k] - c[0][k]).collect();
            let mean_norm = c.iter().map(|v| norm(v)).sum::<f32>() / 3.0;
            let n = norm(&raw).max(f32::MIN_POSITIVE);
            raw.iter().map(|v| v * mean_norm / n).collect()
        }
    };
    let mut out = Vec::with_capacity(rows * cols * dim);
    for r in 0..rows {
        let v = at(r, rows);
        for col in 0..cols {
            let u = at(col, cols);
            let top = slerp(c[0], c[1], u);
            let bottom = slerp(c[2], &fourth, u);
            out.extend(slerp(&top, &bottom, v));
        }
    }
    Ok(out)
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_latents_and_streams_differ() {
        assert_eq!(batch_for_seed(7, 4, 8), batch_for_seed(7, 4, 8));
        assert_ne!(batch_for_seed(7, 4, 8), batch_for_seed(8, 4, 8));
        let a = normal(&mut rng_for(1, 2, 3), 1, 4);
        assert_eq!(a, normal(&mut rng_for(1, 2, 3), 1, 4));
        assert_ne!(a, normal(&mut rng_for(1, 2, 4), 1, 4));
        assert_ne!(a, normal(&mut rng_for(1, 3, 3), 1, 4));
    }

    #[test]
    fn slerp_hits_endpoints_and_keeps_norm() {
        let a = [1.0, 0.0, 0.0];
        let b = [0.0, 1.0, 0.0];
        assert_eq!(slerp(&a, &b, 0.0), a.to_vec());
        let end = slerp(&a, &b, 1.0);
        assert!((end[0]).abs() < 1e-6 && (end[1] - 1.0).abs() < 1e-6);
        let mid = slerp(&a, &b, 0.5);
        let norm = mid.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-5,
            "slerp keeps unit norm, got {norm}"
        );
        // Parallel vectors fall back to a line instead of dividing by zero.
        let same = slerp(&a, &a, 0.3);
        assert!(same.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn walk_keeps_typical_norm_and_moves_a_little() {
        let mut rng = StdRng::seed_from_u64(0);
        let z = normal(&mut rng, 1, 64);
        let next = walk_step(&z, &mut rng, 0.1);
        let norm = next.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 8.0).abs() < 1e-3);
        let dist: f32 = z
            .iter()
            .zip(&next)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f32>()
            .sqrt();
        assert!(dist > 0.0 && dist < 3.0, "moved {dist}");
    }

    #[test]
    fn grid_labels_cycle_or_fix_the_class() {
        assert_eq!(grid_labels(5, 3, None), vec![0, 1, 2, 0, 1]);
        assert_eq!(grid_labels(3, 10, Some(7)), vec![7, 7, 7]);
    }

    #[test]
    fn truncation_scales_toward_the_mean_and_refuses_bad_psi() {
        let z = batch_for_seed(3, 2, 4);
        assert_eq!(truncate(&z, 1.0).unwrap(), z);
        assert!(truncate(&z, 0.0).unwrap().iter().all(|&v| v == 0.0));
        let half = truncate(&z, 0.5).unwrap();
        assert!(half.iter().zip(&z).all(|(h, v)| (h - v * 0.5).abs() < 1e-7));
        for bad in [-0.1, 1.5, f32::NAN, f32::INFINITY] {
            let e = truncate(&z, bad).unwrap_err().to_string();
            assert!(e.contains("truncation"), "{e}");
        }
    }

    #[test]
    fn plane_has_its_corners_at_the_corners() {
        let dim = 6;
        let c = batch_for_seed(1, 4, dim);
        let (rows, cols) = (3, 5);
        let p = plane(&c, dim, rows, cols).unwrap();
        assert_eq!(p.len(), rows * cols * dim);
        let cell = |r: usize, col: usize| &p[(r * cols + col) * dim..(r * cols + col + 1) * dim];
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
        assert!(close(cell(0, 0), &c[0..dim]));
        assert!(close(cell(0, cols - 1), &c[dim..2 * dim]));
        assert!(close(cell(rows - 1, 0), &c[2 * dim..3 * dim]));
        assert!(close(cell(rows - 1, cols - 1), &c[3 * dim..4 * dim]));
        // The middle is neither corner, and stays near the corners' norms (spherical).
        let mid = cell(1, 2);
        assert!(!close(mid, &c[0..dim]));
        // Two corners: a path read row by row; three: a completed parallelogram.
        let path = plane(&c[..2 * dim], dim, 2, 2).unwrap();
        assert!(close(&path[..dim], &c[..dim]) && close(&path[3 * dim..], &c[dim..2 * dim]));
        let three = plane(&c[..3 * dim], dim, 2, 2).unwrap();
        assert!(three.iter().all(|v| v.is_finite()));
        // Refusals.
        assert!(plane(&c[..dim], dim, 2, 2).is_err());
        assert!(plane(&c, dim, 0, 2).is_err());
        assert!(plane(&c, dim, 2, MAX_PLANE_SIDE + 1).is_err());
        assert!(plane(&c[..dim + 1], dim, 2, 2).is_err());
    }
}
