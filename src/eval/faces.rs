//! Faces for evaluation: UTKFace crops with the labels their file names carry
//! (`<age>_<gender>_<race>_<date>.jpg.chip.jpg`), split once into the classifier's training
//! faces and held-out faces, and the faces report.

use std::path::Path;

use burn::tensor::Device;

use super::balance::{Balance, Shares, shares};
use super::classifier::Classifier;
use super::stats::Gaussian;
use super::{Memorisation, Report, check_pairing, generate, memorisation};
use crate::data::Dataset;
use crate::data::images::to_floats;
use crate::error::{Result, WebganError};
use crate::inference::Sampler;

/// Gender (2) x age bracket (5): ten classes that make the classifier learn what faces look
/// like across the data set's range. Class = gender * BRACKETS + bracket.
pub const CLASSES: usize = GENDERS.len() * BRACKETS;
/// UTKFace's gender field: 0 male, 1 female.
const GENDERS: [&str; 2] = ["male", "female"];
/// Upper ages (inclusive) of every bracket but the last.
const AGE_BRACKETS: [u32; 4] = [12, 25, 40, 60];
pub const BRACKETS: usize = AGE_BRACKETS.len() + 1;

/// The class of a UTKFace file name, or None when the name lacks valid age and gender.
pub fn class_of(name: &str) -> Option<i64> {
    let mut parts = name.split('_');
    let age: u32 = parts.next()?.parse().ok()?;
    let gender: i64 = parts.next()?.parse().ok()?;
    if gender > 1 {
        return None;
    }
    let bracket = AGE_BRACKETS.iter().filter(|&&b| age > b).count() as i64;
    Some(gender * BRACKETS as i64 + bracket)
}

/// The classifier's probability that a face is male, and its expected age bracket (0 for
/// 0-12 up to 4 for 61+: the brackets as an ordinal, weighted by their probabilities), from its
/// [`CLASSES`] probabilities of one face.
pub fn male_and_age(probs: &[f32]) -> (f64, f64) {
    let mut male = 0.0;
    let mut age = 0.0;
    for (class, &p) in probs.iter().enumerate().take(CLASSES) {
        let p = p as f64;
        if class / BRACKETS == 0 {
            male += p;
        }
        age += p * (class % BRACKETS) as f64;
    }
    (male, age)
}

/// "0-12", "13-25", ..., "61+".
pub fn bracket_names() -> Vec<String> {
    (0..BRACKETS)
        .map(|b| {
            let low = if b == 0 { 0 } else { AGE_BRACKETS[b - 1] + 1 };
            match AGE_BRACKETS.get(b) {
                Some(high) => format!("{low}-{high}"),
                None => format!("{low}+"),
            }
        })
        .collect()
}

/// The classifier's predicted classes on generated and on real faces, with their gender and
/// age-bracket marginals.
pub fn balance(predicted: &[usize], real_predicted: &[usize]) -> Balance {
    let brackets = bracket_names();
    let labels = (0..CLASSES)
        .map(|c| format!("{} {}", GENDERS[c / BRACKETS], brackets[c % BRACKETS]))
        .collect();
    let classes = Shares::compare(
        labels,
        shares(predicted, CLASSES),
        shares(real_predicted, CLASSES),
    );
    let gender = classes.marginal(GENDERS.map(String::from).to_vec(), |c| c / BRACKETS);
    let age = classes.marginal(brackets, |c| c % BRACKETS);
    Balance {
        classes,
        gender: Some(gender),
        age: Some(age),
    }
}

/// Every 10th face by a hash of its name is held out: a split that does not depend on the
/// order of files on disk.
pub fn held_out(name: &str) -> bool {
    let hash = name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    hash % 10 == 0
}

/// (classifier-training faces, held-out faces), labelled, at `size` px, channels-last RGB.
pub fn load_split(dir: &Path, size: usize, limit: Option<usize>) -> Result<(Dataset, Dataset)> {
    let entries = std::fs::read_dir(dir).map_err(|e| WebganError::io(dir, e))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.to_ascii_lowercase().ends_with(".jpg"))
        .collect();
    names.sort();
    if let Some(l) = limit {
        names.truncate(l);
    }
    let empty = |name: &str| Dataset {
        name: name.into(),
        samples: Vec::new(),
        labels: Some(Vec::new()),
        sample_len: size * size * 3,
        channels: 3,
    };
    let (mut train, mut held) = (
        empty("faces (classifier training split)"),
        empty("faces (held out)"),
    );
    for name in names {
        let Some(class) = class_of(&name) else {
            continue;
        };
        let Ok(img) = image::open(dir.join(&name)) else {
            continue;
        };
        let target = if held_out(&name) {
            &mut held
        } else {
            &mut train
        };
        target.samples.extend(to_floats(&img, size, 3));
        target.labels.as_mut().expect("labelled").push(class);
    }
    if train.is_empty() || held.is_empty() {
        return Err(WebganError::bad_data(
            dir.display().to_string(),
            "needs UTKFace-named JPEGs (<age>_<gender>_...) in both the training and the \
             held-out split",
        ));
    }
    Ok((train, held))
}

/// Halves the side of channels-last images by averaging 2x2 blocks.
pub fn pool2(samples: &[f32], size: usize, channels: usize) -> Vec<f32> {
    let half = size / 2;
    let mut out = Vec::with_capacity(samples.len() / 4);
    for img in samples.chunks_exact(size * size * channels) {
        for y in 0..half {
            for x in 0..half {
                for c in 0..channels {
                    let at = |yy: usize, xx: usize| img[(yy * size + xx) * channels + c];
                    out.push(
                        (at(2 * y, 2 * x)
                            + at(2 * y, 2 * x + 1)
                            + at(2 * y + 1, 2 * x)
                            + at(2 * y + 1, 2 * x + 1))
                            / 4.0,
                    );
                }
            }
        }
    }
    out
}

/// `n` indices (at most `len`) spread evenly over 0..len. The floor's faces are picked this
/// way because the split is in file-name order, which is age order: its first 970 faces are
/// nearly all aged 10 to 18, and against them the held-out faces (every age) sat at FID 81.5,
/// where faces spread over the split sit at 7.6.
fn spread(len: usize, n: usize) -> impl Iterator<Item = usize> {
    let n = n.min(len);
    (0..n).map(move |i| i * len / n)
}

/// The faces report. `train`/`held` come from [`load_split`] at the generator's size; the
/// classifier judges them at `classifier_size` (pooled down by 2x steps).
pub fn evaluate_faces(
    sampler: &Sampler,
    classifier: &Classifier,
    classifier_size: usize,
    train: &Dataset,
    held: &Dataset,
    device: &Device,
) -> Result<Report> {
    let (size, _) = sampler.arch().image_shape().unwrap_or((0, 0));
    let pool = (size / classifier_size.max(1)).max(1);
    check_pairing(sampler, (classifier_size, 3), pool)?;
    let shrink = |s: &[f32]| {
        let mut v = s.to_vec();
        let mut side = size;
        while side > classifier_size {
            v = pool2(&v, side, 3);
            side /= 2;
        }
        v
    };
    // Equal counts on both sides of each FID, so the floor and the score share their bias.
    let n = held.len();
    let (fake, _) = generate(sampler, n, 2000)?;
    let judged_fake = classifier.judge(&shrink(&fake), device)?;
    let judged_held = classifier.judge(&shrink(&held.samples), device)?;
    let floor_faces: Vec<f32> = spread(train.len(), n)
        .flat_map(|i| train.samples[i * train.sample_len..][..train.sample_len].to_vec())
        .collect();
    let judged_train = classifier.judge(&shrink(&floor_faces), device)?;
    let dim = judged_fake.n_features;
    let held_gauss = Gaussian::fit(&judged_held.features, dim);
    let fid = Gaussian::fit(&judged_fake.features, dim).frechet(&held_gauss);
    let fid_floor = Gaussian::fit(&judged_train.features, dim).frechet(&held_gauss);
    let held_small = Dataset {
        samples: shrink(&held.samples),
        sample_len: classifier_size * classifier_size * 3,
        ..held.clone()
    };
    let classifier_accuracy = classifier.accuracy(&held_small, device)?;
    let balance = balance(&judged_fake.predictions(), &judged_held.predictions());
    // Distances to the classifier's training split: held-out faces are distinct photos, so
    // their distances are what "new face" looks like; a copy would sit far closer.
    let memorisation: Memorisation = memorisation(&fake, train, held, 500, device)?;
    Ok(Report {
        kind: "faces".into(),
        samples: n,
        classifier_accuracy,
        fid,
        fid_floor,
        fid_ratio: fid / fid_floor.max(1e-12),
        classes_covered: balance.classes.covered(),
        classes_total: CLASSES,
        balance,
        memorisation,
        ..Report::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_sample_spans_the_whole_split() {
        let picked: Vec<usize> = spread(10, 4).collect();
        assert_eq!(picked, [0, 2, 5, 7]);
        assert_eq!(spread(3, 5).collect::<Vec<_>>(), [0, 1, 2]);
        let many: Vec<usize> = spread(8810, 970).collect();
        assert_eq!((many.len(), many[0]), (970, 0));
        assert!(
            *many.last().unwrap() >= 8810 - 10,
            "reaches the end of the split"
        );
    }

    #[test]
    fn utkface_names_become_gender_and_age_classes() {
        assert_eq!(class_of("1_0_0_20161219140623097.jpg.chip.jpg"), Some(0));
        assert_eq!(
            class_of("30_1_2_20170116172911130.jpg.chip.jpg"),
            Some(5 + 2)
        );
        assert_eq!(class_of("85_0_3_x.jpg.chip.jpg"), Some(4));
        assert_eq!(class_of("61_3_20170109150557335.jpg.chip.jpg"), None);
        assert_eq!(class_of("garbage.jpg"), None);
    }

    #[test]
    fn balance_splits_the_classes_into_gender_and_age() {
        // Generated: all male 13-25 (class 1); real: half male 13-25, half female 61+ (9).
        let b = balance(&[1, 1, 1, 1], &[1, 9, 1, 9]);
        let gender = b.gender.unwrap();
        assert_eq!(gender.labels, ["male", "female"]);
        assert_eq!(gender.generated, [1.0, 0.0]);
        assert_eq!(gender.real, [0.5, 0.5]);
        assert_eq!(gender.tv, 0.5);
        let age = b.age.unwrap();
        assert_eq!(age.labels, ["0-12", "13-25", "26-40", "41-60", "61+"]);
        assert_eq!(age.generated, [0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(age.real, [0.0, 0.5, 0.0, 0.0, 0.5]);
        assert_eq!(b.classes.labels[9], "female 61+");
        assert_eq!(b.classes.tv, 0.5);
        // The labels name the classes that class_of gives the file names.
        let c = class_of("70_1_0_x.jpg.chip.jpg").unwrap() as usize;
        assert_eq!(b.classes.labels[c], "female 61+");
    }

    #[test]
    fn probabilities_become_male_and_an_expected_bracket() {
        let mut p = [0.0f32; CLASSES];
        // Half male 0-12, half female 61+.
        p[0] = 0.5;
        p[CLASSES - 1] = 0.5;
        assert_eq!(male_and_age(&p), (0.5, 2.0));
        let c = class_of("45_0_0_x.jpg.chip.jpg").unwrap() as usize;
        let mut q = [0.0f32; CLASSES];
        q[c] = 1.0;
        assert_eq!(male_and_age(&q), (1.0, 3.0), "a 45-year-old man");
    }

    #[test]
    fn pooling_averages_blocks() {
        let img: Vec<f32> = (0..16).map(|v| v as f32).collect();
        assert_eq!(pool2(&img, 4, 1), vec![2.5, 4.5, 10.5, 12.5]);
    }
}
