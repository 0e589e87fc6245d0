//! Training data from bytes, for both front ends: IDX files (gzipped or not; the page hands
//! over a file's bytes as they are) and RGBA pixels (the page decodes image files with the
//! browser's decoders, the CLI with the `image` crate; both end here). The page never parses
//! a data format itself.

use super::batcher::Dataset;
use super::mnist::{self, MAGIC_IMAGES, MAGIC_LABELS, be_u32};
use crate::error::{Result, WebganError};

/// BT.709 luma weights (what the `image` crate uses for grey conversion).
const LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// A data set from IDX files: one images file and at most one labels file, in any order,
/// each gzipped or not. Without labels the data set is unlabelled (an unconditional model).
pub fn dataset_from_idx(files: &[(&str, &[u8])]) -> Result<Dataset> {
    let mut images: Option<(String, Vec<u8>)> = None;
    let mut labels: Option<(String, Vec<u8>)> = None;
    for (name, bytes) in files {
        let bytes = mnist::maybe_gunzip(bytes.to_vec(), name)?;
        let magic = (bytes.len() >= 4).then(|| be_u32(&bytes, 0));
        let slot = match magic {
            Some(MAGIC_IMAGES) => &mut images,
            Some(MAGIC_LABELS) => &mut labels,
            _ => {
                return Err(WebganError::bad_data(
                    *name,
                    "not an IDX images or labels file (MNIST format, optionally gzipped)",
                ));
            }
        };
        if slot.is_some() {
            return Err(WebganError::bad_data(
                *name,
                "a second IDX file of the same kind: give one images file and at most one labels file",
            ));
        }
        *slot = Some((name.to_string(), bytes));
    }
    let Some((images_name, images)) = images else {
        return Err(WebganError::bad_data(
            "IDX files",
            "no images file among them (only labels)",
        ));
    };
    let (count, rows, cols, pixels) = mnist::parse_images(&images, &images_name)?;
    if rows != cols {
        return Err(WebganError::bad_data(
            &images_name,
            format!("{rows}x{cols} images: webgan trains on square images"),
        ));
    }
    let labels: Option<Vec<i64>> = match labels {
        None => None,
        Some((labels_name, bytes)) => {
            let l = mnist::parse_labels(&bytes, &labels_name)?;
            if l.len() != count {
                return Err(WebganError::bad_data(
                    &labels_name,
                    format!("{} labels but {images_name} has {count} images", l.len()),
                ));
            }
            Some(l.into_iter().map(i64::from).collect())
        }
    };
    let labelled = match &labels {
        Some(l) => format!(", labelled 0-{}", l.iter().max().copied().unwrap_or(0)),
        None => String::new(),
    };
    Ok(Dataset {
        name: format!("{count} images from {images_name} ({rows}x{cols} grey{labelled})"),
        samples: pixels.iter().map(|&p| p as f32 / 127.5 - 1.0).collect(),
        labels,
        sample_len: rows * cols,
        channels: 1,
    })
}

/// One image's RGBA bytes (already `size` x `size`) as channels-last values in [-1, 1]:
/// grey through BT.709 luma, or RGB. Alpha is ignored.
pub fn rgba_to_samples(rgba: &[u8], channels: usize, out: &mut Vec<f32>) {
    for px in rgba.chunks_exact(4) {
        if channels == 1 {
            let y = LUMA[0] * px[0] as f32 + LUMA[1] * px[1] as f32 + LUMA[2] * px[2] as f32;
            out.push(y.round() / 127.5 - 1.0);
        } else {
            out.extend(px[..3].iter().map(|&v| v as f32 / 127.5 - 1.0));
        }
    }
}

/// A data set from `count` RGBA images of `size` x `size`, laid end to end.
pub fn dataset_from_rgba(name: &str, rgba: &[u8], size: usize, channels: usize) -> Result<Dataset> {
    let per = size
        .checked_mul(size)
        .and_then(|a| a.checked_mul(4))
        .filter(|&p| p > 0)
        .ok_or_else(|| WebganError::bad_data(name, format!("absurd image size {size}")))?;
    if !(channels == 1 || channels == 3) {
        return Err(WebganError::invalid("channels", channels, "must be 1 or 3"));
    }
    if rgba.is_empty() || !rgba.len().is_multiple_of(per) {
        return Err(WebganError::bad_data(
            name,
            format!(
                "{} bytes is not a whole number of {size}x{size} RGBA images",
                rgba.len()
            ),
        ));
    }
    let count = rgba.len() / per;
    let mut samples = Vec::with_capacity(count * size * size * channels);
    rgba_to_samples(rgba, channels, &mut samples);
    Ok(Dataset {
        name: name.to_string(),
        samples,
        labels: None,
        sample_len: size * size * channels,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn idx_pairs_decode_in_any_order_gzipped_or_not() {
        let pixels: Vec<u8> = (0..2 * 16).map(|i| (i * 8) as u8).collect();
        let images = mnist::encode_images(&pixels, 2, 4, 4);
        let labels = mnist::encode_labels(&[3, 7]);
        let zipped = gz(&images);
        let a = dataset_from_idx(&[("l", labels.as_slice()), ("i", zipped.as_slice())]).unwrap();
        let b = dataset_from_idx(&[("i", images.as_slice())]).unwrap();
        assert_eq!(a.samples, b.samples);
        assert_eq!(a.labels, Some(vec![3, 7]));
        assert_eq!(b.labels, None);
        assert_eq!((a.len(), a.sample_len), (2, 16));
        assert_eq!(a.samples[0], -1.0);

        let e = dataset_from_idx(&[("l", labels.as_slice())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no images file"), "{e}");
        let e = dataset_from_idx(&[("x.png", &b"\x89PNG...."[..])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.png") && e.contains("not an IDX"), "{e}");
        let three = mnist::encode_labels(&[1, 2, 3]);
        let e = dataset_from_idx(&[("i", images.as_slice()), ("l", three.as_slice())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 labels"), "{e}");
    }

    #[test]
    fn rgba_becomes_grey_or_colour_in_range() {
        let rgba = [
            255, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255,
        ];
        let grey = dataset_from_rgba("g", &rgba, 2, 1).unwrap();
        assert_eq!(grey.samples[0], 1.0);
        assert_eq!(grey.samples[1], -1.0);
        let colour = dataset_from_rgba("c", &rgba, 2, 3).unwrap();
        assert_eq!(&colour.samples[6..9], &[1.0, -1.0, -1.0]);
        assert!(dataset_from_rgba("bad", &rgba[..15], 2, 3).is_err());
        assert!(dataset_from_rgba("bad", &rgba, 0, 3).is_err());
    }
}
