//! Backends and loaded generators, as JS classes.

#[cfg(feature = "gpu")]
use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use wasm_bindgen::prelude::*;

use super::errors::js_error;
use crate::inference::Sampler;

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
    /// Why this backend is in use (see `policy`), shown beside its name.
    reason: Option<String>,
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
            reason: None,
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
        self.reason.clone()
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
            reason: None,
        };
        WEBGPU.with(|b| *b.borrow_mut() = Some(backend.clone()));
        Ok(backend)
    }

    pub(crate) fn because(mut self, reason: &str) -> Backend {
        self.reason = Some(reason.to_string());
        self
    }

    /// Names the adapter where wgpu did not pass its name through.
    pub(crate) fn named(mut self, adapter: &str) -> Backend {
        if self.description == "WebGPU" && !adapter.is_empty() {
            self.description = format!("WebGPU ({adapter})");
        }
        self
    }

    /// The burn device (for Rust code and tests running in the page).
    pub fn device(&self) -> &Device {
        &self.device
    }
}

/// A generator loaded onto a backend. Weights are uploaded once, here; each `generate` only
/// sends the latent vectors.
#[wasm_bindgen]
pub struct WebGan {
    sampler: Rc<Sampler>,
}

#[wasm_bindgen]
impl WebGan {
    /// Loads a `.wgan` file (generator or checkpoint). A wrong or corrupt file is an error
    /// that says what is wrong.
    pub fn load(backend: &Backend, weights: &[u8], name: &str) -> Result<WebGan, JsValue> {
        let sampler = Sampler::load(weights, name, &backend.device)?;
        Ok(WebGan {
            sampler: Rc::new(sampler),
        })
    }

    /// Computes convolutions through matmul instead of burn's convolution kernels (same
    /// weights, same results; faster where the backend's convolutions are slow).
    #[wasm_bindgen(js_name = setMatmulConvs)]
    pub fn set_matmul_convs(&mut self, on: bool) -> Result<(), JsValue> {
        Rc::get_mut(&mut self.sampler)
            .ok_or_else(|| js_error("busy", "cannot switch while a generation is running"))?
            .set_matmul_convs(on);
        Ok(())
    }

    /// The file's manifest (architecture, data, steps, metrics, provenance) as JSON.
    #[wasm_bindgen(getter)]
    pub fn manifest(&self) -> String {
        serde_json::to_string(&self.sampler.manifest).unwrap_or_default()
    }

    #[wasm_bindgen(getter, js_name = latentDim)]
    pub fn latent_dim(&self) -> usize {
        self.sampler.latent_dim()
    }

    #[wasm_bindgen(getter, js_name = nClasses)]
    pub fn n_classes(&self) -> usize {
        self.sampler.arch().n_classes()
    }

    /// Side of the images in pixels (0 for 2-D models).
    #[wasm_bindgen(getter, js_name = imageSize)]
    pub fn image_size(&self) -> usize {
        self.sampler.arch().image_shape().map_or(0, |s| s.0)
    }

    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> usize {
        self.sampler.arch().image_shape().map_or(0, |s| s.1)
    }

    /// Labels for `n` samples: all `class`, or cycling through the classes when `class` is
    /// negative. Empty for unconditional models.
    pub fn labels(&self, n: usize, class: i32) -> Result<Vec<i32>, JsValue> {
        let class = usize::try_from(class).ok();
        let labels = self.sampler.labels(n, class)?;
        Ok(labels
            .unwrap_or_default()
            .into_iter()
            .map(|l| l as i32)
            .collect())
    }

    /// Runs the generator on latent vectors `z` (n x latentDim) and labels (empty for
    /// unconditional models); resolves to n samples, channels-last, in [-1, 1].
    pub fn generate(&self, z: Vec<f32>, labels: Vec<i32>) -> js_sys::Promise {
        let sampler = self.sampler.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let labels = (!labels.is_empty()).then(|| labels.into_iter().map(i64::from).collect());
            let samples = sampler
                .generate_async(z, labels)
                .await
                .map_err(JsValue::from)?;
            Ok(js_sys::Float32Array::from(samples.as_slice()).into())
        })
    }
}

impl WebGan {
    /// The loaded generator, shared with the latent tools.
    pub(crate) fn sampler(&self) -> Rc<Sampler> {
        self.sampler.clone()
    }
}
