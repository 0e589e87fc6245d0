//! The generator's moving average: it is the average it claims to be, step by step, it is
//! what sampling and exports use, checkpoints carry it exactly, older checkpoints without it
//! still load, and with decay 0 it is the generator itself.

mod common;

use webgan::inference::Sampler;
use webgan::latent;
use webgan::model::Generator;
use webgan::train::{GanTrainer, TrainConfig};
use webgan::weights::{self, FileKind, Manifest};

/// Every float tensor of a generator (weights and batch norm's running statistics), read back.
fn tensors(g: &Generator) -> Vec<Vec<f32>> {
    common::float_tensors(g)
}

fn trainer(config: TrainConfig) -> GanTrainer {
    GanTrainer::new(common::tiny_image_arch(), config, &common::cpu()).unwrap()
}

fn manifest(t: &GanTrainer) -> Manifest {
    Manifest::new(FileKind::Checkpoint, t.arch.clone(), "test-squares", t.step)
}

/// Bit-for-bit equality (so -0.0 vs 0.0 or NaNs would not pass), reporting the first
/// difference rather than every value.
fn assert_same(got: &[Vec<f32>], expected: &[Vec<f32>], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: tensor count");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert_eq!(g.len(), e.len(), "{what}: tensor {i} size");
        if let Some(j) = (0..g.len()).find(|&j| g[j].to_bits() != e[j].to_bits()) {
            panic!("{what}: tensor {i}[{j}] is {} not {}", g[j], e[j]);
        }
    }
}

#[test]
fn the_average_is_the_closed_form_of_the_generators_weights() {
    // 0.3 caps the warm-up from the fourth update on: both regimes are checked.
    let decay = 0.3;
    let mut t = trainer(common::tiny_config().with_ema_decay(decay));
    let mut expected = tensors(&t.live_generator_for_inference());
    assert_same(&tensors(t.ema()), &expected, "at the start, the generator");
    for n in 0..6u64 {
        common::train_on_squares(&mut t, 1);
        let beta = decay.min((1.0 + n as f64) / (10.0 + n as f64));
        let (keep, take) = (beta as f32, (1.0 - beta) as f32);
        let live = tensors(&t.live_generator_for_inference());
        for (e, g) in expected.iter_mut().zip(&live) {
            for (e, g) in e.iter_mut().zip(g) {
                *e = *e * keep + *g * take;
            }
        }
        let got = tensors(t.ema());
        assert_eq!(got.len(), live.len());
        assert_same(&got, &expected, &format!("after update {n}"));
        assert_ne!(got, live, "the average lags the generator");
    }
    // Batch norm's running statistics are averaged too, not copied from the generator.
    let running_mean = |g: &Generator| match g {
        Generator::Image(g) => g
            .project_norm
            .running_mean
            .value()
            .into_data()
            .try_to_vec::<f32>(),
        Generator::Toy(_) => panic!("an image generator"),
    };
    let (average, live) = (
        running_mean(t.ema()).unwrap(),
        running_mean(&t.live_generator_for_inference()).unwrap(),
    );
    assert!(average.iter().any(|v| *v != 0.0), "{average:?}");
    assert_ne!(average, live);
}

#[test]
fn sampling_and_exports_use_the_average() {
    let mut t = trainer(common::tiny_config());
    assert_eq!(t.config.ema_decay, 0.999, "on by default for image models");
    common::train_on_squares(&mut t, 3);
    let device = common::cpu();
    let z = latent::batch_for_seed(4, 6, 8);
    let labels = Some(vec![0, 1, 2, 0, 1, 2]);
    let gen_of = |g: Generator| {
        Sampler::from_generator(manifest(&t), g, &device)
            .generate(z.clone(), labels.clone())
            .unwrap()
    };
    let average = gen_of(t.generator_for_inference());
    assert_ne!(average, gen_of(t.live_generator_for_inference()));
    // A checkpoint samples as its run did.
    let ckpt = weights::save_checkpoint(&t, &manifest(&t)).unwrap();
    let loaded = Sampler::load(&ckpt, "ckpt", &device).unwrap();
    assert_eq!(loaded.generate(z.clone(), labels.clone()).unwrap(), average);
}

#[test]
fn a_checkpoint_carries_the_average_and_resumes_it_exactly() {
    let mut straight = trainer(common::tiny_config().with_ema_decay(0.9));
    common::train_on_squares(&mut straight, 3);
    let native = weights::save_checkpoint(&straight, &manifest(&straight)).unwrap();
    let browser = webgan::block_on(weights::save_checkpoint_weights_async(
        &straight,
        &manifest(&straight),
    ))
    .unwrap();
    let (_, mut resumed, _) =
        weights::load_checkpoint(&native, "ckpt", &common::cpu(), true).unwrap();
    let (_, from_browser, _) =
        weights::load_checkpoint(&browser, "ckpt", &common::cpu(), false).unwrap();
    let saved = tensors(straight.ema());
    assert_same(&tensors(resumed.ema()), &saved, "loaded");
    assert_same(
        &tensors(from_browser.ema()),
        &saved,
        "loaded from the browser's file",
    );
    assert_ne!(saved, tensors(&straight.live_generator_for_inference()));
    common::train_on_squares(&mut straight, 3);
    common::train_on_squares(&mut resumed, 3);
    let average = tensors(straight.ema());
    assert_same(&tensors(resumed.ema()), &average, "average, resumed");
    let live = tensors(&straight.live_generator_for_inference());
    let resumed_live = tensors(&resumed.live_generator_for_inference());
    assert_same(&resumed_live, &live, "generator, resumed");
}

/// The bytes of a `.wgan` file with its manifest JSON replaced (the layout is documented in
/// `weights`: magic, version, manifest length, manifest, sections).
fn with_manifest(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut json: serde_json::Value = serde_json::from_slice(&bytes[12..12 + len]).unwrap();
    edit(&mut json);
    let json = serde_json::to_vec(&json).unwrap();
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[12 + len..]);
    out
}

#[test]
fn checkpoints_from_before_the_average_load_and_train_as_they_did() {
    // Such a file: none of the settings added since in its manifest, no average section
    // (with decay 0 none is written).
    let mut t = trainer(common::tiny_config().with_ema_decay(0.0));
    common::train_on_squares(&mut t, 2);
    let current = weights::save_checkpoint(&t, &manifest(&t)).unwrap();
    let old = with_manifest(&current, |m| {
        let train = m["train"].as_object_mut().unwrap();
        train.remove("ema_decay").unwrap();
        train.remove("augment").unwrap();
        train.remove("spectral_norm").unwrap();
        train.remove("aux_weight").unwrap();
        train.remove("r1_weight").unwrap();
        m["arch"]
            .as_object_mut()
            .unwrap()
            .remove("d_width_factor")
            .unwrap();
    });
    let text = String::from_utf8_lossy(&old);
    for added in [
        "ema_decay",
        "augment",
        "spectral_norm",
        "aux_weight",
        "r1_weight",
        "d_width",
    ] {
        assert!(!text.contains(added), "{added}");
    }
    let (m, mut resumed, _) = weights::load_checkpoint(&old, "old", &common::cpu(), true).unwrap();
    let settings = m.train.unwrap();
    assert_eq!(settings.ema_decay, 0.0, "older runs had no average");
    assert!(settings.augment.is_empty(), "nor augmentations");
    assert!(!settings.spectral_norm, "nor spectral normalisation");
    assert_eq!(
        (settings.aux_weight, settings.r1_weight),
        (0.0, 0.0),
        "nor D's classifier or R1"
    );
    assert_eq!(m.arch, t.arch, "D as wide as G");
    // Without the section the average starts as the generator.
    let live = tensors(&t.live_generator_for_inference());
    assert_same(&tensors(resumed.ema()), &live, "average of an old file");
    common::train_on_squares(&mut resumed, 1);
    common::train_on_squares(&mut t, 1);
    assert_same(&tensors(resumed.ema()), &tensors(t.ema()), "trained on");
}

#[test]
fn decay_zero_makes_the_average_the_generator() {
    let mut t = trainer(common::tiny_config().with_ema_decay(0.0));
    common::train_on_squares(&mut t, 3);
    let live = tensors(&t.live_generator_for_inference());
    assert_same(&tensors(t.ema()), &live, "stored average");
    assert_same(
        &tensors(&t.generator_for_inference()),
        &live,
        "sampled generator",
    );
}

#[test]
fn decays_outside_the_limits_are_refused() {
    for bad in [1.0, 1.5, -0.1, f64::NAN] {
        let e = GanTrainer::new(
            common::tiny_image_arch(),
            common::tiny_config().with_ema_decay(bad),
            &common::cpu(),
        )
        .err()
        .expect("refused");
        assert!(e.to_string().contains("ema_decay"), "{bad}: {e}");
    }
}
