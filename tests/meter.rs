//! The live quality meter (`run::meter`) on tiny runs, natively on the CPU: its figures are in
//! range and complete, and they are what `webgan eval`'s own code computes from the exported
//! generator on the same latents. (tests/web.rs compares WebGPU with the CPU in a browser.)

mod common;

use webgan::block_on;
use webgan::data::Dataset;
use webgan::eval::{self, classifier::load_classifier, stats::Gaussian};
use webgan::inference::Sampler;
use webgan::run::meter::{self, METER_SEED, PER_CLASS, READABLE, REAL_SAMPLES};
use webgan::run::{MeterReading, TrainingRun};
use webgan::shipped;
use webgan::spec::TrainSpec;

/// How far the meter may be from eval's code on the exported generator: the export keeps f32
/// weights and the same latents go through the same classifier, so only the order of float
/// operations differs (host upload vs the generator's output on the device).
const FID_RELATIVE_TOLERANCE: f64 = 1e-3;
/// Per class, at most one of PER_CLASS samples may be read differently (a sample on the
/// boundary between two classes may flip with rounding).
const CLASS_TOLERANCE: f64 = 1.0 / PER_CLASS as f64 + 1e-9;

/// 60 28x28 grey "digits" in 10 classes (a bright quadrant pattern per class).
fn digits_like() -> Dataset {
    let (samples, labels) = common::fake_real_batch(60, 28, 10);
    Dataset {
        name: "digits-like".into(),
        samples,
        labels: Some(labels),
        sample_len: 28 * 28,
        channels: 1,
    }
}

fn tiny_digits_run() -> TrainingRun {
    let spec =
        TrainSpec::from_json(r#"{"preset":"digits","width":8,"latent_dim":8,"batch_size":8}"#)
            .unwrap();
    let mut run = TrainingRun::new(&spec, Some(digits_like()), &common::cpu()).unwrap();
    block_on(run.step(3)).unwrap();
    run
}

fn digits_classifier() -> &'static [u8] {
    shipped::classifier("digits-classifier").expect("shipped")
}

fn check_ranges(r: &MeterReading) {
    assert_eq!(r.classes, 10);
    assert_eq!(r.per_class.len(), 10, "a figure for every class");
    assert_eq!(r.confused_with.len(), 10);
    assert!((0.0..=1.0).contains(&r.readability), "{r:?}");
    assert!(r.per_class.iter().all(|a| (0.0..=1.0).contains(a)), "{r:?}");
    assert!(r.confused_with.iter().all(|&c| c < 10), "{r:?}");
    let readable = r.per_class.iter().filter(|&&a| a >= READABLE).count();
    assert_eq!(r.readable_classes, readable);
    // The overall share is the mean of the classes' (each has PER_CLASS samples).
    let mean = r.per_class.iter().sum::<f64>() / 10.0;
    assert!((r.readability - mean).abs() < 1e-9, "{r:?}");
    assert!(r.fid.is_finite() && r.fid >= 0.0, "{r:?}");
    assert!(r.diversity.is_finite() && r.diversity >= 0.0, "{r:?}");
    assert!(r.ms >= 0.0);
    // One plain sentence naming how many digits are readable.
    let s = &r.sentence;
    assert!(!s.contains('\n') && !s.is_empty(), "{s}");
    assert!(
        s.starts_with(&format!("{readable} of 10 digits readable"))
            || (readable == 10 && s.starts_with("all 10 digits readable")),
        "{s}"
    );
}

#[test]
fn a_digits_run_has_a_meter_whose_figures_are_in_range_and_repeat() {
    let mut run = tiny_digits_run();
    assert_eq!(run.meter_classifier(), Some("digits-classifier"));
    assert!(!run.has_meter() && !run.meter_due());
    assert!(block_on(run.read_meter()).unwrap().is_none());
    assert!(run.attach_meter(digits_classifier()).unwrap());
    assert!(
        run.has_meter() && run.meter_due(),
        "the first reading is due at once"
    );

    let first = block_on(run.read_meter()).unwrap().unwrap();
    check_ranges(&first);
    assert_eq!(first.step, 3);
    // Fixed latents and fixed real statistics: without training, the same figures.
    let again = block_on(run.read_meter()).unwrap().unwrap();
    assert_eq!(
        (
            &again.per_class,
            again.fid,
            again.diversity,
            &again.sentence
        ),
        (
            &first.per_class,
            first.fid,
            first.diversity,
            &first.sentence
        )
    );
    // Training moves the generator, so the figures follow it.
    block_on(run.step(5)).unwrap();
    let later = block_on(run.read_meter()).unwrap().unwrap();
    check_ranges(&later);
    assert_eq!(later.step, 8);
    assert_ne!(later.fid, first.fid);
}

#[test]
fn the_meter_agrees_with_evals_code_on_the_exported_generator() {
    let device = common::cpu();
    let mut run = tiny_digits_run();
    assert!(run.attach_meter(digits_classifier()).unwrap());
    let reading = block_on(run.read_meter()).unwrap().unwrap();

    // What `webgan eval` does, through its own functions: the exported generator on
    // eval::generate's latents (the meter's, for the same seed and count), judged by the
    // classifier, against the statistics of the first training samples.
    let sampler = Sampler::load(
        &block_on(run.export_generator()).unwrap(),
        "export",
        &device,
    )
    .unwrap();
    let (fake, labels) = eval::generate(&sampler, PER_CLASS * 10, METER_SEED).unwrap();
    let (_, _, classifier) = load_classifier(digits_classifier(), "classifier", &device).unwrap();
    let judged = classifier.judge(&fake, &device).unwrap();
    let per_class = eval::per_class_accuracy(&judged.predictions(), &labels, 10);
    let data = digits_like();
    let n = data.len().min(REAL_SAMPLES);
    let real = classifier
        .judge(&data.samples[..n * data.sample_len], &device)
        .unwrap();
    let dim = judged.n_features;
    let fid = Gaussian::fit(&judged.features, dim).frechet(&Gaussian::fit(&real.features, dim));

    for (c, (m, e)) in reading.per_class.iter().zip(&per_class).enumerate() {
        assert!(
            (m - e).abs() <= CLASS_TOLERANCE,
            "class {c}: meter {m}, eval {e}"
        );
    }
    assert!(
        (reading.fid - fid).abs() <= FID_RELATIVE_TOLERANCE * fid.max(1.0),
        "meter FID {}, eval's {fid}",
        reading.fid
    );
}

#[test]
fn runs_no_classifier_reads_have_no_meter() {
    let device = common::cpu();
    // A toy run, and 16x16 images with 3 classes: the digits classifier reads neither.
    let ring = TrainSpec::from_json(r#"{"preset":"ring"}"#).unwrap();
    let small =
        TrainSpec::from_json(r#"{"preset":"digits","width":8,"latent_dim":8,"batch_size":8}"#)
            .unwrap();
    for mut run in [
        TrainingRun::new(&ring, None, &device).unwrap(),
        TrainingRun::new(&small, Some(common::squares(8)), &device).unwrap(),
    ] {
        assert_eq!(run.meter_classifier(), None);
        assert!(!run.attach_meter(digits_classifier()).unwrap());
        assert!(!run.has_meter() && !run.meter_due());
        assert!(block_on(run.read_meter()).unwrap().is_none());
    }
    // Unlabelled 28x28 digits train an unconditional model: no class to read them against.
    let mut unlabelled = digits_like();
    unlabelled.labels = None;
    let mut run = TrainingRun::new(&small, Some(unlabelled), &device).unwrap();
    assert_eq!(run.arch().n_classes(), 0);
    assert_eq!(run.meter_classifier(), None);
    assert!(!run.attach_meter(digits_classifier()).unwrap());
    // A file that is no classifier is refused, not ignored.
    let mut run = tiny_digits_run();
    let e = run
        .attach_meter(shipped::model("digits").unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a classifier"), "{e}");
    assert!(!run.has_meter());
}

#[test]
fn the_sentence_is_built_from_the_readable_threshold() {
    let mut per = vec![1.0; 10];
    per[3] = READABLE - 0.01;
    let mut confused: Vec<usize> = (0..10).collect();
    confused[3] = 5;
    let s = meter::sentence(&per, &confused, true);
    assert!(
        s.starts_with("9 of 10 digits readable; 3s still look like 5s"),
        "{s}"
    );
    per[3] = READABLE;
    assert!(meter::sentence(&per, &confused, true).starts_with("all 10 digits readable"));
}
