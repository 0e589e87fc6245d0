//! The native command-line tool: `webgan train | sample | bench`. Thin over the library.

mod attributes;
mod bench;
mod eval;
mod invert;
mod sample;
mod train;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::backend::BackendKind;
use crate::error::Result;
use crate::loss::GanLoss;
use crate::model::Upsample;
use crate::presets::Preset;
use crate::train::augment::Augmentation;

/// GANs that run, and learn, in a web page: the native trainer, sampler and benchmark.
///
/// Typical use:
///   webgan train --preset ring --steps 2000            # a 2-D toy GAN in a minute
///   webgan train --preset digits --data ../shared/data/mnist --out runs/digits
///   webgan sample --model runs/digits/generator.wgan --class 7 --seed 3 --out sevens.png
///   webgan sample --model digits --direction 0 --range -3:3 --out sweep.png
///   webgan sample --model faces --attribute age=+2,gender=-1 --out older-men.png
///   webgan invert --model digits --image my-seven.png --out found.png
///   webgan bench --backend all
#[derive(Parser, Debug)]
#[command(name = "webgan", version, about, long_about, verbatim_doc_comment)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Train(TrainArgs),
    Sample(SampleArgs),
    Bench(BenchArgs),
    Classifier(ClassifierArgs),
    Eval(EvalArgs),
    Export(ExportArgs),
    Invert(invert::InvertArgs),
    Attributes(attributes::AttributesArgs),
}

/// Which real data an evaluation classifier learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalKind {
    /// MNIST digits (10 classes).
    Digits,
    /// UTKFace crops: gender x age bracket from the file names (10 classes).
    Faces,
}

/// Train the classifier `webgan eval` judges with (features for FID, predictions for
/// conditional accuracy). Prints its accuracy on held-out real images.
#[derive(clap::Args, Debug)]
pub struct ClassifierArgs {
    #[arg(long, value_enum)]
    pub kind: EvalKind,
    /// MNIST IDX folder (digits) or UTKFace folder (faces).
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Use only the first N images (tests).
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendKind,
    #[arg(long)]
    pub out: PathBuf,
}

/// Measure a generator: FID against real data in the project classifier's feature space (with
/// the real-vs-real floor), Inception-Score analogue, per-class conditional accuracy, class
/// coverage, the balance of predicted classes (for faces gender and age) on generated vs real
/// images with total-variation distances, and a nearest-neighbour memorisation check. The last
/// line is one JSON object.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// A generator file, or a shipped model: digits, faces.
    #[arg(long)]
    pub model: PathBuf,
    /// MNIST IDX folder (digit models) or UTKFace folder (face models).
    #[arg(long)]
    pub data: PathBuf,
    /// The classifier [default: models/digits-classifier.wgan or models/faces-classifier.wgan].
    #[arg(long)]
    pub classifier: Option<PathBuf>,
    /// Generated samples (digits; faces use as many as there are held-out faces).
    #[arg(long, default_value_t = 10000)]
    pub samples: usize,
    /// Use only the first N real images (tests).
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendKind,
}

/// Write a shippable copy of a generator: optionally half precision, with `webgan eval`'s
/// metrics and provenance notes in its manifest.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Generator or checkpoint.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "f32")]
    pub precision: crate::weights::Precision,
    /// A file whose last JSON line is `webgan eval` output: its numbers become metrics.
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// Provenance entries, key=value (repeatable): command, commit, data checksums, hardware.
    #[arg(long)]
    pub note: Vec<String>,
    /// Latents per class for the stored principal directions (0: store none).
    #[arg(long, default_value_t = crate::directions::EXPORT_SAMPLES)]
    pub direction_samples: usize,
    /// Latents generated and labelled by the faces classifier to fit the stored attribute
    /// directions (age, gender), for models it can label: unconditional colour faces (0: store
    /// none).
    #[arg(long, default_value_t = crate::attributes::EXPORT_SAMPLES)]
    pub attribute_samples: usize,
    /// The faces classifier that labels them [default: the shipped one,
    /// models/faces-classifier.wgan]. Given, a model it cannot label is an error.
    #[arg(long)]
    pub classifier: Option<PathBuf>,
}

/// Train a GAN. Writes to --out: checkpoints (ckpt-latest.wgan, resumable), the generator
/// (generator.wgan, what `sample` and the page load), sample grids (samples/step-N.png) and a
/// log of every step's losses (log.jsonl). Ctrl-C saves a checkpoint before exiting.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// What to train: sets the architecture, the defaults below and the data.
    #[arg(long, value_enum)]
    pub preset: Preset,
    /// Which defaults: `long` (the shipped models' recipe) or `minutes` (the page's Train view
    /// default, tuned for readable digits within minutes on a small CPU) [default: long].
    #[arg(long, value_enum)]
    pub recipe: Option<crate::presets::Recipe>,
    /// Data location (MNIST IDX folder for digits, image folder for faces); default:
    /// the preset's folder under ../shared/data.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Use only the first N samples of the data (quick experiments).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Training steps (one D update per --d-steps, then one G update).
    #[arg(long, conflicts_with = "epochs")]
    pub steps: Option<u64>,
    /// Passes over the data instead of --steps (not for toy presets).
    #[arg(long)]
    pub epochs: Option<u64>,
    /// Batch size [preset default: 64, toy 256].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Network width: the generator's last hidden stage and the discriminator's first have
    /// this many feature maps, doubling per stage (toy presets: hidden units) [preset default].
    #[arg(long)]
    pub width: Option<usize>,
    /// Length of the latent vector z [preset default].
    #[arg(long)]
    pub latent_dim: Option<usize>,
    /// Adversarial loss [default: non-saturating].
    #[arg(long, value_enum)]
    pub loss: Option<GanLoss>,
    /// Generator learning rate [default 2e-4, toy 3e-4].
    #[arg(long)]
    pub lr_g: Option<f64>,
    /// Discriminator learning rate [default 2e-4, toy 3e-4].
    #[arg(long)]
    pub lr_d: Option<f64>,
    /// Discriminator updates per generator update [default 1; 5 suits wgan-gp].
    #[arg(long)]
    pub d_steps: Option<usize>,
    /// One-sided label smoothing: D's target for real samples is 1 - this.
    #[arg(long)]
    pub label_smoothing: Option<f32>,
    /// Seed for weights, noise and data order.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Decay of the moving average of the generator's weights that samples and exports use
    /// [default 0.999; 0 (off) for the toy presets]. 0 turns it off.
    #[arg(long)]
    pub ema_decay: Option<f64>,
    /// DiffAugment: augmentations of every image D sees, real and generated, comma-separated
    /// (e.g. color,translation,cutout) [default: none]. Helps when the data are few.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub augment: Option<Vec<Augmentation>>,
    /// Spectral normalisation of every discriminator weight (Miyato et al., 2018): steadier
    /// training, chiefly with --loss hinge [default: off].
    #[arg(long)]
    pub spectral_norm: bool,
    /// Conditional batch norm in the generator: every batch norm takes a scale and a shift per
    /// class (Miyato & Koyama, 2018), so every layer knows the class; conditional models only.
    /// `--class-norm` alone turns it on, `--class-norm false` off [default: on in the minutes
    /// recipe where the model has classes, else off].
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub class_norm: Option<bool>,
    /// The discriminator's width as a multiple of --width (image presets) [default: 1].
    #[arg(long)]
    pub d_width_factor: Option<usize>,
    /// How the generator doubles the image's side (image presets) [default: transposed].
    #[arg(long, value_enum)]
    pub upsample: Option<Upsample>,
    /// Adam's first-moment decay, both networks [default: 0.5 (DCGAN)].
    #[arg(long)]
    pub beta1: Option<f32>,
    /// Adam's second-moment decay, both networks [default: 0.999].
    #[arg(long)]
    pub beta2: Option<f32>,
    /// Weight of an auxiliary classifier in D (AC-GAN): D learns to name real images' classes,
    /// G is rewarded when D names its images' classes; conditional models only [default: 0,
    /// none].
    #[arg(long)]
    pub aux_weight: Option<f32>,
    /// R1's gamma: a penalty on D's squared gradient at real images, applied every 16 D
    /// updates (Mescheder et al., 2018) [default: 0, off].
    #[arg(long)]
    pub r1_weight: Option<f32>,
    /// Where tensors run.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendKind,
    /// Output folder.
    #[arg(long, default_value = "runs/latest")]
    pub out: PathBuf,
    /// Continue from a checkpoint. Its architecture and settings hold (the flags that would
    /// change them are refused); --lr-g and --lr-d may lower the rates for a finish, and
    /// --steps/--epochs count the total.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Write a sample grid every N steps (0: only at the end).
    #[arg(long, default_value_t = 500)]
    pub sample_every: u64,
    /// Record the watched grid every N steps (0: never) and write OUT/timelapse.gif at the end:
    /// an animated GIF of at most 120 frames spread evenly over the run.
    #[arg(long, default_value_t = 0)]
    pub timelapse_every: u64,
    /// Write a checkpoint every N steps (0: only at the end).
    #[arg(long, default_value_t = 1000)]
    pub checkpoint_every: u64,
    /// No progress bar (logs still go to log.jsonl); for scripts and CI.
    #[arg(long)]
    pub quiet: bool,
}

/// Draw samples from a trained generator into a PNG grid (images) or scatter plot (2-D).
#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// A weights file (generator.wgan or a checkpoint), or a shipped model: digits, faces.
    #[arg(long)]
    pub model: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Columns of the grid [default: the number of classes for conditional models, so each
    /// column holds one class; else 8]; 1 to 1024.
    #[arg(long)]
    pub cols: Option<usize>,
    /// Class to draw (conditional models); default: classes cycle along each row.
    #[arg(long)]
    pub class: Option<usize>,
    /// Seed of the latent vectors: same seed, same image.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendKind,
    /// Output PNG.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub latent: sample::LatentArgs,
}

/// Time the digits DCGAN: generator forward and one full training iteration (D step + G
/// step), median of repeated runs after a warm-up. Prints a table, then one JSON line per
/// backend with g_forward_b64_ms, train_iter_b64_ms, train_iter_b256_ms, ...
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Backend to time, or all of them.
    #[arg(long, default_value = "flex")]
    pub backend: String,
    /// Batch sizes, comma-separated.
    #[arg(long, default_value = "64,256", value_delimiter = ',')]
    pub batch: Vec<usize>,
    /// Timed repetitions per measurement (after one warm-up).
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// A reference to compare with: the JSON line `scripts/torch_reference.py` prints (saved to
    /// a file), run on the same machine with the same threads. Prints each figure's ratio to it.
    #[arg(long)]
    pub reference: Option<std::path::PathBuf>,
    /// Time only the generation or only the training iteration (e.g. to count each one's GPU
    /// kernels: scripts/count-kernels.sh).
    #[arg(long, value_enum)]
    pub only: Option<BenchPart>,
    /// How the generator upsamples [default: the digits preset's, transposed].
    #[arg(long, value_enum)]
    pub upsample: Option<Upsample>,
}

/// One half of `webgan bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchPart {
    /// The generator's forward pass.
    Generate,
    /// A training iteration (D step and G step).
    Train,
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    crate::allocator::keep_freed_memory();
    let cli = Cli::parse();
    let result: Result<()> = match cli.command {
        Command::Train(args) => train::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Classifier(args) => eval::classifier(args),
        Command::Eval(args) => eval::run(args),
        Command::Export(args) => eval::export(args),
        Command::Invert(args) => invert::run(args),
        Command::Attributes(args) => attributes::run(args),
    };
    // Every command's tensors are dropped by now: let the GPU finish before the process exits.
    let result = result.and(crate::backend::wait_for_gpu());
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The bytes of a weights file: a path, or the name of a shipped model (digits, faces) when no
/// such file exists.
pub(crate) fn read_model(path: &std::path::Path) -> Result<Vec<u8>> {
    match (path.exists(), path.to_str().and_then(crate::shipped::model)) {
        (false, Some(bytes)) => Ok(bytes.to_vec()),
        _ => std::fs::read(path).map_err(|e| crate::WebganError::io(path, e)),
    }
}

/// Writes an RGB PNG.
pub(crate) fn write_png(
    path: &std::path::Path,
    width: usize,
    height: usize,
    rgba: &[u8],
) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| crate::WebganError::io(dir, e))?;
    }
    let rgb = crate::grid::rgba_to_rgb(rgba);
    image::save_buffer(
        path,
        &rgb,
        width as u32,
        height as u32,
        image::ColorType::Rgb8,
    )
    .map_err(|e| crate::WebganError::io(path, std::io::Error::other(e.to_string())))
}
