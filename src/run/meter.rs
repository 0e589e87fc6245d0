//! The live quality meter: for conditional image runs that a classifier of the project fits
//! (digits), the moving-average generator draws a fixed set of latents per class and the
//! classifier reads them. Per-class readability (the share read as the class asked for), a
//! diversity figure and a FID estimate in the classifier's feature space against statistics of
//! the run's own training data (computed once, on the first reading), plus one plain sentence.
//! Both front ends use it through [`TrainingRun`]; its reads are async, so it runs on WebGPU in
//! a page as on the CPU. Its cost is bounded by [`Cadence`]: readings wait long enough that the
//! meter takes at most [`MAX_SHARE`] of the wall-clock time.

use burn::tensor::{Int, Tensor, TensorData};
use serde::Serialize;

use super::TrainingRun;
use crate::data::TrainingData;
use crate::error::{Result, WebganError};
use crate::eval::classifier::{Classifier, load_classifier};
use crate::eval::per_class_accuracy;
use crate::eval::stats::{Gaussian, class_spreads, spread_ratio};
use crate::latent;
use crate::model::ArchConfig;

/// A class is "readable" when at least this share of its samples is read as that class.
pub const READABLE: f64 = 0.9;
/// Fixed latents per class. With 10 classes the 250 latents are exactly those `webgan eval`'s
/// [`crate::eval::generate`] draws for 250 samples with seed [`METER_SEED`] (one batch).
pub const PER_CLASS: usize = 25;
/// The seed of the fixed latents: the same for every run, so readings compare across runs.
pub const METER_SEED: u64 = 0x6d65_7465;
/// Training samples (the first ones) whose features are the FID reference.
pub const REAL_SAMPLES: usize = 2000;
/// The most of the wall-clock time the meter may take.
pub const MAX_SHARE: f64 = 0.05;
/// Real images judged per device batch while the reference statistics are computed.
const REAL_BATCH: usize = 500;

/// The shipped classifier (`models/{name}.wgan`) that reads this architecture's images, if
/// any: conditional 28x28 grey images with 10 classes are digits.
pub fn classifier_for(arch: &ArchConfig) -> Option<&'static str> {
    (arch.image_shape() == Some((28, 1)) && arch.n_classes() == 10).then_some("digits-classifier")
}

/// One reading of the meter (serialised for the page and `webgan train`'s log).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeterReading {
    pub step: u64,
    /// Share of all the fixed samples read as the class asked for.
    pub readability: f64,
    /// Per class, the share read as that class.
    pub per_class: Vec<f64>,
    /// Per class, what its samples are most often read as when read wrong (itself if never).
    pub confused_with: Vec<usize>,
    /// Classes with `per_class >= READABLE`.
    pub readable_classes: usize,
    pub classes: usize,
    /// Spread of the generated features within a class over that of real ones, averaged over
    /// the classes: about 1 when as varied as the data, near 0 when a class collapses.
    pub diversity: f64,
    /// Fréchet distance in the classifier's feature space to the training data's statistics
    /// (few samples: an estimate, comparable between readings of a run).
    pub fid: f64,
    pub sentence: String,
    /// How long this reading took.
    pub ms: f64,
    /// [`MAX_SHARE`]: the most of the time readings take (the page says so).
    pub max_share: f64,
}

/// When the next reading may start: after each reading the meter waits until it would have
/// taken at most `share` of the time since the previous one ended, measured by its own clock.
#[derive(Clone, Debug)]
pub struct Cadence {
    share: f64,
    last_end_ms: Option<f64>,
    last_cost_ms: f64,
}

impl Cadence {
    pub fn new(share: f64) -> Cadence {
        Cadence {
            share: share.clamp(1e-3, 1.0),
            last_end_ms: None,
            last_cost_ms: 0.0,
        }
    }

    /// Whether a reading may start at `now_ms` (the first one at once).
    pub fn due(&self, now_ms: f64) -> bool {
        self.last_end_ms
            .is_none_or(|end| now_ms - end >= self.wait_ms())
    }

    /// The pause after a reading: cost / (cost + wait) = share.
    pub fn wait_ms(&self) -> f64 {
        self.last_cost_ms * (1.0 - self.share) / self.share
    }

    pub fn record(&mut self, start_ms: f64, end_ms: f64) {
        self.last_cost_ms = (end_ms - start_ms).max(0.0);
        self.last_end_ms = Some(end_ms);
    }
}

/// Milliseconds on a monotonic-enough clock (the page's worker has no `Instant`).
pub fn now_ms() -> f64 {
    #[cfg(target_family = "wasm")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_family = "wasm"))]
    {
        static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        EPOCH
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
}

/// What a run keeps for its meter.
pub(super) struct Meter {
    classifier: Classifier,
    z: Tensor<2>,
    labels: Tensor<1, Int>,
    label_values: Vec<i64>,
    classes: usize,
    digits: bool,
    real: Option<Reference>,
    cadence: Cadence,
}

/// The training data as the classifier sees it, computed on the first reading.
struct Reference {
    gaussian: Gaussian,
    /// Per class, the spread of real features (None for a class absent from the sample).
    spread: Vec<Option<f64>>,
}

impl TrainingRun {
    /// The shipped classifier the page and `webgan train` should give
    /// [`TrainingRun::attach_meter`] for this run, if one fits (labelled data, see
    /// [`classifier_for`]).
    pub fn meter_classifier(&self) -> Option<&'static str> {
        match &self.data {
            TrainingData::Samples(d) if d.labels.is_some() => classifier_for(&self.trainer.arch),
            _ => None,
        }
    }

    /// Loads a classifier (`.wgan` bytes) for the meter. Returns whether the meter is on: a
    /// classifier that does not read this run's images (shape, classes) leaves it off, and so
    /// do unlabelled and toy data. A file that is no classifier is an error.
    pub fn attach_meter(&mut self, classifier: &[u8]) -> Result<bool> {
        let device = self.trainer.device().clone().inner();
        let (_, config, model) = load_classifier(classifier, "the meter's classifier", &device)?;
        let arch = &self.trainer.arch;
        let labelled = matches!(&self.data, TrainingData::Samples(d) if d.labels.is_some());
        let classes = arch.n_classes();
        if !labelled
            || classes != config.n_classes
            || arch.image_shape() != Some((config.image_size, config.channels))
        {
            self.meter = None;
            return Ok(false);
        }
        let n = PER_CLASS * classes;
        let dim = arch.latent_dim();
        let label_values: Vec<i64> = (0..n).map(|i| (i % classes) as i64).collect();
        let z = latent::batch_for_seed(METER_SEED, n, dim);
        self.meter = Some(Meter {
            classifier: model,
            z: Tensor::from_data(TensorData::new(z, [n, dim]), &device),
            labels: Tensor::from_data(TensorData::new(label_values.clone(), [n]), &device),
            label_values,
            classes,
            digits: classifier_for(arch).is_some(),
            real: None,
            cadence: Cadence::new(MAX_SHARE),
        });
        Ok(true)
    }

    pub fn has_meter(&self) -> bool {
        self.meter.is_some()
    }

    /// Whether the meter should be read now to stay within [`MAX_SHARE`] (false without one).
    pub fn meter_due(&self) -> bool {
        self.meter.as_ref().is_some_and(|m| m.cadence.due(now_ms()))
    }

    /// Reads the meter now (whatever the cadence; None without a meter).
    pub async fn read_meter(&mut self) -> Result<Option<MeterReading>> {
        let start = now_ms();
        let step = self.trainer.step;
        let g = self.trainer.generator_for_inference();
        let Some(meter) = self.meter.as_mut() else {
            return Ok(None);
        };
        if meter.real.is_none() {
            let TrainingData::Samples(d) = &self.data else {
                return Err(WebganError::invalid("meter", "toy data", "has no classes"));
            };
            let n = d.len().min(REAL_SAMPLES);
            let device = meter.z.device();
            let mut features = Vec::new();
            let mut dim = 0;
            for chunk in d.samples[..n * d.sample_len].chunks(REAL_BATCH * d.sample_len) {
                let rows = chunk.len() / d.sample_len;
                let x = Tensor::from_data(
                    TensorData::new(chunk.to_vec(), [rows, d.sample_len]),
                    &device,
                );
                let j = meter.classifier.judge_async(x).await?;
                dim = j.n_features;
                features.extend(j.features);
            }
            let labels = d.labels.as_deref().unwrap_or(&[]);
            meter.real = Some(Reference {
                gaussian: Gaussian::fit(&features, dim),
                spread: class_spreads(&features, dim, &labels[..n], meter.classes),
            });
        }
        let images = g.forward(meter.z.clone(), Some(meter.labels.clone()));
        let judged = meter.classifier.judge_async(images).await?;
        let real = meter.real.as_ref().expect("computed above");
        let predicted = judged.predictions();
        let per_class = per_class_accuracy(&predicted, &meter.label_values, meter.classes);
        let confused_with = confusions(&predicted, &meter.label_values, meter.classes);
        let dim = judged.n_features;
        let finite = judged.features.iter().all(|v| v.is_finite());
        // A Fréchet distance of non-finite features has no meaning (and no eigenvectors).
        let fid = if finite {
            Gaussian::fit(&judged.features, dim).frechet(&real.gaussian)
        } else {
            f64::NAN
        };
        let spread = class_spreads(&judged.features, dim, &meter.label_values, meter.classes);
        // No class to compare (too few samples per class) reads as no variety, as a collapse.
        let diversity = spread_ratio(&spread, &real.spread).unwrap_or(0.0);
        let right = predicted
            .iter()
            .zip(&meter.label_values)
            .filter(|(p, l)| **p as i64 == **l)
            .count();
        let readable_classes = per_class.iter().filter(|&&a| a >= READABLE).count();
        let sentence = sentence(&per_class, &confused_with, meter.digits);
        let end = now_ms();
        meter.cadence.record(start, end);
        Ok(Some(MeterReading {
            step,
            readability: right as f64 / predicted.len().max(1) as f64,
            per_class,
            confused_with,
            readable_classes,
            classes: meter.classes,
            diversity,
            fid,
            sentence,
            ms: end - start,
            max_share: MAX_SHARE,
        }))
    }
}

/// Per class, the wrong class its samples are most often read as (the class itself when none
/// is read wrong).
fn confusions(predicted: &[usize], labels: &[i64], classes: usize) -> Vec<usize> {
    let mut counts = vec![vec![0usize; classes]; classes];
    for (&p, &l) in predicted.iter().zip(labels) {
        if p != l as usize && p < classes && (l as usize) < classes {
            counts[l as usize][p] += 1;
        }
    }
    counts
        .iter()
        .enumerate()
        .map(
            |(c, row)| match row.iter().enumerate().max_by_key(|(_, n)| **n) {
                Some((p, &n)) if n > 0 => p,
                _ => c,
            },
        )
        .collect()
}

/// "9 of 10 digits readable; 7s still look like 9s (62% read right)": the count of readable
/// classes and the worst class with what it is most often read as.
pub fn sentence(per_class: &[f64], confused_with: &[usize], digits: bool) -> String {
    let k = per_class.len();
    let readable = per_class.iter().filter(|&&a| a >= READABLE).count();
    let noun = if digits { "digits" } else { "classes" };
    let name = |c: usize| {
        if digits {
            format!("{c}s")
        } else {
            format!("class {c}")
        }
    };
    let Some((worst, &acc)) = per_class
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
    else {
        return format!("no {noun} to read");
    };
    let pct = (100.0 * acc).round();
    if readable == k {
        return format!(
            "all {k} {noun} readable (each read right at least {:.0}% of the time); the \
             hardest, {}, at {pct:.0}%",
            100.0 * READABLE,
            name(worst)
        );
    }
    let look = if digits { "look" } else { "looks" };
    let seen_as = confused_with.get(worst).copied().unwrap_or(worst);
    let tail = if seen_as == worst {
        let are = if digits { "are" } else { "is" };
        format!("{} {are} read right {pct:.0}% of the time", name(worst))
    } else {
        format!(
            "{} still {look} like {} ({pct:.0}% read right)",
            name(worst),
            name(seen_as)
        )
    };
    format!("{readable} of {k} {noun} readable; {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cadence_keeps_the_meter_to_its_share() {
        let mut c = Cadence::new(0.05);
        assert!(c.due(0.0), "the first reading is due at once");
        c.record(1000.0, 1010.0);
        // 10 ms of reading allows it again after 190 ms: 10 / 200 = 5%.
        assert!(!c.due(1010.0 + 189.0));
        assert!(c.due(1010.0 + 190.0));
        assert!((c.wait_ms() - 190.0).abs() < 1e-9);
    }

    #[test]
    fn the_sentence_names_the_worst_class_and_what_it_looks_like() {
        let mut per = vec![0.95; 10];
        per[7] = 0.6;
        let mut conf: Vec<usize> = (0..10).collect();
        conf[7] = 9;
        assert_eq!(
            sentence(&per, &conf, true),
            "9 of 10 digits readable; 7s still look like 9s (60% read right)"
        );
        let s = sentence(&[0.97; 10], &conf, true);
        assert!(s.starts_with("all 10 digits readable"), "{s}");
        assert_eq!(confusions(&[1, 1, 2, 0], &[0, 0, 0, 1], 3), vec![1, 0, 2]);
        assert_eq!(
            sentence(&[0.5, 1.0], &[0, 1], false),
            "1 of 2 classes readable; class 0 is read right 50% of the time"
        );
    }
}
