//! The decision with injected timings: the faster backend, the CPU within the margin, what is
//! remembered and reused, and when it is measured again.

use super::*;
use crate::presets::Preset;

const NOW: f64 = 1.7e12;

fn key(version: &str, adapter: &str, model: &str, preset: Preset) -> String {
    storage_key(version, adapter, model, &preset.arch())
}

#[test]
fn picks_webgpu_only_when_faster_by_the_margin() {
    let v = decide(&[180.0, 190.0], &[15.0, 14.0, 16.0], 900.0, "faces", NOW).unwrap();
    assert_eq!(v.outcome, Outcome::GpuFaster);
    assert!(v.use_gpu());
    assert_eq!(
        (v.cpu_ms, v.gpu_ms),
        (180.0, Some(14.0)),
        "the best run of each"
    );
    assert_eq!(
        v.sentence(),
        "WebGPU: 64 faces in 14 ms, CPU 180 ms — using WebGPU"
    );

    // SwiftShader: the CPU wins by far.
    let v = decide(
        &[95.0, 97.0],
        &[1400.0, 1500.0, 1450.0],
        9000.0,
        "digits",
        NOW,
    )
    .unwrap();
    assert_eq!(v.outcome, Outcome::CpuFaster);
    assert!(!v.use_gpu());
    assert_eq!(
        v.sentence(),
        "CPU: 64 digits in 95 ms, WebGPU 1,400 ms — using the CPU"
    );

    // Faster, but within the margin: the CPU stays.
    let v = decide(&[100.0], &[80.0], 100.0, "my.wgan", NOW).unwrap();
    assert_eq!(v.outcome, Outcome::WithinMargin);
    assert!(!v.use_gpu());
    assert!(
        v.sentence().contains("not clearly faster"),
        "{}",
        v.sentence()
    );
    assert!(
        v.sentence()
            .starts_with("WebGPU: 64 samples in 80 ms, CPU 100 ms")
    );

    // Exactly the margin is enough.
    let v = decide(&[150.0], &[100.0], 100.0, "digits", NOW).unwrap();
    assert!(v.use_gpu());
}

#[test]
fn a_slow_warm_up_keeps_the_cpu() {
    let v = decide(&[95.0], &[], WARMUP_LIMIT_MS + 1.0, "digits", NOW).unwrap();
    assert_eq!(v.outcome, Outcome::WarmupSlow);
    assert_eq!(v.gpu_ms, None);
    assert!(!v.use_gpu());
    assert_eq!(
        v.sentence(),
        "WebGPU took over 60 s to prepare (CPU: 64 digits in 95 ms) — using the CPU"
    );
    // No WebGPU runs before the limit is a caller's error, not a verdict.
    assert!(decide(&[95.0], &[], 10.0, "digits", NOW).is_err());
}

#[test]
fn bad_timings_are_refused_with_a_reason() {
    for (cpu, gpu, warmup) in [
        (vec![], vec![10.0], 1.0),
        (vec![f64::NAN], vec![10.0], 1.0),
        (vec![10.0], vec![-1.0], 1.0),
        (vec![10.0], vec![f64::INFINITY], 1.0),
        (vec![10.0], vec![5.0], f64::NAN),
    ] {
        let e = decide(&cpu, &gpu, warmup, "digits", NOW).unwrap_err();
        assert_eq!(e.kind(), "bad_input", "{e}");
    }
}

#[test]
fn remembers_and_reuses_a_verdict() {
    let v = decide(&[95.0, 97.0], &[1400.0], 9000.0, "digits", NOW).unwrap();
    let again = remembered(Some(&v.to_record()), NOW + 3_600_000.0).expect("reused");
    assert!(again.remembered);
    assert_eq!(
        (again.outcome, again.cpu_ms, again.gpu_ms),
        (v.outcome, 95.0, Some(1400.0))
    );
    assert_eq!(
        again.sentence(),
        "CPU: 64 digits in 95 ms, WebGPU 1,400 ms — using the CPU (measured on an earlier visit)"
    );
    let slow = decide(&[95.0], &[], WARMUP_LIMIT_MS, "faces", NOW).unwrap();
    assert_eq!(
        remembered(Some(&slow.to_record()), NOW).unwrap().outcome,
        Outcome::WarmupSlow
    );
}

#[test]
fn measures_again_when_stale_unreadable_or_from_another_rule() {
    let v = decide(&[95.0], &[14.0], 100.0, "digits", NOW).unwrap();
    let record = v.to_record();
    assert!(remembered(None, NOW).is_none(), "nothing stored");
    assert!(
        remembered(Some(&record), NOW + MAX_AGE_MS + 1.0).is_none(),
        "too old"
    );
    assert!(
        remembered(Some(&record), NOW - 60_000.0).is_none(),
        "from the future"
    );
    for broken in [
        "",
        "null",
        "{",
        "[1,2]",
        &record.replace("\"rule\":1", "\"rule\":0"),
        &record.replace("\"cpu_ms\":95.0", "\"cpu_ms\":-5.0"),
        &record.replace("\"samples\":64", "\"samples\":8"),
        &record.replace("\"gpu_ms\":14.0", "\"gpu_ms\":null"),
        &record.replace("gpu_faster", "fastest"),
    ] {
        assert!(remembered(Some(broken), NOW).is_none(), "{broken}");
    }
}

#[test]
fn the_key_changes_with_model_module_version_and_adapter() {
    let base = key("0.1.0", "google swiftshader", "digits", Preset::Digits);
    assert!(base.starts_with("webgan.trial.1|0.1.0|google swiftshader|digits|"));
    assert_eq!(
        base,
        key("0.1.0", "google swiftshader", "digits", Preset::Digits)
    );
    for other in [
        key("0.2.0", "google swiftshader", "digits", Preset::Digits),
        key("0.1.0", "nvidia", "digits", Preset::Digits),
        key("0.1.0", "google swiftshader", "faces", Preset::Faces),
        key("0.1.0", "google swiftshader", "digits", Preset::Faces32),
        key("0.1.0", "google swiftshader", "mine.wgan", Preset::Digits),
    ] {
        assert_ne!(base, other, "a new key, so a new measurement");
    }
    // Empty and huge parts still make a bounded key.
    let odd = key("", "", &"x".repeat(10_000), Preset::Ring);
    assert!(
        odd.contains("|unknown|unknown|") && odd.len() < 200,
        "{odd}"
    );
}

#[test]
fn figures_read_plainly() {
    assert_eq!(ms(3.21), "3.2 ms");
    assert_eq!(ms(14.4), "14 ms");
    assert_eq!(ms(1400.0), "1,400 ms");
    assert_eq!(ms(1_234_567.0), "1,234,567 ms");
}

// The Train view: ms per run of TRAIN_STEPS steps in, steps per second out.

fn spec(preset: Preset) -> TrainSpec {
    TrainSpec::preset(preset)
}

#[test]
fn training_picks_the_faster_backend_by_its_rate() {
    assert_eq!(TRAIN_STEPS, 2, "the figures below are per run of two steps");
    // SwiftShader: the CPU trains many times faster.
    let v = decide_training(&[200.0, 190.0], &[6000.0, 6600.0], 20_000.0, 2, NOW).unwrap();
    assert_eq!(v.outcome, Outcome::CpuFaster);
    assert!(!v.use_gpu());
    assert_eq!(
        (v.cpu_ms, v.gpu_ms),
        (95.0, Some(3000.0)),
        "ms per step of the best run"
    );
    assert_eq!(
        v.sentence(),
        "CPU (2 threads): 10.5 steps/s, WebGPU 0.3 steps/s — training on the CPU"
    );

    // A real GPU: five times the CPU's rate.
    let v = decide_training(&[200.0, 210.0], &[40.0, 44.0], 3000.0, 2, NOW).unwrap();
    assert_eq!(v.outcome, Outcome::GpuFaster);
    assert!(v.use_gpu());
    assert_eq!((v.cpu_rate(), v.gpu_rate()), (Some(10.0), Some(50.0)));
    assert_eq!(
        v.sentence(),
        "WebGPU: 50.0 steps/s, CPU (2 threads) 10.0 steps/s — training on WebGPU"
    );

    // Exactly the margin is enough; a higher rate within it keeps the CPU.
    assert!(
        decide_training(&[150.0], &[100.0], 10.0, 1, NOW)
            .unwrap()
            .use_gpu()
    );
    let v = decide_training(&[200.0], &[150.0], 10.0, 1, NOW).unwrap();
    assert_eq!(v.outcome, Outcome::WithinMargin);
    assert!(!v.use_gpu());
    assert_eq!(
        v.sentence(),
        "WebGPU: 13.3 steps/s, CPU (one thread) 10.0 steps/s — not clearly faster, so training \
         on the CPU"
    );
    // A grid verdict has no rates.
    let grid = decide(&[95.0], &[14.0], 100.0, "digits", NOW).unwrap();
    assert_eq!((grid.cpu_rate(), grid.gpu_rate()), (None, None));
}

#[test]
fn training_gives_a_slow_first_step_up_and_says_so() {
    let v = decide_training(&[200.0], &[], WARMUP_LIMIT_MS, 4, NOW).unwrap();
    assert_eq!(v.outcome, Outcome::WarmupSlow);
    assert!(!v.use_gpu());
    assert_eq!((v.cpu_rate(), v.gpu_rate()), (Some(10.0), None));
    assert_eq!(
        v.sentence(),
        "WebGPU took over 60 s to prepare its first step; CPU (4 threads): 10.0 steps/s — \
         training on the CPU"
    );
    assert!(decide_training(&[200.0], &[], 10.0, 4, NOW).is_err());
}

#[test]
fn training_refuses_bad_timings_and_no_threads() {
    for (cpu, gpu, warmup, threads) in [
        (vec![], vec![10.0], 1.0, 2),
        (vec![f64::NAN], vec![10.0], 1.0, 2),
        (vec![10.0], vec![-1.0], 1.0, 2),
        (vec![10.0], vec![5.0], f64::INFINITY, 2),
        (vec![10.0], vec![5.0], 1.0, 0),
    ] {
        let e = decide_training(&cpu, &gpu, warmup, threads, NOW).unwrap_err();
        assert_eq!(e.kind(), "bad_input", "{e}");
    }
}

#[test]
fn training_remembers_its_verdict_apart_from_the_grids() {
    let v = decide_training(&[200.0, 190.0], &[6000.0], 20_000.0, 2, NOW).unwrap();
    let record = v.to_record();
    let again = remembered_training(Some(&record), NOW + 3_600_000.0).expect("reused");
    assert!(again.remembered);
    assert_eq!(
        (again.outcome, again.cpu_ms, again.gpu_ms, again.cpu_threads),
        (Outcome::CpuFaster, 95.0, Some(3000.0), 2)
    );
    assert_eq!(
        again.sentence(),
        "CPU (2 threads): 10.5 steps/s, WebGPU 0.3 steps/s — training on the CPU (measured on \
         an earlier visit)"
    );
    let slow = decide_training(&[200.0], &[], WARMUP_LIMIT_MS, 2, NOW).unwrap();
    assert_eq!(
        remembered_training(Some(&slow.to_record()), NOW)
            .unwrap()
            .outcome,
        Outcome::WarmupSlow
    );
    // Each view reads only its own kind of verdict.
    let grid = decide(&[95.0], &[14.0], 100.0, "digits", NOW).unwrap();
    assert!(remembered(Some(&record), NOW).is_none());
    assert!(remembered_training(Some(&grid.to_record()), NOW).is_none());
    // Measured again: stale, from the future, tampered.
    assert!(remembered_training(Some(&record), NOW + MAX_AGE_MS + 1.0).is_none());
    assert!(remembered_training(Some(&record), NOW - 60_000.0).is_none());
    for broken in [
        record.replace("\"cpu_threads\":2", "\"cpu_threads\":0"),
        record.replace("\"samples\":0", "\"samples\":64"),
        record.replace("\"rule\":1", "\"rule\":2"),
        record.replace("\"cpu_ms\":95.0", "\"cpu_ms\":-95.0"),
    ] {
        assert!(
            remembered_training(Some(&broken), NOW).is_none(),
            "{broken}"
        );
    }
    // A grid record from before training trials (no `work`) still reads as a grid's.
    let old = grid.to_record().replace("\"work\":\"grid\",", "");
    assert!(!old.contains("work"), "{old}");
    assert!(remembered(Some(&old), NOW).is_some());
}

#[test]
fn the_training_key_follows_what_a_step_costs() {
    let key = |adapter: &str, s: &TrainSpec, threads: u32| {
        training_key("0.1.0", adapter, s, threads).unwrap()
    };
    let base = key("google swiftshader", &spec(Preset::Digits), 2);
    assert!(
        base.starts_with(
            "webgan.train-trial.1|0.1.0|google swiftshader|digits|batch 64|2 threads|"
        ),
        "{base}"
    );
    assert_eq!(base, key("google swiftshader", &spec(Preset::Digits), 2));
    // Not the seed or the learning rates: the same cost, the same verdict.
    let mut same = spec(Preset::Digits);
    same.seed = Some(7);
    same.lr_g = Some(1e-3);
    same.lr_d = Some(1e-3);
    assert_eq!(base, key("google swiftshader", &same, 2));
    let mut batch = spec(Preset::Digits);
    batch.batch_size = Some(32);
    let mut width = spec(Preset::Digits);
    width.width = Some(48);
    let mut loss = spec(Preset::Digits);
    loss.loss = Some(crate::loss::GanLoss::WganGp);
    let mut d_steps = spec(Preset::Digits);
    d_steps.d_steps = Some(3);
    let mut spectral = spec(Preset::Digits);
    spectral.spectral_norm = Some(!spectral.resolve().unwrap().1.spectral_norm);
    let mut minutes = spec(Preset::Digits);
    minutes.recipe = Some(crate::presets::Recipe::Minutes);
    for other in [
        training_key("0.2.0", "google swiftshader", &spec(Preset::Digits), 2).unwrap(),
        key("nvidia", &spec(Preset::Digits), 2),
        key("google swiftshader", &spec(Preset::Digits), 1),
        key("google swiftshader", &spec(Preset::Ring), 2),
        key("google swiftshader", &batch, 2),
        key("google swiftshader", &width, 2),
        key("google swiftshader", &loss, 2),
        key("google swiftshader", &d_steps, 2),
        key("google swiftshader", &spectral, 2),
        key("google swiftshader", &minutes, 2),
    ] {
        assert_ne!(base, other, "a new key, so a new measurement");
    }
    assert!(
        !base.starts_with("webgan.trial."),
        "apart from the grids' keys"
    );
    // A spec the trainer would refuse has no key.
    let mut bad = spec(Preset::Digits);
    bad.batch_size = Some(0);
    assert_eq!(
        training_key("0.1.0", "x", &bad, 2).unwrap_err().kind(),
        "bad_input"
    );
}

#[test]
fn rates_read_plainly() {
    assert_eq!(rate(0.05), "0.05 steps/s");
    assert_eq!(rate(0.333), "0.3 steps/s");
    assert_eq!(rate(10.44), "10.4 steps/s");
    assert_eq!(rate(123.4), "123 steps/s");
    assert_eq!(rate(1250.0), "1,250 steps/s");
}
