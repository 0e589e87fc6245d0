//! 2-D toy distributions, generated in code (the settings of GAN Lab and of the mode-collapse
//! literature: Metz et al., 2017; Srivastava et al., 2017).

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Which toy distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Toy {
    /// 8 Gaussians (std 0.05) evenly spaced on a circle of radius 1.
    Ring,
    /// 25 Gaussians (std 0.05) on a 5x5 grid spanning [-1, 1]^2.
    Grid,
    /// Two interleaved arms of a spiral, with small noise.
    Spiral,
}

pub const MODE_STD: f32 = 0.05;

impl Toy {
    pub const ALL: [Toy; 3] = [Toy::Ring, Toy::Grid, Toy::Spiral];
}

impl Toy {
    pub fn name(self) -> &'static str {
        match self {
            Toy::Ring => "ring",
            Toy::Grid => "grid",
            Toy::Spiral => "spiral",
        }
    }

    /// Mode centres (empty for the spiral, which is not a mixture).
    pub fn modes(self) -> Vec<[f32; 2]> {
        match self {
            Toy::Ring => (0..8)
                .map(|i| {
                    let a = i as f32 * std::f32::consts::TAU / 8.0;
                    [a.cos(), a.sin()]
                })
                .collect(),
            Toy::Grid => (0..25)
                .map(|i| [(i % 5) as f32 * 0.5 - 1.0, (i / 5) as f32 * 0.5 - 1.0])
                .collect(),
            Toy::Spiral => Vec::new(),
        }
    }

    /// `n` points, flattened [x0, y0, x1, y1, ...].
    pub fn sample(self, rng: &mut impl Rng, n: usize) -> Vec<f32> {
        let modes = self.modes();
        let mut out = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let noise = |rng: &mut dyn rand::RngCore| rng.sample::<f32, _>(StandardNormal);
            let (x, y) = match self {
                Toy::Ring | Toy::Grid => {
                    let m = modes[rng.random_range(0..modes.len())];
                    (m[0] + MODE_STD * noise(rng), m[1] + MODE_STD * noise(rng))
                }
                Toy::Spiral => {
                    let t: f32 = rng.random::<f32>().sqrt() * 3.0 * std::f32::consts::PI;
                    let arm = if rng.random::<bool>() {
                        0.0
                    } else {
                        std::f32::consts::PI
                    };
                    let r = t / (3.0 * std::f32::consts::PI);
                    (
                        r * (t + arm).cos() + 0.02 * noise(rng),
                        r * (t + arm).sin() + 0.02 * noise(rng),
                    )
                }
            };
            out.push(x);
            out.push(y);
        }
        out
    }
}

impl std::str::FromStr for Toy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ring" => Ok(Toy::Ring),
            "grid" => Ok(Toy::Grid),
            "spiral" => Ok(Toy::Spiral),
            _ => Err(format!("unknown toy data set {s:?}: ring, grid or spiral")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ring_points_lie_near_the_unit_circle() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let pts = Toy::Ring.sample(&mut rng, 1000);
        let mean_dev: f32 = pts
            .chunks(2)
            .map(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - 1.0).abs())
            .sum::<f32>()
            / 1000.0;
        assert!(mean_dev < 0.06, "mean distance to the ring {mean_dev}");
        assert_eq!(Toy::Grid.modes().len(), 25);
        let spiral = Toy::Spiral.sample(&mut rng, 100);
        assert!(spiral.iter().all(|v| v.abs() < 1.2));
    }
}
