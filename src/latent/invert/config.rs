//! How a search runs ([`InvertConfig`], checked against its limits) and the optimiser's and
//! the pools' fixed sizes.

use crate::error::{Result, WebganError};

/// How the search runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InvertConfig {
    /// Random starting points per class tried; the best one wins.
    pub restarts: usize,
    /// Each starting point is the closest of this many random latents (scored by one
    /// forward pass, no gradients). Descent from a single random latent can settle in a poor
    /// basin (a loop drawn where the target has none); starting from the best of a few is
    /// cheap insurance. 1: plain random starts.
    pub pool: usize,
    /// Adam steps.
    pub steps: usize,
    /// Adam's learning rate on z.
    pub lr: f32,
    /// Weight of the prior term (mean(z²) - 1)²: keeps z near the shell where Gaussian latents
    /// live, so the result stays a sample the model would plausibly draw.
    pub prior: f32,
    /// After this many steps, keep only the `keep` best candidates per target (successive
    /// halving: most classes and starts are clearly wrong early, and dropping them makes the
    /// rest of the search several times cheaper). 0: never.
    pub prune_after: usize,
    /// Candidates per target that survive the pruning.
    pub keep: usize,
    /// Seed of the starting points.
    pub seed: u64,
}

impl Default for InvertConfig {
    fn default() -> Self {
        InvertConfig {
            restarts: 4,
            pool: 16,
            steps: 300,
            lr: 0.05,
            prior: 0.01,
            prune_after: 60,
            keep: 4,
            seed: 0,
        }
    }
}

impl InvertConfig {
    pub fn validate(&self) -> Result<()> {
        if !(1..=64).contains(&self.restarts) {
            return Err(WebganError::invalid(
                "restarts",
                self.restarts,
                "must be 1..=64",
            ));
        }
        if !(1..=MAX_POOL).contains(&self.pool) {
            return Err(WebganError::invalid(
                "pool",
                self.pool,
                format!("must be 1..={MAX_POOL}"),
            ));
        }
        if !(1..=100_000).contains(&self.steps) {
            return Err(WebganError::invalid(
                "steps",
                self.steps,
                "must be 1..=100000",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 10.0) {
            return Err(WebganError::invalid("lr", self.lr, "must be in (0, 10]"));
        }
        if !(self.prior.is_finite() && (0.0..=100.0).contains(&self.prior)) {
            return Err(WebganError::invalid(
                "prior",
                self.prior,
                "must be in [0, 100]",
            ));
        }
        if self.prune_after > 0 && self.keep == 0 {
            return Err(WebganError::invalid(
                "keep",
                0,
                "pruning must keep at least one candidate",
            ));
        }
        Ok(())
    }
}

/// Adam's constants (Kingma & Ba's defaults).
pub(super) const BETA1: f32 = 0.9;
pub(super) const BETA2: f32 = 0.999;
pub(super) const EPSILON: f32 = 1e-8;
/// Largest batch of candidates (targets x classes x restarts) one search runs.
pub const MAX_CANDIDATES: usize = 4096;
/// Largest pool of random latents scored for one starting point.
pub const MAX_POOL: usize = 256;
/// Rows per forward pass while scoring the pools, so a large search's pools never need more
/// memory at once than a few sample grids.
pub(super) const POOL_ROWS: usize = 512;
