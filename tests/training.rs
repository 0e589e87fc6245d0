//! The adversarial step: it learns, it is reproducible, it refuses bad input, and WGAN-GP's
//! penalty measures what it claims to.

mod common;

use webgan::burn::tensor::{Distribution, Tensor};
use webgan::data::{Batcher, Toy, TrainingData};
use webgan::inference::{Sampler, read_floats};
use webgan::latent;
use webgan::loss::GanLoss;
use webgan::metrics;
use webgan::model::{Discriminator, Generator};
use webgan::presets::Preset;
use webgan::train::{GanTrainer, RealBatch, TrainConfig, input_gradient_direction};
use webgan::weights::{FileKind, Manifest};

/// D's loss on a fixed real batch against fixed fakes, without training.
fn d_loss_on(trainer: &GanTrainer, x: &[f32], y: &[i64], loss: GanLoss) -> f32 {
    let device = trainer.device().clone().inner();
    let d = webgan::burn::module::Module::valid(&trainer.discriminator);
    let n = y.len();
    let len = trainer.arch.sample_len();
    let real = Tensor::<2>::from_data(
        webgan::burn::tensor::TensorData::new(x.to_vec(), [n, len]),
        &device,
    );
    let labels = Tensor::from_data(
        webgan::burn::tensor::TensorData::new(y.to_vec(), [n]),
        &device,
    );
    // The generator D is trained against, not its moving average.
    let sampler = Sampler::from_generator(
        Manifest::new(FileKind::Generator, trainer.arch.clone(), "t", 0),
        trainer.live_generator_for_inference(),
        &device,
    );
    let fake = sampler
        .forward(
            latent::batch_for_seed(99, n, trainer.arch.latent_dim()),
            Some(y.to_vec()),
        )
        .unwrap();
    let l = loss.discriminator(
        d.forward(real, Some(labels.clone())),
        d.forward(fake, Some(labels)),
        1.0,
    );
    read_floats(l).unwrap()[0]
}

#[test]
fn a_few_steps_lower_the_discriminator_loss() {
    let device = common::cpu();
    for loss in [GanLoss::NonSaturating, GanLoss::Hinge, GanLoss::WganGp] {
        let config = common::tiny_config().with_loss(loss).with_lr_d(1e-3);
        let mut trainer = GanTrainer::new(common::tiny_image_arch(), config, &device).unwrap();
        let (x, y) = common::fake_real_batch(8, 16, 3);
        let before = d_loss_on(&trainer, &x, &y, loss);
        for _ in 0..30 {
            let stats = trainer
                .step(RealBatch {
                    samples: &x,
                    labels: Some(&y),
                })
                .unwrap();
            stats.read().unwrap();
        }
        let after = d_loss_on(&trainer, &x, &y, loss);
        println!("{loss}: D loss on a fixed batch {before:.4} -> {after:.4}");
        assert!(after < before - 0.05, "{loss}: D loss {before} -> {after}");
    }
}

#[test]
fn the_ring_gan_moves_its_points_onto_the_ring() {
    let device = common::cpu();
    let config = Preset::Ring.train_config();
    let mut trainer = GanTrainer::new(Preset::Ring.arch(), config, &device).unwrap();
    let data = TrainingData::Toy(Toy::Ring);
    let mut batcher = Batcher::new(trainer.config.seed, trainer.config.batch_size);
    let points = |trainer: &GanTrainer| {
        let sampler = Sampler::from_generator(
            Manifest::new(FileKind::Generator, trainer.arch.clone(), "ring", 0),
            trainer.generator_for_inference(),
            &device,
        );
        sampler.generate_seed(5, 1000, None).unwrap()
    };
    let before = metrics::mean_distance_to_ring(&points(&trainer));
    for _ in 0..1200 {
        let (x, _) = batcher.batch(&data, trainer.step);
        trainer
            .step(RealBatch {
                samples: &x,
                labels: None,
            })
            .unwrap()
            .read()
            .unwrap();
    }
    let after_points = points(&trainer);
    let after = metrics::mean_distance_to_ring(&after_points);
    let coverage = metrics::mode_coverage(Toy::Ring, &after_points);
    println!("ring: mean distance to the ring {before:.3} -> {after:.3}; {coverage:?}");
    assert!(
        before > 0.5,
        "an untrained generator sits near the origin ({before})"
    );
    assert!(
        after < 0.1,
        "after 1200 steps the points should be near the ring ({after})"
    );
    assert!(
        coverage.modes_covered >= 6,
        "most of the 8 modes should be covered: {coverage:?}"
    );
}

#[test]
fn same_seed_same_run_and_labels_are_checked() {
    let device = common::cpu();
    let run = || {
        let mut t =
            GanTrainer::new(common::tiny_image_arch(), common::tiny_config(), &device).unwrap();
        common::train_on_squares(&mut t, 3)
    };
    assert_eq!(run(), run());

    let mut t = GanTrainer::new(common::tiny_image_arch(), common::tiny_config(), &device).unwrap();
    let (x, y) = common::fake_real_batch(8, 16, 3);
    let e = t
        .step(RealBatch {
            samples: &x,
            labels: None,
        })
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("label"), "{e}");
    let bad: Vec<i64> = y.iter().map(|_| 7).collect();
    let e = t
        .step(RealBatch {
            samples: &x,
            labels: Some(&bad),
        })
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("label 7"), "{e}");
    let e = t
        .step(RealBatch {
            samples: &x[..100],
            labels: Some(&y),
        })
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("whole number"), "{e}");
    let mut nan = x.clone();
    nan[5] = f32::NAN;
    let e = t
        .step(RealBatch {
            samples: &nan,
            labels: Some(&y),
        })
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("not finite"), "{e}");
    assert_eq!(t.step, 0, "refused batches do not count as steps");
}

#[test]
fn several_discriminator_steps_per_generator_step() {
    let device = common::cpu();
    let run = || {
        let config = common::tiny_config()
            .with_loss(GanLoss::WganGp)
            .with_d_steps(3);
        let mut t = GanTrainer::new(common::tiny_image_arch(), config, &device).unwrap();
        let stats = common::train_on_squares(&mut t, 2);
        (t.step, stats)
    };
    let (steps, stats) = run();
    assert_eq!(steps, 2, "d_steps counts inside one step");
    assert!(stats.iter().all(|s| s.gradient_penalty > 0.0), "{stats:?}");
    assert_eq!(run().1, stats, "reproducible");
}

#[test]
fn absurd_hyperparameters_are_refused() {
    let device = common::cpu();
    let cases = [
        TrainConfig::new().with_lr_g(0.0),
        TrainConfig::new().with_lr_d(f64::NAN),
        TrainConfig::new().with_beta1(1.0),
        TrainConfig::new().with_batch_size(0),
        TrainConfig::new().with_d_steps(0),
        TrainConfig::new().with_label_smoothing(0.9),
        TrainConfig::new()
            .with_loss(GanLoss::Hinge)
            .with_label_smoothing(0.1),
    ];
    for config in cases {
        let e = GanTrainer::new(common::tiny_image_arch(), config.clone(), &device);
        assert!(e.is_err(), "{config:?} should be refused");
    }
}

#[test]
fn nan_in_the_networks_stops_training_with_a_divergence_error() {
    // Inject a NaN into the critic's head, as an exploding run would: the step still runs
    // (nothing is read synchronously), and reading its statistics reports the divergence.
    use webgan::burn::module::Param;
    use webgan::model::discriminator::Discriminator as D;
    let device = common::cpu();
    let t = GanTrainer::new(common::tiny_image_arch(), common::tiny_config(), &device).unwrap();
    let mut d = t.discriminator.clone();
    if let D::Image(inner) = &mut d {
        let w = inner.head.weight.val();
        inner.head.weight =
            Param::from_tensor(w.clone().mask_fill(w.clone().equal(w), f32::NAN).detach());
    }
    let mut t = GanTrainer::from_parts(
        t.arch.clone(),
        t.config.clone(),
        t.generator.clone(),
        d,
        0,
        &device,
    );
    let (x, y) = common::fake_real_batch(8, 16, 3);
    let e = t
        .step(RealBatch {
            samples: &x,
            labels: Some(&y),
        })
        .unwrap()
        .read()
        .unwrap_err()
        .to_string();
    assert!(e.contains("diverged at step 1") && e.contains("NaN"), "{e}");
}

#[test]
fn gradient_penalty_direction_and_norm_match_backprop() {
    // For the central difference along u = g/||g|| to equal ||g||, u must be the gradient's
    // direction: compare with a finite-difference gradient of a small critic.
    let device = common::cpu().autodiff();
    let arch = common::toy_arch();
    device.seed(3);
    let d = Discriminator::new(&arch, Default::default(), &device);
    let x = Tensor::<2>::random([4, 2], Distribution::Normal(0.0, 1.0), &device);
    let u = input_gradient_direction(&d, x.clone(), None);
    let norms: Vec<f32> = read_floats(u.clone().powi_scalar(2).sum_dim(1).inner()).unwrap();
    assert!(
        norms.iter().all(|n| (n - 1.0).abs() < 1e-4),
        "unit directions: {norms:?}"
    );

    let h = 1e-2f32;
    let f = |x: Tensor<2>| read_floats(d.forward(x, None).inner()).unwrap();
    let central = {
        let plus = f(x.clone() + u.clone() * h);
        let minus = f(x.clone() - u.clone() * h);
        plus.iter()
            .zip(&minus)
            .map(|(p, m)| (p - m) / (2.0 * h))
            .collect::<Vec<_>>()
    };
    // Gradient norm by coordinate-wise central differences.
    let xs: Vec<f32> = read_floats(x.clone().inner()).unwrap();
    for i in 0..4 {
        let mut g2 = 0.0;
        for k in 0..2 {
            let at = |delta: f32| {
                let mut v = xs.clone();
                v[i * 2 + k] += delta;
                let t = Tensor::<2>::from_data(
                    webgan::burn::tensor::TensorData::new(v, [4, 2]),
                    &device,
                );
                f(t)[i]
            };
            let gk = (at(h) - at(-h)) / (2.0 * h);
            g2 += gk * gk;
        }
        let norm = g2.sqrt();
        assert!(
            (central[i] - norm).abs() < 1e-2 * norm.max(1.0),
            "sample {i}: directional {} vs norm {norm}",
            central[i]
        );
    }
}

#[test]
fn conditional_batch_norm_trains_per_class_and_resumes() {
    let device = common::cpu();
    let arch = common::tiny_class_norm_arch();
    let mut t = GanTrainer::new(arch.clone(), common::tiny_config(), &device).unwrap();
    let stats = common::train_on_squares(&mut t, 3);
    assert!(
        stats
            .iter()
            .all(|s| s.d_loss.is_finite() && s.g_loss.is_finite()),
        "{stats:?}"
    );
    // Every batch norm's class offsets left zero, each class its own way.
    let Generator::Image(g) = t.live_generator_for_inference() else {
        panic!("an image generator")
    };
    assert_eq!(g.class_norms.len(), 1 + g.norms.len());
    for offsets in &g.class_norms {
        let rows: Vec<f32> = offsets.weight.val().into_data().try_to_vec().unwrap();
        let width = rows.len() / 3;
        assert!(rows.iter().any(|v| *v != 0.0), "the offsets learn");
        assert_ne!(rows[..width], rows[width..2 * width], "per class");
    }
    // A checkpoint resumes it; its generator file samples.
    let manifest = Manifest::new(FileKind::Checkpoint, arch.clone(), "squares", t.step);
    let checkpoint = webgan::weights::save_checkpoint(&t, &manifest).unwrap();
    let (m, mut resumed, _) =
        webgan::weights::load_checkpoint(&checkpoint, "ckpt", &device, true).unwrap();
    assert_eq!(m.arch, arch);
    common::train_on_squares(&mut resumed, 1);
    let file = webgan::weights::save_generator(&t.generator_for_inference(), &manifest).unwrap();
    let sampler = Sampler::load(&file, "g.wgan", &device).unwrap();
    assert_eq!(sampler.arch(), &arch);
    let samples = sampler.generate_seed(1, 6, None).unwrap();
    assert!(samples.iter().all(|v| v.is_finite()));
}
