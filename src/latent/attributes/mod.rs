//! Attribute directions: latent directions with a name, "older" or "more masculine", found the
//! way InterFaceGAN (Shen et al., CVPR 2020) finds them. Sample latents, generate their faces,
//! label each with the project's faces classifier (its probability of "male"; the age bracket
//! as an ordinal, the expected bracket under its probabilities), fit a linear boundary per
//! attribute in z, and edit along its unit normal. Age and gender go together in the data
//! (the classifier's brackets and genders are not independent), so each edit direction is its
//! normal with the other's projected out (conditional manipulation): moving along "older"
//! leaves the gender boundary's score exactly where it was, and the other way round.
//!
//! `stored` is the form a weights file carries (plain data, in every build); the fit
//! (`fit`), the labelling (`judge`) and the measurement of the edits (`measure`) run natively:
//! they need the classifier and thousands of generated faces, too much for a page, which uses
//! the stored directions only.

pub mod fit;
pub mod stored;

pub use stored::{Attribute, Attributes};

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub mod judge;
#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub mod measure;

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub use native::*;

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
mod native {
    use super::fit::{self, Linear};
    use super::judge::{FaceJudge, Traits};
    use super::{Attribute, Attributes};
    use crate::error::{Result, WebganError};
    use crate::inference::Sampler;
    use crate::latent;

    /// Latents sampled and labelled by `webgan export`.
    pub const EXPORT_SAMPLES: usize = 10_000;
    /// Latents when a file has none stored and they are computed on load (CLI only).
    pub const ON_LOAD_SAMPLES: usize = 2_000;
    /// Seed of the sampled latents: the same file always gets the same directions.
    pub const SEED: u64 = 0xa77_1b5;
    /// The last fifth of the latents is held out to say how well each boundary fits.
    const HELD_OUT_SHARE: f64 = 0.2;

    /// How the age boundary is fitted.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
    pub enum AgeFit {
        /// Least squares on the expected age bracket.
        Linear,
        /// Logistic regression of older vs younger than the median expected bracket.
        Median,
    }

    /// The age fit `webgan export` uses. Both were measured (`webgan attributes --recompute
    /// --age-fit …`, models/README.md): least squares on the expected bracket uses every
    /// face's graded age, where the median split throws away all but its side.
    pub const AGE_FIT: AgeFit = AgeFit::Linear;

    /// Fits the faces attributes of `sampler` from `samples` latents labelled by `judge`.
    pub fn compute(
        sampler: &Sampler,
        judge: &FaceJudge,
        samples: usize,
        age_fit: AgeFit,
    ) -> Result<Attributes> {
        let dim = sampler.latent_dim();
        if samples < 4 * dim || samples > 200_000 {
            return Err(WebganError::invalid(
                "samples",
                samples,
                format!(
                    "attribute directions need 4 x latent_dim ({}) to 200,000 latents",
                    4 * dim
                ),
            ));
        }
        judge.fits(sampler)?;
        let z = latent::normal(&mut latent::rng_for(SEED, 0, 0), samples, dim);
        let traits = judge.judge(sampler, &z)?;
        let fitted = ((1.0 - HELD_OUT_SHARE) * samples as f64) as usize;
        let (fit_z, held_z) = z.split_at(fitted * dim);
        let (fit_t, held_t) = traits.split_at(fitted);

        let male: Vec<f64> = fit_t.iter().map(|t| t.male).collect();
        let gender = fit::logistic(fit_z, dim, &male).ok_or_else(|| failed("gender"))?;
        let gender_quality = side_accuracy(&gender, held_z, held_t, dim, 0.0, |t| t.male - 0.5);

        let ages: Vec<f64> = fit_t.iter().map(|t| t.age).collect();
        let (age, age_name, age_quality) = match age_fit {
            AgeFit::Linear => {
                let f = fit::linear(fit_z, dim, &ages).ok_or_else(|| failed("age"))?;
                let q = r_squared(&f, held_z, held_t, dim);
                (f, "linear", q)
            }
            AgeFit::Median => {
                let median = median(&ages);
                let older: Vec<f64> = ages.iter().map(|&a| f64::from(a > median)).collect();
                let f = fit::logistic(fit_z, dim, &older).ok_or_else(|| failed("age"))?;
                let q = side_accuracy(&f, held_z, held_t, dim, 0.0, |t| t.age - median);
                (f, "logistic (older than the median)", q)
            }
        };
        let normals = [age.unit_normal(), gender.unit_normal()];
        let [Some(age_n), Some(gender_n)] = normals else {
            return Err(failed("a boundary"));
        };
        let normals = vec![age_n, gender_n];
        let directions = fit::conditional(&normals).ok_or_else(|| failed("the projection"))?;
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
        let attribute =
            |k: usize, name: &str, low: &str, high: &str, fit: &str, q: f64| Attribute {
                name: name.into(),
                low: low.into(),
                high: high.into(),
                normal: f32s(&normals[k]),
                direction: f32s(&directions[k]),
                fit: fit.into(),
                held_out_fit: q as f32,
            };
        let out = Attributes {
            labeller: judge.name.clone(),
            samples,
            seed: SEED,
            latent_dim: dim,
            attributes: vec![
                attribute(0, "age", "younger", "older", age_name, age_quality),
                attribute(
                    1,
                    "gender",
                    "feminine",
                    "masculine",
                    "logistic",
                    gender_quality,
                ),
            ],
        };
        out.check(dim)?;
        Ok(out)
    }

    /// The attributes stored in the sampler's manifest, or computed now from
    /// [`ON_LOAD_SAMPLES`] latents with `judge` when it has none. Returns whether they were
    /// computed. Without stored ones or a judge that fits, an error says why.
    pub fn of_model(sampler: &Sampler, judge: Option<&FaceJudge>) -> Result<(Attributes, bool)> {
        if let Some(stored) = &sampler.manifest.attributes {
            stored.check(sampler.latent_dim())?;
            return Ok((stored.clone(), false));
        }
        let judge = judge.ok_or_else(|| {
            WebganError::invalid(
                "attribute",
                "this model",
                "its file stores no attribute directions and no classifier can label its images",
            )
        })?;
        judge.fits(sampler).map_err(|e| {
            WebganError::invalid(
                "attribute",
                "this model",
                format!("its file stores no attribute directions, and {e}"),
            )
        })?;
        Ok((compute(sampler, judge, ON_LOAD_SAMPLES, AGE_FIT)?, true))
    }

    fn failed(what: &str) -> WebganError {
        WebganError::invalid(
            "attributes",
            what,
            "the fit failed (too few or degenerate samples)",
        )
    }

    fn median(v: &[f64]) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(0.0)
    }

    /// The share of held-out latents whose side of the boundary (score > `at`) matches the
    /// label's side (`label(t)` > 0).
    fn side_accuracy(
        f: &Linear,
        z: &[f32],
        t: &[Traits],
        dim: usize,
        at: f64,
        label: impl Fn(&Traits) -> f64,
    ) -> f64 {
        let right = z
            .chunks_exact(dim)
            .zip(t)
            .filter(|(r, t)| (f.score(r) > at) == (label(t) > 0.0))
            .count();
        right as f64 / t.len().max(1) as f64
    }

    /// R² of the linear age fit on held-out latents.
    fn r_squared(f: &Linear, z: &[f32], t: &[Traits], dim: usize) -> f64 {
        let mean = t.iter().map(|t| t.age).sum::<f64>() / t.len().max(1) as f64;
        let (mut res, mut tot) = (0.0, 0.0);
        for (r, t) in z.chunks_exact(dim).zip(t) {
            res += (t.age - f.score(r)).powi(2);
            tot += (t.age - mean).powi(2);
        }
        1.0 - res / tot.max(f64::MIN_POSITIVE)
    }
}
