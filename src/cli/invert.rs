//! `webgan invert`: find the latent vector (and class) whose sample matches an image.

use std::path::PathBuf;
use std::time::Instant;

use super::write_png;
use crate::backend::{self, BackendKind};
use crate::error::{Result, WebganError};
use crate::grid;
use crate::inference::Sampler;
use crate::invert::{self, Classes, InvertConfig};
use crate::target_image;

/// Find the latent vector (and, for a conditional model, the class) whose sample best matches
/// an image: Adam on z through the frozen generator from several random starts. Writes the
/// image and the match side by side (PNG) and the latent as JSON; prints the pixel error.
#[derive(clap::Args, Debug)]
pub struct InvertArgs {
    /// A weights file, or a shipped model: digits, faces.
    #[arg(long)]
    pub model: PathBuf,
    /// The picture (PNG or JPEG, any size; resized, and for digits framed like MNIST).
    #[arg(long)]
    pub image: PathBuf,
    /// Side-by-side PNG: the target as the model sees it, then the match.
    #[arg(long, default_value = "inverted.png")]
    pub out: PathBuf,
    /// The latent found, as JSON [default: --out with .json].
    #[arg(long)]
    pub latent_out: Option<PathBuf>,
    /// Try only this class (conditional models); default: every class, keeping the best.
    #[arg(long)]
    pub class: Option<usize>,
    /// Random starting points per class.
    #[arg(long, default_value_t = InvertConfig::default().restarts)]
    pub restarts: usize,
    /// Each start is the closest of this many random latents (1: plain random starts).
    #[arg(long, default_value_t = InvertConfig::default().pool)]
    pub pool: usize,
    /// Adam steps.
    #[arg(long, default_value_t = InvertConfig::default().steps)]
    pub steps: usize,
    /// Adam's learning rate on z.
    #[arg(long, default_value_t = InvertConfig::default().lr)]
    pub lr: f32,
    /// Weight of the term keeping |z| near its typical length.
    #[arg(long, default_value_t = InvertConfig::default().prior)]
    pub prior: f32,
    /// After this many steps keep only the --keep best candidates (0: never prune).
    #[arg(long, default_value_t = InvertConfig::default().prune_after)]
    pub prune_after: usize,
    #[arg(long, default_value_t = InvertConfig::default().keep)]
    pub keep: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendKind,
    /// Scale the PNG up by this factor (each pixel a block).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub zoom: u8,
}

pub fn run(args: InvertArgs) -> Result<()> {
    let bytes = super::read_model(&args.model)?;
    let device = backend::open(args.backend)?;
    let mut sampler = Sampler::load(&bytes, &args.model.display().to_string(), &device)?;
    sampler.set_matmul_convs(args.backend.prefers_matmul_convs());
    let (size, channels) = sampler.arch().image_shape().ok_or_else(|| {
        WebganError::invalid("model", "2-D points", "inversion needs an image model")
    })?;
    let picture = std::fs::read(&args.image).map_err(|e| WebganError::io(&args.image, e))?;
    let (w, h, rgba) = target_image::decode(&picture, &args.image.display().to_string())?;
    let target = target_image::from_rgba(&rgba, w, h, size, channels)?;
    for note in &target.notes {
        println!("image: {note}");
    }
    let config = InvertConfig {
        restarts: args.restarts,
        pool: args.pool,
        steps: args.steps,
        lr: args.lr,
        prior: args.prior,
        prune_after: args.prune_after,
        keep: args.keep,
        seed: args.seed,
    };
    let only = args.class.map(|c| [c]);
    let classes = match &only {
        Some(c) => Classes::These(c),
        None => Classes::All,
    };
    let started = Instant::now();
    let best = invert::run_blocking(
        &sampler,
        &target.pixels,
        classes,
        config,
        50,
        |step, best| {
            let b = &best[0];
            println!(
                "step {step:>5}: best pixel MSE {:.4}{}",
                b.loss,
                b.class.map(|c| format!(" (class {c})")).unwrap_or_default()
            );
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let b = &best[0];
    println!(
        "found{} in {seconds:.1} s on {}: pixel MSE {:.4} on [-1, 1], RMS error {:.1}% — {}",
        b.class.map(|c| format!(" class {c}")).unwrap_or_default(),
        args.backend.name(),
        b.loss,
        invert::rms_error(b.loss) * 100.0,
        b.message
    );
    let pair: Vec<f32> = target.pixels.iter().chain(&b.sample).copied().collect();
    let (gw, gh, px) = grid::image_grid_rgba(&pair, size, channels, 2)?;
    let (gw, gh, px) = grid::upscale_rgba(&px, gw, gh, args.zoom as usize);
    write_png(&args.out, gw, gh, &px)?;
    let json_path = args
        .latent_out
        .clone()
        .unwrap_or_else(|| args.out.with_extension("json"));
    let json = serde_json::json!({
        "model": args.model.display().to_string(),
        "image": args.image.display().to_string(),
        "class": b.class,
        "z": b.z,
        "pixel_mse": b.loss,
        "rms_error": invert::rms_error(b.loss),
        "message": b.message,
        "seconds": seconds,
        "backend": args.backend.name(),
    });
    std::fs::write(&json_path, format!("{json}\n")).map_err(|e| WebganError::io(&json_path, e))?;
    println!(
        "wrote {} (target | match) and {}",
        args.out.display(),
        json_path.display()
    );
    Ok(())
}
