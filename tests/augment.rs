//! DiffAugment: each transform does to a known image what its documentation says (checked
//! against a plain host computation), the random choices come from the seed, gradients reach
//! the generator through the transforms, and training with them is reproducible.

mod common;

use webgan::burn::module::Module;
use webgan::burn::tensor::{Int, Tensor, TensorData};
use webgan::latent;
use webgan::loss::GanLoss;
use webgan::model::Generator;
use webgan::train::GanTrainer;
use webgan::train::augment::{self, AugmentParams, Augmentation};

const SIZE: usize = 8;
const CHANNELS: usize = 3;

/// Two 8x8 RGB images with distinct values everywhere, channels-last, in [-1, 1].
fn known_images() -> Vec<f32> {
    (0..2 * SIZE * SIZE * CHANNELS)
        .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
        .collect()
}

fn hand_picked() -> AugmentParams {
    AugmentParams {
        brightness: vec![0.1, -0.2],
        saturation: vec![0.5, 1.5],
        contrast: vec![1.2, 0.7],
        shift: vec![(1, -2), (0, 3)],
        cutout: vec![(-1, 5), (2, 2)],
    }
}

/// The documented transforms, computed plainly on the host (f64).
fn expected(x: &[f32], p: &AugmentParams, policy: &[Augmentation]) -> Vec<f32> {
    let n = SIZE * SIZE * CHANNELS;
    let mut out = Vec::new();
    for b in 0..2 {
        let mut img: Vec<f64> = x[b * n..(b + 1) * n].iter().map(|v| *v as f64).collect();
        if policy.contains(&Augmentation::Color) {
            img.iter_mut().for_each(|v| *v += p.brightness[b] as f64);
            for px in img.chunks_mut(CHANNELS) {
                let m = px.iter().sum::<f64>() / CHANNELS as f64;
                px.iter_mut()
                    .for_each(|v| *v = (*v - m) * p.saturation[b] as f64 + m);
            }
            let m = img.iter().sum::<f64>() / n as f64;
            img.iter_mut()
                .for_each(|v| *v = (*v - m) * p.contrast[b] as f64 + m);
        }
        let s = SIZE as i64;
        let at = |r: i64, c: i64, ch: usize, img: &[f64]| -> f64 {
            if (0..s).contains(&r) && (0..s).contains(&c) {
                img[(r * s + c) as usize * CHANNELS + ch]
            } else {
                0.0
            }
        };
        for r in 0..s {
            for c in 0..s {
                for ch in 0..CHANNELS {
                    let (dr, dc) = match policy.contains(&Augmentation::Translation) {
                        true => p.shift[b],
                        false => (0, 0),
                    };
                    let (cr, cc) = p.cutout[b];
                    // The cut-out square's side is half the image's: 4 here.
                    let cut = policy.contains(&Augmentation::Cutout)
                        && (cr..cr + 4).contains(&r)
                        && (cc..cc + 4).contains(&c);
                    out.push(if cut {
                        0.0
                    } else {
                        at(r + dr, c + dc, ch, &img)
                    } as f32);
                }
            }
        }
    }
    out
}

fn run(x: &[f32], p: &AugmentParams, policy: &[Augmentation]) -> Vec<f32> {
    let device = common::cpu();
    let t = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [2, x.len() / 2]), &device);
    let out = augment::apply(t, policy, p, SIZE, CHANNELS);
    out.into_data().convert::<f32>().try_to_vec().unwrap()
}

#[test]
fn each_transform_matches_a_host_computation() {
    let x = known_images();
    let p = hand_picked();
    use Augmentation::*;
    for policy in [
        vec![Color],
        vec![Translation],
        vec![Cutout],
        vec![Cutout, Translation],
        vec![Translation, Cutout, Color],
    ] {
        let got = run(&x, &p, &policy);
        let want = expected(&x, &p, &policy);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() < 1e-5,
                "{policy:?}: value {i} is {g}, expected {w}"
            );
        }
        assert_ne!(got, x, "{policy:?} changes the images");
    }
    // No policy, no change at all.
    assert_eq!(run(&x, &p, &[]), x);
}

#[test]
fn choices_come_from_the_seed_and_stay_in_range() {
    let draw = |index| AugmentParams::draw(&mut latent::rng_for(7, 4, index), 256, 16);
    assert_eq!(draw(3), draw(3));
    assert_ne!(draw(3), draw(4));
    let p = draw(0);
    assert!(p.brightness.iter().all(|v| (-0.5..0.5).contains(v)));
    assert!(p.saturation.iter().all(|v| (0.0..2.0).contains(v)));
    assert!(p.contrast.iter().all(|v| (0.5..1.5).contains(v)));
    // Side 16: shifts of up to 2 pixels, an 8-pixel square whose top-left lies in -4..=12.
    for d in -2..=2 {
        assert!(p.shift.iter().any(|s| s.0 == d) && p.shift.iter().any(|s| s.1 == d));
    }
    assert!(p.shift.iter().all(|s| s.0.abs() <= 2 && s.1.abs() <= 2));
    assert!(
        p.cutout
            .iter()
            .all(|c| (-4..=12).contains(&c.0) && (-4..=12).contains(&c.1))
    );
    assert!(p.cutout.iter().any(|c| c.0 == -4) && p.cutout.iter().any(|c| c.1 == 12));
}

/// The gradient of G's loss with respect to G's projection weights, D seeing the fakes
/// through `policy`.
fn generator_gradient(trainer: &GanTrainer, policy: &[Augmentation]) -> Vec<f32> {
    let device = trainer.device();
    let z = latent::batch_for_seed(5, 8, trainer.arch.latent_dim());
    let z = Tensor::<2>::from_data(TensorData::new(z, [8, trainer.arch.latent_dim()]), device);
    let labels = || {
        Some(Tensor::<1, Int>::from_data(
            TensorData::new(vec![0i64, 1, 2, 0, 1, 2, 0, 1], [8]),
            device,
        ))
    };
    let fake = trainer.generator.forward(z, labels());
    let p = AugmentParams::draw(&mut latent::rng_for(1, 4, 0), 8, 16);
    let seen = augment::apply(fake, policy, &p, 16, 1);
    let d = trainer.discriminator.clone().no_grad();
    let grads = GanLoss::NonSaturating
        .generator(d.forward(seen, labels()))
        .backward();
    let Generator::Image(g) = &trainer.generator else {
        panic!("an image generator")
    };
    let grad = g
        .project
        .weight
        .val()
        .grad(&grads)
        .expect("G's weights get a gradient");
    grad.into_data().convert::<f32>().try_to_vec().unwrap()
}

#[test]
fn gradients_reach_the_generator_through_the_augmentations() {
    let trainer = GanTrainer::new(
        common::tiny_image_arch(),
        common::tiny_config(),
        &common::cpu(),
    )
    .unwrap();
    let plain = generator_gradient(&trainer, &[]);
    let all = [
        Augmentation::Color,
        Augmentation::Translation,
        Augmentation::Cutout,
    ];
    let augmented = generator_gradient(&trainer, &all);
    for g in [&plain, &augmented] {
        assert!(g.iter().all(|v| v.is_finite()));
        assert!(g.iter().any(|v| *v != 0.0), "a gradient reaches G");
    }
    let diff: f32 = plain
        .iter()
        .zip(&augmented)
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(
        diff > 1e-6,
        "the augmentations change G's gradient ({diff})"
    );
}

#[test]
fn training_with_augmentation_is_reproducible_and_not_the_same_as_without() {
    let all = vec![
        Augmentation::Color,
        Augmentation::Translation,
        Augmentation::Cutout,
    ];
    let train = |augment: Vec<Augmentation>| {
        let config = common::tiny_config().with_augment(augment);
        let mut t = GanTrainer::new(common::tiny_image_arch(), config, &common::cpu()).unwrap();
        common::train_on_squares(&mut t, 3)
    };
    let a = train(all.clone());
    assert_eq!(a, train(all), "same seed, same augmentations, same run");
    assert_ne!(a, train(Vec::new()));
}
