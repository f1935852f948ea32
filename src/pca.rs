//! Principal component analysis of a dense or sparse feature matrix: the
//! randomized SVD ([`crate::factorize::randomized_svd_of`]) of the centred
//! matrix X − 1·μᵀ, applied as an operator, so a sparse matrix is never
//! densified. Components, explained variance and its ratio as scikit-learn's
//! `PCA` reports them (signs: each component's largest entry positive).

use crate::error::{Error, Result};
use crate::factorize::{Operator, SvdConfig, randomized_svd_of};
use crate::sparse::SparseMatrix;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// A feature matrix: rows are samples.
#[derive(Clone, Debug)]
pub enum Features {
    /// Row-major `rows × cols` values.
    Dense {
        /// Samples.
        rows: usize,
        /// Features.
        cols: usize,
        /// The values, row-major.
        data: Vec<f32>,
    },
    /// A sparse matrix (never densified).
    Sparse(SparseMatrix),
}

impl Features {
    fn shape(&self) -> (usize, usize) {
        match self {
            Features::Dense { rows, cols, .. } => (*rows, *cols),
            Features::Sparse(m) => m.shape(),
        }
    }
}

/// A fitted PCA.
#[derive(Clone, Debug)]
pub struct Pca {
    /// Principal axes, `k × features`, row-major (scikit-learn's `components_`).
    pub components: Vec<f32>,
    /// Variance along each axis (`explained_variance_`, ddof 1).
    pub explained_variance: Vec<f64>,
    /// Its share of the total variance (`explained_variance_ratio_`).
    pub explained_variance_ratio: Vec<f64>,
    /// Column means μ.
    pub mean: Vec<f64>,
    /// The samples in the new axes, `rows × k` (U·Σ, `fit_transform`).
    pub transformed: Vec<f32>,
}

const BLOCK: usize = 2048;

/// X − 1·μᵀ as an operator.
struct Centred<'a> {
    x: &'a Features,
    xt: Option<SparseMatrix>,
    mean: Vec<f32>,
}

impl Operator for Centred<'_> {
    fn shape(&self) -> (usize, usize) {
        self.x.shape()
    }

    /// (X − 1μᵀ)·B = X·B − 1·(μᵀB).
    fn mul(&self, b: &[f32], l: usize, out: &mut [f32]) {
        match self.x {
            Features::Dense { cols, data, .. } => {
                let bm = MatRef::from_row_major_slice(b, *cols, l);
                out.par_chunks_mut(BLOCK * l).zip(data.par_chunks(BLOCK * cols)).for_each(|(o, x)| {
                    let r = x.len() / cols;
                    let dst = MatMut::from_row_major_slice_mut(o, r, l);
                    let src = MatRef::from_row_major_slice(x, r, *cols);
                    faer::linalg::matmul::matmul(dst, Accum::Replace, src, bm, 1.0, Par::Seq);
                });
            }
            Features::Sparse(m) => m.mul_dense(b, l, out),
        }
        let shift: Vec<f32> = (0..l)
            .map(|j| self.mean.iter().enumerate().map(|(i, &m)| m as f64 * b[i * l + j] as f64).sum::<f64>() as f32)
            .collect();
        out.par_chunks_mut(l).for_each(|row| row.iter_mut().zip(&shift).for_each(|(o, s)| *o -= s));
    }

    /// (X − 1μᵀ)ᵀ·B = Xᵀ·B − μ·(1ᵀB).
    fn mul_t(&self, b: &[f32], l: usize, out: &mut [f32]) {
        match (self.x, &self.xt) {
            (Features::Dense { cols, data, .. }, _) => {
                // Xᵀ·B summed over fixed row blocks in f64 (deterministic).
                let partials: Vec<Vec<f64>> = data
                    .par_chunks(BLOCK * cols)
                    .zip(b.par_chunks(BLOCK * l))
                    .map(|(x, bb)| {
                        let r = x.len() / cols;
                        let mut g = faer::Mat::<f32>::zeros(*cols, l);
                        let xm = MatRef::from_row_major_slice(x, r, *cols);
                        let bm = MatRef::from_row_major_slice(bb, r, l);
                        faer::linalg::matmul::matmul(g.as_mut(), Accum::Replace, xm.transpose(), bm, 1.0, Par::Seq);
                        (0..cols * l).map(|k| g[(k / l, k % l)] as f64).collect()
                    })
                    .collect();
                for (k, o) in out.iter_mut().enumerate() {
                    *o = partials.iter().map(|p| p[k]).sum::<f64>() as f32;
                }
            }
            (Features::Sparse(_), Some(xt)) => xt.mul_dense(b, l, out),
            (Features::Sparse(_), None) => unreachable!("a sparse operator keeps its transpose"),
        }
        let sums: Vec<f64> = (0..l).map(|j| b.chunks(l).map(|row| row[j] as f64).sum::<f64>()).collect();
        out.par_chunks_mut(l).zip(&self.mean).for_each(|(row, &m)| {
            row.iter_mut().zip(&sums).for_each(|(o, s)| *o -= (m as f64 * s) as f32);
        });
    }
}

/// Fit a `k`-component PCA of `x` (see the module docs).
///
/// # Errors
/// [`Error::RankTooLarge`] if `k` exceeds min(samples, features),
/// [`Error::Empty`] for fewer than two samples, [`Error::InvalidConfig`]
/// for features without dimensions or more than 50 power iterations.
pub fn pca(x: &Features, k: usize, config: &SvdConfig) -> Result<Pca> {
    let (n, m) = x.shape();
    if n < 2 {
        return Err(Error::Empty { path: None, what: "PCA needs at least two samples".into() });
    }
    if m == 0 {
        return Err(Error::invalid("features", "have no dimensions (d = 0): there is nothing to project"));
    }
    crate::factorize::check_power_iters(config.power_iters)?;
    let mut sum = vec![0f64; m];
    let mut sq = 0f64;
    match x {
        Features::Dense { data, .. } => {
            for row in data.chunks(m) {
                for (s, &v) in sum.iter_mut().zip(row) {
                    *s += v as f64;
                    sq += v as f64 * v as f64;
                }
            }
        }
        Features::Sparse(a) => {
            for i in 0..n {
                let (cols, vals) = a.row(i);
                for (&c, &v) in cols.iter().zip(vals) {
                    sum[c as usize] += v as f64;
                    sq += v as f64 * v as f64;
                }
            }
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n as f64).collect();
    let total = (sq - n as f64 * mean.iter().map(|m| m * m).sum::<f64>()) / (n - 1) as f64;
    let op = Centred {
        x,
        xt: match x {
            Features::Sparse(a) => Some(a.transpose()),
            Features::Dense { .. } => None,
        },
        mean: mean.iter().map(|&v| v as f32).collect(),
    };
    let svd = randomized_svd_of(&op, k, config)?;
    let s = svd.s().to_vec();
    let (mut u, _, mut v) = svd.into_parts();
    // Signs as scikit-learn's svd_flip on Vᵀ: each axis's largest |entry| positive.
    for j in 0..k {
        let (mut best, mut val) = (0f32, 0f32);
        for r in 0..m {
            let x = v[r * k + j];
            if x.abs() > best {
                (best, val) = (x.abs(), x);
            }
        }
        if val < 0.0 {
            (0..m).for_each(|r| v[r * k + j] = -v[r * k + j]);
            (0..n).for_each(|r| u[r * k + j] = -u[r * k + j]);
        }
    }
    let explained_variance: Vec<f64> = s.iter().map(|s| s * s / (n - 1) as f64).collect();
    let explained_variance_ratio =
        explained_variance.iter().map(|v| if total > 0.0 { v / total } else { 0.0 }).collect();
    let components = (0..k).flat_map(|j| (0..m).map(move |r| (r, j))).map(|(r, j)| v[r * k + j]).collect();
    u.par_chunks_mut(k).for_each(|row| row.iter_mut().zip(&s).for_each(|(x, s)| *x *= *s as f32));
    Ok(Pca { components, explained_variance, explained_variance_ratio, mean, transformed: u })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic 60 × 8 matrix with a decaying spectrum and an offset.
    fn matrix() -> Features {
        let (n, m) = (60, 8);
        let data = (0..n * m)
            .map(|k| {
                let (i, j) = ((k / m) as f32, (k % m) as f32);
                3.0 * (0.3 * i).sin() * (j + 1.0) / 8.0 + (0.7 * i + j).cos() + 0.1 * ((i * j) % 5.0) + 2.0
            })
            .collect();
        Features::Dense { rows: n, cols: m, data }
    }

    #[test]
    fn no_features_and_endless_power_iterations_are_refused() {
        let none = Features::Dense { rows: 3, cols: 0, data: vec![] };
        let e = pca(&none, 1, &SvdConfig::default()).unwrap_err().to_string();
        assert!(e.contains("d = 0"), "{e}");
        let cfg = SvdConfig { power_iters: usize::MAX, ..Default::default() };
        let e = pca(&matrix(), 1, &cfg).unwrap_err().to_string();
        assert!(e.contains("power_iters") && e.contains("at most 50"), "{e}");
    }

    #[test]
    fn pca_matches_a_dense_eigendecomposition_of_the_covariance() {
        let x = matrix();
        let Features::Dense { rows: n, cols: m, data } = &x else { unreachable!() };
        let cfg = SvdConfig { oversample: 6, power_iters: 10, seed: 1 };
        let p = pca(&x, 3, &cfg).unwrap();
        // Reference: covariance eigenpairs by faer.
        let mean: Vec<f64> =
            (0..*m).map(|j| (0..*n).map(|i| data[i * m + j] as f64).sum::<f64>() / *n as f64).collect();
        let cov = faer::Mat::<f64>::from_fn(*m, *m, |a, b| {
            (0..*n).map(|i| (data[i * m + a] as f64 - mean[a]) * (data[i * m + b] as f64 - mean[b])).sum::<f64>()
                / (*n - 1) as f64
        });
        let (vals, vecs) = crate::factorize::small_eigh(cov.as_ref()).unwrap();
        let total: f64 = vals.iter().sum();
        for c in 0..3 {
            let e = m - 1 - c; // ascending eigenvalues
            assert!((p.explained_variance[c] - vals[e]).abs() < 1e-4 * vals[m - 1], "{c}");
            assert!((p.explained_variance_ratio[c] - vals[e] / total).abs() < 1e-4);
            let dot: f64 = (0..*m).map(|r| p.components[c * m + r] as f64 * vecs[(r, e)]).sum();
            assert!((dot.abs() - 1.0).abs() < 1e-4, "component {c}: |cos| = {}", dot.abs());
        }
        // The same from the sparse form of the matrix, never densified.
        let mut indptr = vec![0];
        let (mut idx, mut val) = (Vec::new(), Vec::new());
        for row in data.chunks(*m) {
            for (j, &v) in row.iter().enumerate() {
                idx.push(j as u32);
                val.push(v);
            }
            indptr.push(idx.len());
        }
        let sparse = Features::Sparse(SparseMatrix::from_csr((*n, *m), indptr, idx, val));
        let q = pca(&sparse, 3, &cfg).unwrap();
        for c in 0..3 {
            assert!((q.explained_variance_ratio[c] - p.explained_variance_ratio[c]).abs() < 1e-5);
        }
    }

    #[test]
    fn explained_variance_ratios_equal_scikit_learns() {
        // scikit-learn 1.x: PCA(n_components=3).fit(X).explained_variance_ratio_
        // for the matrix above (as float64), recorded once: [0.79202233, 0.11634189, 0.08934163].
        let p = pca(&matrix(), 3, &SvdConfig { oversample: 5, power_iters: 10, seed: 0 }).unwrap();
        for (got, want) in p.explained_variance_ratio.iter().zip([0.79202233, 0.11634189, 0.08934163]) {
            assert!((got - want).abs() < 1e-4, "{:?}", p.explained_variance_ratio);
        }
    }
}
