//! Stage 4: co-occurrence counts → truncated (positive) PMI matrix.
//!
//! M_wc = log( #(w,c)·|D| / (b·#(w)·#_α(c)) ), kept where positive, with
//! #_α(c) = |D|·#(c)^α / Σ_c' #(c')^α the smoothed context count (α = 1 is
//! plain PMI). With b and α = 1 this is the NetMF matrix log max(·, 1) of Qiu
//! et al. (WSDM 2018); with α = 0.75 it is Levy, Goldberg & Dagan's (2015)
//! context-distribution smoothing, which damps the inflated PMI of rare contexts.

use crate::cooccur::Cooccurrence;
use crate::sparse::SparseMatrix;
use serde::{Deserialize, Serialize};

/// PMI parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PmiConfig {
    /// Negative-sampling constant b (shift log b). 1 = no shift.
    pub neg: f64,
    /// Context-distribution smoothing exponent α in (0, 1].
    pub cds: f64,
}

impl Default for PmiConfig {
    fn default() -> Self {
        PmiConfig { neg: 1.0, cds: 0.75 }
    }
}

/// What every PMI entry of a matrix shares: log(Z/b), the normalizer Z of
/// the smoothed context masses less the shift log b, and each context's
/// log smoothed mass α·log #(c) (+∞ for a context never seen: its PMI is
/// −∞, never kept). [`Marginals::entry`] is the one PMI formula of the
/// crate — the windows, first-order, exact and sentence matrices, and
/// every fold-in row, are computed through it.
#[derive(Clone, Debug, PartialEq)]
pub struct Marginals {
    /// log(Z/b).
    pub log_shift: f64,
    /// α·log #(c) per context (+∞: no mass).
    pub log_context: Vec<f64>,
}

impl Marginals {
    /// The marginals of contexts with these (unsmoothed) masses, smoothed
    /// by α = `cds`, shifted by log `neg`.
    pub fn smoothed(masses: &[f64], cds: f64, neg: f64) -> Marginals {
        let smoothed: Vec<f64> = masses.iter().map(|&c| smooth(c, cds)).collect();
        let log_shift = smoothed.iter().sum::<f64>().ln() - neg.ln();
        Marginals { log_shift, log_context: smoothed.iter().map(|&s| log_mass(s)).collect() }
    }

    /// The marginals of a counted matrix: its column totals as contexts.
    pub fn of(co: &Cooccurrence, config: &PmiConfig) -> Marginals {
        Marginals::smoothed(&co.col_totals, config.cds, config.neg)
    }

    /// No context weighting (a matrix whose ratio already holds its
    /// marginals, as the exact NetMF one does): every log mass 0.
    pub fn unweighted(contexts: usize, neg: f64) -> Marginals {
        Marginals { log_shift: -neg.ln(), log_context: vec![0.0; contexts] }
    }

    /// PMI of a pair with log joint mass `log_joint` in a row of log mass
    /// `log_row`, against context `c`:
    /// log(#wc·Z / (b·#w·#c^α)) = log #wc + log(Z/b) − (log #w + α·log #c).
    #[inline]
    pub fn entry(&self, log_joint: f64, log_row: f64, c: usize) -> f64 {
        formula(log_joint, log_row, self.log_shift, self.log_context[c])
    }

    /// The truncated PMI matrix of `co` under these marginals (entries ≤ 0
    /// dropped).
    pub fn matrix(&self, co: &Cooccurrence) -> SparseMatrix {
        let log_row: Vec<f64> = co.row_totals.iter().map(|&r| log_mass(r)).collect();
        let (rows, cols) = co.counts.shape();
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        for w in 0..rows {
            let (cs, vs) = co.counts.row(w);
            for (&c, &v) in cs.iter().zip(vs) {
                let m = self.entry((v as f64).ln(), log_row[w], c as usize);
                if m > 0.0 {
                    indices.push(c);
                    values.push(m as f32);
                }
            }
            indptr.push(indices.len());
        }
        SparseMatrix::from_csr((rows, cols), indptr, indices, values)
    }
}

/// The PMI formula, for callers that hold the marginals' parts (a saved
/// model, a cluster's shard). The two marginal logs are added before they
/// are subtracted, so that symmetric counts with α = 1 give an exactly
/// symmetric matrix.
#[inline]
pub(crate) fn formula(log_joint: f64, log_row: f64, log_shift: f64, log_context: f64) -> f64 {
    log_joint + log_shift - (log_row + log_context)
}

/// log of a mass, +∞ for none (a context never seen: its PMI is −∞).
#[inline]
pub fn log_mass(s: f64) -> f64 {
    if s > 0.0 { s.ln() } else { f64::INFINITY }
}

/// The truncated PMI matrix of `co` (entries ≤ 0 are dropped).
pub fn pmi(co: &Cooccurrence, config: &PmiConfig) -> SparseMatrix {
    Marginals::of(co, config).matrix(co)
}

/// ProNE's first stage (Zhang et al., IJCAI 2019): the PMI of the one-step
/// transition matrix P = D⁻¹A, each node emitting the same mass, against
/// the smoothed context distribution p_c ∝ (Σ_w P_wc)^α:
/// M_wc = log P_wc − log(b·p_c) at every edge, negative values kept (an
/// observed pair is information, and truncation would drop the edges
/// between hubs). Exact and as sparse as the graph: no sampling at all.
pub fn transition_pmi(graph: &crate::graph::Graph, neg: f64, cds: f64) -> SparseMatrix {
    let n = graph.node_count();
    let deg = graph.degrees();
    let weight = |u: u32, k: usize| graph.neighbor_weights(u).map_or(1.0, |w| w[k] as f64);
    let marginals = transition_marginals(graph, neg, cds);
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0);
    let mut indices = Vec::with_capacity(graph.adjacency_len());
    let mut values = Vec::with_capacity(graph.adjacency_len());
    for u in 0..n as u32 {
        for (k, &v) in graph.neighbors(u).iter().enumerate() {
            let m = marginals.entry((weight(u, k) / deg[u as usize]).ln(), 0.0, v as usize);
            if m != 0.0 {
                indices.push(v);
                values.push(m as f32);
            }
        }
        indptr.push(indices.len());
    }
    SparseMatrix::from_csr((n, n), indptr, indices, values)
}

/// The marginals of [`transition_pmi`]: each node's context mass
/// Σ_w P_wc, smoothed — what the first-order PMI of a new row needs too
/// (fold-in).
pub(crate) fn transition_marginals(graph: &crate::graph::Graph, neg: f64, cds: f64) -> Marginals {
    let n = graph.node_count();
    let deg = graph.degrees();
    let mut col = vec![0f64; n];
    for u in 0..n as u32 {
        let w = graph.neighbor_weights(u);
        for (k, &v) in graph.neighbors(u).iter().enumerate() {
            col[v as usize] += w.map_or(1.0, |w| w[k] as f64) / deg[u as usize];
        }
    }
    Marginals::smoothed(&col, cds, neg)
}

/// A context's smoothed mass (Σ_w P_wc)^α, 0 for no mass. One formula for
/// the single machine and a cluster's shards.
pub(crate) fn smooth(col: f64, cds: f64) -> f64 {
    if col > 0.0 { col.powf(cds) } else { 0.0 }
}

/// The first-order PMI of an edge of weight `w` out of a node of degree
/// `deg`, into a context with log mass `log_ctx` ([`Marginals::entry`] for
/// a cluster's shard, whose contexts are spread over ranks).
#[inline]
pub(crate) fn transition_entry(w: f64, deg: f64, log_z_over_b: f64, log_ctx: f64) -> f64 {
    formula((w / deg).ln(), 0.0, log_z_over_b, log_ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_pmi_of_a_path_by_hand() {
        // Path a–b–c: P = [[0 1 0], [½ 0 ½], [0 1 0]], column sums [½, 2, ½].
        let g = crate::graph::Graph::from_edges(
            vec!["a".into(), "b".into(), "c".into()],
            [(0, 1, 1.0), (1, 2, 1.0)],
            false,
            false,
        )
        .unwrap();
        let m = transition_pmi(&g, 1.0, 1.0);
        // p_c = colsum / 3: M_ab = log(1 / (2/3)), M_ba = log(½ / (½/3)).
        assert!((m.get(0, 1) as f64 - 1.5f64.ln()).abs() < 1e-6);
        assert!((m.get(1, 0) as f64 - 3f64.ln()).abs() < 1e-6);
        assert_eq!(m.nnz(), 4);
        // Smoothing lifts rare contexts' probability, so their PMI drops.
        assert!(transition_pmi(&g, 1.0, 0.75).get(1, 0) < m.get(1, 0));
    }

    #[test]
    fn two_by_two_table_by_hand() {
        // counts [[4, 1], [1, 2]]: |D| = 8, #w = #c = [5, 3].
        let counts = SparseMatrix::from_csr((2, 2), vec![0, 2, 4], vec![0, 1, 0, 1], vec![4.0, 1.0, 1.0, 2.0]);
        let co = Cooccurrence {
            counts,
            row_totals: vec![5.0, 3.0],
            col_totals: vec![5.0, 3.0],
            total: 8.0,
            steps: 0,
            distinct_pairs: 4,
        };
        let m = pmi(&co, &PmiConfig { neg: 1.0, cds: 1.0 });
        assert!((m.get(0, 0) as f64 - (4.0 * 8.0 / 25.0f64).ln()).abs() < 1e-6);
        assert!((m.get(1, 1) as f64 - (2.0 * 8.0 / 9.0f64).ln()).abs() < 1e-6);
        assert_eq!(m.get(0, 1), 0.0); // log(8/15) < 0 is truncated
        // A shift of log 2 removes the (0, 0) entry's log(32/25) < log 2.
        let shifted = pmi(&co, &PmiConfig { neg: 2.0, cds: 1.0 });
        assert_eq!(shifted.get(0, 0), 0.0);
        // Smoothing raises rare contexts' share, so their PMI drops.
        let smooth = pmi(&co, &PmiConfig { neg: 1.0, cds: 0.5 });
        assert!(smooth.get(1, 1) < m.get(1, 1));
    }
}
