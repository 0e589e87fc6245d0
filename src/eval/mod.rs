//! `webgan eval`: how good is a generator, measured by the project's own classifier.
//!
//! Digits: classifier test accuracy; FID in the classifier's feature space between generated
//! digits and MNIST test, with real-vs-real (MNIST train vs test) as the floor; an
//! Inception-Score analogue; per-class conditional accuracy; class coverage; and a
//! nearest-neighbour memorisation check against the training set.
//! Both: the balance of the classifier's predicted classes on generated vs real images.
//! Faces: the classifier predicts gender x age bracket from UTKFace file names; FID in its
//! feature space between generated faces and held-out faces the classifier never saw, with
//! real-vs-real (training-split faces vs held-out faces, same count) as the floor.

//!
//! The classifier, the Fréchet distance and [`per_class_accuracy`] build for the page too:
//! the Train view's live quality meter (`run::meter`) uses them. The rest is the CLI's.

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub mod balance;
pub mod classifier;
#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub mod faces;
pub mod stats;

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
use {
    crate::data::Dataset,
    crate::error::{Result, WebganError},
    crate::inference::Sampler,
    crate::latent,
    crate::model::ArchConfig,
    balance::{Balance, Shares},
    burn::tensor::Device,
    classifier::Classifier,
    serde::Serialize,
    stats::{
        Gaussian, class_spreads, inception_score, median, nearest_distances, quantile, spread_ratio,
    },
};

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// Everything `webgan eval` reports; printed last as one JSON line.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub kind: String,
    pub samples: usize,
    pub classifier_accuracy: f64,
    pub fid: f64,
    pub fid_floor: f64,
    /// fid / fid_floor.
    pub fid_ratio: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inception_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inception_score_real: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_class_accuracy: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_class_accuracy: Option<f64>,
    /// Variety within each class: the spread of the generated samples of a class in the
    /// classifier's features over the spread of the real test images of that class, averaged
    /// over classes (1: as varied as real digits). What the live meter calls diversity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_class_diversity: Option<f64>,
    /// Classes that get at least half their real share of the generated samples.
    pub classes_covered: usize,
    pub classes_total: usize,
    /// Predicted classes on generated vs real images (for faces also gender and age).
    pub balance: Balance,
    pub memorisation: Memorisation,
}

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// Nearest-neighbour distances (pixel space, L2) to the training set: generated samples that
/// sit much closer to a training image than real unseen images do would be copies.
#[derive(Debug, Default, Serialize)]
pub struct Memorisation {
    pub checked: usize,
    pub median_nn_generated: f32,
    pub median_nn_real_unseen: f32,
    /// Generated samples closer to a training image than 99% of unseen real images are.
    pub fraction_suspiciously_close: f32,
}

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// Checks that the classifier judges images of the generator's shape.
pub fn check_pairing(
    sampler: &Sampler,
    classifier_shape: (usize, usize),
    pool: usize,
) -> Result<()> {
    let Some((size, channels)) = sampler.arch().image_shape() else {
        return Err(WebganError::ArchitectureMismatch(
            "eval measures image generators; this one makes 2-D points (its quality figure is \
             the mode coverage `webgan train` prints)"
                .into(),
        ));
    };
    if (size / pool, channels) != classifier_shape {
        return Err(WebganError::ArchitectureMismatch(format!(
            "the classifier judges {0}x{0}x{1} images, the generator makes {2}x{2}x{3}",
            classifier_shape.0, classifier_shape.1, size, channels
        )));
    }
    Ok(())
}

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// Generates `n` samples in batches; conditional models cycle through the classes
/// (sample i has class i % classes) and the labels are returned.
pub fn generate(sampler: &Sampler, n: usize, seed: u64) -> Result<(Vec<f32>, Vec<i64>)> {
    let classes = sampler.arch().n_classes();
    let labels: Vec<i64> = (0..n).map(|i| (i % classes.max(1)) as i64).collect();
    let mut out = Vec::new();
    for (b, chunk) in labels.chunks(250).enumerate() {
        let z = latent::batch_for_seed(
            seed.wrapping_add(b as u64),
            chunk.len(),
            sampler.latent_dim(),
        );
        let l = (classes > 0).then(|| chunk.to_vec());
        out.extend(sampler.generate(z, l)?);
    }
    Ok((out, labels))
}

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// The digits report: `train` is MNIST train (memorisation reference and FID floor), `test`
/// MNIST test (FID reference, classifier accuracy).
pub fn evaluate_digits(
    sampler: &Sampler,
    classifier: &Classifier,
    train: &Dataset,
    test: &Dataset,
    n: usize,
    device: &Device,
) -> Result<Report> {
    check_pairing(sampler, (28, 1), 1)?;
    let classes = sampler.arch().n_classes();
    let (fake, labels) = generate(sampler, n, 1000)?;
    let judged_fake = classifier.judge(&fake, device)?;
    let judged_test = classifier.judge(&test.samples, device)?;
    // The floor: as many training digits as test digits, through the same classifier.
    let floor_n = test.len().min(train.len());
    let judged_train = classifier.judge(&train.samples[..floor_n * train.sample_len], device)?;
    let dim = judged_fake.n_features;
    let test_gauss = Gaussian::fit(&judged_test.features, dim);
    let fid = Gaussian::fit(&judged_fake.features, dim).frechet(&test_gauss);
    let fid_floor = Gaussian::fit(&judged_train.features, dim).frechet(&test_gauss);
    let pred = judged_fake.predictions();
    let n_classes = judged_fake.n_classes;
    // The generated digits cycle through the classes as the page's "mixed" grid does.
    let balance = Balance {
        classes: Shares::compare(
            (0..n_classes).map(|c| c.to_string()).collect(),
            balance::shares(&pred, n_classes),
            balance::shares(&judged_test.predictions(), n_classes),
        ),
        ..Balance::default()
    };
    let classifier_accuracy = classifier.accuracy(test, device)?;

    let (mut conditional, mut per_class, mut min_class) = (None, Vec::new(), None);
    let mut diversity = None;
    if classes > 0 {
        diversity = test.labels.as_deref().and_then(|test_labels| {
            spread_ratio(
                &class_spreads(&judged_fake.features, dim, &labels, classes),
                &class_spreads(&judged_test.features, dim, test_labels, classes),
            )
        });
        let right: usize = pred
            .iter()
            .zip(&labels)
            .filter(|(p, l)| **p as i64 == **l)
            .count();
        per_class = per_class_accuracy(&pred, &labels, classes);
        conditional = Some(right as f64 / n.max(1) as f64);
        min_class = per_class.iter().cloned().reduce(f64::min);
    }
    let memorisation = memorisation(&fake, train, test, 1000, device)?;
    Ok(Report {
        kind: "digits".into(),
        samples: n,
        classifier_accuracy,
        fid,
        fid_floor,
        fid_ratio: fid / fid_floor.max(1e-12),
        inception_score: Some(inception_score(&judged_fake.probs, judged_fake.n_classes)),
        inception_score_real: Some(inception_score(&judged_test.probs, judged_test.n_classes)),
        conditional_accuracy: conditional,
        per_class_accuracy: per_class,
        min_class_accuracy: min_class,
        within_class_diversity: diversity,
        classes_covered: balance.classes.covered(),
        classes_total: n_classes,
        balance,
        memorisation,
    })
}

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// Nearest-neighbour check of up to `max` generated samples and as many unseen real ones.
pub fn memorisation(
    fake: &[f32],
    train: &Dataset,
    unseen: &Dataset,
    max: usize,
    device: &Device,
) -> Result<Memorisation> {
    let len = train.sample_len;
    let k = max.min(fake.len() / len).min(unseen.len());
    let gen_nn = nearest_distances(&fake[..k * len], &train.samples, len, device)?;
    let real_nn = nearest_distances(&unseen.samples[..k * len], &train.samples, len, device)?;
    let p1 = quantile(&real_nn, 0.01);
    Ok(Memorisation {
        checked: k,
        median_nn_generated: median(&gen_nn),
        median_nn_real_unseen: median(&real_nn),
        fraction_suspiciously_close: gen_nn.iter().filter(|&&d| d < p1).count() as f32
            / k.max(1) as f32,
    })
}

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
/// The `ArchConfig` a classifier file records: the images it judges.
pub fn classifier_arch(config: &classifier::ClassifierConfig) -> ArchConfig {
    ArchConfig::Image(
        crate::model::ImageGanConfig::new()
            .with_image_size(config.image_size)
            .with_channels(config.channels)
            .with_n_classes(config.n_classes),
    )
}

/// For each class, the share of the samples asked for it (`labels`) that the classifier
/// predicted (`predicted`) as that class: conditional accuracy, class by class.
pub fn per_class_accuracy(predicted: &[usize], labels: &[i64], classes: usize) -> Vec<f64> {
    let mut right = vec![0usize; classes];
    let mut total = vec![0usize; classes];
    for (&p, &l) in predicted.iter().zip(labels) {
        if let Some(t) = total.get_mut(l as usize) {
            *t += 1;
            right[l as usize] += usize::from(p as i64 == l);
        }
    }
    right
        .iter()
        .zip(&total)
        .map(|(&r, &t)| r as f64 / t.max(1) as f64)
        .collect()
}
