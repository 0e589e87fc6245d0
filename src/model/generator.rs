//! Generators: z (and a class label) in, flattened samples out.
//! Images come out channels-last, flattened as [B, H * W * C] with values in [-1, 1].

use burn::module::Module;
use burn::nn::{
    BatchNorm, BatchNormConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig,
};
use burn::tensor::activation::{relu, tanh};
use burn::tensor::{Device, Int, Tensor};

use super::config::{ArchConfig, ImageGanConfig, LabelMixing, ToyGanConfig};
use super::layers::{UpConv, dcgan_init};
use super::{batch_norm_relu, class_batch_norm_relu};

/// DCGAN generator: linear projection to a small map, then 4x4 stride-2 transposed convolutions
/// or resize-convolutions (as [`UpConv`]) with batch norm and ReLU, and tanh at the end.
#[derive(Module, Debug)]
pub struct ImageGenerator {
    pub class_embedding: Option<Embedding>,
    pub project: Linear,
    pub project_norm: BatchNorm,
    pub ups: Vec<UpConv>,
    pub norms: Vec<BatchNorm>,
    /// Conditional batch norm (`ImageGanConfig::class_norm`; empty when off): one embedding
    /// per batch norm, `project_norm` first, then `norms` in order. Row y holds class y's
    /// offsets to that norm's scale (first half) and shift (second half), so class y's scale is
    /// γ + Δγ[y] and its shift β + Δβ[y]. The offsets start at zero: an untrained model is the
    /// plain one, and the shared γ and β learn from every class.
    pub class_norms: Vec<Embedding>,
    /// z * e(y) instead of [z, e(y)] (see [`LabelMixing`]).
    pub multiply_labels: bool,
    pub start: usize,
    pub start_channels: usize,
    pub image_size: usize,
    pub channels: usize,
}

impl ImageGenerator {
    pub fn new(config: &ImageGanConfig, device: &Device) -> Self {
        let (start, stages) = config.stages().expect("validated config");
        let start_channels = config.width << (stages - 1);
        let multiply = config.label_mixing == LabelMixing::Multiply;
        // Extra inputs the projection sees: the concatenated embedding, if any.
        let (embed_dim, extra_inputs) = match (config.n_classes, multiply) {
            (0, _) => (0, 0),
            (_, true) => (config.latent_dim, 0),
            (_, false) => (config.class_embed_dim, config.class_embed_dim),
        };
        let class_embedding = (config.n_classes > 0)
            .then(|| EmbeddingConfig::new(config.n_classes, embed_dim).init(device));
        let project = LinearConfig::new(
            config.latent_dim + extra_inputs,
            start * start * start_channels,
        )
        .with_initializer(dcgan_init())
        .init(device);
        let project_norm = BatchNormConfig::new(start_channels).init(device);
        let mut ups = Vec::new();
        let mut norms = Vec::new();
        let mut ch = start_channels;
        for stage in 0..stages {
            let last = stage + 1 == stages;
            let out = if last { config.channels } else { ch / 2 };
            ups.push(UpConv::new(ch, out, config.upsample, device));
            if !last {
                norms.push(BatchNormConfig::new(out).init(device));
            }
            ch = out;
        }
        let class_norms = if config.class_norm && config.n_classes > 0 {
            std::iter::once(start_channels)
                .chain(norms.iter().map(|n: &BatchNorm| n.gamma.dims()[0]))
                .map(|channels| {
                    EmbeddingConfig::new(config.n_classes, 2 * channels)
                        .with_initializer(Initializer::Zeros)
                        .init(device)
                })
                .collect()
        } else {
            Vec::new()
        };
        ImageGenerator {
            class_norms,
            multiply_labels: multiply,
            class_embedding,
            project,
            project_norm,
            ups,
            norms,
            start,
            start_channels,
            image_size: config.image_size,
            channels: config.channels,
        }
    }

    /// Computes the transposed convolutions through matmul (for backends with slow
    /// convolution kernels; see `layers`). Same weights, same results.
    pub fn set_matmul_convs(&mut self, on: bool) {
        self.ups.iter_mut().for_each(|up| up.matmul = on);
    }

    pub fn forward(&self, z: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        let norm_labels = labels.clone().filter(|_| !self.class_norms.is_empty());
        let mut x = self.project_block(z, labels);
        for (i, up) in self.ups.iter().enumerate() {
            x = up.forward(x);
            x = match self.norms.get(i) {
                Some(norm) => self.norm_relu(i + 1, norm, x, norm_labels.as_ref()),
                None => tanh(x),
            };
        }
        // NCHW -> channels-last, the layout of image files and canvases.
        let [b, c, h, w] = x.dims();
        x.permute([0, 2, 3, 1]).reshape([b, h * w * c])
    }

    /// The first block's output (projection, batch norm, ReLU) flattened to
    /// [B, start_channels * start * start]: the activations the latent directions are found in.
    pub fn first_block(&self, z: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        self.project_block(z, labels).flatten(1, 3)
    }

    /// Projection, batch norm and ReLU: [B, start_channels, start, start].
    fn project_block(&self, z: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<4> {
        let [b, _] = z.dims();
        let norm_labels = labels.clone().filter(|_| !self.class_norms.is_empty());
        let input = match (&self.class_embedding, labels) {
            (Some(embedding), Some(labels)) => {
                let e = embedding.forward(labels.unsqueeze_dim(1));
                let [_, _, d] = e.dims();
                let e = e.reshape([b, d]);
                if self.multiply_labels {
                    z * e
                } else {
                    Tensor::cat(vec![z, e], 1)
                }
            }
            (Some(_), None) => panic!("a conditional generator needs class labels"),
            (None, _) => z,
        };
        let (s, c0) = (self.start, self.start_channels);
        let x = self.project.forward(input).reshape([b, c0, s, s]);
        self.norm_relu(0, &self.project_norm, x, norm_labels.as_ref())
    }

    /// ReLU after the batch norm `norm` (the `index`th, `project_norm` being 0): with the
    /// class's scale and shift where the model has conditional batch norm, else its own.
    fn norm_relu(
        &self,
        index: usize,
        norm: &BatchNorm,
        x: Tensor<4>,
        labels: Option<&Tensor<1, Int>>,
    ) -> Tensor<4> {
        let Some(offsets) = self.class_norms.get(index) else {
            return batch_norm_relu(norm, x);
        };
        let labels = labels.expect("a generator with conditional batch norm needs class labels");
        let [b, c, _, _] = x.dims();
        let offsets = offsets
            .forward(labels.clone().unsqueeze_dim(1))
            .reshape([b, 2 * c]);
        let gamma = norm.gamma.val().unsqueeze_dim::<2>(0) + offsets.clone().slice([0..b, 0..c]);
        let beta = norm.beta.val().unsqueeze_dim::<2>(0) + offsets.slice([0..b, c..2 * c]);
        class_batch_norm_relu(norm, x, gamma, beta)
    }
}

/// MLP generator for 2-D points.
#[derive(Module, Debug)]
pub struct ToyGenerator {
    pub hidden: Vec<Linear>,
    pub out: Linear,
}

impl ToyGenerator {
    pub fn new(config: &ToyGanConfig, device: &Device) -> Self {
        let mut hidden = Vec::new();
        let mut d = config.latent_dim;
        for _ in 0..config.layers {
            hidden.push(LinearConfig::new(d, config.hidden).init(device));
            d = config.hidden;
        }
        ToyGenerator {
            hidden,
            out: LinearConfig::new(d, 2).init(device),
        }
    }

    /// The first hidden layer's output (see [`ImageGenerator::first_block`]).
    pub fn first_block(&self, z: Tensor<2>) -> Tensor<2> {
        relu(self.hidden[0].forward(z))
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let mut x = z;
        for layer in &self.hidden {
            x = relu(layer.forward(x));
        }
        self.out.forward(x)
    }
}

/// Any of webgan's generators. Not boxed: a run holds two or three, built once.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Generator {
    Image(ImageGenerator),
    Toy(ToyGenerator),
}

impl Generator {
    /// See [`ImageGenerator::set_matmul_convs`]; no effect on MLPs.
    pub fn set_matmul_convs(&mut self, on: bool) {
        if let Generator::Image(g) = self {
            g.set_matmul_convs(on);
        }
    }

    /// The same generator for running only: resize-convolutions hold the 4x4 kernels their
    /// taps determine (`UpConv::baked`), so no forward recomputes them. Not for saving (a file
    /// of a resize-convolution model stores the taps).
    pub fn baked(&self) -> Generator {
        match self {
            Generator::Image(g) => Generator::Image(ImageGenerator {
                ups: g.ups.iter().map(UpConv::baked).collect(),
                ..g.clone()
            }),
            Generator::Toy(_) => self.clone(),
        }
    }

    /// A freshly initialised generator (weights drawn from the device's RNG).
    pub fn new(arch: &ArchConfig, device: &Device) -> Self {
        match arch {
            ArchConfig::Image(c) => Generator::Image(ImageGenerator::new(c, device)),
            ArchConfig::Toy(c) => Generator::Toy(ToyGenerator::new(c, device)),
        }
    }

    /// The first block's activations, [B, features] (where latent directions are measured).
    pub fn first_block(&self, z: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        match self {
            Generator::Image(g) => g.first_block(z, labels),
            Generator::Toy(g) => g.first_block(z),
        }
    }

    /// z: [B, latent]; labels: [B] class indices for conditional models. Returns [B, sample_len].
    pub fn forward(&self, z: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        match self {
            Generator::Image(g) => g.forward(z, labels),
            Generator::Toy(g) => g.forward(z),
        }
    }
}
