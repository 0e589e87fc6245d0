//! Discriminators (critics): flattened samples (and labels) in, one logit per sample out.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor};

use super::config::{ArchConfig, ImageGanConfig, ToyGanConfig};
use super::layers::{DownConv, dcgan_init};
use super::leaky_relu;
use super::spectral::SpectralNorm;

const LEAK: f32 = 0.2;

/// What a discriminator has beyond its architecture; decided by the training settings
/// (`TrainConfig::discriminator_options`), since only training uses a discriminator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiscriminatorOptions {
    /// Every weight spectrally normalised (`spectral`).
    pub spectral_norm: bool,
    /// A second head that classifies the image (AC-GAN; conditional image models only).
    pub aux_classifier: bool,
}

/// DCGAN discriminator without normalisation layers (so it also serves WGAN-GP, where batch norm
/// would break the per-sample gradient penalty): 4x4 stride-2 convolutions (as [`DownConv`])
/// with LeakyReLU, then a linear head. Conditional models add a projection term
/// `<embed(y), features>` (Miyato & Koyama, 2018). With spectral normalisation every weight
/// (convolutions, head, projection) is divided by its largest singular value (`spectral`).
/// An auxiliary classifier (Odena et al., 2017) is a second linear head on the same features,
/// one logit per class; it is not normalised (it feeds a classification loss, not the game).
#[derive(Module, Debug)]
pub struct ImageDiscriminator {
    pub downs: Vec<DownConv>,
    pub head: Linear,
    pub class_projection: Option<Embedding>,
    pub aux_classifier: Option<Linear>,
    /// One per weight, in the order downs, head, projection; empty without normalisation.
    pub spectral: Vec<SpectralNorm>,
    pub image_size: usize,
    pub channels: usize,
}

/// A weight as the matrix whose singular values spectral normalisation bounds: its first
/// dimension by the rest (a convolution's [C_out, C_in * 16], a linear layer's [in, out]).
fn as_matrix<const D: usize>(w: Tensor<D>) -> Tensor<2> {
    let rows = w.dims()[0];
    w.reshape([rows as i64, -1])
}

/// `w` divided by its estimated largest singular value, or `w` itself without normalisation.
fn normalised<const D: usize>(spectral: Option<&SpectralNorm>, w: Tensor<D>) -> Tensor<D> {
    match spectral {
        None => w,
        Some(sn) => {
            let sigma = sn.sigma(as_matrix(w.clone()));
            w / sigma.reshape([1; D])
        }
    }
}

/// A linear layer with its weight normalised as above (burn's own operation, as
/// `Linear::forward` uses it).
fn linear(layer: &Linear, spectral: Option<&SpectralNorm>, x: Tensor<2>) -> Tensor<2> {
    let weight = normalised(spectral, layer.weight.val());
    burn::tensor::module::linear(x, weight, layer.bias.as_ref().map(|b| b.val()))
}

/// The power-iteration states for weights with these first dimensions (`spectral`).
fn spectral_states(normalise: bool, rows: &[usize], device: &Device) -> Vec<SpectralNorm> {
    match normalise {
        true => rows.iter().map(|&r| SpectralNorm::new(r, device)).collect(),
        false => Vec::new(),
    }
}

impl ImageDiscriminator {
    /// Computes the convolutions through matmul (see `layers`). Same weights, same results.
    pub fn set_matmul_convs(&mut self, on: bool) {
        self.downs.iter_mut().for_each(|down| down.matmul = on);
    }

    /// With spectral normalisation, its power-iteration state is drawn after the weights, from
    /// the same seeded generator.
    pub fn new(config: &ImageGanConfig, options: DiscriminatorOptions, device: &Device) -> Self {
        let (start, stages) = config.stages().expect("validated config");
        let width = config.d_width();
        let mut downs = Vec::new();
        let mut ch = config.channels;
        for stage in 0..stages {
            let out = width << stage;
            downs.push(DownConv::new(ch, out, device));
            ch = out;
        }
        let features = start * start * ch;
        let mut rows: Vec<usize> = (0..stages).map(|stage| width << stage).collect();
        rows.push(features);
        if config.n_classes > 0 {
            rows.push(config.n_classes);
        }
        ImageDiscriminator {
            downs,
            head: LinearConfig::new(features, 1)
                .with_initializer(dcgan_init())
                .init(device),
            class_projection: (config.n_classes > 0).then(|| {
                EmbeddingConfig::new(config.n_classes, features)
                    .with_initializer(dcgan_init())
                    .init(device)
            }),
            spectral: spectral_states(options.spectral_norm, &rows, device),
            aux_classifier: (options.aux_classifier && config.n_classes > 0).then(|| {
                LinearConfig::new(features, config.n_classes)
                    .with_initializer(dcgan_init())
                    .init(device)
            }),
            image_size: config.image_size,
            channels: config.channels,
        }
    }

    /// The normalisation state of weight `i` (downs, head, projection), if normalised.
    fn sn(&self, i: usize) -> Option<&SpectralNorm> {
        self.spectral.get(i)
    }

    /// Every normalised weight, as a matrix, with its state.
    fn spectral_pairs(&self) -> Vec<(Tensor<2>, &SpectralNorm)> {
        let mut weights: Vec<Tensor<2>> = self
            .downs
            .iter()
            .map(|d| as_matrix(d.weight.val()))
            .collect();
        weights.push(self.head.weight.val());
        if let Some(p) = &self.class_projection {
            weights.push(p.weight.val());
        }
        weights.into_iter().zip(&self.spectral).collect()
    }

    pub fn forward(&self, x: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<1> {
        self.forward_with_classes(x, labels).0
    }

    /// The logits and, with an auxiliary classifier, its class logits [B, n_classes].
    pub fn forward_with_classes(
        &self,
        x: Tensor<2>,
        labels: Option<Tensor<1, Int>>,
    ) -> (Tensor<1>, Option<Tensor<2>>) {
        let [b, _] = x.dims();
        let (s, c) = (self.image_size, self.channels);
        let mut h = x.reshape([b, s, s, c]).permute([0, 3, 1, 2]);
        for (i, down) in self.downs.iter().enumerate() {
            let weight = normalised(self.sn(i), down.weight.val());
            h = leaky_relu(down.forward_with(h, weight), LEAK);
        }
        let [_, cc, hh, ww] = h.dims();
        let features = h.reshape([b, cc * hh * ww]);
        let classes = self
            .aux_classifier
            .as_ref()
            .map(|head| head.forward(features.clone()));
        let n = self.downs.len();
        let mut logits = linear(&self.head, self.sn(n), features.clone()).reshape([b]);
        if let Some(projection) = &self.class_projection {
            let labels = labels.expect("a conditional discriminator needs class labels");
            let table = normalised(self.sn(n + 1), projection.weight.val());
            let e = embedding(table, labels.unsqueeze_dim(1));
            let [_, _, d] = e.dims();
            logits = logits + (e.reshape([b, d]) * features).sum_dim(1).reshape([b]);
        }
        (logits, classes)
    }
}

/// MLP discriminator for 2-D points.
#[derive(Module, Debug)]
pub struct ToyDiscriminator {
    pub hidden: Vec<Linear>,
    pub out: Linear,
    /// One per layer (hidden, then out); empty without spectral normalisation.
    pub spectral: Vec<SpectralNorm>,
}

impl ToyDiscriminator {
    pub fn new(config: &ToyGanConfig, spectral_norm: bool, device: &Device) -> Self {
        let mut hidden = Vec::new();
        let mut d = 2;
        let mut rows = Vec::new();
        for _ in 0..config.layers {
            hidden.push(LinearConfig::new(d, config.hidden).init(device));
            rows.push(d);
            d = config.hidden;
        }
        rows.push(d);
        ToyDiscriminator {
            hidden,
            out: LinearConfig::new(d, 1).init(device),
            spectral: spectral_states(spectral_norm, &rows, device),
        }
    }

    fn spectral_pairs(&self) -> Vec<(Tensor<2>, &SpectralNorm)> {
        let weights = self
            .hidden
            .iter()
            .chain([&self.out])
            .map(|l| l.weight.val());
        weights.zip(&self.spectral).collect()
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let [b, _] = x.dims();
        let mut h = x;
        for (i, layer) in self.hidden.iter().enumerate() {
            h = leaky_relu(linear(layer, self.spectral.get(i), h), LEAK);
        }
        let out = self.spectral.get(self.hidden.len());
        linear(&self.out, out, h).reshape([b])
    }
}

/// Any of webgan's discriminators. Not boxed: a run holds one, built once.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Discriminator {
    Image(ImageDiscriminator),
    Toy(ToyDiscriminator),
}

impl Discriminator {
    /// See [`ImageDiscriminator::set_matmul_convs`]; no effect on MLPs.
    pub fn set_matmul_convs(&mut self, on: bool) {
        if let Discriminator::Image(d) = self {
            d.set_matmul_convs(on);
        }
    }

    /// `options`: see [`DiscriminatorOptions`] (MLPs have no classes, so no classifier).
    pub fn new(arch: &ArchConfig, options: DiscriminatorOptions, device: &Device) -> Self {
        match arch {
            ArchConfig::Image(c) => {
                Discriminator::Image(ImageDiscriminator::new(c, options, device))
            }
            ArchConfig::Toy(c) => {
                Discriminator::Toy(ToyDiscriminator::new(c, options.spectral_norm, device))
            }
        }
    }

    /// One power-iteration step for every normalised weight (none without normalisation):
    /// the trainer calls it before each discriminator update.
    pub fn advance_spectral_norm(&self) {
        let pairs = match self {
            Discriminator::Image(d) => d.spectral_pairs(),
            Discriminator::Toy(d) => d.spectral_pairs(),
        };
        for (w, sn) in pairs {
            sn.advance(w);
        }
    }

    /// Every normalised weight divided by its estimated largest singular value, as matrices
    /// (empty without normalisation): what the tests measure.
    pub fn normalised_weights(&self) -> Vec<Tensor<2>> {
        let pairs = match self {
            Discriminator::Image(d) => d.spectral_pairs(),
            Discriminator::Toy(d) => d.spectral_pairs(),
        };
        pairs
            .into_iter()
            .map(|(w, sn)| normalised(Some(sn), w))
            .collect()
    }

    /// x: [B, sample_len]; labels: [B] for conditional models. Returns logits [B].
    pub fn forward(&self, x: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<1> {
        match self {
            Discriminator::Image(d) => d.forward(x, labels),
            Discriminator::Toy(d) => d.forward(x),
        }
    }

    /// [`Self::forward`] and the auxiliary classifier's class logits [B, n_classes], where
    /// there is one.
    pub fn forward_with_classes(
        &self,
        x: Tensor<2>,
        labels: Option<Tensor<1, Int>>,
    ) -> (Tensor<1>, Option<Tensor<2>>) {
        match self {
            Discriminator::Image(d) => d.forward_with_classes(x, labels),
            Discriminator::Toy(d) => (d.forward(x), None),
        }
    }
}
