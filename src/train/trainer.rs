//! [`GanTrainer`]: the networks, their optimizers, the generator's moving average and the step
//! (feature `train`: the generation-only build has none of it).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::config::R1_INTERVAL;
use super::{RealBatch, StepStats, TrainConfig, augment, ema, penalty};
use crate::error::{Result, WebganError};
use crate::latent;
use crate::loss::{GanLoss, class_cross_entropy};
use crate::model::{ArchConfig, Discriminator, Generator};

/// Everything that changes during training: both networks, both optimizers, the moving
/// average of the generator, the step count.
pub struct GanTrainer {
    pub arch: ArchConfig,
    pub config: TrainConfig,
    /// The generator being trained (on the autodiff device). Sampling uses [`Self::ema`].
    pub generator: Generator,
    /// The moving average of `generator`'s weights (see the `ema` module), on the plain
    /// device.
    ema: Generator,
    pub discriminator: Discriminator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// Steps completed so far.
    pub step: u64,
    /// The autodiff device everything lives on.
    device: Device,
    /// D's loss's constant of a [real; fake] batch (1 on real samples, -1 on fake ones),
    /// uploaded once per batch size rather than every D step.
    signs: Option<Tensor<1>>,
}

/// burn's CPU backend keeps one process-wide random generator (what `Device::seed` seeds),
/// and parameters draw their initial values from it lazily, on first use. Two trainers made at
/// once on different threads (tests run so) would interleave their draws, and the same seed
/// would give other weights: each trainer seeds and draws all of its weights under this lock.
static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Touches every parameter, so that its lazy initial value is drawn now.
struct DrawNow;

impl ModuleVisitor for DrawNow {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// The noise streams of a step: separate so that, e.g., changing d_steps does not shift the
/// labels drawn for the generator.
const STREAM_Z: u64 = 1;
const STREAM_LABELS: u64 = 2;
const STREAM_GP: u64 = 3;
/// DiffAugment's choices for what D sees in D steps and in the G step.
const STREAM_AUGMENT_D: u64 = 4;
const STREAM_AUGMENT_G: u64 = 5;

impl GanTrainer {
    /// New networks initialised from `config.seed` on `device` (a plain device: the trainer
    /// adds autodiff itself).
    pub fn new(arch: ArchConfig, config: TrainConfig, device: &Device) -> Result<Self> {
        arch.validate()?;
        config.validate(&arch)?;
        let device = device.clone().autodiff();
        let (generator, discriminator) = {
            let _drawing = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            device.seed(config.seed);
            let generator = Generator::new(&arch, &device);
            let discriminator = Discriminator::new(&arch, config.discriminator_options(), &device);
            generator.visit(&mut DrawNow);
            discriminator.visit(&mut DrawNow);
            (generator, discriminator)
        };
        Ok(Self::from_parts(
            arch,
            config,
            generator,
            discriminator,
            0,
            &device,
        ))
    }

    /// A trainer around existing networks (for resuming; load optimizer state separately).
    pub fn from_parts(
        arch: ArchConfig,
        config: TrainConfig,
        generator: Generator,
        discriminator: Discriminator,
        step: u64,
        device: &Device,
    ) -> Self {
        let device = device.clone().autodiff();
        let adam = AdamConfig::new()
            .with_beta_1(config.beta1)
            .with_beta_2(config.beta2)
            .with_epsilon(1e-8);
        // valid() detaches the parameters from any graph, so that on the autodiff device they
        // are fresh leaves whatever produced them (a record, an edit, another trainer).
        let generator = generator.valid().to_device(&device).train();
        GanTrainer {
            ema: generator.valid(),
            generator,
            discriminator: discriminator.valid().to_device(&device).train(),
            optim_g: adam.init(),
            optim_d: adam.init(),
            arch,
            config,
            step,
            device,
            signs: None,
        }
    }

    /// Computes convolutions through matmul (for backends with slow convolution kernels).
    pub fn set_matmul_convs(&mut self, on: bool) {
        self.generator.set_matmul_convs(on);
        self.ema.set_matmul_convs(on);
        self.discriminator.set_matmul_convs(on);
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The optimizers, for checkpoints.
    pub fn optimizers(&self) -> (&ModuleOptimizer, &ModuleOptimizer) {
        (&self.optim_g, &self.optim_d)
    }

    pub fn set_optimizers(&mut self, optim_g: ModuleOptimizer, optim_d: ModuleOptimizer) {
        self.optim_g = optim_g;
        self.optim_d = optim_d;
    }

    /// The generator to sample from: the moving average of the trained generator's weights
    /// (the generator itself when `ema_decay` is 0), batch norm on its running statistics.
    pub fn generator_for_inference(&self) -> Generator {
        // valid() hands out fresh running-state cells, which callers may move or map freely.
        self.ema.valid()
    }

    /// The generator being trained, for inference (what [`Self::generator_for_inference`]
    /// averages).
    pub fn live_generator_for_inference(&self) -> Generator {
        self.generator.valid()
    }

    /// The moving average as stored (for checkpoints and rollback).
    pub fn ema(&self) -> &Generator {
        &self.ema
    }

    /// Replaces the moving average (a checkpoint's, or a rollback's); moved to the plain
    /// device.
    pub fn set_ema(&mut self, ema: Generator) {
        self.ema = ema.valid().to_device(&self.device.clone().inner());
    }

    fn upload(&self, values: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values, shape), &self.device)
    }

    fn upload_labels(&self, labels: Vec<i64>) -> Tensor<1, Int> {
        let n = labels.len();
        Tensor::from_data(TensorData::new(labels, [n]), &self.device)
    }

    /// z on the device, and the generator's labels on the host: the generator's own pass
    /// uploads them alone, D's one pass over real and fake uploads them after the real ones.
    /// 1 on the first `batch` samples of a [real; fake] pass, -1 on the rest (see
    /// [`GanLoss::discriminator_joint`]).
    fn signs(&mut self, batch: usize) -> Tensor<1> {
        match &self.signs {
            Some(s) if s.dims() == [2 * batch] => s.clone(),
            _ => {
                let values = (0..2 * batch)
                    .map(|i| if i < batch { 1.0 } else { -1.0 })
                    .collect();
                let s = self.upload(values, [2 * batch, 1]).reshape([2 * batch]);
                self.signs = Some(s.clone());
                s
            }
        }
    }

    fn noise(&self, substep: u64, batch: usize) -> (Tensor<2>, Option<Vec<i64>>) {
        let index = self.step * 1000 + substep;
        let mut rng = latent::rng_for(self.config.seed, STREAM_Z, index);
        let z = latent::normal(&mut rng, batch, self.arch.latent_dim());
        let z = self.upload(z, [batch, self.arch.latent_dim()]);
        let labels = match self.arch.n_classes() {
            0 => None,
            n => {
                let mut rng = latent::rng_for(self.config.seed, STREAM_LABELS, index);
                Some(latent::random_labels(&mut rng, batch, n))
            }
        };
        (z, labels)
    }

    /// Checks a real batch's shape and labels before anything touches the device.
    fn check_batch(&self, real: &RealBatch<'_>) -> Result<usize> {
        let len = self.arch.sample_len();
        if real.samples.is_empty() || !real.samples.len().is_multiple_of(len) {
            return Err(WebganError::bad_data(
                "training batch",
                format!(
                    "{} values is not a whole number of samples of {len}",
                    real.samples.len()
                ),
            ));
        }
        let batch = real.samples.len() / len;
        if let Some(i) = real.samples.iter().position(|v| !v.is_finite()) {
            return Err(WebganError::bad_data(
                "training batch",
                format!("value {} at index {i} is not finite", real.samples[i]),
            ));
        }
        self.check_labels(batch, real.labels)?;
        Ok(batch)
    }

    fn check_labels(&self, batch: usize, labels: Option<&[i64]>) -> Result<()> {
        match (self.arch.n_classes(), labels) {
            (0, _) => Ok(()),
            (n, Some(labels)) => {
                if labels.len() != batch {
                    return Err(WebganError::bad_data(
                        "training batch",
                        format!("{} labels for {batch} samples", labels.len()),
                    ));
                }
                if let Some(bad) = labels.iter().find(|&&l| l < 0 || l as usize >= n) {
                    return Err(WebganError::bad_data(
                        "training batch",
                        format!("label {bad} outside 0..{n}"),
                    ));
                }
                Ok(())
            }
            (_, None) => Err(WebganError::bad_data(
                "training batch",
                "a conditional model needs a label for every sample",
            )),
        }
    }

    /// One training iteration: `d_steps` discriminator updates on `real` (the same real batch
    /// each time) and one generator update. Issues work to the device and returns without
    /// reading anything back.
    pub fn step(&mut self, real: RealBatch<'_>) -> Result<StepStats> {
        let batch = self.check_batch(&real)?;
        let len = self.arch.sample_len();
        let real_x = self.upload(real.samples.to_vec(), [batch, len]);
        self.step_on_device(real_x, real.labels)
    }

    /// [`GanTrainer::step`] on real samples already on the device (`run::DeviceData` gathers
    /// them there from a training set checked when it was uploaded): `real_x` is
    /// [batch, sample_len]. Labels (one class per sample for conditional models) stay on the
    /// host: a few bytes, uploaded with the generator's in one buffer for D's pass.
    pub fn step_on_device(
        &mut self,
        real_x: Tensor<2>,
        real_labels: Option<&[i64]>,
    ) -> Result<StepStats> {
        let [batch, _] = real_x.dims();
        self.check_labels(batch, real_labels)?;
        let loss = self.config.loss;
        let real_target = 1.0 - self.config.label_smoothing;
        let k = self.config.d_steps as u64;

        // Extra D steps (k > 1) see fresh fakes from a generator that records no graph.
        if k > 1 {
            let frozen_g = self.generator.clone().no_grad();
            for i in 0..k - 1 {
                let (z, labels) = self.noise(i, batch);
                let on_device = labels.clone().map(|l| self.upload_labels(l));
                let fake = frozen_g.forward(z, on_device).detach();
                let labels = labels.as_deref();
                self.discriminator_update(&real_x, real_labels, fake, labels, real_target, i);
            }
        }
        // The last D step and the G step share one generator forward (as PyTorch's DCGAN
        // example does): D trains on the detached fakes, then G backpropagates through the
        // updated D into the very same graph.
        let (z, fake_labels) = self.noise(k - 1, batch);
        let labels = fake_labels.clone().map(|l| self.upload_labels(l));
        let fake = self.generator.forward(z, labels.clone());
        let (d_loss, d_means, gp) = self.discriminator_update(
            &real_x,
            real_labels,
            fake.clone().detach(),
            fake_labels.as_deref(),
            real_target,
            k - 1,
        );

        let frozen_d = self.discriminator.clone().no_grad();
        let seen = self.augmented(fake, STREAM_AUGMENT_G, k - 1);
        let (logits, classes) = frozen_d.forward_with_classes(seen, labels.clone());
        let mut g_loss = loss.generator_with_gradient(logits);
        // With an auxiliary classifier, G is also rewarded when D names its images' classes.
        if let (Some(classes), Some(labels)) = (classes, labels) {
            g_loss = g_loss + class_cross_entropy(classes, labels) * self.config.aux_weight;
        }
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self
            .optim_g
            .step(self.config.lr_g, self.generator.clone(), grads);
        self.ema = ema::updated(&self.ema, &self.generator, self.config.ema_decay, self.step)?;

        self.step += 1;
        let values = Tensor::cat(
            [vec![d_loss, g_loss, d_means], gp.into_iter().collect()].concat(),
            0,
        )
        .detach()
        .inner();
        Ok(StepStats {
            values,
            step: self.step,
        })
    }

    /// One D update; returns its loss, [mean D(x), mean D(G(z))] and the penalty where there is
    /// one, all detached.
    fn discriminator_update(
        &mut self,
        real_x: &Tensor<2>,
        real_labels: Option<&[i64]>,
        fake: Tensor<2>,
        fake_labels: Option<&[i64]>,
        real_target: f32,
        substep: u64,
    ) -> (Tensor<1>, Tensor<1>, Option<Tensor<1>>) {
        let loss = self.config.loss;
        let [batch, _] = real_x.dims();
        let signs = self.signs(batch);
        let d = &self.discriminator;
        d.advance_spectral_norm();
        // One pass over real and fake together: larger matmuls, half the kernel launches.
        let both = Tensor::cat(vec![real_x.clone(), fake.clone()], 0);
        let both = self.augmented(both, STREAM_AUGMENT_D, substep);
        // Joined on the host: one small upload instead of two and a concatenation kernel.
        let both_labels = match (real_labels, fake_labels) {
            (Some(r), Some(f)) => Some(self.upload_labels([r, f].concat())),
            _ => None,
        };
        let (logits, classes) = d.forward_with_classes(both, both_labels.clone());
        let mut d_loss = loss.discriminator_joint(logits.clone(), signs, real_target);
        // The auxiliary classifier learns the classes of real images only: taught to name the
        // classes of G's images too (as the original AC-GAN is), it rewards G for images that
        // are easy to classify rather than real.
        if let (Some(classes), Some(labels)) = (classes, both_labels) {
            let real = class_cross_entropy(classes.narrow(0, 0, batch), labels.narrow(0, 0, batch));
            d_loss = d_loss + real * self.config.aux_weight;
        }
        let d_update = self.step * self.config.d_steps as u64 + substep;
        if self.config.r1_weight > 0.0 && d_update.is_multiple_of(R1_INTERVAL) {
            let real_labels = real_labels.map(|l| self.upload_labels(l.to_vec()));
            let r1 = penalty::r1(d, real_x, &real_labels);
            d_loss = d_loss + r1 * (self.config.r1_weight / 2.0 * R1_INTERVAL as f32);
        }
        let gp = if loss == GanLoss::WganGp && self.config.gp_weight > 0.0 {
            let real_labels = real_labels.map(|l| self.upload_labels(l.to_vec()));
            let gp = self.gradient_penalty(real_x, &real_labels, &fake, substep);
            d_loss = d_loss + gp.clone() * self.config.gp_weight;
            Some(gp.detach())
        } else {
            None
        };
        // [mean D(x), mean D(G(z))] in one reduction over the two halves.
        let logits = logits.detach().reshape([2, batch]);
        let seen = if loss.is_probabilistic() {
            sigmoid(logits)
        } else {
            logits
        };
        let d_means = seen.mean_dim(1).reshape([2]);
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self
            .optim_d
            .step(self.config.lr_d, self.discriminator.clone(), grads);
        (d_loss.detach(), d_means, gp)
    }

    /// `x` as D sees it: with the configured augmentations (see [`augment`]), drawn from
    /// `stream` at this step, one choice per image.
    fn augmented(&self, x: Tensor<2>, stream: u64, substep: u64) -> Tensor<2> {
        let Some((size, channels)) = self.arch.image_shape() else {
            return x;
        };
        if self.config.augment.is_empty() {
            return x;
        }
        let [batch, _] = x.dims();
        let mut rng = latent::rng_for(self.config.seed, stream, self.step * 1000 + substep);
        let params = augment::AugmentParams::draw(&mut rng, batch, size);
        augment::apply(x, &self.config.augment, &params, size, channels)
    }

    /// WGAN-GP's penalty (see [`penalty::gradient_penalty`]) at interpolates drawn for
    /// this step.
    fn gradient_penalty(
        &self,
        real_x: &Tensor<2>,
        real_labels: &Option<Tensor<1, Int>>,
        fake: &Tensor<2>,
        substep: u64,
    ) -> Tensor<1> {
        let [batch, _] = real_x.dims();
        let mut rng = latent::rng_for(self.config.seed, STREAM_GP, self.step * 1000 + substep);
        let eps: Vec<f32> = (0..batch)
            .map(|_| rand::Rng::random::<f32>(&mut rng))
            .collect();
        let eps = self.upload(eps, [batch, 1]);
        penalty::gradient_penalty(&self.discriminator, real_x, real_labels, fake, eps)
    }
}
