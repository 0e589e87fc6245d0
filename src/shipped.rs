//! The models this project ships (`models/*.wgan`), built into the native binary so that
//! `webgan sample --model digits` works from anywhere. The page fetches the same files.

/// (name, weights) of every shipped model.
pub const MODELS: [(&str, &[u8]); 2] = [
    ("digits", include_bytes!("../models/digits.wgan")),
    ("faces", include_bytes!("../models/faces.wgan")),
];

/// (name, weights) of the shipped classifiers: `webgan eval`'s judges, the live quality
/// meter's (`run::meter`) and the faces one that labels faces for attribute directions
/// (`latent::attributes`).
pub const CLASSIFIERS: [(&str, &[u8]); 2] = [
    (
        "digits-classifier",
        include_bytes!("../models/digits-classifier.wgan"),
    ),
    (
        "faces-classifier",
        include_bytes!("../models/faces-classifier.wgan"),
    ),
];

/// The shipped classifier of that name (e.g. "digits-classifier"), if any.
pub fn classifier(name: &str) -> Option<&'static [u8]> {
    CLASSIFIERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

/// The shipped model of that name, if any.
pub fn model(name: &str) -> Option<&'static [u8]> {
    MODELS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::Sampler;
    use crate::model::ArchConfig;

    #[test]
    fn the_shipped_models_still_load_and_generate() {
        let device = burn::tensor::Device::flex();
        for (name, bytes) in MODELS {
            let sampler =
                Sampler::load(bytes, name, &device).unwrap_or_else(|e| panic!("{name}: {e}"));
            let ArchConfig::Image(arch) = sampler.arch().clone() else {
                panic!("{name} should be an image model");
            };
            let out = sampler.generate_seed(1, 2, None).unwrap();
            assert_eq!(out.len(), 2 * arch.image_len(), "{name}");
            assert!(
                out.iter()
                    .all(|v| v.is_finite() && (-1.0..=1.0).contains(v)),
                "{name}"
            );
        }
        // What the page and README promise: conditional digits, 64x64 colour faces, small
        // half-precision files.
        let arch = |name| {
            Sampler::load(model(name).unwrap(), name, &device)
                .unwrap()
                .arch()
                .clone()
        };
        let ArchConfig::Image(digits) = arch("digits") else {
            panic!()
        };
        assert_eq!(
            (digits.image_size, digits.channels, digits.n_classes),
            (28, 1, 10)
        );
        let ArchConfig::Image(faces) = arch("faces") else {
            panic!()
        };
        assert_eq!((faces.image_size, faces.channels), (64, 3));
        assert!(model("digits").unwrap().len() <= 1_500_000);
        assert!(model("faces").unwrap().len() <= 6_000_000);
        assert_eq!(model("digits").map(|b| b.len()), Some(MODELS[0].1.len()));
        assert!(model("cats").is_none());
    }
}
