//! How many threads the CPU backend trains on in the page, decided once for every module.
//!
//! The threaded build (`pkg-threads/`, feature `threads`) runs burn's flex and `model::cpu` on
//! a rayon pool of web workers that share the module's memory. Browsers allow shared memory
//! only in a cross-origin isolated page (COOP/COEP headers from the server), and a thread that
//! waits must not be the page's main thread: so only the Train view's worker uses it, and only
//! where [`plan_cpu_threads`] says more than one thread can run. Everywhere else the CPU path
//! is the single-threaded build, and the page says why.

use wasm_bindgen::prelude::*;

use super::policy::get;
use crate::backend::browser_cpu_threads;

/// What [`plan_cpu_threads`] decided.
#[wasm_bindgen]
pub struct CpuThreadsPlan {
    threads: u32,
    reason: String,
}

#[wasm_bindgen]
impl CpuThreadsPlan {
    /// Threads to train on: 1 means the single-threaded build.
    #[wasm_bindgen(getter)]
    pub fn threads(&self) -> u32 {
        self.threads
    }

    /// Why, in one line, shown beside the backend's name.
    #[wasm_bindgen(getter)]
    pub fn reason(&self) -> String {
        self.reason.clone()
    }
}

fn global(key: &str) -> JsValue {
    get(&js_sys::global(), key)
}

/// The threads the CPU backend may train on in this page or worker: the browser's cores
/// (`navigator.hardwareConcurrency`), at most `limit` when it is above 0 (the Train view's
/// setting): the rule is `backend::browser_cpu_threads`.
#[wasm_bindgen(js_name = planCpuThreads)]
pub fn plan_cpu_threads(limit: u32) -> CpuThreadsPlan {
    let isolated = global("crossOriginIsolated").as_bool().unwrap_or(false)
        && !global("SharedArrayBuffer").is_undefined();
    let cores = get(&global("navigator"), "hardwareConcurrency")
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map_or(1, |n| n.min(1024.0) as u32);
    let (threads, reason) = browser_cpu_threads(isolated, cores, limit);
    CpuThreadsPlan { threads, reason }
}

/// The threads the CPU backend runs on in this module: rayon's pool in the threaded build
/// (after `initThreadPool`), 1 in the others.
#[wasm_bindgen(js_name = cpuThreads)]
pub fn cpu_threads() -> u32 {
    #[cfg(feature = "threads")]
    return rayon::current_num_threads() as u32;
    #[cfg(not(feature = "threads"))]
    1
}

/// Starts the threaded build's pool of `n` web workers (once per module instance; before any
/// training). Only the threaded build has it.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;
