//! Hyperparameters, with their literature names, defaults chosen by
//! measurement (see the README's BlogCatalog table) and a validated form.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which factor(s) of the SVD make the output vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Left (node / word) embedding U·Σ^p.
    #[default]
    Left,
    /// Right (context) embedding V·Σ^p.
    Right,
    /// Left and right concatenated: 2·dim columns.
    Both,
    /// Left + right (word2vec's w + c), dim columns.
    Sum,
}

/// Every parameter of the graph pipeline.
///
/// Build it with `EmbedConfig::default()` and the setters; [`EmbedConfig::validate`]
/// names the first parameter out of range. The whole struct is written into
/// each output's JSON sidecar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EmbedConfig {
    /// Embedding dimension d (rank of the truncated SVD). Default 128.
    pub dim: usize,
    /// Window size T: contexts up to T steps away on either side. Default 10.
    pub window: usize,
    /// DeepWalk's walks per node (γ). Together with `walk_length` it sets the
    /// sampling budget: pmivec draws the windows such a corpus would contain
    /// (see [`crate::walk`]). Default 100.
    pub walks_per_node: f64,
    /// DeepWalk's walk length (t). Default 80.
    pub walk_length: usize,
    /// node2vec return parameter p (1/p weighs stepping back). Default 1.
    pub p: f64,
    /// node2vec in-out parameter q (1/q weighs moving away). Default 1;
    /// p = q = 1 takes the first-order (DeepWalk) path.
    pub q: f64,
    /// Negative-sampling constant b: the PMI is shifted by log b. Default 1.
    pub neg: f64,
    /// Context-distribution smoothing exponent α (1 = none). Default 0.75.
    pub cds: f64,
    /// Pairs seen fewer times are dropped before the PMI. Default 4.
    pub min_pair_count: u32,
    /// Master seed; every random choice derives from it. Default 0.
    pub seed: u64,
    /// Worker threads; 0 = all cores. Does not change the output.
    pub threads: usize,
    /// Extra sketch columns of the randomized SVD. Default 20.
    pub oversample: usize,
    /// Power iterations of the randomized SVD. Default 3.
    pub power_iters: usize,
    /// Exponent p of Σ in U·Σ^p and V·Σ^p. Default 0.5.
    pub eig_weight: f64,
    /// Which factor(s) to output. Default left.
    pub side: Side,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            dim: 128,
            window: 10,
            walks_per_node: 100.0,
            walk_length: 80,
            p: 1.0,
            q: 1.0,
            neg: 1.0,
            cds: 0.75,
            min_pair_count: 4,
            seed: 0,
            threads: 0,
            oversample: 20,
            power_iters: 3,
            eig_weight: 0.5,
            side: Side::Left,
        }
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $t:ty),* $(,)?) => {
        impl EmbedConfig {
            $( $(#[$m])* pub fn $name(mut self, value: $t) -> Self { self.$name = value; self } )*
        }
    };
}

setters! {
    /// Set [`EmbedConfig::dim`].
    dim: usize,
    /// Set [`EmbedConfig::window`].
    window: usize,
    /// Set [`EmbedConfig::walks_per_node`].
    walks_per_node: f64,
    /// Set [`EmbedConfig::walk_length`].
    walk_length: usize,
    /// Set [`EmbedConfig::p`].
    p: f64,
    /// Set [`EmbedConfig::q`].
    q: f64,
    /// Set [`EmbedConfig::neg`].
    neg: f64,
    /// Set [`EmbedConfig::cds`].
    cds: f64,
    /// Set [`EmbedConfig::min_pair_count`].
    min_pair_count: u32,
    /// Set [`EmbedConfig::seed`].
    seed: u64,
    /// Set [`EmbedConfig::threads`].
    threads: usize,
    /// Set [`EmbedConfig::oversample`].
    oversample: usize,
    /// Set [`EmbedConfig::power_iters`].
    power_iters: usize,
    /// Set [`EmbedConfig::eig_weight`].
    eig_weight: f64,
    /// Set [`EmbedConfig::side`].
    side: Side,
}

impl EmbedConfig {
    /// Check every parameter; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, param: &'static str, reason: &str| {
            if ok { Ok(()) } else { Err(Error::invalid(param, reason)) }
        };
        check(self.dim >= 1, "dim", "must be at least 1")?;
        check(self.window >= 1, "window", "must be at least 1")?;
        check(self.walks_per_node.is_finite() && self.walks_per_node > 0.0, "walks_per_node", "must be > 0")?;
        check(self.walk_length >= 1, "walk_length", "must be at least 1")?;
        check(self.p.is_finite() && self.p > 0.0, "p", "must be > 0")?;
        check(self.q.is_finite() && self.q > 0.0, "q", "must be > 0")?;
        check(self.neg.is_finite() && self.neg > 0.0, "neg", "must be > 0")?;
        check(self.cds.is_finite() && self.cds > 0.0 && self.cds <= 1.0, "cds", "must be in (0, 1]")?;
        check(
            self.eig_weight.is_finite() && (0.0..=1.0).contains(&self.eig_weight),
            "eig_weight",
            "must be in [0, 1]",
        )?;
        check(self.power_iters <= 50, "power_iters", "must be at most 50")?;
        Ok(())
    }

    /// The SVD parameters of this config.
    pub fn svd(&self) -> crate::factorize::SvdConfig {
        crate::factorize::SvdConfig { oversample: self.oversample, power_iters: self.power_iters, seed: self.seed }
    }

    /// The counting parameters of this config.
    pub fn count(&self) -> crate::cooccur::CountConfig {
        crate::cooccur::CountConfig {
            window: self.window,
            walks_per_node: self.walks_per_node,
            walk_length: self.walk_length,
            min_count: self.min_pair_count,
            seed: self.seed,
            kind: crate::walk::WalkKind::from_pq(self.p, self.q),
        }
    }

    /// The PMI parameters of this config.
    pub fn pmi(&self) -> crate::pmi::PmiConfig {
        crate::pmi::PmiConfig { neg: self.neg, cds: self.cds }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_parameter() {
        let e = EmbedConfig::default().cds(1.5).validate().unwrap_err().to_string();
        assert!(e.contains("`cds`"), "{e}");
        assert!(EmbedConfig::default().validate().is_ok());
        let json = serde_json::to_string(&EmbedConfig::default().dim(7)).unwrap();
        let back: EmbedConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back.dim, 7);
    }
}
