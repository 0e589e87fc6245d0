//! "auto" by measurement (`crate::trial` holds the rule) as JavaScript functions: what to time
//! (`trialRule`), whether this browser can measure at all (`planGenerate`; the Train view asks
//! `planBackend`), the key a verdict is stored under (`trialKey`, `trainTrialKey`), the verdict
//! from the reported times (`decideTrial`, `decideTrainTrial`) and a stored one read back
//! (`rememberedTrial`, `rememberedTrainTrial`). The page times, stores and shows; it decides
//! nothing.

use wasm_bindgen::prelude::*;

use super::backend::Backend;
use super::errors::js_error;
use super::generator::WebGan;
use super::policy::{Why, adapter_facts};
use crate::trial::{self, Outcome, Verdict};

/// What the page times: `samples` per run, `cpuRuns` on the CPU, one warm-up then `gpuRuns`
/// on WebGPU, and how long the warm-up may take (`warmupLimitMs`) before it is given up; the
/// Train view, `trainRuns` runs of `trainSteps` steps on each after one warm-up step.
#[wasm_bindgen]
pub struct TrialRule;

#[wasm_bindgen]
impl TrialRule {
    #[wasm_bindgen(getter)]
    pub fn samples(&self) -> usize {
        trial::SAMPLES
    }
    #[wasm_bindgen(getter, js_name = cpuRuns)]
    pub fn cpu_runs(&self) -> usize {
        trial::CPU_RUNS
    }
    #[wasm_bindgen(getter, js_name = gpuRuns)]
    pub fn gpu_runs(&self) -> usize {
        trial::GPU_RUNS
    }
    #[wasm_bindgen(getter, js_name = warmupLimitMs)]
    pub fn warmup_limit_ms(&self) -> f64 {
        trial::WARMUP_LIMIT_MS
    }
    #[wasm_bindgen(getter, js_name = trainSteps)]
    pub fn train_steps(&self) -> usize {
        trial::TRAIN_STEPS
    }
    #[wasm_bindgen(getter, js_name = trainRuns)]
    pub fn train_runs(&self) -> usize {
        trial::TRAIN_RUNS
    }
}

#[wasm_bindgen(js_name = trialRule)]
pub fn trial_rule() -> TrialRule {
    TrialRule
}

/// The Generate view's start under "auto": the first grid on the CPU, always, and whether
/// WebGPU is there to be measured against it afterwards.
#[wasm_bindgen]
pub struct GeneratePlan {
    measure: bool,
    why: Why,
    adapter: String,
}

#[wasm_bindgen]
impl GeneratePlan {
    /// Whether the browser has a WebGPU adapter to time against the CPU.
    #[wasm_bindgen(getter)]
    pub fn measure(&self) -> bool {
        self.measure
    }

    /// The adapter's name, part of the key a verdict is stored under ("" without one).
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.adapter.clone()
    }

    /// The CPU backend, saying why it runs now (no WebGPU, or WebGPU still to be measured).
    #[wasm_bindgen(js_name = openCpu)]
    pub fn open_cpu(&self) -> Backend {
        Backend::cpu().because(self.why, None)
    }
}

#[wasm_bindgen(js_name = planGenerate)]
pub async fn plan_generate() -> GeneratePlan {
    match adapter_facts().await {
        Ok(facts) => GeneratePlan {
            measure: true,
            why: Why::Measuring,
            adapter: facts.name,
        },
        Err(why) => GeneratePlan {
            measure: false,
            why,
            adapter: String::new(),
        },
    }
}

/// Where this browser keeps the verdict for `gan` (named `model`) on `adapter`.
#[wasm_bindgen(js_name = trialKey)]
pub fn trial_key(adapter: &str, model: &str, gan: &WebGan) -> String {
    trial::storage_key(trial::MODULE_VERSION, adapter, model, gan.sampler().arch())
}

/// A verdict: which backend, why (a reason code and one sentence with both figures), and the
/// record the page stores.
#[wasm_bindgen]
pub struct TrialVerdict(Verdict);

#[wasm_bindgen]
impl TrialVerdict {
    #[wasm_bindgen(getter, js_name = useGpu)]
    pub fn use_gpu(&self) -> bool {
        self.0.use_gpu()
    }

    /// measured_gpu, measured_cpu or warmup_slow (the codes of `Backend.reasonCode`).
    #[wasm_bindgen(getter, js_name = reasonCode)]
    pub fn reason_code(&self) -> String {
        why_of(self.0.outcome).code().into()
    }

    #[wasm_bindgen(getter)]
    pub fn sentence(&self) -> String {
        self.0.sentence()
    }

    /// Read from an earlier visit, not measured now.
    #[wasm_bindgen(getter)]
    pub fn remembered(&self) -> bool {
        self.0.remembered
    }

    /// What to store under `trialKey` or `trainTrialKey` (opaque to the page).
    #[wasm_bindgen(getter)]
    pub fn record(&self) -> String {
        self.0.to_record()
    }

    /// Training steps per second on the CPU (a Train view verdict; undefined for a grid's).
    #[wasm_bindgen(getter, js_name = cpuRate)]
    pub fn cpu_rate(&self) -> Option<f64> {
        self.0.cpu_rate()
    }

    /// Training steps per second on WebGPU (undefined where its first step was given up).
    #[wasm_bindgen(getter, js_name = gpuRate)]
    pub fn gpu_rate(&self) -> Option<f64> {
        self.0.gpu_rate()
    }
}

fn why_of(outcome: Outcome) -> Why {
    match outcome {
        Outcome::GpuFaster => Why::MeasuredGpu,
        Outcome::CpuFaster | Outcome::WithinMargin => Why::MeasuredCpu,
        Outcome::WarmupSlow => Why::WarmupSlow,
    }
}

/// The verdict from the page's timings (ms per run of `trialRule().samples` samples; `gpuMs`
/// empty where the warm-up, `warmupMs` long, was given up). Bad times: an error of kind
/// "bad_input".
#[wasm_bindgen(js_name = decideTrial)]
pub fn decide_trial(
    cpu_ms: Vec<f64>,
    gpu_ms: Vec<f64>,
    warmup_ms: f64,
    model: &str,
    now_ms: f64,
) -> Result<TrialVerdict, JsValue> {
    #[cfg(feature = "test-hooks")]
    let (cpu_ms, gpu_ms) = match INJECTED.with(|i| i.get()) {
        Some((cpu, gpu)) if !gpu_ms.is_empty() => (vec![cpu], vec![gpu]),
        _ => (cpu_ms, gpu_ms),
    };
    Ok(TrialVerdict(trial::decide(
        &cpu_ms, &gpu_ms, warmup_ms, model, now_ms,
    )?))
}

/// The verdict stored under the key, if it still holds (see `trial::remembered`).
#[wasm_bindgen(js_name = rememberedTrial)]
pub fn remembered_trial(record: Option<String>, now_ms: f64) -> Option<TrialVerdict> {
    trial::remembered(record.as_deref(), now_ms).map(TrialVerdict)
}

/// Where this browser keeps the Train view's verdict for the run `spec` (JSON, as for
/// `WebTrainer`) on `adapter` with the CPU on `cpuThreads` threads (see
/// `trial::training_key`). A spec the trainer would refuse: an error of kind "bad_input".
#[wasm_bindgen(js_name = trainTrialKey)]
pub fn train_trial_key(adapter: &str, spec: &str, cpu_threads: u32) -> Result<String, JsValue> {
    let spec = super::page_spec(spec)?;
    Ok(trial::training_key(
        trial::MODULE_VERSION,
        adapter,
        &spec,
        cpu_threads,
    )?)
}

/// The Train view's verdict from its timings: ms per run of `trialRule().trainSteps` steps
/// (`gpuMs` empty where WebGPU's first step, `warmupMs` long, was given up), the CPU on
/// `cpuThreads` threads. Its sentence gives both rates in steps per second. Bad times: an
/// error of kind "bad_input".
#[wasm_bindgen(js_name = decideTrainTrial)]
pub fn decide_train_trial(
    cpu_ms: Vec<f64>,
    gpu_ms: Vec<f64>,
    warmup_ms: f64,
    cpu_threads: u32,
    now_ms: f64,
) -> Result<TrialVerdict, JsValue> {
    Ok(TrialVerdict(trial::decide_training(
        &cpu_ms,
        &gpu_ms,
        warmup_ms,
        cpu_threads,
        now_ms,
    )?))
}

/// The Train view's verdict stored under its key, if it still holds.
#[wasm_bindgen(js_name = rememberedTrainTrial)]
pub fn remembered_train_trial(record: Option<String>, now_ms: f64) -> Option<TrialVerdict> {
    trial::remembered_training(record.as_deref(), now_ms).map(TrialVerdict)
}

#[wasm_bindgen]
impl Backend {
    /// This backend, labelled with a trial's verdict: `reasonCode` and `sentence` of a
    /// `TrialVerdict` (which may come from the other module), or "trial_failed" with no
    /// sentence where the trial could not run. An unknown code is an error.
    pub fn measured(
        &self,
        reason_code: &str,
        sentence: Option<String>,
    ) -> Result<Backend, JsValue> {
        let why = [
            Why::MeasuredGpu,
            Why::MeasuredCpu,
            Why::WarmupSlow,
            Why::TrialFailed,
        ]
        .into_iter()
        .find(|w| w.code() == reason_code)
        .ok_or_else(|| {
            js_error(
                "bad_input",
                &format!("\"{reason_code}\" is not a trial's reason code"),
            )
        })?;
        if why == Why::MeasuredGpu && !self.is_gpu() {
            return Err(js_error(
                "bad_input",
                "a verdict for WebGPU cannot label the CPU backend",
            ));
        }
        Ok(self.clone().because(why, sentence))
    }
}

#[cfg(feature = "test-hooks")]
thread_local! {
    static INJECTED: std::cell::Cell<Option<(f64, f64)>> = const { std::cell::Cell::new(None) };
}

/// Test hook (only in builds with the `test-hooks` feature): the next trials' timings, in
/// place of what the page measured (the warm-up still runs for real). `null` clears it.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = injectTrialTimings)]
pub fn inject_trial_timings(cpu_ms: Option<f64>, gpu_ms: Option<f64>) {
    INJECTED.with(|i| i.set(cpu_ms.zip(gpu_ms)));
}
