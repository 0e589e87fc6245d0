//! A user's own weights file is untrusted input: the shipped digits model with its manifest
//! edited (as a curious or malicious user would) must be refused with a message, by the library
//! before any model is allocated, and by `webgan sample` with a failing exit code, never an
//! abort, a panic or gigabytes of allocation.

mod common;

use webgan::burn::module::Module;
use webgan::inference::Sampler;
use webgan::model::size::{MAX_PARAMETERS, ModelSize};
use webgan::model::{ArchConfig, Discriminator, Generator, ImageGanConfig, LabelMixing};
use webgan::presets::Preset;
use webgan::shipped;

/// The shipped digits file with its manifest JSON replaced by `edit(manifest)`.
fn forged(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let good = shipped::model("digits").unwrap();
    let len = u32::from_le_bytes(good[8..12].try_into().unwrap()) as usize;
    let mut manifest: serde_json::Value = serde_json::from_slice(&good[12..12 + len]).unwrap();
    edit(&mut manifest);
    raw_manifest(&serde_json::to_vec(&manifest).unwrap())
}

/// The shipped digits file with `json` as its manifest, whatever it holds.
fn raw_manifest(json: &[u8]) -> Vec<u8> {
    let good = shipped::model("digits").unwrap();
    let len = u32::from_le_bytes(good[8..12].try_into().unwrap()) as usize;
    let mut out = good[..8].to_vec();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(&good[12 + len..]);
    out
}

fn set(key: &'static str, value: serde_json::Value) -> impl FnOnce(&mut serde_json::Value) {
    move |m| m["arch"][key] = value
}

/// Every crafted file, with a word its refusal must contain.
fn crafted_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    use serde_json::json;
    vec![
        (
            "huge class embedding",
            forged(|m| {
                m["arch"]["label_mixing"] = json!("concat");
                m["arch"]["class_embed_dim"] = json!(1_000_000_000u64);
                m["arch"]["n_classes"] = json!(10_000);
            }),
            "n_classes",
        ),
        (
            "huge embedding, few classes",
            forged(|m| {
                m["arch"]["label_mixing"] = json!("concat");
                m["arch"]["class_embed_dim"] = json!(1_000_000_000u64);
            }),
            "class_embed_dim",
        ),
        (
            "224px, 4096 latent, width 256",
            forged(|m| {
                m["arch"]["latent_dim"] = json!(4096);
                m["arch"]["image_size"] = json!(224);
                m["arch"]["width"] = json!(256);
            }),
            "latent_dim",
        ),
        (
            "224px, width 256",
            forged(|m| {
                m["arch"]["image_size"] = json!(224);
                m["arch"]["width"] = json!(256);
            }),
            "parameters",
        ),
        (
            "width 2^31",
            forged(set("width", json!(1u64 << 31))),
            "width",
        ),
        (
            "width 2^63",
            forged(set("width", json!(1u64 << 63))),
            "width",
        ),
        ("width 0", forged(set("width", json!(0))), "width"),
        (
            "negative width",
            forged(set("width", json!(-64))),
            "manifest",
        ),
        (
            "fractional width",
            forged(set("width", json!(64.5))),
            "manifest",
        ),
        (
            "string width",
            forged(set("width", json!("64"))),
            "manifest",
        ),
        (
            "image size 0",
            forged(set("image_size", json!(0))),
            "image_size",
        ),
        ("channels 2", forged(set("channels", json!(2))), "channels"),
        (
            "missing architecture",
            forged(|m| {
                m.as_object_mut().unwrap().remove("arch");
            }),
            "manifest",
        ),
        (
            "unknown architecture kind",
            forged(|m| m["arch"]["kind"] = json!("transformer")),
            "manifest",
        ),
        (
            "in budget but not what the sections hold",
            forged(set("width", json!(256))),
            "generator",
        ),
        (
            "class embedding 2^40, unused by its label mixing",
            forged(set("class_embed_dim", json!(1u64 << 40))),
            "class_embed_dim",
        ),
        (
            "conditional batch norm on a model without classes",
            forged(|m| {
                m["arch"]["class_norm"] = json!(true);
                m["arch"]["n_classes"] = json!(0);
            }),
            "class_norm",
        ),
        (
            "conditional batch norm off while the sections hold it",
            forged(set("class_norm", json!(false))),
            "generator",
        ),
        (
            "conditional batch norm not a boolean",
            forged(set("class_norm", json!("yes"))),
            "manifest",
        ),
        (
            "training config with batch 0",
            forged(|m| m["train"]["batch_size"] = json!(0)),
            "batch_size",
        ),
        (
            "training config with learning rate 5",
            forged(|m| m["train"]["lr_g"] = json!(5.0)),
            "lr_g",
        ),
        (
            "directions for another latent size",
            forged(|m| m["directions"]["latent_dim"] = json!(3)),
            "directions",
        ),
        (
            "directions with an empty set",
            forged(|m| {
                m["directions"]["sets"][0]["vectors"] = json!([]);
                m["directions"]["sets"][0]["variance_share"] = json!([]);
            }),
            "directions",
        ),
        (
            "garbage JSON",
            raw_manifest(b"{\"kind\": \"generator\", \"arch\": ["),
            "manifest",
        ),
        (
            "not JSON",
            raw_manifest(&[0xff, 0xfe, 0x00, 0x41]),
            "manifest",
        ),
    ]
}

#[test]
fn crafted_manifests_are_refused_by_the_library_with_a_message() {
    let device = common::cpu();
    for (name, bytes, word) in crafted_files() {
        let e = match Sampler::load(&bytes, "crafted.wgan", &device) {
            Ok(_) => panic!("{name}: a crafted file was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(word), "{name}: {e}");
    }
}

#[test]
fn files_from_before_conditional_batch_norm_load_without_it() {
    // The shipped faces file was written before the setting existed.
    let file = shipped::model("faces").unwrap();
    assert!(
        !String::from_utf8_lossy(file).contains("class_norm"),
        "the shipped faces predate the setting"
    );
    let sampler = Sampler::load(file, "faces.wgan", &common::cpu()).unwrap();
    let ArchConfig::Image(c) = sampler.arch() else {
        panic!("an image model")
    };
    assert!(!c.class_norm);
}

#[test]
fn crafted_manifests_make_webgan_sample_fail_cleanly() {
    let dir = std::env::temp_dir().join(format!("webgan-crafted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (name, bytes, _)) in crafted_files().into_iter().enumerate() {
        let path = dir.join(format!("crafted-{i}.wgan"));
        std::fs::write(&path, bytes).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_webgan"))
            .args(["sample", "--model", path.to_str().unwrap(), "--out"])
            .arg(dir.join("out.png"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Exit code 1 with a message: not a signal (abort), not a panic (101).
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains("error"), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn counted_sizes_match_the_models_burn_builds() {
    let device = common::cpu();
    let mut archs: Vec<ArchConfig> = [Preset::Digits, Preset::Faces, Preset::Faces32, Preset::Ring]
        .iter()
        .map(|p| p.arch())
        .collect();
    archs.push(ArchConfig::Image(
        ImageGanConfig::new()
            .with_n_classes(3)
            .with_label_mixing(LabelMixing::Concat)
            .with_class_embed_dim(5)
            .with_width(8)
            .with_image_size(24),
    ));
    archs.push(common::tiny_image_arch());
    archs.push(common::tiny_class_norm_arch());
    archs.push(ArchConfig::Image(
        ImageGanConfig::new()
            .with_n_classes(10)
            .with_class_norm(true),
    ));
    archs.push(ArchConfig::Image(
        ImageGanConfig::new()
            .with_n_classes(10)
            .with_d_width_factor(2),
    ));
    archs.push(ArchConfig::Image(
        ImageGanConfig::new()
            .with_n_classes(10)
            .with_upsample(webgan::model::Upsample::Resize),
    ));
    for arch in archs {
        let size = ModelSize::of(&arch).unwrap();
        let g = Generator::new(&arch, &device).num_params() as u64;
        let d = Discriminator::new(&arch, Default::default(), &device).num_params() as u64;
        assert_eq!(
            (size.generator_params, size.discriminator_params),
            (g, d),
            "{arch:?}"
        );
        assert!(size.total_params() <= MAX_PARAMETERS);
    }
}
