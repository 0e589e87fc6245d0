//! The wgpu backend (Vulkan natively; lavapipe on a CPU-only machine) computes what the CPU
//! backends compute, from the same weights, in inference and in training (the moving average,
//! the augmentations, spectral normalisation and conditional batch norm included). A missing
//! adapter fails them, unless WEBGAN_NO_GPU_TESTS is set (`common::wgpu`).

mod common;
#[path = "support/numbered.rs"]
mod numbered;

use webgan::backend::{self, BackendKind};
use webgan::block_on;
use webgan::burn::module::Param;
use webgan::burn::tensor::{Device, Distribution, Tensor};
use webgan::data::{Batcher, TrainingData};
use webgan::inference::Sampler;
use webgan::latent;
use webgan::model::{ArchConfig, Generator, Upsample};
use webgan::presets::Preset;
use webgan::run::{DeviceData, TrainingRun};
use webgan::spec::TrainSpec;
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
    let Some(gpu) = common::wgpu("wgpu agreement test") else {
        return;
    };
    let device = gpu.device();
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

/// Three training steps with every option on (the moving average, the augmentations,
/// spectral normalisation, conditional batch norm; with `levers`, also Adam's betas (0, 0.99),
/// D's classifier, R1, a D twice as wide and resize-convolution in G) from the same initial
/// weights on flex (the CPU's own passes) and on `device` (burn's operations): the losses of
/// each step and the moving average's samples after them.
fn every_option_on_flex_and(device: &Device, what: &str, levers: bool) {
    use webgan::train::augment::Augmentation::*;
    let mut config = common::tiny_config()
        .with_ema_decay(0.9)
        .with_augment(vec![Color, Translation, Cutout])
        .with_spectral_norm(true);
    let mut arch = common::tiny_class_norm_arch();
    if levers {
        // R1 falls on the first D update of the three.
        config = config
            .with_beta1(0.0)
            .with_beta2(0.99)
            .with_aux_weight(0.5)
            .with_r1_weight(1.0);
        let ArchConfig::Image(c) = arch else {
            unreachable!("an image architecture")
        };
        arch = ArchConfig::Image(c.with_d_width_factor(2).with_upsample(Upsample::Resize));
    }
    // The same initial weights on both (each backend's RNG draws its own).
    let init = GanTrainer::new(arch.clone(), config.clone(), &common::cpu()).unwrap();
    // Class offsets away from their zero start, so that every sample's scale and shift differ.
    let mut generator = init.generator.clone();
    let Generator::Image(g) = &mut generator else {
        panic!("an image generator")
    };
    for offsets in &mut g.class_norms {
        let w = offsets.weight.val();
        let uniform = Distribution::Uniform(-0.5, 0.5);
        offsets.weight = Param::from_tensor(Tensor::random(w.dims(), uniform, &w.device()));
    }
    let on = |device: &Device| {
        let mut t = GanTrainer::from_parts(
            arch.clone(),
            config.clone(),
            generator.clone(),
            init.discriminator.clone(),
            0,
            device,
        );
        let stats = common::train_on_squares(&mut t, 3);
        let manifest = Manifest::new(FileKind::Generator, arch.clone(), "t", 3);
        let sampler = Sampler::from_generator(manifest, t.generator_for_inference(), device);
        let samples = sampler
            .generate(
                latent::batch_for_seed(3, 6, 8),
                Some(vec![0, 1, 2, 0, 1, 2]),
            )
            .unwrap();
        (stats, samples)
    };
    let (flex_stats, flex_samples) = on(&common::cpu());
    let (other_stats, other_samples) = on(device);
    for (a, b) in flex_stats.iter().zip(&other_stats) {
        let d = (a.d_loss - b.d_loss).abs().max((a.g_loss - b.g_loss).abs());
        assert!(d < TOLERANCE, "{what}, step {}: {a:?} vs {b:?}", a.step);
    }
    let d = max_diff(&flex_samples, &other_samples);
    println!(
        "{what} vs flex after 3 steps (average, augmentations, spectral norm, class batch norm; \
         D's levers and resize-convolution: {levers}): samples differ by {d:.2e}"
    );
    assert!(d < TOLERANCE, "{what}: max diff {d}");
}

#[test]
fn ndarray_trains_with_every_option_on_as_flex_does() {
    let ndarray = backend::open(BackendKind::Ndarray).unwrap();
    every_option_on_flex_and(&ndarray, "ndarray", false);
    every_option_on_flex_and(&ndarray, "ndarray", true);
}

#[test]
fn wgpu_trains_with_every_option_on_as_flex_does() {
    let Some(gpu) = common::wgpu("wgpu training test") else {
        return;
    };
    every_option_on_flex_and(&gpu.device(), "wgpu", false);
    every_option_on_flex_and(&gpu.device(), "wgpu", true);
}

#[test]
fn batches_gathered_on_the_device_are_the_ones_the_host_batcher_copies() {
    let Some(gpu) = common::wgpu("device batch test") else {
        return;
    };
    let data = numbered::numbered();
    let host_data = TrainingData::Samples(data.clone());
    for (name, device) in [("flex", common::cpu()), ("wgpu", gpu.device())] {
        let on_device = DeviceData::upload(&data, &device)
            .unwrap()
            .expect("50 x 6 floats fit");
        let (mut host, mut gathered) = (Batcher::new(5, 8), Batcher::new(5, 8));
        for step in numbered::STEPS {
            let (x, y) = host.batch(&host_data, step);
            let (gx, gy) = on_device.batch(&mut gathered, step);
            let gx = gx.into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(gx, x, "{name}, step {step}: samples");
            assert_eq!(gy, y, "{name}, step {step}: labels");
        }
    }
}

#[test]
fn a_run_with_its_data_on_the_gpu_trains_as_one_with_host_batches() {
    let Some(gpu) = common::wgpu("device data run test") else {
        return;
    };
    let device = gpu.device();
    let spec =
        TrainSpec::from_json(r#"{"preset":"digits","width":8,"latent_dim":8,"batch_size":8}"#)
            .unwrap();
    let mut gathered = TrainingRun::new(&spec, Some(common::squares(40)), &device).unwrap();
    // The same weights for both: the second run resumes the first one's step-0 checkpoint.
    let start = block_on(gathered.export_checkpoint()).unwrap();
    let mut copied =
        TrainingRun::resume(&start, "start", Some(common::squares(40)), &device).unwrap();
    assert!(gathered.keep_data_on_device(true).unwrap());
    assert!(!copied.keep_data_on_device(false).unwrap());
    // Seven steps: past the first epoch's five batches into a reshuffled second one.
    for step in 1..=7 {
        let a = block_on(gathered.step(1)).unwrap();
        let b = block_on(copied.step(1)).unwrap();
        let d = (a.d_loss - b.d_loss).abs().max((a.g_loss - b.g_loss).abs());
        assert!(d < 1e-5, "step {step}: {a:?} vs {b:?}");
    }
    // Toy data has no set to keep on the device.
    let ring = TrainSpec::from_json(r#"{"preset":"ring"}"#).unwrap();
    let mut toy = TrainingRun::new(&ring, None, &device).unwrap();
    assert!(!toy.keep_data_on_device(true).unwrap());
}
