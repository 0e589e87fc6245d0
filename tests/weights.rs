//! Weights files: round trips are bit-exact, resuming continues the same run, and every kind
//! of bad file is refused with a message that says what is wrong.

mod common;

use webgan::inference::Sampler;
use webgan::latent;
use webgan::model::{ArchConfig, ImageGanConfig};
use webgan::train::{GanTrainer, RealBatch};
use webgan::weights::{self, FileKind, Manifest};

fn trained(steps: usize) -> GanTrainer {
    let mut t = GanTrainer::new(
        common::tiny_image_arch(),
        common::tiny_config(),
        &common::cpu(),
    )
    .unwrap();
    common::train_on_squares(&mut t, steps);
    t
}

fn manifest(t: &GanTrainer) -> Manifest {
    Manifest::new(FileKind::Checkpoint, t.arch.clone(), "test-squares", t.step)
}

#[test]
fn generator_round_trip_is_bit_exact() {
    let t = trained(2);
    let device = common::cpu();
    let bytes = weights::save_generator(&t.generator, &manifest(&t)).unwrap();
    let loaded = Sampler::load(&bytes, "gen", &device).unwrap();
    assert_eq!(loaded.manifest.kind, FileKind::Generator);
    assert_eq!(loaded.manifest.dataset, "test-squares");
    let original = Sampler::from_generator(manifest(&t), t.live_generator_for_inference(), &device);
    let z = latent::batch_for_seed(4, 6, 8);
    let labels = Some(vec![0, 1, 2, 0, 1, 2]);
    assert_eq!(
        original.generate(z.clone(), labels.clone()).unwrap(),
        loaded.generate(z, labels).unwrap()
    );
}

#[test]
fn resuming_a_checkpoint_continues_the_same_run() {
    let (x, y) = common::fake_real_batch(8, 16, 3);
    let mut straight = trained(3);
    let bytes = weights::save_checkpoint(&straight, &manifest(&straight)).unwrap();
    let (m, mut resumed, restored) =
        weights::load_checkpoint(&bytes, "ckpt", &common::cpu(), true).unwrap();
    assert!(restored, "a native checkpoint carries Adam's state");
    assert_eq!((m.steps, resumed.step), (3, 3));
    for _ in 0..3 {
        let a = straight
            .step(RealBatch {
                samples: &x,
                labels: Some(&y),
            })
            .unwrap()
            .read()
            .unwrap();
        let b = resumed
            .step(RealBatch {
                samples: &x,
                labels: Some(&y),
            })
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(a, b, "step {}", a.step);
    }
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    let t = trained(0);
    let good = weights::save_generator(&t.generator, &manifest(&t)).unwrap();
    let device = common::cpu();
    let err = |bytes: &[u8]| {
        Sampler::load(bytes, "f.wgan", &device)
            .err()
            .unwrap()
            .to_string()
    };

    assert!(err(b"GIF89a....").contains("not a webgan weights file"));
    assert!(err(&[]).contains("not a webgan weights file"));
    let e = err(&good[..good.len() / 2]);
    assert!(e.contains("truncated"), "{e}");
    let mut flipped = good.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x40;
    let e = err(&flipped);
    assert!(e.contains("corrupt"), "{e}");
    let mut version = good.clone();
    version[4] = 9;
    assert!(err(&version).contains("format version 9"));
    let mut extra = good.clone();
    extra.push(0);
    assert!(err(&extra).contains("unexpected bytes"));

    // A generator file cannot be resumed from.
    let e = weights::load_checkpoint(&good, "gen.wgan", &device, true)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("checkpoint"), "{e}");
}

#[test]
fn weights_for_another_architecture_are_refused() {
    let t = trained(0);
    let good = weights::save_generator(&t.generator, &manifest(&t)).unwrap();
    let file = weights::decode(&good, "f").unwrap();
    let other = ArchConfig::Image(ImageGanConfig::new());
    let e = weights::expect_arch(&file.manifest, &other, "f.wgan")
        .unwrap_err()
        .to_string();
    assert!(e.contains("architecture mismatch"), "{e}");

    // A manifest that lies about the architecture: the record does not fit the model.
    let mut lying = file.manifest.clone();
    if let ArchConfig::Image(c) = &mut lying.arch {
        c.width = 16;
    }
    let json_old = serde_json::to_vec(&file.manifest).unwrap();
    let json_new = serde_json::to_vec(&lying).unwrap();
    let body = &good[12 + json_old.len()..];
    let mut forged = Vec::new();
    forged.extend_from_slice(&good[..8]);
    forged.extend_from_slice(&(json_new.len() as u32).to_le_bytes());
    forged.extend_from_slice(&json_new);
    forged.extend_from_slice(body);
    let e = Sampler::load(&forged, "forged.wgan", &common::cpu())
        .err()
        .unwrap()
        .to_string();
    // Refused before the larger model is built: its section is too small for it.
    assert!(e.contains("too few") && e.contains("parameters"), "{e}");
}

#[test]
fn sampling_refuses_classes_the_model_does_not_have() {
    let t = trained(0);
    let bytes = weights::save_generator(&t.generator, &manifest(&t)).unwrap();
    let s = Sampler::load(&bytes, "gen", &common::cpu()).unwrap();
    let e = s.generate_seed(0, 4, Some(3)).err().unwrap().to_string();
    assert!(e.contains("classes 0..2"), "{e}");
    assert_eq!(s.generate_seed(0, 4, Some(2)).unwrap().len(), 4 * 256);
    let e = s.generate(vec![0.0; 7], None).err().unwrap().to_string();
    assert!(e.contains("latent"), "{e}");
}
