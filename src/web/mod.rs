//! The JavaScript boundary (wasm only): backends, loaded generators, and small helpers the page
//! uses to draw and to move through latent space. Everything heavy is async: on WebGPU a
//! synchronous read would panic.

mod latent_tools;
mod session;
mod trainer;

pub use latent_tools::WebInversion;
pub use session::{Backend, WebGan};
pub use trainer::{WebTrainer, wasm_memory_bytes};

use wasm_bindgen::prelude::*;

use crate::grid;
use crate::latent;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// RGBA bytes of a grid of channels-last images in [-1, 1], `cols` tiles wide, no padding.
#[wasm_bindgen(js_name = renderGrid)]
pub fn render_grid(samples: &[f32], size: usize, channels: usize, cols: usize) -> Vec<u8> {
    grid::image_grid_rgba(samples, size, channels, cols).2
}

/// Spherical interpolation between two latent vectors.
#[wasm_bindgen]
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    latent::slerp(a, b, t)
}

/// One step of a smooth random walk from `z`; `seed` and `step` make it reproducible.
#[wasm_bindgen(js_name = walkStep)]
pub fn walk_step(z: &[f32], seed: u32, step: u32, step_size: f32) -> Vec<f32> {
    latent::walk_step(
        z,
        &mut latent::rng_for(seed as u64, 7, step as u64),
        step_size,
    )
}

/// `n` latent vectors of length `dim` for a seed (the same on every backend and machine).
#[wasm_bindgen(js_name = latentsForSeed)]
pub fn latents_for_seed(seed: u32, n: usize, dim: usize) -> Vec<f32> {
    latent::batch_for_seed(seed as u64, n, dim)
}
