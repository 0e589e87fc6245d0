//! Data sets held in memory, and batches drawn from them reproducibly: the order of every
//! epoch comes from (seed, epoch) alone, so a resumed run sees exactly the batches an
//! uninterrupted one would have.

use rand::seq::SliceRandom;

use super::mnist::Mnist;
use super::toy::Toy;
use crate::error::{Result, WebganError};
use crate::latent::rng_for;

const STREAM_SHUFFLE: u64 = 10;
const STREAM_TOY: u64 = 11;

/// Samples in the model's value range, flattened row-major: [n, sample_len].
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub samples: Vec<f32>,
    pub labels: Option<Vec<i64>>,
    pub sample_len: usize,
    /// Colour channels of each sample (1 grey, 3 RGB; samples are channels-last).
    pub channels: usize,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.samples.len() / self.sample_len.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// MNIST digits as [-1, 1] floats (0 = background = -1), with their labels.
    pub fn from_mnist(mnist: &Mnist, name: &str) -> Dataset {
        Dataset {
            name: name.to_string(),
            samples: mnist
                .pixels
                .iter()
                .map(|&p| p as f32 / 127.5 - 1.0)
                .collect(),
            labels: Some(mnist.labels.iter().map(|&l| l as i64).collect()),
            sample_len: mnist.rows * mnist.cols,
            channels: 1,
        }
    }

    /// The first `n` samples (for quick runs and tests).
    pub fn truncated(mut self, n: usize) -> Dataset {
        let n = n.min(self.len());
        self.samples.truncate(n * self.sample_len);
        if let Some(labels) = &mut self.labels {
            labels.truncate(n);
        }
        self
    }
}

/// Where training batches come from.
#[derive(Clone, Debug)]
pub enum TrainingData {
    /// Fresh points from a toy distribution every step.
    Toy(Toy),
    /// A finite data set, shuffled once per epoch.
    Samples(Dataset),
}

impl TrainingData {
    pub fn name(&self) -> String {
        match self {
            TrainingData::Toy(t) => t.name().to_string(),
            TrainingData::Samples(d) => d.name.clone(),
        }
    }

    pub fn sample_len(&self) -> usize {
        match self {
            TrainingData::Toy(_) => 2,
            TrainingData::Samples(d) => d.sample_len,
        }
    }

    /// Steps in one pass over the data (None for toy data, which is endless).
    pub fn steps_per_epoch(&self, batch_size: usize) -> Option<u64> {
        match self {
            TrainingData::Toy(_) => None,
            TrainingData::Samples(d) => Some((d.len() / batch_size.max(1)) as u64),
        }
    }

    /// Checks that batches of `batch_size` can be drawn at all.
    pub fn check(&self, batch_size: usize) -> Result<()> {
        if let TrainingData::Samples(d) = self
            && d.len() < batch_size
        {
            return Err(WebganError::bad_data(
                &d.name,
                format!(
                    "{} samples is fewer than one batch of {batch_size}",
                    d.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Draws the batch for a given step.
pub struct Batcher {
    seed: u64,
    batch_size: usize,
    epoch: Option<u64>,
    order: Vec<usize>,
}

impl Batcher {
    pub fn new(seed: u64, batch_size: usize) -> Batcher {
        Batcher {
            seed,
            batch_size,
            epoch: None,
            order: Vec::new(),
        }
    }

    /// Which samples of a data set of `n` make the batch of step `step` (0-based): the same
    /// whether the batch is then copied on the host ([`Batcher::batch`]) or gathered on the
    /// device (`run::DeviceData`).
    pub fn indices(&mut self, n: usize, step: u64) -> &[usize] {
        let b = self.batch_size;
        let per_epoch = (n / b).max(1) as u64;
        let (epoch, pos) = (step / per_epoch, (step % per_epoch) as usize);
        if self.epoch != Some(epoch) || self.order.len() != n {
            self.order = (0..n).collect();
            self.order
                .shuffle(&mut rng_for(self.seed, STREAM_SHUFFLE, epoch));
            self.epoch = Some(epoch);
        }
        &self.order[pos * b..(pos + 1) * b]
    }

    /// The real batch of training step `step` (0-based): samples and labels.
    pub fn batch(&mut self, data: &TrainingData, step: u64) -> (Vec<f32>, Option<Vec<i64>>) {
        let b = self.batch_size;
        match data {
            TrainingData::Toy(toy) => {
                let mut rng = rng_for(self.seed, STREAM_TOY, step);
                (toy.sample(&mut rng, b), None)
            }
            TrainingData::Samples(d) => {
                let idx = self.indices(d.len(), step);
                let len = d.sample_len;
                let mut samples = Vec::with_capacity(b * len);
                for &i in idx {
                    samples.extend_from_slice(&d.samples[i * len..(i + 1) * len]);
                }
                let labels = d
                    .labels
                    .as_ref()
                    .map(|l| idx.iter().map(|&i| l[i]).collect());
                (samples, labels)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(n: usize) -> TrainingData {
        TrainingData::Samples(Dataset {
            name: "count".into(),
            samples: (0..n).map(|i| i as f32).collect(),
            labels: Some((0..n as i64).collect()),
            sample_len: 1,
            channels: 1,
        })
    }

    #[test]
    fn an_epoch_visits_every_sample_once_and_is_reproducible() {
        let data = counting(12);
        let mut batcher = Batcher::new(3, 4);
        let mut seen: Vec<f32> = (0..3).flat_map(|s| batcher.batch(&data, s).0).collect();
        let first_epoch = seen.clone();
        seen.sort_by(f32::total_cmp);
        assert_eq!(seen, (0..12).map(|i| i as f32).collect::<Vec<_>>());
        // A fresh batcher (a resumed run) draws the same batches, labels included.
        let mut again = Batcher::new(3, 4);
        let (x, y) = again.batch(&data, 1);
        assert_eq!(x, first_epoch[4..8]);
        assert_eq!(y.unwrap(), x.iter().map(|&v| v as i64).collect::<Vec<_>>());
        // The next epoch is shuffled differently.
        let second: Vec<f32> = (3..6).flat_map(|s| batcher.batch(&data, s).0).collect();
        assert_ne!(second, first_epoch);
    }

    #[test]
    fn too_little_data_for_a_batch_is_refused() {
        let e = counting(3).check(4).unwrap_err().to_string();
        assert!(e.contains("fewer than one batch"), "{e}");
    }
}
