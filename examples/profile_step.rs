//! Where a digits training iteration spends its time on flex (batch 64): generator and
//! discriminator passes alone, then the whole step. `cargo run --release --example profile_step`
use std::time::Instant;
use webgan::burn::module::Module;
use webgan::burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use webgan::model::{Discriminator, Generator};
use webgan::presets::Preset;
use webgan::train::{GanTrainer, RealBatch};

fn time(name: &str, mut f: impl FnMut()) {
    f();
    let mut ts: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ts.sort_by(f64::total_cmp);
    println!("{name:<52} {:>8.1} ms", ts[2]);
}

fn main() {
    webgan::allocator::keep_freed_memory();
    let dev = Device::flex().autodiff();
    let arch = Preset::Digits.arch();
    let b = 64;
    let g = Generator::new(&arch, &dev);
    let d = Discriminator::new(&arch, Default::default(), &dev);
    let z = Tensor::<2>::random([b, 64], Distribution::Normal(0., 1.), &dev);
    let labels = Tensor::<1, Int>::from_data(
        TensorData::new((0..b as i64).map(|i| i % 10).collect::<Vec<_>>(), [b]),
        &dev,
    );
    let sync = |t: Tensor<1>| {
        t.inner().into_data();
    };
    time("G forward (train mode, autodiff graph)", || {
        sync(g.forward(z.clone(), Some(labels.clone())).sum())
    });
    time("G forward + backward", || {
        let grads = g.forward(z.clone(), Some(labels.clone())).sum().backward();
        let _ = grads;
    });
    let x = Tensor::<2>::random([2 * b, 784], Distribution::Normal(0., 1.), &dev);
    let l2 = Tensor::cat(vec![labels.clone(), labels.clone()], 0);
    time("D forward, batch 128", || {
        sync(d.forward(x.clone(), Some(l2.clone())).sum())
    });
    time("D forward + backward (weights), batch 128", || {
        let _ = d.forward(x.clone(), Some(l2.clone())).sum().backward();
    });
    let mut dm = d.clone();
    dm.set_matmul_convs(true);
    time(
        "D forward + backward (weights), batch 128, matmul convs",
        || {
            let _ = dm.forward(x.clone(), Some(l2.clone())).sum().backward();
        },
    );
    let xg = Tensor::<2>::random([b, 784], Distribution::Normal(0., 1.), &dev).require_grad();
    let dn = d.clone().no_grad();
    time("D (frozen) forward + backward to input, batch 64", || {
        let _ = dn
            .forward(xg.clone(), Some(labels.clone()))
            .sum()
            .backward();
    });
    let mut t =
        GanTrainer::new(arch.clone(), Preset::Digits.train_config(), &Device::flex()).unwrap();
    let real: Vec<f32> = (0..b * 784)
        .map(|i| ((i % 255) as f32 / 127.5) - 1.0)
        .collect();
    let lab: Vec<i64> = (0..b as i64).map(|i| i % 10).collect();
    time("whole training step", || {
        t.step(RealBatch {
            samples: &real,
            labels: Some(&lab),
        })
        .unwrap()
        .read()
        .unwrap();
    });
    println!("G params {}, D params {}", g.num_params(), d.num_params());
}
