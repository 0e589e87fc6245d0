//! `webgan classifier` (train the evaluation classifier), `webgan eval` (the quality report)
//! and `webgan export` (a shippable copy of a generator: f16, metrics, provenance).

use std::path::Path;

use super::{ClassifierArgs, EvalArgs, EvalKind, ExportArgs, read_model};
use crate::attributes::{self, judge::FaceJudge};
use crate::backend;
use crate::data::Dataset;
use crate::data::mnist::{self, Split};
use crate::error::{Result, WebganError};
use crate::eval::classifier::{ClassifierConfig, train_classifier};
use crate::eval::{self, Report, faces};
use crate::inference::Sampler;
use crate::weights::{self, FileKind, Manifest};

/// Faces are judged at 32x32: enough for identity-free attributes, 4x cheaper than 64.
const FACES_CLASSIFIER_SIZE: usize = 32;

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| WebganError::io(path, e))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| WebganError::io(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| WebganError::io(path, e))
}

fn digits(dir: &Path, split: Split, limit: Option<usize>) -> Result<Dataset> {
    let m = mnist::load_dir(dir, split)?;
    let d = Dataset::from_mnist(&m, &format!("mnist {split:?}").to_lowercase());
    Ok(match limit {
        Some(l) => d.truncated(l),
        None => d,
    })
}

pub fn classifier(args: ClassifierArgs) -> Result<()> {
    let device = backend::open(args.backend)?;
    let (config, train, test) = match args.kind {
        EvalKind::Digits => (
            ClassifierConfig::new(),
            digits(&args.data, Split::Train, args.limit)?,
            digits(&args.data, Split::Test, args.limit)?,
        ),
        EvalKind::Faces => {
            let (train, held) = faces::load_split(&args.data, FACES_CLASSIFIER_SIZE, args.limit)?;
            (
                ClassifierConfig::new()
                    .with_image_size(FACES_CLASSIFIER_SIZE)
                    .with_channels(3)
                    .with_n_classes(faces::CLASSES),
                train,
                held,
            )
        }
    };
    eprintln!(
        "training the {:?} classifier on {} images ({} epochs)",
        args.kind,
        train.len(),
        args.epochs
    );
    let start = std::time::Instant::now();
    let model = train_classifier(
        &config,
        &train,
        args.epochs,
        args.seed,
        &device,
        |s, t, l| {
            eprintln!("  step {s}/{t}  loss {l:.4}");
        },
    )?;
    let accuracy = model.accuracy(&test, &device)?;
    let mut manifest = Manifest::new(
        FileKind::Classifier,
        eval::classifier_arch(&config),
        train.name.clone(),
        args.epochs as u64,
    );
    manifest.metrics.insert("test_accuracy".into(), accuracy);
    manifest.provenance.insert(
        "command".into(),
        std::env::args().collect::<Vec<_>>().join(" "),
    );
    write(
        &args.out,
        &crate::eval::classifier::save_classifier(&model, &config, &manifest)?,
    )?;
    println!(
        "held-out accuracy {:.2}% on {} images; trained in {:.0} s; wrote {}",
        accuracy * 100.0,
        test.len(),
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

pub fn run(args: EvalArgs) -> Result<()> {
    let device = backend::open(args.backend)?;
    let what = args.model.display().to_string();
    let mut sampler = Sampler::load(&read_model(&args.model)?, &what, &device)?;
    sampler.set_matmul_convs(args.backend.prefers_matmul_convs());
    let kind = match sampler.arch().image_shape() {
        Some((_, 3)) => EvalKind::Faces,
        _ => EvalKind::Digits,
    };
    let classifier_path = args.classifier.clone().unwrap_or_else(|| match kind {
        EvalKind::Digits => "models/digits-classifier.wgan".into(),
        EvalKind::Faces => "models/faces-classifier.wgan".into(),
    });
    let (cmanifest, cconfig, classifier) = crate::eval::classifier::load_classifier(
        &read(&classifier_path)?,
        &classifier_path.display().to_string(),
        &device,
    )?;
    let start = std::time::Instant::now();
    let report: Report = match kind {
        EvalKind::Digits => {
            eval::check_pairing(&sampler, (cconfig.image_size, cconfig.channels), 1)?;
            let train = digits(&args.data, Split::Train, args.limit)?;
            let test = digits(&args.data, Split::Test, args.limit)?;
            eval::evaluate_digits(&sampler, &classifier, &train, &test, args.samples, &device)?
        }
        EvalKind::Faces => {
            let size = sampler.arch().image_shape().map_or(0, |s| s.0);
            // Refuse a mismatched classifier before spending time on the data.
            let pool = (size / cconfig.image_size.max(1)).max(1);
            eval::check_pairing(&sampler, (cconfig.image_size, cconfig.channels), pool)?;
            let (train, held) = faces::load_split(&args.data, size, args.limit)?;
            faces::evaluate_faces(
                &sampler,
                &classifier,
                cconfig.image_size,
                &train,
                &held,
                &device,
            )?
        }
    };
    print_report(&report, &what, &cmanifest);
    eprintln!("eval took {:.1} s", start.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string(&report).unwrap_or_default());
    Ok(())
}

fn print_report(r: &Report, model: &str, classifier: &Manifest) {
    println!(
        "{} — {} report, {} generated samples",
        model, r.kind, r.samples
    );
    println!(
        "  classifier accuracy on held-out real images  {:.2}%  (classifier trained on {})",
        r.classifier_accuracy * 100.0,
        classifier.dataset
    );
    println!(
        "  FID (classifier features)  {:.3}   real-vs-real floor {:.3}   ratio {:.2}",
        r.fid, r.fid_floor, r.fid_ratio
    );
    if let (Some(is), Some(real)) = (r.inception_score, r.inception_score_real) {
        println!("  Inception-Score analogue   {is:.3}   real data {real:.3}");
    }
    if let Some(acc) = r.conditional_accuracy {
        println!("  conditional accuracy       {:.2}%", acc * 100.0);
        let per: Vec<String> = r
            .per_class_accuracy
            .iter()
            .enumerate()
            .map(|(c, a)| format!("{c}:{:.1}", a * 100.0))
            .collect();
        println!("  per class (%)              {}", per.join("  "));
    }
    if let Some(d) = r.within_class_diversity {
        println!(
            "  within-class diversity     {d:.3}   (spread in the classifier's features; real 1)"
        );
    }
    println!(
        "  classes covered            {}/{}",
        r.classes_covered, r.classes_total
    );
    print_balance(r);
    let m = &r.memorisation;
    println!(
        "  memorisation: median nearest-training-image distance {:.3} (generated) vs {:.3} \
         (unseen real); {:.1}% of generated closer than 99% of unseen real",
        m.median_nn_generated,
        m.median_nn_real_unseen,
        m.fraction_suspiciously_close * 100.0
    );
}

/// The balance tables: one row per category, generated next to real.
fn print_balance(r: &Report) {
    println!(
        "  balance: the classifier's predictions on generated images vs its predictions on real \
         ones, not their labels (it is right on {:.0}% of real images; prediction vs prediction \
         puts its errors on both sides)",
        r.classifier_accuracy * 100.0
    );
    let b = &r.balance;
    let joint = if b.gender.is_some() {
        "gender x age"
    } else {
        "class"
    };
    let tables = [("gender", b.gender.as_ref()), ("age", b.age.as_ref())];
    for (name, shares) in tables.into_iter().chain([(joint, Some(&b.classes))]) {
        let Some(s) = shares else { continue };
        println!("    {name:<14} generated     real");
        for ((label, g), real) in s.labels.iter().zip(&s.generated).zip(&s.real) {
            println!(
                "      {label:<12} {:>8.1}%  {:>6.1}%",
                g * 100.0,
                real * 100.0
            );
        }
        println!("      total-variation distance {:.3}", s.tv);
    }
}

/// Every number in the eval JSON, nested objects' keys joined by `_` (`memorisation_checked`,
/// `balance_gender_tv`); lists (per-class figures) stay in the eval output.
fn scalar_metrics(
    v: &serde_json::Value,
    prefix: &str,
    out: &mut std::collections::BTreeMap<String, f64>,
) {
    for (k, val) in v.as_object().into_iter().flatten() {
        let key = format!("{prefix}{k}");
        if let Some(x) = val.as_f64() {
            out.insert(key, x);
        } else if val.is_object() {
            scalar_metrics(val, &format!("{key}_"), out);
        }
    }
}

pub fn export(args: ExportArgs) -> Result<()> {
    let bytes = read_model(&args.model)?;
    let what = args.model.display().to_string();
    let device = crate::burn::tensor::Device::flex();
    let (mut manifest, generator) = weights::load_generator(&bytes, &what, &device)?;
    if let Some(path) = &args.metrics {
        // The last line of `webgan eval`'s output.
        let text = String::from_utf8_lossy(&read(path)?).to_string();
        let line = text
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .unwrap_or("");
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            WebganError::bad_data(
                path.display().to_string(),
                format!("no eval JSON line: {e}"),
            )
        })?;
        scalar_metrics(&v, "", &mut manifest.metrics);
    }
    for note in &args.note {
        let (k, v) = note
            .split_once('=')
            .ok_or_else(|| WebganError::invalid("note", note, "must be key=value"))?;
        manifest.provenance.insert(k.trim().into(), v.trim().into());
    }
    if args.direction_samples > 0 {
        let started = std::time::Instant::now();
        let sampler = Sampler::from_generator(manifest.clone(), generator.clone(), &device);
        let per_class = crate::directions::default_per_class(&sampler);
        let found = crate::block::block_on(crate::directions::compute(
            &sampler,
            args.direction_samples,
            per_class,
        ))?;
        let shares: Vec<String> = found.sets[0].variance_share
            [..found.sets[0].variance_share.len().min(5)]
            .iter()
            .map(|s| format!("{:.1}%", s * 100.0))
            .collect();
        println!(
            "directions: {} set(s) from {} latents each in {:.1} s; first set's top shares {}",
            found.sets.len(),
            found.samples,
            started.elapsed().as_secs_f64(),
            shares.join(", ")
        );
        manifest.directions = Some(found);
    } else {
        manifest.directions = None;
    }
    manifest.attributes = None;
    if args.attribute_samples > 0 {
        let sampler = Sampler::from_generator(manifest.clone(), generator.clone(), &device);
        let judge = match &args.classifier {
            Some(path) => FaceJudge::load(&read(path)?, &path.display().to_string(), &device)?,
            None => FaceJudge::shipped(&device)?,
        };
        match judge.fits(&sampler) {
            Ok(()) => {
                let started = std::time::Instant::now();
                let found = attributes::compute(
                    &sampler,
                    &judge,
                    args.attribute_samples,
                    attributes::AGE_FIT,
                )?;
                let fits: Vec<String> = found
                    .attributes
                    .iter()
                    .map(|a| format!("{} ({}, held-out {:.3})", a.name, a.fit, a.held_out_fit))
                    .collect();
                println!(
                    "attributes: {} from {} latents labelled by {} in {:.1} s",
                    fits.join(", "),
                    found.samples,
                    judge.name,
                    started.elapsed().as_secs_f64()
                );
                manifest.attributes = Some(found);
            }
            // Asked for by name, a classifier that cannot label this model is a mistake.
            Err(e) if args.classifier.is_some() => return Err(e),
            Err(_) => println!("attributes: none (no classifier labels this model's images)"),
        }
    }
    let out = weights::save_generator_as(&generator, &manifest, args.precision)?;
    write(&args.out, &out)?;
    println!(
        "wrote {} ({} bytes, {:?})",
        args.out.display(),
        out.len(),
        args.precision
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_takes_every_number_of_the_eval_json_with_nested_keys_joined() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"fid": 2.5, "kind": "faces", "per_class_accuracy": [0.9],
                "memorisation": {"checked": 500},
                "balance": {"classes": {"labels": ["a"], "generated": [1.0], "tv": 0.25},
                            "gender": {"tv": 0.125}}}"#,
        )
        .unwrap();
        let mut m = std::collections::BTreeMap::new();
        scalar_metrics(&v, "", &mut m);
        let expected = [
            ("balance_classes_tv", 0.25),
            ("balance_gender_tv", 0.125),
            ("fid", 2.5),
            ("memorisation_checked", 500.0),
        ];
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            expected.map(|(k, v)| (k.to_string(), v)).to_vec()
        );
    }
}
