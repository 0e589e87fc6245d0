//! Browser tests (wasm32, headless Chromium with WebGPU through SwiftShader): run by
//! `scripts/test.sh` as `cargo test --target wasm32-unknown-unknown --no-default-features
//! --features train,webgpu,test-hooks --release --test web`. Native builds compile this file to nothing.
#![cfg(target_family = "wasm")]

use wasm_bindgen_test::*;
use webgan::burn::tensor::Device;
use webgan::inference::{Sampler, read_floats_async};
use webgan::latent;
use webgan::web::{Backend, WebGan};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/numbered.rs"]
mod numbered;

/// The digits model the page ships.
const DIGITS: &[u8] = include_bytes!("../models/digits.wgan");

/// Max |WebGPU - CPU| relative to the largest output: f32 sums taken in another order differ
/// by ~1e-6; a wrong kernel differs by the outputs' own size.
const TOLERANCE: f32 = 1e-3;

async fn webgpu() -> Device {
    Backend::webgpu()
        .await
        .unwrap_or_else(|e| {
            panic!("headless Chromium with --enable-unsafe-webgpu has WebGPU: {e:?}")
        })
        .device()
        .clone()
}

fn relative_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = a.iter().map(|x| x.abs()).fold(0.0, f32::max);
    // Untrained generators draw faint images (max |pixel| ~0.02 after a few steps), still
    // 1e4 times the rounding differences; all zeros would compare nothing.
    assert!(scale > 1e-3, "outputs too small to compare ({scale})");
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
    // The error reaching JS carries its kind, which the page branches on.
    let err = WebGan::load(&backend, truncated, "truncated.wgan")
        .err()
        .unwrap();
    let kind = js_sys::Reflect::get(&err, &"kind".into())
        .unwrap()
        .as_string();
    assert_eq!(kind.as_deref(), Some("bad_weights"));
    let err = Sampler::load(truncated, "truncated.wgan", backend.device())
        .err()
        .unwrap();
    assert!(err.to_string().contains("truncated"), "{err}");
    // And the good file still loads, on WebGPU too.
    let gpu = Backend::webgpu().await.ok().unwrap();
    assert!(WebGan::load(&gpu, DIGITS, "digits.wgan").is_ok());
}

// ---- Training in the page (the Train view's engine, `run::TrainingRun`), on WebGPU ----

use webgan::data::{Batcher, Dataset, TrainingData};
use webgan::run::{DeviceData, Quality, TrainingRun};
use webgan::spec::TrainSpec;
use webgan::web::wasm_memory_bytes;

fn spec(json: &str) -> TrainSpec {
    TrainSpec::from_json(json).unwrap()
}

fn log(msg: String) {
    web_sys::console::log_1(&msg.into());
}

/// Lets the page's event loop run (the test runner polls it; a CPU backend computing for
/// many seconds without a break would look hung).
async fn breathe() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// `total` steps in chunks of `chunk`, breathing in between.
async fn train(t: &mut TrainingRun, total: u32, chunk: u32) {
    for _ in 0..total / chunk {
        t.step(chunk).await.unwrap();
        breathe().await;
    }
}

// Speed here: WebGPU in headless Chromium is SwiftShader, a CPU emulation of a GPU, where every
// kernel launch costs milliseconds: a ring step takes ~3.5 s there against ~30 ms on the CPU
// backend in the same page (measured). So the long runs below train on the CPU backend in the
// browser, and WebGPU is checked to train *the same* (equal losses step by step, from the same
// weights) over as many steps as this machine affords.

/// A ring trainer with CPU-initialised weights on `device` (each backend's initialisers draw
/// from its own RNG, and a GAN's outcome depends on its start).
async fn ring_on(device: &Device, json: &str) -> TrainingRun {
    let start = TrainingRun::new(&spec(json), None, Backend::cpu().device())
        .unwrap()
        .export_checkpoint()
        .await
        .unwrap();
    TrainingRun::resume(&start, "checkpoint", None, device).unwrap()
}

#[wasm_bindgen_test]
async fn twelve_hundred_steps_in_the_browser_learn_the_ring() {
    let mut t = ring_on(Backend::cpu().device(), r#"{"preset":"ring"}"#).await;
    let Quality::Toy {
        high_quality: before,
        ..
    } = t.quality().await.unwrap()
    else {
        panic!()
    };
    train(&mut t, 1200, 25).await;
    let q = t.quality().await.unwrap();
    log(format!(
        "ring in the browser: high quality {before:.3} -> {q:?} after 1200 steps"
    ));
    let Quality::Toy {
        modes_covered,
        high_quality,
        ..
    } = q
    else {
        panic!()
    };
    // Threshold: at least half the modes and a quarter of the points on them (an untrained
    // generator puts ~0 there).
    assert!(
        modes_covered >= 4 && high_quality >= 0.25,
        "{before} -> {q:?}"
    );
}

#[wasm_bindgen_test]
async fn webgpu_trains_the_ring_exactly_as_the_cpu_does() {
    let json = r#"{"preset":"ring","batch_size":128}"#;
    let mut cpu = ring_on(Backend::cpu().device(), json).await;
    let mut gpu = ring_on(&webgpu().await, json).await;
    for step in 1..=4 {
        let a = cpu.step(1).await.unwrap();
        let b = gpu.step(1).await.unwrap();
        breathe().await;
        for (x, y) in [
            (a.d_loss, b.d_loss),
            (a.g_loss, b.g_loss),
            (a.d_fake, b.d_fake),
        ] {
            assert!(
                (x - y).abs() <= 1e-3 * x.abs().max(1.0),
                "step {step}: {a:?} vs {b:?}"
            );
        }
    }
    let (a, b) = (cpu.samples().await.unwrap(), gpu.samples().await.unwrap());
    let d = relative_diff(&a, &b);
    log(format!(
        "ring after 4 steps, CPU vs WebGPU samples: max relative diff {d:.2e}"
    ));
    assert!(d < TOLERANCE, "{d}");
    // D's decision surface, as the Train view draws it.
    let (a, b) = (
        cpu.heatmap(32, 3.0).await.unwrap(),
        gpu.heatmap(32, 3.0).await.unwrap(),
    );
    let d = relative_diff(&a, &b);
    log(format!(
        "ring heatmap, CPU vs WebGPU: max relative diff {d:.2e}"
    ));
    assert!(d < TOLERANCE, "{d}");
}

/// 16 digit-sized images: a bright square whose position is the class.
fn fixed_digits() -> Dataset {
    let mut x = vec![-1.0f32; 16 * 784];
    let y: Vec<i64> = (0..16).map(|i| i % 10).collect();
    for (i, &c) in y.iter().enumerate() {
        for r in 6..14 {
            for col in 0..8 {
                x[i * 784 + (r + c as usize) * 28 + 4 + 2 * c as usize + col] = 1.0;
            }
        }
    }
    Dataset {
        name: "fixed digits".into(),
        samples: x,
        labels: Some(y),
        sample_len: 784,
        channels: 1,
    }
}

const SMALL_DIGITS: &str = r#"{"preset":"digits","width":16,"batch_size":16}"#;

#[wasm_bindgen_test]
async fn a_dozen_webgpu_digit_steps_lower_d_loss_on_a_fixed_batch() {
    let device = webgpu().await;
    let mut t = TrainingRun::new(&spec(SMALL_DIGITS), Some(fixed_digits()), &device).unwrap();
    let first = t.step(1).await.unwrap().d_loss;
    train(&mut t, 12, 1).await;
    let later = t.step(1).await.unwrap().d_loss;
    log(format!(
        "digits on WebGPU: D loss {first:.4} -> {later:.4} in 14 steps"
    ));
    // An untrained D sits at 2 ln 2 = 1.386; 5% below it is learning, not noise.
    assert!(later < first * 0.95, "D loss {first} -> {later}");
    // What the Generate view loads: exported from WebGPU with async reads only.
    let file = t.export_generator().await.unwrap();
    assert!(WebGan::load(&Backend::cpu(), &file, "trained.wgan").is_ok());
}

/// `steps` steps of `json` on the fixed digits, on the CPU and then on WebGPU, from one
/// checkpoint (initialisers draw from each backend's own RNG) with the same data and noise
/// (drawn on the host): per backend, each step's [d_loss, g_loss, d_real, d_fake] and the run.
/// As in the page, WebGPU keeps the data on the device and gathers batches there; the CPU
/// copies them on the host.
async fn cpu_and_webgpu_from_one_checkpoint(
    json: &str,
    steps: usize,
) -> Vec<(Vec<[f32; 4]>, TrainingRun)> {
    let cpu = Backend::cpu().device().clone();
    let seed = TrainingRun::new(&spec(json), Some(fixed_digits()), &cpu).unwrap();
    let checkpoint = seed.export_checkpoint().await.unwrap();
    let mut runs = Vec::new();
    for (on_gpu, device) in [(false, cpu), (true, webgpu().await)] {
        let mut t =
            TrainingRun::resume(&checkpoint, "checkpoint", Some(fixed_digits()), &device).unwrap();
        assert_eq!(t.keep_data_on_device(on_gpu).unwrap(), on_gpu);
        let mut losses = Vec::new();
        for _ in 0..steps {
            let v = t.step(1).await.unwrap();
            losses.push([v.d_loss, v.g_loss, v.d_real, v.d_fake]);
            breathe().await;
        }
        runs.push((losses, t));
    }
    runs
}

/// Each loss of `a` within 1e-3 (relative, or absolute below 1) of the same one in `b`.
fn assert_losses_agree(what: &str, a: &[[f32; 4]], b: &[[f32; 4]]) {
    log(format!("{what}, CPU vs WebGPU losses: {a:?} vs {b:?}"));
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        assert!(
            (x - y).abs() <= 1e-3 * x.abs().max(1.0),
            "{what}: {a:?} vs {b:?}"
        );
    }
}

#[wasm_bindgen_test]
async fn the_first_step_gives_the_same_losses_on_webgpu_and_cpu() {
    let runs = cpu_and_webgpu_from_one_checkpoint(SMALL_DIGITS, 1).await;
    assert_losses_agree("first step", &runs[0].0, &runs[1].0);
}

/// SMALL_DIGITS with every training option the page offers on.
const SMALL_DIGITS_ALL_OPTIONS: &str = r#"{"preset":"digits","width":16,"batch_size":16,
    "ema_decay":0.9,"augment":["color","translation","cutout"],"spectral_norm":true,
    "class_norm":true}"#;

#[wasm_bindgen_test]
async fn webgpu_trains_and_exports_digits_with_every_option_as_the_cpu_does() {
    // What the Train view runs on WebGPU, end to end: three steps with the moving average,
    // the augmentations, spectral norm and class batch norm, then the exported generator (the
    // moving average's weights) drawing digits. A kernel that is wrong, or skipped because its
    // shader failed validation, shows as a difference of the values' own size.
    let runs = cpu_and_webgpu_from_one_checkpoint(SMALL_DIGITS_ALL_OPTIONS, 3).await;
    assert_losses_agree("3 steps, every option", &runs[0].0, &runs[1].0);
    let mut digits = Vec::new();
    for (_, t) in &runs {
        let file = t.export_generator().await.unwrap();
        let gan = Sampler::load(&file, "trained.wgan", Backend::cpu().device()).unwrap();
        let z = latent::batch_for_seed(3, 8, gan.latent_dim());
        let labels = gan.labels(8, None).unwrap();
        digits.push(gan.generate_async(z, labels).await.unwrap());
    }
    let d = relative_diff(&digits[0], &digits[1]);
    log(format!(
        "generators exported after 3 steps, CPU vs WebGPU: max relative diff {d:.2e}"
    ));
    // Looser than TOLERANCE: Adam divides each gradient by its own running size, so the
    // backends' rounding differences grow over steps (measured 3.1e-3 of these faint images,
    // 5e-5 absolute, with and without fusion; natively `tests/backends.rs` sees 3.5e-5).
    // A wrong or skipped kernel differs by the images' own size.
    assert!(d < 2e-2, "{d}");
}

#[wasm_bindgen_test]
async fn batches_gathered_on_webgpu_are_the_ones_the_host_batcher_copies() {
    let device = webgpu().await;
    let data = numbered::numbered();
    let on_gpu = DeviceData::upload(&data, &device)
        .unwrap()
        .expect("50 x 6 floats fit");
    let host_data = TrainingData::Samples(data);
    let (mut host, mut gathered) = (Batcher::new(5, 8), Batcher::new(5, 8));
    for step in numbered::STEPS {
        let (x, y) = host.batch(&host_data, step);
        let (gx, gy) = on_gpu.batch(&mut gathered, step);
        let gx = read_floats_async(gx).await.unwrap();
        assert_eq!(gx, x, "step {step}: samples");
        assert_eq!(gy, y, "step {step}: labels");
    }
}

#[wasm_bindgen_test]
async fn nan_on_webgpu_stops_training_with_an_error_not_a_panic() {
    let device = webgpu().await;
    let mut t = TrainingRun::new(&spec(r#"{"preset":"ring"}"#), None, &device).unwrap();
    t.step(3).await.unwrap();
    t.inject_nan();
    let e = t.step(2).await.unwrap_err();
    assert_eq!(e.kind(), "diverged", "{e}");
    assert_eq!(t.steps(), 3);
    assert!(t.step(1).await.is_ok(), "the last good weights train on");
}

/// wasm memory after `early` and after `late` ring steps on `device`, in chunks of `chunk`.
async fn memory_over_a_run(device: &Device, early: u32, late: u32, chunk: u32) -> (f64, f64) {
    let mut t = ring_on(device, r#"{"preset":"ring","batch_size":128}"#).await;
    train(&mut t, early, chunk).await;
    t.samples().await.unwrap();
    let at_early = wasm_memory_bytes();
    while t.steps() < late as u64 {
        let n = (late as u64 - t.steps()).min(10 * chunk as u64) as u32;
        train(&mut t, n, chunk.min(n)).await;
        t.samples().await.unwrap();
    }
    (at_early, wasm_memory_bytes())
}

#[wasm_bindgen_test]
async fn memory_stays_flat_over_two_thousand_steps() {
    // On the CPU every tensor lives in wasm memory, so a leaked tensor shows there: 2,000
    // steps. On WebGPU (host side: staging buffers, graphs, snapshots) this machine affords
    // 40 steps (see the note on speed above).
    for (name, device, early, late, chunk) in [
        ("CPU", Backend::cpu().device().clone(), 100, 2000, 25),
        ("WebGPU", webgpu().await, 10, 40, 1),
    ] {
        let (at_early, at_late) = memory_over_a_run(&device, early, late, chunk).await;
        log(format!(
            "{name}: wasm memory {:.1} MB at step {early}, {:.1} MB at step {late}",
            at_early / 1e6,
            at_late / 1e6
        ));
        // Bound: 4 MB of growth (allocator slack). Leaking one step's activations (~0.4 MB
        // at batch 128) would add ~800 MB over 1,900 CPU steps.
        assert!(at_late - at_early <= 4e6, "{name}: {at_early} -> {at_late}");
    }
}

/// The live quality meter (`run::meter`) reads the same figures on WebGPU as on the CPU: one
/// run's weights on both, the digits classifier the page fetches, the same fixed latents.
#[wasm_bindgen_test]
async fn the_quality_meter_on_webgpu_reads_what_the_cpu_reads() {
    const CLASSIFIER: &[u8] = include_bytes!("../models/digits-classifier.wgan");
    let mut readings = Vec::new();
    for (_, mut t) in cpu_and_webgpu_from_one_checkpoint(SMALL_DIGITS, 3).await {
        assert_eq!(t.meter_classifier(), Some("digits-classifier"));
        assert!(t.attach_meter(CLASSIFIER).unwrap());
        readings.push(t.read_meter().await.unwrap().unwrap());
    }
    let (cpu, gpu) = (&readings[0], &readings[1]);
    log(format!(
        "meter: CPU {:.3} FID {:.3} ({:.0} ms), WebGPU {:.3} FID {:.3} ({:.0} ms)",
        cpu.readability, cpu.fid, cpu.ms, gpu.readability, gpu.fid, gpu.ms
    ));
    // Rounding may flip a sample on a class boundary: at most one of a class's 25.
    let one = 1.0 / webgan::run::meter::PER_CLASS as f64 + 1e-9;
    for (c, (a, b)) in cpu.per_class.iter().zip(&gpu.per_class).enumerate() {
        assert!((a - b).abs() <= one, "class {c}: CPU {a}, WebGPU {b}");
    }
    assert!(
        (cpu.fid - gpu.fid).abs() <= 1e-2 * cpu.fid.max(1.0),
        "FID: CPU {}, WebGPU {}",
        cpu.fid,
        gpu.fid
    );
    assert!(
        (cpu.diversity - gpu.diversity).abs() <= 1e-2 * cpu.diversity.max(1.0),
        "diversity: CPU {}, WebGPU {}",
        cpu.diversity,
        gpu.diversity
    );
}
