//! The networks: burn modules and their configs, nothing else.

pub mod config;
pub mod discriminator;
pub mod generator;
pub mod layers;
pub mod size;

pub use config::{ArchConfig, ImageGanConfig, LabelMixing, ToyGanConfig};
pub use discriminator::Discriminator;
pub use generator::Generator;
