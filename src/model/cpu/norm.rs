//! The generator's batch norm and the ReLU after it as one pass forward and one backward, for
//! the plain layer (a scale and a shift per channel) and the conditional one (per sample and
//! channel, from the class). burn's default composes batch norm in training from reductions
//! over transposed copies and a dozen elementwise passes, and the ReLU after it is another two:
//! this forward is several times faster than burn's for the digits generator (`webgan bench`);
//! forward and backward together are about even (the backward is bound by reading x and dy).
//! The forward also runs in every D step.
//!
//! Per channel c over its N = B x H x W values: mean μ, biased variance σ², inv = 1/√(σ² + ε),
//! x̂ = (x − μ) inv, y = max(0, γ[b] x̂ + β[b]) (γ and β the same for every sample b in the
//! plain layer). Backward, with g = dy where y > 0 (else 0), per sample b and channel c:
//! dβ[b] = Σ g, dγ[b] = Σ g x̂ over the plane; per channel S₁ = Σ_b γ[b] dβ[b],
//! S₂ = Σ_b γ[b] dγ[b], and dx = inv (γ[b] g − S₁/N − x̂ S₂/N). The plain layer's dβ and dγ
//! are the sums over b. The running statistics move as in burn's `BatchNorm` (momentum
//! towards the batch's mean and biased variance).

use burn::backend::Flex;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::nn::BatchNorm;
use burn::tensor::{Tensor, TensorData};

use super::{CpuAutodiff, for_each_chunk, on_cpu_autodiff};
use crate::model::move_running_statistics;

/// relu(bn(x)) for `x` [B, C, H, W] with the batch's statistics, updating `bn`'s running
/// statistics as burn's `BatchNorm::forward` does in training; `None` where burn's path
/// serves: another backend, no autodiff, or a layer in inference mode (`Module::valid`).
pub fn batch_norm_relu(bn: &BatchNorm, x: &Tensor<4>) -> Option<Tensor<4>> {
    norm_relu(bn, x, &bn.gamma.val(), &bn.beta.val())
}

/// relu(x̂ γ[b] + β[b]) for `x` [B, C, H, W] with a scale and a shift per sample and channel
/// (`gamma`, `beta`: [B, C]; the generator's conditional batch norm), x̂ normalised with the
/// batch's statistics, which move `bn`'s running statistics as [`batch_norm_relu`] does;
/// `None` where burn's path serves.
pub fn class_batch_norm_relu(
    bn: &BatchNorm,
    x: &Tensor<4>,
    gamma: &Tensor<2>,
    beta: &Tensor<2>,
) -> Option<Tensor<4>> {
    norm_relu(bn, x, gamma, beta)
}

/// Both layers: `gamma` and `beta` hold C values (plain) or B x C (conditional).
fn norm_relu<const D: usize>(
    bn: &BatchNorm,
    x: &Tensor<4>,
    gamma: &Tensor<D>,
    beta: &Tensor<D>,
) -> Option<Tensor<4>> {
    if !bn.training.is_enabled() {
        return None;
    }
    let [x_ad] = on_cpu_autodiff([x])?;
    let [gamma_ad, beta_ad] = on_cpu_autodiff([gamma, beta])?;
    let xs = x_ad.primitive().to_contiguous();
    let [batch, channels, h, w] = dims(&xs);
    let plane = h * w;
    let gamma_v = floats(gamma_ad.primitive());
    let beta_v = floats(beta_ad.primitive());
    let per_sample = match gamma_v.len() {
        n if n == channels && D == 1 => false,
        n if n == batch * channels && D == 2 => true,
        _ => return None,
    };
    if beta_v.len() != gamma_v.len() {
        return None;
    }
    let (mean, var) = channel_stats(xs.storage(), batch, channels, plane);
    let inv: Vec<f32> = var
        .iter()
        .map(|&v| 1.0 / (v + bn.epsilon as f32).sqrt())
        .collect();
    // y = max(0, x scale + shift) with scale = γ inv and shift = β − μ γ inv, per sample and
    // channel ([B, C], row-major).
    let affine = Affine::new(per_sample, channels, gamma_v);
    let mut scale = vec![0f32; batch * channels];
    let mut shift = vec![0f32; batch * channels];
    for b in 0..batch {
        for c in 0..channels {
            let i = b * channels + c;
            scale[i] = affine.gamma(b, c) * inv[c];
            shift[i] = beta_v[affine.index(b, c)] - mean[c] * scale[i];
        }
    }

    let src: &[f32] = xs.storage();
    let mut y = vec![0f32; src.len()];
    for_each_chunk(&mut y, channels * plane, |b, y| {
        let x = &src[b * channels * plane..][..channels * plane];
        for c in 0..channels {
            let (s, t) = (scale[b * channels + c], shift[b * channels + c]);
            let (x, y) = (&x[c * plane..][..plane], &mut y[c * plane..][..plane]);
            for (y, &x) in y.iter_mut().zip(x) {
                *y = (x * s + t).max(0.0);
            }
        }
    });
    let output = FlexTensor::from_data(TensorData::new(y, [batch, channels, h, w]));
    let output = match NormReluBackward
        .prepare::<NoCheckpointing>([x_ad.node(), gamma_ad.node(), beta_ad.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let x_state = prep.checkpoint(&x_ad);
            let state = NormState {
                x: x_state,
                mean: mean.clone(),
                inv,
                affine,
                scale,
                shift,
            };
            prep.finish(state, output)
        }
        OpsKind::UnTracked(prep) => prep.finish(output),
    };

    let device = x.device();
    let tensor = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [channels]), &device);
    move_running_statistics(bn, tensor(mean), tensor(var));
    Some(Tensor::from_primitive::<CpuAutodiff>(output))
}

/// γ, shared by every sample (the plain layer) or one row per sample (the conditional one).
#[derive(Clone, Debug)]
struct Affine {
    per_sample: bool,
    channels: usize,
    gamma: Vec<f32>,
}

impl Affine {
    fn new(per_sample: bool, channels: usize, gamma: Vec<f32>) -> Self {
        Self {
            per_sample,
            channels,
            gamma,
        }
    }

    /// Where sample b's channel c sits in γ and β.
    fn index(&self, b: usize, c: usize) -> usize {
        if self.per_sample {
            b * self.channels + c
        } else {
            c
        }
    }

    fn gamma(&self, b: usize, c: usize) -> f32 {
        self.gamma[self.index(b, c)]
    }

    /// γ's and β's gradients from the per-sample ones ([B, C]): as they are, or summed over
    /// the batch for the plain layer.
    fn reduce(&self, per_sample: Vec<f32>) -> (Vec<f32>, Vec<usize>) {
        let c = self.channels;
        let batch = per_sample.len() / c;
        if self.per_sample {
            return (per_sample, vec![batch, c]);
        }
        let mut sums = vec![0f64; c];
        for row in per_sample.chunks_exact(c) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v as f64;
            }
        }
        (sums.into_iter().map(|s| s as f32).collect(), vec![c])
    }
}

/// Each channel's mean and biased variance (two passes; f32 sums within a sample's plane,
/// f64 across them), parallel over channels.
fn channel_stats(x: &[f32], batch: usize, channels: usize, plane: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (batch * plane) as f64;
    let mut stats = vec![0f32; 2 * channels];
    for_each_chunk(&mut stats, 2, |c, out| {
        let blocks = || (0..batch).map(|b| &x[(b * channels + c) * plane..][..plane]);
        let sum: f64 = blocks().map(|p| lane_sums(p, p, |x, _| [x, 0.0])[0]).sum();
        let mean = sum / n;
        let m = mean as f32;
        let squares: f64 = blocks()
            .map(|p| lane_sums(p, p, |x, _| [(x - m) * (x - m), 0.0])[0])
            .sum();
        out[0] = m;
        out[1] = (squares / n) as f32;
    });
    (
        stats.iter().step_by(2).copied().collect(),
        stats.iter().skip(1).step_by(2).copied().collect(),
    )
}

/// The two sums Σ f(a_i, b_i) over equal-length slices, in eight lanes so that the compiler
/// can vectorise them (a plain running sum of floats is a chain it may not reorder); the
/// lanes are added in f64.
#[inline(always)]
fn lane_sums(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> [f32; 2]) -> [f64; 2] {
    let mut acc = [[0f32; 8]; 2];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (a, b) in ca.zip(cb) {
        for k in 0..8 {
            let [u, v] = f(a[k], b[k]);
            acc[0][k] += u;
            acc[1][k] += v;
        }
    }
    let mut total = [0f64; 2];
    for (a, b) in ra.iter().zip(rb) {
        let [u, v] = f(*a, *b);
        total[0] += u as f64;
        total[1] += v as f64;
    }
    for (t, lanes) in total.iter_mut().zip(acc) {
        *t += lanes.iter().map(|&v| v as f64).sum::<f64>();
    }
    total
}

fn floats(t: &FlexTensor) -> Vec<f32> {
    t.to_contiguous().storage::<f32>().to_vec()
}

fn dims(t: &FlexTensor) -> [usize; 4] {
    let s = t.layout().shape();
    [s[0], s[1], s[2], s[3]]
}

/// What the backward pass needs: x (checkpointed), the per-channel statistics, γ, and the
/// forward's scale and shift per sample and channel.
#[derive(Clone, Debug)]
struct NormState {
    x: NodeId,
    mean: Vec<f32>,
    inv: Vec<f32>,
    affine: Affine,
    scale: Vec<f32>,
    shift: Vec<f32>,
}

#[derive(Debug)]
struct NormReluBackward;

impl Backward<Flex, 3> for NormReluBackward {
    type State = NormState;

    fn backward(
        self,
        ops: Ops<NormState, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let s = ops.state;
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(s.x)
            .to_contiguous();
        let [batch, channels, h, w] = dims(&x);
        let plane = h * w;
        let (x, dy): (&[f32], &[f32]) = (x.storage(), dy.storage());
        // Per sample and channel, [dβ, dγ] with dγ = Σ g x̂ = inv (Σ g x − μ Σ g), g the
        // upstream gradient where the ReLU passed it; parallel over the batch.
        let mut sums = vec![0f32; batch * 2 * channels];
        for_each_chunk(&mut sums, 2 * channels, |b, out| {
            for c in 0..channels {
                let (sc, sh) = (s.scale[b * channels + c], s.shift[b * channels + c]);
                let start = (b * channels + c) * plane;
                let (x, dy) = (&x[start..][..plane], &dy[start..][..plane]);
                let [g, gx] = lane_sums(x, dy, |x, dy| {
                    let g = if x * sc + sh > 0.0 { dy } else { 0.0 };
                    [g, g * x]
                });
                out[2 * c] = g as f32;
                out[2 * c + 1] = ((gx - s.mean[c] as f64 * g) * s.inv[c] as f64) as f32;
            }
        });
        let dbeta: Vec<f32> = sums.iter().step_by(2).copied().collect();
        let dgamma: Vec<f32> = sums.iter().skip(1).step_by(2).copied().collect();
        if let Some(node) = node_x {
            // With k = γ inv (the forward's scale, per sample): T₁ = Σ_b k dβ = inv S₁ and
            // T₂ = Σ_b k dγ = inv S₂ per channel, so dx = k g + u (x − μ) + v with
            // u = −inv T₂/N and v = −T₁/N. Summing the same f32 products k·dβ that k·g makes
            // lets the two cancel exactly where they should (one value per channel: x̂ = 0,
            // dx = 0), where inv is large and any other rounding would be amplified.
            let (mut t1, mut t2) = (vec![0f64; channels], vec![0f64; channels]);
            for b in 0..batch {
                for c in 0..channels {
                    let i = b * channels + c;
                    let k = s.scale[i] as f64;
                    t1[c] += k * dbeta[i] as f64;
                    t2[c] += k * dgamma[i] as f64;
                }
            }
            let n = (batch * plane) as f64;
            let u: Vec<f32> = (0..channels)
                .map(|c| (-(s.inv[c] as f64) * t2[c] / n) as f32)
                .collect();
            let v: Vec<f32> = (0..channels).map(|c| (-t1[c] / n) as f32).collect();
            let mut dx = vec![0f32; x.len()];
            for_each_chunk(&mut dx, channels * plane, |b, dx| {
                for c in 0..channels {
                    let (k, sh) = (s.scale[b * channels + c], s.shift[b * channels + c]);
                    let (u, v, m) = (u[c], v[c], s.mean[c]);
                    let start = (b * channels + c) * plane;
                    let (x, dy) = (&x[start..][..plane], &dy[start..][..plane]);
                    for ((d, &x), &dy) in dx[c * plane..][..plane].iter_mut().zip(x).zip(dy) {
                        let g = if x * k + sh > 0.0 { dy } else { 0.0 };
                        *d = k * g + u * (x - m) + v;
                    }
                }
            });
            let shape = [batch, channels, h, w];
            grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(dx, shape)));
        }
        for (node, per_sample) in [(node_gamma, dgamma), (node_beta, dbeta)] {
            if let Some(node) = node {
                let (values, shape) = s.affine.reduce(per_sample);
                grads.register::<Flex>(
                    node.id,
                    FlexTensor::from_data(TensorData::new(values, shape)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::BatchNormConfig;
    use burn::tensor::activation::relu;
    use burn::tensor::module::batch_norm_train;
    use burn::tensor::{Device, Distribution, Tensor, Tolerance};

    use super::super::agreement::{same_grad, same_values};

    #[test]
    fn matches_burn_forward_backward_and_running_statistics() {
        let dev = Device::flex().autodiff();
        for shape in [[5, 3, 7, 7], [2, 16, 14, 6], [1, 2, 1, 1]] {
            let x = Tensor::<4>::random(shape, Distribution::Normal(0.5, 2.), &dev).require_grad();
            // Non-trivial γ and β, so that the ReLU cuts in different places per channel.
            let mut ours_bn = BatchNormConfig::new(shape[1]).init(&dev);
            let c = shape[1];
            ours_bn.gamma = ours_bn
                .gamma
                .map(|_| Tensor::random([c], Distribution::Uniform(0.5, 1.5), &dev).require_grad());
            ours_bn.beta = ours_bn.beta.map(|_| {
                Tensor::random([c], Distribution::Uniform(-0.5, 0.5), &dev).require_grad()
            });
            // Not a clone: clones share their running statistics.
            let mut theirs_bn = BatchNormConfig::new(c).init(&dev);
            theirs_bn.gamma = ours_bn.gamma.clone();
            theirs_bn.beta = ours_bn.beta.clone();
            let ours = super::batch_norm_relu(&ours_bn, &x).expect("flex under autodiff");
            let theirs = relu(theirs_bn.forward(x.clone()));
            let grads = same_values(&ours, &theirs);
            same_grad(&x, &grads);
            same_grad(&ours_bn.gamma.val(), &grads);
            same_grad(&ours_bn.beta.val(), &grads);
            let fresh = BatchNormConfig::new(c).init(&dev);
            for (a, b, init) in [
                (
                    ours_bn.running_mean.value_sync(),
                    theirs_bn.running_mean.value_sync(),
                    fresh.running_mean.value(),
                ),
                (
                    ours_bn.running_var.value_sync(),
                    theirs_bn.running_var.value_sync(),
                    fresh.running_var.value(),
                ),
            ] {
                let moved: f32 = (a.clone() - init).abs().max().into_scalar();
                assert!(moved > 1e-3, "the running statistics moved");
                a.into_data()
                    .assert_approx_eq::<f32>(&b.into_data(), Tolerance::rel_abs(1e-5, 1e-6));
            }
        }
    }

    #[test]
    fn the_conditional_layer_matches_burn_forward_backward_and_running_statistics() {
        let dev = Device::flex().autodiff();
        for shape in [[5, 3, 7, 7], [2, 16, 14, 6], [1, 2, 1, 1]] {
            let [b, c, _, _] = shape;
            let x = Tensor::<4>::random(shape, Distribution::Normal(0.5, 2.), &dev).require_grad();
            // A scale and a shift per sample, so that the ReLU cuts in different places.
            let gamma =
                Tensor::<2>::random([b, c], Distribution::Uniform(0.5, 1.5), &dev).require_grad();
            let beta =
                Tensor::<2>::random([b, c], Distribution::Uniform(-0.5, 0.5), &dev).require_grad();
            let (ours_bn, theirs_bn) = (
                BatchNormConfig::new(c).init(&dev),
                BatchNormConfig::new(c).init(&dev),
            );
            let ours = super::class_batch_norm_relu(&ours_bn, &x, &gamma, &beta)
                .expect("flex under autodiff");
            let normalised = batch_norm_train(
                x.clone(),
                Tensor::ones([c], &dev),
                Tensor::zeros([c], &dev),
                theirs_bn.epsilon,
            )
            .output;
            let theirs = relu(
                normalised * gamma.clone().reshape([b, c, 1, 1])
                    + beta.clone().reshape([b, c, 1, 1]),
            );
            let grads = same_values(&ours, &theirs);
            same_grad(&x, &grads);
            same_grad(&gamma, &grads);
            same_grad(&beta, &grads);
            // The running statistics move as burn's layer moves them on the same batch.
            let _ = theirs_bn.forward(x.clone().detach());
            for (a, b) in [
                (
                    ours_bn.running_mean.value_sync(),
                    theirs_bn.running_mean.value_sync(),
                ),
                (
                    ours_bn.running_var.value_sync(),
                    theirs_bn.running_var.value_sync(),
                ),
            ] {
                a.into_data()
                    .assert_approx_eq::<f32>(&b.into_data(), Tolerance::rel_abs(1e-5, 1e-6));
            }
        }
    }

    #[test]
    fn a_frozen_layer_or_plain_flex_takes_burns_path() {
        let x = Tensor::<4>::zeros([2, 3, 2, 2], &Device::flex());
        let bn = BatchNormConfig::new(3).init(&Device::flex());
        assert!(super::batch_norm_relu(&bn, &x).is_none());
        // In inference (`valid`), burn's BatchNorm uses its running statistics: so do we.
        let dev = Device::flex().autodiff();
        let inference = BatchNormConfig::new(3).init(&dev).valid();
        let x = Tensor::<4>::zeros([2, 3, 2, 2], &dev);
        assert!(super::batch_norm_relu(&inference, &x).is_none());
        assert!(super::batch_norm_relu(&BatchNormConfig::new(3).init(&dev), &x).is_some());
        let affine = Tensor::<2>::ones([2, 3], &dev);
        assert!(super::class_batch_norm_relu(&inference, &x, &affine, &affine).is_none());
        let plain = Tensor::<4>::zeros([2, 3, 2, 2], &Device::flex());
        let plain_affine = Tensor::<2>::ones([2, 3], &Device::flex());
        let bn = BatchNormConfig::new(3).init(&Device::flex());
        assert!(super::class_batch_norm_relu(&bn, &plain, &plain_affine, &plain_affine).is_none());
    }
}
