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

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Device, Tensor, TensorData};
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
    /// The evaluation classifier (`webgan classifier`, used by `webgan eval`).
    Classifier,
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
    /// Principal latent directions (`webgan export` computes them; see `directions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directions: Option<crate::directions::Directions>,
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
            directions: None,
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

    fn has_section(&self, name: &str) -> bool {
        self.sections.iter().any(|(n, _)| n == name)
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
    // Half-precision files are widened to the module's f32 on the host, before upload.
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| WebganError::bad_weights(what, format!("{section}: {e}")))?
        .cast_to_module_dtype();
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

/// How the weights of a generator file are stored. Loading always computes in f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 4 bytes per weight, exactly what training produced.
    #[default]
    F32,
    /// 2 bytes per weight: half the download; measured against f32 before shipping.
    F16,
}

/// Serialises a generator for shipping, in f32. Reads the weights synchronously (natively, or
/// on the CPU in the browser; from WebGPU use [`save_generator_async`]).
pub fn save_generator(generator: &Generator, manifest: &Manifest) -> Result<Vec<u8>> {
    save_generator_as(generator, manifest, Precision::F32)
}

/// Serialises a generator with its weights stored at `precision`.
pub fn save_generator_as(
    generator: &Generator,
    manifest: &Manifest,
    precision: Precision,
) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = FileKind::Generator;
    let module = match precision {
        Precision::F32 => generator.valid(),
        // Cast where the generator lives (the CLI loads it on the CPU); loading widens it back
        // to f32 on the host, so no backend needs f16 to run a half-precision file.
        Precision::F16 => generator.valid().map(&mut CastTo(DType::F16)),
    };
    manifest
        .provenance
        .insert("precision".into(), format!("{precision:?}").to_lowercase());
    let g = record_bytes(module, "generator")?;
    encode(&manifest, &[(SECTION_GENERATOR, &g)])
}

/// Casts every float tensor of a module (burn 0.22 has no module-level cast).
struct CastTo(DType);

impl ModuleMapper for CastTo {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, t, _) = param.consume();
        Param::initialized(id, t.cast(self.0))
    }
}

/// [`save_generator`] for any device, WebGPU in the browser included: the weights are read
/// back asynchronously onto the CPU first.
pub async fn save_generator_async(generator: &Generator, manifest: &Manifest) -> Result<Vec<u8>> {
    let host = to_host_async(
        generator.valid(),
        Generator::new(&manifest.arch, &Device::flex()),
    )
    .await?;
    save_generator(&host, manifest)
}

/// A weights-only checkpoint (generator, discriminator, step; no Adam state), written from any
/// device. Resuming it restarts Adam's moment estimates: the browser's export, because burn
/// reads optimizer state only synchronously.
pub async fn save_checkpoint_weights_async(
    trainer: &GanTrainer,
    manifest: &Manifest,
) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = FileKind::Checkpoint;
    manifest.steps = trainer.step;
    manifest.train = Some(trainer.config.clone());
    manifest.arch = trainer.arch.clone();
    manifest.provenance.insert(
        "optimizer_state".into(),
        "not saved (browser export): Adam restarts when resumed".into(),
    );
    let cpu = Device::flex();
    let g = to_host_async(
        trainer.generator.valid(),
        Generator::new(&trainer.arch, &cpu),
    )
    .await?;
    let d = to_host_async(
        trainer.discriminator.valid(),
        Discriminator::new(&trainer.arch, &cpu),
    )
    .await?;
    let g = record_bytes(g, "generator")?;
    let d = record_bytes(d, "discriminator")?;
    encode(
        &manifest,
        &[(SECTION_GENERATOR, &g), (SECTION_DISCRIMINATOR, &d)],
    )
}

/// Copies `module`'s tensors into `host` (the same architecture, on the CPU), reading each one
/// back asynchronously: the only way to get weights off WebGPU in a browser.
pub async fn to_host_async<M: Module>(module: M, host: M) -> Result<M> {
    struct Collect(Vec<(Tensor<1>, Vec<usize>)>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val();
            let shape = t.dims().to_vec();
            self.0.push((t.reshape([-1]), shape));
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    let mut datas = Vec::with_capacity(collect.0.len());
    for (t, shape) in collect.0 {
        let data = t
            .into_data_async()
            .await
            .map_err(|e| WebganError::Readback(format!("{e:?}")))?;
        datas.push((data, shape));
    }
    struct Fill {
        datas: std::vec::IntoIter<(TensorData, Vec<usize>)>,
        device: Device,
        error: Option<String>,
    }
    impl ModuleMapper for Fill {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, old, _) = param.consume();
            match self.datas.next() {
                Some((data, shape)) if shape == old.dims().to_vec() => {
                    let values: Vec<f32> = match data.try_into_vec_as::<f32>() {
                        Ok(v) => v,
                        Err(e) => {
                            self.error = Some(format!("{e:?}"));
                            return Param::initialized(id, old);
                        }
                    };
                    let t = Tensor::<D>::from_data(TensorData::new(values, shape), &self.device);
                    Param::initialized(id, t)
                }
                _ => {
                    self.error = Some("the module's structure changed while copying".into());
                    Param::initialized(id, old)
                }
            }
        }
    }
    let device = host.devices().first().cloned().unwrap_or_else(Device::flex);
    let mut fill = Fill {
        datas: datas.into_iter(),
        device,
        error: None,
    };
    let host = host.map(&mut fill);
    match fill.error {
        Some(e) => Err(WebganError::Readback(e)),
        None => Ok(host),
    }
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
    if !file.has_section(SECTION_OPTIM_G) && !file.has_section(SECTION_OPTIM_D) {
        // A weights-only checkpoint (exported from the page): Adam starts afresh.
        return Ok((manifest, trainer));
    }
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

#[cfg(all(feature = "cli", not(target_family = "wasm")))]
const SECTION_CLASSIFIER: &str = "classifier";

/// Serialises an evaluation classifier; `manifest.arch` describes the images it judges.
#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub fn save_classifier(
    classifier: &crate::eval::classifier::Classifier,
    config: &crate::eval::classifier::ClassifierConfig,
    manifest: &Manifest,
) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = FileKind::Classifier;
    manifest.provenance.insert(
        "classifier_config".into(),
        serde_json::to_string(config).unwrap_or_default(),
    );
    let c = record_bytes(classifier.clone(), SECTION_CLASSIFIER)?;
    encode(&manifest, &[(SECTION_CLASSIFIER, &c)])
}

/// Loads an evaluation classifier (refusing generators and checkpoints).
#[cfg(all(feature = "cli", not(target_family = "wasm")))]
pub fn load_classifier(
    bytes: &[u8],
    what: &str,
    device: &Device,
) -> Result<(
    Manifest,
    crate::eval::classifier::ClassifierConfig,
    crate::eval::classifier::Classifier,
)> {
    use crate::eval::classifier::{Classifier, ClassifierConfig};
    let file = decode(bytes, what)?;
    if file.manifest.kind != FileKind::Classifier {
        return Err(WebganError::bad_weights(
            what,
            format!(
                "is a {:?} file, not a classifier (make one with `webgan classifier`)",
                file.manifest.kind
            )
            .to_lowercase(),
        ));
    }
    let config: ClassifierConfig = file
        .manifest
        .provenance
        .get("classifier_config")
        .and_then(|c| serde_json::from_str(c).ok())
        .ok_or_else(|| WebganError::bad_weights(what, "classifier file without its config"))?;
    config.validate()?;
    let model = load_module(
        Classifier::new(&config, device),
        file.section(SECTION_CLASSIFIER, what)?,
        what,
        SECTION_CLASSIFIER,
    )?;
    Ok((file.manifest, config, model))
}
