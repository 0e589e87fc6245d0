//! The networks: burn modules and their configs, nothing else.

pub mod config;
#[cfg(feature = "train")]
mod cpu;
pub mod discriminator;
pub mod generator;
pub mod layers;
pub mod size;
pub mod spectral;

pub use config::{ArchConfig, ImageGanConfig, LabelMixing, ToyGanConfig, Upsample};
pub use discriminator::{Discriminator, DiscriminatorOptions};
pub use generator::Generator;

/// LeakyReLU, through `cpu` when training on the CPU backend (one pass each way), else as x
/// times a factor (1 where x >= 0, `slope` below) computed from x detached: the gradient is
/// then that factor, one multiply that fuses with its neighbours. burn's own records a masked
/// select, whose backward on a GPU is two zero fills and two masked writes per layer that
/// fusion cannot merge (8 of a digits training step's kernels).
pub fn leaky_relu<const D: usize>(
    x: burn::tensor::Tensor<D>,
    slope: f32,
) -> burn::tensor::Tensor<D> {
    #[cfg(feature = "train")]
    if let Some(y) = cpu::leaky_relu(&x, slope) {
        return y;
    }
    let seen = x.clone().detach();
    let factor = seen.ones_like().mask_fill(seen.lower_elem(0.0), slope);
    x * factor
}

/// ReLU after batch norm, as one fused pass each way through `cpu` when training on the CPU
/// backend, else burn's two operations.
pub fn batch_norm_relu(
    norm: &burn::nn::BatchNorm,
    x: burn::tensor::Tensor<4>,
) -> burn::tensor::Tensor<4> {
    #[cfg(feature = "train")]
    if let Some(y) = cpu::batch_norm_relu(norm, &x) {
        return y;
    }
    burn::tensor::activation::relu(norm.forward(x))
}

/// ReLU after batch norm with a scale and a shift per sample and channel (`gamma`, `beta`:
/// [B, C]) in place of the layer's own: the generator's conditional batch norm, where they are
/// the sample's class's. The batch statistics, the running statistics and the choice between
/// them are the layer's, as in burn's `BatchNorm::forward`. One fused pass each way through
/// `cpu` when training on the CPU backend, else burn's operations.
pub fn class_batch_norm_relu(
    norm: &burn::nn::BatchNorm,
    x: burn::tensor::Tensor<4>,
    gamma: burn::tensor::Tensor<2>,
    beta: burn::tensor::Tensor<2>,
) -> burn::tensor::Tensor<4> {
    use burn::tensor::Tensor;
    use burn::tensor::module::{batch_norm, batch_norm_train};
    #[cfg(feature = "train")]
    if let Some(y) = cpu::class_batch_norm_relu(norm, &x, &gamma, &beta) {
        return y;
    }
    let [b, c, _, _] = x.dims();
    let device = x.device();
    let (ones, zeros) = (Tensor::ones([c], &device), Tensor::zeros([c], &device));
    let normalised = if device.is_autodiff() && norm.training.is_enabled() {
        let out = batch_norm_train(x, ones, zeros, norm.epsilon);
        move_running_statistics(norm, out.mean, out.variance);
        out.output
    } else {
        let mean = norm.running_mean.value().to_device(&device);
        let var = norm.running_var.value().to_device(&device);
        batch_norm(x, ones, zeros, mean, var, norm.epsilon)
    };
    burn::tensor::activation::relu(
        normalised * gamma.reshape([b, c, 1, 1]) + beta.reshape([b, c, 1, 1]),
    )
}

/// Moves a batch norm's running statistics towards a batch's mean and biased variance, as
/// burn's `BatchNorm` does in training.
pub(crate) fn move_running_statistics(
    norm: &burn::nn::BatchNorm,
    mean: burn::tensor::Tensor<1>,
    var: burn::tensor::Tensor<1>,
) {
    let m = norm.momentum;
    let device = mean.device();
    let moved = |running: burn::tensor::Tensor<1>, batch: burn::tensor::Tensor<1>| {
        (running.to_device(&device).mul_scalar(1.0 - m) + batch.detach().mul_scalar(m)).detach()
    };
    norm.running_mean
        .update(moved(norm.running_mean.value_sync(), mean));
    norm.running_var
        .update(moved(norm.running_var.value_sync(), var));
}

/// Every float tensor of a module, in the module's visiting order, flattened, with its shape:
/// how the moving average pairs the generator's tensors with its own, and how weights are read
/// back off WebGPU one tensor at a time.
pub(crate) fn flat_float_tensors<M: burn::module::Module>(
    module: &M,
) -> Vec<(burn::tensor::Tensor<1>, Vec<usize>)> {
    use burn::module::{ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Collect(Vec<(Tensor<1>, Vec<usize>)>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val();
            let shape = t.dims().to_vec();
            self.0.push((t.reshape([-1]), shape));
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}
