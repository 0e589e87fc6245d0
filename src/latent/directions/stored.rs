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
