//! The `.wgan` container: magic, version, a JSON manifest and CRC-checked named sections
//! (see the layout in `weights`). It knows nothing of which networks the sections hold.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};
use crate::model::ArchConfig;
use crate::train::TrainConfig;

const MAGIC: &[u8; 4] = b"WGAN";
const VERSION: u32 = 1;
/// Manifests are small; anything larger means the header is garbage.
const MAX_MANIFEST: usize = 1 << 20;

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
    /// Settings added since a file was written read as that file's model was built (see
    /// `model::config`).
    #[serde(deserialize_with = "crate::model::config::deserialize_any_version")]
    pub arch: ArchConfig,
    /// The data set the model was trained on.
    pub dataset: String,
    /// Training steps completed.
    pub steps: u64,
    /// The training configuration (always present in checkpoints). Settings added since a
    /// file was written read as that file's run trained (see `train::config`).
    #[serde(default, deserialize_with = "crate::train::deserialize_any_version")]
    pub train: Option<TrainConfig>,
    /// Quality figures measured on the model, by name.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Provenance: the command that trained it, data checksums, commit, ...
    #[serde(default)]
    pub provenance: BTreeMap<String, String>,
    /// Principal latent directions (`webgan export` computes them; see `directions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directions: Option<crate::directions::stored::Directions>,
    /// Named attribute directions, "age" and "gender" for faces (`webgan export` fits them
    /// where a classifier labels the model's images; see `attributes`). Files without them
    /// still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<crate::attributes::Attributes>,
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
            attributes: None,
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
    pub(crate) fn section(&self, name: &str, what: &str) -> Result<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
            .ok_or_else(|| WebganError::bad_weights(what, format!("has no {name} section")))
    }

    pub(crate) fn has_section(&self, name: &str) -> bool {
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
    // The manifest is untrusted: its architecture is checked (sizes bounded, arithmetic
    // checked) before any caller allocates the model it describes.
    manifest.arch.validate().map_err(|e| {
        WebganError::bad_weights(
            what,
            format!("the manifest describes a model webgan refuses: {e}"),
        )
    })?;
    // The rest of the manifest too, used by this caller or not: a training configuration out
    // of range or directions that do not fit refuse the file here, not when a later tool reads
    // them.
    if let Some(train) = &manifest.train {
        train.validate(&manifest.arch).map_err(|e| {
            WebganError::bad_weights(what, format!("the manifest's training config: {e}"))
        })?;
    }
    if let Some(directions) = &manifest.directions {
        directions
            .check(manifest.arch.latent_dim(), manifest.arch.n_classes())
            .map_err(|e| WebganError::bad_weights(what, e.to_string()))?;
    }
    if let Some(attributes) = &manifest.attributes {
        attributes
            .check(manifest.arch.latent_dim())
            .map_err(|e| WebganError::bad_weights(what, e.to_string()))?;
    }
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

pub(crate) fn record_bytes<M: Module>(module: M, what: &str) -> Result<Vec<u8>> {
    let bytes = module
        .into_record()
        .into_bytes()
        .map_err(|e| WebganError::bad_weights(what, e.to_string()))?;
    Ok(bytes.to_vec())
}

pub(crate) fn load_module<M: Module>(
    module: M,
    bytes: &[u8],
    what: &str,
    section: &str,
) -> Result<M> {
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
