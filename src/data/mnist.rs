//! MNIST's IDX format (LeCun et al.): a big-endian header (magic, dimensions) then raw bytes.
//! Files may be gzipped; that is detected from the content, not the name.

use std::io::Read;
use std::path::Path;

use crate::error::{Result, WebganError};

pub(crate) const MAGIC_IMAGES: u32 = 0x0000_0803; // u8 data, 3 dimensions
pub(crate) const MAGIC_LABELS: u32 = 0x0000_0801; // u8 data, 1 dimension

/// Largest file a gzip stream may unzip to (MNIST's training images are 47 MiB).
const MAX_UNZIPPED: u64 = 512 << 20;

/// MNIST-style images and labels in memory.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// `count * rows * cols` bytes, 0 = background.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Mnist {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Decompresses gzip data; returns other data unchanged.
pub fn maybe_gunzip(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // Bounded, so that a small crafted file cannot expand to fill the page's memory.
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_UNZIPPED + 1)
            .read_to_end(&mut out)
            .map_err(|e| WebganError::bad_data(name, format!("gzip stream is broken: {e}")))?;
        if out.len() as u64 > MAX_UNZIPPED {
            return Err(WebganError::bad_data(
                name,
                format!("unzips to more than {} MiB", MAX_UNZIPPED >> 20),
            ));
        }
        Ok(out)
    } else {
        Ok(bytes)
    }
}

pub(crate) fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Parses an IDX image file (magic 2051): returns (count, rows, cols, pixels).
pub fn parse_images(bytes: &[u8], name: &str) -> Result<(usize, usize, usize, Vec<u8>)> {
    if bytes.len() < 16 {
        return Err(WebganError::bad_data(
            name,
            format!(
                "{} bytes is too short for an IDX image header (16)",
                bytes.len()
            ),
        ));
    }
    let magic = be_u32(bytes, 0);
    if magic != MAGIC_IMAGES {
        return Err(WebganError::bad_data(
            name,
            format!("magic number {magic} is not 2051 (IDX images): is this the right file?"),
        ));
    }
    let (count, rows, cols) = (
        be_u32(bytes, 4) as usize,
        be_u32(bytes, 8) as usize,
        be_u32(bytes, 12) as usize,
    );
    if rows == 0 || cols == 0 || rows > 4096 || cols > 4096 {
        return Err(WebganError::bad_data(
            name,
            format!("absurd image size {rows}x{cols}"),
        ));
    }
    let expected = count
        .checked_mul(rows * cols)
        .ok_or_else(|| WebganError::bad_data(name, "image count overflows"))?;
    let body = &bytes[16..];
    if body.len() < expected {
        return Err(WebganError::bad_data(
            name,
            format!(
                "truncated: header promises {count} images of {rows}x{cols} ({expected} bytes) \
                 but only {} bytes follow",
                body.len()
            ),
        ));
    }
    Ok((count, rows, cols, body[..expected].to_vec()))
}

/// Parses an IDX label file (magic 2049).
pub fn parse_labels(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    if bytes.len() < 8 {
        return Err(WebganError::bad_data(
            name,
            format!(
                "{} bytes is too short for an IDX label header (8)",
                bytes.len()
            ),
        ));
    }
    let magic = be_u32(bytes, 0);
    if magic != MAGIC_LABELS {
        return Err(WebganError::bad_data(
            name,
            format!("magic number {magic} is not 2049 (IDX labels): is this the right file?"),
        ));
    }
    let count = be_u32(bytes, 4) as usize;
    let body = &bytes[8..];
    if body.len() < count {
        return Err(WebganError::bad_data(
            name,
            format!(
                "truncated: header promises {count} labels but only {} bytes follow",
                body.len()
            ),
        ));
    }
    let labels = body[..count].to_vec();
    if let Some(bad) = labels.iter().find(|&&l| l > 9) {
        return Err(WebganError::bad_data(
            name,
            format!("label {bad} is not a digit 0-9"),
        ));
    }
    Ok(labels)
}

/// Pairs parsed images with labels, checking that they belong together.
pub fn from_bytes(
    images: &[u8],
    images_name: &str,
    labels: &[u8],
    labels_name: &str,
) -> Result<Mnist> {
    let (count, rows, cols, pixels) = parse_images(images, images_name)?;
    let labels = parse_labels(labels, labels_name)?;
    if labels.len() != count {
        return Err(WebganError::bad_data(
            labels_name,
            format!(
                "{} labels but {images_name} has {count} images",
                labels.len()
            ),
        ));
    }
    Ok(Mnist {
        pixels,
        labels,
        rows,
        cols,
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| WebganError::io(path, e))?;
    maybe_gunzip(bytes, &path.display().to_string())
}

/// Finds `<stem>` or `<stem>.gz` in `dir`.
fn find(dir: &Path, stem: &str) -> Result<std::path::PathBuf> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let path = dir.join(&name);
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(WebganError::bad_data(
        dir.display().to_string(),
        format!("no {stem}[.gz] here: expected the standard MNIST IDX files"),
    ))
}

/// Which half of MNIST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

/// Reads the standard MNIST files (`train-images-idx3-ubyte[.gz]`, ...) from `dir`.
pub fn load_dir(dir: &Path, split: Split) -> Result<Mnist> {
    if !dir.is_dir() {
        return Err(WebganError::bad_data(
            dir.display().to_string(),
            "MNIST directory does not exist",
        ));
    }
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    from_bytes(
        &read_file(&images_path)?,
        &images_path.display().to_string(),
        &read_file(&labels_path)?,
        &labels_path.display().to_string(),
    )
}

/// Writes IDX files (used by tests and to make small data sets).
pub fn encode_images(pixels: &[u8], count: usize, rows: usize, cols: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pixels.len());
    for v in [MAGIC_IMAGES, count as u32, rows as u32, cols as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    for v in [MAGIC_LABELS, labels.len() as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tiny() -> (Vec<u8>, Vec<u8>) {
        let pixels: Vec<u8> = (0..3 * 4 * 5).map(|i| i as u8).collect();
        (encode_images(&pixels, 3, 4, 5), encode_labels(&[1, 2, 3]))
    }

    #[test]
    fn round_trips_plain_and_gzipped() {
        let (img, lab) = tiny();
        let m = from_bytes(&img, "img", &lab, "lab").unwrap();
        assert_eq!((m.len(), m.rows, m.cols), (3, 4, 5));
        assert_eq!(m.pixels[59], 59);
        assert_eq!(m.labels, vec![1, 2, 3]);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&img).unwrap();
        let unzipped = maybe_gunzip(gz.finish().unwrap(), "img.gz").unwrap();
        assert_eq!(unzipped, img);
    }

    #[test]
    fn corrupt_files_give_errors_that_name_the_problem() {
        let (img, lab) = tiny();
        let err = |r: Result<Mnist>| r.unwrap_err().to_string();

        let many = encode_labels(&[1; 20]);
        let e = err(from_bytes(&many, "labels-as-images", &lab, "lab"));
        assert!(e.contains("labels-as-images") && e.contains("2051"), "{e}");

        let e = err(from_bytes(&img[..40], "short", &lab, "lab"));
        assert!(e.contains("short") && e.contains("truncated"), "{e}");

        let e = err(from_bytes(&img[..10], "tiny", &lab, "lab"));
        assert!(e.contains("too short"), "{e}");

        let e = err(from_bytes(&img, "img", &encode_labels(&[1, 2]), "two"));
        assert!(e.contains("2 labels") && e.contains("3 images"), "{e}");

        let e = err(from_bytes(&img, "img", &encode_labels(&[1, 2, 11]), "bad"));
        assert!(e.contains("11"), "{e}");

        let e = maybe_gunzip(vec![0x1f, 0x8b, 0, 1, 2], "broken.gz")
            .unwrap_err()
            .to_string();
        assert!(e.contains("broken.gz") && e.contains("gzip"), "{e}");
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let e = load_dir(Path::new("/no/such/mnist"), Split::Train)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/no/such/mnist") && e.contains("does not exist"),
            "{e}"
        );
    }
}
