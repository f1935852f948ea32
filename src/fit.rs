//! The tail every path shares — a sparse matrix → randomized SVD → U·Σ^p
//! and V·Σ^p as [`Embeddings`] — with the [`Report`] every run fills and
//! the thread pool it runs on. Below the graph, word and document paths,
//! so each of them uses it without going through another.

use crate::comm::Local;
use crate::config::FactorizeConfig;
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use crate::factorize::{Factors, SparseOperator, Store, svd_blocks, symmetric_blocks};
use crate::progress::Progress;
use crate::sparse::SparseMatrix;
use half::f16;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What a run did: the plan, stage times and sizes, for the CLI summary
/// and the sidecar.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// (stage, seconds), in order.
    pub stage_seconds: Vec<(String, f64)>,
    /// The matrix factorized ("windows", "first-order", "exact", "sentences", "tf-idf", …).
    pub estimator: String,
    /// Why that matrix and budget (graphs).
    pub reason: String,
    /// Which walk sampler ran ("first-order" or "node2vec-rejection"), if any.
    pub walk_path: String,
    /// Walk steps taken.
    pub walk_steps: u64,
    /// Distinct pairs counted.
    pub distinct_pairs: u64,
    /// Pairs kept after `min_pair_count`.
    pub kept_pairs: u64,
    /// Nonzeros of the factorized matrix.
    pub pmi_nonzeros: u64,
    /// Power iterations the SVD ran.
    pub power_iters: usize,
    /// Propagation passes applied.
    pub propagation_passes: usize,
    /// Estimated peak memory (bytes) and the limit it was checked against.
    pub memory_estimate: (u64, u64),
    /// What the locality probe chose and why, when auto left a choice open
    /// ([`crate::locality`]); empty when it did not run.
    #[serde(default)]
    pub auto: String,
    /// The probe's measurements, when it ran.
    #[serde(default)]
    pub locality: Option<crate::locality::Locality>,
}

impl Report {
    pub(crate) fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        crate::precision::clear_upper_state();
        self.stage_seconds.push((stage.to_owned(), t.elapsed().as_secs_f64()));
        out
    }
}

/// Run `f` on a rayon pool of `threads` threads (0 = all cores).
pub(crate) fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::invalid("threads", e.to_string()))?;
    Ok(pool.install(f))
}

/// The tail every path shares: the rank-d SVD of `m` (one-sided when
/// `symmetric`) weighed into U·Σ^p and V·Σ^p with `labels` on both sides.
pub(crate) fn factorize_square(
    labels: Vec<String>,
    m: &SparseMatrix,
    symmetric: bool,
    config: &FactorizeConfig,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Embeddings> {
    let svd = if config.precision.half_for(m.shape().0) {
        svd_stored::<f16>(m, symmetric, true, config, report, progress)?.into_svd(config.dim)
    } else {
        svd_stored::<f32>(m, symmetric, true, config, report, progress)?.into_svd(config.dim)
    };
    Ok(Embeddings::from_svd(labels, svd, config.eig_weight))
}

/// The rank-d SVD of `m` on blocks stored as `T` (V only when `want_v`),
/// timed in `report`.
pub(crate) fn svd_stored<T: Store>(
    m: &SparseMatrix,
    symmetric: bool,
    want_v: bool,
    config: &FactorizeConfig,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Factors<T>> {
    report.pmi_nonzeros = m.nnz() as u64;
    let svd_config = config.svd(m.shape().0);
    report.power_iters = svd_config.power_iters;
    progress.start("svd", 0);
    let svd = report.time("svd", || {
        if symmetric {
            symmetric_blocks::<T>(m, config.dim, &svd_config, want_v)
        } else {
            let at = m.transpose();
            let (rows, cols) = m.shape();
            let op = SparseOperator { a: m, at: &at, shape: (rows, cols) };
            svd_blocks::<T>(&op, config.dim, &svd_config, &Local::new(rows, cols), want_v)
        }
    });
    progress.finish();
    svd
}

/// A matrix without nonzeros would give all-zero vectors: say why instead.
pub(crate) fn non_empty(m: &SparseMatrix) -> Result<()> {
    if m.nnz() == 0 {
        return Err(Error::Empty {
            path: None,
            what: "the matrix to factorize has no nonzero entry (every pair was pruned or had a PMI ≤ 0): \
                   lower --min-pair-count or raise the walk budget"
                .into(),
        });
    }
    Ok(())
}
