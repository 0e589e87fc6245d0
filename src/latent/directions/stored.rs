//! A model's principal directions as its weights file stores them (`Manifest::directions`):
//! plain data and what the page and the CLI do with it. Computing them is the parent module's
//! job; this file imports nothing of the model, so `weights` can hold them without depending on
//! inference.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};

/// A model's directions, as stored in its manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Directions {
    /// The activations they were found in.
    pub layer: String,
    /// Latents sampled per set.
    pub samples: usize,
    pub seed: u64,
    pub latent_dim: usize,
    /// One set per class (index = class) when true; else one set for every class.
    pub per_class: bool,
    pub sets: Vec<DirectionSet>,
}

/// Orthonormal directions in z, most variance first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectionSet {
    /// Unit vectors, each `latent_dim` long.
    pub vectors: Vec<Vec<f32>>,
    /// The share of the first block's total activation variance that moving z along each
    /// direction drives (z under its N(0, I) prior). Non-increasing.
    pub variance_share: Vec<f32>,
}

impl Directions {
    /// Checks stored directions against the model they claim to belong to (a hand-edited or
    /// foreign manifest must not reach the sliders as NaNs or wrong lengths). Reading a file
    /// checks this (`weights::decode`), so a file that fails it never loads.
    pub fn check(&self, latent_dim: usize, n_classes: usize) -> Result<()> {
        let want_sets = if self.per_class { n_classes.max(1) } else { 1 };
        let bad = |why: String| Err(WebganError::bad_weights("directions", why));
        if self.latent_dim != latent_dim || self.sets.len() != want_sets {
            return bad(format!(
                "{} sets of {}-long vectors do not fit this model (latent {latent_dim}, {n_classes} classes)",
                self.sets.len(),
                self.latent_dim
            ));
        }
        for set in &self.sets {
            if set.vectors.len() != set.variance_share.len()
                || set.vectors.is_empty()
                || set.vectors.len() > latent_dim
                || set
                    .vectors
                    .iter()
                    .any(|v| v.len() != latent_dim || v.iter().any(|x| !x.is_finite()))
                || set
                    .variance_share
                    .iter()
                    .any(|s| !(s.is_finite() && *s >= 0.0))
            {
                return bad("a set is empty, ragged, too long or not finite".into());
            }
        }
        Ok(())
    }

    /// The set that applies to samples of `class` (ignored for shared sets).
    pub fn set_for(&self, class: Option<usize>) -> Result<&DirectionSet> {
        let index = if self.per_class {
            class.unwrap_or(0)
        } else {
            0
        };
        self.sets.get(index).ok_or_else(|| {
            WebganError::invalid(
                "class",
                index,
                format!("the directions have {} sets", self.sets.len()),
            )
        })
    }

    /// `z` moved by `amount` along direction `k` of `class`'s set.
    pub fn shift(
        &self,
        z: &[f32],
        class: Option<usize>,
        k: usize,
        amount: f32,
    ) -> Result<Vec<f32>> {
        let set = self.set_for(class)?;
        let d = set.vectors.get(k).ok_or_else(|| {
            WebganError::invalid(
                "direction",
                k,
                format!("this model has directions 0..{}", set.vectors.len() - 1),
            )
        })?;
        if z.len() != d.len() || !amount.is_finite() {
            return Err(WebganError::invalid(
                "latent",
                format!("{} values, amount {amount}", z.len()),
                format!("needs one latent of {} values and a finite amount", d.len()),
            ));
        }
        Ok(z.iter().zip(d).map(|(a, b)| a + amount * b).collect())
    }
}
