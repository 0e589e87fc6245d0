//! A loaded generator, ready to turn seeds (or latent vectors) and classes into samples.
//! The weights are uploaded once, when the sampler is made; each call only sends z.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::{Result, WebganError};
use crate::latent;
use crate::model::{ArchConfig, Generator};
use crate::weights::{self, Manifest};

pub struct Sampler {
    pub manifest: Manifest,
    /// What forward passes run ([`Generator::baked`]).
    running: Generator,
    /// As loaded.
    stored: Generator,
    device: Device,
}

impl Sampler {
    /// Loads a weights file (generator or checkpoint) onto `device`.
    pub fn load(bytes: &[u8], what: &str, device: &Device) -> Result<Sampler> {
        let (manifest, generator) = weights::load_generator(bytes, what, device)?;
        Ok(Sampler::from_generator(manifest, generator, device))
    }

    pub fn from_generator(manifest: Manifest, generator: Generator, device: &Device) -> Sampler {
        let generator = generator.valid();
        Sampler {
            manifest,
            running: generator.baked(),
            stored: generator,
            device: device.clone(),
        }
    }

    /// Computes convolutions through matmul (for backends with slow convolution kernels).
    pub fn set_matmul_convs(&mut self, on: bool) {
        self.running.set_matmul_convs(on);
        self.stored.set_matmul_convs(on);
    }

    /// The generator as it runs, in inference mode (for tools that run part of it or
    /// differentiate through it: latent directions, inversion); see [`Generator::baked`].
    pub fn generator(&self) -> &Generator {
        &self.running
    }

    /// The generator as its file stores it (for saving it again).
    pub fn stored_generator(&self) -> &Generator {
        &self.stored
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn arch(&self) -> &ArchConfig {
        &self.manifest.arch
    }

    pub fn latent_dim(&self) -> usize {
        self.manifest.arch.latent_dim()
    }

    /// Labels for `n` samples: `class` for all, or cycling through the classes when `None`.
    /// Errors on a class the model does not have, or a class for an unconditional model.
    pub fn labels(&self, n: usize, class: Option<usize>) -> Result<Option<Vec<i64>>> {
        let classes = self.manifest.arch.n_classes();
        match (classes, class) {
            (0, None) => Ok(None),
            (0, Some(c)) => Err(WebganError::invalid(
                "class",
                c,
                "this model is unconditional: it has no classes",
            )),
            (k, Some(c)) if c >= k => Err(WebganError::invalid(
                "class",
                c,
                format!("this model has classes 0..{}", k - 1),
            )),
            (k, class) => Ok(Some(latent::grid_labels(n, k, class))),
        }
    }

    /// Builds the generator's input tensors, checking sizes.
    pub fn input(
        &self,
        z: Vec<f32>,
        labels: Option<Vec<i64>>,
    ) -> Result<(Tensor<2>, Option<Tensor<1, Int>>)> {
        let dim = self.latent_dim();
        if z.is_empty() || !z.len().is_multiple_of(dim) {
            return Err(WebganError::invalid(
                "latent",
                format!("{} values", z.len()),
                format!("must be a whole number of vectors of {dim}"),
            ));
        }
        if z.iter().any(|v| !v.is_finite()) {
            return Err(WebganError::invalid(
                "latent",
                "non-finite",
                "latent values must be finite",
            ));
        }
        let n = z.len() / dim;
        let labels = match (self.manifest.arch.n_classes(), labels) {
            (0, _) => None,
            (k, Some(l)) if l.len() == n && l.iter().all(|&c| c >= 0 && (c as usize) < k) => {
                Some(Tensor::from_data(TensorData::new(l, [n]), &self.device))
            }
            (k, _) => {
                return Err(WebganError::invalid(
                    "labels",
                    n,
                    format!("a conditional model needs {n} labels in 0..{k}"),
                ));
            }
        };
        Ok((
            Tensor::from_data(TensorData::new(z, [n, dim]), &self.device),
            labels,
        ))
    }

    /// Runs the generator; the result stays on the device.
    pub fn forward(&self, z: Vec<f32>, labels: Option<Vec<i64>>) -> Result<Tensor<2>> {
        let (z, labels) = self.input(z, labels)?;
        Ok(self.running.forward(z, labels))
    }

    /// Generates and reads back (blocking; native only).
    #[cfg(not(target_family = "wasm"))]
    pub fn generate(&self, z: Vec<f32>, labels: Option<Vec<i64>>) -> Result<Vec<f32>> {
        read_floats(self.forward(z, labels)?)
    }

    /// Generates and reads back asynchronously (works everywhere, required on WebGPU in wasm).
    pub async fn generate_async(&self, z: Vec<f32>, labels: Option<Vec<i64>>) -> Result<Vec<f32>> {
        read_floats_async(self.forward(z, labels)?).await
    }

    /// `n` samples for a seed (the CLI's and the page's grids).
    #[cfg(not(target_family = "wasm"))]
    pub fn generate_seed(&self, seed: u64, n: usize, class: Option<usize>) -> Result<Vec<f32>> {
        let labels = self.labels(n, class)?;
        self.generate(latent::batch_for_seed(seed, n, self.latent_dim()), labels)
    }
}

fn floats(data: TensorData) -> Result<Vec<f32>> {
    data.convert::<f32>()
        .try_to_vec()
        .map_err(|e| WebganError::Readback(format!("{e:?}")))
}

/// Reads a float tensor back as f32 values, asynchronously: the one way that works on every
/// backend, WebGPU in a browser included.
pub async fn read_floats_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    floats(
        t.into_data_async()
            .await
            .map_err(|e| WebganError::Readback(format!("{e:?}")))?,
    )
}

/// Blocking read of a float tensor (native only).
#[cfg(not(target_family = "wasm"))]
pub fn read_floats<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    floats(
        t.try_into_data()
            .map_err(|e| WebganError::Readback(format!("{e:?}")))?,
    )
}
