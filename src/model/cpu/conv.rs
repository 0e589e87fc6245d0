//! The DCGAN's two layers, forward and backward, as whole-batch matrix products.
//!
//! Our images are small (7x7 to 28x28), and burn's CPU kernels multiply one sample at a time:
//! a convolution's forward pass is a matrix product per sample with a few dozen columns, and
//! its weight gradient is another convolution with batch and channels swapped (a 7x7 or 14x14
//! kernel with 4x4 outputs), one narrow product per input channel, each re-packing the whole
//! output gradient. Here every pass is one matrix product over the whole batch plus a gather
//! (im2col) or its adjoint (col2im), for a 4x4 window, stride 2, padding 1 (N = B * H/2 * W/2
//! output positions of the convolution):
//!
//! | | convolution, W [Co, C, 4, 4] | transposed convolution, W [Ci, Co, 4, 4] |
//! |---|---|---|
//! | forward | `Y = W · cols(X)` | `Y = col2im(Wᵀ · X)` |
//! | input gradient | `dX = col2im(Wᵀ · dY)` | `dX = W · cols(dY)` |
//! | weight gradient | `dW = dY · cols(X)ᵀ` | `dW = X · cols(dY)ᵀ` |
//!
//! with X, Y, dX, dY as [channels, N] matrices and `cols` [16 C, N]. That serves layers with
//! few channels at their core (the digits' first and last, with one); the others take four
//! shifted products without a column matrix (`shifted.rs`), where the transposed convolution
//! is the convolution's adjoint: its forward pass is the convolution's input gradient, its
//! input gradient the convolution, its weight gradient the convolution's with X and dY swapped.
//! The tests check values and all three gradients against burn's, on both paths.

use burn::backend::Flex;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::tensor::{Tensor, TensorData};

use super::{CpuAutodiff, for_each_chunk, matmul, on_cpu_autodiff, shifted};

/// A 4x4, stride 2, padding 1 convolution with bias (weights [C_out, C_in, 4, 4]) on
/// [B, C_in, H, W] (H, W even); `None` when the tensors are not on the CPU backend under
/// autodiff.
pub fn down_conv(x: &Tensor<4>, weight: &Tensor<4>, bias: &Tensor<1>) -> Option<Tensor<4>> {
    let [x, w] = on_cpu_autodiff([x, weight])?;
    let [b] = on_cpu_autodiff([bias])?;
    Some(Tensor::from_primitive::<CpuAutodiff>(differentiable(
        Layer::Down,
        x,
        w,
        b,
    )))
}

/// A 4x4, stride 2, padding 1 transposed convolution with bias (weights [C_in, C_out, 4, 4])
/// on [B, C_in, H, W]; `None` when the tensors are not on the CPU backend under autodiff.
pub fn up_conv(x: &Tensor<4>, weight: &Tensor<4>, bias: &Tensor<1>) -> Option<Tensor<4>> {
    let [x, w] = on_cpu_autodiff([x, weight])?;
    let [b] = on_cpu_autodiff([bias])?;
    Some(Tensor::from_primitive::<CpuAutodiff>(differentiable(
        Layer::Up,
        x,
        w,
        b,
    )))
}

#[derive(Clone, Copy, Debug)]
enum Layer {
    /// Convolution, weights [C_out, C_in, 4, 4].
    Down,
    /// Transposed convolution, weights [C_in, C_out, 4, 4].
    Up,
}

/// A weight tensor [A, B, 4, 4] as the matrix [A, 16 B], or its transpose (a view).
fn weight_matrix(w: &FlexTensor, transposed: bool) -> FlexTensor {
    let s = w.layout().shape();
    let m = w.to_contiguous().reshape([s[0], s[1] * 16].into());
    if transposed { m.transpose(0, 1) } else { m }
}

/// [B, C, H, W] -> [B * H * W, C], laid out by rows: the transpose of [`channels_first`].
fn positions_first(t: &FlexTensor) -> FlexTensor {
    let [b, c, h, w] = dims(t);
    t.permute(&[0, 2, 3, 1])
        .to_contiguous()
        .reshape([b * h * w, c].into())
}

/// The fewest input channels at a layer's core for the shifted products ([`Layer::shifted`]):
/// with fewer, each of the four products is only 4 C deep and im2col's one 16 C deep product
/// is faster (the digits' first and last layers, with 1 channel).
const SHIFTED_MIN_CHANNELS: usize = 8;

/// How many samples one pass takes at a time: as many as keep its im2col matrix within this
/// many floats (4 MiB). Whole batches overflow the caches, and pieces of 1 or 2 Mi floats were
/// fastest at batch 256 (`webgan bench`; the figures are in docs/experiments.md).
const PIECE_FLOATS: usize = 1 << 20;

/// (start, length) of consecutive pieces of a batch, each within [`PIECE_FLOATS`].
fn batch_pieces(batch: usize, floats_per_sample: usize) -> impl Iterator<Item = (usize, usize)> {
    let per_piece = (PIECE_FLOATS / floats_per_sample.max(1)).clamp(1, batch.max(1));
    (0..batch)
        .step_by(per_piece)
        .map(move |start| (start, per_piece.min(batch - start)))
}

impl Layer {
    /// Floats of the im2col matrix per sample: 16 x the channels at the high resolution x the
    /// positions at the low one.
    fn cols_per_sample(self, x: &FlexTensor, w: &FlexTensor) -> usize {
        let [_, c, h, wd] = dims(x);
        let [_, wc, _, _] = dims(w);
        match self {
            Layer::Down => 16 * c * (h / 2) * (wd / 2),
            Layer::Up => 16 * wc * h * wd,
        }
    }

    /// Whether this layer takes the four shifted products ([`shifted`]): the convolution at its
    /// core (the layer itself, or the one a transposed convolution is the adjoint of) has at
    /// least [`SHIFTED_MIN_CHANNELS`] input channels, the weights' second dimension either way.
    /// Never in WebAssembly: the page trained digits 6-17% slower with it, where natively a
    /// step took 15% less (docs/experiments.md).
    fn shifted(w: &FlexTensor) -> bool {
        !cfg!(target_family = "wasm") && dims(w)[1] >= SHIFTED_MIN_CHANNELS
    }

    fn forward(self, x: &FlexTensor, w: &FlexTensor, bias: &FlexTensor) -> FlexTensor {
        if Layer::shifted(w) {
            let bias = bias.to_contiguous();
            let bias = Some(bias.storage::<f32>());
            return match self {
                Layer::Down => shifted::conv(x, w, bias),
                Layer::Up => shifted::conv_adjoint(x, w, bias),
            };
        }
        let wm = weight_matrix(w, matches!(self, Layer::Up));
        let pieces: Vec<_> = batch_pieces(dims(x)[0], self.cols_per_sample(x, w))
            .map(|(start, len)| self.forward_piece(&x.narrow(0, start, len), &wm, bias))
            .collect();
        concat_batch(pieces)
    }

    fn input_grad(self, x: &FlexTensor, w: &FlexTensor, dy: &FlexTensor) -> FlexTensor {
        if Layer::shifted(w) {
            return match self {
                Layer::Down => shifted::conv_adjoint(dy, w, None),
                Layer::Up => shifted::conv(dy, w, None),
            };
        }
        let wm = weight_matrix(w, matches!(self, Layer::Down));
        let pieces: Vec<_> = batch_pieces(dims(x)[0], self.cols_per_sample(x, w))
            .map(|(start, len)| {
                self.input_grad_piece(&x.narrow(0, start, len), &wm, &dy.narrow(0, start, len))
            })
            .collect();
        concat_batch(pieces)
    }

    /// The weight gradient, summed over the pieces as its transpose [16 B, A], transposed once
    /// at the end: each piece's product then reads the column matrix by rows and a copy of dy
    /// laid out by positions, where [A, N] · [N, 16 B] read the column matrix transposed and
    /// took 7-12% longer per training step (`webgan bench`, side by side).
    fn weight_grad(self, x: &FlexTensor, w: &FlexTensor, dy: &FlexTensor) -> FlexTensor {
        if Layer::shifted(w) {
            return match self {
                Layer::Down => shifted::conv_weight_grad(x, dy),
                Layer::Up => shifted::conv_weight_grad(dy, x),
            };
        }
        let dw_t = batch_pieces(dims(x)[0], self.cols_per_sample(x, w))
            .map(|(start, len)| {
                self.weight_grad_piece(&x.narrow(0, start, len), &dy.narrow(0, start, len))
            })
            .reduce(Flex::float_add)
            .expect("a batch has at least one sample");
        let [a, b, _, _] = dims(w);
        dw_t.transpose(0, 1).reshape([a, b, 4, 4].into())
    }

    /// `wm`: the weight matrix (`Down`) or its transpose (`Up`).
    fn forward_piece(self, x: &FlexTensor, wm: &FlexTensor, bias: &FlexTensor) -> FlexTensor {
        let [batch, _, h, wd] = dims(x);
        let y = match self {
            Layer::Down => {
                let y = matmul(wm, &im2col(x));
                batch_first(y, [batch, h / 2, wd / 2])
            }
            Layer::Up => {
                let cols = matmul(wm, &channels_first(x));
                col2im(&cols, [batch, 2 * h, 2 * wd])
            }
        };
        let channels = bias.layout().shape()[0];
        Flex::float_add(y, bias.reshape([1, channels, 1, 1].into()))
    }

    /// `wm`: the weight matrix's transpose (`Down`) or the matrix itself (`Up`).
    fn input_grad_piece(self, x: &FlexTensor, wm: &FlexTensor, dy: &FlexTensor) -> FlexTensor {
        let [batch, _, h, wd] = dims(x);
        match self {
            Layer::Down => {
                let cols = matmul(wm, &channels_first(dy));
                col2im(&cols, [batch, h, wd])
            }
            Layer::Up => {
                let dx = matmul(wm, &im2col(dy));
                batch_first(dx, [batch, h, wd])
            }
        }
    }

    /// This piece's share of the weight gradient, transposed: [16 B, A].
    fn weight_grad_piece(self, x: &FlexTensor, dy: &FlexTensor) -> FlexTensor {
        match self {
            Layer::Down => matmul(&im2col(x), &positions_first(dy)),
            Layer::Up => matmul(&im2col(dy), &positions_first(x)),
        }
    }
}

/// The pieces of a batch back in one tensor.
fn concat_batch(mut pieces: Vec<FlexTensor>) -> FlexTensor {
    if pieces.len() == 1 {
        return pieces.pop().expect("one piece");
    }
    Flex::float_cat(pieces, 0)
}

fn dims(t: &FlexTensor) -> [usize; 4] {
    let s = t.layout().shape();
    [s[0], s[1], s[2], s[3]]
}

#[derive(Debug)]
struct LayerBackward(Layer);

impl Backward<Flex, 3> for LayerBackward {
    type State = (NodeId, NodeId);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x_state, w_state) = ops.state;
        let x = checkpointer.retrieve_node_output::<FlexTensor>(x_state);
        let w = checkpointer.retrieve_node_output::<FlexTensor>(w_state);
        let layer = self.0;
        if let Some(node) = node_w {
            grads.register::<Flex>(node.id, layer.weight_grad(&x, &w, &dy));
        }
        if let Some(node) = node_b {
            // Summed where dy lies, over positions then samples: no channel-major copy of dy.
            let [batch, channels, h, w] = dims(&dy);
            let per_sample = Flex::float_sum_dim(dy.reshape([batch, channels, h * w].into()), 2);
            let db = Flex::float_sum_dim(per_sample, 0);
            grads.register::<Flex>(node.id, db.reshape([channels].into()));
        }
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, layer.input_grad(&x, &w, &dy));
        }
    }
}

fn differentiable(
    layer: Layer,
    x: FloatTensor<CpuAutodiff>,
    w: FloatTensor<CpuAutodiff>,
    b: FloatTensor<CpuAutodiff>,
) -> FloatTensor<CpuAutodiff> {
    let output = layer.forward(x.primitive(), w.primitive(), b.primitive());
    match LayerBackward(layer)
        .prepare::<NoCheckpointing>([x.node(), w.node(), b.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let x_state = prep.checkpoint(&x);
            let w_state = prep.checkpoint(&w);
            prep.finish((x_state, w_state), output)
        }
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}

/// [B, C, H, W] -> [C, B * H * W], contiguous.
fn channels_first(t: &FlexTensor) -> FlexTensor {
    let [b, c, h, w] = dims(t);
    t.permute(&[1, 0, 2, 3])
        .to_contiguous()
        .reshape([c, b * h * w].into())
}

/// [C, B * H * W] -> [B, C, H, W], contiguous: the inverse of [`channels_first`].
fn batch_first(t: FlexTensor, [b, h, w]: [usize; 3]) -> FlexTensor {
    let c = t.layout().shape()[0];
    t.reshape([c, b, h, w].into())
        .permute(&[1, 0, 2, 3])
        .to_contiguous()
}

/// The valid output columns `ox` of kernel column `kx` (input column 2 ox + kx - 1 inside a
/// row of `w`), out of `wo`.
fn valid_columns(kx: usize, w: usize, wo: usize) -> std::ops::Range<usize> {
    usize::from(kx == 0)..wo.min((w + 2 - kx) / 2)
}

/// The im2col of a 4x4, stride 2, padding 1 window over `x` [B, C, H, W], transposed:
/// [C * 16, B * H/2 * W/2], row (c, ky, kx), column (b, oy, ox), holding
/// x[b, c, 2 oy + ky - 1, 2 ox + kx - 1] (0 in the padding). Parallel over channels.
fn im2col(x: &FlexTensor) -> FlexTensor {
    let x = x.to_contiguous();
    let [batch, channels, h, w] = dims(&x);
    let (ho, wo) = (h / 2, w / 2);
    let n = batch * ho * wo;
    let src: &[f32] = x.storage();
    let mut cols = vec![0f32; channels * 16 * n];
    for_each_chunk(&mut cols, 16 * n, |c, rows| {
        for (k, out) in rows.chunks_exact_mut(n).enumerate() {
            let (ky, kx) = (k / 4, k % 4);
            let columns = valid_columns(kx, w, wo);
            for b in 0..batch {
                let plane = &src[(b * channels + c) * h * w..][..h * w];
                for oy in 0..ho {
                    let Some(iy) = (2 * oy + ky).checked_sub(1).filter(|&iy| iy < h) else {
                        continue;
                    };
                    let line = &plane[iy * w..][..w];
                    let dst = &mut out[(b * ho + oy) * wo..][..wo];
                    for ox in columns.clone() {
                        dst[ox] = line[2 * ox + kx - 1];
                    }
                }
            }
        }
    });
    FlexTensor::from_data(TensorData::new(cols, [channels * 16, n]))
}

/// The adjoint of [`im2col`]: sums `cols` [C * 16, B * H/2 * W/2] back into [B, C, H, W].
/// Parallel over channels (each channel's 16 rows add into its own planes only).
fn col2im(cols: &FlexTensor, [batch, h, w]: [usize; 3]) -> FlexTensor {
    let cols = cols.to_contiguous();
    let (ho, wo) = (h / 2, w / 2);
    let n = batch * ho * wo;
    let channels = cols.layout().shape()[0] / 16;
    let src: &[f32] = cols.storage();
    // Channel-major while summing, so that each channel's planes are one chunk.
    let mut planes = vec![0f32; channels * batch * h * w];
    for_each_chunk(&mut planes, batch * h * w, |c, planes| {
        for k in 0..16 {
            let (ky, kx) = (k / 4, k % 4);
            let columns = valid_columns(kx, w, wo);
            let row = &src[(c * 16 + k) * n..][..n];
            for b in 0..batch {
                let plane = &mut planes[b * h * w..][..h * w];
                for oy in 0..ho {
                    let Some(iy) = (2 * oy + ky).checked_sub(1).filter(|&iy| iy < h) else {
                        continue;
                    };
                    let line = &mut plane[iy * w..][..w];
                    let from = &row[(b * ho + oy) * wo..][..wo];
                    for ox in columns.clone() {
                        line[2 * ox + kx - 1] += from[ox];
                    }
                }
            }
        }
    });
    let planes = FlexTensor::from_data(TensorData::new(planes, [channels, batch * h * w]));
    batch_first(planes, [batch, h, w])
}

#[cfg(test)]
mod tests {
    use burn::tensor::module::{conv_transpose2d, conv2d};
    use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
    use burn::tensor::{Device, Distribution, Tensor};

    use super::super::agreement::{same_grad, same_values};

    /// Our pass and burn's on the same random layer: values and the gradients of x, weights
    /// and bias under a random upstream gradient, for odd batch and channel counts, one input
    /// channel, one output channel, non-square images, and batches split into pieces.
    #[test]
    fn both_layers_match_burn_forward_and_backward() {
        let dev = Device::flex().autodiff();
        let cases = [
            (false, 3, 2, 5, [6, 8]),
            (true, 3, 4, 3, [5, 3]),
            (false, 2, 1, 4, [8, 8]),
            (true, 2, 3, 1, [4, 4]),
            (false, 1, 3, 1, [2, 4]),
            // The shifted products (SHIFTED_MIN_CHANNELS input channels at the core: the
            // convolution's input, the transposed convolution's output), non-square.
            (false, 3, 8, 5, [6, 8]),
            (true, 3, 5, 8, [5, 3]),
            (false, 2, 9, 3, [2, 2]),
            // Large batches (im2col's path goes through them in pieces: see PIECE_FLOATS).
            (false, 40, 32, 8, [16, 16]),
            (true, 40, 8, 32, [8, 8]),
            (false, 40, 4, 8, [16, 16]),
            (true, 40, 8, 4, [8, 8]),
        ];
        for (up, b, c, co, [h, w]) in cases {
            let normal = Distribution::Normal(0., 1.);
            let x = Tensor::<4>::random([b, c, h, w], normal, &dev).require_grad();
            let wdims = if up { [c, co, 4, 4] } else { [co, c, 4, 4] };
            let weight = Tensor::<4>::random(wdims, normal, &dev).require_grad();
            let bias = Tensor::<1>::random([co], normal, &dev).require_grad();
            let (ours, theirs) = if up {
                let options = ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1);
                (
                    super::up_conv(&x, &weight, &bias),
                    conv_transpose2d(x.clone(), weight.clone(), Some(bias.clone()), options),
                )
            } else {
                let options = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
                (
                    super::down_conv(&x, &weight, &bias),
                    conv2d(x.clone(), weight.clone(), Some(bias.clone()), options),
                )
            };
            let ours = ours.expect("flex under autodiff takes our path");
            let grads = same_values(&ours, &theirs);
            same_grad(&x, &grads);
            same_grad(&weight, &grads);
            same_grad(&bias, &grads);
        }
    }

    /// Layers chained as in the discriminator and the generator, through LeakyReLU: values
    /// and the gradients of the input and both weights agree with burn's.
    #[test]
    fn chained_layers_match_burn() {
        let dev = Device::flex().autodiff();
        let normal = Distribution::Normal(0., 1.);
        for up in [false, true] {
            let (c0, c1, c2, side) = if up { (6, 4, 3, 3) } else { (3, 5, 4, 8) };
            let x = Tensor::<4>::random([5, c0, side, side], normal, &dev).require_grad();
            let shape = |a, b| if up { [a, b, 4, 4] } else { [b, a, 4, 4] };
            let w1 = Tensor::<4>::random(shape(c0, c1), normal, &dev).require_grad();
            let w2 = Tensor::<4>::random(shape(c1, c2), normal, &dev).require_grad();
            let (b1, b2) = (
                Tensor::<1>::zeros([c1], &dev),
                Tensor::<1>::zeros([c2], &dev),
            );
            let burn_layer = |x: Tensor<4>, w: &Tensor<4>, b: &Tensor<1>| {
                let (w, b) = (w.clone(), Some(b.clone()));
                if up {
                    conv_transpose2d(
                        x,
                        w,
                        b,
                        ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
                    )
                } else {
                    conv2d(x, w, b, ConvOptions::new([2, 2], [1, 1], [1, 1], 1))
                }
            };
            let our_layer = |x: Tensor<4>, w: &Tensor<4>, b: &Tensor<1>| {
                let y = if up {
                    super::up_conv(&x, w, b)
                } else {
                    super::down_conv(&x, w, b)
                };
                y.expect("flex under autodiff")
            };
            let hidden = super::super::leaky_relu(&our_layer(x.clone(), &w1, &b1), 0.2).unwrap();
            let ours = our_layer(hidden, &w2, &b2);
            let theirs = burn_layer(
                burn::tensor::activation::leaky_relu(burn_layer(x.clone(), &w1, &b1), 0.2),
                &w2,
                &b2,
            );
            let grads = same_values(&ours, &theirs);
            for t in [&x, &w1, &w2] {
                same_grad(t, &grads);
            }
        }
    }

    /// Generation (flex without autodiff) and other backends keep burn's kernels.
    #[test]
    fn only_autodiff_on_flex_takes_this_path() {
        let dev = Device::flex();
        let x = Tensor::<4>::zeros([1, 1, 4, 4], &dev);
        let w = Tensor::<4>::zeros([1, 1, 4, 4], &dev);
        let b = Tensor::<1>::zeros([1], &dev);
        assert!(super::down_conv(&x, &w, &b).is_none());
        assert!(super::up_conv(&x, &w, &b).is_none());
    }

    /// A frozen network (no gradients for weights) still passes gradients to its input, as the
    /// generator step needs of the discriminator.
    #[test]
    fn a_frozen_layer_passes_gradients_to_its_input_only() {
        let dev = Device::flex().autodiff();
        let x = Tensor::<4>::random([2, 3, 4, 4], Distribution::Default, &dev).require_grad();
        let w = Tensor::<4>::random([5, 3, 4, 4], Distribution::Default, &dev);
        let b = Tensor::<1>::zeros([5], &dev);
        let y = super::down_conv(&x, &w, &b).unwrap();
        let grads = y.sum().backward();
        assert_eq!(x.grad(&grads).unwrap().dims(), [2, 3, 4, 4]);
        assert!(w.grad(&grads).is_none());
    }
}
