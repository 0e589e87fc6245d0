//! The latent tools' figures on the shipped digits model (for models/README.md and
//! docs/performance.md; a benchmark, not a test):
//!   cargo run --release --example latent_figures -- directions      # shares, shared vs per class, time
//!   cargo run --release --example latent_figures -- speed [BACKEND]  # one "find my digit" search
//!   cargo run --release --example latent_figures -- mnist [N] [DIR]  # real test digits: classifier agreement
use std::time::Instant;

use webgan::backend::{self, BackendKind};
use webgan::data::mnist::{self, Split};
use webgan::directions;
use webgan::inference::Sampler;
use webgan::invert::{self, Classes, Inversion, InvertConfig};
use webgan::{block_on, latent};

fn digits(kind: BackendKind) -> Sampler {
    let device = backend::open(kind).expect("backend");
    Sampler::load(webgan::shipped::model("digits").unwrap(), "digits", &device).unwrap()
}

fn backend_arg(arg: Option<&String>) -> BackendKind {
    match arg.map(String::as_str) {
        Some("wgpu") => BackendKind::Wgpu,
        Some("ndarray") => BackendKind::Ndarray,
        _ => BackendKind::Flex,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("directions") => directions_figures(),
        Some("speed") => speed(backend_arg(args.get(1))),
        Some("mnist") => real_digits(
            args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100),
            args.get(2).map_or("../shared/data/mnist", String::as_str),
        ),
        _ => eprintln!("usage: latent_figures directions | speed [flex|wgpu] | mnist [N] [DIR]"),
    }
}

fn directions_figures() {
    let sampler = digits(BackendKind::Flex);
    let samples = directions::EXPORT_SAMPLES;
    let t = Instant::now();
    let per_class = block_on(directions::compute(&sampler, samples, true)).unwrap();
    let per_class_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let shared = block_on(directions::compute(&sampler, samples, false)).unwrap();
    println!(
        "computing directions from {samples} latents per class: per class {per_class_s:.1} s, shared {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let show = |s: &[f32]| {
        s.iter()
            .take(8)
            .map(|v| format!("{:.1}", v * 100.0))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "shared set, variance share of directions 0..7 (%): {}  (top 8 together {:.1}%)",
        show(&shared.sets[0].variance_share),
        shared.sets[0].variance_share.iter().sum::<f32>() * 100.0
    );
    for (c, set) in per_class.sets.iter().enumerate() {
        println!(
            "class {c} set, variance share of directions 0..7 (%): {}  (top 8 together {:.1}%)",
            show(&set.variance_share),
            set.variance_share.iter().sum::<f32>() * 100.0
        );
    }
    for k in [1, 3, 5] {
        let ratios = block_on(directions::shared_vs_per_class(&sampler, 2_000, k)).unwrap();
        let text: Vec<String> = ratios.iter().map(|r| format!("{:.2}", r)).collect();
        println!(
            "top-{k} shared directions capture of each class's own top-{k} variance: {} (mean {:.2})",
            text.join(" "),
            ratios.iter().sum::<f64>() / ratios.len() as f64
        );
    }
    // How much more a step along direction k moves the image than a random step (per class set).
    let dim = sampler.latent_dim();
    let n = 200;
    let z = latent::batch_for_seed(5, n, dim);
    let labels = sampler.labels(n, None).unwrap().unwrap();
    let base = sampler.generate(z.clone(), Some(labels.clone())).unwrap();
    let random = latent::batch_for_seed(6, n, dim);
    let mse = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32
    };
    let moved_by = |shift: &dyn Fn(usize, &[f32]) -> Vec<f32>| {
        let mut all = Vec::new();
        for i in 0..n {
            all.extend(shift(i, &z[i * dim..(i + 1) * dim]));
        }
        mse(&base, &sampler.generate(all, Some(labels.clone())).unwrap())
    };
    let r = moved_by(&|i, zi| {
        let r = &random[i * dim..(i + 1) * dim];
        let norm = r.iter().map(|x| x * x).sum::<f32>().sqrt();
        zi.iter().zip(r).map(|(a, b)| a + 2.0 * b / norm).collect()
    });
    for (name, dirs) in [("per class", &per_class), ("shared", &shared)] {
        let moves: Vec<String> = [0, 1, 2, 4, 7]
            .iter()
            .map(|&k| {
                let m =
                    moved_by(&|i, zi| dirs.shift(zi, Some(labels[i] as usize), k, 2.0).unwrap());
                format!("d{k} {:.2}x", m / r)
            })
            .collect();
        println!(
            "{name}: pixel change of a step of 2 along direction k, relative to a random step of 2 ({r:.4}): {}",
            moves.join(", ")
        );
    }
}

fn speed(kind: BackendKind) {
    let sampler = digits(kind);
    let dim = sampler.latent_dim();
    let mut rows = Vec::new();
    for seed in 0..3u64 {
        let class = (seed * 3 % 10) as i64;
        let target = sampler
            .generate(
                latent::batch_for_seed(500 + seed, 1, dim),
                Some(vec![class]),
            )
            .unwrap();
        let config = InvertConfig::default();
        let t = Instant::now();
        let found = invert::run_blocking(
            &sampler,
            &target,
            Classes::All,
            config.clone(),
            100,
            |_, _| {},
        )
        .unwrap();
        let s = t.elapsed().as_secs_f64();
        println!(
            "{}: one generated digit (class {class}), every class x {} restarts x {} steps: {s:.2} s, pixel MSE {:.5} (RMS {:.1}%), class found {:?}",
            kind.name(),
            config.restarts,
            config.steps,
            found[0].loss,
            invert::rms_error(found[0].loss) * 100.0,
            found[0].class
        );
        rows.push(s);
    }
    rows.sort_by(f64::total_cmp);
    println!("{}: median search time {:.2} s", kind.name(), rows[1]);
}

fn real_digits(n: usize, dir: &str) {
    let sampler = digits(BackendKind::Flex);
    let device = sampler.device().clone();
    let test = mnist::load_dir(std::path::Path::new(dir), Split::Test).expect("MNIST test split");
    let (_, _, classifier) = webgan::eval::classifier::load_classifier(
        include_bytes!("../models/digits-classifier.wgan"),
        "digits-classifier",
        &device,
    )
    .unwrap();
    let len = 28 * 28;
    // Every 97th test digit: spread over the file, all classes.
    let picks: Vec<usize> = (0..n).map(|i| (i * 97) % test.len()).collect();
    let targets: Vec<f32> = picks
        .iter()
        .flat_map(|&i| {
            test.pixels[i * len..(i + 1) * len]
                .iter()
                .map(|&p| p as f32 / 127.5 - 1.0)
        })
        .collect();
    let truth: Vec<usize> = picks.iter().map(|&i| test.labels[i] as usize).collect();
    let config = InvertConfig::default();
    let started = Instant::now();
    let mut found = Vec::new();
    // Ten digits per batch: 10 x 10 classes x 4 restarts = 400 candidates.
    for chunk in targets.chunks(10 * len) {
        let mut search = Inversion::new(&sampler, chunk, Classes::All, config.clone()).unwrap();
        while !search.finished() {
            block_on(search.advance(100)).unwrap();
        }
        found.extend(block_on(search.progress()).unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    let samples: Vec<f32> = found.iter().flat_map(|b| b.sample.clone()).collect();
    let on_found = classifier.judge(&samples, &device).unwrap().predictions();
    let on_real = classifier.judge(&targets, &device).unwrap().predictions();
    let rate = |p: &[usize]| p.iter().zip(&truth).filter(|(a, b)| a == b).count() as f64 / n as f64;
    let search_class = found
        .iter()
        .zip(&truth)
        .filter(|(b, t)| b.class == Some(**t))
        .count() as f64
        / n as f64;
    let mean_mse = found.iter().map(|b| b.loss as f64).sum::<f64>() / n as f64;
    println!(
        "{n} MNIST test digits, every class x {} restarts x {} steps, {seconds:.1} s on flex ({:.2} s per digit):",
        config.restarts,
        config.steps,
        seconds / n as f64
    );
    println!(
        "  classifier on the recovered samples agrees with the true label: {:.1}%",
        rate(&on_found) * 100.0
    );
    println!(
        "  the class the search picked is the true label:                  {:.1}%",
        search_class * 100.0
    );
    println!(
        "  classifier on the real digits themselves:                       {:.1}%",
        rate(&on_real) * 100.0
    );
    println!(
        "  mean pixel MSE {:.4} (RMS {:.1}%)",
        mean_mse,
        invert::rms_error(mean_mse as f32) * 100.0
    );
}
