//! Helpers shared by the integration tests.
#![allow(dead_code)]

use pmivec::{EdgeListFormat, Graph};

pub fn karate() -> Graph {
    Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default()).unwrap()
}

pub fn karate_weighted() -> Graph {
    Graph::from_edge_list_path("graphs/karate/weighted_edges.tsv", &EdgeListFormat::default().weighted(true)).unwrap()
}

/// A seeded random graph: a ring (so it is connected) plus `extra` random edges.
pub fn random_graph(n: u32, extra: u32, seed: u64) -> Graph {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let mut edges: Vec<(u32, u32, f64)> = (0..n).map(|i| (i, (i + 1) % n, 1.0)).collect();
    for _ in 0..extra {
        // Preferential-ish: square a uniform draw to make low ids hubs.
        let a = next() % n;
        let b = ((next() % n) as u64 * (next() % n) as u64 / n as u64) as u32;
        edges.push((a, b, 1.0));
    }
    Graph::from_edges((0..n).map(|i| format!("v{i}")).collect(), edges, false, false).unwrap()
}

/// Dense copy of a sparse matrix, row-major f64.
pub fn dense(m: &pmivec::sparse::SparseMatrix) -> Vec<f64> {
    m.to_dense()
}

/// ‖a − b‖_F / ‖b‖_F.
pub fn rel_frobenius(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}
