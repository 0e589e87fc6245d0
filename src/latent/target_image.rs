//! A person's picture (a drawing on the page's pad, a dropped or given image file) made into
//! what a generator draws: `size` x `size`, grey or RGB, channels-last, values in [-1, 1].
//!
//! For grey models (digits) the picture is also framed the way MNIST frames its digits: ink
//! made light on dark (a drawing is usually dark on light), cropped to its bounding box, scaled
//! so its longer side fills 20/28 of the image, and centred by its centre of mass. Without
//! that, a digit drawn large or off-centre is far from anything the generator can draw and
//! the search finds a poor match.

use crate::error::{Result, WebganError};

/// Largest side accepted for a picture, in pixels.
pub const MAX_SIDE: usize = 8192;
/// Pixels brighter than this (in [0, 1], after making ink light) count as ink when framing.
const INK: f32 = 0.2;

/// A picture ready to be searched for, and what was done to it (for the person to read).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// size * size * channels values in [-1, 1], channels-last.
    pub pixels: Vec<f32>,
    pub notes: Vec<String>,
    /// No ink at all (a blank drawing).
    pub blank: bool,
}

/// Makes a `width` x `height` RGBA picture (straight alpha; transparent counts as background)
/// into a target of `size` x `size` x `channels`.
pub fn from_rgba(
    rgba: &[u8],
    width: usize,
    height: usize,
    size: usize,
    channels: usize,
) -> Result<Target> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(WebganError::bad_data(
            "image",
            format!("{width}x{height} pixels; pictures must be 1 to {MAX_SIDE} pixels a side"),
        ));
    }
    if rgba.len() != width * height * 4 {
        return Err(WebganError::bad_data(
            "image",
            format!(
                "{} bytes is not {width}x{height} RGBA ({} bytes)",
                rgba.len(),
                width * height * 4
            ),
        ));
    }
    if !(channels == 1 || channels == 3) || size == 0 {
        return Err(WebganError::invalid(
            "channels",
            channels,
            "targets are grey (1) or RGB (3)",
        ));
    }
    let mut notes = Vec::new();
    if (width, height) != (size, size) {
        notes.push(format!("resized from {width}x{height} to {size}x{size}"));
    }
    if channels == 3 {
        // Transparent pixels become black, then a centred square crop is resized.
        let rgb: Vec<f32> = rgba
            .chunks_exact(4)
            .flat_map(|p| {
                let a = p[3] as f32 / 255.0;
                [0, 1, 2].map(|c| p[c] as f32 / 255.0 * a)
            })
            .collect();
        let side = width.min(height);
        let (x0, y0) = ((width - side) / 2, (height - side) / 2);
        let square: Vec<f32> = (0..side)
            .flat_map(|y| {
                let row = (y0 + y) * width + x0;
                rgb[row * 3..(row + side) * 3].to_vec()
            })
            .collect();
        if side != width || side != height {
            notes.push("cropped to the centred square".into());
        }
        let pixels = resample(&square, side, side, 3, size, size);
        let blank = pixels.iter().all(|&v| (v - pixels[0]).abs() < 1e-3);
        return Ok(Target {
            pixels: pixels.iter().map(|v| v * 2.0 - 1.0).collect(),
            notes,
            blank,
        });
    }
    // Grey, with transparent pixels as background (decided below, after polarity).
    let grey: Vec<f32> = rgba
        .chunks_exact(4)
        .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
        .collect();
    let alpha: Vec<f32> = rgba.chunks_exact(4).map(|p| p[3] as f32 / 255.0).collect();
    // Background = the border's brightness among opaque pixels; light background means dark ink.
    let border: Vec<usize> = (0..width)
        .flat_map(|x| [x, (height - 1) * width + x])
        .chain((0..height).flat_map(|y| [y * width, y * width + width - 1]))
        .filter(|&i| alpha[i] > 0.5)
        .collect();
    let light_background = !border.is_empty()
        && border.iter().map(|&i| grey[i]).sum::<f32>() / border.len() as f32 > 0.5;
    if light_background {
        notes.push("dark ink on a light background: inverted to light on dark".into());
    }
    let ink: Vec<f32> = grey
        .iter()
        .zip(&alpha)
        .map(|(&g, &a)| {
            let v = if light_background { 1.0 - g } else { g };
            v * a
        })
        .collect();
    let framed = frame_like_mnist(&ink, width, height, size);
    let blank = framed.is_none();
    if blank {
        notes.push("the picture is blank".into());
    }
    let pixels = framed.unwrap_or_else(|| vec![0.0; size * size]);
    Ok(Target {
        pixels: pixels.iter().map(|v| v * 2.0 - 1.0).collect(),
        notes,
        blank,
    })
}

/// Crops the ink's bounding box, scales its longer side to 20/28 of `size`, and centres it by
/// its centre of mass in a `size` x `size` frame. `None` when there is no ink.
fn frame_like_mnist(ink: &[f32], width: usize, height: usize, size: usize) -> Option<Vec<f32>> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > INK {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    if x0 == usize::MAX {
        return None;
    }
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let crop: Vec<f32> = (y0..=y1)
        .flat_map(|y| ink[y * width + x0..=y * width + x1].to_vec())
        .collect();
    let box_side = ((size as f32 * 20.0 / 28.0).round() as usize).max(1);
    let scale = box_side as f32 / bw.max(bh) as f32;
    let (tw, th) = (
        ((bw as f32 * scale).round() as usize).clamp(1, size),
        ((bh as f32 * scale).round() as usize).clamp(1, size),
    );
    let small = resample(&crop, bw, bh, 1, tw, th);
    // Centre of mass of the scaled ink.
    let mass: f32 = small.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    let cx = (0..th * tw)
        .map(|i| (i % tw) as f32 * small[i])
        .sum::<f32>()
        / mass;
    let cy = (0..th * tw)
        .map(|i| (i / tw) as f32 * small[i])
        .sum::<f32>()
        / mass;
    let centre = (size as f32 - 1.0) / 2.0;
    let ox = (centre - cx).round() as isize;
    let oy = (centre - cy).round() as isize;
    let mut out = vec![0.0; size * size];
    for y in 0..th {
        for x in 0..tw {
            let (tx, ty) = (x as isize + ox, y as isize + oy);
            if tx >= 0 && ty >= 0 && (tx as usize) < size && (ty as usize) < size {
                out[ty as usize * size + tx as usize] = small[y * tw + x].clamp(0.0, 1.0);
            }
        }
    }
    Some(out)
}

/// Resizes a channels-last image: area averaging when shrinking (every source pixel counts,
/// weighted by how much of it an output pixel covers), bilinear when enlarging.
pub fn resample(src: &[f32], sw: usize, sh: usize, ch: usize, dw: usize, dh: usize) -> Vec<f32> {
    let weights = |s: usize, d: usize| -> Vec<Vec<(usize, f32)>> {
        if d <= s {
            let ratio = s as f32 / d as f32;
            (0..d)
                .map(|o| {
                    let (a, b) = (o as f32 * ratio, (o + 1) as f32 * ratio);
                    let mut w = Vec::new();
                    let mut i = a.floor() as usize;
                    while (i as f32) < b && i < s {
                        let cover = (b.min(i as f32 + 1.0) - a.max(i as f32)).max(0.0);
                        if cover > 0.0 {
                            w.push((i, cover / ratio));
                        }
                        i += 1;
                    }
                    w
                })
                .collect()
        } else {
            // Pixel centres aligned: output o samples source position (o + 0.5) * s / d - 0.5.
            (0..d)
                .map(|o| {
                    let p =
                        ((o as f32 + 0.5) * s as f32 / d as f32 - 0.5).clamp(0.0, (s - 1) as f32);
                    let i = p.floor() as usize;
                    let t = p - i as f32;
                    if i + 1 < s {
                        vec![(i, 1.0 - t), (i + 1, t)]
                    } else {
                        vec![(i, 1.0)]
                    }
                })
                .collect()
        }
    };
    let (wx, wy) = (weights(sw, dw), weights(sh, dh));
    // Separable: rows first, then columns.
    let mut rows = vec![0.0f32; sh * dw * ch];
    for y in 0..sh {
        for (ox, w) in wx.iter().enumerate() {
            for c in 0..ch {
                rows[(y * dw + ox) * ch + c] =
                    w.iter().map(|&(i, k)| k * src[(y * sw + i) * ch + c]).sum();
            }
        }
    }
    let mut out = vec![0.0f32; dh * dw * ch];
    for (oy, w) in wy.iter().enumerate() {
        for x in 0..dw {
            for c in 0..ch {
                out[(oy * dw + x) * ch + c] = w
                    .iter()
                    .map(|&(i, k)| k * rows[(i * dw + x) * ch + c])
                    .sum();
            }
        }
    }
    out
}

/// Decodes an image file (PNG, JPEG) to RGBA, refusing anything else with a clear error.
#[cfg(feature = "images")]
pub fn decode(bytes: &[u8], what: &str) -> Result<(usize, usize, Vec<u8>)> {
    let img = image::load_from_memory(bytes).map_err(|e| {
        WebganError::bad_data(
            what,
            format!("not an image webgan can read (PNG or JPEG): {e}"),
        )
    })?;
    let rgba = img.to_rgba8();
    let (w, h) = (rgba.width() as usize, rgba.height() as usize);
    Ok((w, h, rgba.into_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgba_grey(values: &[u8]) -> Vec<u8> {
        values.iter().flat_map(|&v| [v, v, v, 255]).collect()
    }

    #[test]
    fn area_resample_keeps_the_mean_and_bilinear_the_ends() {
        let src: Vec<f32> = (0..16).map(|i| i as f32).collect();
        let down = resample(&src, 4, 4, 1, 2, 2);
        assert_eq!(down, vec![2.5, 4.5, 10.5, 12.5]);
        let odd = resample(&src, 4, 4, 1, 3, 3);
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        assert!((mean(&odd) - mean(&src)).abs() < 1e-4);
        let up = resample(&[0.0, 1.0], 2, 1, 1, 4, 1);
        assert_eq!(up[0], 0.0);
        assert_eq!(up[3], 1.0);
        assert!(up[1] > 0.0 && up[1] < up[2]);
    }

    #[test]
    fn a_dark_stroke_on_white_becomes_a_centred_light_digit() {
        // 40x40 white picture with a black bar in the top-left corner.
        let mut px = vec![255u8; 40 * 40];
        for y in 2..20 {
            for x in 3..7 {
                px[y * 40 + x] = 0;
            }
        }
        let t = from_rgba(&rgba_grey(&px), 40, 40, 28, 1).unwrap();
        assert!(!t.blank);
        assert_eq!(t.pixels.len(), 28 * 28);
        assert!(t.notes.iter().any(|n| n.contains("inverted")));
        assert!(t.notes.iter().any(|n| n.contains("resized from 40x40")));
        // Background black (-1), ink bright, centred: mass centre near the middle.
        assert_eq!(t.pixels[0], -1.0);
        let ink: Vec<(usize, f32)> = t
            .pixels
            .iter()
            .map(|v| (v + 1.0) / 2.0)
            .enumerate()
            .filter(|(_, v)| *v > 0.5)
            .collect();
        assert!(!ink.is_empty());
        let cy = ink.iter().map(|(i, _)| (i / 28) as f32).sum::<f32>() / ink.len() as f32;
        let cx = ink.iter().map(|(i, _)| (i % 28) as f32).sum::<f32>() / ink.len() as f32;
        assert!(
            (cx - 13.5).abs() < 1.5 && (cy - 13.5).abs() < 1.5,
            "{cx},{cy}"
        );
        // The bar's height is scaled to 20 pixels.
        let rows: std::collections::BTreeSet<usize> = ink.iter().map(|(i, _)| i / 28).collect();
        assert!((18..=21).contains(&rows.len()), "{}", rows.len());
    }

    #[test]
    fn blank_and_malformed_pictures() {
        let t = from_rgba(&rgba_grey(&[255; 100]), 10, 10, 28, 1).unwrap();
        assert!(t.blank && t.pixels.iter().all(|&v| v == -1.0));
        assert!(from_rgba(&[0; 10], 2, 2, 28, 1).is_err());
        assert!(from_rgba(&[], 0, 0, 28, 1).is_err());
        let colour = from_rgba(&rgba_grey(&[128; 60]), 10, 6, 8, 3).unwrap();
        assert_eq!(colour.pixels.len(), 8 * 8 * 3);
        assert!(colour.notes.iter().any(|n| n.contains("cropped")));
    }
}
