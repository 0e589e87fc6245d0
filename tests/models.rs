//! Shapes of every model, and conditioning that actually conditions.

mod common;

use webgan::burn::tensor::{Device, Distribution, Int, Tensor, TensorData, Tolerance};
use webgan::model::generator::ImageGenerator;
use webgan::model::{ArchConfig, Discriminator, Generator, ImageGanConfig};
use webgan::presets::Preset;

fn shapes(arch: &ArchConfig, device: &Device) {
    let b = 3;
    let g = Generator::new(arch, device);
    let d = Discriminator::new(arch, Default::default(), device);
    let z = Tensor::<2>::random(
        [b, arch.latent_dim()],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    let labels = (arch.n_classes() > 0)
        .then(|| Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2], [b]), device));
    let x = g.forward(z, labels.clone());
    assert_eq!(x.dims(), [b, arch.sample_len()], "{arch:?}");
    let values: Vec<f32> = x.clone().into_data().try_to_vec().unwrap();
    if let ArchConfig::Image(_) = arch {
        assert!(
            values.iter().all(|v| (-1.0..=1.0).contains(v)),
            "tanh output in [-1, 1]"
        );
    }
    assert!(values.iter().all(|v| v.is_finite()));
    let logits = d.forward(x, labels);
    assert_eq!(logits.dims(), [b]);
}

#[test]
fn every_preset_has_consistent_shapes() {
    let device = common::cpu();
    for preset in [Preset::Digits, Preset::Faces32, Preset::Faces, Preset::Ring] {
        shapes(&preset.arch(), &device);
    }
    shapes(&common::tiny_image_arch(), &device);
    shapes(&common::tiny_class_norm_arch(), &device);
    // Odd starting sizes too: 3x3 doubled to 12, RGB.
    shapes(
        &ArchConfig::Image(
            ImageGanConfig::new()
                .with_image_size(12)
                .with_channels(3)
                .with_width(4),
        ),
        &device,
    );
}

#[test]
fn conditional_batch_norm_starts_as_the_plain_model() {
    // Inference (burn's operations, the running statistics) and training (the CPU's fused
    // pass, the batch's statistics): offsets of zero leave each batch norm the plain one.
    for device in [common::cpu(), common::cpu().autodiff()] {
        let plain = Generator::new(&common::tiny_image_arch(), &device);
        let (Generator::Image(p), Generator::Image(c)) = (
            plain.clone(),
            Generator::new(&common::tiny_class_norm_arch(), &device),
        ) else {
            panic!("image generators")
        };
        assert_eq!(c.class_norms.len(), 1 + p.norms.len(), "one per batch norm");
        let with_offsets = Generator::Image(ImageGenerator {
            class_norms: c.class_norms,
            ..p
        });
        let z = Tensor::<2>::random([6, 8], Distribution::Normal(0.0, 1.0), &device);
        let labels =
            Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 0, 1, 2], [6]), &device);
        let a = plain.forward(z.clone(), Some(labels.clone())).into_data();
        let b = with_offsets.forward(z, Some(labels)).into_data();
        a.assert_approx_eq::<f32>(&b, Tolerance::rel_abs(1e-5, 1e-5));
    }
}

#[test]
fn digits_generator_is_about_the_expected_size() {
    let device = common::cpu();
    let g = Generator::new(&Preset::Digits.arch(), &device);
    let params = webgan::burn::module::Module::num_params(&g);
    // 64 + 16 -> 128x7x7 projection, 128 -> 64 -> 1 transposed convolutions.
    assert!((500_000..700_000).contains(&params), "{params} parameters");
}

#[test]
fn the_class_label_changes_the_conditional_output() {
    let device = common::cpu();
    let arch = Preset::Digits.arch();
    let g = webgan::burn::module::Module::valid(&Generator::new(&arch, &device));
    let z = Tensor::<2>::random(
        [1, arch.latent_dim()],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let out = |class: i64| -> Vec<f32> {
        let l = Tensor::<1, Int>::from_data(TensorData::new(vec![class], [1]), &device);
        g.forward(z.clone(), Some(l))
            .into_data()
            .try_to_vec()
            .unwrap()
    };
    let (a, b) = (out(3), out(8));
    let diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32;
    assert!(
        diff > 1e-4,
        "class 3 and 8 give the same image (mean diff {diff})"
    );
    assert_eq!(out(3), a, "same inputs, same output");
}

#[test]
fn absurd_architectures_are_refused_with_a_message() {
    let bad = ArchConfig::Image(ImageGanConfig::new().with_image_size(30));
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("image_size") && e.contains("30"), "{e}");
    let bad = ArchConfig::Image(ImageGanConfig::new().with_channels(2));
    assert!(bad.validate().unwrap_err().to_string().contains("channels"));
    let bad = ArchConfig::Image(ImageGanConfig::new().with_latent_dim(0));
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("latent_dim")
    );
}

#[test]
fn a_resize_convolution_generator_learns_through_the_cpu_training_path() {
    // On flex under autodiff the convolutions run webgan's own passes (`model::cpu`), with the
    // resize-convolution's kernel made from its taps; through the matmul path they are burn's
    // operations alone. Both must give the taps the same gradient.
    let device = common::cpu().autodiff();
    let arch = ArchConfig::Image(
        ImageGanConfig::new()
            .with_image_size(16)
            .with_latent_dim(8)
            .with_width(8)
            .with_n_classes(3)
            .with_upsample(webgan::model::Upsample::Resize),
    );
    shapes(&arch, &device);
    device.seed(7);
    let g = Generator::new(&arch, &device);
    let z = Tensor::<2>::random([4, 8], Distribution::Normal(0.0, 1.0), &device);
    let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 0], [4]), &device);
    let tap_gradients = |g: &Generator| {
        let Generator::Image(inner) = g else {
            unreachable!("an image generator")
        };
        // A weighted sum, so that no gradient is trivially uniform.
        let out = g.forward(z.clone(), Some(labels.clone()));
        let [rows, cols] = out.dims();
        let values = (0..rows * cols)
            .map(|i| ((i * 37) % 101) as f32 / 101.0)
            .collect();
        let weights = Tensor::<2>::from_data(TensorData::new(values, [rows, cols]), &device);
        let grads = (out * weights).sum().backward();
        inner
            .ups
            .iter()
            .map(|up| {
                assert_eq!(up.weight.dims()[2..], [3, 3]);
                up.weight
                    .val()
                    .grad(&grads)
                    .expect("the taps have a gradient")
            })
            .collect::<Vec<_>>()
    };
    let ours = tap_gradients(&g);
    let mut plain = g.clone();
    plain.set_matmul_convs(true);
    let burns = tap_gradients(&plain);
    for (a, b) in ours.into_iter().zip(burns) {
        let scale = b.clone().abs().max().into_scalar::<f32>();
        assert!(scale > 0.0);
        a.into_data()
            .assert_approx_eq::<f32>(&b.into_data(), Tolerance::absolute(1e-4 * scale.max(1.0)));
    }
}
