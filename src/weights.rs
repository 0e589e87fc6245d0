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

use std::collections::BTreeMap;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};
use crate::model::{ArchConfig, Discriminator, Generator};
use crate::train::{GanTrainer, TrainConfig};

const MAGIC: &[u8; 4] = b"WGAN";
const VERSION: u32 = 1;
/// Manifests are small; anything larger means the header is garbage.
const MAX_MANIFEST: usize = 1 << 20;

const SECTION_GENERATOR: &str = "generator";
const SECTION_DISCRIMINATOR: &str = "discriminator";
const SECTION_OPTIM_G: &str = "optim_g";
const SECTION_OPTIM_D: &str = "optim_d";

/// What a weights file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// The generator alone: what the page and `webgan sample` load.
    Generator,
    /// Generator, discriminator, both optimizers and the step: what `--resume` loads.
    Checkpoint,
}

/// Everything a weights file says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: FileKind,
    /// webgan's version that wrote the file.
    pub crate_version: String,
    pub arch: ArchConfig,
    /// The data set the model was trained on.
    pub dataset: String,
    /// Training steps completed.
    pub steps: u64,
    /// The training configuration (always present in checkpoints).
    #[serde(default)]
    pub train: Option<TrainConfig>,
    /// Quality figures measured on the model, by name.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Provenance: the command that trained it, data checksums, commit, ...
    #[serde(default)]
    pub provenance: BTreeMap<String, String>,
}

impl Manifest {
    pub fn new(kind: FileKind, arch: ArchConfig, dataset: impl Into<String>, steps: u64) -> Self {
        Manifest {
            kind,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            arch,
            dataset: dataset.into(),
            steps,
            train: None,
            metrics: BTreeMap::new(),
            provenance: BTreeMap::new(),
        }
    }
}

/// Packs a manifest and named sections into one file.
pub fn encode(manifest: &Manifest, sections: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(manifest)
        .map_err(|e| WebganError::bad_weights("manifest", e.to_string()))?;
    let mut out = Vec::with_capacity(
        16 + json.len() + sections.iter().map(|s| s.1.len() + 16).sum::<usize>(),
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (name, data) in sections {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        out.extend_from_slice(data);
    }
    Ok(out)
}

/// A little cursor that turns running off the end into a "truncated" error.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'a str,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.at..end];
                self.at = end;
                Ok(out)
            }
            None => Err(WebganError::bad_weights(
                self.what,
                format!(
                    "file is truncated: {field} needs {n} bytes at offset {} but the file has {}",
                    self.at,
                    self.bytes.len()
                ),
            )),
        }
    }

    fn u16(&mut self, field: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2, field)?.try_into().unwrap()))
    }

    fn u32(&mut self, field: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, field)?.try_into().unwrap()))
    }

    fn u64(&mut self, field: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, field)?.try_into().unwrap()))
    }
}

/// A decoded file: its manifest and sections.
pub struct WeightsFile {
    pub manifest: Manifest,
    sections: Vec<(String, Vec<u8>)>,
}

impl WeightsFile {
    fn section(&self, name: &str, what: &str) -> Result<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
            .ok_or_else(|| WebganError::bad_weights(what, format!("has no {name} section")))
    }
}

/// Reads a file made by [`encode`]; `what` names it in errors (a path, "upload", ...).
pub fn decode(bytes: &[u8], what: &str) -> Result<WeightsFile> {
    let mut c = Cursor { bytes, at: 0, what };
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(WebganError::bad_weights(
            what,
            "not a webgan weights file (it does not start with WGAN)",
        ));
    }
    c.take(4, "magic")?;
    let version = c.u32("format version")?;
    if version != VERSION {
        return Err(WebganError::bad_weights(
            what,
            format!("format version {version}; this webgan reads version {VERSION}"),
        ));
    }
    let len = c.u32("manifest length")? as usize;
    if len > MAX_MANIFEST {
        return Err(WebganError::bad_weights(
            what,
            format!("manifest length {len} is absurd"),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(c.take(len, "manifest")?)
        .map_err(|e| WebganError::bad_weights(what, format!("manifest is unreadable: {e}")))?;
    manifest.arch.validate()?;
    let count = c.u32("section count")?;
    if count > 64 {
        return Err(WebganError::bad_weights(
            what,
            format!("{count} sections is absurd"),
        ));
    }
    let mut sections = Vec::new();
    for _ in 0..count {
        let name_len = c.u16("section name length")? as usize;
        let name = String::from_utf8_lossy(c.take(name_len, "section name")?).to_string();
        let data_len = c.u64("section length")?;
        let crc = c.u32("section checksum")?;
        let data = c.take(
            usize::try_from(data_len).unwrap_or(usize::MAX),
            &format!("section {name}"),
        )?;
        if crc32fast::hash(data) != crc {
            return Err(WebganError::bad_weights(
                what,
                format!("section {name} is corrupt (checksum mismatch)"),
            ));
        }
        sections.push((name, data.to_vec()));
    }
    if c.at != bytes.len() {
        return Err(WebganError::bad_weights(
            what,
            format!(
                "{} unexpected bytes after the last section",
                bytes.len() - c.at
            ),
        ));
    }
    Ok(WeightsFile { manifest, sections })
}

fn record_bytes<M: Module>(module: M, what: &str) -> Result<Vec<u8>> {
    let bytes = module
        .into_record()
        .into_bytes()
        .map_err(|e| WebganError::bad_weights(what, e.to_string()))?;
    Ok(bytes.to_vec())
}

fn load_module<M: Module>(module: M, bytes: &[u8], what: &str, section: &str) -> Result<M> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| WebganError::bad_weights(what, format!("{section}: {e}")))?;
    module.try_load_record(record).map_err(|e| {
        WebganError::ArchitectureMismatch(format!("{what}: {section} does not fit: {e}"))
    })
}

/// Checks that a file's architecture is the one the caller expects.
pub fn expect_arch(manifest: &Manifest, expected: &ArchConfig, what: &str) -> Result<()> {
    if &manifest.arch != expected {
        return Err(WebganError::ArchitectureMismatch(format!(
            "{what} holds {}, expected {}",
            serde_json::to_string(&manifest.arch).unwrap_or_default(),
            serde_json::to_string(expected).unwrap_or_default(),
        )));
    }
    Ok(())
}

/// Serialises a generator for shipping. Reads the weights synchronously (native only for
/// WebGPU devices).
pub fn save_generator(generator: &Generator, manifest: &Manifest) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = FileKind::Generator;
    let g = record_bytes(generator.valid(), "generator")?;
    encode(&manifest, &[(SECTION_GENERATOR, &g)])
}

/// Loads the generator from a generator file or a checkpoint, ready for inference on `device`.
pub fn load_generator(bytes: &[u8], what: &str, device: &Device) -> Result<(Manifest, Generator)> {
    let file = decode(bytes, what)?;
    let fresh = Generator::new(&file.manifest.arch, device);
    let generator = load_module(
        fresh,
        file.section(SECTION_GENERATOR, what)?,
        what,
        SECTION_GENERATOR,
    )?;
    Ok((file.manifest, generator.valid()))
}

/// Serialises everything needed to resume training exactly.
pub fn save_checkpoint(trainer: &GanTrainer, manifest: &Manifest) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = FileKind::Checkpoint;
    manifest.steps = trainer.step;
    manifest.train = Some(trainer.config.clone());
    manifest.arch = trainer.arch.clone();
    let g = record_bytes(trainer.generator.clone(), "generator")?;
    let d = record_bytes(trainer.discriminator.clone(), "discriminator")?;
    let (og, od) = trainer.optimizers();
    let og = og
        .into_bytes()
        .map_err(|e| WebganError::bad_weights("optimizer", e.to_string()))?;
    let od = od
        .into_bytes()
        .map_err(|e| WebganError::bad_weights("optimizer", e.to_string()))?;
    encode(
        &manifest,
        &[
            (SECTION_GENERATOR, &g),
            (SECTION_DISCRIMINATOR, &d),
            (SECTION_OPTIM_G, &og),
            (SECTION_OPTIM_D, &od),
        ],
    )
}

/// Rebuilds a trainer from a checkpoint, on `device`, continuing at the saved step.
///
/// burn 0.22 restores optimizer state onto its default device (wgpu when compiled in, unless
/// the `BURN_DEVICE` environment variable names another); the first step moves it to the
/// parameters' device. `webgan train` sets `BURN_DEVICE` to its backend for that reason.
pub fn load_checkpoint(
    bytes: &[u8],
    what: &str,
    device: &Device,
) -> Result<(Manifest, GanTrainer)> {
    let file = decode(bytes, what)?;
    let manifest = file.manifest.clone();
    if manifest.kind != FileKind::Checkpoint {
        return Err(WebganError::bad_weights(
            what,
            "is a generator-only file; resuming needs a checkpoint (ckpt-*.wgan)",
        ));
    }
    let config = manifest
        .train
        .clone()
        .ok_or_else(|| WebganError::bad_weights(what, "checkpoint has no training config"))?;
    // Load onto the plain device; the trainer moves the networks to its autodiff device, where
    // they become fresh leaves (records applied on an autodiff device are not leaves).
    let plain = device.clone().inner();
    let g = load_module(
        Generator::new(&manifest.arch, &plain),
        file.section(SECTION_GENERATOR, what)?,
        what,
        SECTION_GENERATOR,
    )?;
    let d = load_module(
        Discriminator::new(&manifest.arch, &plain),
        file.section(SECTION_DISCRIMINATOR, what)?,
        what,
        SECTION_DISCRIMINATOR,
    )?;
    let mut trainer =
        GanTrainer::from_parts(manifest.arch.clone(), config, g, d, manifest.steps, device);
    let (og, od) = trainer.optimizers();
    let og = load_optimizer(og.clone(), file.section(SECTION_OPTIM_G, what)?, what)?;
    let od = load_optimizer(od.clone(), file.section(SECTION_OPTIM_D, what)?, what)?;
    trainer.set_optimizers(og, od);
    Ok((manifest, trainer))
}

fn load_optimizer(optim: ModuleOptimizer, bytes: &[u8], what: &str) -> Result<ModuleOptimizer> {
    optim
        .from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| WebganError::bad_weights(what, format!("optimizer state: {e}")))
}
