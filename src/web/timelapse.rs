//! `TimeLapse` for the Train view's worker: the run's grids as it draws them, kept by
//! `crate::timelapse` (how many, which, how stored), and written as an animated GIF.

use wasm_bindgen::prelude::*;

use crate::timelapse::TimeLapse;

#[wasm_bindgen(js_name = TimeLapse)]
pub struct WebTimeLapse {
    inner: TimeLapse,
}

#[wasm_bindgen(js_class = TimeLapse)]
impl WebTimeLapse {
    #[wasm_bindgen(constructor)]
    pub fn new() -> WebTimeLapse {
        WebTimeLapse {
            inner: TimeLapse::new(),
        }
    }

    /// Offers the grid drawn at `step` (RGBA bytes, `width` x `height`, as `renderGrid` makes
    /// them); returns whether it was kept. A grid of another size than the run's first is an
    /// error of kind "bad_input".
    pub fn offer(
        &mut self,
        step: f64,
        width: usize,
        height: usize,
        rgba: &[u8],
    ) -> Result<bool, JsValue> {
        Ok(self.inner.offer(step_of(step)?, width, height, rgba)?)
    }

    /// Keeps the run's latest grid whatever the spacing: what a saved time-lapse ends on.
    #[wasm_bindgen(js_name = offerLast)]
    pub fn offer_last(
        &mut self,
        step: f64,
        width: usize,
        height: usize,
        rgba: &[u8],
    ) -> Result<(), JsValue> {
        Ok(self.inner.offer_last(step_of(step)?, width, height, rgba)?)
    }

    /// Frames kept so far.
    #[wasm_bindgen(getter)]
    pub fn frames(&self) -> usize {
        self.inner.len()
    }

    /// The most frames a time-lapse keeps (older ones are thinned, evenly).
    #[wasm_bindgen(getter, js_name = maxFrames)]
    pub fn max_frames(&self) -> usize {
        crate::timelapse::MAX_FRAMES
    }

    /// The step of the first kept frame, and of the last (0 when there is none).
    #[wasm_bindgen(getter, js_name = firstStep)]
    pub fn first_step(&self) -> f64 {
        self.inner.steps().first().map_or(0.0, |s| *s as f64)
    }

    #[wasm_bindgen(getter, js_name = lastStep)]
    pub fn last_step(&self) -> f64 {
        self.inner.steps().last().map_or(0.0, |s| *s as f64)
    }

    /// The animated GIF of every kept frame; an error of kind "bad_input" before the first.
    pub fn gif(&self) -> Result<Vec<u8>, JsValue> {
        Ok(self.inner.gif()?)
    }
}

/// A step count from JS (a number, as `WebTrainer.steps` gives it).
fn step_of(step: f64) -> Result<u64, JsValue> {
    if step.is_finite() && step >= 0.0 && step.fract() == 0.0 && step < 2f64.powi(53) {
        Ok(step as u64)
    } else {
        Err(super::errors::js_error(
            "bad_input",
            &format!("step {step} is not a whole number of steps"),
        ))
    }
}

impl Default for WebTimeLapse {
    fn default() -> Self {
        Self::new()
    }
}
