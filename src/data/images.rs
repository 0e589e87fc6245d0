//! A folder of images (faces, anything): decoded, centre-cropped to a square, resized, and
//! scaled to [-1, 1]. Files that do not decode are skipped and counted, not fatal.

use std::path::Path;

use image::imageops::FilterType;

use super::batcher::Dataset;
use crate::error::{Result, WebganError};

/// What a folder load produced.
pub struct ImageFolder {
    pub dataset: Dataset,
    /// Files that looked like images but did not decode, with the reason.
    pub skipped: Vec<(String, String)>,
}

const EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "bmp", "webp"];

/// Loads up to `limit` images from `dir` (sorted by name, so runs are reproducible).
pub fn load_folder(
    dir: &Path,
    size: usize,
    channels: usize,
    limit: Option<usize>,
) -> Result<ImageFolder> {
    let entries = std::fs::read_dir(dir).map_err(|e| WebganError::io(dir, e))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(WebganError::bad_data(
            dir.display().to_string(),
            "no image files (jpg, png, bmp, webp) in this folder",
        ));
    }
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    let mut count = 0;
    for path in files {
        if limit.is_some_and(|l| count >= l) {
            break;
        }
        match image::open(&path) {
            Ok(img) => {
                samples.extend(to_floats(&img, size, channels));
                count += 1;
            }
            Err(e) => skipped.push((path.display().to_string(), e.to_string())),
        }
    }
    if count == 0 {
        return Err(WebganError::bad_data(
            dir.display().to_string(),
            format!("none of the {} image files decoded", skipped.len()),
        ));
    }
    Ok(ImageFolder {
        dataset: Dataset {
            name: dir.display().to_string(),
            samples,
            labels: None,
            sample_len: size * size * channels,
            channels,
        },
        skipped,
    })
}

/// Centre-crop to a square, resize to `size`, and flatten channels-last in [-1, 1].
pub fn to_floats(img: &image::DynamicImage, size: usize, channels: usize) -> Vec<f32> {
    let (w, h) = (img.width(), img.height());
    let side = w.min(h);
    let square = img.crop_imm((w - side) / 2, (h - side) / 2, side, side);
    let resized = square
        .resize_exact(size as u32, size as u32, FilterType::Triangle)
        .to_rgba8();
    // The same pixel conversion as the page's images (decoded by the browser).
    let mut out = Vec::with_capacity(size * size * channels);
    super::decode::rgba_to_samples(resized.as_raw(), channels, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_crops_and_skips_broken_files() {
        let dir = std::env::temp_dir().join(format!("webgan-images-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A 6x4 image: left half black, right half white.
        let img = image::RgbImage::from_fn(6, 4, |x, _| {
            if x < 3 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        img.save(dir.join("a.png")).unwrap();
        std::fs::write(dir.join("b.jpg"), b"not a jpeg").unwrap();
        std::fs::write(dir.join("notes.txt"), b"ignored").unwrap();

        let loaded = load_folder(&dir, 2, 3, None).unwrap();
        assert_eq!(loaded.dataset.len(), 1);
        assert_eq!(loaded.skipped.len(), 1);
        assert!(loaded.skipped[0].0.ends_with("b.jpg"));
        let px = &loaded.dataset.samples;
        assert_eq!(px.len(), 2 * 2 * 3);
        // Centre crop keeps columns 1..5: the left output pixel is dark, the right one light.
        assert!(px[0] < 0.0 && px[3] > 0.0, "{px:?}");

        let empty = std::env::temp_dir().join(format!("webgan-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let e = load_folder(&empty, 2, 3, None).err().unwrap().to_string();
        assert!(e.contains("no image files"), "{e}");
        let e = load_folder(Path::new("/no/such/faces"), 2, 3, None)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("/no/such/faces"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
        std::fs::remove_dir_all(&empty).ok();
    }
}
