//! Turning generated samples into pictures: image grids (for the CLI's PNGs and the page's
//! canvas) and scatter plots of 2-D points.

use crate::error::{Result, WebganError};
use crate::limits;

/// Maps a value in [-1, 1] to a byte.
fn to_byte(v: f32) -> u8 {
    (((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round()) as u8
}

/// Lays `n` channels-last images of `size` x `size` x `channels` out as a grid with `cols`
/// columns (`limits::GRID_COLS`; fewer images than columns make one row), row-major, tiles
/// touching (no padding). Returns (width, height, RGBA bytes). Images are grey (1 channel) or
/// RGB (3) and at most `limits::IMAGE_SIZE`'s maximum wide; anything else is refused, as is a sample
/// count that is not a whole number of images.
pub fn image_grid_rgba(
    samples: &[f32],
    size: usize,
    channels: usize,
    cols: usize,
) -> Result<(usize, usize, Vec<u8>)> {
    limits::GRID_COLS.check_count(cols as u64)?;
    if size == 0 || size as f64 > limits::IMAGE_SIZE.max {
        return Err(WebganError::invalid(
            "size",
            size,
            format!("images must be 1 to {} pixels wide", limits::IMAGE_SIZE.max),
        ));
    }
    if !(channels == 1 || channels == 3) {
        return Err(WebganError::invalid("channels", channels, "must be 1 or 3"));
    }
    let per = size * size * channels;
    if !samples.len().is_multiple_of(per) {
        return Err(WebganError::invalid(
            "samples",
            samples.len(),
            format!("must be a whole number of {size}x{size}x{channels} images"),
        ));
    }
    let n = samples.len() / per;
    let cols = cols.min(n.max(1));
    let rows = n.div_ceil(cols);
    let (w, h) = (cols * size, rows * size);
    let mut out = vec![0u8; w * h * 4];
    for i in 0..n {
        let (gy, gx) = (i / cols, i % cols);
        let tile = &samples[i * per..(i + 1) * per];
        for y in 0..size {
            for x in 0..size {
                let px = &tile[(y * size + x) * channels..(y * size + x + 1) * channels];
                let (r, g, b) = if channels == 1 {
                    let v = to_byte(px[0]);
                    (v, v, v)
                } else {
                    (to_byte(px[0]), to_byte(px[1]), to_byte(px[2]))
                };
                let o = ((gy * size + y) * w + gx * size + x) * 4;
                out[o..o + 4].copy_from_slice(&[r, g, b, 255]);
            }
        }
    }
    Ok((w, h, out))
}

/// A square scatter plot of 2-D points over [-extent, extent]^2: `real` in grey, `fake` in blue.
pub fn scatter_rgba(real: &[f32], fake: &[f32], side: usize, extent: f32) -> Vec<u8> {
    let mut out = vec![255u8; side * side * 4];
    let mut dot = |p: &[f32], color: [u8; 3]| {
        let to_px = |v: f32| ((v / extent + 1.0) * 0.5 * (side as f32 - 1.0)).round() as isize;
        let (cx, cy) = (to_px(p[0]), to_px(-p[1]));
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (x, y) = (cx + dx, cy + dy);
                if x >= 0 && y >= 0 && (x as usize) < side && (y as usize) < side {
                    let o = (y as usize * side + x as usize) * 4;
                    out[o..o + 3].copy_from_slice(&color);
                }
            }
        }
    };
    real.chunks_exact(2).for_each(|p| dot(p, [170, 170, 170]));
    fake.chunks_exact(2).for_each(|p| dot(p, [30, 90, 220]));
    out
}

/// Scales an RGBA image up by a whole factor, each pixel becoming a k x k block (for showing
/// 28-pixel digits at a readable size without blurring them).
pub fn upscale_rgba(rgba: &[u8], width: usize, height: usize, k: usize) -> (usize, usize, Vec<u8>) {
    let k = k.max(1);
    let (w, h) = (width * k, height * k);
    let mut out = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        for x in 0..w {
            let o = ((y / k) * width + x / k) * 4;
            out.extend_from_slice(&rgba[o..o + 4]);
        }
    }
    (w, h, out)
}

/// Drops the alpha channel.
pub fn rgba_to_rgb(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_tiles_row_major_without_padding() {
        // Three 2x2 grey tiles with values -1, 0, 1; two columns.
        let samples: Vec<f32> = [-1.0f32, 0.0, 1.0].iter().flat_map(|&v| [v; 4]).collect();
        let (w, h, px) = image_grid_rgba(&samples, 2, 1, 2).unwrap();
        assert_eq!((w, h), (4, 4));
        let at = |x: usize, y: usize| px[(y * w + x) * 4];
        assert_eq!(at(0, 0), 0); // tile 0
        assert_eq!(at(2, 1), 128); // tile 1, right of tile 0
        assert_eq!(at(1, 3), 255); // tile 2, second row
        assert_eq!(at(3, 3), 0); // empty cell stays black
    }

    #[test]
    fn grid_refuses_zero_columns_odd_channels_and_partial_images() {
        let samples = vec![0.0f32; 4 * 3];
        assert!(image_grid_rgba(&samples, 2, 1, 0).is_err());
        assert!(image_grid_rgba(&samples, 2, 2, 2).is_err());
        assert!(image_grid_rgba(&samples[..5], 2, 1, 2).is_err());
        // More columns than images: one row of them.
        let (w, h, _) = image_grid_rgba(&samples, 2, 1, 8).unwrap();
        assert_eq!((w, h), (6, 2));
    }

    #[test]
    fn upscaling_repeats_each_pixel_in_a_block() {
        let rgba = [1, 1, 1, 255, 2, 2, 2, 255];
        let (w, h, px) = upscale_rgba(&rgba, 2, 1, 3);
        assert_eq!((w, h, px.len()), (6, 3, 6 * 3 * 4));
        assert_eq!(px[(2 * 6 + 2) * 4], 1);
        assert_eq!(px[(2 * 6 + 3) * 4], 2);
    }

    #[test]
    fn scatter_marks_points_in_their_colours() {
        let px = scatter_rgba(&[0.0, 0.0], &[1.0, 1.0], 11, 1.0);
        let at = |x: usize, y: usize| &px[(y * 11 + x) * 4..(y * 11 + x) * 4 + 3];
        assert_eq!(at(5, 5), &[170, 170, 170]);
        assert_eq!(at(10, 0), &[30, 90, 220]);
        assert_eq!(at(0, 10), &[255, 255, 255]);
    }
}
