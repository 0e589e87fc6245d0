//! The discriminator's levers: R1 measures and lowers what it claims to, the auxiliary
//! classifier learns the classes, a wider D is as wide as asked, and all of them are refused
//! where they do not apply and survive a checkpoint.

mod common;

use webgan::burn::module::Module;
use webgan::burn::tensor::{Distribution, Int, Tensor, TensorData};
use webgan::inference::read_floats;
use webgan::model::discriminator::Discriminator as D;
use webgan::model::{ArchConfig, Discriminator, DiscriminatorOptions, ImageGanConfig};
use webgan::spec::TrainSpec;
use webgan::train::{GanTrainer, R1_INTERVAL, TrainConfig, r1};
use webgan::weights::{self, FileKind, Manifest};

fn real_squares(device: &webgan::burn::tensor::Device) -> (Tensor<2>, Tensor<1, Int>) {
    let (x, y) = common::fake_real_batch(8, 16, 3);
    (
        Tensor::from_data(TensorData::new(x, [8, 256]), device),
        Tensor::from_data(TensorData::new(y, [8]), device),
    )
}

/// R1's unweighted value: the mean squared norm of D's input gradient at `x`, by backprop.
fn squared_gradient_by_backprop(
    d: &Discriminator,
    x: Tensor<2>,
    labels: Option<Tensor<1, Int>>,
) -> f32 {
    let x = x.detach().require_grad();
    let grads = d.forward(x.clone(), labels).sum().backward();
    let g = x.grad(&grads).unwrap();
    read_floats(g.powi_scalar(2).sum_dim(1).mean()).unwrap()[0]
}

#[test]
fn r1_is_the_mean_squared_input_gradient() {
    let device = common::cpu().autodiff();
    device.seed(5);
    let toy = Discriminator::new(&common::toy_arch(), Default::default(), &device);
    let x = Tensor::<2>::random([6, 2], Distribution::Normal(0.0, 1.0), &device);
    let exact = squared_gradient_by_backprop(&toy, x.clone(), None);
    let penalty = read_floats(r1(&toy, &x, &None).inner()).unwrap()[0];
    // Exact where no LeakyReLU kink lies within the difference's step of x; a unit switching
    // inside it moves the estimate by a few percent. A wrong direction or a missing square
    // would be off by far more.
    assert!(exact > 0.0);
    assert!(
        (penalty - exact).abs() < 0.1 * exact,
        "R1 {penalty} vs backprop {exact}"
    );
    // And on a conditional image discriminator, labels and all.
    let image = Discriminator::new(&common::tiny_image_arch(), Default::default(), &device);
    let (x, y) = real_squares(&device);
    let exact = squared_gradient_by_backprop(&image, x.clone(), Some(y.clone()));
    let penalty = read_floats(r1(&image, &x, &Some(y)).inner()).unwrap()[0];
    assert!(
        (penalty - exact).abs() < 0.1 * exact,
        "R1 {penalty} vs backprop {exact}"
    );
}

#[test]
fn r1_flattens_the_discriminator_at_real_images() {
    let device = common::cpu();
    let trained = |r1_weight: f32| {
        let config = common::tiny_config()
            .with_lr_d(1e-3)
            .with_r1_weight(r1_weight);
        let mut t = GanTrainer::new(common::tiny_image_arch(), config, &device).unwrap();
        common::train_on_squares(&mut t, 3 * R1_INTERVAL as usize);
        let d = t.discriminator.valid();
        let (x, y) = real_squares(&device.clone().autodiff());
        squared_gradient_by_backprop(&d.to_device(&device.clone().autodiff()), x, Some(y))
    };
    let (plain, penalised) = (trained(0.0), trained(10.0));
    eprintln!("squared gradient at real images: {penalised} with R1, {plain} without");
    assert!(
        penalised < 0.5 * plain,
        "squared gradient at real images: {penalised} with R1, {plain} without"
    );
}

#[test]
fn the_auxiliary_classifier_learns_the_classes_of_real_images() {
    let device = common::cpu();
    let config = common::tiny_config().with_lr_d(1e-3).with_aux_weight(1.0);
    let mut t = GanTrainer::new(common::tiny_image_arch(), config, &device).unwrap();
    let classify = |t: &GanTrainer| {
        let (x, y) = real_squares(&device);
        let (_, classes) = t.discriminator.valid().forward_with_classes(x, Some(y));
        let classes = classes.expect("a classifier head");
        assert_eq!(classes.dims(), [8, 3]);
        let predicted = read_floats(classes.argmax(1).float()).unwrap();
        let truth = common::fake_real_batch(8, 16, 3).1;
        predicted
            .iter()
            .zip(&truth)
            .filter(|(p, y)| **p as i64 == **y)
            .count()
    };
    let stats = common::train_on_squares(&mut t, 30);
    assert!(
        stats
            .iter()
            .all(|s| s.d_loss.is_finite() && s.g_loss.is_finite())
    );
    assert_eq!(classify(&t), 8, "every real square named by its class");

    // Without a weight there is no head at all, and the step is the plain one.
    let plain = GanTrainer::new(common::tiny_image_arch(), common::tiny_config(), &device).unwrap();
    let (x, y) = real_squares(&device);
    assert!(
        plain
            .discriminator
            .valid()
            .forward_with_classes(x, Some(y))
            .1
            .is_none()
    );
}

#[test]
fn the_levers_are_refused_where_they_do_not_apply() {
    let device = common::cpu();
    let unconditional = ArchConfig::Image(ImageGanConfig::new().with_image_size(16).with_width(8));
    for arch in [common::toy_arch(), unconditional] {
        let e = GanTrainer::new(arch, TrainConfig::new().with_aux_weight(0.5), &device)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("aux_weight") && e.contains("classes"), "{e}");
    }
    for bad in [
        TrainConfig::new().with_aux_weight(-1.0),
        TrainConfig::new().with_aux_weight(f32::NAN),
        TrainConfig::new().with_r1_weight(-0.1),
        TrainConfig::new().with_r1_weight(1e9),
    ] {
        assert!(
            GanTrainer::new(common::tiny_image_arch(), bad.clone(), &device).is_err(),
            "{bad:?}"
        );
    }
    let spec = |json: &str| TrainSpec::from_json(json).unwrap().resolve();
    let e = spec(r#"{"preset":"ring","d_width_factor":2}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("d_width_factor"), "{e}");
    spec(r#"{"preset":"ring","d_width_factor":1}"#).unwrap();
    let e = spec(r#"{"preset":"digits","d_width_factor":0}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("d_width_factor"), "{e}");
}

#[test]
fn a_wider_discriminator_with_a_classifier_and_r1_trains_and_resumes_exactly() {
    let device = common::cpu();
    let arch = match common::tiny_image_arch() {
        ArchConfig::Image(c) => ArchConfig::Image(c.with_d_width_factor(2)),
        ArchConfig::Toy(_) => unreachable!(),
    };
    let config = common::tiny_config()
        .with_aux_weight(0.5)
        .with_r1_weight(1.0)
        .with_beta1(0.0)
        .with_beta2(0.99);
    let mut t = GanTrainer::new(arch.clone(), config, &device).unwrap();
    let D::Image(d) = &t.discriminator else {
        panic!("an image discriminator")
    };
    assert_eq!(d.downs[0].weight.dims()[0], 16, "twice the width of 8");
    let narrow = Discriminator::new(
        &common::tiny_image_arch(),
        DiscriminatorOptions::default(),
        &device,
    );
    assert!(t.discriminator.num_params() > 2 * narrow.num_params());

    common::train_on_squares(&mut t, 2);
    let manifest = Manifest::new(FileKind::Checkpoint, arch, "test-squares", t.step);
    let bytes = weights::save_checkpoint(&t, &manifest).unwrap();
    let (m, mut resumed, optimizer) =
        weights::load_checkpoint(&bytes, "ckpt", &device, true).unwrap();
    assert!(optimizer);
    assert_eq!(m.train.as_ref(), Some(&t.config));
    // R1 falls on the 16th D update: run past it on both.
    let on = common::train_on_squares(&mut t, R1_INTERVAL as usize);
    let again = common::train_on_squares(&mut resumed, R1_INTERVAL as usize);
    assert_eq!(on, again, "a resumed run continues exactly");
}
