//! The two layers a DCGAN is made of, 4x4 stride-2 convolution and transposed convolution,
//! each with two interchangeable ways to compute it from the same weights (burn's usual
//! layouts: [C_out, C_in, 4, 4] and [C_in, C_out, 4, 4]), on NCHW tensors:
//!
//! - `native`: burn's own `conv2d` / `conv_transpose2d`. Fastest on `flex` (measure with
//!   `cargo run --release --example profile_layers`). When training on `flex`, `cpu` computes
//!   both layers instead (whole-batch matrix products).
//! - `matmul`: rewritten exactly as "gather shifted slices, then one matmul", with no
//!   multiplications by zero, using only slice, cat, reshape, permute and matmul. For backends
//!   whose convolution kernels are slow but whose matmul is fast, as burn 0.22's `ndarray`.
//!
//! The tests check that both paths agree with each other.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor, ops::PadMode};

/// DCGAN's weight initialisation: N(0, 0.02) (Radford et al., 2016).
pub fn dcgan_init() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}

/// Zero-pads the two spatial dims of an NHWC tensor by one on each side.
fn pad_hw(x: Tensor<4>) -> Tensor<4> {
    x.pad([(0, 0), (1, 1), (1, 1), (0, 0)], PadMode::Constant(0.0))
}

fn to_nhwc(x: Tensor<4>) -> Tensor<4> {
    x.permute([0, 2, 3, 1])
}

fn to_nchw(x: Tensor<4>) -> Tensor<4> {
    x.permute([0, 3, 1, 2])
}

/// A 4x4, stride 2, padding 1 convolution: [B, C, H, W] -> [B, C_out, H/2, W/2] (H, W even).
#[derive(Module, Debug)]
pub struct DownConv {
    /// [C_out, C_in, 4, 4]
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    /// Compute through one matmul instead of burn's convolution kernel.
    pub matmul: bool,
}

impl DownConv {
    pub fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        let fan_in = 16 * channels_in;
        DownConv {
            weight: dcgan_init().init_with(
                [channels_out, channels_in, 4, 4],
                Some(fan_in),
                Some(channels_out * 16),
                device,
            ),
            bias: Initializer::Zeros.init_with([channels_out], None, None, device),
            matmul: false,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_with(x, self.weight.val())
    }

    /// The layer with `weight` in place of its own (same shape): spectral normalisation's
    /// W / sigma (see `spectral`).
    pub fn forward_with(&self, x: Tensor<4>, weight: Tensor<4>) -> Tensor<4> {
        if self.matmul {
            return to_nchw(self.forward_matmul(to_nhwc(x), weight));
        }
        #[cfg(feature = "train")]
        if let Some(y) = super::cpu::down_conv(&x, &weight, &self.bias.val()) {
            return y;
        }
        conv2d(
            x,
            weight,
            Some(self.bias.val()),
            ConvOptions::new([2, 2], [1, 1], [1, 1], 1),
        )
    }

    /// NHWC in and out. After padding, a space-to-depth step folds each 2x2 block into
    /// channels; the stride-2 4x4 convolution is then a 2x2 stride-1 convolution: four
    /// shifted slices and one matmul against the kernel as [16 C (dy, dx, py, px, c), C_out],
    /// where tap (ky, kx) = (2 dy + py, 2 dx + px).
    fn forward_matmul(&self, x: Tensor<4>, weight: Tensor<4>) -> Tensor<4> {
        let [b, h, w, c] = x.dims();
        let [co, ..] = weight.dims();
        let (ho, wo) = (h / 2, w / 2);
        let s2d = pad_hw(x)
            .reshape([b, ho + 1, 2, wo + 1, 2, c])
            .permute([0, 1, 3, 2, 4, 5])
            .reshape([b, ho + 1, wo + 1, 4 * c]);
        let taps = [(0, 0), (0, 1), (1, 0), (1, 1)]
            .into_iter()
            .map(|(dy, dx)| {
                s2d.clone()
                    .slice([0..b, dy..dy + ho, dx..dx + wo, 0..4 * c])
            })
            .collect();
        let cols = Tensor::cat(taps, 3).reshape([b * ho * wo, 16 * c]);
        // [co, c, ky, kx] = [co, c, dy, py, dx, px] -> [dy, dx, py, px, c, co]
        let kernel = weight
            .reshape([co, c, 2, 2, 2, 2])
            .permute([2, 4, 3, 5, 1, 0])
            .reshape([16 * c, co]);
        let out = cols.matmul(kernel) + self.bias.val().unsqueeze_dim(0);
        out.reshape([b, ho, wo, co])
    }
}

/// Doubles the side: [B, C, H, W] -> [B, C_out, 2H, 2W], as a 4x4, stride 2, padding 1
/// transposed convolution, or (`Upsample::Resize`) as nearest-neighbour doubling followed by a
/// 3x3, padding 1 convolution.
///
/// The second is the first with a kernel its 9 taps determine. Along one axis, output 2i + a
/// of the resize-convolution reads the doubled input at 2i + a - 1 .. 2i + a + 1, that is
/// input i - 1 (tap 0) and i (taps 1, 2) for a = 0, and i (taps 0, 1) and i + 1 (tap 2) for
/// a = 1; the transposed convolution's kernel index k = o - 2 i' + 1 gives the same reads with
/// k = 3, 1 and 2, 0. So kernel entries 0..4 are the taps t2, t1 + t2, t0 + t1, t0, per axis
/// ([`resize_kernel_axis`]): the layer runs on every path the transposed convolution has, and
/// autodiff carries the gradient back through the sums to the 9 taps.
#[derive(Module, Debug)]
pub struct UpConv {
    /// [C_in, C_out, 4, 4], or the resize-convolution's taps [C_in, C_out, 3, 3].
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    /// Compute through one batched matmul instead of burn's transposed convolution kernel.
    pub matmul: bool,
}

/// Along axis `dim` of a [C_in, C_out, ., .] weight, the resize-convolution's 3 taps t as the
/// transposed convolution's 4 kernel entries (t2, t1 + t2, t0 + t1, t0) (see [`UpConv`]).
/// Slices, sums and one concatenation: cheaper than a product with the 0/1 matrix they mean,
/// whose inner dimension of 3 no matmul kernel uses well.
fn resize_kernel_axis(w: Tensor<4>, dim: usize) -> Tensor<4> {
    let tap = |i| w.clone().narrow(dim, i, 1);
    let (t0, t1, t2) = (tap(0), tap(1), tap(2));
    Tensor::cat(vec![t2.clone(), t1.clone() + t2, t0.clone() + t1, t0], dim)
}

impl UpConv {
    pub fn new(
        channels_in: usize,
        channels_out: usize,
        upsample: super::Upsample,
        device: &Device,
    ) -> Self {
        let taps = match upsample {
            super::Upsample::Transposed => 4,
            super::Upsample::Resize => 3,
        };
        UpConv {
            weight: dcgan_init().init_with(
                [channels_in, channels_out, taps, taps],
                Some(4 * channels_in),
                Some(channels_out * 16),
                device,
            ),
            bias: Initializer::Zeros.init_with([channels_out], None, None, device),
            matmul: false,
        }
    }

    /// The 4x4 transposed-convolution kernel [C_in, C_out, 4, 4]: the weight itself, or the
    /// one the resize-convolution's taps determine.
    pub fn kernel(&self) -> Tensor<4> {
        let w = self.weight.val();
        if w.dims()[2] == 4 {
            return w;
        }
        resize_kernel_axis(resize_kernel_axis(w, 3), 2)
    }

    /// The same layer with its kernel computed once: for a generator that only runs (every
    /// forward of a resize-convolution otherwise recomputes its kernel: a few small kernels per
    /// layer, on WebGPU as many dispatches). The result has a 4x4 weight, so it is not what a
    /// file of a resize-convolution model stores.
    pub fn baked(&self) -> UpConv {
        UpConv {
            weight: Param::from_tensor(self.kernel().detach()),
            ..self.clone()
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let kernel = self.kernel();
        if self.matmul {
            return to_nchw(self.forward_matmul(to_nhwc(x), kernel));
        }
        #[cfg(feature = "train")]
        if let Some(y) = super::cpu::up_conv(&x, &kernel, &self.bias.val()) {
            return y;
        }
        conv_transpose2d(
            x,
            kernel,
            Some(self.bias.val()),
            ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
        )
    }

    /// NHWC in and out. Each of the four output phases (even/odd row a, even/odd column b) is
    /// a 2x2 convolution of the padded input, so the layer is one batched matmul over the
    /// phases followed by an interleave. Phase (a, b), tap (ty, tx) reads the padded input at
    /// offset (a + ty, b + tx) with kernel entry (3 - a - 2 ty, 3 - b - 2 tx).
    fn forward_matmul(&self, x: Tensor<4>, kernel: Tensor<4>) -> Tensor<4> {
        let [b, h, w, c] = x.dims();
        let [_, co, ..] = kernel.dims();
        let padded = pad_hw(x);
        let mut phases = Vec::with_capacity(4);
        for a in 0..2 {
            for bb in 0..2 {
                let taps = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .into_iter()
                    .map(|(ty, tx)| {
                        let (y0, x0) = (a + ty, bb + tx);
                        padded.clone().slice([0..b, y0..y0 + h, x0..x0 + w, 0..c])
                    })
                    .collect();
                phases.push(Tensor::cat(taps, 3).reshape([b * h * w, 4 * c]));
            }
        }
        let cols: Tensor<3> = Tensor::stack(phases, 0); // [4, BHW, 4C]
        // Flipped kernel index 3 - k = 2 t + a: [c, co, (ty, a), (tx, b)] -> [a, b, ty, tx, c, co]
        let kernel = kernel
            .flip([2, 3])
            .reshape([c, co, 2, 2, 2, 2])
            .permute([3, 5, 2, 4, 0, 1])
            .reshape([4, 4 * c, co]);
        let out = cols.matmul(kernel); // [4, BHW, Co]
        // [a, b, B, H, W, Co] -> [B, H, a, W, b, Co]
        let out = out
            .reshape([2, 2, b, h, w, co])
            .permute([2, 3, 0, 4, 1, 5])
            .reshape([b, 2 * h, 2 * w, co]);
        out + self.bias.val().reshape([1, 1, 1, co])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    fn with_random_bias<const D: usize>(
        weight: Param<Tensor<D>>,
        cout: usize,
        dev: &Device,
    ) -> (Param<Tensor<D>>, Param<Tensor<1>>) {
        let w = weight.val();
        (
            Param::from_tensor(Tensor::random(
                w.shape(),
                Distribution::Normal(0.0, 1.0),
                dev,
            )),
            Param::from_tensor(Tensor::random([cout], Distribution::Default, dev)),
        )
    }

    #[test]
    fn down_conv_matmul_path_matches_burn_conv2d() {
        let dev = Device::flex();
        let (cin, cout) = (3, 5);
        let layer = DownConv::new(cin, cout, &dev);
        let (weight, bias) = with_random_bias(layer.weight, cout, &dev);
        let native = DownConv {
            weight,
            bias,
            matmul: false,
        };
        let matmul = DownConv {
            matmul: true,
            ..native.clone()
        };
        let x = Tensor::<4>::random([2, cin, 6, 8], Distribution::Normal(0.0, 1.0), &dev);
        let (a, b) = (native.forward(x.clone()), matmul.forward(x));
        assert_eq!(b.dims(), [2, cout, 3, 4]);
        b.into_data()
            .assert_approx_eq::<f32>(&a.into_data(), Tolerance::absolute(1e-4));
    }

    /// An [`UpConv`] with random weights and bias, on burn's kernel and on the matmul path.
    fn up_conv_on_both_paths(
        cin: usize,
        cout: usize,
        upsample: crate::model::Upsample,
        dev: &Device,
    ) -> (UpConv, UpConv) {
        let layer = UpConv::new(cin, cout, upsample, dev);
        let (weight, bias) = with_random_bias(layer.weight, cout, dev);
        let native = UpConv {
            weight,
            bias,
            matmul: false,
        };
        let matmul = UpConv {
            matmul: true,
            ..native.clone()
        };
        (native, matmul)
    }

    #[test]
    fn up_conv_matmul_path_matches_burn_conv_transpose2d() {
        let dev = Device::flex();
        let (cin, cout) = (4, 3);
        let (native, matmul) =
            up_conv_on_both_paths(cin, cout, crate::model::Upsample::Transposed, &dev);
        let x = Tensor::<4>::random([2, cin, 3, 5], Distribution::Normal(0.0, 1.0), &dev);
        let (a, b) = (native.forward(x.clone()), matmul.forward(x));
        assert_eq!(b.dims(), [2, cout, 6, 10]);
        b.into_data()
            .assert_approx_eq::<f32>(&a.into_data(), Tolerance::absolute(1e-4));
    }

    /// Nearest-neighbour doubling then a 3x3 convolution, with burn's own operations.
    fn resize_then_convolve(x: Tensor<4>, taps: Tensor<4>, bias: Tensor<1>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let doubled = x
            .reshape([b, c, h, 1, w, 1])
            .expand([b, c, h, 2, w, 2])
            .reshape([b, c, 2 * h, 2 * w]);
        // [C_in, C_out, 3, 3] -> conv2d's [C_out, C_in, 3, 3]
        conv2d(
            doubled,
            taps.swap_dims(0, 1),
            Some(bias),
            ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
        )
    }

    #[test]
    fn the_resize_convolution_is_nearest_doubling_then_a_3x3_convolution_on_every_path() {
        let dev = Device::flex();
        let (cin, cout) = (4, 3);
        let (native, matmul) =
            up_conv_on_both_paths(cin, cout, crate::model::Upsample::Resize, &dev);
        assert_eq!(native.weight.dims(), [cin, cout, 3, 3]);
        let x = Tensor::<4>::random([2, cin, 3, 5], Distribution::Normal(0.0, 1.0), &dev);
        let want = resize_then_convolve(x.clone(), native.weight.val(), native.bias.val());
        assert_eq!(want.dims(), [2, cout, 6, 10]);
        for layer in [native, matmul] {
            layer
                .forward(x.clone())
                .into_data()
                .assert_approx_eq::<f32>(&want.clone().into_data(), Tolerance::absolute(1e-4));
        }
    }
}
