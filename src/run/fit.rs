//! Whether a data set fits a run's model: image shape and classes taken from the data where
//! the spec leaves them open, labels present exactly when the model is conditional.

use crate::data::{Dataset, TrainingData};
use crate::error::{Result, WebganError};
use crate::model::ArchConfig;
use crate::spec::TrainSpec;

/// Image presets: the data decides the image shape and the classes, unless the spec says
/// otherwise, in which case they must agree.
pub(super) fn fill_shape_from(spec: &mut TrainSpec, data: &Dataset) -> Result<()> {
    let ArchConfig::Image(_) = spec.preset.arch() else {
        return Ok(());
    };
    let channels = data.channels;
    let pixels = data.sample_len / channels.max(1);
    let side = (pixels as f64).sqrt().round() as usize;
    if side * side * channels != data.sample_len {
        return Err(WebganError::bad_data(
            &data.name,
            format!(
                "{}-value samples are not square {channels}-channel images",
                data.sample_len
            ),
        ));
    }
    let classes = match &data.labels {
        Some(l) => l.iter().copied().max().map_or(0, |m| m.max(0) as usize + 1),
        None => 0,
    };
    for (name, set, found) in [
        ("image_size", spec.image_size, side),
        ("channels", spec.channels, channels),
        ("n_classes", spec.n_classes, classes),
    ] {
        if set.is_some_and(|v| v != found) {
            return Err(WebganError::invalid(
                name,
                set.unwrap_or_default(),
                format!("the data set {} has {found}", data.name),
            ));
        }
    }
    spec.image_size = Some(side);
    spec.channels = Some(channels);
    spec.n_classes = Some(classes);
    Ok(())
}

/// Labels are present exactly when the model is conditional, and within its classes.
pub(super) fn check_labels(data: &TrainingData, n_classes: usize) -> Result<()> {
    let TrainingData::Samples(d) = data else {
        return Ok(());
    };
    match (&d.labels, n_classes) {
        (_, 0) => Ok(()),
        (None, _) => Err(WebganError::bad_data(
            &d.name,
            "a conditional model needs a label for every image",
        )),
        (Some(l), k) => match l.iter().find(|&&c| c < 0 || c as usize >= k) {
            Some(bad) => Err(WebganError::bad_data(
                &d.name,
                format!("label {bad} outside 0..{k}"),
            )),
            None if l.len() != d.len() => Err(WebganError::bad_data(
                &d.name,
                format!("{} labels for {} images", l.len(), d.len()),
            )),
            None => Ok(()),
        },
    }
}
