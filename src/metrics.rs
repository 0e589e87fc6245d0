//! Quality figures that need no trained classifier: for 2-D toy data, how many modes the
//! generator covers and how close its points are to the data (Srivastava et al., 2017).

use crate::data::Toy;
use crate::data::toy::MODE_STD;

/// Mode coverage of generated 2-D points.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ModeCoverage {
    /// Modes that received at least 1/4 of their fair share of high-quality points.
    pub modes_covered: usize,
    pub modes_total: usize,
    /// Fraction of points within 3 standard deviations of some mode.
    pub high_quality: f32,
}

/// Coverage of `points` ([x0, y0, x1, y1, ...]) for a mixture-of-Gaussians toy set.
pub fn mode_coverage(toy: Toy, points: &[f32]) -> ModeCoverage {
    let modes = toy.modes();
    let n = points.len() / 2;
    let mut counts = vec![0usize; modes.len()];
    let mut good = 0;
    for p in points.chunks_exact(2) {
        let nearest = modes
            .iter()
            .enumerate()
            .map(|(i, m)| (i, (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, d2)) = nearest
            && d2.sqrt() < 3.0 * MODE_STD
        {
            counts[i] += 1;
            good += 1;
        }
    }
    let fair = n as f32 / modes.len().max(1) as f32;
    ModeCoverage {
        modes_covered: counts.iter().filter(|&&c| c as f32 >= fair / 4.0).count(),
        modes_total: modes.len(),
        high_quality: if n == 0 { 0.0 } else { good as f32 / n as f32 },
    }
}

/// Mean distance of points from the unit circle (the ring's radius).
pub fn mean_distance_to_ring(points: &[f32]) -> f32 {
    let n = (points.len() / 2).max(1) as f32;
    points
        .chunks_exact(2)
        .map(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - 1.0).abs())
        .sum::<f32>()
        / n
}

/// Fraction of `points` within `radius` of their nearest point in `reference` (both x,y pairs):
/// "high quality" for data without discrete modes, such as the spiral.
pub fn fraction_near(points: &[f32], reference: &[f32], radius: f32) -> f32 {
    let n = points.len() / 2;
    if n == 0 || reference.len() < 2 {
        return 0.0;
    }
    let r2 = radius * radius;
    let near = points
        .chunks_exact(2)
        .filter(|p| {
            reference
                .chunks_exact(2)
                .any(|q| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) < r2)
        })
        .count();
    near as f32 / n as f32
}

/// Mean L2 distance over all pairs of the `len`-value samples in `samples`: a cheap diversity
/// figure (a collapsed generator draws near-identical images, so its value falls towards 0).
pub fn mean_pairwise_distance(samples: &[f32], len: usize) -> f32 {
    let items: Vec<&[f32]> = samples.chunks_exact(len.max(1)).collect();
    let mut total = 0.0f64;
    let mut pairs = 0usize;
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            let d2: f32 = items[i]
                .iter()
                .zip(items[j])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            total += d2.sqrt() as f64;
            pairs += 1;
        }
    }
    if pairs == 0 {
        0.0
    } else {
        (total / pairs as f64) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn real_ring_data_covers_everything_and_a_collapsed_one_does_not() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let real = Toy::Ring.sample(&mut rng, 2000);
        let cov = mode_coverage(Toy::Ring, &real);
        assert_eq!(cov.modes_covered, 8);
        assert!(cov.high_quality > 0.95, "{cov:?}");
        assert!(mean_distance_to_ring(&real) < 0.06);

        let collapsed: Vec<f32> = (0..1000).flat_map(|_| [1.0, 0.0]).collect();
        let cov = mode_coverage(Toy::Ring, &collapsed);
        assert_eq!(cov.modes_covered, 1);
        let origin = vec![0.0; 200];
        assert!((mean_distance_to_ring(&origin) - 1.0).abs() < 1e-6);
    }
}
