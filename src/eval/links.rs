//! Link prediction: hold out a seeded share of the edges without isolating
//! any node, embed the rest, and rank the held-out edges against as many
//! sampled non-edges by the similarity of their endpoints' vectors (left ·
//! left, or left · right on a directed graph: the source's role against the
//! target's). ROC-AUC and average precision as scikit-learn defines them.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::seed::{Stream, hash};
use serde::Serialize;

/// A graph with held-out edges and sampled non-edges.
#[derive(Clone, Debug)]
pub struct LinkSplit {
    /// The graph without the held-out edges (same nodes, same ids).
    pub train: Graph,
    /// Held-out edges (positives).
    pub test: Vec<(u32, u32)>,
    /// Node pairs that are not edges of the whole graph (negatives).
    pub negatives: Vec<(u32, u32)>,
}

/// Hold out `fraction` of the edges (self-loops stay), taking an edge only
/// while both its ends keep another edge, so no node is isolated; and
/// sample as many non-edges (distinct nodes, not adjacent in the whole
/// graph). Seeded.
///
/// # Errors
/// [`Error::InvalidConfig`] for a fraction outside (0, 1) or a graph too
/// small to hold any edge out.
pub fn split_edges(graph: &Graph, fraction: f64, seed: u64) -> Result<LinkSplit> {
    crate::params::check(fraction > 0.0 && fraction < 1.0, "test_fraction", "must be in (0, 1)")?;
    let n = graph.node_count() as u32;
    let directed = graph.is_directed();
    let mut edges = Vec::new();
    for u in 0..n {
        let w = graph.neighbor_weights(u);
        for (k, &v) in graph.neighbors(u).iter().enumerate() {
            if directed || u <= v {
                edges.push((u, v, w.map_or(1.0, |w| w[k] as f64)));
            }
        }
    }
    // Incident edges per node (in the edge list, so an undirected edge counts once per end).
    let mut degree = vec![0u32; n as usize];
    for &(u, v, _) in &edges {
        degree[u as usize] += 1;
        if v != u {
            degree[v as usize] += 1;
        }
    }
    let order = crate::eval::nodes::permutation(edges.len(), seed, 0x11);
    let want = (fraction * edges.len() as f64).round() as usize;
    let mut held = vec![false; edges.len()];
    let mut test = Vec::with_capacity(want);
    for &e in &order {
        if test.len() == want {
            break;
        }
        let (u, v, _) = edges[e];
        if u != v && degree[u as usize] > 1 && degree[v as usize] > 1 {
            degree[u as usize] -= 1;
            degree[v as usize] -= 1;
            held[e] = true;
            test.push((u, v));
        }
    }
    if test.is_empty() {
        return Err(Error::invalid("test_fraction", "no edge can be held out without isolating a node"));
    }
    let kept = edges.iter().zip(&held).filter(|(_, h)| !**h).map(|(e, _)| *e);
    let train = Graph::from_edges(graph.labels().to_vec(), kept, graph.is_weighted(), directed)?;
    let mut negatives = Vec::with_capacity(test.len());
    let mut k = 0u64;
    while negatives.len() < test.len() && k < 1000 * test.len() as u64 + 1000 {
        let h = hash(seed, Stream::Shuffle, 0x22 << 40 | k);
        k += 1;
        let (u, v) = ((h % n as u64) as u32, ((h >> 32) % n as u64) as u32);
        let adjacent = graph.has_edge(u, v) || (!directed && graph.has_edge(v, u));
        if u != v && !adjacent {
            negatives.push((u, v));
        }
    }
    if negatives.is_empty() {
        return Err(Error::Empty {
            path: None,
            what: "no node pair outside the graph's edges was found (a complete graph?): \
                   link prediction has nothing to tell the held-out edges from"
                .into(),
        });
    }
    Ok(LinkSplit { train, test, negatives })
}

/// Link-prediction scores.
#[derive(Clone, Debug, Serialize)]
pub struct LinkScores {
    /// Held-out edges.
    pub positives: usize,
    /// Sampled non-edges.
    pub negatives: usize,
    /// ROC-AUC by inner product.
    pub auc_dot: f64,
    /// Average precision by inner product.
    pub ap_dot: f64,
    /// ROC-AUC by cosine.
    pub auc_cos: f64,
    /// Average precision by cosine.
    pub ap_cos: f64,
}

/// Score the split's pairs with `emb` (an embedding of `split.train`).
/// Directed graphs compare the source's left vector with the target's
/// right one, which the embedding must then hold.
///
/// # Panics
/// If a directed split is scored with embeddings without a right side.
pub fn score_links(emb: &Embeddings, directed: bool, split: &LinkSplit) -> LinkScores {
    let d = emb.dim();
    let (left, right) = (emb.matrix(Side::Left), emb.matrix(if directed { Side::Right } else { Side::Left }));
    let row =
        |m: &[f32], i: u32| -> Vec<f64> { m[i as usize * d..(i as usize + 1) * d].iter().map(|&x| x as f64).collect() };
    let score = |(u, v): (u32, u32)| {
        let (a, b) = (row(&left, u), row(&right, v));
        let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let norms = (a.iter().map(|x| x * x).sum::<f64>() * b.iter().map(|x| x * x).sum::<f64>()).sqrt();
        (dot, if norms > 0.0 { dot / norms } else { 0.0 })
    };
    let pos: Vec<(f64, f64)> = split.test.iter().map(|&p| score(p)).collect();
    let neg: Vec<(f64, f64)> = split.negatives.iter().map(|&p| score(p)).collect();
    let pick = |v: &[(f64, f64)], cos: bool| -> Vec<f64> { v.iter().map(|s| if cos { s.1 } else { s.0 }).collect() };
    LinkScores {
        positives: pos.len(),
        negatives: neg.len(),
        auc_dot: roc_auc(&pick(&pos, false), &pick(&neg, false)),
        ap_dot: average_precision(&pick(&pos, false), &pick(&neg, false)),
        auc_cos: roc_auc(&pick(&pos, true), &pick(&neg, true)),
        ap_cos: average_precision(&pick(&pos, true), &pick(&neg, true)),
    }
}

/// Area under the ROC curve: the chance that a positive outscores a
/// negative, ties counting half (Mann–Whitney with average ranks).
pub fn roc_auc(pos: &[f64], neg: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = pos.iter().map(|&s| (s, true)).chain(neg.iter().map(|&s| (s, false))).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0; // ranks i+1 ..= j
        rank_sum += avg * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (p, n) = (pos.len() as f64, neg.len() as f64);
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

/// Average precision: Σ_k (R_k − R_{k−1})·P_k over decreasing score
/// thresholds (tied scores form one threshold), as scikit-learn computes it.
pub fn average_precision(pos: &[f64], neg: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = pos.iter().map(|&s| (s, true)).chain(neg.iter().map(|&s| (s, false))).collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut seen, mut ap, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            tp += all[j].1 as u8 as f64;
            seen += 1.0;
            j += 1;
        }
        let recall = tp / pos.len() as f64;
        ap += (recall - last_recall) * tp / seen;
        last_recall = recall;
        i = j;
    }
    ap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_ap_match_hand_computed_values() {
        assert_eq!(roc_auc(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(roc_auc(&[1.0], &[1.0]), 0.5);
        // scikit-learn: average_precision_score([1,0,1,0], [0.9,0.8,0.7,0.1]) = 0.8333…
        assert!((average_precision(&[0.9, 0.7], &[0.8, 0.1]) - 5.0 / 6.0).abs() < 1e-12);
        assert!((roc_auc(&[0.9, 0.7], &[0.8, 0.1]) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_complete_graph_has_no_negatives_and_is_refused() {
        let labels = (0..12).map(|i| i.to_string()).collect();
        let edges = (0..12u32).flat_map(|i| (i + 1..12).map(move |j| (i, j, 1.0)));
        let g = Graph::from_edges(labels, edges, false, false).unwrap();
        let e = split_edges(&g, 0.1, 1).expect_err("refused").to_string();
        assert!(e.contains("complete graph"), "{e}");
    }

    #[test]
    fn the_split_isolates_no_node_and_negatives_are_non_edges() {
        let g = Graph::from_edge_list_path("graphs/karate/edges.tsv", &Default::default()).unwrap();
        let s = split_edges(&g, 0.3, 4).unwrap();
        assert!(!s.test.is_empty() && s.test.len() == s.negatives.len());
        for u in 0..g.node_count() as u32 {
            assert!(!s.train.neighbors(u).is_empty(), "node {u} isolated");
        }
        for &(u, v) in &s.test {
            assert!(g.has_edge(u, v) && !s.train.has_edge(u, v));
        }
        for &(u, v) in &s.negatives {
            assert!(u != v && !g.has_edge(u, v));
        }
        assert_eq!(s.train.adjacency_len() + 2 * s.test.len(), g.adjacency_len());
    }
}
