//! webgan's weights files: a small self-describing container around burn records.
//!
//! Layout (little-endian):
//! `b"WGAN"` | format version u32 | manifest length u32 | manifest (JSON) | section count u32 |
//! per section: name length u16 | name | data length u64 | CRC-32 of data u32 | data.
//!
//! The manifest says what the file is (a generator for shipping, or a full checkpoint for
//! resuming), the architecture, the data set, the steps, metrics and provenance. The sections
//! are burnpack records (burn's own format) of the networks and optimizers. Every failure to
//! read one (wrong magic, truncation, a flipped bit, another architecture) is an error that
//! says which, never a panic.

mod container;
mod host;
mod networks;

pub use container::{FileKind, Manifest, WeightsFile, decode, encode, expect_arch};
// For the evaluation classifier's files (`eval::classifier`), stored in the same container;
// the page loads them for the live quality meter (`run::meter`), only the CLI writes them.
#[cfg(feature = "train")]
pub(crate) use container::load_module;
#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub(crate) use container::record_bytes;
#[cfg(feature = "train")]
pub use host::save_checkpoint_weights_async;
pub use host::{save_generator_async, to_host_async};
pub use networks::{Precision, load_generator, save_generator, save_generator_as};
#[cfg(feature = "train")]
pub use networks::{load_checkpoint, save_checkpoint};
