//! The tail every path shares — a sparse matrix → randomized SVD → U·Σ^p
//! and V·Σ^p as [`Embeddings`] — with the [`Report`] every run fills and
//! the thread pool it runs on. Below the graph, word and document paths,
//! so each of them uses it without going through another.

use crate::block::Scratch;
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
    /// The matrix factorized ("windows", "first-order", "exact", "sentences", "tf-idf", "given", …).
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
    /// Where the dense blocks lived when they did not fit in memory, and
    /// why ([`crate::block`]); empty when all were in memory.
    #[serde(default)]
    pub out_of_core: String,
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

/// Run `f` on a rayon pool of `threads` threads, or with 0 on the pool it is
/// called from (rayon's global pool, all cores, unless the caller installed
/// another) — the pool the memory plan counts ([`crate::budget`]).
pub(crate) fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    if threads == 0 {
        return Ok(f());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::invalid("threads", e.to_string()))?;
    Ok(pool.install(f))
}

/// Factorize a square matrix the caller built — a PMI of their own, a
/// graph operator, a matrix from `SparseMatrix::from_sprs` (feature `sprs`) — as every
/// path ends: the rank-d randomized SVD (one-sided when the matrix is
/// exactly symmetric) weighed into U·Σ^p and V·Σ^p, `labels` naming the
/// rows (and the columns, the right side's rows).
///
/// # Errors
/// [`Error::InvalidConfig`] for a parameter out of range, a matrix that is
/// not square or labels of another count; [`Error::RankTooLarge`] when
/// `dim` exceeds its rows; [`Error::Empty`] for a matrix without nonzeros.
///
/// # Examples
/// ```
/// use pmivec::{config::FactorizeConfig, fit::factorize, sparse::SparseMatrix, NoProgress};
/// // Two blocks that share nothing.
/// let m = SparseMatrix::from_csr((4, 4), vec![0, 2, 4, 6, 8], vec![0, 1, 0, 1, 2, 3, 2, 3], vec![1.0; 8]);
/// let labels = ["a", "b", "c", "d"].map(String::from).to_vec();
/// let (emb, report) = factorize(labels, &m, &FactorizeConfig::default().dim(2), &NoProgress)?;
/// assert_eq!((emb.len(), emb.dim(), report.estimator.as_str()), (4, 2, "given"));
/// # Ok::<(), pmivec::Error>(())
/// ```
pub fn factorize(
    labels: Vec<String>,
    m: &SparseMatrix,
    config: &FactorizeConfig,
    progress: &dyn Progress,
) -> Result<(Embeddings, Report)> {
    config.validate()?;
    let (rows, cols) = m.shape();
    if rows != cols {
        return Err(Error::invalid("matrix", format!("{rows} × {cols} is not square")));
    }
    if labels.len() != rows {
        return Err(Error::invalid("labels", format!("{} labels for {rows} rows", labels.len())));
    }
    if config.dim > rows {
        return Err(Error::RankTooLarge { requested: config.dim, max: rows });
    }
    if m.nnz() == 0 {
        return Err(Error::Empty { path: None, what: "the matrix has no nonzero entry".into() });
    }
    with_threads(config.threads, || {
        let mut report = Report { estimator: "given".into(), ..Default::default() };
        let symmetric = m.transpose() == *m;
        let emb = factorize_square(labels, m, symmetric, config, &mut report, progress)?;
        Ok((emb, report))
    })?
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
        svd_stored::<f16>(m, symmetric, true, config, &Scratch::Memory, report, progress)?.into_svd(config.dim)
    } else {
        svd_stored::<f32>(m, symmetric, true, config, &Scratch::Memory, report, progress)?.into_svd(config.dim)
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
    scratch: &Scratch,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Factors<T>> {
    report.pmi_nonzeros = m.nnz() as u64;
    let svd_config = config.svd(m.shape().0);
    report.power_iters = svd_config.power_iters;
    progress.start("svd", 0);
    let svd = report.time("svd", || {
        if symmetric {
            symmetric_blocks::<T>(m, config.dim, &svd_config, want_v, scratch)
        } else {
            let at = m.transpose();
            let (rows, cols) = m.shape();
            let op = SparseOperator { a: m, at: &at, shape: (rows, cols) };
            svd_blocks::<T>(&op, config.dim, &svd_config, &Local::new(rows, cols), want_v, scratch)
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
                   lower `min_pair_count` or raise the walk budget"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn a_given_matrix_must_be_square_labelled_and_nonzero() {
        let labels = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let config = FactorizeConfig::default().dim(1);
        let wide = SparseMatrix::from_csr((2, 3), vec![0, 1, 2], vec![0, 2], vec![1.0, 1.0]);
        let e = factorize(labels(2), &wide, &config, &NoProgress).unwrap_err().to_string();
        assert!(e.contains("2 × 3 is not square"), "{e}");
        let square = SparseMatrix::from_csr((2, 2), vec![0, 1, 2], vec![1, 0], vec![1.0, 1.0]);
        let e = factorize(labels(3), &square, &config, &NoProgress).unwrap_err().to_string();
        assert!(e.contains("3 labels for 2 rows"), "{e}");
        let empty = SparseMatrix::from_csr((2, 2), vec![0, 0, 0], vec![], vec![]);
        assert!(matches!(factorize(labels(2), &empty, &config, &NoProgress), Err(Error::Empty { .. })));
        let (emb, report) = factorize(labels(2), &square, &config, &NoProgress).unwrap();
        assert_eq!((emb.len(), report.pmi_nonzeros), (2, 2));
    }
}
