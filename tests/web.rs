//! Browser tests (wasm32, headless Chromium with WebGPU through SwiftShader): run by
//! `scripts/test.sh` as `cargo test --target wasm32-unknown-unknown --no-default-features
//! --release --test web`. Native builds compile this file to nothing.
#![cfg(target_family = "wasm")]

use wasm_bindgen_test::*;
use webgan::burn::tensor::Device;
use webgan::inference::Sampler;
use webgan::latent;
use webgan::web::{Backend, WebGan};

wasm_bindgen_test_configure!(run_in_browser);

/// The digits model the page ships.
const DIGITS: &[u8] = include_bytes!("../models/digits.wgan");

/// Max |WebGPU - CPU| relative to the largest output: f32 sums taken in another order differ
/// by ~1e-6; a wrong kernel differs by the outputs' own size.
const TOLERANCE: f32 = 1e-3;

async fn webgpu() -> Device {
    Backend::webgpu()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "headless Chromium with --enable-unsafe-webgpu has WebGPU: {:?}",
                wasm_bindgen::JsValue::from(e)
            )
        })
        .device()
        .clone()
}

fn relative_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = a.iter().map(|x| x.abs()).fold(0.0, f32::max);
    assert!(scale > 0.1, "outputs too small to compare ({scale})");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
        / scale
}

#[wasm_bindgen_test]
async fn webgpu_and_cpu_generate_the_same_digits() {
    let gpu = Sampler::load(DIGITS, "digits", &webgpu().await).unwrap();
    let cpu = Sampler::load(DIGITS, "digits", &Backend::cpu().device().clone()).unwrap();
    let z = latent::batch_for_seed(7, 16, gpu.latent_dim());
    let labels = gpu.labels(16, None).unwrap();
    let a = cpu.generate_async(z.clone(), labels.clone()).await.unwrap();
    let b = gpu.generate_async(z, labels).await.unwrap();
    let d = relative_diff(&a, &b);
    web_sys::console::log_1(&format!("WebGPU vs CPU: max relative diff {d:.2e}").into());
    assert!(d < TOLERANCE, "WebGPU vs CPU: {d}");
}

#[wasm_bindgen_test]
async fn the_class_changes_what_webgpu_generates() {
    let gpu = Sampler::load(DIGITS, "digits", &webgpu().await).unwrap();
    let z = latent::batch_for_seed(3, 4, gpu.latent_dim());
    let ones = gpu
        .generate_async(z.clone(), gpu.labels(4, Some(1)).unwrap())
        .await
        .unwrap();
    let eights = gpu
        .generate_async(z.clone(), gpu.labels(4, Some(8)).unwrap())
        .await
        .unwrap();
    let again = gpu
        .generate_async(z, gpu.labels(4, Some(1)).unwrap())
        .await
        .unwrap();
    assert_eq!(ones, again, "same inputs, same digits");
    let ink = |v: &[f32]| v.iter().filter(|&&p| p > 0.0).count();
    assert!(
        ink(&eights) > ink(&ones),
        "an 8 has more ink than a 1: {} vs {}",
        ink(&eights),
        ink(&ones)
    );
}

#[wasm_bindgen_test]
async fn corrupt_weights_are_an_error_not_a_panic() {
    let backend = Backend::cpu();
    let truncated = &DIGITS[..DIGITS.len() / 3];
    assert!(WebGan::load(&backend, truncated, "truncated.wgan").is_err());
    assert!(WebGan::load(&backend, b"<html>404</html>", "page.wgan").is_err());
    let err = Sampler::load(truncated, "truncated.wgan", backend.device())
        .err()
        .unwrap();
    assert!(err.to_string().contains("truncated"), "{err}");
    // And the good file still loads, on WebGPU too.
    let gpu = Backend::webgpu().await.ok().unwrap();
    assert!(WebGan::load(&gpu, DIGITS, "digits.wgan").is_ok());
}

// ---- Training in the page (the Train view's engine, `live`), on WebGPU ----

use webgan::live::{LiveOptions, LiveQuality, LiveTrainer};
use webgan::web::wasm_memory_bytes;

fn options(json: &str) -> LiveOptions {
    serde_json::from_str(json).unwrap()
}

fn log(msg: String) {
    web_sys::console::log_1(&msg.into());
}

#[wasm_bindgen_test]
async fn a_few_hundred_webgpu_steps_learn_the_ring() {
    // Start from CPU-initialised weights (each backend's initialisers draw from its own RNG,
    // and a GAN's outcome depends on its start), then train on WebGPU.
    let start = LiveTrainer::new(options(r#"{"data":"ring"}"#), Backend::cpu().device())
        .unwrap()
        .export_checkpoint()
        .await
        .unwrap();
    let mut t = LiveTrainer::resume(&start, "checkpoint", &webgpu().await).unwrap();
    let LiveQuality::Toy { high_quality: before, .. } = t.quality().await.unwrap() else {
        panic!()
    };
    for _ in 0..12 {
        t.step(50).await.unwrap();
    }
    let q = t.quality().await.unwrap();
    log(format!("ring on WebGPU: high quality {before:.3} -> {q:?} after 600 steps"));
    let LiveQuality::Toy { modes_covered, high_quality, .. } = q else { panic!() };
    // Threshold: at least half the modes and a quarter of the points on them (an untrained
    // generator puts ~0 there).
    assert!(modes_covered >= 4 && high_quality >= 0.25, "{before} -> {q:?}");
}

/// 16 digit-sized images: a bright square whose position is the class.
fn fixed_digits() -> (Vec<f32>, Vec<i64>) {
    let mut x = vec![-1.0f32; 16 * 784];
    let y: Vec<i64> = (0..16).map(|i| i % 10).collect();
    for (i, &c) in y.iter().enumerate() {
        for r in 6..14 {
            for col in 0..8 {
                x[i * 784 + (r + c as usize) * 28 + 4 + 2 * c as usize + col] = 1.0;
            }
        }
    }
    (x, y)
}

const SMALL_DIGITS: &str =
    r#"{"data":"images","image_size":28,"channels":1,"n_classes":10,"width":16,"batch_size":16}"#;

#[wasm_bindgen_test]
async fn a_few_dozen_webgpu_digit_steps_lower_d_loss_on_a_fixed_batch() {
    let device = webgpu().await;
    let mut t = LiveTrainer::new(options(SMALL_DIGITS), &device).unwrap();
    let (x, y) = fixed_digits();
    t.set_images(x, Some(y)).unwrap();
    let first = t.step(1).await.unwrap().d_loss;
    let later = t.step(30).await.unwrap().d_loss;
    log(format!("digits on WebGPU: D loss {first:.4} -> {later:.4} in 30 steps"));
    assert!(later < first * 0.9, "D loss {first} -> {later}");
    // What the Generate view loads: exported from WebGPU with async reads only.
    let file = t.export_generator().await.unwrap();
    assert!(WebGan::load(&Backend::cpu(), &file, "trained.wgan").is_ok());
}

#[wasm_bindgen_test]
async fn the_first_step_gives_the_same_losses_on_webgpu_and_cpu() {
    // Same weights on both (initialisers draw from each backend's own RNG, so start from one
    // checkpoint), same data and noise (drawn on the host): the losses agree.
    let cpu = Backend::cpu().device().clone();
    let seed = LiveTrainer::new(options(SMALL_DIGITS), &cpu).unwrap();
    let checkpoint = seed.export_checkpoint().await.unwrap();
    let (x, y) = fixed_digits();
    let mut losses = Vec::new();
    for device in [cpu, webgpu().await] {
        let mut t = LiveTrainer::resume(&checkpoint, "checkpoint", &device).unwrap();
        t.set_images(x.clone(), Some(y.clone())).unwrap();
        let v = t.step(1).await.unwrap();
        losses.push([v.d_loss, v.g_loss, v.d_real, v.d_fake]);
    }
    log(format!("first step, CPU vs WebGPU: {:?} vs {:?}", losses[0], losses[1]));
    for (a, b) in losses[0].iter().zip(&losses[1]) {
        assert!((a - b).abs() <= 1e-3 * a.abs().max(1.0), "{losses:?}");
    }
}

#[wasm_bindgen_test]
async fn nan_on_webgpu_stops_training_with_an_error_not_a_panic() {
    let device = webgpu().await;
    let mut t = LiveTrainer::new(options(r#"{"data":"ring"}"#), &device).unwrap();
    t.step(3).await.unwrap();
    t.inject_nan();
    let e = t.step(2).await.unwrap_err().to_string();
    assert!(e.contains("diverged"), "{e}");
    assert_eq!(t.steps(), 3);
    assert!(t.step(1).await.is_ok(), "the last good weights train on");
}

/// wasm memory at step 100 and step 2,000 of ring training on `device`.
async fn memory_over_a_run(device: &Device) -> (f64, f64) {
    let mut t = LiveTrainer::new(options(r#"{"data":"ring","batch_size":128}"#), device).unwrap();
    t.step(100).await.unwrap();
    t.samples().await.unwrap();
    let at_100 = wasm_memory_bytes();
    for _ in 0..38 {
        t.step(50).await.unwrap();
        t.samples().await.unwrap();
    }
    assert_eq!(t.steps(), 2000);
    (at_100, wasm_memory_bytes())
}

#[wasm_bindgen_test]
async fn memory_stays_flat_over_two_thousand_steps() {
    // On the CPU every tensor lives in wasm memory, so a leaked tensor shows there; on WebGPU
    // it shows the host side (staging buffers, graphs, snapshots).
    for (name, device) in [("CPU", Backend::cpu().device().clone()), ("WebGPU", webgpu().await)] {
        let (at_100, at_2000) = memory_over_a_run(&device).await;
        log(format!(
            "{name}: wasm memory {:.1} MB at step 100, {:.1} MB at step 2000",
            at_100 / 1e6,
            at_2000 / 1e6
        ));
        // Bound: 4 MB of growth (allocator slack). Leaking one step's activations (~0.4 MB
        // at batch 128) would add ~800 MB.
        assert!(at_2000 - at_100 <= 4e6, "{name}: {at_100} -> {at_2000}");
    }
}
