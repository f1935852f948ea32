//! Stage 5: truncated SVD by randomized subspace iteration (Halko,
//! Martinsson & Tropp 2011).
//!
//! A Gaussian sketch Y = A·Ω of l = k + oversample columns, `power_iters`
//! rounds of Y ← A·orth(Aᵀ·orth(Y)) to sharpen the spectrum, then a small
//! dense factorization. A symmetric matrix (an undirected graph's NetMF
//! matrix) takes the one-sided path: Y ← A·orth(Y), then the eigenvalues of
//! the l × l matrix Qᵀ·A·Q — half the products, no transposed copy, and at
//! most two n × l blocks alive at once.
//!
//! Memory and time are in the n × l dense blocks, so they are `f32` or
//! half-width `f16` ([`crate::precision`]: the products are memory-bound),
//! summed in `f32`; the Gram matrices, Cholesky factors and the small SVD
//! are `f64`. Orthonormalization is CholeskyQR (Yamamoto et al.
//! 2015): Q = Y·R⁻¹ with R from the Cholesky factor of YᵀY, repeated when Y
//! is ill-conditioned; both products are GEMMs over fixed blocks of rows,
//! summed in a fixed order. Dense work runs with explicit sequential `Par`
//! inside rayon tasks over fixed row blocks, so results are bit-identical
//! for any thread count and the caller's global faer settings are untouched.

use crate::block::{Block, Scratch};
use crate::comm::{Comm, Local, Side};
use crate::error::{Error, Result};
use crate::precision::Elem;
use crate::seed;
use crate::sparse::SparseMatrix;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Accum, Mat, MatRef, Par};
use half::f16;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Power iterations are accepted up to 50 (8 are converged on every matrix
/// measured; an absurd count would run for ever). One check for every
/// entry point that takes them.
pub(crate) fn check_power_iters(q: usize) -> Result<()> {
    crate::params::check(q <= 50, "power_iters", "must be at most 50")
}

/// Randomized SVD parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SvdConfig {
    /// Extra sketch columns beyond the rank. Default 20.
    pub oversample: usize,
    /// Power (subspace) iterations. Default 3: measured on BlogCatalog, 1
    /// iteration loses 0.03 Micro-F1 before propagation, 8 gain 0.003 over 3.
    pub power_iters: usize,
    /// Seed of the sketch.
    pub seed: u64,
}

impl Default for SvdConfig {
    fn default() -> Self {
        SvdConfig { oversample: 20, power_iters: 3, seed: 0 }
    }
}

/// A truncated SVD A ≈ U·diag(s)·Vᵀ, singular values descending, factors
/// row-major `f32`.
#[derive(Clone, Debug)]
pub struct Svd {
    rank: usize,
    u: Vec<f32>,
    s: Vec<f64>,
    v: Vec<f32>,
}

impl Svd {
    /// The rank k.
    pub fn rank(&self) -> usize {
        self.rank
    }
    /// Left singular vectors, rows × k, row-major.
    pub fn u(&self) -> &[f32] {
        &self.u
    }
    /// Singular values, descending.
    pub fn s(&self) -> &[f64] {
        &self.s
    }
    /// Right singular vectors, cols × k, row-major.
    pub fn v(&self) -> &[f32] {
        &self.v
    }
    /// (U·Σ^p, s, V·Σ^p), weighed in place.
    pub fn into_weighted(self, p: f64) -> (Vec<f32>, Vec<f64>, Vec<f32>) {
        let scale = self.scale(p);
        let k = self.rank.max(1);
        let (mut u, s, mut v) = (self.u, self.s, self.v);
        for m in [&mut u, &mut v] {
            m.par_chunks_mut(k).for_each(|row| row.iter_mut().zip(&scale).for_each(|(x, s)| *x *= s));
        }
        (u, s, v)
    }

    /// s_j^p per column, 0 where s_j = 0.
    fn scale(&self, p: f64) -> Vec<f32> {
        sigma_powers(&self.s, p)
    }

    /// `side` (U or V) with column j scaled by s_j^p: U·Σ^p, V·Σ^p, and
    /// with p − 1 the fold-in projection V·Σ^(p−1) (zero columns where s_j = 0).
    pub fn weighted(&self, side: Factor, p: f64) -> Vec<f32> {
        let k = self.rank;
        let scale = self.scale(p);
        let m = match side {
            Factor::U => &self.u,
            Factor::V => &self.v,
        };
        let mut out = m.clone();
        out.par_chunks_mut(k.max(1)).for_each(|row| row.iter_mut().zip(&scale).for_each(|(x, s)| *x *= s));
        out
    }
    /// The factors, consumed: (U, s, V).
    pub fn into_parts(self) -> (Vec<f32>, Vec<f64>, Vec<f32>) {
        (self.u, self.s, self.v)
    }
}

/// One of the two factors of an [`Svd`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    /// Left singular vectors (rows of A: nodes, words, documents).
    U,
    /// Right singular vectors (columns of A: contexts, terms).
    V,
}

/// Scale every row of a row-major matrix to unit length (zero rows stay
/// zero): cosine geometry, as queries, classifiers and ProNE's output use it.
pub fn normalize_rows(x: &mut [f32], dim: usize) {
    crate::precision::normalize_rows(x, dim)
}

/// Rows per block of the dense kernels: fixed, so sums do not depend on the
/// thread count — nor on the number of workers of a cluster, whose shards
/// are runs of whole blocks ([`crate::cluster`]).
pub const ROW_BLOCK: usize = 2048;
const BLOCK: usize = ROW_BLOCK;

/// YᵀX over row-major blocks with `l` and `m` columns, each block's product
/// in `f32` (a GEMM on cache-resident rows) and the blocks summed in `f64`
/// in order.
pub(crate) fn cross<T: Elem>(y: &[T], l: usize, x: &[T], m: usize) -> Mat<f64> {
    let partials: Vec<Mat<f32>> = y
        .par_chunks(BLOCK * l)
        .zip(x.par_chunks(BLOCK * m))
        .map(|(cy, cx)| {
            let rows = cy.len() / l;
            let (mut sy, mut sx) = (Vec::new(), Vec::new());
            let my = MatRef::from_row_major_slice(T::view(cy, &mut sy), rows, l);
            let mx = MatRef::from_row_major_slice(T::view(cx, &mut sx), rows, m);
            let mut g = Mat::<f32>::zeros(l, m);
            faer::linalg::matmul::matmul(g.as_mut(), Accum::Replace, my.transpose(), mx, 1.0, Par::Seq);
            g
        })
        .collect();
    let mut sum = Mat::<f64>::zeros(l, m);
    for g in &partials {
        for j in 0..m {
            for i in 0..l {
                sum[(i, j)] += g[(i, j)] as f64;
            }
        }
    }
    sum
}

/// Y ← Y·T in Y's own buffer, for row-major Y (rows × l) and T (l × m,
/// m ≤ l): each block of rows is multiplied into a scratch block and
/// written back over the first m columns of its own rows (blocks never
/// overlap, so they run in parallel). No second rows × m matrix is
/// allocated; see [`compact`] to drop the stale columns.
pub(crate) fn apply_in_place<T: Elem>(y: &mut [T], l: usize, t: MatRef<'_, f64>) {
    apply_structured(y, l, t, false)
}

/// [`apply_in_place`] with T upper triangular (entries below the diagonal
/// are not read): half the multiply-adds, as orthonormalization's R⁻¹.
fn apply_upper_in_place<T: Elem>(y: &mut [T], l: usize, t: MatRef<'_, f64>) {
    apply_structured(y, l, t, true)
}

fn apply_structured<T: Elem>(y: &mut [T], l: usize, t: MatRef<'_, f64>, upper: bool) {
    use faer::linalg::matmul::triangular::{BlockStructure, matmul};
    let m = t.ncols();
    let rhs = if upper && m == l { BlockStructure::TriangularUpper } else { BlockStructure::Rectangular };
    assert!(m <= l && t.nrows() == l);
    let t32 = Mat::<f32>::from_fn(l, m, |i, j| t[(i, j)] as f32);
    y.par_chunks_mut(BLOCK * l).for_each_init(
        || (Vec::new(), Vec::new()),
        |(out, scratch), cy| {
            let r = cy.len() / l;
            // A row-major product block, so writing it back is a copy of
            // contiguous rows (column-major, it was a strided scalar loop).
            out.resize(r * m, 0f32);
            let src = MatRef::from_row_major_slice(T::view(cy, scratch), r, l);
            let dst = faer::MatMut::from_row_major_slice_mut(out, r, m);
            let rect = BlockStructure::Rectangular;
            matmul(dst, rect, Accum::Replace, src, rect, t32.as_ref(), rhs, 1.0, Par::Seq);
            for (i, row) in out.chunks_exact(m.max(1)).enumerate() {
                T::store_any(row, &mut cy[i * l..i * l + m]);
            }
        },
    );
}

/// Keep the first m of every row's l values: rows move from stride l to m
/// and the buffer shrinks.
fn compact<T: Elem>(mut y: Block<T>, l: usize, m: usize) -> Block<T> {
    let rows = y.len() / l.max(1);
    for i in 1..rows {
        y.copy_within(i * l..i * l + m, i * m);
    }
    y.truncate(rows * m);
    y
}

/// Y·T (T: l × k) in Y's buffer, as a rows × k matrix.
fn times_small_in_place<T: Elem>(mut y: Block<T>, l: usize, t: MatRef<'_, f64>) -> Block<T> {
    apply_in_place(&mut y, l, t);
    compact(y, l, t.ncols())
}

/// The Cholesky factor L (lower) of a symmetric positive definite matrix,
/// or `None` when it is not safely positive definite (a pivot below 1e-10
/// of the largest diagonal entry: the solve would amplify rounding).
fn cholesky(g: &Mat<f64>) -> Option<Mat<f64>> {
    let n = g.nrows();
    let top = (0..n).map(|i| g[(i, i)]).fold(0.0, f64::max);
    let mut l = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        let d = g[(j, j)] - (0..j).map(|k| l[(j, k)] * l[(j, k)]).sum::<f64>();
        if !(d > top * 1e-10) {
            return None;
        }
        let d = d.sqrt();
        l[(j, j)] = d;
        for i in j + 1..n {
            l[(i, j)] = (g[(i, j)] - (0..j).map(|k| l[(i, k)] * l[(j, k)]).sum::<f64>()) / d;
        }
    }
    Some(l)
}

/// (Lᵀ)⁻¹ for lower-triangular L: upper triangular, by back substitution.
fn inverse_transpose(l: &Mat<f64>) -> Mat<f64> {
    let n = l.nrows();
    // Solve Lᵀ·X = I column by column; X is upper triangular.
    let mut x = Mat::<f64>::zeros(n, n);
    for c in 0..n {
        for i in (0..=c).rev() {
            let rhs = if i == c { 1.0 } else { 0.0 };
            let s: f64 = (i + 1..=c).map(|k| l[(k, i)] * x[(k, c)]).sum();
            x[(i, c)] = (rhs - s) / l[(i, i)];
        }
    }
    x
}

/// How orthonormal a basis must be.
#[derive(Clone, Copy, PartialEq)]
enum Orth {
    /// Inside power iterations: one CholeskyQR pass. Its orthogonality error
    /// (ε·cond²) only perturbs the next product, which the following pass
    /// orthonormalizes again; the subspace is what matters (LightNE 2.0
    /// likewise normalizes cheaply between iterations).
    Rough,
    /// The final basis: passes repeat (CholeskyQR2, at most three) until the
    /// Gram matrix is the identity to 1e-5.
    Exact,
}

/// Orthonormalize the columns of row-major Y (rows × l) in place and
/// return R (upper, l × l) with Y = Q·R.
///
/// CholeskyQR, see [`Orth`]. Y whose Gram matrix is singular to working
/// precision (rank below l: small or disconnected inputs) goes through a
/// Householder QR instead.
fn orthonormalize<T: Store>(y: &mut [T], l: usize, want: Orth, comm: &dyn Comm, side: Side) -> Result<Mat<f64>> {
    let mut r = Mat::<f64>::identity(l, l);
    for pass in 0..3 {
        if want == Orth::Rough && pass == 1 {
            break;
        }
        let g = gram_in(y, l, comm)?;
        let off = (0..l)
            .flat_map(|i| (0..l).map(move |j| (i, j)))
            .map(|(i, j)| (g[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs())
            .fold(0.0, f64::max);
        if off < 1e-5 {
            return Ok(r);
        }
        let Some(chol) = cholesky(&g) else { return householder(y, l, comm, side) };
        apply_upper_in_place(y, l, inverse_transpose(&chol).as_ref());
        r = chol.transpose() * &r;
    }
    Ok(r)
}

/// Householder QR through a dense f64 copy: the fallback for rank-deficient
/// sketches (zero columns of Q where Y has no rank left). On a cluster
/// every rank factors the whole (small: rank-deficient) block the same way
/// and keeps its own rows.
fn householder<T: Store>(y: &mut [T], l: usize, comm: &dyn Comm, side: Side) -> Result<Mat<f64>> {
    let all = T::all_rows(comm, side, y, l)?;
    let rows = all.len() / l.max(1);
    let first = comm.layout(side).first;
    let m = Mat::<f64>::from_fn(rows, l, |i, j| all[i * l + j] as f64);
    let qr = m.qr();
    let q = qr.compute_thin_Q();
    let mut row = vec![0f32; l];
    for i in 0..y.len() / l.max(1) {
        for (j, r) in row.iter_mut().enumerate() {
            *r = q[(first + i, j)] as f32;
        }
        T::store_any(&row, &mut y[i * l..(i + 1) * l]);
    }
    Ok(qr.thin_R().to_owned())
}

/// Rows per block of the Gaussian sketch: each block draws from its own
/// stream, so any run of whole blocks can be drawn alone.
const SKETCH_BLOCK: usize = 1024;

/// Gaussian rows × l block, drawn per fixed block of rows.
fn gaussian<T: Elem>(rows: usize, l: usize, seed: u64, scratch: &Scratch) -> Result<Block<T>> {
    let mut out = scratch.zeroed::<T>(rows * l)?;
    gaussian_rows(&mut out, 0, l, seed);
    Ok(out)
}

/// Rows `first..` of the Gaussian block of [`gaussian`] into `out`
/// (`first` a multiple of [`SKETCH_BLOCK`]): the rows a shard owns.
fn gaussian_rows<T: Elem>(out: &mut [T], first: usize, l: usize, seed: u64) {
    assert!(out.is_empty() || first.is_multiple_of(SKETCH_BLOCK), "a shard starts on a sketch block");
    out.par_chunks_mut(SKETCH_BLOCK * l.max(1)).enumerate().for_each(|(b, chunk)| {
        let mut rng = seed::rng(seed, seed::Stream::Sketch, (first / SKETCH_BLOCK + b) as u64);
        let draws: Vec<f32> = (0..chunk.len()).map(|_| StandardNormal.sample(&mut rng)).collect();
        T::store_any(&draws, chunk);
    });
}

fn check_rank((rows, cols): (usize, usize), k: usize) -> Result<usize> {
    let max = rows.min(cols);
    if k == 0 || k > max {
        return Err(Error::RankTooLarge { requested: k, max });
    }
    Ok(max)
}

/// A linear map the randomized SVD can factorize: it needs only products
/// with row-major dense blocks, so a matrix never has to be formed (PCA's
/// centred matrix is X − 1·μᵀ).
pub trait Operator: Sync {
    /// (rows, columns).
    fn shape(&self) -> (usize, usize);
    /// out = A·X for X (cols × l) and out (rows × l), row-major. On a
    /// cluster's shard (see [`crate::cluster`]) X is the columns' block
    /// with its ghost rows and out the own rows.
    fn mul(&self, x: &[f32], l: usize, out: &mut [f32]);
    /// out = Aᵀ·X for X (rows × l) and out (cols × l), row-major; on a
    /// shard as [`Operator::mul`].
    fn mul_t(&self, x: &[f32], l: usize, out: &mut [f32]);
    /// [`Operator::mul`] where the rows live as `comm` says (a cluster's
    /// shard fetches X's ghost rows); one machine's is `mul`.
    fn mul_on(&self, comm: &dyn Comm, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        let _ = comm;
        self.mul(x, l, out);
        Ok(())
    }
    /// [`Operator::mul_t`] as [`Operator::mul_on`].
    fn mul_t_on(&self, comm: &dyn Comm, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        let _ = comm;
        self.mul_t(x, l, out);
        Ok(())
    }
    /// [`Operator::mul`] on half-width blocks (one machine). By default
    /// through `f32` copies; a sparse matrix reads the `f16` rows directly.
    fn mul_half(&self, x: &[f16], l: usize, out: &mut [f16]) {
        let mut o = vec![0f32; out.len()];
        self.mul(&crate::precision::to_f32(x), l, &mut o);
        f16::store(&o, out);
    }
    /// [`Operator::mul_t`] on half-width blocks, as [`Operator::mul_half`].
    fn mul_t_half(&self, x: &[f16], l: usize, out: &mut [f16]) {
        let mut o = vec![0f32; out.len()];
        self.mul_t(&crate::precision::to_f32(x), l, &mut o);
        f16::store(&o, out);
    }
    /// Whether row `i` is empty (its factor row is then set to zero).
    fn empty_row(&self, _i: usize) -> bool {
        false
    }
    /// Whether column `j` is empty.
    fn empty_col(&self, _j: usize) -> bool {
        false
    }
}

/// A sparse matrix with its transpose, for the two products: a whole
/// matrix, or a cluster shard's rows of both (columns in its layout).
pub(crate) struct SparseOperator<'a> {
    pub(crate) a: &'a SparseMatrix,
    pub(crate) at: &'a SparseMatrix,
    /// The whole matrix's shape.
    pub(crate) shape: (usize, usize),
}

impl Operator for SparseOperator<'_> {
    fn shape(&self) -> (usize, usize) {
        self.shape
    }
    fn mul(&self, x: &[f32], l: usize, out: &mut [f32]) {
        self.a.mul_dense(x, l, out)
    }
    fn mul_t(&self, x: &[f32], l: usize, out: &mut [f32]) {
        self.at.mul_dense(x, l, out)
    }
    fn mul_on(&self, comm: &dyn Comm, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        comm.product(Side::Cols, self.a, x, l, out)
    }
    fn mul_t_on(&self, comm: &dyn Comm, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        comm.product(Side::Rows, self.at, x, l, out)
    }
    fn mul_half(&self, x: &[f16], l: usize, out: &mut [f16]) {
        self.a.mul_dense(x, l, out)
    }
    fn mul_t_half(&self, x: &[f16], l: usize, out: &mut [f16]) {
        self.at.mul_dense(x, l, out)
    }
    fn empty_row(&self, i: usize) -> bool {
        self.a.row_nnz(i) == 0
    }
    fn empty_col(&self, j: usize) -> bool {
        self.at.row_nnz(j) == 0
    }
}

/// How the SVD moves a block of its storage type: `f32` blocks on one
/// machine or a cluster's shard, `f16` blocks on one machine.
pub(crate) trait Store: Elem {
    /// out = A·X.
    fn mul(op: &impl Operator, comm: &dyn Comm, x: &[Self], l: usize, out: &mut [Self]) -> Result<()>;
    /// out = Aᵀ·X.
    fn mul_t(op: &impl Operator, comm: &dyn Comm, x: &[Self], l: usize, out: &mut [Self]) -> Result<()>;
    /// Every row of the block, in `f32` (the Householder fallback).
    fn all_rows(comm: &dyn Comm, side: Side, own: &[Self], l: usize) -> Result<Vec<f32>>;
}

impl Store for f32 {
    fn mul(op: &impl Operator, comm: &dyn Comm, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        op.mul_on(comm, x, l, out)
    }
    fn mul_t(op: &impl Operator, comm: &dyn Comm, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        op.mul_t_on(comm, x, l, out)
    }
    fn all_rows(comm: &dyn Comm, side: Side, own: &[f32], l: usize) -> Result<Vec<f32>> {
        comm.all_rows(side, own, l)
    }
}

/// A cluster's shards exchange `f32` rows only.
fn local_only(comm: &dyn Comm) -> Result<()> {
    if comm.is_local() { Ok(()) } else { Err(crate::precision::cluster_needs_f32()) }
}

impl Store for f16 {
    fn mul(op: &impl Operator, comm: &dyn Comm, x: &[f16], l: usize, out: &mut [f16]) -> Result<()> {
        local_only(comm)?;
        op.mul_half(x, l, out);
        Ok(())
    }
    fn mul_t(op: &impl Operator, comm: &dyn Comm, x: &[f16], l: usize, out: &mut [f16]) -> Result<()> {
        local_only(comm)?;
        op.mul_t_half(x, l, out);
        Ok(())
    }
    fn all_rows(comm: &dyn Comm, _: Side, own: &[f16], _: usize) -> Result<Vec<f32>> {
        local_only(comm)?;
        Ok(crate::precision::to_f32(own))
    }
}

/// The factors of a truncated SVD in the blocks' storage: U (rows × k), s
/// and, when asked for, V (cols × k).
pub(crate) struct Factors<T> {
    pub(crate) u: Block<T>,
    pub(crate) s: Vec<f64>,
    pub(crate) v: Option<Block<T>>,
}

impl<T: Elem> Factors<T> {
    /// As an [`Svd`] in `f32`.
    pub(crate) fn into_svd(self, k: usize) -> Svd {
        Svd { rank: k, u: self.u.into_f32(), s: self.s, v: self.v.map(Block::into_f32).unwrap_or_default() }
    }
}

/// s_j^p per column, 0 where s_j = 0: the weights of U·Σ^p.
pub(crate) fn sigma_powers(s: &[f64], p: f64) -> Vec<f32> {
    s.iter().map(|&s| if s > 0.0 { s.powf(p) as f32 } else { 0.0 }).collect()
}

/// Rank-`k` randomized SVD of `a`.
///
/// # Errors
/// [`Error::RankTooLarge`] if `k` is 0 or exceeds min(rows, cols), or
/// [`Error::Numerical`] if the small dense SVD fails.
pub fn randomized_svd(a: &SparseMatrix, k: usize, config: &SvdConfig) -> Result<Svd> {
    check_rank(a.shape(), k)?;
    let at = a.transpose();
    randomized_svd_of(&SparseOperator { a, at: &at, shape: a.shape() }, k, config)
}

/// Rank-`k` randomized SVD of any [`Operator`].
///
/// # Errors
/// As [`randomized_svd`].
pub fn randomized_svd_of(a: &impl Operator, k: usize, config: &SvdConfig) -> Result<Svd> {
    let (rows, cols) = a.shape();
    randomized_svd_in(a, k, config, &Local::new(rows, cols))
}

/// [`randomized_svd_of`] over rows that live wherever `comm` says: all on
/// one machine, or a shard's rows on a cluster, where U and V come back
/// as the own rows. Same result either way, to the bit.
pub(crate) fn randomized_svd_in(a: &impl Operator, k: usize, config: &SvdConfig, comm: &dyn Comm) -> Result<Svd> {
    Ok(svd_blocks::<f32>(a, k, config, comm, true, &Scratch::Memory)?.into_svd(k))
}

/// [`randomized_svd_in`] with blocks stored as `T`, and V only when
/// `want_v` (without it, its block is freed before U is formed).
pub(crate) fn svd_blocks<T: Store>(
    a: &impl Operator,
    k: usize,
    config: &SvdConfig,
    comm: &dyn Comm,
    want_v: bool,
    scratch: &Scratch,
) -> Result<Factors<T>> {
    let max = check_rank(a.shape(), k)?;
    let l = (k + config.oversample).min(max);
    let (rl, cl) = (comm.layout(Side::Rows), comm.layout(Side::Cols));
    // Two blocks for the whole iteration, reused: Q (rows × l) and Z (cols
    // × l), own rows only.
    comm.stage("svd");
    let mut z = scratch.zeroed::<T>(cl.own * l)?;
    gaussian_rows(&mut z, cl.first, l, config.seed);
    let mut q = scratch.basis().zeroed::<T>(rl.own * l)?;
    T::mul(a, comm, &z, l, &mut q)?;
    // The last orthonormalization of Q is the exact one (its first pass
    // does what a rough one would).
    let last = |i: usize| if i == config.power_iters { Orth::Exact } else { Orth::Rough };
    orthonormalize(&mut q, l, last(0), comm, Side::Rows)?;
    for i in 1..=config.power_iters {
        T::mul_t(a, comm, &q, l, &mut z)?;
        orthonormalize(&mut z, l, Orth::Rough, comm, Side::Cols)?;
        T::mul(a, comm, &z, l, &mut q)?;
        orthonormalize(&mut q, l, last(i), comm, Side::Rows)?;
    }
    // B = Qᵀ·A (l × cols) = W·S·V_Bᵀ. With Y = Aᵀ·Q = Bᵀ, B·Bᵀ = YᵀY = W·S²·Wᵀ
    // (an l × l eigenproblem), U = Q·W and V = Y·W·S⁻¹: one Gram matrix
    // and one product for V, where orthonormalizing Y first took three
    // and two. The Gram is summed in f64, so squaring the spectrum costs
    // nothing that matters for the top k (σ_k/σ_1 ≫ 1e-7).
    let mut y = z;
    T::mul_t(a, comm, &q, l, &mut y)?;
    let (vals, vecs) = small_eigh(gram_in(&y, l, comm)?.as_ref())?;
    // Eigenvalues ascending: the k largest, descending, are the top k.
    let s: Vec<f64> = (0..k).map(|j| vals[l - 1 - j].max(0.0).sqrt()).collect();
    let top = s.first().copied().unwrap_or(0.0);
    let w = Mat::<f64>::from_fn(l, k, |i, j| vecs[(i, l - 1 - j)]);
    // Directions with no weight left (rank below k) get zero columns of V.
    let w_inv_s = Mat::<f64>::from_fn(l, k, |i, j| if s[j] > top * 1e-7 { w[(i, j)] / s[j] } else { 0.0 });
    let v = want_v.then(|| {
        let mut v = times_small_in_place(y, l, w_inv_s.as_ref());
        zero_rows(&mut v, k, |j| a.empty_col(j));
        v
    });
    let mut u = times_small_in_place(q, l, w.as_ref());
    zero_rows(&mut u, k, |i| a.empty_row(i));
    Ok(Factors { u, s, v })
}

/// Rank-`k` randomized SVD of a symmetric `a` (A = Aᵀ), one-sided: the
/// eigenpairs (λ, w) of largest |λ| give U = w, s = |λ|, V = sign(λ)·w.
/// `power_iters` counts products with AᵀA as in [`randomized_svd`], so the
/// two paths reach the same accuracy for the same setting.
///
/// # Errors
/// As [`randomized_svd`]; a matrix that is not square is refused.
pub fn randomized_svd_symmetric(a: &SparseMatrix, k: usize, config: &SvdConfig) -> Result<Svd> {
    Ok(symmetric_blocks::<f32>(a, k, config, true, &Scratch::Memory)?.into_svd(k))
}

/// [`randomized_svd_symmetric`] with blocks stored as `T`, V = U·sign(λ)
/// only when `want_v`.
pub(crate) fn symmetric_blocks<T: Store>(
    a: &SparseMatrix,
    k: usize,
    config: &SvdConfig,
    want_v: bool,
    scratch: &Scratch,
) -> Result<Factors<T>> {
    let max = check_rank(a.shape(), k)?;
    let (n, cols) = a.shape();
    if n != cols {
        return Err(Error::invalid("matrix", "a symmetric SVD needs a square matrix"));
    }
    debug_assert!(a.is_symmetric(), "randomized_svd_symmetric needs A = Aᵀ");
    let l = (k + config.oversample).min(max);
    // Two blocks for the whole iteration, reused: Q and Y = A·Q. One
    // product per iteration where the two-sided path applies AᵀA: twice the
    // iterations give the same convergence (|λ_{l+1}/λ_k|^(2q)) at the same
    // number of products.
    let mut y = gaussian::<T>(n, l, config.seed, scratch)?;
    let mut q = scratch.basis().zeroed::<T>(n * l)?;
    a.mul_dense(&y, l, &mut q);
    let local = Local::new(n, n);
    orthonormalize(&mut q, l, Orth::Rough, &local, Side::Rows)?;
    for _ in 0..2 * config.power_iters {
        a.mul_dense(&q, l, &mut y);
        std::mem::swap(&mut q, &mut y);
        orthonormalize(&mut q, l, Orth::Rough, &local, Side::Rows)?;
    }
    orthonormalize(&mut q, l, Orth::Exact, &local, Side::Rows)?;
    // B = Qᵀ·A·Q (l × l, symmetrized against rounding), B = W·Λ·Wᵀ.
    a.mul_dense(&q, l, &mut y);
    let mut b = cross(&q, l, &y, l);
    drop(y);
    for i in 0..l {
        for j in 0..i {
            let m = 0.5 * (b[(i, j)] + b[(j, i)]);
            b[(i, j)] = m;
            b[(j, i)] = m;
        }
    }
    let (vals, vecs) = small_eigh(b.as_ref())?;
    let mut order: Vec<usize> = (0..l).collect();
    order.sort_by(|&i, &j| vals[j].abs().total_cmp(&vals[i].abs()).then(i.cmp(&j)));
    let w = Mat::<f64>::from_fn(l, k, |i, j| vecs[(i, order[j])]);
    let mut u = times_small_in_place(q, l, w.as_ref());
    zero_rows(&mut u, k, |i| a.row_nnz(i) == 0);
    let s: Vec<f64> = order[..k].iter().map(|&i| vals[i].abs()).collect();
    let v = want_v.then(|| u.duplicate(&scratch.basis())).transpose()?.map(|mut v| {
        // A sign flip is exact in either storage.
        let negative: Vec<bool> = order[..k].iter().map(|&i| vals[i] < 0.0).collect();
        let mut row = vec![0f32; k];
        for r in v.chunks_mut(k) {
            T::load_any(r, &mut row);
            row.iter_mut().zip(&negative).filter(|(_, n)| **n).for_each(|(x, _)| *x = -*x);
            T::store_any(&row, r);
        }
        v
    });
    Ok(Factors { u, s, v })
}

/// Thin SVD of a small dense matrix (U, s, V), for other modules.
pub(crate) fn small_svd_pub(m: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    small_svd(m)
}

/// Thin SVD of a small dense matrix with sequential faer: (U, s, V).
fn small_svd(m: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
    let (r, c) = m.shape();
    let p = r.min(c);
    let (mut u, mut v) = (Mat::<f64>::zeros(r, p), Mat::<f64>::zeros(c, p));
    let mut s = faer::diag::Diag::<f64>::zeros(p);
    let scratch = svd_scratch::<f64>(r, c, ComputeSvdVectors::Thin, ComputeSvdVectors::Thin, Par::Seq, default());
    svd(
        m,
        s.as_mut(),
        Some(u.as_mut()),
        Some(v.as_mut()),
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(scratch)),
        default(),
    )
    .map_err(|e| Error::Numerical(format!("dense SVD failed: {e:?}")))?;
    Ok((u, s.column_vector().iter().copied().collect(), v))
}

/// Eigendecomposition of a small symmetric matrix with sequential faer:
/// (eigenvalues ascending, eigenvectors as columns).
pub(crate) fn small_eigh(m: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
    let n = m.nrows();
    let mut u = Mat::<f64>::zeros(n, n);
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let scratch = self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, Par::Seq, default());
    self_adjoint_evd(m, s.as_mut(), Some(u.as_mut()), Par::Seq, MemStack::new(&mut MemBuffer::new(scratch)), default())
        .map_err(|e| Error::Numerical(format!("eigendecomposition failed: {e:?}")))?;
    Ok((s.column_vector().iter().copied().collect(), u))
}

fn default<T: Default>() -> T {
    T::default()
}

/// XᵀX of a row-major f32 matrix (n × d), blocks summed in f64 in order:
/// only the lower triangle of each block's product is computed (half the
/// work of [`cross`]), then mirrored.
pub(crate) fn gram(x: &[f32], d: usize) -> Mat<f64> {
    gram_in(x, d, &Local::new(0, 0)).expect("a single machine's sum cannot fail")
}

/// [`gram`] of the own rows `x` of a block whose rows live where `comm`
/// says (stored as `T`): the blocks' partials summed in global block order.
pub(crate) fn gram_in<T: Elem>(x: &[T], d: usize, comm: &dyn Comm) -> Result<Mat<f64>> {
    gram_scaled_in(x, d, None, comm)
}

/// [`gram_in`] of diag(scale)·X (row i times scale[i]) without forming it.
pub(crate) fn gram_scaled_in<T: Elem>(x: &[T], d: usize, scale: Option<&[f32]>, comm: &dyn Comm) -> Result<Mat<f64>> {
    use faer::linalg::matmul::triangular::{BlockStructure, matmul};
    let partials: Vec<Mat<f32>> = x
        .par_chunks(BLOCK * d.max(1))
        .enumerate()
        .map(|(b, cx)| {
            let rows = cx.len() / d;
            let mut scratch = Vec::new();
            let block = match scale {
                None => T::view(cx, &mut scratch),
                Some(w) => {
                    scratch.resize(cx.len(), 0.0);
                    T::load_any(cx, &mut scratch);
                    let w = &w[b * BLOCK..b * BLOCK + rows];
                    scratch.chunks_exact_mut(d).zip(w).for_each(|(r, w)| r.iter_mut().for_each(|v| *v *= w));
                    &scratch
                }
            };
            let mx = MatRef::from_row_major_slice(block, rows, d);
            let mut g = Mat::<f32>::zeros(d, d);
            let rect = BlockStructure::Rectangular;
            matmul(
                g.as_mut(),
                BlockStructure::TriangularLower,
                Accum::Replace,
                mx.transpose(),
                rect,
                mx,
                rect,
                1.0,
                Par::Seq,
            );
            g
        })
        .collect();
    // The lower triangle, column by column, as the running sum's layout.
    let mut acc = vec![0f64; d * (d + 1) / 2];
    comm.chain(&mut acc, &mut |acc| {
        for g in &partials {
            let mut k = 0;
            for j in 0..d {
                for i in j..d {
                    acc[k] += g[(i, j)] as f64;
                    k += 1;
                }
            }
        }
    })?;
    let mut sum = Mat::<f64>::zeros(d, d);
    let mut k = 0;
    for j in 0..d {
        for i in j..d {
            sum[(i, j)] = acc[k];
            sum[(j, i)] = acc[k];
            k += 1;
        }
    }
    Ok(sum)
}

/// A row of A without entries carries no information, but when A's rank is
/// below k the SVD may give it a component along an arbitrary null-space
/// direction: set its factor row to zero (an isolated node, a never-seen
/// context).
fn zero_rows<T: Elem>(factor: &mut [T], k: usize, empty: impl Fn(usize) -> bool + Sync) {
    factor.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
        if empty(i) {
            row.fill(T::default());
        }
    });
}

/// Exact rank-`k` SVD through a dense copy; the reference for tests.
#[doc(hidden)]
pub fn dense_svd(a: &SparseMatrix, k: usize) -> Result<Svd> {
    check_rank(a.shape(), k)?;
    let (rows, cols) = a.shape();
    let d = a.to_dense();
    let m = Mat::<f64>::from_fn(rows, cols, |i, j| d[i * cols + j]);
    let (u, s, v) = small_svd(m.as_ref())?;
    let take = |f: &Mat<f64>| -> Vec<f32> {
        (0..f.nrows()).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| f[(i, j)] as f32).collect()
    };
    Ok(Svd { rank: k, u: take(&u), s: s[..k].to_vec(), v: take(&v) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_rank_two_matrix() {
        // Rows [1 1 0], [0 0 2], [1 1 0], [0 0 0]: rank 2, singular values 2 and 2.
        let a = SparseMatrix::from_csr((4, 3), vec![0, 2, 3, 5, 5], vec![0, 1, 2, 0, 1], vec![1.0, 1.0, 2.0, 1.0, 1.0]);
        let svd = randomized_svd(&a, 2, &SvdConfig { oversample: 1, power_iters: 1, seed: 1 }).unwrap();
        let exact = dense_svd(&a, 2).unwrap();
        for i in 0..2 {
            assert!((svd.s[i] - exact.s[i]).abs() < 1e-5 * exact.s[0], "{:?} vs {:?}", svd.s, exact.s);
        }
        assert!(randomized_svd(&a, 4, &SvdConfig::default()).is_err());
    }

    /// A 400 × 300 sparse matrix with a decaying spectrum.
    fn decaying(seed: usize) -> SparseMatrix {
        let (rows, cols) = (400, 300);
        let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
        for i in 0..rows {
            let mut cs: Vec<usize> = (0..12).map(|k| (i * 37 + k * k * 53 + k * 11 + seed) % cols).collect();
            cs.sort_unstable();
            cs.dedup();
            for &c in &cs {
                indices.push(c as u32);
                values.push(
                    (1.0 + ((i / 40) == (c / 30)) as u8 as f32 * 4.0) * (((i * 31 + c * 17) % 23) as f32 / 23.0 + 0.2),
                );
            }
            indptr.push(indices.len());
        }
        SparseMatrix::from_csr((rows, cols), indptr, indices, values)
    }

    #[test]
    fn half_width_blocks_give_the_dense_svd_to_their_precision() {
        let a = decaying(3);
        let k = 8;
        let exact = dense_svd(&a, k).unwrap();
        let cfg = SvdConfig { oversample: 20, power_iters: 6, seed: 7 };
        let at = a.transpose();
        let op = SparseOperator { a: &a, at: &at, shape: a.shape() };
        let local = Local::new(400, 300);
        let full = svd_blocks::<f32>(&op, k, &cfg, &local, true, &Scratch::Memory).unwrap();
        let half = svd_blocks::<f16>(&op, k, &cfg, &local, true, &Scratch::Memory).unwrap();
        // The leading values converge; every value of the f16 run is the f32 run's to f16 precision.
        assert!((full.s[0] - exact.s[0]).abs() < 1e-4 * exact.s[0], "{:?} vs {:?}", full.s, exact.s);
        for j in 0..k {
            let (f, h) = (full.s[j], half.s[j]);
            assert!((h - f).abs() < 2e-3 * f, "σ_{j}: f16 {h} vs f32 {f}, exact {:?}", exact.s);
        }
        // The leading singular vectors agree up to sign.
        let (u, v) = (half.u, half.v.unwrap());
        for j in 0..1 {
            let dot = |f: &[f16], e: &[f32], rows: usize| -> f64 {
                (0..rows).map(|i| f[i * k + j].to_f64() * e[i * k + j] as f64).sum::<f64>().abs()
            };
            assert!(dot(&u, exact.u(), 400) > 0.999, "u_{j}");
            assert!(dot(&v, exact.v(), 300) > 0.999, "v_{j}");
        }
        // Without V, U is the same.
        let no_v = svd_blocks::<f16>(&op, k, &cfg, &local, false, &Scratch::Memory).unwrap();
        assert!(no_v.v.is_none() && no_v.u[..] == u[..]);
    }

    #[test]
    fn the_symmetric_path_on_half_width_blocks_matches_the_dense_eigenvalues() {
        let a = decaying(5);
        let at = a.transpose();
        // AᵀA as a sparse symmetric matrix (300 × 300).
        let d = a.to_dense();
        let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
        for i in 0..300 {
            for j in 0..300 {
                let v: f64 = (0..400).map(|r| d[r * 300 + i] * d[r * 300 + j]).sum();
                if v != 0.0 {
                    indices.push(j as u32);
                    values.push(v as f32);
                }
            }
            indptr.push(indices.len());
        }
        let m = SparseMatrix::from_csr((300, 300), indptr, indices, values);
        drop(at);
        let exact = dense_svd(&m, 6).unwrap();
        let cfg = SvdConfig { oversample: 20, power_iters: 4, seed: 1 };
        let half = symmetric_blocks::<f16>(&m, 6, &cfg, true, &Scratch::Memory).unwrap();
        let full = symmetric_blocks::<f32>(&m, 6, &cfg, true, &Scratch::Memory).unwrap();
        assert!((full.s[0] - exact.s[0]).abs() < 1e-4 * exact.s[0], "{:?} vs {:?}", full.s, exact.s);
        for j in 0..6 {
            assert!((half.s[j] - full.s[j]).abs() < 2e-3 * full.s[j], "λ_{j}: {} vs {}", half.s[j], full.s[j]);
        }
    }

    #[test]
    fn the_lower_triangle_gram_equals_the_full_cross_product() {
        // 5000 rows: three fixed blocks, the last one partial.
        let (n, d) = (5000, 7);
        let x: Vec<f32> = (0..n * d).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect();
        let (g, c) = (gram(&x, d), cross(&x, d, &x, d));
        for i in 0..d {
            for j in 0..d {
                assert_eq!(g[(i, j)], g[(j, i)]);
                assert!((g[(i, j)] - c[(i, j)]).abs() < 1e-4 * c[(i, i)].abs().max(1.0), "({i}, {j})");
            }
        }
        let mut y = x.clone();
        apply_in_place(&mut y, d, Mat::<f64>::identity(d, 3).as_ref());
        assert!((0..n).all(|i| y[i * d..i * d + 3] == x[i * d..i * d + 3]), "Y·[I 0]ᵀ keeps the first columns");
    }

    #[test]
    fn cholesky_and_triangular_inverse_invert_the_gram_matrix() {
        let g = Mat::<f64>::from_fn(3, 3, |i, j| if i == j { 4.0 } else { 1.0 });
        let l = cholesky(&g).unwrap();
        let x = inverse_transpose(&l);
        // (Lᵀ)⁻¹ = X  ⇒  Lᵀ·X = I.
        let id = l.transpose() * &x;
        for i in 0..3 {
            for j in 0..3 {
                assert!((id[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(cholesky(&Mat::<f64>::zeros(2, 2)).is_none());
    }
}
