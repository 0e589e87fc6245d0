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
