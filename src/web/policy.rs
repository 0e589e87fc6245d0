//! The one backend policy, for the Generate view and the Train view alike:
//! - "webgpu": WebGPU, or an error saying why not;
//! - "cpu": the CPU backend;
//! - "auto": WebGPU where the adapter is a real GPU; the CPU where the browser has no WebGPU,
//!   no adapter, or only a software adapter (SwiftShader, `isFallbackAdapter`: Chrome's
//!   fallback where the GPU is blocklisted, and headless Chromium): there the CPU backend in
//!   the same page is many times faster for both views (docs/performance.md).
//!
//! Both views' "auto" measures (`trial`, `crate::trial`): the Generate view starts on the CPU
//! and times both in the background; the Train view times a few steps on each before a run
//! starts, trying this rule's pick first. The adapter's facts say only that WebGPU is there to
//! measure, and what to try first.
//!
//! The chosen backend carries a one-line `reason`, which the page shows beside its name.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::errors::js_error;

/// Why a backend is in use: a stable code the page branches on (`reasonCode`), and the
/// sentence it shows (`reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// The Backend menu asked for it.
    Chosen,
    /// "auto" found a GPU adapter.
    GpuAdapter,
    NoWebgpu,
    NoAdapter,
    /// The only adapter is a software emulation, slower than the CPU.
    Software,
    /// WebGPU was there but would not open.
    OpenFailed,
    /// The Generate view's first grids run on the CPU while WebGPU is measured against it in
    /// the background (`trial`).
    Measuring,
    /// The trial measured WebGPU faster by the margin (`crate::trial`).
    MeasuredGpu,
    /// The trial measured the CPU faster, or WebGPU not faster by the margin.
    MeasuredCpu,
    /// The trial gave WebGPU's warm-up up after its time limit.
    WarmupSlow,
    /// The trial could not run (WebGPU would not open, the full module did not load).
    TrialFailed,
}

impl Why {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Why::Chosen => "chosen",
            Why::GpuAdapter => "gpu_adapter",
            Why::NoWebgpu => "no_webgpu",
            Why::NoAdapter => "no_adapter",
            Why::Software => "software",
            Why::OpenFailed => "open_failed",
            Why::Measuring => "measuring",
            Why::MeasuredGpu => "measured_gpu",
            Why::MeasuredCpu => "measured_cpu",
            Why::WarmupSlow => "warmup_slow",
            Why::TrialFailed => "trial_failed",
        }
    }

    pub(crate) fn sentence(self) -> &'static str {
        match self {
            Why::Chosen => "chosen",
            Why::GpuAdapter => "a GPU adapter",
            Why::NoWebgpu => "this browser has no WebGPU",
            Why::NoAdapter => "this browser's WebGPU found no usable GPU",
            Why::Software => {
                "the WebGPU adapter is a software emulation (SwiftShader), slower than the CPU \
                 here; choose WebGPU to use it anyway"
            }
            Why::OpenFailed => "WebGPU could not be opened",
            // The trial's own sentences carry the figures; these stand where none is given.
            Why::Measuring => "WebGPU is being measured against the CPU in the background",
            Why::MeasuredGpu => "WebGPU measured faster than the CPU",
            Why::MeasuredCpu => "the CPU measured faster than WebGPU",
            Why::WarmupSlow => "WebGPU took too long to prepare its shaders",
            Why::TrialFailed => "WebGPU could not be measured here, so the CPU stays",
        }
    }
}

/// What the browser says about its default WebGPU adapter, read through the global object so
/// that this works in a worker too. `None`: no WebGPU, or no adapter.
pub(super) struct AdapterFacts {
    pub(super) software: bool,
    pub(super) name: String,
}

/// `target[key]`, undefined where it cannot be read (shared with `threads`).
pub(super) fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub(super) async fn adapter_facts() -> Result<AdapterFacts, Why> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err(Why::NoWebgpu);
    }
    let request = get(&gpu, "requestAdapter")
        .dyn_into::<js_sys::Function>()
        .map_err(|_| Why::NoAdapter)?;
    let promise = request
        .call0(&gpu)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or(Why::NoAdapter)?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| Why::NoAdapter)?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(Why::NoAdapter);
    }
    let info = get(&adapter, "info");
    let text = |key: &str| get(&info, key).as_string().unwrap_or_default();
    let name = [text("vendor"), text("architecture"), text("description")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let fallback = get(&info, "isFallbackAdapter").as_bool().unwrap_or(false)
        || get(&adapter, "isFallbackAdapter")
            .as_bool()
            .unwrap_or(false);
    Ok(AdapterFacts {
        software: fallback || name.to_ascii_lowercase().contains("swiftshader"),
        name,
    })
}

/// What the policy picks, decided before anything is opened: the page loads the module that
/// can run it (the small generation module has only the CPU backend).
#[wasm_bindgen]
pub struct BackendPlan {
    pub(super) gpu: bool,
    pub(super) why: Why,
    pub(super) adapter: String,
    pub(super) software: bool,
}

#[wasm_bindgen]
impl BackendPlan {
    /// Whether the policy picks WebGPU.
    #[wasm_bindgen(getter, js_name = isGpu)]
    pub fn is_gpu(&self) -> bool {
        self.gpu
    }

    /// Why, in one line.
    #[wasm_bindgen(getter)]
    pub fn reason(&self) -> String {
        self.why.sentence().into()
    }

    /// Why, as a code: chosen, gpu_adapter, no_webgpu, no_adapter or software.
    #[wasm_bindgen(getter, js_name = reasonCode)]
    pub fn reason_code(&self) -> String {
        self.why.code().into()
    }

    /// Whether the browser's WebGPU adapter is a software emulation (SwiftShader, or flagged
    /// as a fallback adapter).
    #[wasm_bindgen(getter)]
    pub fn software(&self) -> bool {
        self.software
    }

    /// The adapter's name ("" without one): part of the Train view's trial key.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.adapter.clone()
    }

    /// Whether there is a WebGPU adapter to measure against the CPU (a real one, or a software
    /// one that "auto" does not pick by name).
    #[wasm_bindgen(getter)]
    pub fn measure(&self) -> bool {
        self.gpu || self.why == Why::Software
    }
}

/// The policy above for `choice` ("auto", "webgpu" or "cpu"). Errors (kind "backend" or
/// "bad_input") only when WebGPU was asked for explicitly and the browser has none, or the
/// choice is unknown.
#[wasm_bindgen(js_name = planBackend)]
pub async fn plan_backend(choice: &str) -> Result<BackendPlan, JsValue> {
    let cpu = |why: Why, software: bool| BackendPlan {
        gpu: false,
        why,
        adapter: String::new(),
        software,
    };
    match choice {
        "cpu" => Ok(cpu(Why::Chosen, false)),
        "webgpu" | "auto" => {
            let facts = match adapter_facts().await {
                Ok(f) => f,
                Err(why) if choice == "auto" => return Ok(cpu(why, false)),
                Err(why) => return Err(js_error("backend", why.sentence())),
            };
            if facts.software && choice == "auto" {
                return Ok(BackendPlan {
                    adapter: facts.name,
                    ..cpu(Why::Software, true)
                });
            }
            Ok(BackendPlan {
                gpu: true,
                why: if choice == "auto" {
                    Why::GpuAdapter
                } else {
                    Why::Chosen
                },
                adapter: facts.name,
                software: facts.software,
            })
        }
        other => Err(js_error(
            "bad_input",
            &format!("backend \"{other}\": choose auto, webgpu or cpu"),
        )),
    }
}
