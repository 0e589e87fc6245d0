//! Native training allocates and frees the same large buffers every step (activations,
//! gradients, im2col matrices of several MB). glibc serves blocks above 128 KiB-32 MiB with
//! fresh `mmap`s and returns them on `free`, so every step paid for page faults and zeroing
//! again, a cost `webgan bench` shows (docs/experiments.md has the figures). Keeping freed
//! memory in the heap instead costs nothing but a process whose memory stays at its peak, as a
//! trainer's does anyway.

/// Asks glibc to keep freed memory for reuse (no effect on other C libraries or in the browser,
/// whose allocator never returns memory).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // <malloc.h>: M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3; 32 MiB is glibc's cap for the latter.
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes allocator thresholds; called before the heavy work.
        unsafe {
            mallopt(-3, 32 << 20);
            mallopt(-1, i32::MAX);
        }
    }
}
