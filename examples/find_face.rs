//! "Find my face" measured (models/README.md): held-out UTKFace photos inverted into the shipped
//! faces model exactly as `webgan invert --model faces --image FILE` does (its default search,
//! seed 0, the flex CPU backend), against the best of 1,000 random latents, by pixel error and
//! by distance in the faces classifier's features; and the classifier's gender on the found
//! face against the photo's (its file name's label, and the classifier's own reading of it).
//! A benchmark, not a test; the photos are read where they lie, never copied:
//!   cargo run --release --example find_face -- [N] [DIR]
//! (N: photos, default 50, spread evenly over the held-out split's file-name order, which is
//! age order; DIR default ../shared/data/faces/utkface-crop_part1).
use std::time::Instant;

use webgan::backend::{self, BackendKind};
use webgan::eval::classifier::{Classifier, load_classifier};
use webgan::eval::faces;
use webgan::inference::Sampler;
use webgan::invert::{self, Classes, InvertConfig};
use webgan::{shipped, target_image};

const RANDOM: usize = 1000;

/// One photo's figures.
struct Row {
    pixel: f32,
    random_pixel: f32,
    features: f32,
    random_features: f32,
    label_male: bool,
    photo_male: f64,
    found_male: f64,
    seconds: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(50);
    let dir = args
        .get(1)
        .map_or("../shared/data/faces/utkface-crop_part1", String::as_str);
    let device = backend::open(BackendKind::Flex).expect("backend");
    let sampler = Sampler::load(shipped::model("faces").unwrap(), "faces", &device).unwrap();
    let (size, channels) = sampler.arch().image_shape().unwrap();
    let bytes = shipped::classifier("faces-classifier").unwrap();
    let (_, config, classifier) = load_classifier(bytes, "faces-classifier", &device).unwrap();
    let judge = |images: &[f32]| {
        let mut v = images.to_vec();
        let mut side = size;
        while side > config.image_size {
            v = faces::pool2(&v, side, channels);
            side /= 2;
        }
        Classifier::judge(&classifier, &v, &device).unwrap()
    };

    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| faces::held_out(n) && faces::class_of(n).is_some())
        .collect();
    names.sort();
    let picked: Vec<&String> = (0..n.min(names.len()))
        .map(|i| &names[i * names.len() / n.min(names.len())])
        .collect();

    // The random baseline: the same 1,000 latents for every photo.
    let (random, _) = webgan::eval::generate(&sampler, RANDOM, 1).unwrap();
    let random_judged = judge(&random);
    let len = size * size * channels;
    let nf = random_judged.n_features;
    let mse = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32
    };
    let feat = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt()
    };

    let mut rows = Vec::new();
    println!(
        "photo | pixel MSE: found, best random | feature distance: found, best random | male p: photo, found | s"
    );
    for name in &picked {
        let path = std::path::Path::new(dir).join(name);
        let bytes = std::fs::read(&path).unwrap();
        let (w, h, rgba) = target_image::decode(&bytes, name).unwrap();
        let target = target_image::from_rgba(&rgba, w, h, size, channels).unwrap();
        let t = Instant::now();
        let best = invert::run_blocking(
            &sampler,
            &target.pixels,
            Classes::All,
            InvertConfig::default(),
            1000,
            |_, _| {},
        )
        .unwrap();
        let seconds = t.elapsed().as_secs_f64();
        let found = &best[0].sample;
        let both: Vec<f32> = target.pixels.iter().chain(found).copied().collect();
        let j = judge(&both);
        let (photo_f, found_f) = (&j.features[..nf], &j.features[nf..]);
        let random_pixel = random
            .chunks_exact(len)
            .map(|r| mse(r, &target.pixels))
            .fold(f32::INFINITY, f32::min);
        let random_feat = random_judged
            .features
            .chunks_exact(nf)
            .map(|r| feat(r, photo_f))
            .fold(f32::INFINITY, f32::min);
        let (photo_male, _) = faces::male_and_age(&j.probs[..j.n_classes]);
        let (found_male, _) = faces::male_and_age(&j.probs[j.n_classes..]);
        let label_male = faces::class_of(name).unwrap() < faces::BRACKETS as i64;
        let row = Row {
            pixel: mse(found, &target.pixels),
            random_pixel,
            features: feat(found_f, photo_f),
            random_features: random_feat,
            label_male,
            photo_male,
            found_male,
            seconds,
        };
        println!(
            "{name} | {:.4}, {:.4} | {:.2}, {:.2} | {}{:.2}, {:.2} | {seconds:.1}",
            row.pixel,
            row.random_pixel,
            row.features,
            row.random_features,
            if label_male { "M " } else { "F " },
            row.photo_male,
            row.found_male
        );
        rows.push(row);
    }
    let k = rows.len() as f64;
    let mean = |f: &dyn Fn(&Row) -> f64| rows.iter().map(f).sum::<f64>() / k;
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    println!(
        "\n{} held-out photos, {RANDOM} random latents, default search (restarts 4, pool 16, 300 steps), flex CPU",
        rows.len()
    );
    println!(
        "pixel MSE on [-1, 1]: found {:.4} (RMS error {:.1}%), best random {:.4} (RMS {:.1}%); found closer for {}/{}",
        mean(&|r| r.pixel as f64),
        invert::rms_error(mean(&|r| r.pixel as f64) as f32) * 100.0,
        mean(&|r| r.random_pixel as f64),
        invert::rms_error(mean(&|r| r.random_pixel as f64) as f32) * 100.0,
        count(&|r| r.pixel < r.random_pixel),
        rows.len()
    );
    println!(
        "classifier feature distance: found {:.2}, best random (by features) {:.2}; found closer for {}/{}",
        mean(&|r| r.features as f64),
        mean(&|r| r.random_features as f64),
        count(&|r| r.features < r.random_features),
        rows.len()
    );
    println!(
        "gender (classifier on the found face, p(male) > 0.5) agrees with the file's label for {}/{}, with the classifier's reading of the photo for {}/{}; the classifier reads the photos right for {}/{}",
        count(&|r| (r.found_male > 0.5) == r.label_male),
        rows.len(),
        count(&|r| (r.found_male > 0.5) == (r.photo_male > 0.5)),
        rows.len(),
        count(&|r| (r.photo_male > 0.5) == r.label_male),
        rows.len()
    );
    println!("one inversion: mean {:.1} s", mean(&|r| r.seconds));
}
