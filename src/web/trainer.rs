//! The Train view's JS class: a thin wrapper over [`LiveTrainer`]. Meant to live in a web
//! worker; every method that touches the device returns a Promise.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::session::Backend;
use crate::live::{LiveOptions, LiveTrainer};

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

fn busy() -> JsValue {
    JsError::new("the trainer is busy: wait for the previous call to finish").into()
}

/// A GAN being trained in the page. Methods that run on the device take the trainer for the
/// length of their promise: calling another one before it settles is refused, not queued.
#[wasm_bindgen]
pub struct WebTrainer {
    inner: Rc<RefCell<LiveTrainer>>,
}

#[wasm_bindgen]
impl WebTrainer {
    /// New networks for `options` (JSON; see `LiveOptions`). Invalid options throw an Error
    /// that names the field and why.
    #[wasm_bindgen(constructor)]
    pub fn new(backend: &Backend, options: &str) -> Result<WebTrainer, JsError> {
        let options: LiveOptions = serde_json::from_str(if options.trim().is_empty() {
            "{}"
        } else {
            options
        })
        .map_err(|e| JsError::new(&format!("training options: {e}")))?;
        let trainer = LiveTrainer::new(options, backend.device()).map_err(JsError::from)?;
        Ok(Self::wrap(trainer))
    }

    /// Continues from a checkpoint file.
    pub fn resume(backend: &Backend, checkpoint: &[u8]) -> Result<WebTrainer, JsError> {
        let trainer = LiveTrainer::resume(checkpoint, "checkpoint", backend.device())
            .map_err(JsError::from)?;
        Ok(Self::wrap(trainer))
    }

    fn wrap(trainer: LiveTrainer) -> WebTrainer {
        WebTrainer {
            inner: Rc::new(RefCell::new(trainer)),
        }
    }

    fn take(&self) -> Result<Rc<RefCell<LiveTrainer>>, JsError> {
        if self.inner.try_borrow_mut().is_err() {
            return Err(JsError::new(
                "the trainer is busy: wait for the previous call to finish",
            ));
        }
        Ok(self.inner.clone())
    }

    /// Read-only access for getters; they must not panic while a step is in flight, so they
    /// fall back to `default` then.
    fn peek<T>(&self, default: T, f: impl FnOnce(&LiveTrainer) -> T) -> T {
        self.inner.try_borrow().map_or(default, |t| f(&t))
    }

    /// Training images: `pixels` holds count x channels x size x size values in [-1, 1], each
    /// image channels-first (CHW); `labels` is empty or one class per image.
    #[wasm_bindgen(js_name = setImages)]
    pub fn set_images(&self, pixels: Vec<f32>, labels: Vec<i32>) -> Result<(), JsError> {
        let inner = self.take()?;
        let mut t = inner.borrow_mut();
        let (size, channels) = t.arch().image_shape().unwrap_or((0, 0));
        let samples = if channels > 1 && size > 0 {
            chw_to_hwc(&pixels, size, channels)
        } else {
            pixels
        };
        let labels = (!labels.is_empty()).then(|| labels.into_iter().map(i64::from).collect());
        t.set_images(samples, labels).map_err(JsError::from)
    }

    /// Runs `n` steps; resolves to the last step's statistics as JSON.
    pub fn step(&self, n: u32) -> Result<js_sys::Promise, JsError> {
        let inner = self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let mut t = inner.try_borrow_mut().map_err(|_| busy())?;
            let values = t.step(n).await.map_err(js_err)?;
            Ok(serde_json::to_string(&values).unwrap_or_default().into())
        }))
    }

    /// The watched latent batch through the generator: 64 images (channels-last, for
    /// `renderGrid`) or 512 x,y points.
    pub fn samples(&self) -> Result<js_sys::Promise, JsError> {
        let inner = self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let t = inner.try_borrow().map_err(|_| busy())?;
            let v = t.samples().await.map_err(js_err)?;
            Ok(js_sys::Float32Array::from(v.as_slice()).into())
        }))
    }

    /// Toy data: `n` real points as x,y pairs.
    #[wasm_bindgen(js_name = realPoints)]
    pub fn real_points(&self, n: usize) -> Vec<f32> {
        self.peek(Vec::new(), |t| t.real_points(n.min(100_000)))
    }

    /// Toy data: D's probability of "real" on a grid (see `LiveTrainer::heatmap`).
    pub fn heatmap(&self, resolution: usize, extent: f32) -> Result<js_sys::Promise, JsError> {
        let inner = self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let t = inner.try_borrow().map_err(|_| busy())?;
            let v = t.heatmap(resolution, extent).await.map_err(js_err)?;
            Ok(js_sys::Float32Array::from(v.as_slice()).into())
        }))
    }

    /// Mode coverage (2-D) or a diversity ratio (images), as JSON, with a `collapsed` flag.
    pub fn quality(&self) -> Result<js_sys::Promise, JsError> {
        let inner = self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let t = inner.try_borrow().map_err(|_| busy())?;
            let q = t.quality().await.map_err(js_err)?;
            Ok(serde_json::to_string(&q).unwrap_or_default().into())
        }))
    }

    /// The generator as a `.wgan` file.
    #[wasm_bindgen(js_name = exportGenerator)]
    pub fn export_generator(&self) -> Result<js_sys::Promise, JsError> {
        let inner = self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let t = inner.try_borrow().map_err(|_| busy())?;
            let bytes = t.export_generator().await.map_err(js_err)?;
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        }))
    }

    /// A checkpoint (weights and step; Adam restarts on resume) as a `.wgan` file.
    #[wasm_bindgen(js_name = exportCheckpoint)]
    pub fn export_checkpoint(&self) -> Result<js_sys::Promise, JsError> {
        let inner = self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let t = inner.try_borrow().map_err(|_| busy())?;
            let bytes = t.export_checkpoint().await.map_err(js_err)?;
            Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
        }))
    }

    /// Steps completed (NaN while a step call is in flight).
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> f64 {
        self.peek(f64::NAN, |t| t.steps() as f64)
    }

    #[wasm_bindgen(getter, js_name = isToy)]
    pub fn is_toy(&self) -> bool {
        self.peek(false, |t| t.toy().is_some())
    }

    #[wasm_bindgen(getter, js_name = imageSize)]
    pub fn image_size(&self) -> usize {
        self.peek(0, |t| t.arch().image_shape().map_or(0, |s| s.0))
    }

    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> usize {
        self.peek(0, |t| t.arch().image_shape().map_or(0, |s| s.1))
    }

    #[wasm_bindgen(getter, js_name = nClasses)]
    pub fn n_classes(&self) -> usize {
        self.peek(0, |t| t.arch().n_classes())
    }

    #[wasm_bindgen(getter, js_name = latentDim)]
    pub fn latent_dim(&self) -> usize {
        self.peek(0, |t| t.arch().latent_dim())
    }

    /// The effective options (defaults filled in) as JSON.
    pub fn options(&self) -> String {
        let mut o = self.peek(Default::default(), |t| t.options().clone());
        if let Ok((arch, config)) = o.resolve() {
            o.lr_g = Some(config.lr_g);
            o.lr_d = Some(config.lr_d);
            o.batch_size = Some(config.batch_size);
            o.latent_dim = Some(arch.latent_dim());
        }
        serde_json::to_string(&o).unwrap_or_default()
    }

    /// Test hook: poisons the discriminator with NaN, as an exploding run would.
    #[wasm_bindgen(js_name = injectNan)]
    pub fn inject_nan(&self) -> Result<(), JsError> {
        self.take()?.borrow_mut().inject_nan();
        Ok(())
    }
}

/// Size of the wasm linear memory in bytes (it only grows: flat means no leak).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map_or(0.0, |b| b.byte_length() as f64)
        })
        .unwrap_or(0.0)
}

fn chw_to_hwc(pixels: &[f32], size: usize, channels: usize) -> Vec<f32> {
    let plane = size * size;
    let per = plane * channels;
    let mut out = Vec::with_capacity(pixels.len());
    for image in pixels.chunks(per) {
        if image.len() < per {
            // A partial image: pass it through so set_images reports the bad length.
            out.extend_from_slice(image);
            break;
        }
        for p in 0..plane {
            for c in 0..channels {
                out.push(image[c * plane + p]);
            }
        }
    }
    out
}
