//! Shared helpers for the integration tests.
#![allow(dead_code)]

use webgan::burn::module::{Module, ModuleVisitor, Param};
use webgan::burn::tensor::{Device, Tensor};
use webgan::model::{ArchConfig, ImageGanConfig, ToyGanConfig};
use webgan::train::TrainConfig;

pub fn cpu() -> Device {
    Device::flex()
}

/// The wgpu device for one test, opened once per test binary (wgpu refuses a second runtime
/// while tests run in parallel). Declare it first in the test: it is dropped last, and then
/// waits until the device has run everything the test handed it, so that the binary never
/// exits while lavapipe is still compiling (`backend::wait_for_gpu` says why that crashes).
pub struct Gpu(Device);

impl Gpu {
    pub fn device(&self) -> Device {
        self.0.clone()
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        if let Err(e) = webgan::backend::wait_for_gpu() {
            // Not a panic inside a drop (it would abort): the test's own checks fail on it.
            eprintln!("the GPU failed while finishing the test's work: {e}");
        }
    }
}

/// [`Gpu`], or `None` where there is no adapter and WEBGAN_NO_GPU_TESTS is set. CI installs
/// Mesa's lavapipe (scripts/setup.sh), so a missing adapter is otherwise a failure: a machine
/// without any Vulkan driver may opt out, loudly.
pub fn wgpu(test: &str) -> Option<Gpu> {
    static WGPU: std::sync::OnceLock<Result<Device, String>> = std::sync::OnceLock::new();
    let opened = WGPU.get_or_init(|| {
        webgan::backend::open(webgan::backend::BackendKind::Wgpu).map_err(|e| e.to_string())
    });
    match opened.clone() {
        Ok(d) => Some(Gpu(d)),
        Err(e) if std::env::var_os("WEBGAN_NO_GPU_TESTS").is_some() => {
            eprintln!("{test} not run (WEBGAN_NO_GPU_TESTS is set): {e}");
            None
        }
        Err(e) => panic!(
            "no wgpu adapter ({e}); install Mesa's Vulkan drivers (scripts/setup.sh does), or \
             set WEBGAN_NO_GPU_TESTS=1 to leave this test out on purpose"
        ),
    }
}

/// A small conditional image GAN (16x16 grey, 3 classes) that trains in milliseconds.
pub fn tiny_image_arch() -> ArchConfig {
    ArchConfig::Image(
        ImageGanConfig::new()
            .with_image_size(16)
            .with_latent_dim(8)
            .with_width(8)
            .with_n_classes(3),
    )
}

/// [`tiny_image_arch`] with conditional batch norm in the generator.
pub fn tiny_class_norm_arch() -> ArchConfig {
    match tiny_image_arch() {
        ArchConfig::Image(c) => ArchConfig::Image(c.with_class_norm(true)),
        ArchConfig::Toy(_) => unreachable!("an image architecture"),
    }
}

pub fn toy_arch() -> ArchConfig {
    ArchConfig::Toy(ToyGanConfig::new())
}

pub fn tiny_config() -> TrainConfig {
    TrainConfig::new().with_batch_size(8)
}

/// Deterministic "real" images in [-1, 1]: a bright square whose place depends on the class.
pub fn fake_real_batch(n: usize, size: usize, classes: usize) -> (Vec<f32>, Vec<i64>) {
    let mut x = Vec::with_capacity(n * size * size);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % classes;
        y.push(class as i64);
        for r in 0..size {
            for c in 0..size {
                let inside = r / (size / 2) == class % 2 && c / (size / 2) == (class / 2) % 2;
                x.push(if inside { 0.9 } else { -0.9 });
            }
        }
    }
    (x, y)
}

/// `n` of those squares (16x16 grey, three classes) as a data set.
pub fn squares(n: usize) -> webgan::data::Dataset {
    let (samples, labels) = fake_real_batch(n, 16, 3);
    webgan::data::Dataset {
        name: "squares".into(),
        samples,
        labels: Some(labels),
        sample_len: 256,
        channels: 1,
    }
}

/// Runs `n` training steps on the fixed batch of 8 squares (for `tiny_image_arch`) and reads
/// each step's statistics.
pub fn train_on_squares(
    trainer: &mut webgan::train::GanTrainer,
    n: usize,
) -> Vec<webgan::train::StepValues> {
    let (x, y) = fake_real_batch(8, 16, 3);
    (0..n)
        .map(|_| {
            let batch = webgan::train::RealBatch {
                samples: &x,
                labels: Some(&y),
            };
            trainer.step(batch).unwrap().read().unwrap()
        })
        .collect()
}

/// Runs the `webgan` binary built with the tests.
pub fn webgan(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_webgan"))
        .args(args)
        .output()
        .expect("the webgan binary runs")
}

/// A fresh, empty temporary folder for one test, named after the test file and case: removed
/// when dropped, unless the test is failing (what it wrote is then left to look at).
pub fn tmp(file: &str, name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("webgan-{file}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// See [`tmp`].
pub struct TempDir(std::path::PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Every float tensor of a module (weights and buffers), read back.
pub fn float_tensors<M: Module>(m: &M) -> Vec<Vec<f32>> {
    struct Read(Vec<Vec<f32>>);
    impl ModuleVisitor for Read {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let data = param.val().into_data();
            self.0.push(data.convert::<f32>().try_to_vec().unwrap());
        }
    }
    let mut read = Read(Vec::new());
    m.visit(&mut read);
    read.0
}
