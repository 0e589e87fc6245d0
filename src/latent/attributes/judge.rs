//! Labelling generated faces with the project's faces classifier: latents in, each face's
//! probability of being male and its expected age bracket out (`eval::faces::male_and_age`).
//! Both the fit and the measurement of the edits read faces through this one judge.

use burn::tensor::Device;

use crate::error::{Result, WebganError};
use crate::eval::classifier::{Classifier, load_classifier};
use crate::eval::faces;
use crate::inference::Sampler;

/// Faces per forward pass.
const BATCH: usize = 250;

/// What the classifier says about one face.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traits {
    /// Probability of "male" (summed over the age brackets).
    pub male: f64,
    /// Expected age bracket, 0 (0-12) to 4 (61+).
    pub age: f64,
}

/// The faces classifier, ready to judge a generator's faces.
pub struct FaceJudge {
    classifier: Classifier,
    /// The side of the images it judges; larger faces are pooled down to it.
    size: usize,
    pub name: String,
    device: Device,
}

impl FaceJudge {
    /// The shipped faces classifier (`models/faces-classifier.wgan`).
    pub fn shipped(device: &Device) -> Result<FaceJudge> {
        let bytes = crate::shipped::classifier("faces-classifier")
            .ok_or_else(|| WebganError::invalid("classifier", "faces", "none is shipped"))?;
        FaceJudge::load(bytes, "faces-classifier", device)
    }

    /// A faces classifier file (`webgan classifier --kind faces`).
    pub fn load(bytes: &[u8], what: &str, device: &Device) -> Result<FaceJudge> {
        let (_, config, classifier) = load_classifier(bytes, what, device)?;
        if config.channels != 3 || config.n_classes != faces::CLASSES {
            return Err(WebganError::bad_weights(
                what,
                format!(
                    "is not a faces classifier ({} channels, {} classes; a faces one has 3 and {})",
                    config.channels,
                    config.n_classes,
                    faces::CLASSES
                ),
            ));
        }
        Ok(FaceJudge {
            classifier,
            size: config.image_size,
            name: what.into(),
            device: device.clone(),
        })
    }

    /// Whether this judge can label `sampler`'s images, and why not: attribute directions are
    /// fitted for unconditional colour generators whose side is the classifier's times a power
    /// of two.
    pub fn fits(&self, sampler: &Sampler) -> Result<()> {
        let shape = sampler.arch().image_shape();
        let side_ok = |s: usize| {
            let mut s = s;
            while s > self.size && s.is_multiple_of(2) {
                s /= 2;
            }
            s == self.size
        };
        match shape {
            Some((s, 3)) if sampler.arch().n_classes() == 0 && side_ok(s) => Ok(()),
            _ => Err(WebganError::invalid(
                "model",
                match shape {
                    Some((s, c)) => format!("{s}x{s}x{c}, {} classes", sampler.arch().n_classes()),
                    None => "2-D points".into(),
                },
                format!(
                    "attribute directions need a faces classifier for its images; {} judges \
                     unconditional colour faces of {1}x{1} (or 2x, 4x, ... larger)",
                    self.name, self.size
                ),
            )),
        }
    }

    /// The traits of the faces `sampler` draws for latents `z` (`latent_dim` values each).
    pub fn judge(&self, sampler: &Sampler, z: &[f32]) -> Result<Vec<Traits>> {
        self.fits(sampler)?;
        let dim = sampler.latent_dim();
        let (side, _) = sampler.arch().image_shape().unwrap_or((0, 0));
        let mut out = Vec::with_capacity(z.len() / dim.max(1));
        for chunk in z.chunks(BATCH * dim) {
            let mut images = sampler.generate(chunk.to_vec(), None)?;
            let mut s = side;
            while s > self.size {
                images = faces::pool2(&images, s, 3);
                s /= 2;
            }
            let judged = self.classifier.judge(&images, &self.device)?;
            out.extend(
                judged
                    .probs
                    .chunks_exact(judged.n_classes)
                    .map(faces::male_and_age)
                    .map(|(male, age)| Traits { male, age }),
            );
        }
        Ok(out)
    }
}
