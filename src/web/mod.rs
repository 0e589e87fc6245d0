//! The JavaScript boundary (wasm only): backends, loaded generators, and small helpers the page
//! uses to draw and to move through latent space. Everything heavy is async: on WebGPU a
//! synchronous read would panic.

mod data;
mod errors;
mod latent_tools;
mod policy;
mod session;
mod trainer;

pub use data::WebData;
pub use latent_tools::WebInversion;
pub use session::{Backend, WebGan};
pub use trainer::{WebTrainer, train_limits, wasm_memory_bytes};

use wasm_bindgen::prelude::*;

use crate::grid;
use crate::latent;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// RGBA bytes of a grid of channels-last images in [-1, 1], `cols` tiles wide, no padding.
/// Images are grey (1 channel) or RGB (3); anything else is an error of kind "bad_input".
#[wasm_bindgen(js_name = renderGrid)]
pub fn render_grid(
    samples: &[f32],
    size: usize,
    channels: usize,
    cols: usize,
) -> Result<Vec<u8>, JsValue> {
    if !(channels == 1 || channels == 3) || size == 0 || size > 4096 {
        return Err(errors::js_error(
            "bad_input",
            &format!("renderGrid draws {size}x{size} images with 1 or 3 channels, not {channels}"),
        ));
    }
    Ok(grid::image_grid_rgba(samples, size, channels, cols).2)
}

/// The manifest of a `.wgan` file (kind, architecture, data set, steps, metrics, provenance) as
/// JSON, checked as a load would check it but without building the model: how the Train view
/// learns a checkpoint's image shape before it decodes the data to resume it on.
#[wasm_bindgen(js_name = readManifest)]
pub fn read_manifest(bytes: &[u8], name: &str) -> Result<String, JsValue> {
    let file = crate::weights::decode(bytes, name)?;
    Ok(serde_json::to_string(&file.manifest).unwrap_or_default())
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
