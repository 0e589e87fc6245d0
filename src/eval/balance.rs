//! Balance: how the evaluation classifier's predictions spread over its classes (and, for
//! faces, over gender and age bracket) for generated images, next to the same classifier's
//! predictions on real images, with the total-variation distance between the two.
//!
//! Predictions are compared with predictions, never with labels: the faces classifier is
//! right about half the time, so its errors would swamp a comparison with the real labels,
//! while the same classifier errs alike on real and generated faces that look alike.

use serde::Serialize;

/// One categorical attribute: the share of generated and of real images the classifier puts
/// in each category.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Shares {
    pub labels: Vec<String>,
    pub generated: Vec<f64>,
    pub real: Vec<f64>,
    /// Total-variation distance between `generated` and `real`: 0 for the same shares, 1 for
    /// shares that do not overlap.
    pub tv: f64,
}

impl Shares {
    pub fn compare(labels: Vec<String>, generated: Vec<f64>, real: Vec<f64>) -> Shares {
        let tv = total_variation(&generated, &real);
        Shares {
            labels,
            generated,
            real,
            tv,
        }
    }

    /// The same images seen through a coarser attribute: category `c` joins group `group(c)`.
    pub fn marginal(&self, labels: Vec<String>, group: impl Fn(usize) -> usize) -> Shares {
        let groups = labels.len();
        Shares::compare(
            labels,
            merge(&self.generated, groups, &group),
            merge(&self.real, groups, &group),
        )
    }

    /// Categories that receive at least half their real share of the generated images: a
    /// category the generator drops, or nearly drops, is not covered.
    pub fn covered(&self) -> usize {
        self.generated
            .iter()
            .zip(&self.real)
            .filter(|&(g, r)| *g >= 0.5 * r)
            .count()
    }
}

/// The classifier's classes, and for faces its gender and age-bracket marginals.
#[derive(Debug, Default, Serialize)]
pub struct Balance {
    pub classes: Shares,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Shares>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<Shares>,
}

/// How many of `predicted` fall in each of `classes` classes. A prediction is an argmax over
/// the classifier's outputs, so every one is below `classes`.
pub fn counts(predicted: &[usize], classes: usize) -> Vec<usize> {
    let mut c = vec![0usize; classes];
    for &p in predicted {
        c[p] += 1;
    }
    c
}

/// `counts` as fractions of the total; all zero when there is nothing to count.
pub fn shares(predicted: &[usize], classes: usize) -> Vec<f64> {
    let total = predicted.len().max(1) as f64;
    counts(predicted, classes)
        .into_iter()
        .map(|c| c as f64 / total)
        .collect()
}

/// 0.5 * sum |p - q|: the largest difference in probability the two distributions give any
/// set of categories.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "distributions over different categories");
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

fn merge(shares: &[f64], groups: usize, group: &impl Fn(usize) -> usize) -> Vec<f64> {
    let mut out = vec![0.0; groups];
    for (c, s) in shares.iter().enumerate() {
        out[group(c)] += s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_shares_follow_the_predictions() {
        let predicted = [0, 2, 2, 3, 2, 0];
        assert_eq!(counts(&predicted, 4), vec![2, 0, 3, 1]);
        assert_eq!(shares(&predicted, 4), vec![2.0 / 6.0, 0.0, 0.5, 1.0 / 6.0]);
        assert_eq!(shares(&[], 3), vec![0.0; 3]);
    }

    #[test]
    fn total_variation_of_known_distributions() {
        let uniform = [0.25; 4];
        assert_eq!(total_variation(&uniform, &uniform), 0.0);
        // Disjoint supports: as far apart as distributions get.
        assert_eq!(total_variation(&[0.5, 0.5, 0.0], &[0.0, 0.0, 1.0]), 1.0);
        // Moving 0.2 of the mass from one category to another moves TV by 0.2.
        let tv = total_variation(&[0.6, 0.4], &[0.4, 0.6]);
        assert!((tv - 0.2).abs() < 1e-12, "{tv}");
        let tv = total_variation(&uniform, &[0.1, 0.4, 0.25, 0.25]);
        assert!((tv - 0.15).abs() < 1e-12, "{tv}");
    }

    #[test]
    fn marginals_sum_the_joint_and_can_hide_a_joint_difference() {
        // Two genders x two ages; generated swaps which gender is old.
        let joint = Shares::compare(
            vec!["a0".into(), "a1".into(), "b0".into(), "b1".into()],
            vec![0.5, 0.0, 0.0, 0.5],
            vec![0.0, 0.5, 0.5, 0.0],
        );
        assert_eq!(joint.tv, 1.0);
        let gender = joint.marginal(vec!["a".into(), "b".into()], |c| c / 2);
        assert_eq!(gender.generated, vec![0.5, 0.5]);
        assert_eq!(gender.real, vec![0.5, 0.5]);
        assert_eq!(gender.tv, 0.0);
        let age = joint.marginal(vec!["0".into(), "1".into()], |c| c % 2);
        assert_eq!(age.tv, 0.0);
        assert_eq!(joint.covered(), 2);
    }

    #[test]
    fn coverage_needs_half_the_real_share() {
        let s = Shares::compare(
            vec!["x".into(), "y".into(), "z".into()],
            vec![0.2, 0.1, 0.7],
            vec![0.4, 0.3, 0.3],
        );
        // x gets exactly half its real share (covered), y a third (not), z more (covered).
        assert_eq!(s.covered(), 2);
    }
}
