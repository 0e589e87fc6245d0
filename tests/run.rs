//! The one training run both front ends drive (`run::TrainingRun`), natively on the CPU: the
//! same code the Train view runs in a worker on WebGPU (tests/web.rs runs it there) and that
//! `webgan train` loops over (tests/cli.rs).

mod common;

use webgan::block_on;
use webgan::data::Dataset;
use webgan::inference::Sampler;
use webgan::presets::Preset;
use webgan::run::{Quality, TrainingRun};
use webgan::spec::TrainSpec;

fn spec(json: &str) -> TrainSpec {
    TrainSpec::from_json(json).unwrap()
}

/// 8 squares of 16x16 grey, three classes.
fn squares() -> Dataset {
    common::squares(8)
}

const SMALL_DIGITS: &str = r#"{"preset":"digits","width":8,"latent_dim":8,"batch_size":8}"#;

#[test]
fn the_ring_is_learned_and_the_quality_figure_says_so() {
    let device = common::cpu();
    let mut t = TrainingRun::new(&spec(r#"{"preset":"ring"}"#), None, &device).unwrap();
    let before = block_on(t.quality()).unwrap();
    for _ in 0..24 {
        block_on(t.step(50)).unwrap();
    }
    assert_eq!(t.steps(), 1200);
    let after = block_on(t.quality()).unwrap();
    let Quality::Toy {
        modes_covered,
        high_quality,
        collapsed,
        ..
    } = after
    else {
        panic!("{after:?}")
    };
    assert!(
        modes_covered >= 6 && high_quality > 0.4 && !collapsed,
        "{before:?} -> {after:?}"
    );
    // D's decision surface: a probability per cell.
    let map = block_on(t.heatmap(16, 3.0)).unwrap();
    assert_eq!(map.len(), 256);
    assert!(map.iter().all(|p| (0.0..=1.0).contains(p)));
    assert_eq!(block_on(t.samples()).unwrap().len(), 2 * 512);
}

#[test]
fn data_decides_the_image_shape_and_must_fit_the_spec() {
    let device = common::cpu();
    let t = TrainingRun::new(&spec(SMALL_DIGITS), Some(squares()), &device).unwrap();
    let s = t.spec();
    assert_eq!(
        (s.image_size, s.channels, s.n_classes),
        (Some(16), Some(1), Some(3))
    );
    assert_eq!(t.watched_columns(), 3, "one column per class");

    let no_data = TrainingRun::new(&spec(SMALL_DIGITS), None, &device);
    assert!(
        no_data
            .err()
            .unwrap()
            .to_string()
            .contains("needs a data set")
    );
    let toy_with_data = TrainingRun::new(&spec(r#"{"preset":"ring"}"#), Some(squares()), &device);
    assert!(toy_with_data.is_err());
    let clash = r#"{"preset":"digits","width":8,"batch_size":8,"image_size":28}"#;
    let e = TrainingRun::new(&spec(clash), Some(squares()), &device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("image_size") && e.contains("16"), "{e}");
    let mut few = squares();
    few.samples.truncate(4 * 256);
    few.labels.as_mut().unwrap().truncate(4);
    let e = TrainingRun::new(&spec(SMALL_DIGITS), Some(few), &device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("fewer than one batch"), "{e}");
}

#[test]
fn image_training_lowers_d_loss_and_exports_what_both_front_ends_load() {
    let device = common::cpu();
    let mut t = TrainingRun::new(&spec(SMALL_DIGITS), Some(squares()), &device).unwrap();
    // One fixed batch (8 squares): D's loss on it falls as D learns it.
    let first = block_on(t.step(1)).unwrap().d_loss;
    let later = block_on(t.step(30)).unwrap().d_loss;
    assert!(later < first, "D loss {first} -> {later}");

    let generator = block_on(t.export_generator()).unwrap();
    let sampler = Sampler::load(&generator, "export", &device).unwrap();
    assert_eq!(sampler.arch(), t.arch());
    assert_eq!(sampler.manifest.provenance["preset"], "digits");

    // Natively the checkpoint carries Adam: the resumed run continues exactly.
    assert!(t.checkpoints_keep_optimizer());
    let checkpoint = block_on(t.export_checkpoint()).unwrap();
    let mut resumed = TrainingRun::resume(&checkpoint, "export", Some(squares()), &device).unwrap();
    assert_eq!(resumed.steps(), 31);
    assert!(resumed.provenance["optimizer"].contains("restored"));
    assert_eq!(resumed.spec(), t.spec());
    assert_eq!(
        block_on(resumed.step(2)).unwrap(),
        block_on(t.step(2)).unwrap(),
        "same losses after resuming"
    );
    assert_eq!(
        block_on(resumed.samples()).unwrap(),
        block_on(t.samples()).unwrap(),
        "the same moving average after resuming"
    );
    let q = block_on(t.quality()).unwrap();
    assert!(
        matches!(q, Quality::Images { real_diversity, .. } if real_diversity > 0.0),
        "{q:?}"
    );
    let e = TrainingRun::resume(&checkpoint, "export", None, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("data set again"), "{e}");
}

#[test]
fn every_preset_resolves_within_the_limits() {
    for preset in Preset::ALL {
        TrainSpec::preset(preset)
            .resolve()
            .unwrap_or_else(|e| panic!("{preset:?}: {e}"));
    }
}
