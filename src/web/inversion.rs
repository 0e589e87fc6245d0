//! "Find my digit" for the page (full module only: it needs gradients): latent inversion,
//! meant to run in a worker. Thin over `invert` and `target_image`.
// The borrow is held across the await on purpose: while a call is in flight the object is
// borrowed, so a second call fails with kind "busy" instead of re-entering the wasm object.
#![allow(clippy::await_holding_refcell_ref)]

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::errors::{busy, js_error};
use super::generator::WebGan;
use crate::invert::{self, Classes, Inversion, InvertConfig};
use crate::target_image;

/// A running "find my digit" search for one picture. Call `run` for a few steps at a time and
/// `progress` to draw the best match so far; a call made while a `progress` is pending is
/// refused, not queued.
#[wasm_bindgen]
pub struct WebInversion {
    search: Rc<RefCell<Inversion>>,
    target: Vec<f32>,
    notes: Vec<String>,
    blank: bool,
}

#[wasm_bindgen]
impl WebInversion {
    /// Prepares the picture (`width` x `height` RGBA from a canvas: resized, and framed like
    /// MNIST for grey models) and starts a search with `restarts` starting points per class and
    /// `steps` Adam steps (0 for either: the defaults). `class` < 0 tries every class.
    #[wasm_bindgen(constructor)]
    pub fn new(
        gan: &WebGan,
        rgba: &[u8],
        width: usize,
        height: usize,
        restarts: usize,
        steps: usize,
        class: i32,
    ) -> Result<WebInversion, JsValue> {
        let sampler = gan.sampler();
        let (size, channels) = sampler.arch().image_shape().ok_or_else(|| {
            js_error(
                "bad_input",
                "finding a latent for an image needs an image model, not a 2-D one",
            )
        })?;
        let target = target_image::from_rgba(rgba, width, height, size, channels)?;
        let defaults = InvertConfig::default();
        let config = InvertConfig {
            restarts: if restarts == 0 {
                defaults.restarts
            } else {
                restarts
            },
            steps: if steps == 0 { defaults.steps } else { steps },
            ..defaults
        };
        let only = usize::try_from(class).ok().map(|c| [c]);
        let classes = match &only {
            Some(c) => Classes::These(c),
            None => Classes::All,
        };
        let search = Inversion::new(&sampler, &target.pixels, classes, config)?;
        Ok(WebInversion {
            search: Rc::new(RefCell::new(search)),
            target: target.pixels,
            notes: target.notes,
            blank: target.blank,
        })
    }

    /// The picture as the model sees it (channels-last, [-1, 1]).
    #[wasm_bindgen(getter)]
    pub fn target(&self) -> Vec<f32> {
        self.target.clone()
    }

    /// What was done to the picture, one sentence per line.
    #[wasm_bindgen(getter)]
    pub fn notes(&self) -> String {
        self.notes.join("\n")
    }

    #[wasm_bindgen(getter)]
    pub fn blank(&self) -> bool {
        self.blank
    }

    #[wasm_bindgen(getter, js_name = stepsDone)]
    pub fn steps_done(&self) -> usize {
        self.search.borrow().steps_done()
    }

    #[wasm_bindgen(getter, js_name = stepsTotal)]
    pub fn steps_total(&self) -> usize {
        self.search.borrow().steps_total()
    }

    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.search.borrow().finished()
    }

    /// Runs up to `n` steps; resolves to the steps taken. A call made while another `run` or
    /// `progress` is pending is refused.
    pub fn run(&self, n: usize) -> js_sys::Promise {
        let search = self.search.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let mut guard = search.try_borrow_mut().map_err(|_| busy())?;
            let taken = guard.advance(n).await?;
            Ok(JsValue::from(taken as u32))
        })
    }

    /// Resolves to the best match so far as JSON: `{step, steps, loss, rms, class, z, sample,
    /// message}` (`sample` channels-last in [-1, 1]; `class` null for unconditional models).
    pub fn progress(&self) -> js_sys::Promise {
        let search = self.search.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let guard = search.try_borrow().map_err(|_| busy())?;
            let best = guard.progress().await?;
            let b = &best[0];
            let json = serde_json::json!({
                "step": guard.steps_done(),
                "steps": guard.steps_total(),
                "loss": b.loss,
                "rms": invert::rms_error(b.loss),
                "class": b.class,
                "z": b.z,
                "sample": b.sample,
                "message": b.message,
            });
            Ok(JsValue::from_str(&json.to_string()))
        })
    }
}
