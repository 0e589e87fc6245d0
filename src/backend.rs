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
                Ok(Ok(device)) => Ok(device),
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
