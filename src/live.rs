//! Training driven from the page: the same [`GanTrainer`] as `webgan train`, plus what a live
//! view needs — data held in memory, a fixed latent batch to watch, D's decision surface, a
//! quality figure, rollback to the last good weights when training diverges. Everything that
//! reads from the device is async, so it runs unchanged on WebGPU in a worker and natively.

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::ModuleOptimizer;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::data::{Batcher, Dataset, Toy, TrainingData};
use crate::error::{Result, WebganError};
use crate::latent;
use crate::loss::GanLoss;
use crate::metrics;
use crate::model::{ArchConfig, Discriminator, Generator, ImageGanConfig, ToyGanConfig};
use crate::train::{GanTrainer, RealBatch, StepValues, TrainConfig};
use crate::weights::{self, Manifest};

/// Images watched in the live grid, and 2-D points in the live plot.
pub const WATCHED_IMAGES: usize = 64;
pub const WATCHED_POINTS: usize = 512;
/// Diversity of generated images below this fraction of the real data's means collapse.
const COLLAPSE_RATIO: f32 = 0.5;

/// What the page may set. Every field is optional in JSON; missing ones take the defaults of
/// the data kind (toy sets: the ring preset; images: the digits preset).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveOptions {
    /// "ring", "grid", "spiral" or "images" (then call [`LiveTrainer::set_images`]).
    pub data: String,
    pub loss: GanLoss,
    pub lr_g: Option<f64>,
    pub lr_d: Option<f64>,
    pub batch_size: Option<usize>,
    pub d_steps: usize,
    pub latent_dim: Option<usize>,
    pub seed: u64,
    pub image_size: usize,
    pub channels: usize,
    pub n_classes: usize,
    pub width: usize,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            data: "ring".into(),
            loss: GanLoss::NonSaturating,
            lr_g: None,
            lr_d: None,
            batch_size: None,
            d_steps: 1,
            latent_dim: None,
            seed: 42,
            image_size: 28,
            channels: 1,
            n_classes: 0,
            width: 64,
        }
    }
}

impl LiveOptions {
    pub fn toy(&self) -> Result<Option<Toy>> {
        match self.data.as_str() {
            "ring" => Ok(Some(Toy::Ring)),
            "grid" => Ok(Some(Toy::Grid)),
            "spiral" => Ok(Some(Toy::Spiral)),
            "images" => Ok(None),
            other => Err(WebganError::invalid(
                "data",
                other,
                "must be ring, grid, spiral or images",
            )),
        }
    }

    /// The architecture and training configuration these options mean, validated.
    pub fn resolve(&self) -> Result<(ArchConfig, TrainConfig)> {
        let toy = self.toy()?.is_some();
        let arch = if toy {
            let mut c = ToyGanConfig::new();
            if let Some(z) = self.latent_dim {
                c = c.with_latent_dim(z);
            }
            ArchConfig::Toy(c)
        } else {
            ArchConfig::Image(
                ImageGanConfig::new()
                    .with_image_size(self.image_size)
                    .with_channels(self.channels)
                    .with_latent_dim(self.latent_dim.unwrap_or(64))
                    .with_width(self.width)
                    .with_n_classes(self.n_classes),
            )
        };
        let default_lr = if toy { 3e-4 } else { 2e-4 };
        let config = TrainConfig::new()
            .with_loss(self.loss)
            .with_lr_g(self.lr_g.unwrap_or(default_lr))
            .with_lr_d(self.lr_d.unwrap_or(default_lr))
            .with_batch_size(self.batch_size.unwrap_or(if toy { 256 } else { 64 }))
            .with_d_steps(self.d_steps)
            .with_seed(self.seed);
        if arch.latent_dim() == 0 || arch.latent_dim() > 1024 {
            return Err(WebganError::invalid(
                "latent_dim",
                arch.latent_dim(),
                "must be 1..=1024",
            ));
        }
        if config.d_steps > 20 {
            return Err(WebganError::invalid(
                "d_steps",
                config.d_steps,
                "must be 1..=20 in the page",
            ));
        }
        arch.validate()?;
        config.validate()?;
        Ok((arch, config))
    }

    /// The options that reproduce a loaded checkpoint's architecture and settings.
    fn from_parts(arch: &ArchConfig, config: &TrainConfig, data: &str) -> LiveOptions {
        let mut o = LiveOptions {
            data: data.to_string(),
            loss: config.loss,
            lr_g: Some(config.lr_g),
            lr_d: Some(config.lr_d),
            batch_size: Some(config.batch_size),
            d_steps: config.d_steps,
            latent_dim: Some(arch.latent_dim()),
            seed: config.seed,
            ..LiveOptions::default()
        };
        if let ArchConfig::Image(c) = arch {
            o.image_size = c.image_size;
            o.channels = c.channels;
            o.n_classes = c.n_classes;
            o.width = c.width;
        }
        o
    }
}

/// The state the page trains: see the module docs.
pub struct LiveTrainer {
    options: LiveOptions,
    trainer: GanTrainer,
    data: Option<TrainingData>,
    batcher: Batcher,
    watched_z: Vec<f32>,
    watched_labels: Option<Vec<i64>>,
    last_good: Snapshot,
}

/// Everything a step changes. Cloning modules shares their tensors, so a snapshot costs one
/// extra set of weights on the device, not a copy.
struct Snapshot {
    generator: Generator,
    discriminator: Discriminator,
    optimizers: (ModuleOptimizer, ModuleOptimizer),
    step: u64,
}

impl LiveTrainer {
    pub fn new(options: LiveOptions, device: &Device) -> Result<LiveTrainer> {
        let (arch, config) = options.resolve()?;
        let trainer = GanTrainer::new(arch, config, device)?;
        Self::around(options, trainer)
    }

    /// Continues from a checkpoint (`webgan train`'s or the page's own export).
    pub fn resume(bytes: &[u8], what: &str, device: &Device) -> Result<LiveTrainer> {
        let (manifest, trainer) = weights::load_checkpoint(bytes, what, device)?;
        let data = match &manifest.arch {
            ArchConfig::Toy(_) => Toy::ALL
                .iter()
                .find(|t| manifest.dataset.starts_with(t.name()))
                .map_or("ring", |t| t.name()),
            ArchConfig::Image(_) => "images",
        };
        let options = LiveOptions::from_parts(&trainer.arch, &trainer.config, data);
        Self::around(options, trainer)
    }

    fn around(options: LiveOptions, trainer: GanTrainer) -> Result<LiveTrainer> {
        let toy = options.toy()?;
        let watched = if toy.is_some() {
            WATCHED_POINTS
        } else {
            WATCHED_IMAGES
        };
        // The watched batch comes from its own seed: the same faces of the same run, step after
        // step, whatever the training noise.
        let watched_z = latent::batch_for_seed(
            trainer.config.seed ^ 0x5eed,
            watched,
            trainer.arch.latent_dim(),
        );
        let watched_labels = match trainer.arch.n_classes() {
            0 => None,
            n => Some(latent::grid_labels(watched, n, None)),
        };
        let last_good = Snapshot::of(&trainer);
        Ok(LiveTrainer {
            batcher: Batcher::new(trainer.config.seed, trainer.config.batch_size),
            data: toy.map(TrainingData::Toy),
            options,
            trainer,
            watched_z,
            watched_labels,
            last_good,
        })
    }

    pub fn options(&self) -> &LiveOptions {
        &self.options
    }

    pub fn arch(&self) -> &ArchConfig {
        &self.trainer.arch
    }

    pub fn steps(&self) -> u64 {
        self.trainer.step
    }

    pub fn toy(&self) -> Option<Toy> {
        match &self.data {
            Some(TrainingData::Toy(t)) => Some(*t),
            _ => None,
        }
    }

    /// The training images for image models: `samples` channels-last in [-1, 1], one label per
    /// image for conditional models.
    pub fn set_images(&mut self, samples: Vec<f32>, labels: Option<Vec<i64>>) -> Result<()> {
        let len = self.trainer.arch.sample_len();
        if self.toy().is_some() {
            return Err(WebganError::bad_data(
                "images",
                format!(
                    "this trainer learns the {} toy set, not images",
                    self.options.data
                ),
            ));
        }
        if samples.is_empty() || samples.len() % len != 0 {
            return Err(WebganError::bad_data(
                "images",
                format!(
                    "{} values is not a whole number of {len}-value images",
                    samples.len()
                ),
            ));
        }
        if let Some(i) = samples
            .iter()
            .position(|v| !v.is_finite() || v.abs() > 1.0 + 1e-4)
        {
            return Err(WebganError::bad_data(
                "images",
                format!("value {} at index {i} is outside [-1, 1]", samples[i]),
            ));
        }
        let n = samples.len() / len;
        let n_classes = self.trainer.arch.n_classes();
        let labels = match (n_classes, labels) {
            (0, _) => None,
            (_, None) => {
                return Err(WebganError::bad_data(
                    "images",
                    "a conditional model needs a label for every image",
                ));
            }
            (k, Some(l)) => {
                if l.len() != n {
                    return Err(WebganError::bad_data(
                        "images",
                        format!("{} labels for {n} images", l.len()),
                    ));
                }
                if let Some(bad) = l.iter().find(|&&c| c < 0 || c as usize >= k) {
                    return Err(WebganError::bad_data(
                        "images",
                        format!("label {bad} outside 0..{k}"),
                    ));
                }
                Some(l)
            }
        };
        let data = TrainingData::Samples(Dataset {
            name: format!("{n} images from the page"),
            samples,
            labels,
            sample_len: len,
        });
        data.check(self.trainer.config.batch_size)?;
        self.data = Some(data);
        Ok(())
    }

    /// Runs `n` steps and reads back the last one's statistics. When they are not finite, the
    /// weights, optimizers and step count go back to before this call and the error says why.
    pub async fn step(&mut self, n: u32) -> Result<StepValues> {
        let Some(data) = &self.data else {
            return Err(WebganError::bad_data(
                "training data",
                "no images yet: load a data set first",
            ));
        };
        let mut last = None;
        for _ in 0..n.max(1) {
            let (samples, labels) = self.batcher.batch(data, self.trainer.step);
            let stats = self.trainer.step(RealBatch {
                samples: &samples,
                labels: labels.as_deref(),
            });
            match stats {
                Ok(s) => last = Some(s),
                Err(e) => {
                    self.rollback();
                    return Err(e);
                }
            }
        }
        let values = match last.expect("at least one step").read_async().await {
            Ok(v) => v,
            Err(e) => {
                self.rollback();
                return Err(e);
            }
        };
        if let Err(e) = values.check_finite() {
            self.rollback();
            return Err(e);
        }
        self.last_good = Snapshot::of(&self.trainer);
        Ok(values)
    }

    fn rollback(&mut self) {
        let s = &self.last_good;
        self.trainer.generator = s.generator.clone();
        self.trainer.discriminator = s.discriminator.clone();
        self.trainer
            .set_optimizers(s.optimizers.0.clone(), s.optimizers.1.clone());
        self.trainer.step = s.step;
    }

    /// The generator's output on the watched latent batch: images channels-last, or x,y pairs.
    pub async fn samples(&self) -> Result<Vec<f32>> {
        let n = self.watched_z.len() / self.trainer.arch.latent_dim();
        self.generate(self.watched_z.clone(), self.watched_labels.clone(), n)
            .await
    }

    async fn generate(&self, z: Vec<f32>, labels: Option<Vec<i64>>, n: usize) -> Result<Vec<f32>> {
        let g = self.trainer.generator_for_inference();
        let device = self.trainer.device().clone().inner();
        let z = Tensor::<2>::from_data(
            TensorData::new(z, [n, self.trainer.arch.latent_dim()]),
            &device,
        );
        let labels = labels.map(|l| Tensor::<1, Int>::from_data(TensorData::new(l, [n]), &device));
        read_async(g.forward(z, labels).reshape([-1])).await
    }

    /// Toy data only: `n` real points (a fixed draw).
    pub fn real_points(&self, n: usize) -> Vec<f32> {
        match self.toy() {
            Some(toy) => toy.sample(&mut latent::rng_for(self.trainer.config.seed, 77, 0), n),
            None => Vec::new(),
        }
    }

    /// Toy data only: D's probability of "real" on a `resolution`² grid over
    /// [-extent, extent]², row-major from the top row (y = +extent).
    pub async fn heatmap(&self, resolution: usize, extent: f32) -> Result<Vec<f32>> {
        if self.toy().is_none() {
            return Err(WebganError::invalid(
                "heatmap",
                &self.options.data,
                "only 2-D toy data has a decision surface to draw",
            ));
        }
        if !(2..=256).contains(&resolution) || !(extent.is_finite() && extent > 0.0) {
            return Err(WebganError::invalid(
                "heatmap",
                format!("{resolution} x {resolution} over ±{extent}"),
                "resolution must be 2..=256 and extent positive",
            ));
        }
        let step = 2.0 * extent / (resolution - 1) as f32;
        let mut points = Vec::with_capacity(2 * resolution * resolution);
        for row in 0..resolution {
            for col in 0..resolution {
                points.push(-extent + col as f32 * step);
                points.push(extent - row as f32 * step);
            }
        }
        let device = self.trainer.device().clone().inner();
        let x = Tensor::<2>::from_data(
            TensorData::new(points, [resolution * resolution, 2]),
            &device,
        );
        let d = self.trainer.discriminator.valid();
        read_async(sigmoid(d.forward(x, None))).await
    }

    /// A quality figure cheap enough to refresh live, as JSON-ready values.
    pub async fn quality(&self) -> Result<LiveQuality> {
        match self.toy() {
            Some(toy) => {
                let points = self.samples().await?;
                let (covered, total, high) = if toy.modes().is_empty() {
                    // The spiral has no modes: count points near the data as "high quality".
                    let real = self.real_points(2048);
                    let near = metrics::fraction_near(&points, &real, 0.15);
                    (usize::from(near > 0.5), 1, near)
                } else {
                    let c = metrics::mode_coverage(toy, &points);
                    (c.modes_covered, c.modes_total, c.high_quality)
                };
                Ok(LiveQuality::Toy {
                    modes_covered: covered,
                    modes_total: total,
                    high_quality: high,
                    collapsed: self.steps() >= 500 && covered * 2 <= total,
                })
            }
            None => {
                let len = self.trainer.arch.sample_len();
                let fake = self.samples().await?;
                let real = match &self.data {
                    Some(TrainingData::Samples(d)) => {
                        let n = d.len().min(WATCHED_IMAGES);
                        d.samples[..n * len].to_vec()
                    }
                    _ => Vec::new(),
                };
                let diversity = metrics::mean_pairwise_distance(&fake, len);
                let real_diversity = metrics::mean_pairwise_distance(&real, len);
                let ratio = if real_diversity > 0.0 {
                    diversity / real_diversity
                } else {
                    0.0
                };
                Ok(LiveQuality::Images {
                    diversity,
                    real_diversity,
                    ratio,
                    collapsed: self.steps() >= 200 && ratio < COLLAPSE_RATIO,
                })
            }
        }
    }

    fn manifest(&self) -> Manifest {
        let mut m = Manifest::new(
            weights::FileKind::Generator,
            self.trainer.arch.clone(),
            match &self.data {
                Some(d) => d.name(),
                None => self.options.data.clone(),
            },
            self.trainer.step,
        );
        m.train = Some(self.trainer.config.clone());
        m.provenance
            .insert("trained_in".into(), "the webgan page (Train view)".into());
        m
    }

    /// A generator file, as `webgan sample` and the Generate view load.
    pub async fn export_generator(&self) -> Result<Vec<u8>> {
        weights::save_generator_async(&self.trainer.generator, &self.manifest()).await
    }

    /// A checkpoint to resume from (weights only: see [`weights::save_checkpoint_weights_async`]).
    pub async fn export_checkpoint(&self) -> Result<Vec<u8>> {
        weights::save_checkpoint_weights_async(&self.trainer, &self.manifest()).await
    }

    /// Test hook: poisons the discriminator's weights with NaN, as an exploding run would.
    #[doc(hidden)]
    pub fn inject_nan(&mut self) {
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

impl Snapshot {
    fn of(t: &GanTrainer) -> Snapshot {
        let (og, od) = t.optimizers();
        Snapshot {
            generator: t.generator.clone(),
            discriminator: t.discriminator.clone(),
            optimizers: (og.clone(), od.clone()),
            step: t.step,
        }
    }
}

/// What [`LiveTrainer::quality`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveQuality {
    Toy {
        modes_covered: usize,
        modes_total: usize,
        high_quality: f32,
        /// Half the modes or more lost after warm-up: the classic mode collapse.
        collapsed: bool,
    },
    Images {
        /// Mean pairwise L2 distance between the watched generated images.
        diversity: f32,
        /// The same between real training images.
        real_diversity: f32,
        ratio: f32,
        /// Generated images much less varied than real ones: the generator is collapsing.
        collapsed: bool,
    },
}

async fn read_async(t: Tensor<1>) -> Result<Vec<f32>> {
    t.into_data_async()
        .await
        .map_err(|e| WebganError::Readback(format!("{e:?}")))?
        .try_into_vec_as::<f32>()
        .map_err(|e| WebganError::Readback(format!("{e:?}")))
}

/// Drives a future whose readbacks complete immediately (CPU backends); for native tests and
/// native callers of the async API.
#[cfg(not(target_family = "wasm"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
