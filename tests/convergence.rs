//! The sampled matrix converges to the closed-form NetMF matrix
//! vol(G)/(bT)·(Σ_{r=1..T} P^r)·D⁻¹ as the number of walks grows.
//!
//! Tolerances: the estimate of an entry is a sum of visit counts, so its
//! relative error falls as 1/√(samples). On karate (34 nodes) with 2000
//! DeepWalk walks per node of length 10 each entry gets thousands of samples,
//! and the relative Frobenius error of the ratio matrix lands near 1%; we
//! allow 3%, and require the error to shrink by at least 5× from 20 to 2000
//! walks (√100 = 10× in expectation). Distance 1 is taken in expectation, so
//! T = 1 is exact at any budget.

mod common;

use common::{dense, karate, karate_weighted, rel_frobenius};
use pmivec::cooccur::{CountConfig, count_graph};
use pmivec::netmf::{netmf_exact, netmf_ratio};
use pmivec::pmi::{PmiConfig, pmi};
use pmivec::{Graph, NoProgress};

fn sampled_ratio(g: &Graph, window: usize, walks: f64) -> Vec<f64> {
    let cfg = CountConfig {
        window,
        windows: walks * 10.0 * g.node_count() as f64,
        min_count: 1,
        seed: 11,
        ..Default::default()
    };
    let co = count_graph(g, &cfg, &NoProgress);
    let n = g.node_count();
    let counts = dense(&co.counts);
    let mut out = vec![0f64; n * n];
    for w in 0..n {
        for c in 0..n {
            out[w * n + c] = counts[w * n + c] * co.total / (co.row_totals[w] * co.col_totals[c]);
        }
    }
    out
}

fn check_convergence(g: &Graph, window: usize) {
    let exact = netmf_ratio(g, window).unwrap();
    if window == 1 {
        // The first step is taken in expectation: nothing is left to sample.
        let err = rel_frobenius(&sampled_ratio(g, 1, 1.0), &exact);
        assert!(err < 1e-6, "T=1 must be exact, error {err}");
        return;
    }
    let coarse = rel_frobenius(&sampled_ratio(g, window, 20.0), &exact);
    let fine = rel_frobenius(&sampled_ratio(g, window, 2000.0), &exact);
    assert!(fine < 0.03, "T={window}: error {fine} with 2000 walks per node");
    assert!(fine < coarse / 5.0, "T={window}: error {coarse} -> {fine} did not shrink like 1/sqrt(walks)");
}

#[test]
fn sampled_ratio_matrix_converges_to_netmf_on_karate() {
    for window in [1, 3, 10] {
        check_convergence(&karate(), window);
    }
}

#[test]
fn sampled_ratio_matrix_converges_to_weighted_netmf() {
    for window in [1, 5] {
        check_convergence(&karate_weighted(), window);
    }
}

#[test]
fn sampled_pmi_matrix_converges_to_the_truncated_log() {
    let g = karate();
    let co = count_graph(
        &g,
        &CountConfig { window: 5, windows: 2000.0 * 10.0 * 34.0, min_count: 1, seed: 5, ..Default::default() },
        &NoProgress,
    );
    let sampled = dense(&pmi(&co, &PmiConfig { neg: 1.0, cds: 1.0 }));
    let exact = dense(&netmf_exact(&g, 5, 1.0).unwrap());
    let err = rel_frobenius(&sampled, &exact);
    assert!(err < 0.05, "log-truncated matrices differ by {err}");
}

#[test]
fn exact_netmf_rows_of_the_ratio_sum_to_vol_over_degree() {
    // Σ_c ratio[w,c]·d_c = vol/T·Σ_r Σ_c P^r[w,c] = vol: each row of P^r sums to 1.
    let g = karate();
    let n = g.node_count();
    let r = netmf_ratio(&g, 4).unwrap();
    for w in 0..n {
        let s: f64 = (0..n).map(|c| r[w * n + c] * g.degrees()[c]).sum();
        assert!((s - g.volume()).abs() < 1e-4 * g.volume(), "row {w}: {s}");
    }
}

#[test]
fn sampled_and_exact_embeddings_span_the_same_subspace() {
    use pmivec::factorize::{SvdConfig, randomized_svd};
    let g = karate();
    let co = count_graph(
        &g,
        &CountConfig { window: 5, windows: 2000.0 * 10.0 * 34.0, min_count: 1, seed: 2, ..Default::default() },
        &NoProgress,
    );
    let k = 4;
    let sampled = randomized_svd(&pmi(&co, &PmiConfig { neg: 1.0, cds: 1.0 }), k, &SvdConfig::default()).unwrap();
    let exact = randomized_svd(&netmf_exact(&g, 5, 1.0).unwrap(), k, &SvdConfig::default()).unwrap();
    // ‖U_sᵀ U_e‖_F² / k = mean squared cosine of the principal angles (1 = same subspace).
    let n = g.node_count();
    let mut overlap = 0.0;
    for a in 0..k {
        for b in 0..k {
            let dot: f64 = (0..n).map(|i| sampled.u()[i * k + a] as f64 * exact.u()[i * k + b] as f64).sum();
            overlap += dot * dot;
        }
    }
    overlap /= k as f64;
    assert!(overlap > 0.97, "subspace overlap {overlap}");
    for i in 0..k {
        let (a, b) = (sampled.s()[i], exact.s()[i]);
        assert!((a - b).abs() < 0.03 * exact.s()[0], "σ_{i}: {a} vs {b}");
    }
}
