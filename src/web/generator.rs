//! A generator loaded onto a backend, as a JS class: the Generate view's model.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::backend::Backend;
use super::errors::js_error;
use crate::inference::Sampler;

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
        let sampler = Sampler::load(weights, name, backend.device())?;
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
