//! Which device runs the tensors. Natively: `flex` (burn's fast CPU backend, the default),
//! `ndarray` (burn's older CPU backend, kept as a reference) or `wgpu` (Vulkan/Metal/DX12; on
//! a CPU-only Linux machine, Mesa's lavapipe). In the browser see `web`.

use serde::{Deserialize, Serialize};

#[cfg(not(target_family = "wasm"))]
use crate::error::{Result, WebganError};
#[cfg(not(target_family = "wasm"))]
use burn::tensor::Device;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// burn's `flex` CPU backend (gemm-based, SIMD, multi-threaded natively).
    Flex,
    /// burn's `ndarray` CPU backend (deprecated by burn; slow convolutions).
    Ndarray,
    /// burn-wgpu: WebGPU in the browser, Vulkan/Metal/DX12 natively.
    Wgpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
        }
    }
}

impl BackendKind {
    /// Whether convolutions should go through matmul on this backend (see `model::layers`):
    /// ndarray's convolution kernels are two orders of magnitude slower than its matmul.
    pub fn prefers_matmul_convs(self) -> bool {
        matches!(self, BackendKind::Ndarray)
    }

    /// Whether this backend runs on a GPU, where a run keeps its training set on the device
    /// (`TrainingRun::keep_data_on_device`).
    pub fn is_gpu(self) -> bool {
        matches!(self, BackendKind::Wgpu)
    }
}

/// The most CPU threads the page trains on: beyond this the DCGAN's layers are too small to
/// share (and each thread is a web worker with its own copy of the module's code).
pub const MAX_BROWSER_CPU_THREADS: u32 = 16;

/// How many threads the page's CPU backend trains on, and why (one line the page shows):
/// one where the page is not cross-origin isolated (no shared memory), else the browser's
/// `cores`, at most `limit` when it is above 0 (the Train view's setting), at most
/// [`MAX_BROWSER_CPU_THREADS`]. `web::threads` asks the browser; the rule lives here so that
/// it is tested natively.
pub fn browser_cpu_threads(isolated: bool, cores: u32, limit: u32) -> (u32, String) {
    if !isolated {
        let why = "one thread: the page is not cross-origin isolated (its server sends no \
                   COOP/COEP headers), so the browser shares no memory between threads";
        return (1, why.into());
    }
    if limit == 1 {
        return (1, "one thread, as set".into());
    }
    let threads = cores.clamp(1, MAX_BROWSER_CPU_THREADS);
    if limit > 0 && limit < threads {
        return (limit, format!("{limit} threads, as set ({cores} cores)"));
    }
    match threads {
        1 => (1, "one thread: the browser reports one core".into()),
        n if n < cores => (n, format!("{n} threads ({cores} cores; more do not pay)")),
        n => (n, format!("{n} threads, one per core")),
    }
}

/// The wgpu device this process opened, if any: [`wait_for_gpu`] waits on it.
#[cfg(not(target_family = "wasm"))]
static OPENED_GPU: std::sync::Mutex<Option<Device>> = std::sync::Mutex::new(None);

/// Waits until the wgpu device this process opened, if any, has run everything handed to it.
/// Call it before the process exits (`cli::main` does, and so does each GPU test as it ends).
/// Why: cubecl runs a device's work on its own thread, and Mesa's lavapipe compiles shaders
/// with LLVM on that thread as the work arrives. A process that exits while that thread is
/// still busy destroys LLVM's global state under it: a crash after the program is done
/// (SIGSEGV, or "LLVM ERROR: Do not know how to expand the result of this operator!").
#[cfg(not(target_family = "wasm"))]
pub fn wait_for_gpu() -> Result<()> {
    let opened = OPENED_GPU.lock().map(|d| d.clone()).unwrap_or(None);
    match opened {
        Some(device) => device.sync().map_err(|e| WebganError::Backend {
            backend: "wgpu".into(),
            problem: format!("the GPU failed while finishing its work: {e}"),
        }),
        None => Ok(()),
    }
}

/// Opens a device of the given kind, or says why it cannot.
#[cfg(not(target_family = "wasm"))]
pub fn open(kind: BackendKind) -> Result<Device> {
    match kind {
        BackendKind::Flex => Ok(Device::flex()),
        #[allow(deprecated)]
        BackendKind::Ndarray => Ok(Device::ndarray()),
        BackendKind::Wgpu => {
            // wgpu may panic deep inside adapter selection on odd drivers: keep that a message.
            let opened = std::panic::catch_unwind(|| Device::wgpu_options().init());
            match opened {
                Ok(Ok(device)) => {
                    if let Ok(mut opened) = OPENED_GPU.lock() {
                        opened.get_or_insert_with(|| device.clone());
                    }
                    Ok(device)
                }
                Ok(Err(e)) => Err(WebganError::Backend {
                    backend: "wgpu".into(),
                    problem: format!(
                        "no usable GPU adapter ({e}); on a CPU-only Linux machine install \
                         Mesa's Vulkan drivers (apt-get install mesa-vulkan-drivers)"
                    ),
                }),
                Err(_) => Err(WebganError::Backend {
                    backend: "wgpu".into(),
                    problem: "adapter initialisation panicked".into(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_threads_need_isolation() {
        let (threads, why) = browser_cpu_threads(false, 8, 0);
        assert_eq!(threads, 1);
        assert!(why.contains("cross-origin isolated"), "{why}");
    }

    #[test]
    fn browser_threads_follow_cores_limit_and_cap() {
        let threads = |cores, limit| browser_cpu_threads(true, cores, limit).0;
        assert_eq!(threads(4, 0), 4);
        assert_eq!(threads(4, 2), 2);
        assert_eq!(threads(4, 1), 1);
        assert_eq!(threads(2, 8), 2);
        assert_eq!(threads(1, 0), 1);
        assert_eq!(threads(0, 0), 1);
        assert_eq!(threads(64, 0), MAX_BROWSER_CPU_THREADS);
        assert_eq!(threads(64, 40), MAX_BROWSER_CPU_THREADS);
    }
}
