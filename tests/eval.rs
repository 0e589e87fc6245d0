//! The quality bars of the shipped models, measured with the project's own classifiers,
//! the balance report on tiny data, and the evaluation's refusals. (The full report is
//! `webgan eval`; see models/README.md.)

use serde_json::Value;
use webgan::burn::module::{Module, ModuleMapper, Param};
use webgan::burn::tensor::{Device, Tensor};
use webgan::data::Dataset;
use webgan::eval::{self, classifier::Classifier, faces};
use webgan::inference::Sampler;
use webgan::weights::{self, Precision};
use webgan::{WebganError, shipped};

mod common;

fn classifier(name: &str, device: &Device) -> Classifier {
    let path = format!(
        "{}/models/{name}-classifier.wgan",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    webgan::eval::classifier::load_classifier(&bytes, &path, device)
        .unwrap()
        .2
}

/// The classifier's predicted classes for `n` samples of a shipped model (seed 77), with the
/// labels they were asked for; `faces` samples are pooled to the classifier's 32x32 first.
fn judge_shipped(name: &str, n: usize) -> (Vec<usize>, Vec<i64>) {
    let device = Device::flex();
    let sampler = Sampler::load(shipped::model(name).unwrap(), name, &device).unwrap();
    let (mut samples, labels) = eval::generate(&sampler, n, 77).unwrap();
    if name == "faces" {
        samples = faces::pool2(&samples, 64, 3);
    }
    let predicted = classifier(name, &device)
        .judge(&samples, &device)
        .unwrap()
        .predictions();
    (predicted, labels)
}

#[test]
fn shipped_digits_are_the_class_they_were_asked_for() {
    // 4,000 digits, 400 per class (seeded, so the same digits every run). The shipped model
    // (resize-convolution, D's classifier, Adam's betas (0, 0.99)) reads 98.9% right here, its
    // worst class 95.25% (the 5s); the model it replaced reads 98.4%, worst class 94.25%, and
    // fails both bars (the full eval on 10,000: 98.94% against 98.14%). A broken or swapped
    // model falls far below both.
    const PER_CLASS: usize = 400;
    let (predicted, labels) = judge_shipped("digits", 10 * PER_CLASS);
    let mut right = [0usize; 10];
    for (p, l) in predicted.iter().zip(&labels) {
        right[*l as usize] += usize::from(*p as i64 == *l);
    }
    let accuracy = right.iter().sum::<usize>() as f64 / (10 * PER_CLASS) as f64;
    eprintln!("conditional accuracy {accuracy}: {right:?} of {PER_CLASS} each");
    assert!(
        accuracy >= 0.985,
        "conditional accuracy {accuracy}: {right:?} of {PER_CLASS} each"
    );
    assert!(
        right.iter().all(|&r| r * 1000 >= 945 * PER_CLASS),
        "a class fell below 94.5%: {right:?} of {PER_CLASS} each"
    );
}

#[test]
fn shipped_faces_span_every_age_bracket_gender_and_class() {
    // 400 faces judged by the faces classifier (gender x age bracket). Measured with the
    // shipped model: age brackets 12-34%, genders 49/51%, every one of the 10 classes at least
    // 4.25% (the full eval on 970: brackets 13-33% against real 13-32%, women 57% against
    // 52%). The model shipped before (the same run at step 7,056) fails it: 2.75% of these
    // 400 are women aged 41-60. The GPU model before that drew 2.3% over 60.
    let (predicted, _) = judge_shipped("faces", 400);
    // The marginals the eval reports (its `real` side is unused here).
    let shares = faces::balance(&predicted, &predicted);
    let (age, gender, classes) = (
        shares.age.unwrap().generated,
        shares.gender.unwrap().generated,
        shares.classes.generated,
    );
    eprintln!("age brackets {age:?}, gender {gender:?}, classes {classes:?} of 400");
    assert!(
        age.iter().all(|&p| p >= 0.10),
        "an age bracket under 10%: {age:?}"
    );
    assert!(
        gender.iter().all(|&p| p >= 0.40),
        "a gender under 40%: {gender:?}"
    );
    assert!(
        classes.iter().all(|&p| p >= 0.03),
        "a gender x age class under 3%: {classes:?}"
    );
}

#[test]
fn a_classifier_refuses_a_generator_of_another_shape() {
    let device = Device::flex();
    let faces = Sampler::load(shipped::model("faces").unwrap(), "faces", &device).unwrap();
    let e = eval::check_pairing(&faces, (28, 1), 1).unwrap_err();
    assert!(matches!(e, WebganError::ArchitectureMismatch(_)), "{e}");
    assert!(
        e.to_string().contains("28x28x1") && e.to_string().contains("64x64x3"),
        "{e}"
    );
    // A generator file is not a classifier file, and says so.
    let e = webgan::eval::classifier::load_classifier(
        shipped::model("digits").unwrap(),
        "digits.wgan",
        &device,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not a classifier"), "{e}");
}

/// Scales every weight by 1.001: the shipped file is f16 already, and a model whose weights
/// are exactly f16 values would survive an f16 round trip by construction. These are f32.
struct Nudge;

impl ModuleMapper for Nudge {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, t, _) = param.consume();
        Param::initialized(id, t.mul_scalar(1.001))
    }
}

#[test]
fn half_precision_files_are_half_the_size_and_generate_the_same_digits() {
    let device = Device::flex();
    let bytes = shipped::model("digits").unwrap();
    let (manifest, generator) = weights::load_generator(bytes, "digits", &device).unwrap();
    let generator = generator.map(&mut Nudge);
    let f32_file = weights::save_generator_as(&generator, &manifest, Precision::F32).unwrap();
    let f16_file = weights::save_generator_as(&generator, &manifest, Precision::F16).unwrap();
    let ratio = f16_file.len() as f64 / f32_file.len() as f64;
    assert!((0.45..0.55).contains(&ratio), "f16/f32 size ratio {ratio}");
    let f32_sampler = Sampler::load(&f32_file, "f32", &device).unwrap();
    let f16_sampler = Sampler::load(&f16_file, "f16", &device).unwrap();
    let (a, _) = eval::generate(&f32_sampler, 200, 3).unwrap();
    let (b, _) = eval::generate(&f16_sampler, 200, 3).unwrap();
    let max_diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    // f16 keeps 11 significant bits: the pixels move a little, never a lot.
    assert!(
        max_diff > 0.0 && max_diff < 0.05,
        "max pixel difference {max_diff}"
    );
    let judge = classifier("digits", &device);
    let classes_a = judge.judge(&a, &device).unwrap().predictions();
    let classes_b = judge.judge(&b, &device).unwrap().predictions();
    let same = classes_a
        .iter()
        .zip(&classes_b)
        .filter(|(x, y)| x == y)
        .count();
    assert!(
        same >= 196,
        "only {same} of 200 digits kept their class at f16"
    );
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// One balance table of the report's JSON: `categories` labels, generated and real shares
/// that are fractions summing to 1, and their total-variation distance.
fn check_shares(s: &Value, categories: usize) -> (Vec<f64>, Vec<f64>, f64) {
    assert_eq!(s["labels"].as_array().unwrap().len(), categories, "{s}");
    let (generated, real) = (floats(&s["generated"]), floats(&s["real"]));
    for shares in [&generated, &real] {
        assert_eq!(shares.len(), categories, "{s}");
        assert!(shares.iter().all(|x| (0.0..=1.0).contains(x)), "{s}");
        let sum: f64 = shares.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "shares sum to {sum}: {s}");
    }
    let tv = s["tv"].as_f64().unwrap();
    let half_l1: f64 = 0.5
        * generated
            .iter()
            .zip(&real)
            .map(|(g, r)| (g - r).abs())
            .sum::<f64>();
    assert!(
        (0.0..=1.0).contains(&tv) && (tv - half_l1).abs() < 1e-9,
        "{s}"
    );
    (generated, real, tv)
}

/// 20 real digits: a vertical bar whose position is the label, in [-1, 1]; the second of each
/// class a row longer, so that every class varies.
fn bar_digits() -> Dataset {
    let n = 20;
    let mut samples = vec![-1.0f32; n * 784];
    for i in 0..n {
        for r in 4..24 + i / 10 {
            samples[i * 784 + r * 28 + 4 + 2 * (i % 10)] = 1.0;
        }
    }
    Dataset {
        name: "bars".into(),
        samples,
        labels: Some((0..n as i64).map(|i| i % 10).collect()),
        sample_len: 784,
        channels: 1,
    }
}

#[test]
fn digits_balance_compares_predicted_class_shares() {
    let device = Device::flex();
    let sampler = Sampler::load(shipped::model("digits").unwrap(), "digits", &device).unwrap();
    let data = bar_digits();
    let report = eval::evaluate_digits(
        &sampler,
        &classifier("digits", &device),
        &data,
        &data,
        50,
        &device,
    )
    .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let b = &json["balance"];
    let (generated, real, _) = check_shares(&b["classes"], 10);
    // Digits have classes only; gender and age are faces' attributes.
    assert!(b.get("gender").is_none() && b.get("age").is_none(), "{b}");
    let covered = generated
        .iter()
        .zip(&real)
        .filter(|(g, r)| *g >= &(0.5 * *r))
        .count();
    assert_eq!(
        json["classes_covered"].as_u64().unwrap() as usize,
        covered,
        "{json}"
    );
    // The conditional accuracy stays next to the balance, and the variety within classes.
    assert!(json["conditional_accuracy"].as_f64().is_some(), "{json}");
    let diversity = json["within_class_diversity"].as_f64().unwrap();
    assert!(diversity > 0.0 && diversity.is_finite(), "{json}");
}

/// UTKFace-named JPEGs (`<age>_<gender>_<race>_<date>.jpg.chip.jpg`) across every age bracket
/// and both genders; their colours differ so the classifier's predictions do too.
fn write_tiny_faces(dir: &std::path::Path) {
    for i in 0..60u32 {
        let (age, gender) = (5 + (i * 7) % 80, i % 2);
        let img = image::RgbImage::from_fn(16, 16, |x, y| {
            image::Rgb([(x * 16) as u8, (y * 16) as u8, (i * 4) as u8])
        });
        img.save(dir.join(format!("{age}_{gender}_0_2017{i:04}.jpg.chip.jpg")))
            .unwrap();
    }
}

#[test]
fn faces_balance_reports_gender_and_age_next_to_the_joint_classes() {
    let device = Device::flex();
    let dir = common::tmp("eval", "faces");
    write_tiny_faces(&dir);
    let sampler = Sampler::load(shipped::model("faces").unwrap(), "faces", &device).unwrap();
    let (train, held) = faces::load_split(&dir, 64, None).unwrap();
    let report = faces::evaluate_faces(
        &sampler,
        &classifier("faces", &device),
        32,
        &train,
        &held,
        &device,
    )
    .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let b = &json["balance"];
    let (joint_g, joint_r, joint_tv) = check_shares(&b["classes"], faces::CLASSES);
    let (gender_g, gender_r, gender_tv) = check_shares(&b["gender"], 2);
    let (age_g, age_r, age_tv) = check_shares(&b["age"], 5);
    // The marginals are sums over the joint classes (class = gender * 5 + bracket) ...
    for (shares, joint) in [(&gender_g, &joint_g), (&gender_r, &joint_r)] {
        for (g, share) in shares.iter().enumerate() {
            let sum: f64 = joint[g * 5..g * 5 + 5].iter().sum();
            assert!((share - sum).abs() < 1e-9, "{b}");
        }
    }
    for (shares, joint) in [(&age_g, &joint_g), (&age_r, &joint_r)] {
        for (a, share) in shares.iter().enumerate() {
            assert!((share - (joint[a] + joint[a + 5])).abs() < 1e-9, "{b}");
        }
    }
    // ... so neither can be further from real than the joint distribution is.
    assert!(
        gender_tv <= joint_tv + 1e-12 && age_tv <= joint_tv + 1e-12,
        "{b}"
    );
    assert_eq!(report.samples, held.len());
    std::fs::remove_dir_all(&dir).ok();
}
