//! The wgpu backend (Vulkan natively; lavapipe on a CPU-only machine) computes what the CPU
//! backends compute, from the same weights. Skipped, loudly, when no adapter exists.

mod common;

use webgan::backend::{self, BackendKind};
use webgan::inference::Sampler;
use webgan::latent;
use webgan::presets::Preset;
use webgan::train::GanTrainer;
use webgan::weights::{self, FileKind, Manifest};

/// Max |other - flex| we accept, relative to the largest output magnitude: f32 sums taken in
/// another order differ by ~1e-6 relative per layer; 1e-3 leaves room for GPU math (e.g. tanh
/// approximations) without hiding a wrong kernel, whose errors are of the outputs' own size.
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
    let mut nd = Sampler::load(&bytes, "g", &backend::open(BackendKind::Ndarray).unwrap()).unwrap();
    // ndarray runs the matmul form of the convolutions, as `webgan` does on it.
    nd.set_matmul_convs(true);
    let (a, b) = (
        flex.generate_seed(1, 8, None).unwrap(),
        nd.generate_seed(1, 8, None).unwrap(),
    );
    let d = max_diff(&a, &b);
    assert!(d < TOLERANCE, "ndarray vs flex: max diff {d}");
}

#[test]
fn wgpu_generator_agrees_with_flex() {
    // CI installs Mesa's lavapipe (scripts/setup.sh), so a missing adapter there is a
    // failure. A developer machine without any Vulkan driver may opt out, loudly.
    let device = match backend::open(BackendKind::Wgpu) {
        Ok(d) => d,
        Err(e) if std::env::var_os("WEBGAN_NO_GPU_TESTS").is_some() => {
            eprintln!("wgpu agreement test not run (WEBGAN_NO_GPU_TESTS is set): {e}");
            return;
        }
        Err(e) => panic!(
            "no wgpu adapter ({e}); install Mesa's Vulkan drivers (scripts/setup.sh does), or \
             set WEBGAN_NO_GPU_TESTS=1 to leave this test out on purpose"
        ),
    };
    let bytes = generator_bytes();
    let flex = Sampler::load(&bytes, "g", &common::cpu()).unwrap();
    let mut gpu = Sampler::load(&bytes, "g", &device).unwrap();
    let z = latent::batch_for_seed(2, 16, 64);
    let labels = flex.labels(16, None).unwrap();
    let a = flex.generate(z.clone(), labels.clone()).unwrap();
    for matmul in [false, true] {
        gpu.set_matmul_convs(matmul);
        let b = gpu.generate(z.clone(), labels.clone()).unwrap();
        let d = max_diff(&a, &b);
        println!(
            "wgpu (matmul convs: {matmul}) vs flex: max relative diff {d:.2e} over {} values",
            a.len()
        );
        assert!(
            d < TOLERANCE,
            "wgpu (matmul convs: {matmul}) vs flex: max diff {d}"
        );
    }
}
