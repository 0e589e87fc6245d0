//! Spectral normalisation of the discriminator (`model::spectral`): it holds each weight's
//! largest singular value near 1 (measured against an independent estimate), its state is
//! saved in checkpoints and resumes the same run bit for bit, it trains with every loss and on
//! the 2-D models, and it is off for checkpoints written before it existed.

mod common;

use common::float_tensors as tensors;

use webgan::burn::tensor::Tensor;
use webgan::loss::GanLoss;
use webgan::model::Discriminator;
use webgan::train::{GanTrainer, TrainConfig};
use webgan::weights::{self, FileKind, Manifest};

fn trainer(config: TrainConfig) -> GanTrainer {
    GanTrainer::new(common::tiny_image_arch(), config, &common::cpu()).unwrap()
}

fn manifest(t: &GanTrainer) -> Manifest {
    Manifest::new(FileKind::Checkpoint, t.arch.clone(), "test-squares", t.step)
}

/// The largest singular value of a matrix, by 2,000 power steps on W^T W in f64: an estimate
/// independent of the one under test.
fn top_singular_value(w: &Tensor<2>) -> f64 {
    let [rows, cols] = w.dims();
    let w: Vec<f64> = w.clone().into_data().convert::<f64>().try_to_vec().unwrap();
    let mut v = vec![1.0 / (cols as f64).sqrt(); cols];
    let mut sigma = 0.0;
    for _ in 0..2000 {
        let wv: Vec<f64> = (0..rows)
            .map(|r| (0..cols).map(|c| w[r * cols + c] * v[c]).sum())
            .collect();
        sigma = wv.iter().map(|x| x * x).sum::<f64>().sqrt();
        let wtwv: Vec<f64> = (0..cols)
            .map(|c| (0..rows).map(|r| w[r * cols + c] * wv[r]).sum())
            .collect();
        let norm = wtwv.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-30);
        v = wtwv.iter().map(|x| x / norm).collect();
    }
    sigma
}

#[test]
fn each_normalised_weight_has_a_top_singular_value_near_one() {
    let mut t = trainer(common::tiny_config().with_spectral_norm(true));
    common::train_on_squares(&mut t, 30);
    let weights = t.discriminator.normalised_weights();
    // The 16x16 model's two convolutions (16 -> 8 -> 4), its head and its class projection.
    assert_eq!(
        weights.len(),
        4,
        "every weight of the conditional D is normalised"
    );
    for (i, w) in weights.iter().enumerate() {
        let sigma = top_singular_value(w);
        assert!(
            (sigma - 1.0).abs() < 0.05,
            "weight {i}: top singular value {sigma}"
        );
    }
    // Without normalisation the same weights are far from 1: the test measures something.
    let mut plain = trainer(common::tiny_config());
    common::train_on_squares(&mut plain, 30);
    assert!(plain.discriminator.normalised_weights().is_empty());
    let Discriminator::Image(d) = &plain.discriminator else {
        panic!("an image model")
    };
    let first = d.downs[0].weight.val();
    let [rows, ..] = first.dims();
    let sigma = top_singular_value(&first.reshape([rows as i64, -1]));
    assert!((sigma - 1.0).abs() > 0.3, "an unnormalised weight: {sigma}");
}

#[test]
fn a_checkpoint_carries_the_estimate_and_resumes_the_run_exactly() {
    let config = common::tiny_config()
        .with_spectral_norm(true)
        .with_loss(GanLoss::Hinge)
        .with_ema_decay(0.0);
    let mut straight = trainer(config);
    common::train_on_squares(&mut straight, 3);
    let file = weights::save_checkpoint(&straight, &manifest(&straight)).unwrap();
    let (m, mut resumed, _) =
        weights::load_checkpoint(&file, "ckpt", &common::cpu(), true).unwrap();
    assert!(m.train.unwrap().spectral_norm);
    let d = tensors(&straight.discriminator);
    assert_eq!(
        d.len(),
        tensors(&trainer(common::tiny_config()).discriminator).len() + 4,
        "one saved estimate per normalised weight"
    );
    assert_eq!(
        tensors(&resumed.discriminator),
        d,
        "D and its estimates, loaded"
    );
    let a = common::train_on_squares(&mut straight, 3);
    let b = common::train_on_squares(&mut resumed, 3);
    for (a, b) in a.iter().zip(&b) {
        assert_eq!(a.d_loss.to_bits(), b.d_loss.to_bits(), "step {}", a.step);
        assert_eq!(a.g_loss.to_bits(), b.g_loss.to_bits(), "step {}", a.step);
    }
    assert_eq!(
        tensors(&resumed.discriminator),
        tensors(&straight.discriminator)
    );
}

#[test]
fn it_trains_with_every_loss_and_on_two_dimensional_data() {
    for loss in [
        GanLoss::Minimax,
        GanLoss::NonSaturating,
        GanLoss::WganGp,
        GanLoss::Hinge,
    ] {
        let mut t = trainer(
            common::tiny_config()
                .with_spectral_norm(true)
                .with_loss(loss),
        );
        let before = tensors(&t.discriminator);
        for s in common::train_on_squares(&mut t, 3) {
            assert!(
                s.d_loss.is_finite() && s.g_loss.is_finite(),
                "{loss}: {s:?}"
            );
        }
        assert_ne!(tensors(&t.discriminator), before, "{loss}: D learns");
    }
    let mut toy = GanTrainer::new(
        common::toy_arch(),
        TrainConfig::new().with_spectral_norm(true),
        &common::cpu(),
    )
    .unwrap();
    let points: Vec<f32> = (0..64).map(|i| ((i * 7 % 13) as f32 - 6.0) / 3.0).collect();
    for _ in 0..3 {
        let batch = webgan::train::RealBatch {
            samples: &points,
            labels: None,
        };
        let s = toy.step(batch).unwrap().read().unwrap();
        assert!(s.d_loss.is_finite(), "{s:?}");
    }
    for w in toy.discriminator.normalised_weights() {
        let sigma = top_singular_value(&w);
        assert!(sigma < 1.2, "toy D weight: {sigma}");
    }
}
