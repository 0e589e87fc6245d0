//! Spectral normalisation (Miyato et al., 2018): a discriminator weight W is used as
//! W / sigma(W), sigma its largest singular value, so that each layer is at most 1-Lipschitz.
//!
//! sigma is estimated by power iteration on a persistent left vector `u`: each discriminator
//! update first takes one step (`advance`: v = W^T u / |W^T u|, u = W v / |W v|, on detached
//! weights), and the forward passes then use sigma = u . W v with u and v held constant, so the
//! gradient flows through W alone, as in the paper. `u` is a buffer, not a parameter: saved
//! with the network (checkpoints resume the same estimate), never touched by the optimizer.
//! Every operation is a tensor operation: nothing is read back (WebGPU cannot read
//! synchronously in a page).

use burn::module::{Module, RunningState};
use burn::tensor::{Device, Distribution, Tensor};

/// Guards the normalisations against a zero vector (an all-zero weight).
const EPS: f32 = 1e-12;

/// The power-iteration state of one weight matrix with `rows` rows.
#[derive(Module, Debug)]
pub struct SpectralNorm {
    /// The estimate of W's left singular vector, unit length.
    pub u: RunningState<Tensor<1>>,
}

fn unit(x: Tensor<1>) -> Tensor<1> {
    let norm = x.clone().powi_scalar(2).sum().sqrt().clamp_min(EPS);
    x / norm
}

/// v = W^T u / |W^T u| for W [rows, cols], u [rows].
fn right_vector(w: Tensor<2>, u: Tensor<1>) -> Tensor<1> {
    let [rows, _] = w.dims();
    unit(u.reshape([1, rows]).matmul(w).reshape([-1]))
}

impl SpectralNorm {
    /// A random unit `u` (drawn from the device's seeded generator, like the weights).
    pub fn new(rows: usize, device: &Device) -> Self {
        let u = Tensor::random([rows], Distribution::Normal(0.0, 1.0), device);
        SpectralNorm {
            u: RunningState::new(unit(u).detach()),
        }
    }

    fn current_u(&self) -> Tensor<1> {
        self.u.value_sync()
    }

    /// One power-iteration step on `w` [rows, cols] (its values only: no gradient).
    pub fn advance(&self, w: Tensor<2>) {
        let w = w.detach();
        let [rows, _] = w.dims();
        let v = right_vector(w.clone(), self.current_u());
        let u = unit(w.matmul(v.reshape([-1, 1])).reshape([rows]));
        self.u.update(u.detach());
    }

    /// sigma(w) = u . W v with u and v constant: a [1] tensor whose gradient reaches `w`.
    pub fn sigma(&self, w: Tensor<2>) -> Tensor<1> {
        let u = self.current_u().detach();
        let [rows, _] = w.dims();
        let v = right_vector(w.clone().detach(), u.clone()).detach();
        u.reshape([1, rows])
            .matmul(w)
            .matmul(v.reshape([-1, 1]))
            .reshape([1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    /// The largest singular value of a small matrix, by many power steps on W^T W (f64).
    pub(crate) fn top_singular_value(w: &[f32], rows: usize, cols: usize) -> f64 {
        let mut v = vec![1.0f64; cols];
        let mut sigma = 0.0;
        for _ in 0..500 {
            let wv: Vec<f64> = (0..rows)
                .map(|r| (0..cols).map(|c| w[r * cols + c] as f64 * v[c]).sum())
                .collect();
            let wtwv: Vec<f64> = (0..cols)
                .map(|c| (0..rows).map(|r| w[r * cols + c] as f64 * wv[r]).sum())
                .collect();
            let norm = wtwv.iter().map(|x| x * x).sum::<f64>().sqrt();
            sigma = wv.iter().map(|x| x * x).sum::<f64>().sqrt();
            v = wtwv.iter().map(|x| x / norm).collect();
        }
        sigma
    }

    #[test]
    fn power_steps_find_the_top_singular_value() {
        let device = Device::flex();
        device.seed(3);
        let (rows, cols) = (6, 10);
        let values: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 37 % 17) as f32 - 8.0) / 5.0)
            .collect();
        let w = Tensor::<2>::from_data(TensorData::new(values.clone(), [rows, cols]), &device);
        let sn = SpectralNorm::new(rows, &device);
        for _ in 0..30 {
            sn.advance(w.clone());
        }
        let sigma: f32 = sn.sigma(w).into_scalar();
        let truth = top_singular_value(&values, rows, cols);
        assert!(
            (sigma as f64 - truth).abs() < 1e-3 * truth,
            "power iteration {sigma}, truth {truth}"
        );
    }
}
