//! Discriminators (critics): flattened samples (and labels) in, one logit per sample out.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};

use super::config::{ArchConfig, ImageGanConfig, ToyGanConfig};
use super::layers::{DownConv, dcgan_init};
use super::leaky_relu;

const LEAK: f32 = 0.2;

/// DCGAN discriminator without normalisation layers (so it also serves WGAN-GP, where batch norm
/// would break the per-sample gradient penalty): 4x4 stride-2 convolutions (as [`DownConv`])
/// with LeakyReLU, then a linear head. Conditional models add a projection term
/// `<embed(y), features>` (Miyato & Koyama, 2018).
#[derive(Module, Debug)]
pub struct ImageDiscriminator {
    pub downs: Vec<DownConv>,
    pub head: Linear,
    pub class_projection: Option<Embedding>,
    pub image_size: usize,
    pub channels: usize,
}

impl ImageDiscriminator {
    /// Computes the convolutions through matmul (see `layers`). Same weights, same results.
    pub fn set_matmul_convs(&mut self, on: bool) {
        self.downs.iter_mut().for_each(|down| down.matmul = on);
    }

    pub fn new(config: &ImageGanConfig, device: &Device) -> Self {
        let (start, stages) = config.stages().expect("validated config");
        let mut downs = Vec::new();
        let mut ch = config.channels;
        for stage in 0..stages {
            let out = config.width << stage;
            downs.push(DownConv::new(ch, out, device));
            ch = out;
        }
        let features = start * start * ch;
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
            image_size: config.image_size,
            channels: config.channels,
        }
    }

    pub fn forward(&self, x: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<1> {
        let [b, _] = x.dims();
        let (s, c) = (self.image_size, self.channels);
        let mut h = x.reshape([b, s, s, c]).permute([0, 3, 1, 2]);
        for down in &self.downs {
            h = leaky_relu(down.forward(h), LEAK);
        }
        let [_, cc, hh, ww] = h.dims();
        let features = h.reshape([b, cc * hh * ww]);
        let mut logits = self.head.forward(features.clone()).reshape([b]);
        if let Some(projection) = &self.class_projection {
            let labels = labels.expect("a conditional discriminator needs class labels");
            let e = projection.forward(labels.unsqueeze_dim(1));
            let [_, _, d] = e.dims();
            logits = logits + (e.reshape([b, d]) * features).sum_dim(1).reshape([b]);
        }
        logits
    }
}

/// MLP discriminator for 2-D points.
#[derive(Module, Debug)]
pub struct ToyDiscriminator {
    pub hidden: Vec<Linear>,
    pub out: Linear,
}

impl ToyDiscriminator {
    pub fn new(config: &ToyGanConfig, device: &Device) -> Self {
        let mut hidden = Vec::new();
        let mut d = 2;
        for _ in 0..config.layers {
            hidden.push(LinearConfig::new(d, config.hidden).init(device));
            d = config.hidden;
        }
        ToyDiscriminator {
            hidden,
            out: LinearConfig::new(d, 1).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let [b, _] = x.dims();
        let mut h = x;
        for layer in &self.hidden {
            h = leaky_relu(layer.forward(h), LEAK);
        }
        self.out.forward(h).reshape([b])
    }
}

/// Any of webgan's discriminators.
#[derive(Module, Debug)]
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

    pub fn new(arch: &ArchConfig, device: &Device) -> Self {
        match arch {
            ArchConfig::Image(c) => Discriminator::Image(ImageDiscriminator::new(c, device)),
            ArchConfig::Toy(c) => Discriminator::Toy(ToyDiscriminator::new(c, device)),
        }
    }

    /// x: [B, sample_len]; labels: [B] for conditional models. Returns logits [B].
    pub fn forward(&self, x: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<1> {
        match self {
            Discriminator::Image(d) => d.forward(x, labels),
            Discriminator::Toy(d) => d.forward(x),
        }
    }
}
