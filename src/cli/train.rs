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
use crate::block_on;
use crate::data::{Dataset, images, mnist};
use crate::error::{Result, WebganError};
use crate::grid;
use crate::model::ArchConfig;
use crate::presets::Preset;
use crate::run::{Quality, TrainingRun};
use crate::spec::TrainSpec;

/// The command line's settings as a training spec: the preset plus what the flags override.
fn spec(args: &TrainArgs) -> TrainSpec {
    TrainSpec {
        loss: args.loss,
        lr_g: args.lr_g,
        lr_d: args.lr_d,
        batch_size: args.batch,
        d_steps: args.d_steps,
        label_smoothing: args.label_smoothing,
        seed: args.seed,
        ema_decay: args.ema_decay,
        augment: args.augment.clone(),
        spectral_norm: args.spectral_norm.then_some(true),
        class_norm: args.class_norm,
        d_width_factor: args.d_width_factor,
        upsample: args.upsample,
        beta1: args.beta1,
        beta2: args.beta2,
        aux_weight: args.aux_weight,
        r1_weight: args.r1_weight,
        recipe: args.recipe,
        width: args.width,
        latent_dim: args.latent_dim,
        ..TrainSpec::preset(args.preset)
    }
}

/// The flags given that a resumed run cannot honour: its checkpoint fixes the architecture
/// and the training settings. Learning rates, steps and the data's location may change. Read
/// from [`spec`], so a new setting is refused here without being listed again.
fn fixed_by_checkpoint(args: &TrainArgs) -> Vec<String> {
    let given = serde_json::to_value(spec(args)).expect("a spec serialises");
    given
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, value)| {
            !value.is_null() && !matches!(key.as_str(), "preset" | "lr_g" | "lr_d")
        })
        .map(|(key, _)| match key.as_str() {
            "batch_size" => "--batch".to_string(),
            key => format!("--{}", key.replace('_', "-")),
        })
        .collect()
}

/// Loads the preset's data from `--data` or its default location.
pub fn load_data(
    preset: Preset,
    data: Option<&Path>,
    limit: Option<usize>,
) -> Result<Option<Dataset>> {
    if preset.toy().is_some() {
        return Ok(None);
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
    Ok(Some(dataset))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    // Write then rename, so an interrupted save never leaves a half-written checkpoint.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| WebganError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| WebganError::io(path, e))
}

/// A picture as (width, height, RGBA bytes), and for toy sets with modes their coverage line.
type Preview = ((usize, usize, Vec<u8>), Option<String>);

/// The run's watched samples as a picture: an image grid, or for 2-D models a scatter over the
/// real points; with the mode coverage line for toy sets with modes.
fn preview(run: &TrainingRun) -> Result<Preview> {
    let samples = block_on(run.samples())?;
    match run.arch() {
        ArchConfig::Image(c) => Ok((
            grid::image_grid_rgba(&samples, c.image_size, c.channels, run.watched_columns())?,
            None,
        )),
        ArchConfig::Toy(_) => {
            let real = run.real_points(samples.len() / 2);
            let side = 512;
            let picture = (side, side, grid::scatter_rgba(&real, &samples, side, 1.6));
            Ok((
                picture,
                match block_on(run.quality())? {
                    Quality::Toy {
                        modes_covered,
                        modes_total,
                        high_quality,
                        ..
                    } if run.toy().is_some_and(|t| !t.modes().is_empty()) => Some(format!(
                        "modes covered {modes_covered}/{modes_total}, high-quality points {:.1}%",
                        100.0 * high_quality
                    )),
                    _ => None,
                },
            ))
        }
    }
}

/// Writes [`preview`] as a PNG; returns its mode coverage line, if any.
fn write_preview(run: &TrainingRun, path: &Path) -> Result<Option<String>> {
    let ((w, h, rgba), quality) = preview(run)?;
    write_png(path, w, h, &rgba)?;
    Ok(quality)
}

pub fn run(args: TrainArgs) -> Result<()> {
    // burn restores optimizer state onto its *default* device, which is wgpu whenever that
    // backend is compiled in: without this, resuming on flex would touch the GPU (or fail on a
    // machine without one). SAFETY: set before any other thread of ours exists.
    unsafe { std::env::set_var("BURN_DEVICE", args.backend.name()) };
    let device = backend::open(args.backend)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let data = load_data(args.preset, args.data.as_deref(), args.limit)?;
    let mut run = match &args.resume {
        Some(path) => {
            let fixed = fixed_by_checkpoint(&args);
            if !fixed.is_empty() {
                return Err(WebganError::invalid(
                    "resume",
                    path.display(),
                    format!(
                        "{} cannot change when resuming: the checkpoint fixes the architecture \
                         and the training settings (only --lr-g, --lr-d, --steps or --epochs \
                         and --data can)",
                        fixed.join(", ")
                    ),
                ));
            }
            let bytes = std::fs::read(path).map_err(|e| WebganError::io(path, e))?;
            let what = path.display().to_string();
            let mut run = TrainingRun::resume(&bytes, &what, data, &device)?;
            if run.spec().preset != args.preset {
                return Err(WebganError::ArchitectureMismatch(format!(
                    "{what} was trained with --preset {}, not {}",
                    run.spec().preset.name(),
                    args.preset.name()
                )));
            }
            eprintln!("resuming {what} at step {}", run.steps());
            if args.lr_g.is_some() || args.lr_d.is_some() {
                run.set_learning_rates(args.lr_g, args.lr_d)?;
                let config = &run.trainer().config;
                eprintln!(
                    "learning rates from step {}: G {}, D {}",
                    run.steps(),
                    config.lr_g,
                    config.lr_d
                );
            }
            run
        }
        None => TrainingRun::new(&spec(&args), data, &device)?,
    };
    run.set_matmul_convs(args.backend.prefers_matmul_convs());
    if run.keep_data_on_device(args.backend.is_gpu())? {
        eprintln!("training set kept on the GPU: each batch is gathered there");
    }
    // The live quality meter, where a shipped classifier reads this run's images (digits).
    let metered = match run.meter_classifier().and_then(crate::shipped::classifier) {
        Some(bytes) => run.attach_meter(bytes)?,
        None => false,
    };
    // A resumed file keeps the command that started it; each piece after it is added.
    match (&args.resume, run.provenance.get("command")) {
        (Some(_), Some(_)) => {
            let piece = format!("step {}: {command}", run.steps());
            run.provenance
                .entry("resumed".into())
                .and_modify(|earlier| *earlier = format!("{earlier}; {piece}"))
                .or_insert(piece);
        }
        _ => {
            run.provenance.insert("command".into(), command);
        }
    }
    run.provenance
        .insert("backend".into(), args.backend.name().into());
    let batch_size = run.trainer().config.batch_size;
    let total = match (args.steps, args.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => match run.data().steps_per_epoch(batch_size) {
            Some(per) => e.saturating_mul(per),
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
    let save_checkpoint = |run: &TrainingRun| -> Result<()> {
        let bytes = block_on(run.export_checkpoint())?;
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
    bar.set_position(run.steps());
    let started = Instant::now();
    let first_step = run.steps();
    let mut meter_note = String::new();
    let mut last_reading = None;
    // The time-lapse starts from the grid before the first step (noise, or where a resumed run
    // left off) and ends on the final one.
    let mut timelapse = crate::timelapse::TimeLapse::new();
    if args.timelapse_every > 0 {
        let ((w, h, rgba), _) = preview(&run)?;
        timelapse.offer(run.steps(), w, h, &rgba)?;
    }
    while run.steps() < total {
        if interrupted.load(Ordering::SeqCst) {
            bar.abandon_with_message("interrupted");
            save_checkpoint(&run)?;
            eprintln!(
                "interrupted at step {}: saved {} (resume with --resume)",
                run.steps(),
                args.out.join("ckpt-latest.wgan").display()
            );
            return Ok(());
        }
        // On divergence the run has rolled back to its last good step; the checkpoint on disk
        // is left as it was, and the error says why (the one divergence policy, see `run`).
        let values = match block_on(run.step(1)) {
            Ok(v) => v,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        let rate = (run.steps() - first_step) as f64 / started.elapsed().as_secs_f64();
        let mut line = serde_json::to_value(values).expect("serialisable");
        line["steps_per_s"] = serde_json::json!(rate);
        // The meter reads itself as often as its share of the time allows (run::meter).
        if metered
            && (run.meter_due() || run.steps() == total)
            && let Some(reading) = block_on(run.read_meter())?
        {
            meter_note = format!(
                " | readable {:.0}% ({}/{} classes) FID~{:.1}",
                100.0 * reading.readability,
                reading.readable_classes,
                reading.classes,
                reading.fid
            );
            line["meter"] = serde_json::to_value(&reading).expect("serialisable");
            last_reading = Some(reading);
        }
        writeln!(log, "{line}").map_err(|e| WebganError::io(&log_path, e))?;
        bar.set_position(run.steps());
        bar.set_message(format!(
            "D {:.3} G {:.3} D(x) {:.2} D(G(z)) {:.2}{meter_note}",
            values.d_loss, values.g_loss, values.d_real, values.d_fake
        ));
        let step = run.steps();
        if args.sample_every > 0 && step % args.sample_every == 0 {
            let path = args.out.join(format!("samples/step-{step:07}.png"));
            if let Some(quality) = write_preview(&run, &path)? {
                bar.suspend(|| eprintln!("step {step}: {quality}"));
            }
        }
        if args.checkpoint_every > 0 && step % args.checkpoint_every == 0 {
            save_checkpoint(&run)?;
        }
        if args.timelapse_every > 0 && step % args.timelapse_every == 0 {
            let ((w, h, rgba), _) = preview(&run)?;
            timelapse.offer(step, w, h, &rgba)?;
        }
    }
    bar.finish();
    if args.timelapse_every > 0 {
        let ((w, h, rgba), _) = preview(&run)?;
        timelapse.offer_last(run.steps(), w, h, &rgba)?;
        let path = args.out.join("timelapse.gif");
        write_file(&path, &timelapse.gif()?)?;
        let steps = timelapse.steps();
        println!(
            "wrote {} ({} frames, steps {} to {})",
            path.display(),
            steps.len(),
            steps[0],
            steps[steps.len() - 1]
        );
    }
    save_checkpoint(&run)?;
    let generator = block_on(run.export_generator())?;
    write_file(&args.out.join("generator.wgan"), &generator)?;
    if let Some(quality) = write_preview(&run, &args.out.join("samples/final.png"))? {
        println!("final: {quality}");
    }
    if let Some(reading) = last_reading {
        println!(
            "final: {} (readable {:.1}%, FID~{:.2} in the classifier's features)",
            reading.sentence,
            100.0 * reading.readability,
            reading.fid
        );
    }
    println!(
        "trained {} steps in {:.1} s; wrote {}",
        run.steps() - first_step,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{Cli, Command};

    fn class_norm(flags: &[&str]) -> Option<bool> {
        let args = ["webgan", "train", "--preset", "digits"]
            .iter()
            .chain(flags);
        match Cli::try_parse_from(args).expect("parses").command {
            Command::Train(t) => super::spec(&t).class_norm,
            _ => unreachable!("a train command"),
        }
    }

    /// `--class-norm` alone turns it on, `--class-norm false` off (the minutes recipe has it),
    /// and without the flag the recipe decides.
    #[test]
    fn class_norm_is_on_off_or_left_to_the_recipe() {
        assert_eq!(class_norm(&[]), None);
        assert_eq!(class_norm(&["--class-norm"]), Some(true));
        assert_eq!(class_norm(&["--class-norm", "--quiet"]), Some(true));
        assert_eq!(class_norm(&["--class-norm", "false"]), Some(false));
        assert_eq!(class_norm(&["--class-norm=true"]), Some(true));
        assert!(Cli::try_parse_from(["webgan", "train", "--class-norm", "maybe"]).is_err());
    }
}
