//! `webgan bench`: generator forward and full training iterations of the digits DCGAN.
//! Numbers only: speed goals live here, never in timed tests.

use std::time::Instant;

use burn::tensor::Device;
use rand::{Rng, SeedableRng};

use super::{BenchArgs, BenchPart};
use crate::backend::{self, BackendKind};
use crate::block_on;
use crate::data::Dataset;
use crate::error::{Result, WebganError};
use crate::inference::Sampler;
use crate::latent;
use crate::model::Generator;
use crate::presets::Preset;
use crate::run::TrainingRun;
use crate::spec::TrainSpec;
use crate::weights::{FileKind, Manifest};

fn median_ms(mut f: impl FnMut() -> Result<()>, repeats: usize) -> Result<f64> {
    f()?; // warm-up: first-call allocation and (on wgpu) shader compilation
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn bench_backend(
    kind: BackendKind,
    spec: &TrainSpec,
    batches: &[usize],
    repeats: usize,
    only: Option<BenchPart>,
) -> Result<serde_json::Value> {
    let device = backend::open(kind)?;
    let mut result = serde_json::json!({ "backend": kind.name() });
    if let Some(upsample) = spec.upsample {
        result["upsample"] = serde_json::json!(upsample);
    }
    for &b in batches {
        let mut line = format!("{:<8} batch {:>4}", kind.name(), b);
        if only != Some(BenchPart::Train) {
            let forward = generation_ms(kind, spec, &device, b, repeats)?;
            line += &format!("   G forward {forward:>9.1} ms");
            result[format!("g_forward_b{b}_ms")] = serde_json::json!(round(forward));
        }
        if only != Some(BenchPart::Generate) {
            let (iteration, on_device) = iteration_ms(kind, spec, &device, b, repeats)?;
            line += &format!("   train iteration (D+G) {iteration:>9.1} ms");
            result[format!("train_iter_b{b}_ms")] = serde_json::json!(round(iteration));
            result[format!("data_on_device_b{b}")] = serde_json::json!(on_device);
        }
        println!("{line}");
    }
    result["threads"] =
        serde_json::json!(std::thread::available_parallelism().map_or(1, |n| n.get()));
    Ok(result)
}

/// The digits generator's forward pass on `batch` latents, read back.
fn generation_ms(
    kind: BackendKind,
    spec: &TrainSpec,
    device: &Device,
    batch: usize,
    repeats: usize,
) -> Result<f64> {
    let (arch, _) = spec.resolve()?;
    let mut sampler = Sampler::from_generator(
        Manifest::new(FileKind::Generator, arch.clone(), "bench", 0),
        Generator::new(&arch, device),
        device,
    );
    sampler.set_matmul_convs(kind.prefers_matmul_convs());
    let z = latent::batch_for_seed(1, batch, arch.latent_dim());
    let labels = sampler.labels(batch, None)?;
    median_ms(
        || sampler.generate(z.clone(), labels.clone()).map(|_| ()),
        repeats,
    )
}

/// The iteration `webgan train` runs: batch, step, statistics read back and checked, with the
/// training set on the device where the backend is a GPU (returned: whether it was).
fn iteration_ms(
    kind: BackendKind,
    spec: &TrainSpec,
    device: &Device,
    batch: usize,
    repeats: usize,
) -> Result<(f64, bool)> {
    let spec = TrainSpec {
        batch_size: Some(batch),
        ..spec.clone()
    };
    let mut run = TrainingRun::new(&spec, Some(random_digits(batch)), device)?;
    run.set_matmul_convs(kind.prefers_matmul_convs());
    let on_device = run.keep_data_on_device(kind.is_gpu())?;
    let ms = median_ms(|| block_on(run.step(1)).map(|_| ()), repeats)?;
    Ok((ms, on_device))
}

/// A page-sized training set (10,000 images, at least 4 batches) of random pixels and labels:
/// speed does not depend on what the pixels show.
fn random_digits(batch: usize) -> Dataset {
    let n = (4 * batch).max(10_000);
    let side = 28 * 28;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    Dataset {
        name: "random 28x28 images".into(),
        samples: (0..n * side).map(|_| rng.random_range(-1.0..1.0)).collect(),
        labels: Some((0..n).map(|i| (i % 10) as i64).collect()),
        sample_len: side,
        channels: 1,
    }
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

pub fn run(args: BenchArgs) -> Result<()> {
    let kinds = match args.backend.as_str() {
        "all" => vec![BackendKind::Flex, BackendKind::Ndarray, BackendKind::Wgpu],
        "flex" => vec![BackendKind::Flex],
        "ndarray" => vec![BackendKind::Ndarray],
        "wgpu" => vec![BackendKind::Wgpu],
        other => {
            return Err(WebganError::invalid(
                "backend",
                other,
                "flex, ndarray, wgpu or all",
            ));
        }
    };
    if args.batch.is_empty() || args.batch.iter().any(|&b| b == 0 || b > 4096) {
        return Err(WebganError::invalid(
            "batch",
            format!("{:?}", args.batch),
            "sizes must be 1..=4096",
        ));
    }
    println!(
        "digits DCGAN (conditional, 28x28), median of {} runs after a warm-up",
        args.repeats
    );
    let reference = args.reference.as_deref().map(read_reference).transpose()?;
    let spec = TrainSpec {
        upsample: args.upsample,
        ..TrainSpec::preset(Preset::Digits)
    };
    let mut lines = Vec::new();
    for kind in kinds {
        match bench_backend(kind, &spec, &args.batch, args.repeats, args.only) {
            Ok(v) => lines.push(v),
            Err(e) if args.backend == "all" => println!("{:<8} skipped: {e}", kind.name()),
            Err(e) => return Err(e),
        }
    }
    for line in &lines {
        println!("{line}");
    }
    if let Some(reference) = reference {
        print_ratios(&lines, &reference);
    }
    Ok(())
}

/// The reference's figures: the last line of the file that is a JSON object.
fn read_reference(path: &std::path::Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| WebganError::io(path, e))?;
    text.lines()
        .rev()
        .find_map(|line| serde_json::from_str::<serde_json::Value>(line.trim()).ok())
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| {
            WebganError::invalid(
                "reference",
                path.display(),
                "holds no JSON line (run scripts/torch_reference.py and save what it prints)",
            )
        })
}

/// Each figure both runs measured, as webgan's time over the reference's (below 1: faster).
fn print_ratios(lines: &[serde_json::Value], reference: &serde_json::Value) {
    let name = reference["backend"].as_str().unwrap_or("the reference");
    for line in lines {
        let Some(fields) = line.as_object() else {
            continue;
        };
        for (key, ours) in fields.iter().filter(|(k, _)| k.ends_with("_ms")) {
            if let (Some(ours), Some(theirs)) = (ours.as_f64(), reference[key].as_f64()) {
                println!(
                    "{:<8} {key:<22} {ours:>9.1} ms vs {name} {theirs:>9.1} ms: {:.2}x",
                    line["backend"].as_str().unwrap_or("?"),
                    ours / theirs
                );
            }
        }
    }
}
