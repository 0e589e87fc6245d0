//! Hand-written forward and backward passes for the CPU backend (`flex`) when training (under
//! autodiff), where burn's own are slow for our model: the DCGAN's convolutions (`conv`, and
//! `shifted` for the layers with more channels),
//! LeakyReLU (`activation`) and the generator's batch norm with its ReLU (`norm`), plain or
//! conditional.
//!
//! The model calls [`down_conv`], [`up_conv`], [`leaky_relu`], [`batch_norm_relu`] and
//! [`class_batch_norm_relu`] first; they answer `None` for any other backend (WebGPU, ndarray)
//! and for flex without autodiff (generation, where burn's kernels serve), and the model then
//! uses burn's operation. Measured with `webgan bench` and `cargo run --release --example
//! profile_step` (docs/performance.md). Each pass is checked against burn's in the tests.

mod activation;
mod conv;
mod norm;
mod shifted;

pub use activation::leaky_relu;
pub use conv::{down_conv, up_conv};
pub use norm::{batch_norm_relu, class_batch_norm_relu};

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};
use burn::tensor::{Tensor, TensorData};

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

/// Runs `f(index, chunk)` over `len`-long chunks of `data`: on all cores natively and in the
/// page's threaded build (feature `threads`), in turn in the single-threaded one.
fn for_each_chunk(data: &mut [f32], len: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(all(target_family = "wasm", not(feature = "threads")))]
    data.chunks_mut(len).enumerate().for_each(|(i, c)| f(i, c));
}

/// `a · b` for 2-D f32 tensors of any strides, as a new [M, N] tensor laid out by rows, written
/// where it is allocated. Natively flex's matmul allocates its output as bytes and copies it
/// once more to align it for f32, which for the convolutions' large column matrices cost
/// several percent of a digits training step (`perf record` on `webgan bench`); the page's
/// threaded build trained digits faster with it too. The single-threaded WebAssembly build
/// keeps flex's: there the same gemm call trained slower, for a reason not found
/// (docs/experiments.md).
fn matmul(a: &FlexTensor, b: &FlexTensor) -> FlexTensor {
    if cfg!(all(target_family = "wasm", not(feature = "threads"))) {
        return burn::backend::Flex::float_matmul(a.clone(), b.clone());
    }
    let (sa, sb) = (a.layout().shape(), b.layout().shape());
    assert!(
        sa.num_dims() == 2 && sb.num_dims() == 2 && sa[1] == sb[0],
        "matmul shapes"
    );
    let (m, k, n) = (sa[0], sa[1], sb[1]);
    let operand = |t: &'_ FlexTensor| {
        let strides = t.layout().strides();
        (t.layout().start_offset(), strides[0], strides[1])
    };
    let ((a_at, ra, ca), (b_at, rb, cb)) = (operand(a), operand(b));
    let mut out = vec![0f32; m * n];
    let lhs = Operand {
        data: &a.storage::<f32>()[a_at..],
        rows: ra,
        cols: ca,
    };
    let rhs = Operand {
        data: &b.storage::<f32>()[b_at..],
        rows: rb,
        cols: cb,
    };
    gemm(&mut out, n, false, (m, n, k), lhs, rhs);
    FlexTensor::from_data(TensorData::new(out, [m, n]))
}

/// A matrix operand: its data and (row, column) strides.
#[derive(Clone, Copy)]
struct Operand<'a> {
    data: &'a [f32],
    rows: isize,
    cols: isize,
}

/// `dst[m x n] (row stride `dst_rows`) = (dst if `accumulate`) + a[m x k] · b[k x n]`.
#[allow(clippy::too_many_arguments)]
fn gemm(
    dst: &mut [f32],
    dst_rows: usize,
    accumulate: bool,
    (m, n, k): (usize, usize, usize),
    a: Operand<'_>,
    b: Operand<'_>,
) {
    let last = |rows: usize, cols: usize, rs: isize, cs: isize| {
        (rows.saturating_sub(1) as isize * rs + cols.saturating_sub(1) as isize * cs) as usize
    };
    assert!(m > 0 && n > 0 && k > 0, "empty product");
    assert!(
        last(m, n, dst_rows as isize, 1) < dst.len(),
        "dst out of range"
    );
    assert!(
        last(m, k, a.rows, a.cols) < a.data.len(),
        "lhs out of range"
    );
    assert!(
        last(k, n, b.rows, b.cols) < b.data.len(),
        "rhs out of range"
    );
    // SAFETY: the asserts above keep every element gemm reads or writes inside the slices
    // (all strides are positive), and `dst` is borrowed mutably, apart from `a` and `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rows as isize,
            accumulate,
            a.data.as_ptr(),
            a.cols,
            a.rows,
            b.data.as_ptr(),
            b.cols,
            b.rows,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism(m * n * k),
        );
    }
}

/// Threads for a product of this many multiply-adds: as flex decides, only for products large
/// enough to pay for them, and only where there are threads.
fn parallelism(multiply_adds: usize) -> gemm::Parallelism {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    if multiply_adds >= 192 * 192 * 192 {
        return gemm::Parallelism::Rayon(0);
    }
    let _ = multiply_adds;
    gemm::Parallelism::None
}

/// How the tests compare a pass of ours with burn's.
#[cfg(test)]
mod agreement {
    use burn::tensor::{Distribution, Gradients, Tensor, Tolerance};

    /// Sums of many products in another order: relative, not absolute, agreement.
    pub fn tolerance() -> Tolerance<f32> {
        Tolerance::rel_abs(1e-5, 1e-4)
    }

    /// Asserts that `ours` equals `theirs`; returns the gradients of both under one random
    /// upstream gradient.
    pub fn same_values<const D: usize>(
        ours: &Tensor<D>,
        theirs: &Tensor<D>,
    ) -> (Gradients, Gradients) {
        assert_eq!(ours.dims(), theirs.dims());
        ours.clone()
            .inner()
            .into_data()
            .assert_approx_eq::<f32>(&theirs.clone().inner().into_data(), tolerance());
        let normal = Distribution::Normal(0., 1.);
        let upstream = Tensor::<D>::random(theirs.dims(), normal, &theirs.device());
        (
            (ours.clone() * upstream.clone()).sum().backward(),
            (theirs.clone() * upstream).sum().backward(),
        )
    }

    /// Asserts that `t` has the same gradient in both sets.
    pub fn same_grad<const D: usize>(t: &Tensor<D>, (ours, theirs): &(Gradients, Gradients)) {
        let (ours, theirs) = (t.grad(ours).expect("ours"), t.grad(theirs).expect("burn's"));
        assert_eq!(ours.dims(), theirs.dims());
        ours.into_data()
            .assert_approx_eq::<f32>(&theirs.into_data(), tolerance());
    }
}
