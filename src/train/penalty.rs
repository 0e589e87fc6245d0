//! Penalties on D's input gradient (WGAN-GP's, R1) with first-order autodiff only.

use burn::module::Module;
use burn::tensor::{Int, Tensor};

use crate::model::Discriminator;

/// Step of the central difference in [`gradient_penalty`].
const GP_DIFF_STEP: f32 = 1e-2;

/// WGAN-GP's penalty E[(||grad_x D(x_hat)|| - 1)^2] at the interpolates
/// x_hat = eps * real + (1 - eps) * fake (`eps`: [batch, 1], one per sample). The interpolates
/// are not augmented: the penalty keeps D smooth on images as they are.
///
/// burn has no second-order autodiff, so the gradient norm cannot be differentiated
/// directly. Instead: a first backward pass gives g = grad D(x_hat) as a constant; with
/// u = g / ||g||, the directional derivative u . grad D(x_hat) equals ||g||, and its
/// parameter gradient equals that of ||grad D|| exactly (d||g|| = u . dg). That directional
/// derivative is taken as a central difference (D(x_hat + h u) - D(x_hat - h u)) / 2h,
/// which is differentiable with first-order autodiff and exact up to O(h^2) (exact where D
/// is piecewise linear and no kink lies within h, as with LeakyReLU networks).
pub fn gradient_penalty(
    d: &Discriminator,
    real_x: &Tensor<2>,
    real_labels: &Option<Tensor<1, Int>>,
    fake: &Tensor<2>,
    eps: Tensor<2>,
) -> Tensor<1> {
    let x_hat = (real_x.clone() * eps.clone() + fake.clone() * (eps.neg() + 1.0)).detach();
    (input_gradient_norm(d, x_hat, real_labels) - 1.0)
        .powi_scalar(2)
        .mean()
}

/// R1 (Mescheder et al., 2018): E ||grad_x D(x)||^2 at the real images, unweighted; its
/// gradient norm taken as in [`gradient_penalty`], so that the parameter gradient is the exact
/// penalty's (d||g||^2 = 2 ||g|| d||g||) up to O(h^2).
pub fn r1(
    d: &Discriminator,
    real_x: &Tensor<2>,
    real_labels: &Option<Tensor<1, Int>>,
) -> Tensor<1> {
    input_gradient_norm(d, real_x.clone().detach(), real_labels)
        .powi_scalar(2)
        .mean()
}

/// ||grad_x D(x)|| per sample, differentiable with respect to D's parameters (see
/// [`gradient_penalty`]).
fn input_gradient_norm(
    d: &Discriminator,
    x: Tensor<2>,
    labels: &Option<Tensor<1, Int>>,
) -> Tensor<1> {
    let direction = input_gradient_direction(&d.clone().no_grad(), x.clone(), labels.clone());
    let step = direction * GP_DIFF_STEP;
    let plus = d.forward(x.clone() + step.clone(), labels.clone());
    let minus = d.forward(x - step, labels.clone());
    (plus - minus) / (2.0 * GP_DIFF_STEP)
}

/// grad_x D(x) / ||grad_x D(x)|| per sample, as a constant (detached) tensor.
pub fn input_gradient_direction(
    d: &Discriminator,
    x: Tensor<2>,
    labels: Option<Tensor<1, Int>>,
) -> Tensor<2> {
    let x = x.detach().require_grad();
    let grads = d.forward(x.clone(), labels).sum().backward();
    let g = x
        .grad(&grads)
        .expect("the input requires grad, so it has a gradient");
    let norm = g.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    Tensor::from_inner((g / norm).detach()).detach()
}
