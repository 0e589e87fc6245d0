//! "auto" by measurement: the one rule for choosing between WebGPU and the CPU, in both views.
//!
//! The Generate view's first grid always comes from the CPU (the small generation module).
//! Where the browser has WebGPU, the page then times the same work on both backends —
//! `SAMPLES` samples of the current model, `CPU_RUNS` runs on the CPU, one warm-up and
//! `GPU_RUNS` runs on WebGPU — and reports the times here. The Train view, before a run starts
//! under "auto", times `TRAIN_RUNS` runs of `TRAIN_STEPS` steps of the run's own settings on
//! each (after one warm-up step), the CPU with its threads; the verdict speaks in steps per
//! second, higher is better, which is the same rule: a rate `MARGIN` times higher is a time
//! per step `MARGIN` times shorter.
//!
//! WebGPU is used only when its best run is `MARGIN` times faster than the CPU's best: an
//! adapter's name says nothing about its speed (a software adapter, a weak integrated GPU, or
//! a small model whose few kernels cost more to launch than to run are all slower than the CPU
//! in the same page). A warm-up that outlasts `WARMUP_LIMIT_MS` (a software adapter compiles
//! its shaders on the CPU: minutes on 2 cores) is given up, and the CPU kept.
//!
//! The verdict is remembered per browser under a key of the rule's version, the module's
//! version, the adapter and the work (the model's name and a fingerprint of its architecture;
//! for training the preset, the batch, the CPU threads and a fingerprint of the architecture
//! and the settings a step's cost depends on); a stored verdict older than `MAX_AGE_MS` is
//! measured again, since browsers and drivers change. The page stores and reads the record
//! this module writes; it never interprets it.
//!
//! Pure logic, no browser: `web::trial` is its JavaScript face.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};
use crate::model::ArchConfig;
use crate::spec::TrainSpec;

/// Samples generated per timed run: one grid.
pub const SAMPLES: usize = 64;
/// Timed CPU runs (the first grid has already warmed the CPU path).
pub const CPU_RUNS: usize = 2;
/// Timed WebGPU runs, after one untimed warm-up that compiles the shaders.
pub const GPU_RUNS: usize = 3;
/// WebGPU must take at most 1/MARGIN of the CPU's time: noise between runs in a busy page is
/// well under this, and a switch that gains less is not worth the larger module.
pub const MARGIN: f64 = 1.5;
/// The longest a WebGPU warm-up (a grid, or the first training step) may take before the
/// trial gives up and keeps the CPU: a software adapter compiles its shaders on the CPU
/// (minutes for a training step), while a real GPU's first training step takes seconds.
pub const WARMUP_LIMIT_MS: f64 = 60_000.0;
/// Training steps per timed run in the Train view's trial (one `step(n)` call: one read-back).
pub const TRAIN_STEPS: usize = 2;
/// Timed runs on each backend in the Train view's trial, after one untimed warm-up step (the
/// first step allocates, and on WebGPU compiles the shaders). Few: the steps are thrown away.
pub const TRAIN_RUNS: usize = 2;
/// A remembered verdict older than this (30 days) is measured again.
pub const MAX_AGE_MS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;
/// Bumped whenever what is measured or how it is decided changes: older records are ignored.
pub const RULE_VERSION: u32 = 1;
/// The module's version, part of the key: a new release measures again.
pub const MODULE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a trial timed: the figures are ms per grid of `SAMPLES` samples, or ms per training
/// step (shown as steps per second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// The Generate view's grid (records from before training trials carry no `work`).
    #[default]
    Grid,
    /// The Train view's training steps.
    Training,
}

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
    #[serde(default)]
    pub work: Work,
    pub outcome: Outcome,
    /// The best CPU run, ms (training: ms per step of the best run).
    pub cpu_ms: f64,
    /// The best WebGPU run, ms (none where the warm-up was given up).
    pub gpu_ms: Option<f64>,
    /// Samples per grid (training: 0).
    pub samples: usize,
    /// The threads the CPU trained on (training only; 0 for a grid).
    #[serde(default)]
    pub cpu_threads: u32,
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

    /// Steps per second on the CPU (training; none for a grid).
    pub fn cpu_rate(&self) -> Option<f64> {
        (self.work == Work::Training).then(|| per_second(self.cpu_ms))
    }

    /// Steps per second on WebGPU (training, where its warm-up was not given up).
    pub fn gpu_rate(&self) -> Option<f64> {
        self.gpu_ms
            .filter(|_| self.work == Work::Training)
            .map(per_second)
    }

    /// One sentence with both figures, e.g. "WebGPU: 64 faces in 14 ms, CPU 180 ms — using
    /// WebGPU", or for training "CPU (2 threads): 10.4 steps/s, WebGPU 0.3 steps/s — training
    /// on the CPU".
    pub fn sentence(&self) -> String {
        let mut s = match self.work {
            Work::Grid => self.grid_sentence(),
            Work::Training => self.training_sentence(),
        };
        if self.remembered {
            s.push_str(" (measured on an earlier visit)");
        }
        s
    }

    fn training_sentence(&self) -> String {
        let cpu_name = match self.cpu_threads {
            0 | 1 => "CPU (one thread)".to_string(),
            n => format!("CPU ({n} threads)"),
        };
        let cpu = rate(per_second(self.cpu_ms));
        let gpu = self.gpu_ms.map(|g| rate(per_second(g))).unwrap_or_default();
        match self.outcome {
            Outcome::GpuFaster => format!("WebGPU: {gpu}, {cpu_name} {cpu} — training on WebGPU"),
            Outcome::CpuFaster => format!("{cpu_name}: {cpu}, WebGPU {gpu} — training on the CPU"),
            Outcome::WithinMargin => format!(
                "WebGPU: {gpu}, {cpu_name} {cpu} — not clearly faster, so training on the CPU"
            ),
            Outcome::WarmupSlow => format!(
                "WebGPU took over {} s to prepare its first step; {cpu_name}: {cpu} — training \
                 on the CPU",
                WARMUP_LIMIT_MS / 1000.0
            ),
        }
    }

    fn grid_sentence(&self) -> String {
        let (n, noun, cpu) = (self.samples, &self.noun, ms(self.cpu_ms));
        let gpu = self.gpu_ms.map(ms).unwrap_or_default();
        match self.outcome {
            Outcome::GpuFaster => format!("WebGPU: {n} {noun} in {gpu}, CPU {cpu} — using WebGPU"),
            Outcome::CpuFaster => format!("CPU: {n} {noun} in {cpu}, WebGPU {gpu} — using the CPU"),
            Outcome::WithinMargin => format!(
                "WebGPU: {n} {noun} in {gpu}, CPU {cpu} — not clearly faster, so using the CPU"
            ),
            Outcome::WarmupSlow => format!(
                "WebGPU took over {} s to prepare (CPU: {n} {noun} in {cpu}) — using the CPU",
                WARMUP_LIMIT_MS / 1000.0
            ),
        }
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
    format!("{} ms", thousands(v))
}

/// Steps per second from ms per step.
fn per_second(ms_per_step: f64) -> f64 {
    if ms_per_step > 0.0 {
        1000.0 / ms_per_step
    } else {
        f64::INFINITY
    }
}

/// "0.05 steps/s", "0.3 steps/s", "10.4 steps/s", "1,250 steps/s".
fn rate(v: f64) -> String {
    if !v.is_finite() {
        return "too fast to time".into();
    }
    if v < 0.095 {
        return format!("{v:.2} steps/s");
    }
    if v < 99.95 {
        return format!("{v:.1} steps/s");
    }
    format!("{} steps/s", thousands(v))
}

/// A whole number with thousands separators: "1,400".
fn thousands(v: f64) -> String {
    let digits = format!("{v:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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

/// The rule, on the best run of each backend: the outcome and the two figures. `gpu_runs`
/// empty and `warmup_ms` at least the limit where the warm-up was given up.
fn judge(
    cpu_runs: &[f64],
    gpu_runs: &[f64],
    warmup_ms: f64,
) -> Result<(Outcome, f64, Option<f64>)> {
    let cpu_ms = best(cpu_runs, "cpu_ms")?;
    if !warmup_ms.is_finite() || warmup_ms < 0.0 {
        return Err(bad(
            "warmup_ms",
            &warmup_ms.to_string(),
            "a finite, non-negative time",
        ));
    }
    if gpu_runs.is_empty() && warmup_ms >= WARMUP_LIMIT_MS {
        return Ok((Outcome::WarmupSlow, cpu_ms, None));
    }
    let gpu = best(gpu_runs, "gpu_ms")?;
    let outcome = if gpu * MARGIN <= cpu_ms {
        Outcome::GpuFaster
    } else if gpu < cpu_ms {
        Outcome::WithinMargin
    } else {
        Outcome::CpuFaster
    };
    Ok((outcome, cpu_ms, Some(gpu)))
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
    let (outcome, cpu_ms, gpu_ms) = judge(cpu_runs, gpu_runs, warmup_ms)?;
    Ok(Verdict {
        rule: RULE_VERSION,
        work: Work::Grid,
        outcome,
        cpu_ms,
        gpu_ms,
        samples: SAMPLES,
        cpu_threads: 0,
        noun: noun_for(model).into(),
        at_ms: if now_ms.is_finite() { now_ms } else { 0.0 },
        remembered: false,
    })
}

/// The Train view's decision from measured times: ms per run of `TRAIN_STEPS` steps on each
/// backend (`gpu_runs` empty and `warmup_ms` at least the limit where WebGPU's first step was
/// given up), the CPU on `cpu_threads` threads. The verdict's figures are ms per step; its
/// sentence gives steps per second. Bad times, or no threads, are an error.
pub fn decide_training(
    cpu_runs: &[f64],
    gpu_runs: &[f64],
    warmup_ms: f64,
    cpu_threads: u32,
    now_ms: f64,
) -> Result<Verdict> {
    if cpu_threads == 0 {
        return Err(bad(
            "cpu_threads",
            "0",
            "the CPU trains on at least one thread",
        ));
    }
    let (outcome, cpu_ms, gpu_ms) = judge(cpu_runs, gpu_runs, warmup_ms)?;
    let per_step = |run_ms: f64| run_ms / TRAIN_STEPS as f64;
    Ok(Verdict {
        rule: RULE_VERSION,
        work: Work::Training,
        outcome,
        cpu_ms: per_step(cpu_ms),
        gpu_ms: gpu_ms.map(per_step),
        samples: 0,
        cpu_threads,
        noun: "steps".into(),
        at_ms: if now_ms.is_finite() { now_ms } else { 0.0 },
        remembered: false,
    })
}

/// The storage key for a verdict: the rule, the module's version, the adapter, the model's
/// name and its architecture's fingerprint. Each part is cut to 120 characters.
pub fn storage_key(module_version: &str, adapter: &str, model: &str, arch: &ArchConfig) -> String {
    let arch_json = serde_json::to_string(arch).unwrap_or_default();
    format!(
        "webgan.trial.{RULE_VERSION}|{}|{}|{}|{:08x}",
        part(module_version),
        part(adapter),
        part(model),
        crc32fast::hash(arch_json.as_bytes())
    )
}

/// One part of a key: trimmed, "unknown" where empty, cut to 120 characters.
fn part(s: &str) -> String {
    let s = s.trim();
    let s = if s.is_empty() { "unknown" } else { s };
    s.chars().take(120).collect()
}

/// The storage key for a Train view verdict: the rule, the module's version, the adapter, the
/// preset, the batch, the CPU's threads, and a fingerprint of what else a step's cost depends
/// on (the architecture, the loss, D updates per step, DiffAugment, spectral normalisation,
/// whether the moving average, an auxiliary classifier and R1 run); not the seed or the
/// learning rates. A spec the trainer
/// would refuse is an error.
pub fn training_key(
    module_version: &str,
    adapter: &str,
    spec: &TrainSpec,
    cpu_threads: u32,
) -> Result<String> {
    let (arch, config) = spec.resolve()?;
    let cost = serde_json::json!({
        "arch": arch,
        "loss": config.loss,
        "d_steps": config.d_steps,
        "augment": config.augment,
        "spectral_norm": config.spectral_norm,
        "ema": config.ema_decay > 0.0,
        "aux_classifier": config.aux_weight > 0.0,
        "r1": config.r1_weight > 0.0,
    });
    Ok(format!(
        "webgan.train-trial.{RULE_VERSION}|{}|{}|{}|batch {}|{} threads|{:08x}",
        part(module_version),
        part(adapter),
        spec.preset.name(),
        config.batch_size,
        cpu_threads,
        crc32fast::hash(cost.to_string().as_bytes())
    ))
}

/// The Generate view's verdict stored under this browser's key, if it still holds: none where
/// nothing was stored, the record does not parse or has impossible figures, it was made by
/// another rule or for other work, or it is older than `MAX_AGE_MS` (or from the future: a
/// changed clock).
pub fn remembered(record: Option<&str>, now_ms: f64) -> Option<Verdict> {
    remembered_as(Work::Grid, record, now_ms)
}

/// The Train view's verdict stored under its key, if it still holds (as `remembered`).
pub fn remembered_training(record: Option<&str>, now_ms: f64) -> Option<Verdict> {
    remembered_as(Work::Training, record, now_ms)
}

fn remembered_as(work: Work, record: Option<&str>, now_ms: f64) -> Option<Verdict> {
    let mut v: Verdict = serde_json::from_str(record?).ok()?;
    let sane = |x: f64| x.is_finite() && x >= 0.0;
    let fresh = now_ms - v.at_ms;
    if v.rule != RULE_VERSION
        || !sane(v.cpu_ms)
        || !v.gpu_ms.is_none_or(sane)
        || (v.gpu_ms.is_none() != (v.outcome == Outcome::WarmupSlow))
        || !(0.0..=MAX_AGE_MS).contains(&fresh)
        || v.work != work
    {
        return None;
    }
    match work {
        Work::Grid if v.samples != SAMPLES => return None,
        Work::Training if v.cpu_threads == 0 || v.samples != 0 => return None,
        Work::Grid => v.noun = noun_for(&v.noun).into(),
        Work::Training => v.noun = "steps".into(),
    }
    v.remembered = true;
    Some(v)
}

#[cfg(test)]
#[path = "trial_tests.rs"]
mod tests;
