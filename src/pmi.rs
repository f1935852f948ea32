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

/// The truncated PMI matrix of `co` (entries ≤ 0 are dropped).
pub fn pmi(co: &Cooccurrence, config: &PmiConfig) -> SparseMatrix {
    let alpha = config.cds;
    let smoothed: Vec<f64> = co.col_totals.iter().map(|&c| if c > 0.0 { c.powf(alpha) } else { 0.0 }).collect();
    let z: f64 = smoothed.iter().sum();
    // log(#wc·|D|/(b·#w·|D|·#c^α/Z)) = log #wc + (log Z − log b) − (log #w + α·log #c);
    // the two marginal logs are added before they are subtracted, so that
    // symmetric counts with α = 1 give an exactly symmetric matrix.
    let log_ctx: Vec<f64> = smoothed.iter().map(|&s| if s > 0.0 { s.ln() } else { 0.0 }).collect();
    let log_row: Vec<f64> = co.row_totals.iter().map(|&r| if r > 0.0 { r.ln() } else { 0.0 }).collect();
    let shift = z.ln() - config.neg.ln();
    let (rows, cols) = co.counts.shape();
    let mut indptr = Vec::with_capacity(rows + 1);
    indptr.push(0);
    let mut indices = Vec::new();
    let mut values = Vec::new();
    for w in 0..rows {
        let (cs, vs) = co.counts.row(w);
        for (&c, &v) in cs.iter().zip(vs) {
            let m = (v as f64).ln() + shift - (log_row[w] + log_ctx[c as usize]);
            if m > 0.0 {
                indices.push(c);
                values.push(m as f32);
            }
        }
        indptr.push(indices.len());
    }
    SparseMatrix::from_csr((rows, cols), indptr, indices, values)
}

#[cfg(test)]
mod tests {
    use super::*;

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
