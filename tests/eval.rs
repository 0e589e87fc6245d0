//! The quality bar of the shipped digits model, measured with the project's own classifier,
//! and the evaluation's refusals. (The full report is `webgan eval`; see the README.)

use webgan::burn::module::{Module, ModuleMapper, Param};
use webgan::burn::tensor::{Device, Tensor};
use webgan::eval::{self, classifier::Classifier};
use webgan::inference::Sampler;
use webgan::weights::{self, Precision};
use webgan::{WebganError, shipped};

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

#[test]
fn shipped_digits_are_the_class_they_were_asked_for() {
    // 400 digits, 40 per class: the full eval (10,000) measures 97.0%; a broken or swapped
    // model falls far below this bar.
    let device = Device::flex();
    let sampler = Sampler::load(shipped::model("digits").unwrap(), "digits", &device).unwrap();
    let (fake, labels) = eval::generate(&sampler, 400, 77).unwrap();
    let predicted = classifier("digits", &device)
        .judge(&fake, &device)
        .unwrap()
        .predictions();
    let mut right = [0usize; 10];
    for (p, l) in predicted.iter().zip(&labels) {
        right[*l as usize] += usize::from(*p as i64 == *l);
    }
    let accuracy = right.iter().sum::<usize>() as f64 / 400.0;
    assert!(
        accuracy >= 0.94,
        "conditional accuracy {accuracy}: {right:?} of 40 each"
    );
    assert!(
        right.iter().all(|&r| r >= 30),
        "a class fell below 75%: {right:?} of 40 each"
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
