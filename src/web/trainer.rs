//! The Train view's JS class: a thin wrapper over [`TrainingRun`], the run `webgan train`
//! drives too. Meant to live in a web worker; every method that touches the device returns a
//! Promise, and every error is a JS `Error` with a `kind` (see `errors`).
// The borrow is held across the await on purpose: while a call is in flight the object is
// borrowed, so a second call fails with kind "busy" instead of re-entering the wasm object.
#![allow(clippy::await_holding_refcell_ref)]

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::backend::Backend;
use super::data::WebData;
use super::errors::busy;
use crate::run::TrainingRun;

/// A GAN being trained in the page. Methods that run on the device take the trainer for the
/// length of their promise: calling another one before it settles is refused, not queued.
#[wasm_bindgen]
pub struct WebTrainer {
    inner: Rc<RefCell<TrainingRun>>,
    data_on_device: bool,
}

/// Runs an async method of the run and turns its result into a JS value.
macro_rules! on_run {
    ($self:ident, |$t:ident| $body:expr) => {{
        let inner = $self.take()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            #[allow(unused_mut)]
            let mut $t = inner.try_borrow_mut().map_err(|_| busy())?;
            Ok($body)
        }))
    }};
}

#[wasm_bindgen]
impl WebTrainer {
    /// New networks for `spec` (JSON, see `spec::TrainSpec`: a preset and overrides) on
    /// `data` (`WebData.none()` for the toy presets). Invalid specs throw an Error of kind
    /// "bad_input" that names the field.
    #[wasm_bindgen(constructor)]
    pub fn new(backend: &Backend, spec: &str, data: &WebData) -> Result<WebTrainer, JsValue> {
        let spec = super::page_spec(spec)?;
        let run = TrainingRun::new(&spec, data.dataset.clone(), backend.device())?;
        Self::wrap(run, backend)
    }

    /// Continues from a checkpoint file; image checkpoints need their data set again.
    pub fn resume(
        backend: &Backend,
        checkpoint: &[u8],
        data: &WebData,
    ) -> Result<WebTrainer, JsValue> {
        let run = TrainingRun::resume(
            checkpoint,
            "checkpoint",
            data.dataset.clone(),
            backend.device(),
        )?;
        Self::wrap(run, backend)
    }

    fn wrap(mut run: TrainingRun, backend: &Backend) -> Result<WebTrainer, JsValue> {
        // WebGPU cannot be read synchronously in a page; the CPU backend can.
        run.set_sync_reads(!backend.is_gpu());
        // On WebGPU every upload crosses to the browser's GPU process: the set goes once.
        let on_device = run.keep_data_on_device(backend.is_gpu())?;
        run.provenance
            .insert("trained_in".into(), "the webgan page (Train view)".into());
        Ok(WebTrainer {
            inner: Rc::new(RefCell::new(run)),
            data_on_device: on_device,
        })
    }

    /// Whether the training set is kept on the GPU and batches are gathered there.
    #[wasm_bindgen(getter, js_name = dataOnDevice)]
    pub fn data_on_device(&self) -> bool {
        self.data_on_device
    }

    fn take(&self) -> Result<Rc<RefCell<TrainingRun>>, JsValue> {
        if self.inner.try_borrow_mut().is_err() {
            return Err(busy());
        }
        Ok(self.inner.clone())
    }

    /// Read-only access for getters; they must not panic while a step is in flight, so they
    /// fall back to `default` then.
    fn peek<T>(&self, default: T, f: impl FnOnce(&TrainingRun) -> T) -> T {
        self.inner.try_borrow().map_or(default, |t| f(&t))
    }

    /// Runs `n` steps; resolves to the last step's statistics as JSON. A divergence rejects
    /// with kind "diverged" after rolling back to the last good step.
    pub fn step(&self, n: u32) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            let values = t.step(n).await?;
            JsValue::from(serde_json::to_string(&values).unwrap_or_default())
        })
    }

    /// The watched latent batch through the generator: images channels-last (for
    /// `renderGrid`, in `watchedColumns` columns) or 512 x,y points.
    pub fn samples(&self) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            let v = t.samples().await?;
            js_sys::Float32Array::from(v.as_slice()).into()
        })
    }

    /// Toy data: `n` real points as x,y pairs.
    #[wasm_bindgen(js_name = realPoints)]
    pub fn real_points(&self, n: usize) -> Vec<f32> {
        self.peek(Vec::new(), |t| t.real_points(n.min(100_000)))
    }

    /// Toy data: D's probability of "real" on a grid (see `TrainingRun::heatmap`).
    pub fn heatmap(&self, resolution: usize, extent: f32) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            let v = t.heatmap(resolution, extent).await?;
            js_sys::Float32Array::from(v.as_slice()).into()
        })
    }

    /// Mode coverage (2-D) or a diversity ratio (images), as JSON, with a `collapsed` flag.
    pub fn quality(&self) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            let q = t.quality().await?;
            JsValue::from(serde_json::to_string(&q).unwrap_or_default())
        })
    }

    /// The shipped classifier (`models/{name}.wgan`) the live quality meter needs for this
    /// run, or undefined where none fits (toy data, faces, unlabelled or other images): then
    /// there is no meter.
    #[wasm_bindgen(getter, js_name = meterClassifier)]
    pub fn meter_classifier(&self) -> Option<String> {
        self.peek(None, |t| t.meter_classifier().map(String::from))
    }

    /// Loads that classifier's bytes for the meter; returns whether the meter is on.
    #[wasm_bindgen(js_name = attachMeter)]
    pub fn attach_meter(&self, classifier: &[u8]) -> Result<bool, JsValue> {
        Ok(self.take()?.borrow_mut().attach_meter(classifier)?)
    }

    #[wasm_bindgen(getter, js_name = hasMeter)]
    pub fn has_meter(&self) -> bool {
        self.peek(false, TrainingRun::has_meter)
    }

    /// Whether the meter should be read now, so that it takes at most its share of the time
    /// (`run::meter::MAX_SHARE`, by its own timings). The worker asks before each reading.
    #[wasm_bindgen(js_name = meterDue)]
    pub fn meter_due(&self) -> bool {
        self.peek(false, TrainingRun::meter_due)
    }

    /// Reads the meter now: JSON of `run::MeterReading` (per-class readability, diversity, FID
    /// estimate, a sentence), or null without a meter.
    pub fn meter(&self) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            match t.read_meter().await? {
                Some(r) => JsValue::from(serde_json::to_string(&r).unwrap_or_default()),
                None => JsValue::NULL,
            }
        })
    }

    /// The generator as a `.wgan` file.
    #[wasm_bindgen(js_name = exportGenerator)]
    pub fn export_generator(&self) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            let bytes = t.export_generator().await?;
            js_sys::Uint8Array::from(bytes.as_slice()).into()
        })
    }

    /// A checkpoint as a `.wgan` file: with Adam's state on the CPU backend, weights and step
    /// only on WebGPU (see `keepsOptimizer`).
    #[wasm_bindgen(js_name = exportCheckpoint)]
    pub fn export_checkpoint(&self) -> Result<js_sys::Promise, JsValue> {
        on_run!(self, |t| {
            let bytes = t.export_checkpoint().await?;
            js_sys::Uint8Array::from(bytes.as_slice()).into()
        })
    }

    /// Whether exported checkpoints carry Adam's state (the CPU backend) or not (WebGPU).
    /// Resuming in the page always restarts Adam; `webgan train --resume` restores it.
    #[wasm_bindgen(getter, js_name = keepsOptimizer)]
    pub fn keeps_optimizer(&self) -> bool {
        self.peek(false, TrainingRun::checkpoints_keep_optimizer)
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

    /// Columns of the watched sample grid (one class per column for conditional models).
    #[wasm_bindgen(getter, js_name = watchedColumns)]
    pub fn watched_columns(&self) -> usize {
        self.peek(8, TrainingRun::watched_columns)
    }

    /// The effective spec (every default filled in) as JSON.
    pub fn spec(&self) -> String {
        self.peek(String::new(), |t| {
            serde_json::to_string(&t.spec()).unwrap_or_default()
        })
    }

    /// Provenance of the run (e.g. `optimizer`: whether Adam was restored) as JSON.
    pub fn provenance(&self) -> String {
        self.peek(String::new(), |t| {
            serde_json::to_string(&t.provenance).unwrap_or_default()
        })
    }

    /// Test hook (only in builds with the `test-hooks` feature): poisons the discriminator
    /// with NaN, as an exploding run would.
    #[cfg(feature = "test-hooks")]
    #[wasm_bindgen(js_name = injectNan)]
    pub fn inject_nan(&self) -> Result<(), JsValue> {
        self.take()?.borrow_mut().inject_nan();
        Ok(())
    }
}
