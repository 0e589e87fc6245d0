//! LeakyReLU as one pass forward and one backward. burn's default composes it from a
//! comparison, a multiplication and a masked select (and differentiates those), and flex's
//! masked select was a tenth of a digits training step (`perf record` on `webgan bench`).

use burn::backend::Flex;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ActivationOps;
use burn::tensor::{Tensor, TensorData};

use super::{CpuAutodiff, for_each_chunk, on_cpu_autodiff};

/// max(x, 0) + slope * min(x, 0); `None` when `x` is not on the CPU backend under autodiff.
pub fn leaky_relu<const D: usize>(x: &Tensor<D>, slope: f32) -> Option<Tensor<D>> {
    let [x] = on_cpu_autodiff([x])?;
    let output = Flex::leaky_relu(x.primitive().clone(), slope.into());
    let output = match LeakyReluBackward(slope)
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let x_state = prep.checkpoint(&x);
            prep.finish(x_state, output)
        }
        OpsKind::UnTracked(prep) => prep.finish(output),
    };
    Some(Tensor::from_primitive::<CpuAutodiff>(output))
}

#[derive(Debug)]
struct LeakyReluBackward(f32);

impl Backward<Flex, 1> for LeakyReluBackward {
    type State = NodeId;

    fn backward(self, ops: Ops<NodeId, 1>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let slope = self.0;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(ops.state)
            .to_contiguous();
        let shape = x.layout().shape().clone();
        let (x, dy): (&[f32], &[f32]) = (x.storage(), dy.storage());
        let mut dx = dy.to_vec();
        const CHUNK: usize = 1 << 14;
        for_each_chunk(&mut dx, CHUNK, |i, dx| {
            let x = &x[i * CHUNK..][..dx.len()];
            for (d, &x) in dx.iter_mut().zip(x) {
                if x < 0.0 {
                    *d *= slope;
                }
            }
        });
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(dx, shape)));
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::activation;
    use burn::tensor::{Device, Distribution, Tensor};

    use super::super::agreement::{same_grad, same_values};

    #[test]
    fn matches_burn_forward_and_backward() {
        let dev = Device::flex().autodiff();
        let x =
            Tensor::<3>::random([3, 50, 700], Distribution::Normal(0., 1.), &dev).require_grad();
        let ours = super::leaky_relu(&x, 0.2).expect("flex under autodiff takes our path");
        let theirs = activation::leaky_relu(x.clone(), 0.2);
        same_grad(&x, &same_values(&ours, &theirs));
        assert!(super::leaky_relu(&Tensor::<1>::zeros([2], &Device::flex()), 0.2).is_none());
    }
}
