//! Training data handed over by the page, decoded in Rust with the same readers as the CLI
//! (`data::decode`): the page passes IDX files' bytes as they are (gzipped or not), or image
//! files already decoded by the browser into RGBA at the training size.

use wasm_bindgen::prelude::*;

use crate::data::{Dataset, decode};

/// A data set held in the worker, ready to train on (or none, for the 2-D toy sets).
#[wasm_bindgen]
#[derive(Clone)]
pub struct WebData {
    pub(crate) dataset: Option<Dataset>,
}

#[wasm_bindgen]
impl WebData {
    /// No data: the toy presets make their own 2-D points.
    pub fn none() -> WebData {
        WebData { dataset: None }
    }

    /// IDX files (an images file and optionally a labels file, in either order, gzipped or
    /// not). Pass an empty array for a missing second file.
    #[wasm_bindgen(js_name = fromIdx)]
    pub fn from_idx(
        first_name: &str,
        first: &[u8],
        second_name: &str,
        second: &[u8],
    ) -> Result<WebData, JsValue> {
        let mut files = vec![(first_name, first)];
        if !second.is_empty() {
            files.push((second_name, second));
        }
        Ok(WebData {
            dataset: Some(decode::dataset_from_idx(&files)?),
        })
    }

    /// Images already decoded and resized by the browser: `size` x `size` RGBA each, laid end
    /// to end; `channels` 1 trains on grey, 3 on colour.
    #[wasm_bindgen(js_name = fromRgba)]
    pub fn from_rgba(
        name: &str,
        rgba: &[u8],
        size: usize,
        channels: usize,
    ) -> Result<WebData, JsValue> {
        Ok(WebData {
            dataset: Some(decode::dataset_from_rgba(name, rgba, size, channels)?),
        })
    }

    /// Number of samples (0 for none).
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> usize {
        self.dataset.as_ref().map_or(0, Dataset::len)
    }

    /// Colour channels: 1 grey, 3 RGB (0 for none).
    #[wasm_bindgen(getter)]
    pub fn channels(&self) -> usize {
        self.dataset.as_ref().map_or(0, |d| d.channels)
    }

    /// One line for the page: what the data set is.
    #[wasm_bindgen(getter)]
    pub fn summary(&self) -> String {
        self.dataset
            .as_ref()
            .map_or_else(|| "2-D points, generated".into(), |d| d.name.clone())
    }
}
