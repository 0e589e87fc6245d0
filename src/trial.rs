//! "auto" by measurement: the Generate view's rule for choosing between WebGPU and the CPU.
//!
//! The first grid always comes from the CPU (the small generation module). Where the browser
//! has WebGPU, the page then times the same work on both backends — `SAMPLES` samples of the
//! current model, `CPU_RUNS` runs on the CPU, one warm-up and `GPU_RUNS` runs on WebGPU — and
//! reports the times here. WebGPU is used only when its best run is `MARGIN` times faster than
//! the CPU's best: an adapter's name says nothing about its speed (a software adapter, a weak
//! integrated GPU, or a small model whose few kernels cost more to launch than to run are all
//! slower than the CPU in the same page). A warm-up that outlasts `WARMUP_LIMIT_MS` (a software
//! adapter compiles its shaders on the CPU: minutes on 2 cores) is given up, and the CPU kept.
//!
//! The verdict is remembered per browser under a key of the rule's version, the module's
//! version, the adapter and the model (its name and a fingerprint of its architecture, which
//! is what the timings depend on); a stored verdict older than `MAX_AGE_MS` is measured again,
//! since browsers and drivers change. The page stores and reads the record this module writes;
//! it never interprets it.
//!
//! Pure logic, no browser: `web::trial` is its JavaScript face.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};
use crate::model::ArchConfig;

/// Samples generated per timed run: one grid.
pub const SAMPLES: usize = 64;
/// Timed CPU runs (the first grid has already warmed the CPU path).
pub const CPU_RUNS: usize = 2;
/// Timed WebGPU runs, after one untimed warm-up that compiles the shaders.
pub const GPU_RUNS: usize = 3;
/// WebGPU must take at most 1/MARGIN of the CPU's time: noise between runs in a busy page is
/// well under this, and a switch that gains less is not worth the larger module.
pub const MARGIN: f64 = 1.5;
/// The longest a WebGPU warm-up may take before the trial gives up and keeps the CPU.
pub const WARMUP_LIMIT_MS: f64 = 60_000.0;
/// A remembered verdict older than this (30 days) is measured again.
pub const MAX_AGE_MS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;
/// Bumped whenever what is measured or how it is decided changes: older records are ignored.
pub const RULE_VERSION: u32 = 1;
/// The module's version, part of the key: a new release measures again.
pub const MODULE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// WebGPU was faster by more than the margin: use it.
    GpuFaster,
    /// The CPU was faster.
    CpuFaster,
    /// WebGPU was faster, but not by the margin: keep the CPU.
    WithinMargin,
    /// WebGPU's warm-up took longer than `WARMUP_LIMIT_MS`.
    WarmupSlow,
}

/// What the trial decided, with the figures behind it: what the page stores and shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub rule: u32,
    pub outcome: Outcome,
    /// The best CPU run, ms.
    pub cpu_ms: f64,
    /// The best WebGPU run, ms (none where the warm-up was given up).
    pub gpu_ms: Option<f64>,
    pub samples: usize,
    /// What the samples are called in the sentence: "digits", "faces" or "samples".
    pub noun: String,
    /// When it was measured (ms since the Unix epoch, the page's `Date.now()`).
    pub at_ms: f64,
    /// Read back from an earlier visit rather than measured now (never stored).
    #[serde(skip)]
    pub remembered: bool,
}

impl Verdict {
    pub fn use_gpu(&self) -> bool {
        self.outcome == Outcome::GpuFaster
    }

    /// One sentence with both figures, e.g. "WebGPU: 64 faces in 14 ms, CPU 180 ms — using
    /// WebGPU".
    pub fn sentence(&self) -> String {
        let (n, noun, cpu) = (self.samples, &self.noun, ms(self.cpu_ms));
        let gpu = self.gpu_ms.map(ms).unwrap_or_default();
        let mut s = match self.outcome {
            Outcome::GpuFaster => format!("WebGPU: {n} {noun} in {gpu}, CPU {cpu} — using WebGPU"),
            Outcome::CpuFaster => format!("CPU: {n} {noun} in {cpu}, WebGPU {gpu} — using the CPU"),
            Outcome::WithinMargin => format!(
                "WebGPU: {n} {noun} in {gpu}, CPU {cpu} — not clearly faster, so using the CPU"
            ),
            Outcome::WarmupSlow => format!(
                "WebGPU took over {} s to prepare (CPU: {n} {noun} in {cpu}) — using the CPU",
                WARMUP_LIMIT_MS / 1000.0
            ),
        };
        if self.remembered {
            s.push_str(" (measured on an earlier visit)");
        }
        s
    }

    /// The stored form (JSON).
    pub fn to_record(&self) -> String {
        // A struct of numbers and strings always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// "1,400 ms", "14 ms", "3.2 ms".
fn ms(v: f64) -> String {
    if v < 10.0 {
        return format!("{v:.1} ms");
    }
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} ms")
}

/// What the samples of model `name` are called: the shipped models by their content.
pub fn noun_for(model: &str) -> &'static str {
    match model {
        "digits" => "digits",
        "faces" | "faces32" => "faces",
        _ => "samples",
    }
}

/// The best of some timed runs; an error names what is wrong with them.
fn best(runs: &[f64], what: &'static str) -> Result<f64> {
    if runs.is_empty() {
        return Err(bad(what, "[]", "at least one timed run is needed"));
    }
    if let Some(bad_run) = runs.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(bad(
            what,
            &bad_run.to_string(),
            "times are finite and not negative",
        ));
    }
    Ok(runs.iter().copied().fold(f64::INFINITY, f64::min))
}

fn bad(name: &'static str, value: &str, why: &str) -> WebganError {
    WebganError::InvalidConfig {
        name,
        value: value.to_string(),
        why: why.to_string(),
    }
}

/// The decision from measured times (ms per run of `SAMPLES` samples): `gpu_runs` empty and
/// `warmup_ms` at least the limit where the warm-up was given up. Bad times are an error.
pub fn decide(
    cpu_runs: &[f64],
    gpu_runs: &[f64],
    warmup_ms: f64,
    model: &str,
    now_ms: f64,
) -> Result<Verdict> {
    let cpu_ms = best(cpu_runs, "cpu_ms")?;
    if !warmup_ms.is_finite() || warmup_ms < 0.0 {
        return Err(bad(
            "warmup_ms",
            &warmup_ms.to_string(),
            "a finite, non-negative time",
        ));
    }
    let (outcome, gpu_ms) = if gpu_runs.is_empty() && warmup_ms >= WARMUP_LIMIT_MS {
        (Outcome::WarmupSlow, None)
    } else {
        let gpu = best(gpu_runs, "gpu_ms")?;
        let outcome = if gpu * MARGIN <= cpu_ms {
            Outcome::GpuFaster
        } else if gpu < cpu_ms {
            Outcome::WithinMargin
        } else {
            Outcome::CpuFaster
        };
        (outcome, Some(gpu))
    };
    Ok(Verdict {
        rule: RULE_VERSION,
        outcome,
        cpu_ms,
        gpu_ms,
        samples: SAMPLES,
        noun: noun_for(model).into(),
        at_ms: if now_ms.is_finite() { now_ms } else { 0.0 },
        remembered: false,
    })
}

/// The storage key for a verdict: the rule, the module's version, the adapter, the model's
/// name and its architecture's fingerprint. Each part is cut to 120 characters.
pub fn storage_key(module_version: &str, adapter: &str, model: &str, arch: &ArchConfig) -> String {
    let part = |s: &str| -> String {
        let s = s.trim();
        let s = if s.is_empty() { "unknown" } else { s };
        s.chars().take(120).collect()
    };
    let arch_json = serde_json::to_string(arch).unwrap_or_default();
    format!(
        "webgan.trial.{RULE_VERSION}|{}|{}|{}|{:08x}",
        part(module_version),
        part(adapter),
        part(model),
        crc32fast::hash(arch_json.as_bytes())
    )
}

/// The verdict stored under this browser's key, if it still holds: none where nothing was
/// stored, the record does not parse or has impossible figures, it was made by another rule,
/// or it is older than `MAX_AGE_MS` (or from the future: a changed clock).
pub fn remembered(record: Option<&str>, now_ms: f64) -> Option<Verdict> {
    let mut v: Verdict = serde_json::from_str(record?).ok()?;
    let sane = |x: f64| x.is_finite() && x >= 0.0;
    let fresh = now_ms - v.at_ms;
    if v.rule != RULE_VERSION
        || !sane(v.cpu_ms)
        || !v.gpu_ms.is_none_or(sane)
        || (v.gpu_ms.is_none() != (v.outcome == Outcome::WarmupSlow))
        || !(0.0..=MAX_AGE_MS).contains(&fresh)
        || v.samples != SAMPLES
    {
        return None;
    }
    v.noun = noun_for(&v.noun).into();
    v.remembered = true;
    Some(v)
}

#[cfg(test)]
#[path = "trial_tests.rs"]
mod tests;
