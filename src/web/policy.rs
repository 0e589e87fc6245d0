//! The one backend policy, for the Generate view and the Train view alike:
//! - "webgpu": WebGPU, or an error saying why not;
//! - "cpu": the CPU backend;
//! - "auto": WebGPU where the adapter is a real GPU; the CPU where the browser has no WebGPU,
//!   no adapter, or only a software adapter (SwiftShader, `isFallbackAdapter`: Chrome's
//!   fallback where the GPU is blocklisted, and headless Chromium). Measured here: on
//!   SwiftShader 64 digits take 1.7 s and a digits training step 12.8 s, against 75 ms and
//!   0.6 s on the CPU backend in the same page, so the CPU wins there for both views.
//! The chosen backend carries a one-line `reason`, which the page shows beside its name.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::errors::js_error;
use super::session::Backend;

const SOFTWARE: &str = "the WebGPU adapter is a software emulation (SwiftShader), slower than \
     the CPU here; choose WebGPU to use it anyway";

/// What the browser says about its default WebGPU adapter, read through the global object so
/// that this works in a worker too. `None`: no WebGPU, or no adapter.
struct AdapterFacts {
    software: bool,
    name: String,
}

/// `target[key]`, undefined where it cannot be read (shared with `threads`).
pub(super) fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

async fn adapter_facts() -> Result<AdapterFacts, &'static str> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU");
    }
    let request = get(&gpu, "requestAdapter")
        .dyn_into::<js_sys::Function>()
        .map_err(|_| "this browser's WebGPU cannot list adapters")?;
    let promise = request
        .call0(&gpu)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or("this browser's WebGPU cannot list adapters")?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| "this browser's WebGPU found no usable GPU")?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("this browser's WebGPU found no usable GPU");
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
    gpu: bool,
    reason: String,
    adapter: String,
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
        self.reason.clone()
    }
}

/// The policy above for `choice` ("auto", "webgpu" or "cpu"). Errors (kind "backend" or
/// "bad_input") only when WebGPU was asked for explicitly and the browser has none, or the
/// choice is unknown.
#[wasm_bindgen(js_name = planBackend)]
pub async fn plan_backend(choice: &str) -> Result<BackendPlan, JsValue> {
    let cpu = |reason: &str| BackendPlan {
        gpu: false,
        reason: reason.into(),
        adapter: String::new(),
    };
    match choice {
        "cpu" => Ok(cpu("chosen")),
        "webgpu" | "auto" => {
            let facts = match adapter_facts().await {
                Ok(f) => f,
                Err(why) if choice == "auto" => return Ok(cpu(why)),
                Err(why) => return Err(js_error("backend", why)),
            };
            if facts.software && choice == "auto" {
                return Ok(cpu(SOFTWARE));
            }
            Ok(BackendPlan {
                gpu: true,
                reason: if choice == "auto" {
                    "a GPU adapter"
                } else {
                    "chosen"
                }
                .into(),
                adapter: facts.name,
            })
        }
        other => Err(js_error(
            "bad_input",
            &format!("backend \"{other}\": choose auto, webgpu or cpu"),
        )),
    }
}

#[wasm_bindgen]
impl Backend {
    /// Opens the backend `choice` ("auto", "webgpu" or "cpu") names under the policy above.
    /// Errors (kind "backend" or "bad_input") only when WebGPU was asked for explicitly and
    /// cannot be had, or the choice is unknown. Where WebGPU fails to open, "auto" falls back
    /// to the CPU and says why.
    pub async fn open(choice: &str) -> Result<Backend, JsValue> {
        let plan = plan_backend(choice).await?;
        if !plan.gpu {
            return Ok(Backend::cpu().because(&plan.reason));
        }
        let gpu = match Backend::webgpu().await {
            Ok(b) => b,
            Err(e) if choice == "auto" => {
                let why = e
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
                    .unwrap_or_else(|| "WebGPU could not be opened".into());
                return Ok(Backend::cpu().because(&why));
            }
            Err(e) => return Err(e),
        };
        Ok(gpu.named(&plan.adapter).because(&plan.reason))
    }
}
