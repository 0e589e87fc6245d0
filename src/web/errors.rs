//! Errors at the JavaScript boundary: a JS `Error` whose message is the text a person reads
//! and whose `kind` is one stable word (`WebganError::kind`: diverged, bad_input, bad_weights,
//! backend, readback, io, busy). The page's code branches on `kind`, never on the wording.

use wasm_bindgen::JsValue;

use crate::error::WebganError;

/// A JS `Error` with a `kind` property.
pub(crate) fn js_error(kind: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"kind".into(), &kind.into());
    error.into()
}

impl From<WebganError> for JsValue {
    fn from(e: WebganError) -> JsValue {
        js_error(e.kind(), &e.to_string())
    }
}

/// A call made while another one on the same object is still in flight.
#[cfg(feature = "train")]
pub(crate) fn busy() -> JsValue {
    js_error("busy", "busy: wait for the previous call to finish")
}
