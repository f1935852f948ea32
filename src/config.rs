//! Hyperparameters, with their literature names, defaults chosen by
//! measurement (see the README's tables) and a validated form.
//!
//! [`FactorizeConfig`] — how a sparse matrix becomes vectors — is shared by
//! the graph ([`EmbedConfig`]), word ([`crate::words::WordConfig`]) and
//! document ([`crate::lsa::LsaConfig`]) paths, which embed it rather than
//! re-declare it. Every config is `Default` + consuming setters +
//! `validate()`, and serializes into each output's JSON sidecar.

use crate::error::Result;
use crate::params::{check, setters};
use crate::propagate::PropagationConfig;
use serde::{Deserialize, Serialize};

/// Upper bound of thread counts: more is a typo, and a pool that size
/// takes minutes to spawn.
pub const MAX_THREADS: usize = 1024;

/// How a sparse matrix becomes vectors: a rank-`dim` randomized SVD and the
/// exponent p of U·Σ^p. Shared by every path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FactorizeConfig {
    /// Embedding dimension d (rank of the truncated SVD). Default 128.
    pub dim: usize,
    /// Extra sketch columns of the randomized SVD; `None` = by size (20
    /// while the matrix has at most [`SMALL_MATRIX`] rows; 10 above, as
    /// scikit-learn's randomized SVD, where l² is most of the SVD's dense
    /// work and 10 measured the same Micro-F1 as 20 on the graphs M and L,
    /// 9–10 % less SVD time).
    pub oversample: Option<usize>,
    /// Power iterations of the randomized SVD; `None` = by size (8 while
    /// the matrix has at most [`SMALL_MATRIX`] rows, where they cost
    /// milliseconds and measured +0.003 Micro-F1 on BlogCatalog; 3 above).
    pub power_iters: Option<usize>,
    /// Exponent p of Σ in U·Σ^p and V·Σ^p. Default 0.5.
    pub eig_weight: f64,
    /// Master seed; every random choice derives from it. Default 0.
    pub seed: u64,
    /// Worker threads; 0 = all cores (the pool the call runs on: rayon's
    /// global one unless the caller installed another). Does not change the
    /// output.
    pub threads: usize,
    /// Storage of the SVD's and the propagation's dense blocks: `f32`, or
    /// half-width `f16` with `f32` sums ([`crate::precision`]). Default
    /// auto: `f16` from [`crate::precision::HALF_FROM_ROWS`] rows on, where
    /// it halves the memory of a run beside the graph and measured the
    /// same quality (see the README's scale table). Results are `f32`
    /// either way.
    pub precision: crate::precision::Precision,
}

/// Rows up to which [`FactorizeConfig::power_iters`] = `None` means 8 and
/// [`FactorizeConfig::oversample`] = `None` means 20.
pub const SMALL_MATRIX: usize = 100_000;

impl Default for FactorizeConfig {
    fn default() -> Self {
        FactorizeConfig {
            dim: 128,
            oversample: None,
            power_iters: None,
            eig_weight: 0.5,
            seed: 0,
            threads: 0,
            precision: Default::default(),
        }
    }
}

impl FactorizeConfig {
    /// Check every parameter; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        check((1..=100_000).contains(&self.dim), "dim", "must be in [1, 100000]")?;
        check(self.oversample.is_none_or(|o| o <= 100_000), "oversample", "must be at most 100000")?;
        self.power_iters.map_or(Ok(()), crate::factorize::check_power_iters)?;
        check(
            self.eig_weight.is_finite() && (0.0..=1.0).contains(&self.eig_weight),
            "eig_weight",
            "must be in [0, 1]",
        )?;
        check(self.threads <= MAX_THREADS, "threads", "must be at most 1024 (0 = all cores)")
    }

    /// The SVD parameters for a matrix of `rows` rows.
    pub fn svd(&self, rows: usize) -> crate::factorize::SvdConfig {
        let small = rows <= SMALL_MATRIX;
        let power_iters = self.power_iters.unwrap_or(if small { 8 } else { 3 });
        let oversample = self.oversample.unwrap_or(if small { 20 } else { 10 });
        crate::factorize::SvdConfig { oversample, power_iters, seed: self.seed }
    }
}

/// The matrix the graph path factorizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// The first-order matrix on an undirected graph that the locality probe
    /// reads as local (word co-occurrence graphs: [`crate::locality`]); else
    /// windows while the budget of [`Budget::Auto`] fits the work cap
    /// [`AUTO_MAX_STEPS`], the first-order matrix beyond (see the README's
    /// scale measurements: on a million-node graph the affordable walks were
    /// too thin to beat the exact first-order matrix; on BlogCatalog they win).
    #[default]
    #[cfg_attr(
        feature = "clap",
        value(help = "first-order on a local graph (the locality probe), else windows up to a work cap")
    )]
    Auto,
    /// NetMF's matrix, estimated from rooted random-walk windows.
    #[cfg_attr(feature = "clap", value(help = "NetMF's matrix from random-walk windows"))]
    Windows,
    /// ProNE's first stage: the PMI of the one-step transition matrix,
    /// computed exactly (no sampling).
    #[cfg_attr(feature = "clap", value(help = "ProNE's first-order matrix, exact"))]
    FirstOrder,
    /// NetMF's closed-form matrix (what windows sample), computed densely:
    /// small graphs only ([`crate::netmf::EXACT_NODE_LIMIT`]), no fold-in model.
    #[cfg_attr(feature = "clap", value(help = "NetMF's closed-form matrix, dense (small graphs)"))]
    Exact,
}

/// Walk steps per adjacency entry of [`Budget::Auto`]: the knee measured on
/// BlogCatalog (T = 5, ≈ DeepWalk's γ = 10 walks of t = 80: quality within
/// noise of 2.5× more steps once propagated).
pub const AUTO_STEPS_PER_EDGE: f64 = 60.0;

/// The most walk steps [`Budget::Auto`] spends (about 3 s of walking on a
/// graph that fits in cache, 10 s on one that does not, on 2 cores).
pub const AUTO_MAX_STEPS: f64 = 2.5e8;

/// How many walk steps the windows estimator takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Budget {
    /// [`AUTO_STEPS_PER_EDGE`] per adjacency entry, at most [`AUTO_MAX_STEPS`].
    #[default]
    Auto,
    /// This many steps per adjacency entry (2 per undirected edge).
    StepsPerEdge(f64),
    /// The windows of DeepWalk's corpus of γ walks of length t per node.
    WalksPerNode {
        /// γ.
        walks: f64,
        /// t.
        length: usize,
    },
}

/// Every parameter of the graph path.
///
/// Build it with `EmbedConfig::default()` and the setters; [`EmbedConfig::validate`]
/// names the first parameter out of range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EmbedConfig {
    /// The matrix to factorize. Default auto.
    pub estimator: Estimator,
    /// Window size T: contexts up to T steps away on either side. Default 5
    /// (measured: with propagation, T = 5 matches T = 10 at a fifth of the steps).
    pub window: usize,
    /// Walk steps of the windows estimator. Default auto.
    pub budget: Budget,
    /// node2vec return parameter p (1/p weighs stepping back). Default 1.
    pub p: f64,
    /// node2vec in-out parameter q (1/q weighs moving away). Default 1;
    /// p = q = 1 takes the first-order (DeepWalk) path.
    pub q: f64,
    /// Negative-sampling constant b: the PMI is shifted by log b. Default 1.
    pub neg: f64,
    /// Context-distribution smoothing exponent α (1 = none); `None` = 1 for
    /// windows (then an undirected graph's matrix is symmetric and its SVD
    /// one-sided) and ProNE's 0.75 for the first-order matrix.
    pub cds: Option<f64>,
    /// Window pairs seen fewer times are dropped before the PMI. Default 4.
    pub min_pair_count: u32,
    /// Spectral propagation after the SVD. Default: 6 passes of ProNE's
    /// filter on undirected graphs, none on directed ones.
    pub propagation: PropagationConfig,
    /// Rank, SVD and weighting.
    pub factorize: FactorizeConfig,
    /// Refuse a run whose estimated peak memory exceeds this many bytes;
    /// `None` = 80 % of physical memory.
    pub memory_limit: Option<u64>,
    /// Folder for the memory-mapped dense blocks of a run that fits under
    /// `memory_limit` only with them out of memory ([`crate::block`]);
    /// `None` = the system's temporary folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scratch_dir: Option<std::path::PathBuf>,
    /// Keep the right (context) vectors V·Σ^p. Default true; false frees
    /// n·d floats before propagation (the CLI keeps them only when `--side`
    /// asks for them).
    pub keep_context: bool,
    /// What factorizes the windows matrix: the SVD, or the SVD refined by
    /// weighted least squares on the counts ([`crate::weighted`]; windows
    /// estimator only). Default svd.
    #[serde(skip_serializing_if = "crate::weighted::is_svd")]
    pub factorizer: crate::weighted::Factorizer,
    /// Parameters of the weighted factorization.
    #[serde(skip_serializing_if = "crate::weighted::is_default")]
    pub weighted: crate::weighted::WeightedConfig,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            estimator: Estimator::Auto,
            window: 5,
            budget: Budget::Auto,
            p: 1.0,
            q: 1.0,
            neg: 1.0,
            cds: None,
            min_pair_count: 4,
            propagation: PropagationConfig::default(),
            factorize: FactorizeConfig::default(),
            memory_limit: None,
            scratch_dir: None,
            keep_context: true,
            factorizer: Default::default(),
            weighted: Default::default(),
        }
    }
}

setters!(EmbedConfig {
    /// Set [`EmbedConfig::estimator`].
    estimator: Estimator,
    /// Set [`EmbedConfig::window`].
    window: usize,
    /// Set [`EmbedConfig::budget`].
    budget: Budget,
    /// Set [`EmbedConfig::p`].
    p: f64,
    /// Set [`EmbedConfig::q`].
    q: f64,
    /// Set [`EmbedConfig::neg`].
    neg: f64,
    /// Set [`EmbedConfig::cds`].
    cds: Option<f64>,
    /// Set [`EmbedConfig::min_pair_count`].
    min_pair_count: u32,
    /// Set [`EmbedConfig::propagation`].
    propagation: PropagationConfig,
    /// Set [`EmbedConfig::factorize`].
    factorize: FactorizeConfig,
    /// Set [`EmbedConfig::factorizer`].
    factorizer: crate::weighted::Factorizer,
    /// Set [`EmbedConfig::weighted`].
    weighted: crate::weighted::WeightedConfig,
    /// Set [`EmbedConfig::memory_limit`].
    memory_limit: Option<u64>,
    /// Set [`EmbedConfig::scratch_dir`].
    scratch_dir: Option<std::path::PathBuf>,
    /// Set [`EmbedConfig::keep_context`].
    keep_context: bool,
});

setters!(FactorizeConfig {
    /// Set [`FactorizeConfig::dim`].
    dim: usize,
    /// Set [`FactorizeConfig::oversample`].
    oversample: Option<usize>,
    /// Set [`FactorizeConfig::power_iters`].
    power_iters: Option<usize>,
    /// Set [`FactorizeConfig::eig_weight`].
    eig_weight: f64,
    /// Set [`FactorizeConfig::seed`].
    seed: u64,
    /// Set [`FactorizeConfig::threads`].
    threads: usize,
    /// Set [`FactorizeConfig::precision`].
    precision: crate::precision::Precision,
});

impl EmbedConfig {
    /// Set the embedding dimension ([`FactorizeConfig::dim`]).
    pub fn dim(mut self, dim: usize) -> Self {
        self.factorize.dim = dim;
        self
    }
    /// Set the master seed ([`FactorizeConfig::seed`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.factorize.seed = seed;
        self
    }
    /// Set the thread count ([`FactorizeConfig::threads`]).
    pub fn threads(mut self, threads: usize) -> Self {
        self.factorize.threads = threads;
        self
    }
    /// Set DeepWalk's budget: γ walks of length t per node (windows).
    pub fn walks_per_node(mut self, walks: f64, length: usize) -> Self {
        self.budget = Budget::WalksPerNode { walks, length };
        self
    }
    /// Turn spectral propagation off.
    pub fn no_propagation(mut self) -> Self {
        self.propagation.passes = Some(0);
        self
    }

    /// Check every parameter; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        self.factorize.validate()?;
        self.propagation.validate()?;
        self.weighted.validate()?;
        check(
            self.factorizer == crate::weighted::Factorizer::Svd || self.estimator == Estimator::Windows,
            "factorizer",
            "the weighted factorizer needs counted pairs: set `estimator = windows`",
        )?;
        check(
            self.factorize.dim >= 2 || self.propagation.passes.is_none_or(|p| p == 0),
            "propagation",
            "needs dim ≥ 2: propagation ends in unit rows, which at dim 1 are all ±1 (the default skips it there)",
        )?;
        crate::params::check_window(self.window)?;
        match self.budget {
            Budget::Auto => {}
            Budget::StepsPerEdge(s) => {
                check(s.is_finite() && s > 0.0, "budget", "steps per edge must be > 0")?;
            }
            Budget::WalksPerNode { walks, length } => {
                check(walks.is_finite() && walks > 0.0, "walks_per_node", "must be > 0")?;
                check((1..=1_000_000).contains(&length), "walk_length", "must be in [1, 1000000]")?;
            }
        }
        check(self.p.is_finite() && self.p >= f64::MIN_POSITIVE, "p", "must be > 0 (and not subnormal)")?;
        check(self.q.is_finite() && self.q >= f64::MIN_POSITIVE, "q", "must be > 0 (and not subnormal)")?;
        check(self.neg.is_finite() && self.neg > 0.0, "neg", "must be > 0")?;
        check(self.cds.is_none_or(|a| a.is_finite() && a > 0.0 && a <= 1.0), "cds", "must be in (0, 1]")?;
        check(self.memory_limit.is_none_or(|m| m > 0), "memory_limit", "must be > 0")
    }

    /// The PMI parameters of this config for the windows estimator.
    pub fn pmi(&self) -> crate::pmi::PmiConfig {
        crate::pmi::PmiConfig { neg: self.neg, cds: self.cds.unwrap_or(1.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_parameter() {
        let e = EmbedConfig::default().cds(Some(1.5)).validate().unwrap_err().to_string();
        assert!(e.contains("`cds`"), "{e}");
        assert!(EmbedConfig::default().validate().is_ok());
        let e = EmbedConfig::default().threads(100_000).validate().unwrap_err().to_string();
        assert!(e.contains("`threads`"), "{e}");
        let json = serde_json::to_string(&EmbedConfig::default().dim(7)).unwrap();
        let back: EmbedConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back.factorize.dim, 7);
        assert_eq!(back, EmbedConfig::default().dim(7));
    }

    #[test]
    fn power_iterations_and_oversampling_follow_the_size_unless_set() {
        let f = FactorizeConfig::default();
        assert_eq!((f.svd(10_000).power_iters, f.svd(10_000).oversample), (8, 20));
        assert_eq!((f.svd(1_000_000).power_iters, f.svd(1_000_000).oversample), (3, 10));
        assert_eq!(f.clone().power_iters(Some(2)).svd(10).power_iters, 2);
        assert_eq!(f.oversample(Some(5)).svd(1_000_000).oversample, 5);
    }
}
