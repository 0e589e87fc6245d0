//! The latent tools for the page: truncation, the latent plane, principal and attribute
//! directions (in
//! both modules; "find my digit" needs gradients and lives in `inversion`, full module only).
//! Thin over `latent` and `directions`; everything that touches the device returns a Promise.

use wasm_bindgen::prelude::*;

use super::generator::WebGan;
use crate::directions;
use crate::latent;

/// `z` pulled toward the mean by `psi` in [0, 1] (1 = untouched, 0 = the mean sample).
#[wasm_bindgen]
pub fn truncate(z: &[f32], psi: f32) -> Result<Vec<f32>, JsValue> {
    Ok(latent::truncate(z, psi)?)
}

/// A rows x cols grid of latents between 2 to 4 corners (flat, `dim` each; top-left,
/// top-right, bottom-left, bottom-right), by spherical interpolation.
#[wasm_bindgen(js_name = latentPlane)]
pub fn latent_plane(
    corners: &[f32],
    dim: usize,
    rows: usize,
    cols: usize,
) -> Result<Vec<f32>, JsValue> {
    Ok(latent::plane(corners, dim, rows, cols)?)
}

/// The model's principal directions as JSON: `{"computed": bool, "directions": {...}}` — the
/// ones stored in the file, or computed now (a few seconds) when it has none.
#[wasm_bindgen(js_name = modelDirections)]
pub fn model_directions(gan: &WebGan) -> js_sys::Promise {
    let sampler = gan.sampler();
    wasm_bindgen_futures::future_to_promise(async move {
        let (dirs, computed) = directions::of_model(&sampler).await?;
        let json = serde_json::json!({ "computed": computed, "directions": dirs });
        Ok(JsValue::from_str(&json.to_string()))
    })
}

/// The model's attribute directions as JSON, `[{"name", "label", "low", "high", "direction"}]`
/// (e.g. age: "younger ↔ older"), or `[]` when its file stores none. Only stored ones: fitting
/// them takes the faces classifier and thousands of generated faces (`webgan export` does it).
#[wasm_bindgen(js_name = modelAttributes)]
pub fn model_attributes(gan: &WebGan) -> String {
    let sampler = gan.sampler();
    let list: Vec<serde_json::Value> = sampler
        .manifest
        .attributes
        .iter()
        .flat_map(|a| &a.attributes)
        .map(|a| {
            serde_json::json!({
                "name": a.name,
                "label": a.label(),
                "low": a.low,
                "high": a.high,
                "direction": a.direction,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}
