//! GAN losses, all computed from raw discriminator outputs (logits), never from probabilities:
//! `softplus` is written in its overflow-free form, so no loss is ever log(0).

use burn::tensor::activation::{log_softmax, relu, sigmoid};
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

/// Which adversarial objective to train with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum GanLoss {
    /// Goodfellow et al.'s original game: G minimises log(1 - D(G(z))). Saturates early on.
    Minimax,
    /// The usual choice: G maximises log D(G(z)) instead, which has strong gradients early on.
    #[default]
    NonSaturating,
    /// Wasserstein critic with a gradient penalty (Gulrajani et al., 2017).
    WganGp,
    /// Hinge loss (Lim & Ye, 2017; used by SAGAN and BigGAN).
    Hinge,
}

impl GanLoss {
    pub const ALL: [GanLoss; 4] = [
        GanLoss::Minimax,
        GanLoss::NonSaturating,
        GanLoss::WganGp,
        GanLoss::Hinge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GanLoss::Minimax => "minimax",
            GanLoss::NonSaturating => "non-saturating",
            GanLoss::WganGp => "wgan-gp",
            GanLoss::Hinge => "hinge",
        }
    }

    /// Whether D's outputs are logits of a probability (so label smoothing and D(x) as a
    /// probability make sense) rather than unbounded critic scores.
    pub fn is_probabilistic(self) -> bool {
        matches!(self, GanLoss::Minimax | GanLoss::NonSaturating)
    }

    /// The discriminator's loss (a [1] tensor) from its logits on real and fake samples.
    /// `real_target` is 1, or less for one-sided label smoothing (probabilistic losses only).
    /// For WGAN-GP this is the critic term only; the trainer adds the penalty.
    pub fn discriminator(self, real: Tensor<1>, fake: Tensor<1>, real_target: f32) -> Tensor<1> {
        match self {
            GanLoss::Minimax | GanLoss::NonSaturating => {
                bce_with_logits(real, real_target).mean() + bce_with_logits(fake, 0.0).mean()
            }
            GanLoss::Hinge => relu(-real + 1.0).mean() + relu(fake + 1.0).mean(),
            GanLoss::WganGp => fake.mean() - real.mean(),
        }
    }

    /// [`GanLoss::discriminator`] as the trainer takes it: on D's logits over real and fake
    /// samples in one tensor (`signs[i]` is 1 where sample i is real, -1 where it is fake;
    /// as many of each), with its gradient with respect to `logits` in closed form (see
    /// [`with_gradient`]). Same value, same gradient; far fewer GPU kernels.
    pub fn discriminator_joint(
        self,
        logits: Tensor<1>,
        signs: Tensor<1>,
        real_target: f32,
    ) -> Tensor<1> {
        let [n] = logits.dims();
        let per = 1.0 / (n / 2).max(1) as f32;
        let (x, s) = (logits.clone().detach(), signs.detach());
        let (terms, grad) = match self {
            GanLoss::Minimax | GanLoss::NonSaturating => {
                // The target: real_target on real samples, 0 on fake ones.
                let y = (s + 1.0) * (real_target / 2.0);
                let terms = (softplus(x.clone()) - x.clone() * y.clone()) * per;
                (terms, (sigmoid(x) - y) * per)
            }
            GanLoss::Hinge => {
                // relu(1 - x) on real samples, relu(1 + x) on fake ones.
                let margin = -(x * s.clone()) + 1.0;
                let active = margin
                    .ones_like()
                    .mask_fill(margin.clone().lower_equal_elem(0.0), 0.0);
                (relu(margin) * per, -(s * active) * per)
            }
            GanLoss::WganGp => (-(x * s.clone()) * per, -s * per),
        };
        with_gradient(logits, terms, grad)
    }

    /// [`GanLoss::generator`] with its gradient in closed form where that saves kernels (the
    /// logistic losses, whose softplus records relu and abs; see [`with_gradient`]).
    pub fn generator_with_gradient(self, fake: Tensor<1>) -> Tensor<1> {
        let [n] = fake.dims();
        let per = 1.0 / n.max(1) as f32;
        let x = fake.clone().detach();
        match self {
            // d/dx softplus(-x) = -sigmoid(-x) = sigmoid(x) - 1
            GanLoss::NonSaturating => {
                let terms = softplus(-x.clone()) * per;
                with_gradient(fake, terms, (sigmoid(x) - 1.0) * per)
            }
            // d/dx -softplus(x) = -sigmoid(x)
            GanLoss::Minimax => {
                let terms = -softplus(x.clone()) * per;
                with_gradient(fake, terms, -sigmoid(x) * per)
            }
            // -mean(x): its recorded backward is one broadcast already.
            GanLoss::Hinge | GanLoss::WganGp => self.generator(fake),
        }
    }

    /// The generator's loss (a [1] tensor) from D's logits on fake samples.
    pub fn generator(self, fake: Tensor<1>) -> Tensor<1> {
        match self {
            // minimise log(1 - sigmoid(f)) = -softplus(f)
            GanLoss::Minimax => -softplus(fake).mean(),
            // minimise -log(sigmoid(f)) = softplus(-f)
            GanLoss::NonSaturating => softplus(-fake).mean(),
            GanLoss::Hinge | GanLoss::WganGp => -fake.mean(),
        }
    }
}

impl std::fmt::Display for GanLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The sum of `terms` (a loss, term by term) as a [1] tensor whose gradient with respect to
/// `x` is `grad` (`terms` and `grad` computed from `x` detached). Autodiff would record the
/// losses' own operations, and on a GPU the backward passes of relu, abs and slicing are
/// kernels that fusion cannot merge (masks, zero fills, slice assignments); here forward and
/// backward are elementwise work that fuses, and one reduction: x * grad - (x * grad) is
/// exactly 0 in value, and its gradient is `grad`.
fn with_gradient(x: Tensor<1>, terms: Tensor<1>, grad: Tensor<1>) -> Tensor<1> {
    let linear = x * grad.detach();
    (linear.clone() - linear.detach() + terms.detach()).sum_dim(0)
}

/// The mean cross-entropy of softmax(`logits`) ([B, classes]) against `labels` ([B]), as a
/// [1] tensor: the auxiliary classifier's loss.
pub fn class_cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let [b, _] = logits.dims();
    let picked = log_softmax(logits, 1).gather(1, labels.reshape([b, 1]));
    -picked.mean()
}

/// log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
pub fn softplus<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    relu(x.clone()) + x.abs().neg().exp().log1p()
}

/// Binary cross-entropy of sigmoid(x) against `target`, elementwise: softplus(x) - target * x.
pub fn bce_with_logits<const D: usize>(x: Tensor<D>, target: f32) -> Tensor<D> {
    softplus(x.clone()) - x * target
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn t(values: &[f32]) -> Tensor<1> {
        Tensor::from_floats(values, &Device::flex())
    }

    #[test]
    fn class_cross_entropy_is_the_mean_negative_log_softmax_of_the_label() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_floats([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0]], &device);
        let labels = Tensor::<1, Int>::from_ints([0, 1], &device);
        let got = crate::inference::read_floats(class_cross_entropy(logits, labels)).unwrap();
        let e = std::f32::consts::E;
        let first = -(e.powi(2) / (e.powi(2) + 2.0)).ln();
        let second = -(e / (1.0 + e + e.powi(3))).ln();
        let want = (first + second) / 2.0;
        assert!((got[0] - want).abs() < 1e-5, "{} vs {want}", got[0]);
    }

    fn scalar(x: Tensor<1>) -> f32 {
        x.into_data().try_to_vec::<f32>().unwrap()[0]
    }

    fn sp(x: f64) -> f64 {
        (1.0 + x.exp()).ln()
    }

    #[test]
    fn softplus_is_stable_and_exact() {
        let out: Vec<f32> = softplus(t(&[-100.0, -1.0, 0.0, 2.0, 100.0]))
            .into_data()
            .try_to_vec()
            .unwrap();
        let expected = [0.0, sp(-1.0), 2f64.ln(), sp(2.0), 100.0];
        for (o, e) in out.iter().zip(expected) {
            assert!((*o as f64 - e).abs() < 1e-5, "{o} vs {e}");
        }
    }

    #[test]
    fn bce_losses_match_hand_computed_values() {
        // D logits: real [2, -1], fake [0.5, -3].
        let (real, fake) = ([2.0f32, -1.0], [0.5f32, -3.0]);
        // D: mean(-log sig(r)) + mean(-log(1 - sig(f))) = mean(sp(-r)) + mean(sp(f))
        let d = (sp(-2.0) + sp(1.0)) / 2.0 + (sp(0.5) + sp(-3.0)) / 2.0;
        let got = scalar(GanLoss::NonSaturating.discriminator(t(&real), t(&fake), 1.0));
        assert!((got as f64 - d).abs() < 1e-5, "{got} vs {d}");
        assert_eq!(
            scalar(GanLoss::Minimax.discriminator(t(&real), t(&fake), 1.0)),
            got,
            "minimax and non-saturating share D's loss"
        );
        // G, non-saturating: mean(-log sig(f)) = mean(sp(-f))
        let g_ns = (sp(-0.5) + sp(3.0)) / 2.0;
        let got = scalar(GanLoss::NonSaturating.generator(t(&fake)));
        assert!((got as f64 - g_ns).abs() < 1e-5);
        // G, minimax: mean(log(1 - sig(f))) = -mean(sp(f))
        let g_mm = -(sp(0.5) + sp(-3.0)) / 2.0;
        let got = scalar(GanLoss::Minimax.generator(t(&fake)));
        assert!((got as f64 - g_mm).abs() < 1e-5);
    }

    #[test]
    fn label_smoothing_targets_less_than_one() {
        // BCE against 0.9: 0.9 sp(-x) + 0.1 sp(x), for x = 2.
        let expected = 0.9 * sp(-2.0) + 0.1 * sp(2.0);
        let got = scalar(bce_with_logits(t(&[2.0]), 0.9));
        assert!((got as f64 - expected).abs() < 1e-5, "{got} vs {expected}");
        let with = scalar(GanLoss::NonSaturating.discriminator(t(&[2.0]), t(&[-2.0]), 0.9));
        let without = scalar(GanLoss::NonSaturating.discriminator(t(&[2.0]), t(&[-2.0]), 1.0));
        assert!(with > without, "smoothing penalises a confident D");
    }

    #[test]
    fn hinge_and_wasserstein_match_hand_computed_values() {
        let (real, fake) = ([2.0f32, 0.5], [-0.5f32, 1.0]);
        // hinge D: mean(relu(1 - r)) + mean(relu(1 + f)) = (0 + 0.5)/2 + (0.5 + 2)/2 = 1.5
        let got = scalar(GanLoss::Hinge.discriminator(t(&real), t(&fake), 1.0));
        assert!((got - 1.5).abs() < 1e-6, "{got}");
        // WGAN critic: mean(f) - mean(r) = 0.25 - 1.25 = -1
        let got = scalar(GanLoss::WganGp.discriminator(t(&real), t(&fake), 1.0));
        assert!((got + 1.0).abs() < 1e-6, "{got}");
        // G for both: -mean(f) = -0.25
        for loss in [GanLoss::Hinge, GanLoss::WganGp] {
            let got = scalar(loss.generator(t(&fake)));
            assert!((got + 0.25).abs() < 1e-6, "{loss}: {got}");
        }
    }

    /// Value and gradient of `loss` with respect to `leaves`, concatenated in order.
    #[cfg(feature = "train")]
    fn value_and_gradient(loss: Tensor<1>, leaves: &[Tensor<1>]) -> (f32, Vec<f32>) {
        let value = scalar(loss.clone());
        let grads = loss.backward();
        let grad = leaves
            .iter()
            .flat_map(|x| {
                x.grad(&grads)
                    .unwrap()
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap()
            })
            .collect();
        (value, grad)
    }

    #[cfg(feature = "train")]
    fn assert_close(what: &str, a: (f32, Vec<f32>), b: (f32, Vec<f32>)) {
        let close = |x: f32, y: f32| (x - y).abs() <= 1e-5 * x.abs().max(1.0);
        assert!(close(a.0, b.0), "{what}: value {} vs {}", a.0, b.0);
        for (x, y) in a.1.iter().zip(&b.1) {
            assert!(close(*x, *y), "{what}: gradient {:?} vs {:?}", a.1, b.1);
        }
    }

    /// The closed-form gradients the trainer uses are autodiff's of the plain formulas, for
    /// every loss, with and without label smoothing, on logits large enough to saturate.
    #[cfg(feature = "train")]
    #[test]
    fn closed_form_gradients_are_the_recorded_ones() {
        let device = Device::flex().autodiff();
        let leaf = |v: &[f32]| Tensor::<1>::from_floats(v, &device).require_grad();
        // No logit at a hinge kink (+-1), where either side's slope would do.
        let (real, fake) = ([2.0f32, -1.5, 0.3, -40.0], [0.5f32, -3.0, 60.0, 1.5]);
        let signs = Tensor::<1>::from_floats([1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0], &device);
        for loss in GanLoss::ALL {
            for target in [1.0, 0.9] {
                let (r, f) = (leaf(&real), leaf(&fake));
                let plain = loss.discriminator(r.clone(), f.clone(), target);
                let plain = value_and_gradient(plain, &[r, f]);
                let both = leaf(&[real, fake].concat());
                let joint = loss.discriminator_joint(both.clone(), signs.clone(), target);
                let joint = value_and_gradient(joint, &[both]);
                assert_close(&format!("{loss} D, target {target}"), plain, joint);
            }
            let f = leaf(&fake);
            let plain = value_and_gradient(loss.generator(f.clone()), &[f]);
            let f = leaf(&fake);
            let closed = value_and_gradient(loss.generator_with_gradient(f.clone()), &[f]);
            assert_close(&format!("{loss} G"), plain, closed);
        }
    }

    #[test]
    fn names_are_what_specs_and_the_cli_spell() {
        for loss in GanLoss::ALL {
            let json = serde_json::to_string(&loss).unwrap();
            assert_eq!(json, format!("\"{}\"", loss.name()));
            assert_eq!(serde_json::from_str::<GanLoss>(&json).unwrap(), loss);
        }
        assert!(serde_json::from_str::<GanLoss>("\"wgan\"").is_err());
    }
}
