//! `webgan train`: the training loop around [`GanTrainer::step`], with progress, logs,
//! sample grids, checkpoints and Ctrl-C handling.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::{TrainArgs, write_png};
use crate::backend;
use crate::data::{Batcher, Dataset, TrainingData, images, mnist};
use crate::error::{Result, WebganError};
use crate::grid;
use crate::inference::Sampler;
use crate::latent;
use crate::metrics;
use crate::model::ArchConfig;
use crate::presets::Preset;
use crate::train::{GanTrainer, RealBatch, TrainConfig};
use crate::weights::{self, FileKind, Manifest};

/// Applies the command line's overrides to a preset's defaults.
fn train_config(args: &TrainArgs) -> TrainConfig {
    let mut c = args.preset.train_config();
    if let Some(v) = args.batch {
        c.batch_size = v;
    }
    if let Some(v) = args.loss {
        c.loss = v;
    }
    if let Some(v) = args.lr_g {
        c.lr_g = v;
    }
    if let Some(v) = args.lr_d {
        c.lr_d = v;
    }
    if let Some(v) = args.d_steps {
        c.d_steps = v;
    }
    if let Some(v) = args.label_smoothing {
        c.label_smoothing = v;
    }
    if let Some(v) = args.seed {
        c.seed = v;
    }
    c
}

/// Loads the preset's data from `--data` or its default location.
pub fn load_data(
    preset: Preset,
    data: Option<&Path>,
    limit: Option<usize>,
) -> Result<TrainingData> {
    if let Some(toy) = preset.toy() {
        return Ok(TrainingData::Toy(toy));
    }
    let path: PathBuf = match data {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(preset.default_data().expect("image presets have a default")),
    };
    let dataset = match preset {
        Preset::Digits => {
            let m = mnist::load_dir(&path, mnist::Split::Train)?;
            Dataset::from_mnist(&m, &format!("mnist-train ({})", path.display()))
        }
        _ => {
            let (size, channels) = preset.arch().image_shape().expect("image preset");
            let folder = images::load_folder(&path, size, channels, limit)?;
            if !folder.skipped.is_empty() {
                eprintln!(
                    "warning: skipped {} undecodable image(s), e.g. {}: {}",
                    folder.skipped.len(),
                    folder.skipped[0].0,
                    folder.skipped[0].1
                );
            }
            folder.dataset
        }
    };
    let dataset = match limit {
        Some(n) => dataset.truncated(n),
        None => dataset,
    };
    Ok(TrainingData::Samples(dataset))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    // Write then rename, so an interrupted save never leaves a half-written checkpoint.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| WebganError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| WebganError::io(path, e))
}

/// A fixed set of latents, so successive sample grids show the same z evolving.
struct Preview {
    z: Vec<f32>,
    labels: Option<Vec<i64>>,
    n: usize,
}

impl Preview {
    fn new(arch: &ArchConfig) -> Preview {
        let classes = arch.n_classes();
        let n = match arch {
            ArchConfig::Toy(_) => 1000,
            // Eight rows of one column per class.
            _ if (1..=16).contains(&classes) => 8 * classes,
            _ => 64,
        };
        Preview {
            z: latent::batch_for_seed(0, n, arch.latent_dim()),
            labels: (classes > 0).then(|| latent::grid_labels(n, classes, None)),
            n,
        }
    }

    /// Writes the preview image; for mixture toy sets returns the mode coverage too.
    fn write(
        &self,
        trainer: &GanTrainer,
        data: &TrainingData,
        path: &Path,
    ) -> Result<Option<String>> {
        let device = trainer.device().clone().inner();
        let manifest = Manifest::new(
            FileKind::Generator,
            trainer.arch.clone(),
            data.name(),
            trainer.step,
        );
        let sampler = Sampler::from_generator(manifest, trainer.generator_for_inference(), &device);
        let samples = sampler.generate(self.z.clone(), self.labels.clone())?;
        match &trainer.arch {
            ArchConfig::Image(c) => {
                let cols = if (1..=16).contains(&c.n_classes) {
                    c.n_classes
                } else {
                    8
                };
                let (w, h, rgba) = grid::image_grid_rgba(&samples, c.image_size, c.channels, cols);
                write_png(path, w, h, &rgba)?;
                Ok(None)
            }
            ArchConfig::Toy(_) => {
                let real = match data {
                    TrainingData::Toy(t) => t.sample(&mut latent::rng_for(0, 0, 0), self.n),
                    TrainingData::Samples(_) => Vec::new(),
                };
                write_png(
                    path,
                    512,
                    512,
                    &grid::scatter_rgba(&real, &samples, 512, 1.6),
                )?;
                Ok(match data {
                    TrainingData::Toy(toy) if !toy.modes().is_empty() => {
                        let c = metrics::mode_coverage(*toy, &samples);
                        Some(format!(
                            "modes covered {}/{}, high-quality points {:.1}%",
                            c.modes_covered,
                            c.modes_total,
                            100.0 * c.high_quality
                        ))
                    }
                    _ => None,
                })
            }
        }
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    // burn restores optimizer state onto its *default* device, which is wgpu whenever that
    // backend is compiled in: without this, resuming on flex would touch the GPU (or fail on a
    // machine without one). SAFETY: set before any other thread of ours exists.
    unsafe { std::env::set_var("BURN_DEVICE", args.backend.name()) };
    let device = backend::open(args.backend)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut trainer = match &args.resume {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| WebganError::io(path, e))?;
            let what = path.display().to_string();
            let (manifest, trainer) = weights::load_checkpoint(&bytes, &what, &device)?;
            weights::expect_arch(&manifest, &args.preset.arch(), &what)?;
            eprintln!("resuming {what} at step {}", trainer.step);
            trainer
        }
        None => GanTrainer::new(args.preset.arch(), train_config(&args), &device)?,
    };
    trainer.set_matmul_convs(args.backend.prefers_matmul_convs());
    let data = load_data(args.preset, args.data.as_deref(), args.limit)?;
    if data.sample_len() != trainer.arch.sample_len() {
        return Err(WebganError::bad_data(
            data.name(),
            format!(
                "samples have {} values but the model makes {}",
                data.sample_len(),
                trainer.arch.sample_len()
            ),
        ));
    }
    let batch_size = trainer.config.batch_size;
    data.check(batch_size)?;
    let total = match (args.steps, args.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => match data.steps_per_epoch(batch_size) {
            Some(per) => e * per,
            None => {
                return Err(WebganError::invalid(
                    "epochs",
                    e,
                    "toy data is endless: use --steps",
                ));
            }
        },
        (None, None) => args.preset.default_steps(),
    };
    if total == 0 || total > 100_000_000 {
        return Err(WebganError::invalid(
            "steps",
            total,
            "must be 1..=100000000",
        ));
    }

    std::fs::create_dir_all(args.out.join("samples")).map_err(|e| WebganError::io(&args.out, e))?;
    let log_path = args.out.join("log.jsonl");
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(args.resume.is_some())
        .write(true)
        .truncate(args.resume.is_none())
        .open(&log_path)
        .map_err(|e| WebganError::io(&log_path, e))?;

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // A second handler registration fails only if one exists (e.g. in tests); harmless.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }

    let mut manifest = Manifest::new(
        FileKind::Checkpoint,
        trainer.arch.clone(),
        data.name(),
        trainer.step,
    );
    manifest.provenance.insert("command".into(), command);
    manifest
        .provenance
        .insert("backend".into(), args.backend.name().into());
    let preview = Preview::new(&trainer.arch);
    let mut batcher = Batcher::new(trainer.config.seed, batch_size);
    let save_checkpoint = |trainer: &GanTrainer, manifest: &Manifest| -> Result<()> {
        let bytes = weights::save_checkpoint(trainer, manifest)?;
        write_file(&args.out.join("ckpt-latest.wgan"), &bytes)
    };

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed} < {eta}] {per_sec} {msg}")
            .expect("valid template"),
    );
    bar.set_position(trainer.step);
    let started = Instant::now();
    let first_step = trainer.step;
    while trainer.step < total {
        if interrupted.load(Ordering::SeqCst) {
            bar.abandon_with_message("interrupted");
            save_checkpoint(&trainer, &manifest)?;
            eprintln!(
                "interrupted at step {}: saved {} (resume with --resume)",
                trainer.step,
                args.out.join("ckpt-latest.wgan").display()
            );
            return Ok(());
        }
        let (samples, labels) = batcher.batch(&data, trainer.step);
        let stats = trainer.step(RealBatch {
            samples: &samples,
            labels: labels.as_deref(),
        })?;
        let values = match stats.read() {
            Ok(v) => v,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        let rate = (trainer.step - first_step) as f64 / started.elapsed().as_secs_f64();
        let mut line = serde_json::to_value(values).expect("serialisable");
        line["steps_per_s"] = serde_json::json!(rate);
        writeln!(log, "{line}").map_err(|e| WebganError::io(&log_path, e))?;
        bar.set_position(trainer.step);
        bar.set_message(format!(
            "D {:.3} G {:.3} D(x) {:.2} D(G(z)) {:.2}",
            values.d_loss, values.g_loss, values.d_real, values.d_fake
        ));
        let step = trainer.step;
        if args.sample_every > 0 && step % args.sample_every == 0 {
            let path = args.out.join(format!("samples/step-{step:07}.png"));
            if let Some(quality) = preview.write(&trainer, &data, &path)? {
                bar.suspend(|| eprintln!("step {step}: {quality}"));
            }
        }
        if args.checkpoint_every > 0 && step % args.checkpoint_every == 0 {
            save_checkpoint(&trainer, &manifest)?;
        }
    }
    bar.finish();
    save_checkpoint(&trainer, &manifest)?;
    manifest.steps = trainer.step;
    manifest.train = Some(trainer.config.clone());
    let generator = weights::save_generator(&trainer.generator, &manifest)?;
    write_file(&args.out.join("generator.wgan"), &generator)?;
    if let Some(quality) = preview.write(&trainer, &data, &args.out.join("samples/final.png"))? {
        println!("final: {quality}");
    }
    println!(
        "trained {} steps in {:.1} s; wrote {}",
        trainer.step - first_step,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
