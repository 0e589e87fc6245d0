//! The latent tools compute the same on wgpu (lavapipe on a CPU-only machine) as on flex:
//! principal directions, and an inversion's path (Adam through the generator, with its
//! readbacks and pruning). A missing adapter fails it, unless WEBGAN_NO_GPU_TESTS is set
//! (`common::wgpu`).

mod common;

use webgan::block_on;
use webgan::burn::tensor::Device;
use webgan::directions;
use webgan::inference::Sampler;
use webgan::invert::{Classes, Inversion, InvertConfig};
use webgan::latent;

fn digits(device: &Device) -> Sampler {
    Sampler::load(webgan::shipped::model("digits").unwrap(), "digits", device).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn wgpu_agrees_with_flex_on_directions_and_inversion() {
    let Some(wgpu) = common::wgpu("latent tools on wgpu") else {
        return;
    };
    let gpu = digits(&wgpu.device());
    let cpu = digits(&common::cpu());

    // Directions: same shares and the same leading direction (sign-normalised) per class.
    let (a, b) = (
        block_on(directions::compute(&cpu, 300, true)).unwrap(),
        block_on(directions::compute(&gpu, 300, true)).unwrap(),
    );
    for (sa, sb) in a.sets.iter().zip(&b.sets) {
        assert!(max_diff(&sa.variance_share, &sb.variance_share) < 1e-3);
        let d = max_diff(&sa.vectors[0], &sb.vectors[0]);
        assert!(d < 1e-2, "direction 1 differs by {d}");
    }

    // Inversion: two generated digits, every class, with a pruning step at 10 of 20 steps.
    let dim = cpu.latent_dim();
    let targets = cpu
        .generate(latent::batch_for_seed(8, 2, dim), Some(vec![3, 8]))
        .unwrap();
    let config = InvertConfig {
        restarts: 1,
        steps: 20,
        prune_after: 10,
        keep: 2,
        ..InvertConfig::default()
    };
    let run = |s: &Sampler| {
        let mut search = Inversion::new(s, &targets, Classes::All, config.clone()).unwrap();
        assert_eq!(search.candidates(), 20);
        while !search.finished() {
            block_on(search.advance(5)).unwrap();
        }
        assert_eq!(search.candidates(), 4, "pruned to 2 per target");
        block_on(search.progress()).unwrap()
    };
    let (on_cpu, on_gpu) = (run(&cpu), run(&gpu));
    for (x, y) in on_cpu.iter().zip(&on_gpu) {
        assert_eq!(x.class, y.class);
        let dz = max_diff(&x.z, &y.z);
        let dl = (x.loss - y.loss).abs();
        eprintln!("wgpu vs flex after 20 steps: max |dz| {dz:.2e}, |d loss| {dl:.2e}");
        assert!(
            dz < 1e-3 && dl < 1e-3 * x.loss.max(1e-2),
            "dz {dz}, dloss {dl}"
        );
    }
}
