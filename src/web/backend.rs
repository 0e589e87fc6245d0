//! The backend a page computes on, as a JS class: WebGPU or the CPU, with why it is in use.
//! Which one to open is the policy's (`policy`): `Backend.open` follows it.

#[cfg(feature = "gpu")]
use std::cell::RefCell;

use burn::tensor::Device;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::errors::js_error;

#[cfg(feature = "gpu")]
thread_local! {
    /// burn registers one wgpu runtime per device for the life of the page: open it once and
    /// hand out the same backend afterwards.
    static WEBGPU: RefCell<Option<Backend>> = const { RefCell::new(None) };
}

/// Where tensors run: WebGPU (through burn-wgpu) or the CPU (burn's `flex`, in wasm).
#[wasm_bindgen]
#[derive(Clone)]
pub struct Backend {
    device: Device,
    description: String,
    gpu: bool,
    /// Why this backend is in use (see `policy`), shown beside its name, and in the words the
    /// reason was found in where they say more than the code's sentence.
    why: Option<(super::policy::Why, Option<String>)>,
    /// A software emulation of a GPU (SwiftShader): it works, slowly.
    software: bool,
    /// The GPU adapter's name ("" on the CPU, or where the browser gives none).
    adapter: String,
}

#[wasm_bindgen]
impl Backend {
    /// Opens WebGPU. Fails with a readable error when the browser has no WebGPU or no
    /// adapter; the page then falls back to [`Backend::cpu`].
    /// Errors have kind "backend"; the message is one plain sentence and the error's `detail`
    /// property holds what wgpu said.
    pub async fn webgpu() -> Result<Backend, JsValue> {
        #[cfg(not(feature = "gpu"))]
        return Err(js_error(
            "backend",
            "this is the page's CPU-only generation module; WebGPU runs in the full module",
        ));
        #[cfg(feature = "gpu")]
        Self::open_webgpu().await
    }

    /// burn's `flex` CPU backend compiled to wasm: one thread, or the threaded build's pool.
    pub fn cpu() -> Backend {
        let threads = super::cpu_threads();
        Backend {
            device: Device::flex(),
            description: if threads > 1 {
                format!("CPU (burn flex, wasm, {threads} threads)")
            } else {
                "CPU (burn flex, wasm)".into()
            },
            gpu: false,
            why: None,
            software: false,
            adapter: String::new(),
        }
    }

    /// What the page shows as "backend in use".
    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        self.description.clone()
    }

    #[wasm_bindgen(getter, js_name = isGpu)]
    pub fn is_gpu(&self) -> bool {
        self.gpu
    }

    /// Why this backend is in use: "chosen", "a GPU adapter", or why WebGPU was not used.
    #[wasm_bindgen(getter)]
    pub fn reason(&self) -> Option<String> {
        let (why, said) = self.why.as_ref()?;
        Some(said.clone().unwrap_or_else(|| why.sentence().into()))
    }

    /// The same as a code the page can branch on: chosen, gpu_adapter, no_webgpu, no_adapter,
    /// software or open_failed; where "auto" measures (`trial`, both views), measuring,
    /// measured_gpu, measured_cpu, warmup_slow or trial_failed. None for a backend opened
    /// directly.
    #[wasm_bindgen(getter, js_name = reasonCode)]
    pub fn reason_code(&self) -> Option<String> {
        self.why.as_ref().map(|(why, _)| why.code().into())
    }

    /// Whether this is WebGPU on a software emulation of a GPU.
    #[wasm_bindgen(getter)]
    pub fn software(&self) -> bool {
        self.software
    }

    /// The GPU adapter's name, "" on the CPU.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.adapter.clone()
    }
}

impl Backend {
    #[cfg(feature = "gpu")]
    async fn open_webgpu() -> Result<Backend, JsValue> {
        if let Some(backend) = WEBGPU.with(|b| b.borrow().clone()) {
            return Ok(backend);
        }
        // Through the global object, so this works in a worker as well as in the page.
        let has_gpu = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
            .ok()
            .filter(|n| !n.is_undefined())
            .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()).ok())
            .is_some_and(|gpu| !gpu.is_undefined() && !gpu.is_null());
        if !has_gpu {
            return Err(js_error("backend", "this browser has no WebGPU"));
        }
        let (device, setup) = burn::tensor::wgpu::WgpuOptions::default()
            .init_with_setup_async()
            .await
            .map_err(|e| {
                let error = js_error("backend", "this browser's WebGPU found no usable GPU");
                let _ = js_sys::Reflect::set(&error, &"detail".into(), &e.to_string().into());
                error
            })?;
        let info = setup.adapter.get_info();
        let name = [
            info.name.as_str(),
            info.driver.as_str(),
            info.driver_info.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
        let backend = Backend {
            device,
            description: if name.is_empty() {
                "WebGPU".into()
            } else {
                format!("WebGPU ({name})")
            },
            gpu: true,
            why: None,
            software: false,
            adapter: info.name.clone(),
        };
        WEBGPU.with(|b| *b.borrow_mut() = Some(backend.clone()));
        Ok(backend)
    }

    pub(crate) fn because(mut self, why: super::policy::Why, said: Option<String>) -> Backend {
        self.why = Some((why, said));
        self
    }

    pub(crate) fn with_software(mut self, software: bool) -> Backend {
        self.software = software;
        self
    }

    /// Names the adapter where wgpu did not pass its name through.
    pub(crate) fn named(mut self, adapter: &str) -> Backend {
        if self.description == "WebGPU" && !adapter.is_empty() {
            self.description = format!("WebGPU ({adapter})");
        }
        if self.adapter.is_empty() {
            self.adapter = adapter.to_string();
        }
        self
    }

    /// The burn device (for Rust code and tests running in the page).
    pub fn device(&self) -> &Device {
        &self.device
    }
}

#[wasm_bindgen]
impl Backend {
    /// Opens the backend `choice` ("auto", "webgpu" or "cpu") names under the policy above.
    /// Errors (kind "backend" or "bad_input") only when WebGPU was asked for explicitly and
    /// cannot be had, or the choice is unknown. Where WebGPU fails to open, "auto" falls back
    /// to the CPU and says why.
    pub async fn open(choice: &str) -> Result<Backend, JsValue> {
        let plan = super::policy::plan_backend(choice).await?;
        if !plan.gpu {
            return Ok(Backend::cpu().because(plan.why, None));
        }
        let gpu = match Backend::webgpu().await {
            Ok(b) => b,
            Err(e) if choice == "auto" => {
                let said = e
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()));
                return Ok(Backend::cpu().because(super::policy::Why::OpenFailed, said));
            }
            Err(e) => return Err(e),
        };
        Ok(gpu
            .named(&plan.adapter)
            .with_software(plan.software)
            .because(plan.why, None))
    }
}
