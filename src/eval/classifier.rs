//! The project's own judge: a small convolutional classifier trained on real data, whose
//! hidden layer is the feature space for FID and whose predictions give conditional accuracy,
//! an Inception-Score analogue and class coverage.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Tensor};

use crate::error::{Result, WebganError};
use crate::inference::read_floats_async;
use crate::model::layers::DownConv;
use crate::model::leaky_relu;
use crate::weights;
// Judging host data and training a classifier read tensors synchronously: native only.
#[cfg(not(target_family = "wasm"))]
use {
    crate::data::Dataset,
    crate::inference::read_floats,
    crate::latent,
    burn::nn::loss::CrossEntropyLossConfig,
    burn::optim::{AdamConfig, GradientsParams},
    burn::tensor::{Int, TensorData},
};

/// Shape of the classifier. Defaults suit 28x28 digits.
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierConfig {
    /// Side of the (square) input images.
    #[config(default = 28)]
    pub image_size: usize,
    #[config(default = 1)]
    pub channels: usize,
    #[config(default = 10)]
    pub n_classes: usize,
    /// Channels of the first convolution (doubled per stage).
    #[config(default = 32)]
    pub width: usize,
    /// Size of the feature vector (the layer FID is computed in).
    #[config(default = 128)]
    pub features: usize,
}

impl ClassifierConfig {
    /// Stride-2 stages: halve until the side is at most 8 (28 -> 7, 32 -> 8, 64 -> 8).
    fn stages(&self) -> (usize, usize) {
        let (mut side, mut stages) = (self.image_size, 0);
        while side > 8 {
            side /= 2;
            stages += 1;
        }
        (side, stages)
    }

    pub fn validate(&self) -> Result<()> {
        if self.image_size < 8 || self.image_size > 256 || !self.image_size.is_multiple_of(4) {
            return Err(WebganError::invalid(
                "image_size",
                self.image_size,
                "the classifier takes 8..=256 px, a multiple of 4",
            ));
        }
        if !(self.channels == 1 || self.channels == 3) || self.n_classes < 2 {
            return Err(WebganError::invalid(
                "classifier",
                format!("{} channels, {} classes", self.channels, self.n_classes),
                "needs 1 or 3 channels and at least 2 classes",
            ));
        }
        Ok(())
    }
}

#[derive(Module, Debug)]
pub struct Classifier {
    downs: Vec<DownConv>,
    hidden: Linear,
    head: Linear,
    image_size: usize,
    channels: usize,
}

impl Classifier {
    pub fn new(config: &ClassifierConfig, device: &Device) -> Classifier {
        let (side, stages) = config.stages();
        let mut downs = Vec::new();
        let mut ch = config.channels;
        for stage in 0..stages {
            let out = config.width << stage;
            downs.push(DownConv::new(ch, out, device));
            ch = out;
        }
        Classifier {
            downs,
            hidden: LinearConfig::new(side * side * ch, config.features).init(device),
            head: LinearConfig::new(config.features, config.n_classes).init(device),
            image_size: config.image_size,
            channels: config.channels,
        }
    }

    /// Features (post-ReLU hidden layer) and class logits of flattened channels-last images.
    pub fn forward(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let [b, _] = x.dims();
        let (s, c) = (self.image_size, self.channels);
        let mut h = x.reshape([b, s, s, c]).permute([0, 3, 1, 2]);
        for down in &self.downs {
            h = leaky_relu(down.forward(h), 0.2);
        }
        let features = relu(self.hidden.forward(h.flatten(1, 3)));
        let logits = self.head.forward(features.clone());
        (features, logits)
    }

    /// Features and class probabilities of a batch already on the device.
    fn outputs(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let (features, logits) = self.forward(x);
        (features, softmax(logits, 1))
    }

    /// [`Classifier::judge`] for a batch already on the device (flattened channels-last
    /// images, e.g. a generator's output), read back asynchronously: it runs on WebGPU in a
    /// page as well.
    pub async fn judge_async(&self, x: Tensor<2>) -> Result<Judgement> {
        let (f, probs) = self.outputs(x);
        let [_, n_features] = f.dims();
        let [_, n_classes] = probs.dims();
        Ok(Judgement {
            features: read_floats_async(f).await?,
            probs: read_floats_async(probs).await?,
            n_features,
            n_classes,
        })
    }
}

/// What the classifier says about a set of images, read back to the host.
pub struct Judgement {
    /// [n, features] row-major.
    pub features: Vec<f32>,
    /// [n, classes] row-major class probabilities.
    pub probs: Vec<f32>,
    pub n_features: usize,
    pub n_classes: usize,
}

impl Judgement {
    pub fn predictions(&self) -> Vec<usize> {
        self.probs
            .chunks_exact(self.n_classes)
            .map(|p| {
                p.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i)
            })
            .collect()
    }
}

#[cfg(not(target_family = "wasm"))]
impl Classifier {
    /// Runs over `samples` ([n, len] channels-last) in batches and reads everything back.
    pub fn judge(&self, samples: &[f32], device: &Device) -> Result<Judgement> {
        let len = self.image_size * self.image_size * self.channels;
        if samples.is_empty() || !samples.len().is_multiple_of(len) {
            return Err(WebganError::bad_data(
                "classifier input",
                format!(
                    "{} values is not a whole number of {}x{}x{} images",
                    samples.len(),
                    self.image_size,
                    self.image_size,
                    self.channels
                ),
            ));
        }
        let (mut features, mut probs) = (Vec::new(), Vec::new());
        let mut n_features = 0;
        let mut n_classes = 0;
        for chunk in samples.chunks(500 * len) {
            let n = chunk.len() / len;
            let x = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [n, len]), device);
            let (f, p) = self.outputs(x);
            n_features = f.dims()[1];
            n_classes = p.dims()[1];
            features.extend(read_floats(f)?);
            probs.extend(read_floats(p)?);
        }
        Ok(Judgement {
            features,
            probs,
            n_features,
            n_classes,
        })
    }

    /// Fraction of `data` classified as its label.
    pub fn accuracy(&self, data: &Dataset, device: &Device) -> Result<f64> {
        let labels = data.labels.as_ref().ok_or_else(|| {
            WebganError::bad_data(&data.name, "has no labels to measure accuracy against")
        })?;
        let predicted = self.judge(&data.samples, device)?.predictions();
        let right = predicted
            .iter()
            .zip(labels)
            .filter(|(p, l)| **p as i64 == **l)
            .count();
        Ok(right as f64 / labels.len().max(1) as f64)
    }
}

#[cfg(not(target_family = "wasm"))]
/// Trains a classifier on labelled data with Adam and cross-entropy; `progress` is called
/// with (step, total steps, loss) every 50 steps.
pub fn train_classifier(
    config: &ClassifierConfig,
    data: &Dataset,
    epochs: usize,
    seed: u64,
    device: &Device,
    mut progress: impl FnMut(usize, usize, f32),
) -> Result<Classifier> {
    config.validate()?;
    let labels = data
        .labels
        .as_ref()
        .ok_or_else(|| WebganError::bad_data(&data.name, "a classifier needs labels"))?;
    if let Some(bad) = labels
        .iter()
        .find(|&&l| l < 0 || l as usize >= config.n_classes)
    {
        return Err(WebganError::bad_data(
            &data.name,
            format!("label {bad} outside 0..{}", config.n_classes),
        ));
    }
    let len = config.image_size * config.image_size * config.channels;
    if data.sample_len != len {
        return Err(WebganError::bad_data(
            &data.name,
            format!(
                "samples of {} values, but the classifier takes {len}",
                data.sample_len
            ),
        ));
    }
    let batch = 128.min(data.len());
    if batch == 0 {
        return Err(WebganError::bad_data(&data.name, "is empty"));
    }
    let ad = device.clone().autodiff();
    ad.seed(seed);
    let mut model = Classifier::new(config, &ad);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);
    let per_epoch = data.len() / batch;
    let total = per_epoch * epochs.max(1);
    let mut order: Vec<usize> = (0..data.len()).collect();
    for step in 0..total {
        if step % per_epoch == 0 {
            use rand::seq::SliceRandom;
            order.shuffle(&mut latent::rng_for(seed, 20, (step / per_epoch) as u64));
        }
        let idx = &order[(step % per_epoch) * batch..(step % per_epoch + 1) * batch];
        let mut x = Vec::with_capacity(batch * len);
        for &i in idx {
            x.extend_from_slice(&data.samples[i * len..(i + 1) * len]);
        }
        let y: Vec<i64> = idx.iter().map(|&i| labels[i]).collect();
        let x = Tensor::<2>::from_data(TensorData::new(x, [batch, len]), &ad);
        let y = Tensor::<1, Int>::from_data(TensorData::new(y, [batch]), &ad);
        let (_, logits) = model.forward(x);
        let loss = loss_fn.forward(logits, y);
        if step % 50 == 0 || step + 1 == total {
            let l = read_floats(loss.clone().detach().inner())?[0];
            if !l.is_finite() {
                return Err(WebganError::Diverged {
                    step: step as u64,
                    what: "the classifier loss",
                    value: l,
                });
            }
            progress(step, total, l);
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
    }
    Ok(model.valid())
}

const SECTION_CLASSIFIER: &str = "classifier";

#[cfg(not(target_family = "wasm"))]
/// Serialises an evaluation classifier; `manifest.arch` describes the images it judges.
pub fn save_classifier(
    classifier: &Classifier,
    config: &ClassifierConfig,
    manifest: &weights::Manifest,
) -> Result<Vec<u8>> {
    let mut manifest = manifest.clone();
    manifest.kind = weights::FileKind::Classifier;
    manifest.provenance.insert(
        "classifier_config".into(),
        serde_json::to_string(config).unwrap_or_default(),
    );
    let c = weights::record_bytes(classifier.clone(), SECTION_CLASSIFIER)?;
    weights::encode(&manifest, &[(SECTION_CLASSIFIER, &c)])
}

/// Loads an evaluation classifier (refusing generators and checkpoints).
pub fn load_classifier(
    bytes: &[u8],
    what: &str,
    device: &Device,
) -> Result<(weights::Manifest, ClassifierConfig, Classifier)> {
    use {Classifier, ClassifierConfig};
    let file = weights::decode(bytes, what)?;
    if file.manifest.kind != weights::FileKind::Classifier {
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
    let model = weights::load_module(
        Classifier::new(&config, device),
        file.section(SECTION_CLASSIFIER, what)?,
        what,
        SECTION_CLASSIFIER,
    )?;
    Ok((file.manifest, config, model))
}
