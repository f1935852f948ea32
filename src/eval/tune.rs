//! Pick the configuration for a graph: successive halving over the window
//! T, the eigenvalue weight, context smoothing and propagation, scored by
//! k-fold cross-validated Micro-F1 of node classification on the labelled
//! nodes given — and only those, so a held-out test set stays unseen.
//!
//! Every candidate is embedded and scored at a cheap rung (a quarter of the
//! walk budget, 2 folds); the best third goes on to half the budget (3
//! folds), and the best third of those to the full budget (44 → 15 → 5).

use super::nodes::{NodeLabels, permutation, score_split};
use crate::config::{AUTO_STEPS_PER_EDGE, Budget, EmbedConfig, Estimator};
use crate::embeddings::Side;
use crate::error::Result;
use crate::graph::Graph;
use crate::progress::NoProgress;
use crate::propagate::DEFAULT_PASSES;
use serde::Serialize;
use std::time::Instant;

/// One evaluated candidate.
#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    /// The candidate (with the base config's budget, as it would run).
    pub config: EmbedConfig,
    /// The last rung it reached (0, 1, 2).
    pub rung: usize,
    /// Mean cross-validated Micro-F1 at that rung.
    pub micro_f1: f64,
    /// Seconds of embedding and scoring at that rung.
    pub seconds: f64,
}

/// The candidates around `base`: windows with T ∈ {1, 2, 3, 5, 10} × eig
/// weight {0.5, 1} × context smoothing {1, 0.75} × propagation {on, off},
/// and the first-order matrix × eig weight × propagation: 44 in all. Each
/// is explicit (propagation 6 or none), so the locality probe leaves it as
/// it is.
pub fn candidates(base: &EmbedConfig) -> Vec<EmbedConfig> {
    let mut out = Vec::new();
    for eig in [0.5, 1.0] {
        for passes in [Some(DEFAULT_PASSES), Some(0)] {
            let mut c = base.clone().estimator(Estimator::FirstOrder);
            c.factorize.eig_weight = eig;
            c.propagation.passes = passes;
            out.push(c);
        }
    }
    for window in [1, 2, 3, 5, 10] {
        for eig in [0.5, 1.0] {
            for cds in [1.0, 0.75] {
                for passes in [Some(DEFAULT_PASSES), Some(0)] {
                    let mut c = base.clone().estimator(Estimator::Windows).window(window).cds(Some(cds));
                    c.factorize.eig_weight = eig;
                    c.propagation.passes = passes;
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Mean Micro-F1 over `folds` folds of the labelled nodes.
fn cv_micro(graph: &Graph, labels: &NodeLabels, config: &EmbedConfig, folds: usize, seed: u64) -> Result<f64> {
    let (emb, _) = crate::pipeline::embed(graph, config, &NoProgress)?;
    let d = emb.dim();
    let n = labels.nodes.len();
    let mut x = vec![0f32; n * d];
    for (i, node) in labels.nodes.iter().enumerate() {
        if let Some(r) = emb.position(node) {
            emb.row_into(r, Side::Left, &mut x[i * d..(i + 1) * d]);
        }
    }
    crate::factorize::normalize_rows(&mut x, d);
    let order = permutation(n, seed, 0x7);
    let mut total = 0.0;
    for f in 0..folds {
        let (test, train): (Vec<usize>, Vec<usize>) = order.iter().enumerate().map(|(k, &i)| (k % folds == f, i)).fold(
            (Vec::new(), Vec::new()),
            |(mut te, mut tr), (is_test, i)| {
                if is_test {
                    te.push(i)
                } else {
                    tr.push(i)
                }
                (te, tr)
            },
        );
        total += score_split(&x, d, labels, &train, &test, 1.0).0;
    }
    Ok(total / folds as f64)
}

/// Run the successive-halving search over [`candidates`] of `base`,
/// reporting each finished trial to `on_trial`. Returns every trial, best
/// first (the finalists, then the rest by their last score).
///
/// # Errors
/// Any embedding error of a candidate (an invalid base config, a dimension
/// too large for the graph).
pub fn tune(
    graph: &Graph,
    labels: &NodeLabels,
    base: &EmbedConfig,
    seed: u64,
    mut on_trial: impl FnMut(&Trial),
) -> Result<Vec<Trial>> {
    let full = match base.budget {
        Budget::StepsPerEdge(s) => s,
        _ => AUTO_STEPS_PER_EDGE,
    };
    let rungs = [(full / 4.0, 2), (full / 2.0, 3), (full, 3)];
    check_labels_meet_graph(graph, labels)?;
    let mut alive: Vec<EmbedConfig> = candidates(base);
    let mut done: Vec<Trial> = Vec::new();
    for (rung, &(steps, folds)) in rungs.iter().enumerate() {
        let mut scored = Vec::new();
        for config in alive {
            let t = Instant::now();
            let mut run = config.clone();
            if rung + 1 < rungs.len() || base.budget == Budget::Auto {
                run.budget = Budget::StepsPerEdge(steps);
            }
            let micro_f1 = cv_micro(graph, labels, &run, folds, seed)?;
            let trial = Trial { config, rung, micro_f1, seconds: t.elapsed().as_secs_f64() };
            on_trial(&trial);
            scored.push(trial);
        }
        scored.sort_by(|a, b| b.micro_f1.total_cmp(&a.micro_f1));
        let keep = if rung + 1 < rungs.len() { scored.len().div_ceil(3) } else { scored.len() };
        alive = scored[..keep].iter().map(|t| t.config.clone()).collect();
        let dropped: Vec<Trial> = scored.drain(keep..).collect();
        if rung + 1 == rungs.len() {
            done.splice(0..0, scored);
        }
        done.extend(dropped);
    }
    // Finalists first (best first), then the rest by rung, then by score.
    let finalists = done.iter().take_while(|t| t.rung == rungs.len() - 1).count();
    done[finalists..].sort_by(|a, b| b.rung.cmp(&a.rung).then(b.micro_f1.total_cmp(&a.micro_f1)));
    Ok(done)
}

/// Refuse labels that cannot score a trial: too few of them name a node
/// of the graph (a labels file of another graph would score every
/// candidate 0 and "pick" one), or they hold a single class.
fn check_labels_meet_graph(graph: &Graph, labels: &NodeLabels) -> Result<()> {
    let nodes: std::collections::HashSet<&str> = graph.labels().iter().map(String::as_str).collect();
    let mut classes = std::collections::HashSet::new();
    let mut found = 0;
    for (node, of) in labels.nodes.iter().zip(&labels.of) {
        if nodes.contains(node.as_str()) {
            found += 1;
            classes.extend(of.iter().copied());
        }
    }
    let reason = if found < MIN_LABELLED {
        let example = labels.nodes.first().map_or(String::new(), |n| format!(" (the first is `{n}`)"));
        format!(
            "only {found} of {} labelled nodes are nodes of the graph{example}; tuning needs at least \
             {MIN_LABELLED}: is this the labels file of this graph?",
            labels.nodes.len()
        )
    } else if classes.len() < 2 {
        format!("the {found} labelled nodes of the graph all have the same label; tuning needs two classes")
    } else {
        return Ok(());
    };
    Err(crate::error::Error::InvalidConfig { param: "labels", reason })
}

/// Fewest labelled graph nodes a tuning run accepts: three folds of at
/// least two nodes each.
const MIN_LABELLED: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    /// Two rings of cliques joined loosely: labels are the ring.
    fn two_communities() -> (Graph, NodeLabels) {
        let n = 120u32;
        let mut edges = Vec::new();
        for i in 0..n {
            let c = i / 60;
            for j in 1..4 {
                edges.push((i, c * 60 + (i % 60 + j) % 60, 1.0));
            }
        }
        edges.push((0, 60, 1.0));
        let names: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let g = Graph::from_edges(names.clone(), edges, false, false).unwrap();
        let labels = NodeLabels {
            nodes: names[..90].to_vec(), // the tuner sees 90 labelled nodes only
            labels: vec!["left".into(), "right".into()],
            of: (0..90).map(|i| vec![(i / 60) as u32]).collect(),
        };
        (g, labels)
    }

    #[test]
    fn halving_keeps_a_third_per_rung_and_ranks_finalists_first() {
        let (g, labels) = two_communities();
        let base = EmbedConfig::default().dim(4);
        let mut seen = 0;
        let trials = tune(&g, &labels, &base, 1, |_| seen += 1).unwrap();
        assert_eq!(trials.len(), 44);
        assert_eq!(seen, 44 + 15 + 5);
        assert!(trials[..5].iter().all(|t| t.rung == 2));
        assert!(trials[0].micro_f1 >= trials[4].micro_f1);
        assert!(trials[0].micro_f1 > 0.9, "{:?}", trials[0]);
    }
}
