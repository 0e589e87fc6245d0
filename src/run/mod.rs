//! A training run: the one trainer both front ends drive. `webgan train` loops over
//! [`TrainingRun::step`] and writes files; the page's Train view (`web::WebTrainer`) calls the
//! same methods from a worker. A run owns what surrounds [`GanTrainer::step`]: the data and
//! its batcher, a fixed latent batch to watch, the last good weights to roll back to, and
//! export. Everything that reads from the device is async, so it runs unchanged on WebGPU.
//!
//! Divergence policy (one, for both front ends): when a step's statistics are not finite, the
//! run rolls back to the weights, optimizer state and step count of the last good step and
//! returns [`WebganError::Diverged`]; the caller stops and shows the reason. Training again
//! from there is the user's call (e.g. with a lower learning rate).

mod device_data;
mod fit;
pub mod meter;
mod watch;

use std::collections::BTreeMap;

use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor, TensorData};

pub use device_data::DeviceData;
pub use meter::MeterReading;
pub use watch::Quality;

use self::fit::{check_labels, fill_shape_from};
use crate::data::{Batcher, Dataset, TrainingData};
use crate::error::{Result, WebganError};
use crate::inference::read_floats_async;
use crate::latent;
use crate::model::{ArchConfig, Discriminator, Generator};
use crate::presets::Preset;
use crate::spec::TrainSpec;
use crate::train::{GanTrainer, RealBatch, StepValues};
use crate::weights::{self, FileKind, Manifest};

/// Points watched in the live plot of a 2-D model.
pub const WATCHED_POINTS: usize = 512;

/// See the module docs.
pub struct TrainingRun {
    preset: Preset,
    trainer: GanTrainer,
    data: TrainingData,
    batcher: Batcher,
    /// The training set on the device, where [`TrainingRun::keep_data_on_device`] put it.
    device_data: Option<DeviceData>,
    /// The watched latent batch and its labels, uploaded once: every view refresh reuses them.
    watched_z: Tensor<2>,
    watched_labels: Option<Tensor<1, Int>>,
    watched_cols: usize,
    last_good: Snapshot,
    /// Whether tensors may be read synchronously: everywhere but WebGPU in a browser. Decides
    /// whether a checkpoint can carry Adam's state.
    sync_reads: bool,
    /// Provenance written into every exported file (where it was trained, what was restarted).
    pub provenance: BTreeMap<String, String>,
    /// The live quality meter, where [`TrainingRun::attach_meter`] fitted one.
    meter: Option<meter::Meter>,
}

/// Everything a step changes. Cloning modules shares their tensors, so a snapshot costs one
/// extra set of weights on the device, not a copy.
struct Snapshot {
    generator: Generator,
    ema: Generator,
    discriminator: Discriminator,
    optimizers: (ModuleOptimizer, ModuleOptimizer),
    step: u64,
}

impl TrainingRun {
    /// A new run of `spec` on `data`. Toy presets make their own data (`data` must be None);
    /// image presets need a data set, whose image shape and classes fill in what the spec
    /// leaves open (and must agree with what it sets).
    pub fn new(spec: &TrainSpec, data: Option<Dataset>, device: &Device) -> Result<TrainingRun> {
        let mut spec = spec.clone();
        let data = match (spec.preset.toy(), data) {
            (Some(toy), None) => TrainingData::Toy(toy),
            (Some(toy), Some(_)) => {
                return Err(WebganError::bad_data(
                    toy.name(),
                    "a toy preset generates its own 2-D points; it takes no data set",
                ));
            }
            (None, None) => {
                return Err(WebganError::bad_data(
                    spec.preset.name(),
                    "an image preset needs a data set",
                ));
            }
            (None, Some(d)) => {
                fill_shape_from(&mut spec, &d)?;
                TrainingData::Samples(d)
            }
        };
        let (arch, config) = spec.resolve()?;
        let trainer = GanTrainer::new(arch, config, device)?;
        TrainingRun::around(spec.preset, trainer, data)
    }

    /// Continues from a checkpoint (`webgan train`'s or the page's). Image checkpoints need
    /// their data set again (`data`); toy ones make theirs.
    ///
    /// Adam's state is restored natively. In a browser it restarts (burn restores optimizer
    /// state onto its default device, WebGPU there, synchronously, which a page cannot do);
    /// `provenance["optimizer"]` says which happened.
    pub fn resume(
        bytes: &[u8],
        what: &str,
        data: Option<Dataset>,
        device: &Device,
    ) -> Result<TrainingRun> {
        let restore = !cfg!(target_family = "wasm");
        let (manifest, trainer, restored) = weights::load_checkpoint(bytes, what, device, restore)?;
        let preset = preset_of(&manifest);
        let data = match (preset.toy(), data) {
            (Some(toy), _) => TrainingData::Toy(toy),
            (None, Some(d)) => TrainingData::Samples(d),
            (None, None) => {
                return Err(WebganError::bad_data(
                    what,
                    "this checkpoint trains on images: give its data set again to resume",
                ));
            }
        };
        let mut run = TrainingRun::around(preset, trainer, data)?;
        // The file's history (its training command, hardware, notes) carries on; what this
        // piece changes is recorded beside it.
        for (key, value) in manifest.provenance {
            run.provenance.entry(key).or_insert(value);
        }
        run.provenance.insert(
            "optimizer".into(),
            if restored {
                "Adam's state restored from the checkpoint".into()
            } else {
                "Adam restarted when the run was resumed (the checkpoint had no optimizer \
                 state, or it cannot be restored in a browser)"
                    .into()
            },
        );
        Ok(run)
    }

    fn around(preset: Preset, trainer: GanTrainer, data: TrainingData) -> Result<TrainingRun> {
        if data.sample_len() != trainer.arch.sample_len() {
            return Err(WebganError::bad_data(
                data.name(),
                format!(
                    "samples have {} values but the model makes {}",
                    data.sample_len(),
                    trainer.arch.sample_len()
                ),
            ));
        }
        check_labels(&data, trainer.arch.n_classes())?;
        data.check(trainer.config.batch_size)?;
        let (watched, cols) = watched_layout(&trainer.arch);
        // The watched batch has its own seed: the same faces of the same run, step after step.
        let dim = trainer.arch.latent_dim();
        let device = trainer.device().clone().inner();
        let watched_z = Tensor::<2>::from_data(
            TensorData::new(
                latent::batch_for_seed(trainer.config.seed ^ 0x5eed, watched, dim),
                [watched, dim],
            ),
            &device,
        );
        let watched_labels = match trainer.arch.n_classes() {
            0 => None,
            n => Some(Tensor::<1, Int>::from_data(
                TensorData::new(latent::grid_labels(watched, n, None), [watched]),
                &device,
            )),
        };
        let mut provenance = BTreeMap::new();
        provenance.insert("preset".into(), preset.name().into());
        Ok(TrainingRun {
            preset,
            batcher: Batcher::new(trainer.config.seed, trainer.config.batch_size),
            last_good: Snapshot::of(&trainer),
            trainer,
            data,
            device_data: None,
            watched_z,
            watched_labels,
            watched_cols: cols,
            sync_reads: !cfg!(target_family = "wasm"),
            provenance,
            meter: None,
        })
    }

    /// Whether tensors on this run's device can be read synchronously (the page says: only
    /// on its CPU backend). Defaults to true natively, false in a browser.
    pub fn set_sync_reads(&mut self, allowed: bool) {
        self.sync_reads = allowed;
    }

    /// Keeps the training set on the device and gathers each batch there (`on`: the device is
    /// a GPU, where each step would otherwise upload its batch), or copies batches on the host
    /// (off, and for toy data and sets over [`crate::limits::MAX_DEVICE_DATA_BYTES`]). Returns
    /// whether the set is on the device now. Either way a step trains on the same batch.
    pub fn keep_data_on_device(&mut self, on: bool) -> Result<bool> {
        self.device_data = match (&self.data, on) {
            (TrainingData::Samples(d), true) => DeviceData::upload(d, self.trainer.device())?,
            _ => None,
        };
        Ok(self.device_data.is_some())
    }

    /// Whether an exported checkpoint carries Adam's state.
    pub fn checkpoints_keep_optimizer(&self) -> bool {
        self.sync_reads
    }

    /// The spec that reproduces this run (defaults filled in).
    pub fn spec(&self) -> TrainSpec {
        TrainSpec::of(self.preset, &self.trainer.arch, &self.trainer.config)
    }

    pub fn arch(&self) -> &ArchConfig {
        &self.trainer.arch
    }

    pub fn trainer(&self) -> &GanTrainer {
        &self.trainer
    }

    /// Changes the learning rates from the next step on (a resumed run's lower-rate finish);
    /// Adam's moments are kept. Either may be left as it is.
    pub fn set_learning_rates(&mut self, lr_g: Option<f64>, lr_d: Option<f64>) -> Result<()> {
        if let Some(lr) = lr_g {
            crate::limits::LR_G.check(lr)?;
        }
        if let Some(lr) = lr_d {
            crate::limits::LR_D.check(lr)?;
        }
        let config = &mut self.trainer.config;
        config.lr_g = lr_g.unwrap_or(config.lr_g);
        config.lr_d = lr_d.unwrap_or(config.lr_d);
        Ok(())
    }

    /// Computes convolutions through matmul (for backends whose convolution kernels are slow).
    pub fn set_matmul_convs(&mut self, on: bool) {
        self.trainer.set_matmul_convs(on);
    }

    pub fn data(&self) -> &TrainingData {
        &self.data
    }

    pub fn steps(&self) -> u64 {
        self.trainer.step
    }

    /// Columns the watched batch is laid out in (one class per column for conditional models).
    pub fn watched_columns(&self) -> usize {
        self.watched_cols
    }

    /// Runs `n` steps and reads back the last one's statistics. See the module docs for what
    /// happens when they are not finite.
    pub async fn step(&mut self, n: u32) -> Result<StepValues> {
        let mut last = None;
        for _ in 0..n.max(1) {
            let stats = match &self.device_data {
                Some(on_device) => {
                    let (x, labels) = on_device.batch(&mut self.batcher, self.trainer.step);
                    self.trainer.step_on_device(x, labels.as_deref())
                }
                None => {
                    let (samples, labels) = self.batcher.batch(&self.data, self.trainer.step);
                    self.trainer.step(RealBatch {
                        samples: &samples,
                        labels: labels.as_deref(),
                    })
                }
            };
            match stats {
                Ok(s) => last = Some(s),
                Err(e) => return Err(self.rollback(e)),
            }
        }
        let values = match last.expect("at least one step").read_async().await {
            Ok(v) => v,
            Err(e) => return Err(self.rollback(e)),
        };
        if let Err(e) = values.check_finite() {
            return Err(self.rollback(e));
        }
        self.last_good = Snapshot::of(&self.trainer);
        Ok(values)
    }

    fn rollback(&mut self, error: WebganError) -> WebganError {
        let s = &self.last_good;
        self.trainer.generator = s.generator.clone();
        self.trainer.set_ema(s.ema.clone());
        self.trainer.discriminator = s.discriminator.clone();
        self.trainer
            .set_optimizers(s.optimizers.0.clone(), s.optimizers.1.clone());
        self.trainer.step = s.step;
        error
    }

    /// The sampled generator's output (the moving average of its weights, see
    /// [`GanTrainer::generator_for_inference`]) on the watched latent batch: images
    /// channels-last (laid out in [`Self::watched_columns`] columns), or x,y pairs.
    pub async fn samples(&self) -> Result<Vec<f32>> {
        let g = self.trainer.generator_for_inference();
        let out = g.forward(self.watched_z.clone(), self.watched_labels.clone());
        read_floats_async(out.reshape([-1])).await
    }

    fn manifest(&self, kind: FileKind) -> Manifest {
        let mut m = Manifest::new(
            kind,
            self.trainer.arch.clone(),
            self.data.name(),
            self.trainer.step,
        );
        m.train = Some(self.trainer.config.clone());
        m.provenance = self.provenance.clone();
        m
    }

    /// A generator file, as `webgan sample` and the Generate view load: the generator that
    /// is sampled, i.e. the moving average of the trained one's weights.
    pub async fn export_generator(&self) -> Result<Vec<u8>> {
        let m = self.manifest(FileKind::Generator);
        let g = self.trainer.generator_for_inference();
        if self.sync_reads {
            weights::save_generator(&g, &m)
        } else {
            weights::save_generator_async(&g, &m).await
        }
    }

    /// A checkpoint to resume from: with Adam's state where it can be read synchronously,
    /// else the weights and the step (see [`weights::save_checkpoint_weights_async`]).
    pub async fn export_checkpoint(&self) -> Result<Vec<u8>> {
        let m = self.manifest(FileKind::Checkpoint);
        if self.sync_reads {
            weights::save_checkpoint(&self.trainer, &m)
        } else {
            weights::save_checkpoint_weights_async(&self.trainer, &m).await
        }
    }

    /// Test hook: poisons the discriminator's weights with NaN, as an exploding run would.
    #[cfg(feature = "test-hooks")]
    pub fn inject_nan(&mut self) {
        use burn::module::{Module, ModuleMapper, Param};
        struct Poison;
        impl ModuleMapper for Poison {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let (id, t, _) = param.consume();
                let poisoned = Tensor::from_inner(t.inner().mul_scalar(f32::NAN)).require_grad();
                Param::initialized(id, poisoned)
            }
        }
        self.trainer.discriminator = self.trainer.discriminator.clone().map(&mut Poison);
    }
}

/// How many latents are watched and in how many columns: one column per class for
/// conditional models with up to 16 classes (8 rows), else 8 x 8; 512 points for 2-D models.
fn watched_layout(arch: &ArchConfig) -> (usize, usize) {
    match arch {
        ArchConfig::Toy(_) => (WATCHED_POINTS, 1),
        _ => match arch.n_classes() {
            k @ 1..=16 => (8 * k, k),
            _ => (64, 8),
        },
    }
}

/// The preset a checkpoint was trained from: recorded since this version; older files are
/// recognised by their data set (toy sets) or their image shape.
fn preset_of(manifest: &Manifest) -> Preset {
    let named = manifest
        .provenance
        .get("preset")
        .and_then(|p| serde_json::from_value::<Preset>(serde_json::Value::String(p.clone())).ok());
    named.unwrap_or_else(|| match &manifest.arch {
        ArchConfig::Toy(_) => [Preset::Ring, Preset::Grid, Preset::Spiral]
            .into_iter()
            .find(|p| manifest.dataset.starts_with(p.name()))
            .unwrap_or(Preset::Ring),
        ArchConfig::Image(c) if c.channels == 1 => Preset::Digits,
        ArchConfig::Image(_) => Preset::Faces,
    })
}

impl Snapshot {
    fn of(t: &GanTrainer) -> Snapshot {
        let (og, od) = t.optimizers();
        Snapshot {
            generator: t.generator.clone(),
            ema: t.ema().clone(),
            discriminator: t.discriminator.clone(),
            optimizers: (og.clone(), od.clone()),
            step: t.step,
        }
    }
}
