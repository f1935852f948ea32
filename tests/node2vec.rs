//! node2vec walks follow the exact second-order transition probabilities
//! π(x | t, v) ∝ w(v, x)·α(t, x), α = 1/p (x = t), 1 (x ~ t), 1/q (otherwise),
//! on unweighted and weighted graphs.
//!
//! Chi-square goodness of fit over every (t, v) → x transition whose cells all
//! expect at least 5 visits, against the 99.9% quantile (Wilson–Hilferty).

mod common;

use common::{karate, karate_weighted};
use pmivec::Graph;
use pmivec::walk::{node2vec_walk_into, walk_rng};
use std::collections::HashMap;

fn exact(g: &Graph, t: u32, v: u32, p: f64, q: f64) -> Vec<f64> {
    let nb = g.neighbors(v);
    let w: Vec<f64> = match g.neighbor_weights(v) {
        Some(w) => w.iter().map(|&x| x as f64).collect(),
        None => vec![1.0; nb.len()],
    };
    let un: Vec<f64> = nb
        .iter()
        .zip(&w)
        .map(|(&x, &wx)| {
            wx * if x == t {
                1.0 / p
            } else if g.has_edge(t, x) {
                1.0
            } else {
                1.0 / q
            }
        })
        .collect();
    let z: f64 = un.iter().sum();
    un.iter().map(|u| u / z).collect()
}

fn chi_square(g: &Graph, p: f64, q: f64, walks: u64) -> (f64, f64, usize) {
    let mut seen: HashMap<(u32, u32, u32), u64> = HashMap::new();
    let mut buf = Vec::new();
    for s in 0..g.node_count() as u32 {
        for k in 0..walks {
            node2vec_walk_into(g, s, 30, p, q, &mut walk_rng(17, s, k), &mut buf);
            for w in buf.windows(3) {
                *seen.entry((w[0], w[1], w[2])).or_default() += 1;
            }
        }
    }
    let mut totals: HashMap<(u32, u32), u64> = HashMap::new();
    for (&(t, v, _), &c) in &seen {
        *totals.entry((t, v)).or_default() += c;
    }
    let (mut chi2, mut df, mut groups) = (0.0, 0.0, 0);
    for (&(t, v), &total) in &totals {
        let probs = exact(g, t, v, p, q);
        if probs.iter().any(|&pr| pr * (total as f64) < 5.0) {
            continue;
        }
        groups += 1;
        for (&x, &pr) in g.neighbors(v).iter().zip(&probs) {
            let e = pr * total as f64;
            let o = *seen.get(&(t, v, x)).unwrap_or(&0) as f64;
            chi2 += (o - e).powi(2) / e;
        }
        df += (probs.len() - 1) as f64;
    }
    let z = 3.09;
    let crit = df * (1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt()).powi(3);
    (chi2, crit, groups)
}

#[test]
fn unweighted_node2vec_matches_the_exact_second_order_probabilities() {
    for (p, q) in [(0.5, 2.0), (4.0, 0.25), (0.25, 0.25)] {
        let (chi2, crit, groups) = chi_square(&karate(), p, q, 1500);
        assert!(groups > 100, "too few testable (t, v) pairs: {groups}");
        assert!(chi2 < crit, "p={p} q={q}: chi2 {chi2} >= {crit}");
    }
}

#[test]
fn extreme_biases_keep_the_exact_probabilities_where_rejection_gives_up() {
    // Acceptance ~1 % for nodes whose neighbours are all far from (or near
    // to) the previous node: most such steps fall back to the exact scan.
    for (p, q) in [(0.01, 100.0), (100.0, 0.01)] {
        let (chi2, crit, groups) = chi_square(&karate(), p, q, 1500);
        assert!(groups > 25, "too few testable (t, v) pairs: {groups}");
        assert!(chi2 < crit, "p={p} q={q}: chi2 {chi2} >= {crit}");
    }
}

#[test]
fn absurd_biases_finish_and_follow_the_dominant_move() {
    // q = 1e-300: every step goes outward when it can (rejection alone would
    // loop forever on a node whose neighbours all touch the previous one).
    let g = karate();
    let mut buf = Vec::new();
    let (mut outward, mut possible) = (0, 0);
    for s in 0..g.node_count() as u32 {
        node2vec_walk_into(&g, s, 40, 1.0, 1e-300, &mut walk_rng(3, s, 0), &mut buf);
        assert_eq!(buf.len(), 41);
        for w in buf.windows(3) {
            let (t, v, x) = (w[0], w[1], w[2]);
            if g.neighbors(v).iter().any(|&y| y != t && !g.has_edge(t, y)) {
                possible += 1;
                outward += usize::from(x != t && !g.has_edge(t, x));
            }
        }
    }
    assert!(possible > 500);
    assert_eq!(outward, possible, "with q = 1e-300 an outward move always exists and wins");
}

#[test]
fn weighted_node2vec_matches_the_exact_second_order_probabilities() {
    let (chi2, crit, groups) = chi_square(&karate_weighted(), 0.5, 2.0, 1500);
    assert!(groups > 100, "too few testable (t, v) pairs: {groups}");
    assert!(chi2 < crit, "chi2 {chi2} >= {crit}");
}

#[test]
fn the_test_rejects_first_order_walks_when_p_and_q_matter() {
    // Walks drawn with p = q = 1 judged against p = 0.25, q = 4: must fail.
    let g = karate();
    let mut seen: HashMap<(u32, u32, u32), u64> = HashMap::new();
    let mut buf = Vec::new();
    for s in 0..g.node_count() as u32 {
        for k in 0..500 {
            node2vec_walk_into(&g, s, 30, 1.0, 1.0, &mut walk_rng(17, s, k), &mut buf);
            for w in buf.windows(3) {
                *seen.entry((w[0], w[1], w[2])).or_default() += 1;
            }
        }
    }
    let back: u64 = seen.iter().filter(|(k, _)| k.0 == k.2).map(|(_, c)| c).sum();
    let total: u64 = seen.values().sum();
    let mut expected_back = 0.0;
    let mut totals: HashMap<(u32, u32), u64> = HashMap::new();
    for (&(t, v, _), &c) in &seen {
        *totals.entry((t, v)).or_default() += c;
    }
    for (&(t, v), &c) in &totals {
        let probs = exact(&g, t, v, 0.25, 4.0);
        let i = g.neighbors(v).binary_search(&t).unwrap();
        expected_back += probs[i] * c as f64;
    }
    // With p = 0.25 stepping back is far likelier than in a first-order walk.
    assert!(expected_back > 2.0 * back as f64, "{expected_back} vs {back} of {total}");
}
