//! The randomized SVD matches faer's dense SVD on small matrices.

mod common;

use common::{dense, karate};
use pmivec::NoProgress;
use pmivec::cooccur::{CountConfig, count_graph};
use pmivec::factorize::{Svd, SvdConfig, dense_svd, randomized_svd, randomized_svd_symmetric};
use pmivec::pmi::{PmiConfig, pmi};
use pmivec::sparse::SparseMatrix;

fn reconstruction_error(a: &[f64], rows: usize, cols: usize, svd: &Svd) -> f64 {
    let k = svd.rank();
    let (u, s, v) = (svd.u(), svd.s(), svd.v());
    let mut err = 0.0;
    for i in 0..rows {
        for j in 0..cols {
            let approx: f64 = (0..k).map(|p| u[i * k + p] as f64 * s[p] * v[j * k + p] as f64).sum();
            err += (a[i * cols + j] - approx).powi(2);
        }
    }
    err.sqrt()
}

/// Largest |FᵀF − I| entry of a row-major factor with k columns.
fn orthonormality_error(f: &[f32], k: usize) -> f64 {
    let rows = f.len() / k;
    let mut worst = 0f64;
    for p in 0..k {
        for q in 0..k {
            let dot: f64 = (0..rows).map(|i| f[i * k + p] as f64 * f[i * k + q] as f64).sum();
            worst = worst.max((dot - if p == q { 1.0 } else { 0.0 }).abs());
        }
    }
    worst
}

/// The factors are f32: singular values to 1e-4 of σ₁, orthonormal to 1e-5,
/// and the reconstruction within 0.1 % of the Eckart–Young optimum.
fn check_against_dense(a: &SparseMatrix, k: usize, approx: &Svd) {
    let (rows, cols) = a.shape();
    let exact = dense_svd(a, rows.min(cols)).unwrap();
    for i in 0..k {
        let rel = (approx.s()[i] - exact.s()[i]).abs() / exact.s()[0];
        assert!(rel < 1e-4, "σ_{i}: {} vs {}", approx.s()[i], exact.s()[i]);
    }
    // Eckart–Young: the best rank-k error is the norm of the discarded singular values.
    let optimal: f64 = exact.s()[k..].iter().map(|s| s * s).sum::<f64>().sqrt();
    let got = reconstruction_error(&dense(a), rows, cols, approx);
    assert!(got <= optimal * 1.001 + 1e-5 * exact.s()[0], "reconstruction {got} vs optimal {optimal}");
    assert!(orthonormality_error(approx.u(), k) < 1e-5);
    assert!(orthonormality_error(approx.v(), k) < 1e-5);
}

fn check(a: &SparseMatrix, k: usize) {
    let approx = randomized_svd(a, k, &SvdConfig { oversample: 10, power_iters: 4, seed: 3 }).unwrap();
    check_against_dense(a, k, &approx);
}

#[test]
fn randomized_svd_matches_dense_on_a_pmi_matrix() {
    let co = count_graph(
        &karate(),
        &CountConfig { window: 5, windows: 50.0 * 20.0 * 34.0, min_count: 1, seed: 1, ..Default::default() },
        &NoProgress,
    );
    let m = pmi(&co, &PmiConfig { neg: 1.0, cds: 0.75 });
    check(&m, 8);
}

#[test]
fn randomized_svd_matches_dense_on_a_rectangular_matrix() {
    // A seeded sparse 60 × 45 matrix with a decaying spectrum: Σ_k 2^-k x_k y_kᵀ, sparsified.
    let (rows, cols) = (60, 45);
    let mut indptr = vec![0];
    let mut indices = Vec::new();
    let mut values = Vec::new();
    let mut state = 7u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let xs: Vec<Vec<f64>> = (0..6).map(|_| (0..rows + cols).map(|_| next()).collect()).collect();
    for i in 0..rows {
        for j in 0..cols {
            if (i * 7 + j * 3) % 4 == 0 {
                continue; // sparsity pattern
            }
            let v: f64 = (0..6).map(|k| 0.5f64.powi(k as i32) * xs[k][i] * xs[k][rows + j]).sum();
            indices.push(j as u32);
            values.push(v as f32);
        }
        indptr.push(indices.len());
    }
    check(&SparseMatrix::from_csr((rows, cols), indptr, indices, values), 5);
}

#[test]
fn the_one_sided_svd_of_a_symmetric_matrix_matches_dense() {
    // An undirected graph's NetMF matrix (α = 1) is symmetric, and indefinite
    // once truncated: the one-sided path must rank eigenvalues by |λ|.
    let co = count_graph(
        &karate(),
        &CountConfig { window: 5, windows: 50.0 * 20.0 * 34.0, min_count: 1, seed: 1, ..Default::default() },
        &NoProgress,
    );
    let m = pmi(&co, &PmiConfig { neg: 1.0, cds: 1.0 });
    assert!(m.is_symmetric());
    let approx = randomized_svd_symmetric(&m, 8, &SvdConfig { oversample: 10, power_iters: 4, seed: 3 }).unwrap();
    check_against_dense(&m, 8, &approx);
}
