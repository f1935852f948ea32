//! The closed-form NetMF matrix (Qiu et al., WSDM 2018): the limit the sampled
//! path converges to, and an exact mode for small graphs.
//!
//! vol(G)/(b·T) · (Σ_{r=1..T} P^r) · D⁻¹ with P = D⁻¹A, computed densely by T
//! sparse × dense products, so memory is n² doubles: it is refused above
//! [`EXACT_NODE_LIMIT`] nodes.

use crate::cooccur::SparseMatrix;
use crate::error::{Error, Result};
use crate::factorize::spmm;
use crate::graph::Graph;

/// Largest graph the dense computation accepts (n² · 8 bytes ≈ 1.6 GB per copy).
pub const EXACT_NODE_LIMIT: usize = 15_000;

/// The NetMF ratio matrix vol(G)/T · (Σ_{r=1..T} P^r) · D⁻¹ (before the shift
/// by b and the truncated log), dense row-major n × n.
///
/// # Errors
/// [`Error::TooLarge`] above [`EXACT_NODE_LIMIT`] nodes.
pub fn netmf_ratio(graph: &Graph, window: usize) -> Result<Vec<f64>> {
    let n = graph.node_count();
    if n > EXACT_NODE_LIMIT {
        return Err(Error::TooLarge { what: "exact NetMF matrix", nodes: n, limit: EXACT_NODE_LIMIT });
    }
    let deg = graph.degrees();
    // P = D⁻¹A as a sparse matrix.
    let (offsets, targets) = graph.csr();
    let mut values = Vec::with_capacity(targets.len());
    for u in 0..n as u32 {
        let d = deg[u as usize];
        match graph.neighbor_weights(u) {
            Some(w) => values.extend(w.iter().map(|&w| (w as f64 / d) as f32)),
            None => values.extend(std::iter::repeat_n((1.0 / d) as f32, graph.neighbors(u).len())),
        }
    }
    let p = SparseMatrix::new((n, n), offsets.to_vec(), targets.to_vec(), values);
    // X_1 = P, X_r = P·X_{r-1}; S = Σ X_r.
    let mut x = p.to_dense().iter().map(|&v| v as f64).collect::<Vec<f64>>();
    let mut sum = x.clone();
    for _ in 1..window {
        x = spmm(&p, &x, n);
        for (s, v) in sum.iter_mut().zip(&x) {
            *s += v;
        }
    }
    let scale = graph.volume() / window as f64;
    for row in sum.chunks_mut(n) {
        for (c, v) in row.iter_mut().enumerate() {
            *v = if deg[c] > 0.0 { *v * scale / deg[c] } else { 0.0 };
        }
    }
    Ok(sum)
}

/// The exact NetMF matrix log max(ratio / b, 1), sparse.
pub fn netmf_exact(graph: &Graph, window: usize, neg: f64) -> Result<SparseMatrix> {
    let n = graph.node_count();
    let ratio = netmf_ratio(graph, window)?;
    let mut indptr = vec![0usize];
    let mut indices = Vec::new();
    let mut values = Vec::new();
    for row in ratio.chunks(n) {
        for (c, &v) in row.iter().enumerate() {
            let m = (v / neg).ln();
            if m > 0.0 {
                indices.push(c as u32);
                values.push(m as f32);
            }
        }
        indptr.push(indices.len());
    }
    Ok(SparseMatrix::new((n, n), indptr, indices, values))
}
