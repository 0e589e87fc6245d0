//! Data: MNIST files, image folders, 2-D toy sets, and reproducible batches.

pub mod batcher;
pub mod decode;
#[cfg(feature = "images")]
pub mod images;
pub mod mnist;
pub mod toy;

pub use batcher::{Batcher, Dataset, TrainingData};
pub use toy::Toy;
