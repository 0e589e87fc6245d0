//! The networks' files: generators (f32 or f16) and full checkpoints (both networks, the
//! generator's moving average, both Adam states, the step), read and written synchronously
//! (natively, or on the CPU).

use burn::module::{Module, ModuleMapper, Param};
#[cfg(feature = "train")]
use burn::optim::ModuleOptimizer;
#[cfg(feature = "train")]
use burn::tensor::Bytes;
use burn::tensor::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use super::container::{FileKind, Manifest, decode, encode, load_module, record_bytes};
use crate::error::{Result, WebganError};
#[cfg(feature = "train")]
use crate::model::Discriminator;
use crate::model::Generator;
use crate::model::size::ModelSize;
#[cfg(feature = "train")]
use crate::train::GanTrainer;

pub(crate) const SECTION_GENERATOR: &str = "generator";
/// The moving average of a checkpoint's generator (see `train::ema`): what sampling from a
/// checkpoint uses. Absent when the run had it off, and in checkpoints older than it.
pub(crate) const SECTION_GENERATOR_EMA: &str = "generator_ema";
#[cfg_attr(not(feature = "train"), allow(dead_code))]
pub(crate) const SECTION_DISCRIMINATOR: &str = "discriminator";
#[cfg(feature = "train")]
pub(crate) const SECTION_OPTIM_G: &str = "optim_g";
#[cfg(feature = "train")]
pub(crate) const SECTION_OPTIM_D: &str = "optim_d";

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

/// Loads the generator from a generator file or a checkpoint, ready for inference on `device`:
/// from a checkpoint the moving average of its generator where it has one, as the run that
/// wrote it sampled.
pub fn load_generator(bytes: &[u8], what: &str, device: &Device) -> Result<(Manifest, Generator)> {
    let file = decode(bytes, what)?;
    let name = if file.has_section(SECTION_GENERATOR_EMA) {
        SECTION_GENERATOR_EMA
    } else {
        SECTION_GENERATOR
    };
    let section = file.section(name, what)?;
    check_section_holds(&file.manifest, section.len(), what)?;
    let fresh = Generator::new(&file.manifest.arch, device);
    let generator = load_module(fresh, section, what, name)?;
    Ok((file.manifest, generator.valid()))
}

/// Refuses, before the model is allocated, a generator section too small to hold the
/// parameters the manifest's architecture needs even at half precision: a manifest edited to
/// describe a larger model than the file holds.
fn check_section_holds(manifest: &Manifest, section_len: usize, what: &str) -> Result<()> {
    let params = ModelSize::of(&manifest.arch)?.generator_params;
    if (section_len as u64) < params.saturating_mul(2) {
        return Err(WebganError::bad_weights(
            what,
            format!(
                "the generator section holds {section_len} bytes, too few for the {params} \
                 parameters its manifest describes"
            ),
        ));
    }
    Ok(())
}

/// Serialises everything needed to resume training exactly.
#[cfg(feature = "train")]
pub fn save_checkpoint(trainer: &GanTrainer, manifest: &Manifest) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = FileKind::Checkpoint;
    manifest.steps = trainer.step;
    manifest.train = Some(trainer.config.clone());
    manifest.arch = trainer.arch.clone();
    let g = record_bytes(trainer.generator.clone(), "generator")?;
    let d = record_bytes(trainer.discriminator.clone(), "discriminator")?;
    let ema = match saves_ema(trainer) {
        true => Some(record_bytes(trainer.ema().clone(), "generator average")?),
        false => None,
    };
    let (og, od) = trainer.optimizers();
    let og = og
        .into_bytes()
        .map_err(|e| WebganError::bad_weights("optimizer", e.to_string()))?;
    let od = od
        .into_bytes()
        .map_err(|e| WebganError::bad_weights("optimizer", e.to_string()))?;
    let mut sections = vec![
        (SECTION_GENERATOR, g.as_slice()),
        (SECTION_DISCRIMINATOR, d.as_slice()),
        (SECTION_OPTIM_G, &og[..]),
        (SECTION_OPTIM_D, &od[..]),
    ];
    if let Some(ema) = &ema {
        sections.push((SECTION_GENERATOR_EMA, ema));
    }
    encode(&manifest, &sections)
}

/// Whether a checkpoint stores the moving average: only when it differs from the generator
/// (with `ema_decay` 0 it is the generator, and loading copies it from there).
#[cfg(feature = "train")]
pub(crate) fn saves_ema(trainer: &GanTrainer) -> bool {
    trainer.config.ema_decay != 0.0
}

/// Rebuilds a trainer from a checkpoint, on `device`, continuing at the saved step. Adam's
/// state is restored when the file has it and `restore_optimizer` is set; the returned flag
/// says whether it was (otherwise Adam starts afresh).
///
/// burn 0.22 restores optimizer state onto its default device (wgpu when compiled in, unless
/// the `BURN_DEVICE` environment variable names another); the first step moves it to the
/// parameters' device. `webgan train` sets `BURN_DEVICE` to its backend for that reason, and
/// the browser never restores it (its default device is WebGPU, which cannot be used
/// synchronously there).
#[cfg(feature = "train")]
pub fn load_checkpoint(
    bytes: &[u8],
    what: &str,
    device: &Device,
    restore_optimizer: bool,
) -> Result<(Manifest, GanTrainer, bool)> {
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
    config
        .validate(&manifest.arch)
        .map_err(|e| WebganError::bad_weights(what, format!("training config: {e}")))?;
    let g_section = file.section(SECTION_GENERATOR, what)?;
    check_section_holds(&manifest, g_section.len(), what)?;
    // Load onto the plain device; the trainer moves the networks to its autodiff device, where
    // they become fresh leaves (records applied on an autodiff device are not leaves).
    let plain = device.clone().inner();
    let g = load_module(
        Generator::new(&manifest.arch, &plain),
        g_section,
        what,
        SECTION_GENERATOR,
    )?;
    let d = load_module(
        Discriminator::new(&manifest.arch, config.discriminator_options(), &plain),
        file.section(SECTION_DISCRIMINATOR, what)?,
        what,
        SECTION_DISCRIMINATOR,
    )?;
    let mut trainer =
        GanTrainer::from_parts(manifest.arch.clone(), config, g, d, manifest.steps, device);
    // Without the section (the average was off, or the file predates it) the average starts
    // as the generator itself, which is what from_parts made.
    if file.has_section(SECTION_GENERATOR_EMA) {
        let section = file.section(SECTION_GENERATOR_EMA, what)?;
        check_section_holds(&manifest, section.len(), what)?;
        let ema = Generator::new(&manifest.arch, &plain);
        trainer.set_ema(load_module(ema, section, what, SECTION_GENERATOR_EMA)?);
    }
    let has_optimizer = file.has_section(SECTION_OPTIM_G) || file.has_section(SECTION_OPTIM_D);
    if !(has_optimizer && restore_optimizer) {
        return Ok((manifest, trainer, false));
    }
    let (og, od) = trainer.optimizers();
    let og = load_optimizer(og.clone(), file.section(SECTION_OPTIM_G, what)?, what)?;
    let od = load_optimizer(od.clone(), file.section(SECTION_OPTIM_D, what)?, what)?;
    trainer.set_optimizers(og, od);
    Ok((manifest, trainer, true))
}

#[cfg(feature = "train")]
fn load_optimizer(optim: ModuleOptimizer, bytes: &[u8], what: &str) -> Result<ModuleOptimizer> {
    optim
        .from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .map_err(|e| WebganError::bad_weights(what, format!("optimizer state: {e}")))
}
