//! webgan: generative adversarial networks that run, and learn, inside a web page.
//!
//! The same code trains and samples natively (the `webgan` CLI) and in the browser (WebGPU
//! through burn-wgpu, with a CPU fallback). Start at [`train::GanTrainer`] for a training
//! step, [`run::TrainingRun`] for a whole run as both front ends drive it, and [`weights`]
//! for loading a generator.

#[cfg(not(target_family = "wasm"))]
pub mod allocator;
pub mod backend;
#[cfg(not(target_family = "wasm"))]
mod block;
pub mod data;
pub mod error;
#[cfg(feature = "train")]
pub mod eval;
pub mod grid;
pub mod inference;
pub mod latent;
// The latent tools live under `latent/`; their old paths stay the crate's public API.
#[cfg(feature = "train")]
pub use latent::invert;
pub use latent::{attributes, directions, target_image};
pub mod limits;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod presets;
#[cfg(feature = "train")]
pub mod run;
#[cfg(not(target_family = "wasm"))]
pub mod shipped;
pub mod spec;
#[cfg(feature = "train")]
pub mod timelapse;
pub mod train;
pub mod trial;
pub mod weights;

pub use burn;
pub use error::{Result, WebganError};

/// Drives the library's async calls natively (the CLI, tests, examples); see `block`.
#[cfg(not(target_family = "wasm"))]
pub use block::block_on;

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub mod cli;

#[cfg(target_family = "wasm")]
pub mod web;
