//! Writing weights from any device, WebGPU in the browser included: every tensor is read back
//! asynchronously into a CPU copy of the module first (burn's `into_record` reads
//! synchronously, which panics on WebGPU in wasm).

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor, TensorData};

use super::container::Manifest;
#[cfg(feature = "train")]
use super::container::{FileKind, encode, record_bytes};
use super::networks::save_generator;
#[cfg(feature = "train")]
use super::networks::{SECTION_DISCRIMINATOR, SECTION_GENERATOR, SECTION_GENERATOR_EMA, saves_ema};
use crate::error::{Result, WebganError};
#[cfg(feature = "train")]
use crate::model::Discriminator;
use crate::model::Generator;
#[cfg(feature = "train")]
use crate::train::GanTrainer;

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

/// A weights-only checkpoint (generator, its moving average, discriminator, step; no Adam
/// state), written from any device. Resuming it restarts Adam's moment estimates: the
/// browser's export, because burn reads optimizer state only synchronously.
#[cfg(feature = "train")]
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
        Discriminator::new(&trainer.arch, trainer.config.discriminator_options(), &cpu),
    )
    .await?;
    let ema = match saves_ema(trainer) {
        true => {
            let host = to_host_async(trainer.ema().clone(), Generator::new(&trainer.arch, &cpu));
            Some(record_bytes(host.await?, "generator average")?)
        }
        false => None,
    };
    let g = record_bytes(g, "generator")?;
    let d = record_bytes(d, "discriminator")?;
    let mut sections = vec![
        (SECTION_GENERATOR, g.as_slice()),
        (SECTION_DISCRIMINATOR, d.as_slice()),
    ];
    if let Some(ema) = &ema {
        sections.push((SECTION_GENERATOR_EMA, ema));
    }
    encode(&manifest, &sections)
}

/// Copies `module`'s tensors into `host` (the same architecture, on the CPU), reading each one
/// back asynchronously: the only way to get weights off WebGPU in a browser.
pub async fn to_host_async<M: Module>(module: M, host: M) -> Result<M> {
    let tensors = crate::model::flat_float_tensors(&module);
    let mut datas = Vec::with_capacity(tensors.len());
    for (t, shape) in tensors {
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
