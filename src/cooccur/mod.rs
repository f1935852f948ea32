//! Stage 3: windowed co-occurrence counts #(w,c) and their marginals, the
//! input of the PMI.
//!
//! Both counters own rows: one thread counts every context of a row into a
//! dense per-thread accumulator and emits a sorted sparse row — no global
//! hash table, no stored walks or corpus, and the result does not depend on
//! the thread count. Graphs count the windows of random walks rooted at each
//! node ([`count_graph`]); text counts the sentence-bounded windows of each
//! word's positions ([`count_corpus`]).

mod graph;
mod text;

pub use crate::sparse::SparseMatrix;
pub use graph::{CountConfig, count_graph};
pub use text::{Weighting, count_corpus};

/// Co-occurrence counts and their marginals.
#[derive(Clone, Debug)]
pub struct Cooccurrence {
    /// #(w, c) for the pairs kept.
    pub counts: SparseMatrix,
    /// #(w) = Σ_c #(w, c), over all pairs (before pruning).
    pub row_totals: Vec<f64>,
    /// #(c) = Σ_w #(w, c), over all pairs (before pruning).
    pub col_totals: Vec<f64>,
    /// |D| = Σ #(w, c), over all pairs.
    pub total: f64,
    /// Walk steps taken.
    pub steps: u64,
    /// Distinct pairs counted before pruning (for graphs: directional pairs
    /// (s, c) seen by the walks rooted at s).
    pub distinct_pairs: u64,
}

impl Cooccurrence {
    /// A square symmetric count matrix from CSR parts, whose row and column
    /// marginals are both `totals`.
    fn symmetric(
        (indptr, indices, values): (Vec<usize>, Vec<u32>, Vec<f32>),
        totals: Vec<f64>,
        steps: u64,
        distinct_pairs: u64,
    ) -> Self {
        let n = totals.len();
        Cooccurrence {
            counts: SparseMatrix::from_csr((n, n), indptr, indices, values),
            total: totals.iter().sum(),
            col_totals: totals.clone(),
            row_totals: totals,
            steps,
            distinct_pairs,
        }
    }
}

/// Rows of a CSR matrix produced by one worker, to be concatenated in order.
struct RowBlock<T> {
    lens: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<T>,
}

impl<T> RowBlock<T> {
    fn new() -> Self {
        RowBlock { lens: Vec::new(), indices: Vec::new(), values: Vec::new() }
    }
}

fn concat<T>(n_rows: usize, blocks: Vec<RowBlock<T>>) -> (Vec<usize>, Vec<u32>, Vec<T>) {
    let nnz: usize = blocks.iter().map(|b| b.indices.len()).sum();
    let mut indptr = Vec::with_capacity(n_rows + 1);
    indptr.push(0);
    let mut indices = Vec::with_capacity(nnz);
    let mut values = Vec::with_capacity(nnz);
    for b in blocks {
        for l in b.lens {
            indptr.push(indptr.last().unwrap() + l);
        }
        indices.extend(b.indices);
        values.extend(b.values);
    }
    debug_assert_eq!(indptr.len(), n_rows + 1);
    (indptr, indices, values)
}

const ROWS_PER_TASK: usize = 32;
