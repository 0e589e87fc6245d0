//! `webgan sample`: a PNG grid (images) or scatter plot (2-D points) from a weights file.

use rand::SeedableRng;

use super::{SampleArgs, write_png};
use crate::backend;
use crate::data::Toy;
use crate::error::{Result, WebganError};
use crate::grid;
use crate::inference::Sampler;
use crate::model::ArchConfig;

pub fn run(args: SampleArgs) -> Result<()> {
    if args.n == 0 || args.n > 100_000 {
        return Err(WebganError::invalid("n", args.n, "must be 1..=100000"));
    }
    let bytes = super::read_model(&args.model)?;
    let device = backend::open(args.backend)?;
    let mut sampler = Sampler::load(&bytes, &args.model.display().to_string(), &device)?;
    sampler.set_matmul_convs(args.backend.prefers_matmul_convs());
    let samples = sampler.generate_seed(args.seed, args.n, args.class)?;
    match sampler.arch().clone() {
        ArchConfig::Image(c) => {
            let default_cols = if (1..=16).contains(&c.n_classes) {
                c.n_classes
            } else {
                8
            };
            let cols = args.cols.unwrap_or(default_cols);
            let (w, h, rgba) = grid::image_grid_rgba(&samples, c.image_size, c.channels, cols);
            write_png(&args.out, w, h, &rgba)?;
            println!("wrote {} ({w}x{h}, {} samples)", args.out.display(), args.n);
        }
        ArchConfig::Toy(_) => {
            // Real points for reference, when the manifest names a toy data set.
            let real = match sampler.manifest.dataset.parse::<Toy>() {
                Ok(toy) => toy.sample(&mut rand::rngs::StdRng::seed_from_u64(args.seed), args.n),
                Err(_) => Vec::new(),
            };
            let side = 512;
            let rgba = grid::scatter_rgba(&real, &samples, side, 1.6);
            write_png(&args.out, side, side, &rgba)?;
            println!(
                "wrote {} (scatter of {} points)",
                args.out.display(),
                args.n
            );
        }
    }
    Ok(())
}
