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
