//! The page's training engine (`live`), natively on the CPU: the same code the Train view
//! runs in a worker on WebGPU (tests/web.rs runs it there).

mod common;

use webgan::inference::Sampler;
use webgan::live::{LiveOptions, LiveQuality, LiveTrainer, block_on};

fn options(json: &str) -> LiveOptions {
    serde_json::from_str(json).unwrap()
}

#[test]
fn the_ring_is_learned_live_and_the_quality_figure_says_so() {
    let device = common::cpu();
    let mut t = LiveTrainer::new(options(r#"{"data":"ring"}"#), &device).unwrap();
    let before = block_on(t.quality()).unwrap();
    for _ in 0..24 {
        block_on(t.step(50)).unwrap();
    }
    assert_eq!(t.steps(), 1200);
    let after = block_on(t.quality()).unwrap();
    let LiveQuality::Toy {
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
fn divergence_is_an_error_and_rolls_back_to_the_last_good_weights() {
    let device = common::cpu();
    let mut t = LiveTrainer::new(options(r#"{"data":"ring"}"#), &device).unwrap();
    block_on(t.step(5)).unwrap();
    let good = block_on(t.samples()).unwrap();
    t.inject_nan();
    let e = block_on(t.step(3)).unwrap_err().to_string();
    assert!(e.contains("diverged") && e.contains("NaN"), "{e}");
    assert_eq!(t.steps(), 5, "the step count rolls back too");
    assert_eq!(block_on(t.samples()).unwrap(), good);
    // Training goes on from the good weights.
    let v = block_on(t.step(2)).unwrap();
    assert!(v.d_loss.is_finite() && t.steps() == 7);
}

#[test]
fn absurd_options_are_refused_with_the_field_named() {
    let device = common::cpu();
    for (json, field) in [
        (r#"{"batch_size":0}"#, "batch_size"),
        (r#"{"lr_g":-1}"#, "lr_g"),
        (r#"{"lr_d":5}"#, "lr_d"),
        (r#"{"d_steps":0}"#, "d_steps"),
        (r#"{"d_steps":50}"#, "d_steps"),
        (r#"{"data":"cats"}"#, "data"),
        (r#"{"latent_dim":0}"#, "latent_dim"),
        (r#"{"data":"images","image_size":30}"#, "image_size"),
    ] {
        let e = LiveTrainer::new(options(json), &device)
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains(field)),
            "{json}: {e:?}"
        );
    }
    assert!(
        serde_json::from_str::<LiveOptions>(r#"{"batch":64}"#).is_err(),
        "unknown field"
    );
}

#[test]
fn digits_training_lowers_d_loss_and_exports_what_the_generate_view_loads() {
    let device = common::cpu();
    let json =
        r#"{"data":"images","image_size":16,"channels":1,"n_classes":3,"width":8,"batch_size":8}"#;
    let mut t = LiveTrainer::new(options(json), &device).unwrap();
    assert!(block_on(t.step(1)).is_err(), "no data yet");
    // One fixed batch (8 squares): D's loss on it falls as D learns it.
    let (x, y) = common::fake_real_batch(8, 16, 3);
    assert!(t.set_images(x.clone(), None).is_err(), "labels missing");
    assert!(
        t.set_images(vec![2.0; 256 * 8], Some(y.clone())).is_err(),
        "out of range"
    );
    t.set_images(x, Some(y)).unwrap();
    let first = block_on(t.step(1)).unwrap().d_loss;
    let later = block_on(t.step(30)).unwrap().d_loss;
    assert!(later < first, "D loss {first} -> {later}");

    let generator = block_on(t.export_generator()).unwrap();
    let sampler = Sampler::load(&generator, "export", &device).unwrap();
    assert_eq!(sampler.arch(), t.arch());
    let checkpoint = block_on(t.export_checkpoint()).unwrap();
    let resumed = LiveTrainer::resume(&checkpoint, "export", &device).unwrap();
    assert_eq!(resumed.steps(), 31);
    assert_eq!(
        block_on(resumed.samples()).unwrap(),
        block_on(t.samples()).unwrap()
    );
    let q = block_on(t.quality()).unwrap();
    assert!(
        matches!(q, LiveQuality::Images { real_diversity, .. } if real_diversity > 0.0),
        "{q:?}"
    );
}
