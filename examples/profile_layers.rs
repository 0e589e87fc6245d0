//! Times each convolution layer, forward and forward+backward, ours (matmul) vs burn's own.
//! `cargo run --release --example profile_layers -- [flex|ndarray]`
use std::time::Instant;
use webgan::burn::module::Param;
use webgan::burn::tensor::module::{conv_transpose2d, conv2d};
use webgan::burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use webgan::burn::tensor::{Device, Distribution, Tensor};
use webgan::model::layers::{DownConv, UpConv};

fn time(name: &str, mut f: impl FnMut() -> usize) {
    f();
    let mut ts = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        assert!(f() > 0);
        ts.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ts.sort_by(f64::total_cmp);
    println!("{name:<44} {:>8.2} ms", ts[2]);
}

fn fb(y: Tensor<4>, x: &Tensor<4>, backward: bool) -> usize {
    if backward {
        let g = y.sum().backward();
        x.grad(&g).unwrap().into_data().bytes().len()
    } else {
        y.into_data().bytes().len()
    }
}

fn main() {
    let kind = std::env::args().nth(1).unwrap_or("flex".into());
    #[allow(deprecated)]
    let dev = if kind == "ndarray" {
        Device::ndarray()
    } else {
        Device::flex()
    }
    .autodiff();
    let b = 64;
    for backward in [false, true] {
        let tag = if backward { "fwd+bwd" } else { "fwd" };
        for (cin, cout, h) in [(128, 64, 7), (64, 1, 14)] {
            let up = UpConv::new(cin, cout, webgan::model::Upsample::Transposed, &dev);
            let x = Tensor::<4>::random([b, h, h, cin], Distribution::Normal(0., 1.), &dev)
                .require_grad();
            time(&format!("{tag} ours UpConv {cin}->{cout} {h}x{h}"), || {
                fb(up.forward(x.clone()), &x, backward)
            });
            let w = Param::from_tensor(Tensor::<4>::random(
                [cin, cout, 4, 4],
                Distribution::Normal(0., 1.),
                &dev,
            ));
            let xn = Tensor::<4>::random([b, cin, h, h], Distribution::Normal(0., 1.), &dev)
                .require_grad();
            time(
                &format!("{tag} burn conv_transpose2d {cin}->{cout}"),
                || {
                    fb(
                        conv_transpose2d(
                            xn.clone(),
                            w.val(),
                            None,
                            ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
                        ),
                        &xn,
                        backward,
                    )
                },
            );
        }
        for (cin, cout, h) in [(1, 64, 28), (64, 128, 14)] {
            let down = DownConv::new(cin, cout, &dev);
            let x = Tensor::<4>::random([b, h, h, cin], Distribution::Normal(0., 1.), &dev)
                .require_grad();
            time(
                &format!("{tag} ours DownConv {cin}->{cout} {h}x{h}"),
                || fb(down.forward(x.clone()), &x, backward),
            );
            let w = Param::from_tensor(Tensor::<4>::random(
                [cout, cin, 4, 4],
                Distribution::Normal(0., 1.),
                &dev,
            ));
            let xn = Tensor::<4>::random([b, cin, h, h], Distribution::Normal(0., 1.), &dev)
                .require_grad();
            time(&format!("{tag} burn conv2d {cin}->{cout}"), || {
                fb(
                    conv2d(
                        xn.clone(),
                        w.val(),
                        None,
                        ConvOptions::new([2, 2], [1, 1], [1, 1], 1),
                    ),
                    &xn,
                    backward,
                )
            });
        }
    }
}
