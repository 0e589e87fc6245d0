//! Hand-written forward and backward passes for the CPU backend (`flex`) when training (under
//! autodiff), where burn's own are slow for our model: the DCGAN's convolutions (`conv`) and
//! LeakyReLU (`activation`).
//!
//! The model calls [`down_conv`], [`up_conv`] and [`leaky_relu`] first; they answer `None`
//! for any other backend (WebGPU, ndarray) and for flex without autodiff (generation, where
//! burn's kernels serve), and the model then uses burn's operation. Measured with
//! `webgan bench` and `cargo run --release --example profile_step` (the README's speed
//! section). Each pass is checked against burn's in the tests.

mod activation;
mod conv;

pub use activation::leaky_relu;
pub use conv::{down_conv, up_conv};

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};
use burn::tensor::Tensor;

type CpuAutodiff = Autodiff<Flex, NoCheckpointing>;

/// The tensors as autodiff-on-flex primitives, or `None` when any lives elsewhere.
fn on_cpu_autodiff<const D: usize, const N: usize>(
    tensors: [&Tensor<D>; N],
) -> Option<[FloatTensor<CpuAutodiff>; N]> {
    let mut primitives = Vec::with_capacity(N);
    for t in tensors {
        primitives.push(t.clone().try_into_primitive::<CpuAutodiff>().ok()?);
    }
    primitives.try_into().ok()
}

/// Runs `f(index, chunk)` over `len`-long chunks of `data`: on all cores natively, in turn in
/// the browser (one thread).
fn for_each_chunk(data: &mut [f32], len: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    #[cfg(not(target_family = "wasm"))]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(target_family = "wasm")]
    data.chunks_mut(len).enumerate().for_each(|(i, c)| f(i, c));
}
