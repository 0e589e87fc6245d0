//! The latent tools on the shipped digits model: principal directions, truncation and
//! inversion ("find my digit"); and inversion on the faces model ("find my face"). Kept to
//! seconds on two CPU cores: small sample counts, one batched search each.

use webgan::burn::tensor::Device;
use webgan::directions::{self, Directions};
use webgan::inference::Sampler;
use webgan::invert::{self, Classes, Inversion, InvertConfig};
use webgan::latent;
mod common;
use webgan::block_on;
use webgan::weights;

fn digits() -> Sampler {
    let bytes = webgan::shipped::model("digits").expect("the digits model is built in");
    Sampler::load(bytes, "digits", &Device::flex()).unwrap()
}

fn mse(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32
}

/// Directions from fewer latents than `webgan export` uses, to stay fast.
const TEST_SAMPLES: usize = 1_000;

#[test]
fn directions_are_orthonormal_ordered_and_move_the_output_more_than_random_ones() {
    let sampler = digits();
    let dirs = block_on(directions::compute(&sampler, TEST_SAMPLES, true)).unwrap();
    assert!(dirs.per_class);
    assert_eq!(dirs.sets.len(), 10);
    dirs.check(sampler.latent_dim(), sampler.arch().n_classes())
        .unwrap();
    for set in &dirs.sets {
        // Orthonormal.
        for (i, a) in set.vectors.iter().enumerate() {
            for (j, b) in set.vectors.iter().enumerate() {
                let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-4, "<u{i}, u{j}> = {dot}");
            }
        }
        // Ordered by the variance they drive; shares of a whole.
        let s = &set.variance_share;
        assert!(s.windows(2).all(|w| w[0] >= w[1]), "{s:?}");
        assert!(s[0] > 0.0 && s.iter().sum::<f32>() <= 1.0 + 1e-4, "{s:?}");
    }

    // Over many latents, a step along direction 0 changes the image more than a step of the
    // same length along a random direction.
    let dim = sampler.latent_dim();
    let n = 100;
    let z = latent::batch_for_seed(5, n, dim);
    let labels = sampler.labels(n, None).unwrap().unwrap();
    let random = latent::batch_for_seed(6, n, dim);
    let step = 2.0;
    let mut along = Vec::new();
    let mut sideways = Vec::new();
    for i in 0..n {
        let zi = &z[i * dim..(i + 1) * dim];
        let class = Some(labels[i] as usize);
        along.extend(dirs.shift(zi, class, 0, step).unwrap());
        let r = &random[i * dim..(i + 1) * dim];
        let norm = r.iter().map(|x| x * x).sum::<f32>().sqrt();
        sideways.extend(zi.iter().zip(r).map(|(a, b)| a + step * b / norm));
    }
    let base = sampler.generate(z, Some(labels.clone())).unwrap();
    let moved = sampler.generate(along, Some(labels.clone())).unwrap();
    let random_moved = sampler.generate(sideways, Some(labels)).unwrap();
    let change_dir = mse(&base, &moved);
    let change_random = mse(&base, &random_moved);
    eprintln!(
        "pixel MSE after a step of {step}: direction 0 {change_dir:.4}, random {change_random:.4}"
    );
    assert!(
        change_dir > 1.5 * change_random,
        "direction 0 changed the images by {change_dir}, a random direction by {change_random}"
    );
}

#[test]
fn directions_travel_in_the_manifest_and_bad_ones_are_refused() {
    let sampler = digits();
    let dirs = block_on(directions::compute(&sampler, 200, false)).unwrap();
    assert!(!dirs.per_class);
    assert_eq!(dirs.sets.len(), 1);
    let mut manifest = sampler.manifest.clone();
    manifest.directions = Some(dirs.clone());
    let bytes = weights::save_generator(sampler.stored_generator(), &manifest).unwrap();
    let loaded = Sampler::load(&bytes, "with directions", &Device::flex()).unwrap();
    let (got, computed) = block_on(directions::of_model(&loaded)).unwrap();
    assert!(!computed, "stored directions are used, not recomputed");
    // JSON keeps every value (to f32 rounding).
    assert_eq!((got.per_class, got.sets.len()), (dirs.per_class, 1));
    for (a, b) in got.sets[0]
        .vectors
        .iter()
        .flatten()
        .zip(dirs.sets[0].vectors.iter().flatten())
    {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1e-6), "{a} vs {b}");
    }
    // A manifest whose directions do not fit the model is an error, not a NaN slider.
    let mut broken: Directions = dirs.clone();
    broken.sets[0].vectors[0].pop();
    assert!(
        broken
            .check(sampler.latent_dim(), sampler.arch().n_classes())
            .is_err()
    );
    let mut nan = dirs;
    nan.sets[0].vectors[1][0] = f32::NAN;
    assert!(
        nan.check(sampler.latent_dim(), sampler.arch().n_classes())
            .is_err()
    );
    // Too few latents to estimate a 64-wide covariance.
    assert!(block_on(directions::compute(&sampler, 10, false)).is_err());
}

#[test]
fn truncation_zero_is_the_mean_sample_for_every_seed_and_one_is_untouched() {
    let sampler = digits();
    let dim = sampler.latent_dim();
    let n = 10;
    let labels = sampler.labels(n, None).unwrap();
    let mean = sampler
        .generate(vec![0.0; n * dim], labels.clone())
        .unwrap();
    for seed in 0..4 {
        let z = latent::batch_for_seed(seed, n, dim);
        let at_zero = sampler
            .generate(latent::truncate(&z, 0.0).unwrap(), labels.clone())
            .unwrap();
        assert_eq!(at_zero, mean, "seed {seed} at psi = 0");
        let untouched = sampler.generate(z.clone(), labels.clone()).unwrap();
        let at_one = sampler
            .generate(latent::truncate(&z, 1.0).unwrap(), labels.clone())
            .unwrap();
        assert_eq!(at_one, untouched, "seed {seed} at psi = 1");
        assert_ne!(untouched, mean);
    }
}

/// The inversion test's fixed figures: 20 digits made from known latents, searched with their
/// class known, against the best of 1,000 random latents of that class.
#[test]
fn inversion_recovers_generated_digits_far_better_than_random_search() {
    let sampler = digits();
    let dim = sampler.latent_dim();
    let n = 20;
    let classes: Vec<usize> = (0..n).map(|i| i % 10).collect();
    let labels: Vec<i64> = classes.iter().map(|&c| c as i64).collect();
    let known_z = latent::batch_for_seed(1234, n, dim);
    let targets = sampler.generate(known_z, Some(labels)).unwrap();
    let config = InvertConfig {
        restarts: 2,
        steps: 150,
        ..InvertConfig::default()
    };
    let mut search =
        Inversion::new(&sampler, &targets, Classes::PerTarget(&classes), config).unwrap();
    assert_eq!(search.candidates(), 40);
    while !search.finished() {
        block_on(search.advance(50)).unwrap();
    }
    let found = block_on(search.progress()).unwrap();
    assert_eq!(found.len(), n);

    // The best of 1,000 random latents of each class.
    let len = sampler.arch().sample_len();
    let random_n = 1_000;
    let mut random_best = vec![f32::INFINITY; n];
    for class in 0..10 {
        let z = latent::batch_for_seed(99 + class as u64, random_n, dim);
        let samples = sampler
            .generate(z, Some(vec![class as i64; random_n]))
            .unwrap();
        for t in (0..n).filter(|&t| classes[t] == class) {
            let target = &targets[t * len..(t + 1) * len];
            for s in samples.chunks_exact(len) {
                random_best[t] = random_best[t].min(mse(s, target));
            }
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let found_err: Vec<f32> = (0..n)
        .map(|t| mse(&found[t].sample, &targets[t * len..(t + 1) * len]))
        .collect();
    eprintln!(
        "pixel MSE: inversion mean {:.5} (worst {:.5}); best of {random_n} random mean {:.5}",
        mean(&found_err),
        found_err.iter().copied().fold(0.0, f32::max),
        mean(&random_best)
    );
    for t in 0..n {
        assert_eq!(found[t].class, Some(classes[t]));
        assert!(
            (found[t].loss - found_err[t]).abs() < 1e-4,
            "reported loss is the real one"
        );
    }
    // The bound: on average at most a quarter of the random search's error, and better than
    // it on every digit.
    assert!(
        mean(&found_err) < 0.25 * mean(&random_best),
        "{found_err:?} vs {random_best:?}"
    );
    for t in 0..n {
        assert!(
            found_err[t] < random_best[t],
            "digit {t}: {found_err:?} vs {random_best:?}"
        );
    }
}

#[test]
fn inversion_tries_every_class_and_reports_on_a_blank_pad() {
    let sampler = digits();
    let dim = sampler.latent_dim();
    // A generated 7 and a blank pad, every class tried.
    let seven = sampler
        .generate(latent::batch_for_seed(77, 1, dim), Some(vec![7]))
        .unwrap();
    let blank = vec![-1.0; seven.len()];
    let targets: Vec<f32> = seven.iter().chain(&blank).copied().collect();
    let config = InvertConfig {
        restarts: 1,
        steps: 100,
        ..InvertConfig::default()
    };
    let found =
        invert::run_blocking(&sampler, &targets, Classes::All, config, 50, |_, _| {}).unwrap();
    assert_eq!(found[0].class, Some(7), "{:?}", found[0].message);
    for f in &found {
        assert!(f.loss.is_finite() && !f.message.is_empty());
        assert_eq!(f.z.len(), dim);
    }
    // Bad input is refused with a reason.
    for (targets, classes) in [
        (&seven[..10], Classes::All),
        (&seven[..], Classes::These(&[10])),
        (&seven[..], Classes::PerTarget(&[1, 2])),
    ] {
        assert!(Inversion::new(&sampler, targets, classes, InvertConfig::default()).is_err());
    }
    let bad_lr = InvertConfig {
        lr: f32::NAN,
        ..InvertConfig::default()
    };
    assert!(Inversion::new(&sampler, &seven, Classes::All, bad_lr).is_err());
}

/// "Find my face" on faces the model drew from known latents: the search (short, batched) lands
/// at under a quarter of the best of 500 random latents' pixel error on every face (measured:
/// 0.003-0.004 against 0.05-0.09). Real photos are measured by
/// `examples/find_face.rs` (models/README.md).
#[test]
fn inversion_recovers_generated_faces_better_than_random_search() {
    let bytes = webgan::shipped::model("faces").expect("the faces model is built in");
    let sampler = Sampler::load(bytes, "faces", &Device::flex()).unwrap();
    let dim = sampler.latent_dim();
    let n = 3;
    let targets = sampler
        .generate(latent::batch_for_seed(4321, n, dim), None)
        .unwrap();
    let config = InvertConfig {
        restarts: 2,
        steps: 100,
        ..InvertConfig::default()
    };
    let mut search = Inversion::new(&sampler, &targets, Classes::All, config).unwrap();
    while !search.finished() {
        block_on(search.advance(50)).unwrap();
    }
    let found = block_on(search.progress()).unwrap();
    assert_eq!(found.len(), n);
    let len = sampler.arch().sample_len();
    let random = sampler
        .generate(latent::batch_for_seed(98, 500, dim), None)
        .unwrap();
    for t in 0..n {
        let target = &targets[t * len..(t + 1) * len];
        let random_best = random
            .chunks_exact(len)
            .map(|s| mse(s, target))
            .fold(f32::INFINITY, f32::min);
        let err = mse(&found[t].sample, target);
        eprintln!("face {t}: inversion {err:.5}, best of 500 random {random_best:.5}");
        assert_eq!(found[t].class, None);
        assert!(err < 0.25 * random_best, "face {t}: {err} vs {random_best}");
    }
}
