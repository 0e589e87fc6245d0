//! The wgpu backend (Vulkan natively; lavapipe on a CPU-only machine) computes what the CPU
//! backends compute, from the same weights. Skipped, loudly, when no adapter exists.

mod common;

use webgan::backend::{self, BackendKind};
use webgan::inference::Sampler;
use webgan::latent;
use webgan::presets::Preset;
use webgan::train::GanTrainer;
use webgan::weights::{self, FileKind, Manifest};

/// Max |wgpu - flex| we accept for the digits generator's outputs (in [-1, 1]): f32 matmuls
/// summed in a different order differ by ~1e-6 per layer; 1e-3 leaves room for GPU math
/// (e.g. tanh approximations) without hiding a wrong kernel, which gives errors of order 0.1+.
const TOLERANCE: f32 = 1e-3;

fn generator_bytes() -> Vec<u8> {
    let t = GanTrainer::new(
        Preset::Digits.arch(),
        Preset::Digits.train_config(),
        &common::cpu(),
    )
    .unwrap();
    weights::save_generator(
        &t.generator,
        &Manifest::new(FileKind::Generator, t.arch.clone(), "init", 0),
    )
    .unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn ndarray_agrees_with_flex() {
    let bytes = generator_bytes();
    let flex = Sampler::load(&bytes, "g", &backend::open(BackendKind::Flex).unwrap()).unwrap();
    let nd = Sampler::load(&bytes, "g", &backend::open(BackendKind::Ndarray).unwrap()).unwrap();
    let (a, b) = (
        flex.generate_seed(1, 8, None).unwrap(),
        nd.generate_seed(1, 8, None).unwrap(),
    );
    let d = max_diff(&a, &b);
    assert!(d < TOLERANCE, "ndarray vs flex: max diff {d}");
}

#[test]
fn wgpu_generator_agrees_with_flex() {
    let device = match backend::open(BackendKind::Wgpu) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("SKIPPED wgpu agreement test: {e}");
            return;
        }
    };
    let bytes = generator_bytes();
    let flex = Sampler::load(&bytes, "g", &common::cpu()).unwrap();
    let gpu = Sampler::load(&bytes, "g", &device).unwrap();
    let z = latent::batch_for_seed(2, 16, 64);
    let labels = flex.labels(16, None).unwrap();
    let a = flex.generate(z.clone(), labels.clone()).unwrap();
    let b = gpu.generate(z, labels).unwrap();
    let d = max_diff(&a, &b);
    println!("wgpu vs flex: max abs diff {d:.2e} over {} values", a.len());
    assert!(d < TOLERANCE, "wgpu vs flex: max diff {d}");
}
