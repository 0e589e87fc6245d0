//! The JavaScript boundary (wasm only): backends, loaded generators, and small helpers the page
//! uses to draw and to move through latent space. Everything heavy is async: on WebGPU a
//! synchronous read would panic.

mod backend;
#[cfg(feature = "train")]
mod data;
mod errors;
mod generator;
#[cfg(feature = "train")]
mod inversion;
mod latent_tools;
mod policy;
mod threads;
#[cfg(feature = "train")]
mod timelapse;
#[cfg(feature = "train")]
mod trainer;
mod trial;

pub use backend::Backend;
#[cfg(feature = "train")]
pub use data::WebData;
pub use generator::WebGan;
#[cfg(feature = "train")]
pub use inversion::WebInversion;
#[cfg(feature = "threads")]
pub use threads::init_thread_pool;
pub use threads::{CpuThreadsPlan, cpu_threads, plan_cpu_threads};
#[cfg(feature = "train")]
pub use timelapse::WebTimeLapse;
#[cfg(feature = "train")]
pub use trainer::WebTrainer;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::grid;
use crate::latent;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// A grid of images drawn as RGBA pixels: `rgba` is `width` x `height` x 4 bytes, ready for a
/// canvas's `ImageData`.
#[wasm_bindgen]
pub struct RenderedGrid {
    rgba: Vec<u8>,
    width: usize,
    height: usize,
}

#[wasm_bindgen]
impl RenderedGrid {
    #[wasm_bindgen(getter)]
    pub fn rgba(&self) -> Vec<u8> {
        self.rgba.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> usize {
        self.width
    }
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> usize {
        self.height
    }
}

/// A grid of channels-last images in [-1, 1], `cols` tiles wide, no padding, as RGBA pixels
/// with their width and height. Images are grey (1 channel) or RGB (3), at most 256 pixels
/// wide, 1 to 1024 columns, a whole number of images; anything else is an error of kind
/// "bad_input".
#[wasm_bindgen(js_name = renderGrid)]
pub fn render_grid(
    samples: &[f32],
    size: usize,
    channels: usize,
    cols: usize,
) -> Result<RenderedGrid, JsValue> {
    let (width, height, rgba) = grid::image_grid_rgba(samples, size, channels, cols)?;
    Ok(RenderedGrid {
        rgba,
        width,
        height,
    })
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

/// The bounds of every training setting (`crate::limits`), as JSON: `[{key, min, max,
/// integer, min_exclusive}]`. The Train view's form validates against exactly these.
#[wasm_bindgen(js_name = trainLimits)]
pub fn train_limits() -> String {
    serde_json::to_string(&crate::limits::TRAINING).unwrap_or_default()
}

/// The recipe the Train view trains with unless a spec names another: a visitor watches for
/// minutes, not hours (`presets::Recipe`).
pub const PAGE_RECIPE: crate::presets::Recipe = crate::presets::Recipe::Minutes;

/// A spec as the Train view sends it (JSON), with the page's recipe where it names none.
pub(crate) fn page_spec(json: &str) -> crate::error::Result<crate::spec::TrainSpec> {
    let mut spec = crate::spec::TrainSpec::from_json(json)?;
    spec.recipe.get_or_insert(PAGE_RECIPE);
    Ok(spec)
}

/// Every setting a training spec (JSON, as the Train view sends it) resolves to, as the same
/// JSON with nothing left out: the form shows these as its defaults before anything trains.
/// Errors (kind "bad_input") for a spec the trainer would refuse.
#[wasm_bindgen(js_name = trainDefaults)]
pub fn train_defaults(spec: &str) -> Result<String, JsValue> {
    let spec = page_spec(spec)?;
    let (arch, config) = spec.resolve()?;
    let full = crate::spec::TrainSpec::of(spec.preset, &arch, &config);
    Ok(serde_json::to_string(&full).unwrap_or_default())
}

/// What the Train view needs to know of a preset, as Rust defines it.
#[derive(serde::Serialize)]
struct PresetFacts {
    name: &'static str,
    toy: bool,
    /// For image presets: the side, channels and classes of the images it trains.
    image_size: usize,
    channels: usize,
    n_classes: usize,
}

fn facts(preset: crate::presets::Preset) -> PresetFacts {
    let arch = preset.arch();
    let (image_size, channels) = arch.image_shape().unwrap_or((0, 0));
    PresetFacts {
        name: preset.name(),
        toy: preset.toy().is_some(),
        image_size,
        channels,
        n_classes: arch.n_classes(),
    }
}

/// Every preset's facts as JSON: `[{name, toy, image_size, channels, n_classes}]`.
#[wasm_bindgen(js_name = trainPresets)]
pub fn train_presets() -> String {
    let all: Vec<PresetFacts> = crate::presets::Preset::ALL.into_iter().map(facts).collect();
    serde_json::to_string(&all).unwrap_or_default()
}

/// The preset that trains a person's own images with `channels` channels (1 grey, 3 colour),
/// as JSON `{name, toy, image_size, channels, n_classes}`: its size is the one they are
/// resized to.
#[wasm_bindgen(js_name = presetForImages)]
pub fn preset_for_images(channels: usize) -> String {
    serde_json::to_string(&facts(crate::presets::Preset::for_images(channels))).unwrap_or_default()
}

/// Size of the wasm linear memory in bytes (it only grows: flat means no leak). The threaded
/// build's memory is shared (a SharedArrayBuffer), so the length is read by name.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| js_sys::Reflect::get(&m.buffer(), &"byteLength".into()).ok())
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}
