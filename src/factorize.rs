//! Stage 5: truncated SVD by randomized range finding (Halko, Martinsson &
//! Tropp 2011).
//!
//! A Gaussian sketch Y = A·Ω (l = d + oversample columns), `power_iters`
//! rounds of Y ← A·orth(Aᵀ·orth(Y)) to sharpen the spectrum, then the small
//! SVD of Bᵀ = Aᵀ·Q. The sparse products are a rayon kernel over rows (each
//! output row is summed by one thread in a fixed order), the dense QR/SVD are
//! faer's run sequentially; Ω is drawn per fixed block of rows. So the result
//! is bit-identical for any thread count.

use crate::error::{Error, Result};
use crate::sparse::SparseMatrix;
use faer::Mat;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Randomized SVD parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvdConfig {
    /// Extra sketch columns beyond the rank.
    pub oversample: usize,
    /// Power (subspace) iterations.
    pub power_iters: usize,
    /// Seed of the sketch.
    pub seed: u64,
}

impl Default for SvdConfig {
    fn default() -> Self {
        SvdConfig { oversample: 20, power_iters: 3, seed: 0 }
    }
}

/// A truncated SVD A ≈ U·diag(s)·Vᵀ, singular values descending.
#[derive(Clone, Debug)]
pub struct Svd {
    /// Left singular vectors, rows × k.
    pub u: Mat<f64>,
    /// Singular values, descending.
    pub s: Vec<f64>,
    /// Right singular vectors, cols × k.
    pub v: Mat<f64>,
}

/// out = A·X for row-major f64 blocks, through the f32 product of
/// [`SparseMatrix::mul_dense`] (the QR and small SVD stay in f64).
pub(crate) fn spmm(a: &SparseMatrix, x: &[f64], l: usize) -> Vec<f64> {
    let xs: Vec<f32> = x.par_iter().map(|&v| v as f32).collect();
    let mut out = vec![0f32; a.shape().0 * l];
    a.mul_dense(&xs, l, &mut out);
    out.into_par_iter().map(|v| v as f64).collect()
}

fn to_mat(buf: &[f64], rows: usize, l: usize) -> Mat<f64> {
    Mat::from_fn(rows, l, |i, j| buf[i * l + j])
}

fn to_row_major(m: &Mat<f64>) -> Vec<f64> {
    let (rows, cols) = (m.nrows(), m.ncols());
    let mut out = vec![0f64; rows * cols];
    for j in 0..cols {
        for i in 0..rows {
            out[i * cols + j] = m[(i, j)];
        }
    }
    out
}

/// Orthonormal basis of the columns of a row-major matrix, row-major.
///
/// Tall matrices use CholeskyQR2 (Yamamoto et al. 2015): Q = Y·R⁻¹ with R
/// from the Cholesky factor of the Gram matrix YᵀY, done twice for
/// orthogonality to machine precision. Its Gram matrix is summed over fixed
/// blocks of rows in a fixed order and each row of Q is solved on its own,
/// so it is parallel yet bit-identical for any thread count — unlike a
/// parallel Householder QR, and several times faster than a sequential one
/// on 100k-row sketches. If Y is numerically rank-deficient (the Gram matrix
/// is not safely positive definite), Householder QR takes over.
fn orth(buf: &[f64], rows: usize, l: usize) -> Vec<f64> {
    if rows >= 8 * l
        && let Some((q, cond)) = cholesky_qr(buf, rows, l)
    {
        // One pass loses orthogonality as ε·cond(Y)²: repeat only when
        // that could exceed ~1e-10.
        if cond < 1e3 {
            return q;
        }
        if let Some((q, _)) = cholesky_qr(&q, rows, l) {
            return q;
        }
    }
    to_row_major(&to_mat(buf, rows, l).qr().compute_thin_Q())
}

/// One CholeskyQR pass, with a lower bound of cond(Y) (the ratio of the
/// Cholesky factor's extreme diagonal entries); `None` if the Gram matrix is
/// not safely positive definite.
fn cholesky_qr(y: &[f64], rows: usize, l: usize) -> Option<(Vec<f64>, f64)> {
    let gram = cross(y, y, l);
    let llt = gram.llt(faer::Side::Lower).ok()?;
    let low = llt.L();
    // Reject near-singular factors: their solve would amplify rounding.
    let diag: Vec<f64> = (0..l).map(|i| low[(i, i)]).collect();
    let max = diag.iter().cloned().fold(0.0, f64::max);
    let min = diag.iter().cloned().fold(f64::INFINITY, f64::min);
    if !(max > 0.0 && min > max * 1e-7) {
        return None;
    }
    let lrows: Vec<f64> = (0..l * l).map(|k| low[(k / l, k % l)]).collect();
    let mut q = vec![0f64; rows * l];
    // Row by row: q·Lᵀ = y, i.e. L·qᵀ = yᵀ by forward substitution.
    q.par_chunks_mut(l).zip(y.par_chunks(l)).with_min_len(256).for_each(|(qr, yr)| {
        for i in 0..l {
            let li = &lrows[i * l..i * l + i];
            let s: f64 = li.iter().zip(&qr[..i]).map(|(a, b)| a * b).sum();
            qr[i] = (yr[i] - s) / diag[i];
        }
    });
    Some((q, max / min))
}

/// aᵀ·b for two row-major matrices with `l` columns, summed over fixed
/// blocks of rows in a fixed order (deterministic for any thread count).
fn cross(a: &[f64], b: &[f64], l: usize) -> Mat<f64> {
    const BLOCK: usize = 2048;
    let partials: Vec<Mat<f64>> = a
        .par_chunks(BLOCK * l)
        .zip(b.par_chunks(BLOCK * l))
        .map(|(ca, cb)| {
            let ma = faer::MatRef::from_row_major_slice(ca, ca.len() / l, l);
            let mb = faer::MatRef::from_row_major_slice(cb, cb.len() / l, l);
            let mut g = Mat::<f64>::zeros(l, l);
            faer::linalg::matmul::matmul(g.as_mut(), faer::Accum::Replace, ma.transpose(), mb, 1.0, faer::Par::Seq);
            g
        })
        .collect();
    let mut sum = Mat::<f64>::zeros(l, l);
    for g in &partials {
        sum += g;
    }
    sum
}

/// XᵀX of a row-major f32 matrix (n × d), in f64 over fixed blocks of rows
/// summed in order (deterministic for any thread count).
pub(crate) fn gram_f32(x: &[f32], n: usize, d: usize) -> Mat<f64> {
    const BLOCK: usize = 2048;
    debug_assert_eq!(x.len(), n * d);
    let partials: Vec<Mat<f64>> = x
        .par_chunks(BLOCK * d)
        .map(|c| {
            let rows = c.len() / d;
            let m = Mat::<f64>::from_fn(rows, d, |i, j| c[i * d + j] as f64);
            let mut g = Mat::<f64>::zeros(d, d);
            faer::linalg::matmul::matmul(
                g.as_mut(),
                faer::Accum::Replace,
                m.transpose(),
                m.as_ref(),
                1.0,
                faer::Par::Seq,
            );
            g
        })
        .collect();
    let mut sum = Mat::<f64>::zeros(d, d);
    for g in &partials {
        sum += g;
    }
    sum
}

/// Row-major (rows × l) times a small l × k matrix, in fixed blocks of rows
/// (deterministic for any thread count).
fn times_small(a: &[f64], rows: usize, l: usize, b: faer::MatRef<'_, f64>, k: usize) -> Mat<f64> {
    const BLOCK: usize = 2048;
    let blocks: Vec<Mat<f64>> = a
        .par_chunks(BLOCK * l)
        .map(|chunk| {
            let c = faer::MatRef::from_row_major_slice(chunk, chunk.len() / l, l);
            let mut out = Mat::<f64>::zeros(chunk.len() / l, k);
            faer::linalg::matmul::matmul(out.as_mut(), faer::Accum::Replace, c, b.get(.., ..k), 1.0, faer::Par::Seq);
            out
        })
        .collect();
    let mut out = Mat::<f64>::zeros(rows, k);
    let mut r0 = 0;
    for blk in blocks {
        out.as_mut().get_mut(r0..r0 + blk.nrows(), ..).copy_from(&blk);
        r0 += blk.nrows();
    }
    out
}

/// Gaussian rows × l matrix, row-major, drawn per block of 1024 rows.
fn gaussian(rows: usize, l: usize, seed: u64) -> Vec<f64> {
    let mut out = vec![0f64; rows * l];
    out.par_chunks_mut(1024 * l).enumerate().for_each(|(b, chunk)| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for x in chunk {
            *x = StandardNormal.sample(&mut rng);
        }
    });
    out
}

/// Rank-`k` randomized SVD of `a`.
///
/// # Errors
/// [`Error::RankTooLarge`] if `k` exceeds min(rows, cols), or
/// [`Error::Numerical`] if the small dense SVD fails.
pub fn randomized_svd(a: &SparseMatrix, k: usize, config: &SvdConfig) -> Result<Svd> {
    let (rows, cols) = a.shape();
    let max = rows.min(cols);
    if k == 0 || k > max {
        return Err(Error::RankTooLarge { requested: k, max });
    }
    faer::set_global_parallelism(faer::Par::Seq);
    let l = (k + config.oversample).min(max);
    let at = a.transpose();
    let mut q = orth(&spmm(a, &gaussian(cols, l, config.seed), l), rows, l);
    for _ in 0..config.power_iters {
        let z = orth(&spmm(&at, &q, l), cols, l);
        q = orth(&spmm(a, &z, l), rows, l);
    }
    // Bᵀ = Aᵀ·Q = Q₂·R with Q₂ orthonormal and R = Q₂ᵀ·Bᵀ small (l × l);
    // R = W·S·Zᵀ  ⇒  A ≈ Q·B = (Q·Z)·S·(Q₂·W)ᵀ. Only l × l matrices go
    // through the dense SVD, so no n × l copy is made for it.
    let bt = spmm(&at, &q, l);
    let q2 = orth(&bt, cols, l);
    let r = cross(&q2, &bt, l);
    drop(bt);
    let svd = r.thin_svd().map_err(|e| Error::Numerical(format!("dense SVD failed: {e:?}")))?;
    let mut u = times_small(&q, rows, l, svd.V(), k);
    let s: Vec<f64> = (0..k).map(|i| svd.S().column_vector()[i]).collect();
    let mut v = times_small(&q2, cols, l, svd.U(), k);
    zero_empty_rows(&mut u, a);
    zero_empty_rows(&mut v, &at);
    Ok(Svd { u, s, v })
}

/// A row of A without entries carries no information, but when A's rank is
/// below k the SVD may give it a component along an arbitrary null-space
/// direction: set its factor row to zero (an isolated node, a never-seen
/// context).
fn zero_empty_rows(factor: &mut Mat<f64>, a: &SparseMatrix) {
    for i in 0..a.shape().0 {
        if a.row_nnz(i) == 0 {
            for j in 0..factor.ncols() {
                factor[(i, j)] = 0.0;
            }
        }
    }
}

/// Exact rank-`k` SVD through a dense copy (faer); the reference for tests
/// and small inputs.
pub fn dense_svd(a: &SparseMatrix, k: usize) -> Result<Svd> {
    let (rows, cols) = a.shape();
    let max = rows.min(cols);
    if k == 0 || k > max {
        return Err(Error::RankTooLarge { requested: k, max });
    }
    let mut m = Mat::<f64>::zeros(rows, cols);
    for i in 0..rows {
        let (cs, vs) = a.row(i);
        for (&j, &v) in cs.iter().zip(vs) {
            m[(i, j as usize)] = v as f64;
        }
    }
    let svd = m.thin_svd().map_err(|e| Error::Numerical(format!("dense SVD failed: {e:?}")))?;
    Ok(Svd {
        u: Mat::from_fn(rows, k, |i, j| svd.U()[(i, j)]),
        s: (0..k).map(|i| svd.S().column_vector()[i]).collect(),
        v: Mat::from_fn(cols, k, |i, j| svd.V()[(i, j)]),
    })
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
}
