//! The `webgan` binary end to end on tiny data the test writes itself.

use std::path::Path;

use webgan::data::mnist;

mod common;

use common::webgan;

fn tmp(name: &str) -> common::TempDir {
    common::tmp("cli", name)
}

/// 40 tiny MNIST-format digits: a vertical bar whose position is the label.
fn write_tiny_mnist(dir: &Path) {
    let n = 40;
    let mut pixels = vec![0u8; n * 28 * 28];
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    for (i, &l) in labels.iter().enumerate() {
        for r in 4..24 {
            pixels[i * 784 + r * 28 + 4 + 2 * l as usize] = 255;
        }
    }
    std::fs::write(
        dir.join("train-images-idx3-ubyte"),
        mnist::encode_images(&pixels, n, 28, 28),
    )
    .unwrap();
    std::fs::write(
        dir.join("train-labels-idx1-ubyte"),
        mnist::encode_labels(&labels),
    )
    .unwrap();
}

fn png_size(path: &Path) -> (u32, u32) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}

#[test]
fn train_resume_and_sample_digits_end_to_end() {
    let dir = tmp("digits");
    let data = dir.join("mnist");
    std::fs::create_dir_all(&data).unwrap();
    write_tiny_mnist(&data);
    let out = dir.join("run");
    let (data_s, out_s) = (data.to_str().unwrap(), out.to_str().unwrap());

    let o = webgan(&[
        "train",
        "--preset",
        "digits",
        "--data",
        data_s,
        "--steps",
        "2",
        "--batch",
        "8",
        "--out",
        out_s,
        "--quiet",
        "--sample-every",
        "1",
        "--timelapse-every",
        "1",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "ckpt-latest.wgan",
        "generator.wgan",
        "log.jsonl",
        "samples/step-0000001.png",
        "samples/final.png",
        "timelapse.gif",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let log = std::fs::read_to_string(out.join("log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2);
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert!(first["d_loss"].as_f64().unwrap().is_finite());
    // The live quality meter reads the first step and the last (run::meter): in the log, and
    // its sentence at the end.
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let r = v["meter"]["readability"].as_f64();
        assert!(r.is_some_and(|r| (0.0..=1.0).contains(&r)), "{line}");
        assert_eq!(v["meter"]["per_class"].as_array().map(Vec::len), Some(10));
    }
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("digits readable"), "{stdout}");
    // One column per class, eight rows.
    assert_eq!(png_size(&out.join("samples/final.png")), (10 * 28, 8 * 28));
    // The time-lapse: the grid before the first step and after each of the two, as the final
    // grid shows it.
    let gif = std::fs::read(out.join("timelapse.gif")).unwrap();
    let mut decoder = gif::DecodeOptions::new().read_info(gif.as_slice()).unwrap();
    assert_eq!((decoder.width(), decoder.height()), (10 * 28, 8 * 28));
    let mut frames = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, 3);
    assert!(stdout.contains("3 frames, steps 0 to 2"), "{stdout}");

    // A flag the checkpoint fixes is refused by name, before anything is written.
    let ckpt = out.join("ckpt-latest.wgan");
    let before = std::fs::read(&ckpt).unwrap();
    let resume = |extra: &[&str]| {
        let mut a = vec![
            "train", "--preset", "digits", "--data", data_s, "--steps", "4", "--out", out_s,
            "--quiet", "--resume",
        ];
        a.push(ckpt.to_str().unwrap());
        a.extend_from_slice(extra);
        webgan(&a)
    };
    let o = resume(&["--width", "16", "--beta1", "0", "--batch", "8"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--batch, --beta1, --width cannot change when resuming"),
        "{err}"
    );
    assert_eq!(std::fs::read(&ckpt).unwrap(), before);

    // Resume to 4 steps in total at lower learning rates: two more log lines, the checkpoint
    // says 4, trains at the new rates and keeps the command that started it.
    let o = resume(&["--lr-g", "0.0001", "--lr-d", "0.00005"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let resumed = webgan::weights::decode(&std::fs::read(&ckpt).unwrap(), "ckpt").unwrap();
    let config = resumed.manifest.train.as_ref().unwrap();
    assert_eq!((config.lr_g, config.lr_d), (1e-4, 5e-5));
    let provenance = &resumed.manifest.provenance;
    assert!(
        !provenance["command"].contains("--resume"),
        "{provenance:?}"
    );
    assert!(
        provenance["resumed"].starts_with("step 2: ") && provenance["resumed"].contains("--lr-g"),
        "{provenance:?}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("log.jsonl"))
            .unwrap()
            .lines()
            .count(),
        4
    );
    let file = webgan::weights::decode(&std::fs::read(&ckpt).unwrap(), "ckpt").unwrap();
    assert_eq!(file.manifest.steps, 4);

    // Sample: 12 tiles in 4 columns of 28x28, no padding; same seed, same bytes.
    let model = out.join("generator.wgan");
    let (a, b) = (dir.join("a.png"), dir.join("b.png"));
    for png in [&a, &b] {
        let o = webgan(&[
            "sample",
            "--model",
            model.to_str().unwrap(),
            "--n",
            "12",
            "--cols",
            "4",
            "--class",
            "7",
            "--seed",
            "3",
            "--out",
            png.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(png_size(&a), (4 * 28, 3 * 28));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_input_gives_clear_errors_and_a_failing_exit_code() {
    let dir = tmp("errors");
    let o = webgan(&[
        "train",
        "--preset",
        "digits",
        "--data",
        "/no/such/mnist",
        "--steps",
        "1",
        "--quiet",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/no/such/mnist") && err.contains("does not exist"),
        "{err}"
    );

    let garbage = dir.join("garbage.wgan");
    std::fs::write(&garbage, b"definitely not weights").unwrap();
    let png = dir.join("x.png");
    let o = webgan(&[
        "sample",
        "--model",
        garbage.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a webgan weights file"));
    assert!(!png.exists(), "no output on failure");

    // A grid of 0 columns is refused, not drawn as one column.
    let o = webgan(&[
        "sample",
        "--model",
        "digits",
        "--cols",
        "0",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cols") && err.contains("1..=1024"), "{err}");
    assert!(!png.exists(), "no output on failure");

    // One step of ring training with one bad setting: refused, with stderr saying which.
    let out = dir.join("r");
    let refused = |setting: &[&str]| {
        let mut args = vec!["train", "--preset", "ring", "--steps", "1"];
        args.extend_from_slice(setting);
        args.extend(["--quiet", "--out", out.to_str().unwrap()]);
        let o = webgan(&args);
        assert!(!o.status.success(), "{setting:?} was accepted");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(refused(&["--lr-g", "5"]).contains("lr_g"));
    assert!(refused(&["--ema-decay", "1"]).contains("ema_decay"));
    // The flag parses (comma-separated), and 2-D models refuse image augmentations.
    let err = refused(&["--augment", "color,cutout"]);
    assert!(
        err.contains("augment") && err.contains("2-D points"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ring_training_writes_a_scatter_plot() {
    let dir = tmp("ring");
    let out = dir.join("run");
    let o = webgan(&[
        "train",
        "--preset",
        "ring",
        "--steps",
        "20",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = dir.join("ring.png");
    let o = webgan(&[
        "sample",
        "--model",
        out.join("generator.wgan").to_str().unwrap(),
        "--n",
        "500",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(png_size(&png), (512, 512));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn classifier_and_eval_run_end_to_end_on_tiny_data() {
    let dir = tmp("eval");
    let data = dir.join("mnist");
    std::fs::create_dir_all(&data).unwrap();
    write_tiny_mnist(&data);
    // The same digits serve as the "test" split.
    for (from, to) in [
        ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"),
        ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"),
    ] {
        std::fs::copy(data.join(from), data.join(to)).unwrap();
    }
    let (data_s, run) = (data.to_str().unwrap(), dir.join("run"));
    let classifier = dir.join("classifier.wgan");
    let o = webgan(&[
        "classifier",
        "--kind",
        "digits",
        "--data",
        data_s,
        "--epochs",
        "30",
        "--out",
        classifier.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = webgan(&[
        "train",
        "--preset",
        "digits",
        "--data",
        data_s,
        "--steps",
        "3",
        "--batch",
        "8",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let generator = run.join("generator.wgan");
    let o = webgan(&[
        "eval",
        "--model",
        generator.to_str().unwrap(),
        "--data",
        data_s,
        "--classifier",
        classifier.to_str().unwrap(),
        "--samples",
        "50",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let last = stdout.lines().last().unwrap();
    let report: serde_json::Value = serde_json::from_str(last).unwrap();
    // The bars on 40 vertical bars: the classifier learns them; FID and its floor are real
    // numbers; a 3-step generator is nowhere near the floor.
    assert!(
        report["classifier_accuracy"].as_f64().unwrap() > 0.9,
        "{last}"
    );
    let (fid, floor) = (
        report["fid"].as_f64().unwrap(),
        report["fid_floor"].as_f64().unwrap(),
    );
    assert!(
        fid.is_finite() && floor.is_finite() && fid > floor,
        "{last}"
    );
    assert_eq!(
        report["per_class_accuracy"].as_array().unwrap().len(),
        10,
        "{last}"
    );
    assert_eq!(report["samples"], 50);

    // A faces generator judged by a digits classifier is refused, not scored.
    let o = webgan(&[
        "eval",
        "--model",
        "faces",
        "--data",
        data_s,
        "--classifier",
        classifier.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("28x28x1"), "{err}");

    // Export to half precision with the report's metrics in the manifest.
    let report_file = dir.join("report.txt");
    std::fs::write(&report_file, stdout.as_bytes()).unwrap();
    let shipped = dir.join("shipped.wgan");
    let o = webgan(&[
        "export",
        "--model",
        generator.to_str().unwrap(),
        "--out",
        shipped.to_str().unwrap(),
        "--precision",
        "f16",
        "--metrics",
        report_file.to_str().unwrap(),
        "--note",
        "commit=abc",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = webgan::weights::decode(&std::fs::read(&shipped).unwrap(), "shipped").unwrap();
    assert_eq!(file.manifest.metrics["fid"], fid);
    // Nested report numbers reach the manifest too, their keys joined by `_`.
    let tv = file.manifest.metrics["balance_classes_tv"];
    assert!((0.0..=1.0).contains(&tv), "balance_classes_tv {tv}");
    assert_eq!(file.manifest.provenance["commit"], "abc");
    assert_eq!(file.manifest.provenance["precision"], "f16");
}
