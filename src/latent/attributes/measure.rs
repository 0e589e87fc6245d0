//! Do the attribute edits work? The faces classifier reads random faces moved along each
//! attribute's edit direction, step by step: the mean predicted age bracket should rise
//! monotonically along "age", "gender" should carry each face's predicted gender across 0.5,
//! and each slider should change its own attribute several times more than the other.
//! `webgan attributes` prints this report; `tests/attributes.rs` holds bars under it.

use serde::Serialize;

use super::Attributes;
use super::fit::spearman;
use super::judge::{FaceJudge, Traits};
use crate::error::{Result, WebganError};
use crate::inference::Sampler;
use crate::latent;

/// The edit steps of the report: z moved by -3 to +3 along a unit direction (a latent's
/// score along any unit vector has standard deviation 1 under the prior, so ±3 spans it).
pub const STEPS: [f32; 7] = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];

/// What moving along one attribute does.
#[derive(Debug, Serialize)]
pub struct SliderReport {
    pub attribute: String,
    /// Mean expected age bracket (0 = 0-12 … 4 = 61+) at each step.
    pub mean_age: Vec<f64>,
    /// Mean probability of "male" at each step.
    pub mean_male: Vec<f64>,
    /// Spearman's rank correlation of the steps with `mean_age` (age) or `mean_male` (gender).
    pub spearman: f64,
    /// Mean |change| per face from the first step to the last, of its own attribute and of the
    /// other, each in units of that attribute's standard deviation over the unedited faces
    /// (so age brackets and probabilities compare).
    pub own_change: f64,
    pub other_change: f64,
    /// own_change / other_change: the strict figure, which counts every face's change of the
    /// other attribute, systematic or not.
    pub selectivity: f64,
    /// |mean change| from the first step to the last, own and other, in the same units: the
    /// systematic part of each change (faces whose reading of the other attribute moves up
    /// and down at random cancel here).
    pub own_shift: f64,
    pub other_shift: f64,
    /// own_shift / other_shift.
    pub shift_selectivity: f64,
    /// Faces whose predicted gender is on opposite sides of 0.5 at the first and the last step,
    /// in the direction of the edit (female at the low end, male at the high end for gender).
    pub gender_flips: f64,
}

#[derive(Debug, Serialize)]
pub struct EditReport {
    pub faces: usize,
    pub seed: u64,
    pub steps: Vec<f32>,
    pub sliders: Vec<SliderReport>,
}

impl EditReport {
    pub fn slider(&self, name: &str) -> Option<&SliderReport> {
        self.sliders.iter().find(|s| s.attribute == name)
    }
}

fn std_dev(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = v.clone().count().max(1) as f64;
    let mean = v.clone().sum::<f64>() / n;
    (v.map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

/// Moves `faces` random latents (seed `seed`) along the age and gender directions at `steps`
/// and reads every face with `judge`.
pub fn measure(
    sampler: &Sampler,
    judge: &FaceJudge,
    attributes: &Attributes,
    faces: usize,
    seed: u64,
    steps: &[f32],
) -> Result<EditReport> {
    if !(2..=10_000).contains(&faces) || steps.len() < 2 || steps.len() > 64 {
        return Err(WebganError::invalid(
            "faces",
            format!("{faces} faces, {} steps", steps.len()),
            "the report takes 2 to 10,000 faces and 2 to 64 steps",
        ));
    }
    let dim = sampler.latent_dim();
    let base = latent::batch_for_seed(seed, faces, dim);
    let unedited = judge.judge(sampler, &base)?;
    let spread_age = std_dev(unedited.iter().map(|t| t.age)).max(1e-9);
    let spread_male = std_dev(unedited.iter().map(|t| t.male)).max(1e-9);
    let mut sliders = Vec::new();
    for (name, other) in [("age", "gender"), ("gender", "age")] {
        attributes.find(other)?;
        let mut z = Vec::with_capacity(steps.len() * base.len());
        for &s in steps {
            z.extend(attributes.shift(&base, &[(name.to_string(), s)])?);
        }
        // [step][face]
        let read = judge.judge(sampler, &z)?;
        let at = |step: usize| &read[step * faces..(step + 1) * faces];
        let mean =
            |step: usize, f: fn(&Traits) -> f64| at(step).iter().map(f).sum::<f64>() / faces as f64;
        let mean_age: Vec<f64> = (0..steps.len()).map(|s| mean(s, |t| t.age)).collect();
        let mean_male: Vec<f64> = (0..steps.len()).map(|s| mean(s, |t| t.male)).collect();
        let x: Vec<f64> = steps.iter().map(|&s| s as f64).collect();
        let change = |f: fn(&Traits) -> f64, spread: f64| {
            let (first, last) = (at(0), at(steps.len() - 1));
            first
                .iter()
                .zip(last)
                .map(|(a, b)| (f(b) - f(a)).abs())
                .sum::<f64>()
                / faces as f64
                / spread
        };
        let age_change = change(|t| t.age, spread_age);
        let male_change = change(|t| t.male, spread_male);
        let last = steps.len() - 1;
        let age_shift = (mean_age[last] - mean_age[0]).abs() / spread_age;
        let male_shift = (mean_male[last] - mean_male[0]).abs() / spread_male;
        let (own, other_change, own_shift, other_shift, curve) = if name == "age" {
            (age_change, male_change, age_shift, male_shift, &mean_age)
        } else {
            (male_change, age_change, male_shift, age_shift, &mean_male)
        };
        let flips = at(0)
            .iter()
            .zip(at(steps.len() - 1))
            .filter(|(a, b)| a.male < 0.5 && b.male > 0.5)
            .count() as f64
            / faces as f64;
        sliders.push(SliderReport {
            attribute: name.into(),
            spearman: spearman(&x, curve),
            mean_age,
            mean_male,
            own_change: own,
            other_change,
            selectivity: own / other_change.max(1e-12),
            own_shift,
            other_shift,
            shift_selectivity: own_shift / other_shift.max(1e-12),
            gender_flips: flips,
        });
    }
    Ok(EditReport {
        faces,
        seed,
        steps: steps.to_vec(),
        sliders,
    })
}
