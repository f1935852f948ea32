//! Where a numeric stage's rows live: all on one machine ([`Local`]), or a
//! shard's on a cluster ([`crate::cluster`]'s mesh). The SVD and the
//! propagation are generic over [`Comm`], so one code path serves both and
//! their sums run in one order (the cluster's output is the single
//! machine's, byte for byte).

use crate::error::Result;
use crate::sparse::SparseMatrix;

/// A shard's local columns: ghost rows owned by lower ranks, its own rows,
/// ghost rows of higher ranks, in global order, so a sparse row's columns
/// stay sorted and its products sum in the single machine's order. Dense
/// blocks hold the own rows only (ghosts stream through a chunk); the
/// `f64` vectors of degrees and context masses hold all of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowLayout {
    /// Global index of the first own row.
    pub first: usize,
    /// Ghost rows before the own rows.
    pub below: usize,
    /// Own rows.
    pub own: usize,
    /// Ghost rows after the own rows.
    pub above: usize,
}

impl RowLayout {
    /// All rows of a single machine's block of `rows` rows.
    pub fn whole(rows: usize) -> Self {
        RowLayout { first: 0, below: 0, own: rows, above: 0 }
    }
    /// Local columns: own and ghost rows.
    pub fn total(&self) -> usize {
        self.below + self.own + self.above
    }
}

/// One side of a matrix the SVD factors: its rows (U) or its columns (V).
/// A single machine's sides differ in size for a rectangular matrix; a
/// cluster's square matrices share one layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The rows (the side of Q).
    Rows,
    /// The columns (the side of Z, Aᵀ·Q).
    Cols,
}

/// What the numeric stages need from wherever their rows live: one machine
/// ([`Local`]) or a shard of a cluster (`cluster::Mesh`).
pub trait Comm: Sync {
    /// The layout of a dense block on `side`: where its own rows sit among
    /// the columns of a shard's sparse rows.
    fn layout(&self, side: Side) -> RowLayout;
    /// Whether every row is here (one machine): callers may then use the
    /// fused single-machine kernels.
    fn is_local(&self) -> bool {
        false
    }
    /// out = A·X for `a`'s own rows, with X's own rows `x` (`l` wide) and
    /// its ghost rows (the columns of `a` in [`Comm::layout`] outside the
    /// own range) streamed from their owners a range at a time: memory for
    /// the ghosts is one range, whatever their number.
    fn product(&self, side: Side, a: &SparseMatrix, x: &[f32], l: usize, out: &mut [f32]) -> Result<()>;
    /// Fill the ghost rows of `buf`, laid out as [`Comm::layout`] with one
    /// `f64` a row (degrees, context masses).
    fn halo_f64(&self, side: Side, buf: &mut [f64]) -> Result<()>;
    /// A sum over all ranks in rank order: `acc` arrives holding the lower
    /// ranks' running sum (zeros at rank 0), `add` adds this rank's part,
    /// and every rank gets the total back.
    fn chain(&self, acc: &mut [f64], add: &mut dyn FnMut(&mut [f64])) -> Result<()>;
    /// Every rank's own rows of a `width`-wide block, in global order (the
    /// rare rank-deficient fallback of orthonormalization needs them all).
    fn all_rows(&self, side: Side, own: &[f32], width: usize) -> Result<Vec<f32>>;
    /// Name the stage that runs now, for error messages.
    fn stage(&self, _name: &str) {}
}

/// A single machine: every row is its own, nothing to exchange.
pub struct Local {
    rows: usize,
    cols: usize,
}

impl Local {
    /// A machine holding all of a `rows × cols` matrix's factor rows.
    pub fn new(rows: usize, cols: usize) -> Self {
        Local { rows, cols }
    }
}

impl Comm for Local {
    fn layout(&self, side: Side) -> RowLayout {
        RowLayout::whole(if side == Side::Rows { self.rows } else { self.cols })
    }
    fn is_local(&self) -> bool {
        true
    }
    fn product(&self, _: Side, a: &SparseMatrix, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        a.mul_dense(x, l, out);
        Ok(())
    }
    fn halo_f64(&self, _: Side, _: &mut [f64]) -> Result<()> {
        Ok(())
    }
    fn chain(&self, acc: &mut [f64], add: &mut dyn FnMut(&mut [f64])) -> Result<()> {
        add(acc);
        Ok(())
    }
    fn all_rows(&self, _: Side, own: &[f32], _: usize) -> Result<Vec<f32>> {
        Ok(own.to_vec())
    }
}
