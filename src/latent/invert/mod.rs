//! "Find my digit": the latent vector (and, for a conditional model, the class) whose sample
//! best matches a given image, by gradient descent through the frozen generator (Zhu et al.,
//! 2016, "Generative Visual Manipulation on the Natural Image Manifold").
//!
//! Every candidate — each target x each class tried x each random restart — is one row of a
//! single batch, so one forward and one backward pass move them all: the generator runs in
//! inference mode (batch norm on its running statistics), so rows do not interact. Adam runs
//! on z alone, on the device; nothing is read back until [`Inversion::progress`] asks, and that
//! read is asynchronous, so the same code runs on WebGPU in a browser worker.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::{Result, WebganError};
use crate::inference::{Sampler, read_floats_async};
use crate::model::Generator;

mod config;
mod score;

use config::{BETA1, BETA2, EPSILON};
pub use config::{InvertConfig, MAX_CANDIDATES, MAX_POOL};
use score::{best_of_pools, pixel_mse};
pub use score::{closeness, rms_error};

/// The best match found so far for one target.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Best {
    /// Mean squared pixel error against the target, on the model's [-1, 1] scale.
    pub loss: f32,
    pub class: Option<usize>,
    pub z: Vec<f32>,
    /// The sample, channels-last in [-1, 1].
    pub sample: Vec<f32>,
    /// A sentence saying how close it got, for a person.
    pub message: String,
}

/// Which classes a conditional model's search tries (unconditional models have none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Classes<'a> {
    /// Every class, keeping the best: "which digit is this?".
    All,
    /// These classes for every target.
    These(&'a [usize]),
    /// One known class per target.
    PerTarget(&'a [usize]),
}

/// A running search.
pub struct Inversion {
    /// The generator on the autodiff device, parameters frozen.
    generator: Generator,
    /// The same generator on the plain device, for reading samples.
    plain: Generator,
    device: Device,
    /// [candidates, sample_len], one target row per candidate, on the autodiff device.
    targets: Tensor<2>,
    labels: Option<Tensor<1, Int>>,
    /// The same two on the plain device, for scoring without a graph.
    plain_targets: Tensor<2>,
    plain_labels: Option<Tensor<1, Int>>,
    /// Candidate i: (target, class).
    candidates: Vec<(usize, Option<usize>)>,
    /// z and Adam's moments, [candidates, latent_dim], plain device.
    z: Tensor<2>,
    m: Tensor<2>,
    v: Tensor<2>,
    n_targets: usize,
    dim: usize,
    sample_len: usize,
    config: InvertConfig,
    step: usize,
}

impl Inversion {
    /// Starts a search for `targets` (whole images, channels-last in [-1, 1], as many as fit
    /// the candidate limit), trying `classes` on a conditional model.
    pub fn new(
        sampler: &Sampler,
        targets: &[f32],
        classes: Classes<'_>,
        config: InvertConfig,
    ) -> Result<Inversion> {
        config.validate()?;
        if sampler.arch().image_shape().is_none() {
            return Err(WebganError::invalid(
                "model",
                "2-D points",
                "finding a latent for an image needs an image model",
            ));
        }
        let sample_len = sampler.arch().sample_len();
        let dim = sampler.latent_dim();
        if targets.is_empty() || !targets.len().is_multiple_of(sample_len) {
            return Err(WebganError::bad_data(
                "target",
                format!(
                    "{} values is not a whole number of images of {sample_len}",
                    targets.len()
                ),
            ));
        }
        if targets.iter().any(|v| !v.is_finite()) {
            return Err(WebganError::bad_data("target", "values must be finite"));
        }
        let n_targets = targets.len() / sample_len;
        let n_classes = sampler.arch().n_classes();
        let bad_classes = |list: &[usize], why: String| {
            Err(WebganError::invalid("classes", format!("{list:?}"), why))
        };
        // The classes tried for each target.
        let tried: Vec<Vec<Option<usize>>> = match (n_classes, classes) {
            (0, Classes::All) => vec![vec![None]; n_targets],
            (0, Classes::These(l) | Classes::PerTarget(l)) => {
                return bad_classes(l, "this model is unconditional: it has no classes".into());
            }
            (k, Classes::All) => vec![(0..k).map(Some).collect(); n_targets],
            (k, Classes::These(l)) => {
                if l.is_empty() || l.iter().any(|&c| c >= k) {
                    return bad_classes(
                        l,
                        format!("must be a non-empty list of classes in 0..{k}"),
                    );
                }
                vec![l.iter().map(|&c| Some(c)).collect(); n_targets]
            }
            (k, Classes::PerTarget(l)) => {
                if l.len() != n_targets || l.iter().any(|&c| c >= k) {
                    return bad_classes(l, format!("needs one class in 0..{k} per target"));
                }
                l.iter().map(|&c| vec![Some(c)]).collect()
            }
        };
        let mut candidates = Vec::new();
        for (t, classes) in tried.iter().enumerate() {
            for &c in classes {
                for _ in 0..config.restarts {
                    candidates.push((t, c));
                }
            }
        }
        let n = candidates.len();
        if n > MAX_CANDIDATES {
            return Err(WebganError::invalid(
                "candidates",
                n,
                format!("targets x classes x restarts must be at most {MAX_CANDIDATES}; use fewer"),
            ));
        }
        let plain_device = sampler.device().clone();
        let device = plain_device.clone().autodiff();
        let generator = sampler.generator().clone().to_device(&device).no_grad();
        let rows: Vec<f32> = candidates
            .iter()
            .flat_map(|&(t, _)| targets[t * sample_len..(t + 1) * sample_len].to_vec())
            .collect();
        let rows = TensorData::new(rows, [n, sample_len]);
        let labels: Option<Vec<i64>> = candidates
            .iter()
            .map(|&(_, c)| c.map(|c| c as i64))
            .collect();
        let labels_on = |d: &Device| {
            labels
                .clone()
                .map(|l| Tensor::from_data(TensorData::new(l, [n]), d))
        };
        let plain_targets = Tensor::from_data(rows.clone(), &plain_device);
        let plain_labels = labels_on(&plain_device);
        let z = best_of_pools(
            sampler.generator(),
            &plain_targets,
            plain_labels.as_ref(),
            config.pool,
            config.seed,
            dim,
        );
        Ok(Inversion {
            generator,
            plain: sampler.generator().clone(),
            targets: Tensor::from_data(rows.clone(), &device),
            labels: labels_on(&device),
            plain_targets,
            plain_labels,
            candidates,
            m: z.zeros_like(),
            v: z.zeros_like(),
            z,
            n_targets,
            dim,
            sample_len,
            device: plain_device,
            config,
            step: 0,
        })
    }

    pub fn steps_done(&self) -> usize {
        self.step
    }

    pub fn steps_total(&self) -> usize {
        self.config.steps
    }

    pub fn finished(&self) -> bool {
        self.step >= self.config.steps
    }

    /// Candidates searched in parallel (targets x classes x restarts).
    pub fn candidates(&self) -> usize {
        self.candidates.len()
    }

    /// Runs up to `n` Adam steps (fewer at the end of the search), pruning the candidates when
    /// the schedule says so (the only time it reads back, asynchronously). Returns the steps
    /// taken.
    pub async fn advance(&mut self, n: usize) -> Result<usize> {
        let n = n.min(self.config.steps - self.step);
        for _ in 0..n {
            if self.config.prune_after > 0
                && self.step == self.config.prune_after
                && self.config.keep > 0
                && self.candidates.len() > self.config.keep * self.n_targets
            {
                self.prune().await?;
            }
            self.adam_step();
        }
        Ok(n)
    }

    /// Keeps the `keep` best candidates of each target.
    async fn prune(&mut self) -> Result<()> {
        let (_, losses) = self.score_current().await?;
        let mut kept: Vec<usize> = Vec::new();
        for t in 0..self.n_targets {
            let mut own: Vec<usize> = (0..self.candidates.len())
                .filter(|&i| self.candidates[i].0 == t)
                .collect();
            own.sort_by(|&a, &b| losses[a].total_cmp(&losses[b]));
            kept.extend(own.into_iter().take(self.config.keep));
        }
        let n = kept.len();
        let index = |d: &Device| {
            Tensor::<1, Int>::from_data(
                TensorData::new(kept.iter().map(|&i| i as i64).collect::<Vec<_>>(), [n]),
                d,
            )
        };
        let (plain, ad) = (index(&self.device), index(&self.device.clone().autodiff()));
        self.z = self.z.clone().select(0, plain.clone());
        self.m = self.m.clone().select(0, plain.clone());
        self.v = self.v.clone().select(0, plain.clone());
        self.plain_targets = self.plain_targets.clone().select(0, plain.clone());
        self.plain_labels = self.plain_labels.take().map(|l| l.select(0, plain));
        self.targets = self.targets.clone().select(0, ad.clone());
        self.labels = self.labels.take().map(|l| l.select(0, ad));
        self.candidates = kept.iter().map(|&i| self.candidates[i]).collect();
        Ok(())
    }

    fn adam_step(&mut self) {
        let zq = Tensor::from_inner(self.z.clone()).require_grad();
        let out = self.generator.forward(zq.clone(), self.labels.clone());
        let mut loss = pixel_mse(out, self.targets.clone());
        if self.config.prior > 0.0 {
            let shell = zq.clone().powi_scalar(2).mean_dim(1).reshape([-1]) - 1.0;
            loss = loss + shell.powi_scalar(2) * self.config.prior;
        }
        // Rows are independent, so the gradient of the sum is every row's own gradient.
        let grads = loss.sum().backward();
        let g = zq
            .grad(&grads)
            .expect("z requires grad, so it has a gradient");
        self.step += 1;
        let t = self.step as i32;
        self.m = self.m.clone() * BETA1 + g.clone() * (1.0 - BETA1);
        self.v = self.v.clone() * BETA2 + g.powi_scalar(2) * (1.0 - BETA2);
        let m_hat = self.m.clone() / (1.0 - BETA1.powi(t));
        let v_hat = self.v.clone() / (1.0 - BETA2.powi(t));
        let update = m_hat / (v_hat.sqrt() + EPSILON) * self.config.lr;
        self.z = self.z.clone() - update;
    }

    /// The best candidate per target so far, with its sample, read asynchronously (the only
    /// synchronisation point; call it every few dozen steps to draw progress).
    pub async fn progress(&self) -> Result<Vec<Best>> {
        // Scored afresh at the current z (the step's own losses belong to the z before its
        // update), so the reported loss is the shown sample's.
        let (z_all, losses) = self.score_current().await?;
        let mut best: Vec<Option<usize>> = vec![None; self.n_targets];
        for (i, &(t, _)) in self.candidates.iter().enumerate() {
            let better = match best[t] {
                None => true,
                Some(b) => losses[i] < losses[b],
            };
            if better && losses[i].is_finite() {
                best[t] = Some(i);
            }
        }
        let mut picked = Vec::with_capacity(self.n_targets);
        for (t, b) in best.into_iter().enumerate() {
            let i = b.ok_or_else(|| {
                WebganError::invalid(
                    "search",
                    format!("target {t}"),
                    "every candidate's loss is NaN; try a smaller learning rate",
                )
            })?;
            picked.push(i);
        }
        let z: Vec<f32> = picked
            .iter()
            .flat_map(|&i| z_all[i * self.dim..(i + 1) * self.dim].to_vec())
            .collect();
        let labels: Option<Vec<i64>> = picked
            .iter()
            .map(|&i| self.candidates[i].1.map(|c| c as i64))
            .collect();
        let samples = self.sample(z.clone(), labels).await?;
        Ok(picked
            .iter()
            .enumerate()
            .map(|(t, &i)| Best {
                loss: losses[i],
                class: self.candidates[i].1,
                z: z[t * self.dim..(t + 1) * self.dim].to_vec(),
                sample: samples[t * self.sample_len..(t + 1) * self.sample_len].to_vec(),
                message: closeness(losses[i]),
            })
            .collect())
    }

    /// Every candidate's z and its pixel MSE now.
    async fn score_current(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let out = self
            .plain
            .forward(self.z.clone(), self.plain_labels.clone());
        let mse = pixel_mse(out, self.plain_targets.clone());
        let z = read_floats_async(self.z.clone().reshape([-1])).await?;
        let losses = read_floats_async(mse).await?;
        Ok((z, losses))
    }

    async fn sample(&self, z: Vec<f32>, labels: Option<Vec<i64>>) -> Result<Vec<f32>> {
        let n = z.len() / self.dim;
        let zt = Tensor::from_data(TensorData::new(z, [n, self.dim]), &self.device);
        let lt = labels.map(|l| Tensor::from_data(TensorData::new(l, [n]), &self.device));
        read_floats_async(self.plain.forward(zt, lt).reshape([-1])).await
    }
}

/// Runs a whole search, natively, calling `report` with the best matches every
/// `report_every` steps (and at the end). Returns the final best matches.
#[cfg(not(target_family = "wasm"))]
pub fn run_blocking(
    sampler: &Sampler,
    targets: &[f32],
    classes: Classes<'_>,
    config: InvertConfig,
    report_every: usize,
    mut report: impl FnMut(usize, &[Best]),
) -> Result<Vec<Best>> {
    let mut search = Inversion::new(sampler, targets, classes, config)?;
    let every = report_every.max(1);
    while !search.finished() {
        crate::block::block_on(search.advance(every))?;
        if !search.finished() {
            let best = crate::block::block_on(search.progress())?;
            report(search.steps_done(), &best);
        }
    }
    let best = crate::block::block_on(search.progress())?;
    report(search.steps_done(), &best);
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latent;
    use crate::presets::Preset;

    #[test]
    fn each_start_is_the_closest_of_its_own_pool() {
        let device = Device::flex();
        let arch = Preset::Digits.arch();
        let generator = Generator::new(&arch, &device);
        let (n, pool, dim, len) = (3, 5, arch.latent_dim(), arch.sample_len());
        // Targets: samples of other latents, so every pool draw has a different error.
        let z = Tensor::<2>::from_data(
            TensorData::new(
                latent::normal(&mut latent::rng_for(7, 1, 0), n, dim),
                [n, dim],
            ),
            &device,
        );
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 4, 9], [n]), &device);
        let targets = generator.forward(z, Some(labels.clone()));
        let start = best_of_pools(&generator, &targets, Some(&labels), pool, 3, dim);
        let start = start.into_data().try_to_vec::<f32>().unwrap();

        // The same draws, scored one by one.
        let draws = latent::normal(&mut latent::rng_for(3, 11, 0), n * pool, dim);
        let target_rows = targets.into_data().try_to_vec::<f32>().unwrap();
        for t in 0..n {
            let mse = |k: usize| {
                let zk = draws[(t * pool + k) * dim..(t * pool + k + 1) * dim].to_vec();
                let zk = Tensor::<2>::from_data(TensorData::new(zk, [1, dim]), &device);
                let label = Tensor::<1, Int>::from_data(
                    TensorData::new(vec![[1i64, 4, 9][t]], [1]),
                    &device,
                );
                let out = generator
                    .forward(zk, Some(label))
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap();
                let row = &target_rows[t * len..(t + 1) * len];
                out.iter()
                    .zip(row)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>()
                    / len as f32
            };
            let errors: Vec<f32> = (0..pool).map(mse).collect();
            let best = (0..pool)
                .min_by(|&a, &b| errors[a].total_cmp(&errors[b]))
                .unwrap();
            assert!(
                errors.iter().any(|&e| e > errors[best] * 1.01),
                "the draws differ: {errors:?}"
            );
            assert_eq!(
                &start[t * dim..(t + 1) * dim],
                &draws[(t * pool + best) * dim..(t * pool + best + 1) * dim],
                "target {t}: errors {errors:?}"
            );
        }
    }
}
