//! A data set whose every value names its sample and pixel, and every label its sample: a
//! batch with a wrong or misplaced row shows. Shared by the native and the browser tests of
//! batches gathered on the device (`tests/backends.rs`, `tests/web.rs`).

use webgan::data::Dataset;

/// 50 samples of 6 values: six batches of 8 per epoch.
pub fn numbered() -> Dataset {
    let (n, len) = (50, 6);
    Dataset {
        name: "numbered".into(),
        samples: (0..n * len).map(|i| i as f32 / 512.0).collect(),
        labels: Some((0..n as i64).collect()),
        sample_len: len,
        channels: 1,
    }
}

/// Steps whose batches to compare: in the first, second and third epochs, out of order.
pub const STEPS: [u64; 6] = [0, 5, 6, 1, 13, 12];
