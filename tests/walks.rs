//! Walks follow the transition probabilities P = D⁻¹A (weighted or not).
//!
//! A chi-square goodness-of-fit test over every (u → v) transition seen in a
//! seeded batch of walks, against P[u, v]; the critical value is the 99.9%
//! quantile (Wilson–Hilferty), so a correct sampler passes with this seed and
//! a sampler biased by a few percent on any node does not.

mod common;

use common::{karate, karate_weighted, random_graph};
use pmivec::Graph;
use pmivec::walk::{walk_into, walk_rng};

/// The adjacency as CSR arrays, from the public neighbour lists.
fn csr(g: &Graph) -> (Vec<usize>, Vec<u32>) {
    let mut offsets = vec![0];
    let mut targets = Vec::new();
    for u in 0..g.node_count() as u32 {
        targets.extend_from_slice(g.neighbors(u));
        offsets.push(targets.len());
    }
    (offsets, targets)
}

fn chi_square_of_transitions(g: &Graph, walks_per_node: u64, length: usize) -> (f64, f64) {
    let n = g.node_count();
    let (offsets, targets) = csr(g);
    let mut seen = vec![0u64; targets.len()];
    let mut buf = Vec::new();
    for s in 0..n as u32 {
        for k in 0..walks_per_node {
            walk_into(g, s, length, &mut walk_rng(9, s, k), &mut buf);
            for w in buf.windows(2) {
                let row = &targets[offsets[w[0] as usize]..offsets[w[0] as usize + 1]];
                let pos = row.binary_search(&w[1]).expect("walk stepped along a non-edge");
                seen[offsets[w[0] as usize] + pos] += 1;
            }
        }
    }
    let mut chi2 = 0.0;
    let mut df = 0.0;
    for u in 0..n as u32 {
        let lo = offsets[u as usize];
        let total: u64 = seen[lo..offsets[u as usize + 1]].iter().sum();
        let weights: Vec<f64> = match g.neighbor_weights(u) {
            Some(w) => w.iter().map(|&x| x as f64).collect(),
            None => vec![1.0; g.neighbors(u).len()],
        };
        let d: f64 = weights.iter().sum();
        for (k, w) in weights.iter().enumerate() {
            let expected = total as f64 * w / d;
            chi2 += (seen[lo + k] as f64 - expected).powi(2) / expected;
        }
        df += (weights.len() - 1) as f64;
    }
    let z = 3.09; // 99.9% one-sided
    let crit = df * (1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt()).powi(3);
    (chi2, crit)
}

#[test]
fn unweighted_transitions_are_uniform_over_neighbours() {
    let (chi2, crit) = chi_square_of_transitions(&karate(), 300, 40);
    assert!(chi2 < crit, "chi2 {chi2} >= {crit}");
}

#[test]
fn weighted_transitions_are_proportional_to_weights() {
    let (chi2, crit) = chi_square_of_transitions(&karate_weighted(), 300, 40);
    assert!(chi2 < crit, "chi2 {chi2} >= {crit}");
}

#[test]
fn transitions_on_a_larger_graph_with_hubs() {
    let (chi2, crit) = chi_square_of_transitions(&random_graph(300, 1500, 4), 50, 40);
    assert!(chi2 < crit, "chi2 {chi2} >= {crit}");
}

#[test]
fn the_test_detects_a_biased_sampler() {
    // Feed the statistic weights the sampler does not use: it must exceed the critical value.
    let g = karate();
    let lines: Vec<String> = std::fs::read_to_string("graphs/karate/edges.tsv")
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l}\t{}", 1 + i % 3))
        .collect();
    let biased = Graph::from_edge_list_reader(
        lines.join("\n").as_bytes(),
        &pmivec::EdgeListFormat::default().weighted(true),
        None,
    )
    .unwrap();
    // Walk the unweighted graph but judge against the weighted probabilities.
    let n = g.node_count();
    assert_eq!(n, biased.node_count());
    let (offsets, targets) = csr(&g);
    let mut seen = vec![0u64; targets.len()];
    let mut buf = Vec::new();
    for s in 0..n as u32 {
        for k in 0..300 {
            walk_into(&g, s, 40, &mut walk_rng(9, s, k), &mut buf);
            for w in buf.windows(2) {
                let row = &targets[offsets[w[0] as usize]..offsets[w[0] as usize + 1]];
                seen[offsets[w[0] as usize] + row.binary_search(&w[1]).unwrap()] += 1;
            }
        }
    }
    let mut chi2 = 0.0;
    for u in 0..n as u32 {
        let lo = offsets[u as usize];
        let total: u64 = seen[lo..offsets[u as usize + 1]].iter().sum();
        let w = biased.neighbor_weights(u).unwrap();
        let d: f64 = w.iter().map(|&x| x as f64).sum();
        for (k, &x) in w.iter().enumerate() {
            let e = total as f64 * x as f64 / d;
            chi2 += (seen[lo + k] as f64 - e).powi(2) / e;
        }
    }
    assert!(chi2 > 1000.0, "a biased sampler went unnoticed: chi2 {chi2}");
}
