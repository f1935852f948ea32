//! The closed-form NetMF matrix (Qiu et al., WSDM 2018): the limit the sampled
//! path converges to, and the `--exact` mode for graphs small enough.
//!
//! M = vol(G)/(b·T) · (Σ_{r=1..T} P^r) · D⁻¹ with P = D⁻¹A. Row i of Σ P^r is
//! column i of Σ (Pᵀ)^r, so blocks of rows come from T sparse × dense
//! products Z ← Pᵀ·Z started at identity columns: O(T · nnz(A) · n) work,
//! and memory for one n × block slab at a time plus the sparse output.
//! Directed graphs use out-degrees; a column whose node has no out-edge
//! (D_cc = 0) is left empty.

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::sparse::SparseMatrix;

/// Largest graph [`netmf_exact`] accepts: the work grows as n · nnz(A) · T
/// (BlogCatalog, 10,312 nodes, takes seconds; 50,000 nodes with a similar
/// density takes tens of minutes).
pub const EXACT_NODE_LIMIT: usize = 50_000;

/// Largest graph [`netmf_ratio`] accepts (it returns n² doubles).
pub const DENSE_NODE_LIMIT: usize = 15_000;

/// Rows per slab.
const BLOCK: usize = 128;

/// Calls `emit(i, row)` for every row i in order, with row = the ratio row
/// vol(G)/T · Σ_r P^r[i, :] / d (before the shift by b and the log);
/// reports each slab to `progress` and stops early when it is cancelled.
///
/// # Errors
/// [`Error::Interrupted`] when `progress` asks to stop.
fn ratio_rows(
    graph: &Graph,
    window: usize,
    progress: &dyn crate::progress::Progress,
    mut emit: impl FnMut(usize, &[f64]),
) -> Result<()> {
    let n = graph.node_count();
    let deg = graph.degrees();
    // Pᵀ as CSR: P[u, v] = A[u, v] / d_u sits in row v of Pᵀ.
    let (offsets, targets) = graph.csr();
    let mut values = Vec::with_capacity(targets.len());
    for u in 0..n as u32 {
        let d = deg[u as usize];
        match graph.neighbor_weights(u) {
            Some(w) => values.extend(w.iter().map(|&w| (w as f64 / d) as f32)),
            None => values.extend(std::iter::repeat_n((1.0 / d) as f32, graph.neighbors(u).len())),
        }
    }
    let pt = SparseMatrix::from_csr((n, n), offsets.to_vec(), targets.to_vec(), values).transpose();
    let scale = graph.volume() / window as f64;
    let mut row = vec![0f64; n];
    for b0 in (0..n).step_by(BLOCK) {
        crate::progress::check(progress)?;
        let b = BLOCK.min(n - b0);
        let mut z = vec![0f32; n * b];
        for j in 0..b {
            z[(b0 + j) * b + j] = 1.0;
        }
        let mut next = vec![0f32; n * b];
        let mut sum = vec![0f64; n * b];
        for _ in 0..window {
            pt.mul_dense(&z, b, &mut next);
            std::mem::swap(&mut z, &mut next);
            for (s, &v) in sum.iter_mut().zip(&z) {
                *s += v as f64;
            }
        }
        for j in 0..b {
            for (k, r) in row.iter_mut().enumerate() {
                *r = if deg[k] > 0.0 { sum[k * b + j] * scale / deg[k] } else { 0.0 };
            }
            emit(b0 + j, &row);
        }
        progress.inc(b as u64);
    }
    Ok(())
}

/// The NetMF ratio matrix vol(G)/T · (Σ_{r=1..T} P^r) · D⁻¹ (before the shift
/// by b and the truncated log), dense row-major n × n: the reference the
/// convergence tests compare sampled counts with.
///
/// # Errors
/// [`Error::TooLarge`] above [`DENSE_NODE_LIMIT`] nodes.
#[doc(hidden)]
pub fn netmf_ratio(graph: &Graph, window: usize) -> Result<Vec<f64>> {
    let n = graph.node_count();
    if n > DENSE_NODE_LIMIT {
        return Err(Error::TooLarge { what: "dense NetMF ratio matrix", nodes: n, limit: DENSE_NODE_LIMIT });
    }
    let mut out = vec![0f64; n * n];
    ratio_rows(graph, window, &crate::progress::NoProgress, |i, row| out[i * n..(i + 1) * n].copy_from_slice(row))?;
    Ok(out)
}

/// The exact NetMF matrix log max(ratio / b, 1), sparse (entries ≤ 0 dropped).
///
/// # Errors
/// [`Error::TooLarge`] above [`EXACT_NODE_LIMIT`] nodes.
pub fn netmf_exact(graph: &Graph, window: usize, neg: f64) -> Result<SparseMatrix> {
    netmf_exact_with(graph, window, neg, &crate::progress::NoProgress)
}

/// [`netmf_exact`], reporting rows to `progress` and stopping when it is
/// cancelled (a binding's Ctrl-C: the matrix takes minutes on large graphs).
///
/// # Errors
/// As [`netmf_exact`], and [`Error::Interrupted`].
pub fn netmf_exact_with(
    graph: &Graph,
    window: usize,
    neg: f64,
    progress: &dyn crate::progress::Progress,
) -> Result<SparseMatrix> {
    let n = graph.node_count();
    if n > EXACT_NODE_LIMIT {
        return Err(Error::TooLarge { what: "exact NetMF matrix", nodes: n, limit: EXACT_NODE_LIMIT });
    }
    let mut indptr = vec![0usize];
    let mut indices = Vec::new();
    let mut values = Vec::new();
    // The ratio holds the marginals (vol/T and D⁻¹) already.
    let marginals = crate::pmi::Marginals::unweighted(n, neg);
    ratio_rows(graph, window, progress, |_, row| {
        for (c, &v) in row.iter().enumerate() {
            let m = marginals.entry(v.ln(), 0.0, c);
            if m > 0.0 {
                indices.push(c as u32);
                values.push(m as f32);
            }
        }
        indptr.push(indices.len());
    })?;
    Ok(SparseMatrix::from_csr((n, n), indptr, indices, values))
}
