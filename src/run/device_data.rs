//! The training set kept on the device, and real batches gathered there.
//!
//! On a GPU, copying each batch from the host costs an upload per step (200 KB for a digits
//! batch of 64: almost all of what a step sends). Uploaded once, the set stays on the device
//! and a step sends only its batch's indices; one gather kernel picks the rows. The indices
//! are the [`Batcher`]'s, so the batches are the very ones the host would copy.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::{Batcher, Dataset};
use crate::error::{Result, WebganError};
use crate::limits::MAX_DEVICE_DATA_BYTES;

/// A data set's samples ([n, sample_len]) on the device; its labels stay on the host, where
/// the trainer joins them with the generator's for one upload (see
/// [`crate::train::GanTrainer::step_on_device`]).
pub struct DeviceData {
    samples: Tensor<2>,
    labels: Option<Vec<i64>>,
    len: usize,
}

impl DeviceData {
    /// Uploads `data`'s samples to `device`, or None where they are larger than
    /// [`MAX_DEVICE_DATA_BYTES`] (then batches are copied on the host, as on the CPU). Values
    /// are checked here, once, since batches gathered on the device are not seen on the host.
    pub fn upload(data: &Dataset, device: &Device) -> Result<Option<DeviceData>> {
        let len = data.len();
        let values = &data.samples[..len * data.sample_len];
        if len == 0 || std::mem::size_of_val(values) > MAX_DEVICE_DATA_BYTES {
            return Ok(None);
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(WebganError::bad_data(
                &data.name,
                format!("value {} at index {i} is not finite", values[i]),
            ));
        }
        if let Some(labels) = data.labels.as_ref().filter(|l| l.len() != len) {
            return Err(WebganError::bad_data(
                &data.name,
                format!("{} labels for {len} samples", labels.len()),
            ));
        }
        let samples = Tensor::from_data(
            TensorData::new(values.to_vec(), [len, data.sample_len]),
            device,
        );
        Ok(Some(DeviceData {
            samples,
            labels: data.labels.clone(),
            len,
        }))
    }

    /// The batch of training step `step`: the rows `batcher` picks, gathered on the device,
    /// and their labels.
    pub fn batch(&self, batcher: &mut Batcher, step: u64) -> (Tensor<2>, Option<Vec<i64>>) {
        let idx = batcher.indices(self.len, step);
        let labels = self
            .labels
            .as_ref()
            .map(|l| idx.iter().map(|&i| l[i]).collect());
        let rows = TensorData::new(idx.iter().map(|&i| i as i64).collect(), [idx.len()]);
        let rows = Tensor::<1, Int>::from_data(rows, &self.samples.device());
        (self.samples.clone().select(0, rows), labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(samples: Vec<f32>) -> Dataset {
        Dataset {
            name: "grey".into(),
            samples,
            labels: None,
            sample_len: 4,
            channels: 1,
        }
    }

    #[test]
    fn a_set_over_the_limit_stays_on_the_host_and_bad_sets_are_refused() {
        let device = Device::flex();
        let floats = MAX_DEVICE_DATA_BYTES / 4 + 4;
        assert!(
            DeviceData::upload(&grey(vec![0.0; floats]), &device)
                .unwrap()
                .is_none()
        );
        assert!(
            DeviceData::upload(&grey(vec![0.5; 16]), &device)
                .unwrap()
                .is_some()
        );
        let e = DeviceData::upload(&grey(vec![0.0, 1.0, f32::NAN, 0.0]), &device)
            .err()
            .expect("NaN refused")
            .to_string();
        assert!(e.contains("not finite") && e.contains("index 2"), "{e}");
        let mut short = grey(vec![0.5; 16]);
        short.labels = Some(vec![0, 1, 2]);
        let e = DeviceData::upload(&short, &device)
            .err()
            .expect("3 labels for 4 samples")
            .to_string();
        assert!(e.contains("3 labels for 4 samples"), "{e}");
    }
}
