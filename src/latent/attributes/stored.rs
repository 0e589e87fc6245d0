//! A model's attribute directions as its weights file stores them (`Manifest::attributes`):
//! plain data, the checks a manifest must pass, and the edits the page and the CLI make with
//! them. Fitting them is the parent module's job; this file imports nothing of the model or the
//! classifier, so `weights` can hold them and the page's generation module can use them.

use serde::{Deserialize, Serialize};

use crate::error::{Result, WebganError};

/// At most this many attributes in one file: the page makes a slider for each.
pub const MAX_ATTRIBUTES: usize = 8;
/// Unit vectors are stored as f32 JSON numbers, which round-trip exactly; a norm further from
/// 1 than this is a file edited by hand or written by something else.
pub const NORM_TOLERANCE: f32 = 1e-3;
/// Longest name or end label (the page shows them beside a slider).
const MAX_TEXT: usize = 32;

/// A model's attribute directions, as stored in its manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attributes {
    /// What labelled the sampled faces (a classifier's name).
    pub labeller: String,
    /// Latents sampled, labelled and fitted.
    pub samples: usize,
    pub seed: u64,
    pub latent_dim: usize,
    pub attributes: Vec<Attribute>,
}

/// One attribute: a linear boundary in z and the direction that edits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// What the CLI calls it: `--attribute age=+2`.
    pub name: String,
    /// What a negative and a positive amount give ("younger", "older").
    pub low: String,
    pub high: String,
    /// Unit normal of the fitted boundary: z · normal is the attribute's linear score.
    pub normal: Vec<f32>,
    /// The edit direction: `normal` with every other attribute's normal projected out, unit
    /// length (InterFaceGAN's conditional manipulation). Moving along it leaves every other
    /// attribute's linear score exactly where it was.
    pub direction: Vec<f32>,
    /// How the boundary was fitted ("logistic", "linear").
    pub fit: String,
    /// How well it fits latents it was not fitted on: accuracy of its side of the boundary
    /// for "logistic", R² for "linear".
    pub held_out_fit: f32,
}

impl Attribute {
    /// The slider's label, e.g. "younger ↔ older".
    pub fn label(&self) -> String {
        format!("{} ↔ {}", self.low, self.high)
    }
}

impl Attributes {
    /// Checks stored attributes against the model they claim to belong to: a hand-edited or
    /// foreign manifest must not reach a slider as NaNs, wrong lengths or a scaled vector.
    /// Reading a file checks this (`weights::decode`), so a file that fails it never loads.
    pub fn check(&self, latent_dim: usize) -> Result<()> {
        let bad = |why: String| Err(WebganError::bad_weights("attributes", why));
        if self.latent_dim != latent_dim {
            return bad(format!(
                "they are {}-long vectors, the model's latent has {latent_dim} values",
                self.latent_dim
            ));
        }
        if self.attributes.is_empty() || self.attributes.len() > MAX_ATTRIBUTES {
            return bad(format!(
                "{} attributes; a file holds 1 to {MAX_ATTRIBUTES}",
                self.attributes.len()
            ));
        }
        for (i, a) in self.attributes.iter().enumerate() {
            let plain = |s: &str| {
                !s.is_empty() && s.chars().count() <= MAX_TEXT && !s.chars().any(char::is_control)
            };
            let name_ok = a.name.len() <= MAX_TEXT
                && !a.name.is_empty()
                && a.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok || !plain(&a.low) || !plain(&a.high) {
                return bad(format!(
                    "attribute {i}'s name must be 1-{MAX_TEXT} letters, digits, - or _, and its \
                     end labels 1-{MAX_TEXT} printable characters"
                ));
            }
            if self.attributes[..i].iter().any(|b| b.name == a.name) {
                return bad(format!("{} appears twice", a.name));
            }
            for (what, v) in [("normal", &a.normal), ("direction", &a.direction)] {
                if v.len() != latent_dim || v.iter().any(|x| !x.is_finite()) {
                    return bad(format!(
                        "{}'s {what} must be {latent_dim} finite values",
                        a.name
                    ));
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                if (norm - 1.0).abs() > NORM_TOLERANCE {
                    return bad(format!(
                        "{}'s {what} has length {norm}; it must be a unit vector",
                        a.name
                    ));
                }
            }
            if !a.held_out_fit.is_finite() {
                return bad(format!("{}'s held_out_fit is not finite", a.name));
            }
        }
        Ok(())
    }

    /// The attribute called `name`, or an error that lists the model's attributes.
    pub fn find(&self, name: &str) -> Result<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                WebganError::invalid(
                    "attribute",
                    name,
                    format!("this model's attributes are {}", self.names().join(", ")),
                )
            })
    }

    pub fn names(&self) -> Vec<&str> {
        self.attributes.iter().map(|a| a.name.as_str()).collect()
    }

    /// `z` (one latent or several, `latent_dim` values each) moved by each (name, amount)
    /// along that attribute's edit direction.
    pub fn shift(&self, z: &[f32], edits: &[(String, f32)]) -> Result<Vec<f32>> {
        let dim = self.latent_dim;
        if z.is_empty() || !z.len().is_multiple_of(dim) {
            return Err(WebganError::invalid(
                "latent",
                format!("{} values", z.len()),
                format!("must be a whole number of latents of {dim}"),
            ));
        }
        let mut out = z.to_vec();
        for (name, amount) in edits {
            let a = self.find(name)?;
            if !amount.is_finite() {
                return Err(WebganError::invalid(
                    "attribute",
                    format!("{name}={amount}"),
                    "the amount must be a finite number",
                ));
            }
            for row in out.chunks_exact_mut(dim) {
                row.iter_mut()
                    .zip(&a.direction)
                    .for_each(|(x, d)| *x += amount * d);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dim: usize, k: usize) -> Vec<f32> {
        (0..dim).map(|i| f32::from(i == k)).collect()
    }

    fn two() -> Attributes {
        let attribute = |name: &str, k| Attribute {
            name: name.into(),
            low: "less".into(),
            high: "more".into(),
            normal: unit(3, k),
            direction: unit(3, k),
            fit: "linear".into(),
            held_out_fit: 0.5,
        };
        Attributes {
            labeller: "test".into(),
            samples: 10,
            seed: 1,
            latent_dim: 3,
            attributes: vec![attribute("age", 0), attribute("gender", 1)],
        }
    }

    #[test]
    fn edits_move_every_latent_along_the_named_directions() {
        let a = two();
        let z = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let moved = a
            .shift(&z, &[("age".into(), 2.0), ("gender".into(), -1.0)])
            .unwrap();
        assert_eq!(moved, [3.0, 0.0, 1.0, 2.0, -1.0, 0.0]);
        let err = a.shift(&z, &[("smile".into(), 1.0)]).unwrap_err();
        assert!(err.to_string().contains("age, gender"), "{err}");
        assert!(a.shift(&z[..4], &[]).is_err());
        assert!(a.shift(&z, &[("age".into(), f32::NAN)]).is_err());
        assert_eq!(a.attributes[0].label(), "less ↔ more");
    }

    #[test]
    fn bad_attributes_are_refused() {
        assert!(two().check(3).is_ok());
        assert!(two().check(4).is_err(), "another latent size");
        let broken: [fn(&mut Attributes); 7] = [
            |a| a.attributes.clear(),
            |a| a.attributes[1].name = "age".into(),
            |a| a.attributes[0].name = "a b".into(),
            |a| a.attributes[0].high = String::new(),
            |a| a.attributes[0].direction[0] = 2.0,
            |a| a.attributes[1].normal[2] = f32::NAN,
            |a| a.attributes[1].normal.push(0.0),
        ];
        for (i, f) in broken.iter().enumerate() {
            let mut a = two();
            f(&mut a);
            assert!(a.check(3).is_err(), "case {i}");
        }
    }
}
