//! The Generate view's "auto" by measurement (`crate::trial` holds the rule) as JavaScript
//! functions: what to time (`trialRule`), whether this browser can measure at all
//! (`planGenerate`), the key a verdict is stored under (`trialKey`), the verdict from the
//! reported times (`decideTrial`) and a stored one read back (`rememberedTrial`). The page
//! times, stores and shows; it decides nothing.

use wasm_bindgen::prelude::*;

use super::backend::Backend;
use super::errors::js_error;
use super::generator::WebGan;
use super::policy::{Why, adapter_facts};
use crate::trial::{self, Outcome, Verdict};

/// What the page times: `samples` per run, `cpuRuns` on the CPU, one warm-up then `gpuRuns`
/// on WebGPU, and how long the warm-up may take (`warmupLimitMs`) before it is given up.
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

    /// What to store under `trialKey` (opaque to the page).
    #[wasm_bindgen(getter)]
    pub fn record(&self) -> String {
        self.0.to_record()
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
