//! Stage 5½: how far the signal of a graph reaches, read from the graph
//! itself (no labels) — the evidence behind `auto`'s choice of window and
//! propagation.
//!
//! Propagation and long windows smooth a node's vector over its
//! neighbourhood; they help when a node resembles the nodes two steps away
//! (communities), and blur when it resembles only its direct contexts
//! (word co-occurrence graphs, where an adverb's neighbours are verbs and
//! its two-step neighbours mostly hubs). The probe measures exactly that on
//! the unpropagated first-order embedding (ProNE's first stage, α = 0.75):
//! the mean cosine c₁ between a node and a random neighbour, c₂ between a
//! node and a random two-step neighbour, c₀ between random pairs, and
//! **reach = (c₂ − c₀) / (|c₁ − c₀| + |c₂ − c₀|)**: the second step's share
//! of the resemblance of a node's neighbourhood (in [−1, 1]; a hub-and-spoke
//! graph such as karate has c₁ < c₀ and c₂ ≫ c₀: reach near 1). Measured on
//! 13 labelled graphs at d = 32, 128 and 256 (the README's table): every
//! word co-occurrence graph ≤ 0.20, every social, citation, e-mail and
//! planted-community graph ≥ 0.33 — and the first kind classifies best with
//! the first-order matrix unpropagated, the second with propagation.
//! [`SMOOTH_FROM`] sits between; [`MIN_RESEMBLANCE`] keeps a graph whose
//! neighbours barely resemble each other from reading as smooth by noise.
//!
//! Steps are uniform over neighbours, whatever the weights: weighted steps
//! measured a narrower gap (a window-5 word graph rose to 0.46). The draws
//! come from [`crate::seed::Stream::Probe`] and the sums run in one fixed
//! order, so the choice is the same for any thread count.

use crate::config::{EmbedConfig, Estimator};
use crate::graph::Graph;
use crate::precision::Elem;
use crate::seed::{Stream, rng};
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// Pairs of each kind the probe draws: the reach's standard error is below
/// 0.01 on every graph measured, and 150,000 dot products cost milliseconds.
pub const SAMPLES: usize = 50_000;

/// Reach from which a graph counts as smooth (propagate, keep the window);
/// below it, local (first-order matrix, no propagation).
pub const SMOOTH_FROM: f64 = 0.3;

/// Least two-step resemblance c₂ − c₀ of a smooth graph: the reach is a
/// ratio, and on a graph whose neighbours barely resemble each other (the
/// KJV word graph: c₁ − c₀ = 0.003) it is noise. Measured: word graphs
/// ≤ 0.004, every other graph ≥ 0.034 (d = 32 to 256).
pub const MIN_RESEMBLANCE: f64 = 0.01;

/// Power iterations of a probe that runs beside the first stage (small
/// graphs, where the windows follow): the choice was the same as at 8 on
/// every graph measured, at a third of the SVD's cost. A probe that is the
/// run's own first stage (large graphs) uses the run's.
pub const PROBE_POWER_ITERS: usize = 2;

/// The probe's measurements.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Locality {
    /// Mean cosine of a node and a uniform neighbour (c₁).
    pub one_step: f64,
    /// Mean cosine of a node and a uniform neighbour of a uniform neighbour,
    /// itself excluded (c₂).
    pub two_steps: f64,
    /// Mean cosine of two uniform distinct nodes (c₀).
    pub random: f64,
}

impl Locality {
    /// (c₂ − c₀) / (|c₁ − c₀| + |c₂ − c₀|); 0 when neither step is more or
    /// less alike than random pairs.
    pub fn reach(&self) -> f64 {
        let (one, two) = (self.one_step - self.random, self.two_steps - self.random);
        let total = one.abs() + two.abs();
        if total > 0.0 { two / total } else { 0.0 }
    }

    /// Whether the signal reaches two steps: a reach of at least
    /// [`SMOOTH_FROM`] and a two-step resemblance of at least
    /// [`MIN_RESEMBLANCE`].
    pub fn smooth(&self) -> bool {
        self.reach() >= SMOOTH_FROM && self.two_steps - self.random >= MIN_RESEMBLANCE
    }
}

/// Measure [`Locality`] of `graph` (read as undirected: its adjacency) on
/// the n × `dim` row-major vectors `x` with column `k` scaled by
/// `scale[k]` (U·Σ^½ from U, without a copy), drawing from `seed`. `None`
/// when the graph has fewer than three nodes or no two-step path.
pub fn probe<T: Elem>(graph: &Graph, x: &[T], scale: &[f32], seed: u64) -> Option<Locality> {
    let dim = scale.len();
    let n = graph.node_count();
    let (offsets, targets) = graph.csr();
    if n < 3 || targets.is_empty() {
        return None;
    }
    let mut a = vec![0f32; dim];
    let mut b = vec![0f32; dim];
    let mut cosine = |i: u32, j: u32| {
        T::load_any(&x[i as usize * dim..(i as usize + 1) * dim], &mut a);
        T::load_any(&x[j as usize * dim..(j as usize + 1) * dim], &mut b);
        let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
        for ((&p, &q), &w) in a.iter().zip(&b).zip(scale) {
            let (p, q) = (p * w, q * w);
            ab += f64::from(p) * f64::from(q);
            aa += f64::from(p) * f64::from(p);
            bb += f64::from(q) * f64::from(q);
        }
        if aa > 0.0 && bb > 0.0 { ab / (aa * bb).sqrt() } else { 0.0 }
    };
    let mut r = rng(seed, Stream::Probe, 0);
    let (mut one, mut two, mut random) = ((0f64, 0usize), (0f64, 0usize), 0f64);
    for _ in 0..SAMPLES {
        // A uniform adjacency entry: its row is a node drawn by degree.
        let e = below(r.next_u64(), targets.len());
        let src = (offsets.partition_point(|&o| o <= e) - 1) as u32;
        let mid = targets[e];
        if mid != src {
            one.0 += cosine(src, mid);
            one.1 += 1;
            let next = graph.neighbors(mid);
            let end = next[below(r.next_u64(), next.len())];
            if end != src && end != mid {
                two.0 += cosine(src, end);
                two.1 += 1;
            }
        }
        let i = below(r.next_u64(), n);
        let j = ((i + 1 + below(r.next_u64(), n - 1)) % n) as u32;
        let i = i as u32;
        random += cosine(i, j);
    }
    (one.1 > 0 && two.1 > 0).then(|| Locality {
        one_step: one.0 / one.1 as f64,
        two_steps: two.0 / two.1 as f64,
        random: random / SAMPLES as f64,
    })
}

/// Whether `auto` may switch the estimator of `config`: it is auto, and
/// nothing asks for walks (node2vec's p, q or a walk budget).
fn estimator_open(config: &EmbedConfig) -> bool {
    config.estimator == Estimator::Auto
        && config.p == 1.0
        && config.q == 1.0
        && config.budget == crate::config::Budget::Auto
}

/// Smallest dimension at which the probe is read: below it the first-order
/// vectors share one dominant direction (random pairs at cosine 0.38–0.52
/// on BlogCatalog at d = 4 and 8, above its neighbours), and the probe
/// misread BlogCatalog as local there; from 32 on it read all 13 graphs
/// right (the README's table).
pub const PROBE_MIN_DIM: usize = 32;

/// Whether auto leaves a choice open in `config` on `graph`: the graph is
/// undirected (a directed one is not propagated by default) and the
/// estimator or the propagation is auto.
pub fn open(graph: &Graph, config: &EmbedConfig) -> bool {
    !graph.is_directed()
        && config.estimator != Estimator::Exact
        && (config.propagation.passes.is_none() || estimator_open(config))
}

/// Whether a run of `config` on `graph` reads the graph's locality first:
/// a choice is [`open`] and the dimension is at least [`PROBE_MIN_DIM`].
pub fn wanted(graph: &Graph, config: &EmbedConfig) -> bool {
    open(graph, config) && config.factorize.dim >= PROBE_MIN_DIM
}

/// What the summary says when a choice is open but the dimension is too
/// small to read the locality.
pub(crate) fn too_small(dim: usize) -> String {
    format!("dimension {dim} is below {PROBE_MIN_DIM}, where the locality can be read: the defaults kept")
}

/// The probe's matrix: the first-order PMI at ProNE's α = 0.75, unshifted.
pub(crate) const PROBE_CDS: f64 = 0.75;

/// Whether the first stage of `config` with `estimator` is the probe's
/// matrix, so that the probe's factors are the run's.
pub(crate) fn is_probe_matrix(config: &EmbedConfig, estimator: Estimator) -> bool {
    estimator == Estimator::FirstOrder && config.cds.unwrap_or(PROBE_CDS) == PROBE_CDS && config.neg == 1.0
}

/// Whether the probe's factors may become the run's: the first stage that
/// `config` may end with (the first-order matrix when auto may switch to
/// it, else the plan's `estimator`) is the probe's matrix.
pub(crate) fn may_reuse(config: &EmbedConfig, estimator: Estimator) -> bool {
    is_probe_matrix(config, if estimator_open(config) { Estimator::FirstOrder } else { estimator })
}

/// `config` with what auto leaves open decided by `found` — the first-order
/// matrix and no propagation on a local graph, propagation on a smooth one —
/// and the reason, for the summary. Parameters given explicitly are kept.
pub fn choose(config: &EmbedConfig, found: Option<Locality>) -> (EmbedConfig, String) {
    let Some(found) = found else {
        return (config.clone(), "too few paths to read the graph's locality".into());
    };
    let reach = found.reach();
    let mut out = config.clone();
    if found.smooth() {
        let what = if config.propagation.passes.is_none() { "propagation kept" } else { "defaults kept" };
        return (out, format!("smooth graph (two-step reach {reach:.2} ≥ {SMOOTH_FROM}): {what}"));
    }
    let evidence = if reach >= SMOOTH_FROM {
        format!(
            "two steps away nodes are barely more alike than random pairs: {:.4} < {MIN_RESEMBLANCE}",
            found.two_steps - found.random
        )
    } else {
        format!("two-step reach {reach:.2} < {SMOOTH_FROM}")
    };
    let mut what = Vec::new();
    if estimator_open(config) {
        out.estimator = Estimator::FirstOrder;
        what.push("first-order matrix");
    }
    if config.propagation.passes.is_none() {
        out.propagation.passes = Some(0);
        what.push("no propagation");
    }
    (out, format!("local graph ({evidence}): {}", what.join(", ")))
}

/// A draw in 0..n from a uniform 64-bit word (multiply-shift: a bias of
/// at most n / 2⁶⁴).
fn below(word: u64, n: usize) -> usize {
    ((u128::from(word) * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(u32, u32)], n: u32) -> Graph {
        let names = (0..n).map(|i| i.to_string()).collect();
        Graph::from_edges(names, edges.iter().map(|&(a, b)| (a, b, 1.0)).collect::<Vec<_>>(), false, false).unwrap()
    }

    #[test]
    fn reach_tells_vectors_shared_two_steps_away_from_vectors_shared_by_neighbours_only() {
        // Two cliques of 6: neighbours and two-step neighbours are in the
        // same clique.
        let mut edges = Vec::new();
        for c in 0..2 {
            for i in 0..6 {
                for j in i + 1..6 {
                    edges.push((c * 6 + i, c * 6 + j));
                }
            }
        }
        edges.push((0, 6));
        let g = graph(&edges, 12);
        // Vectors: the clique's direction.
        let x: Vec<f32> = (0..12).flat_map(|i| if i < 6 { [1.0, 0.0] } else { [0.0, 1.0] }).collect();
        let l = probe(&g, &x, &[1.0; 2], 1).unwrap();
        assert!(l.one_step > 0.8 && l.two_steps > 0.8 && l.random < 0.6, "{l:?}");
        assert!(l.smooth(), "{l:?}");

        // A path whose vectors alternate with period 4 (0, 1, 2, 3 → e₀, e₁,
        // −e₀, −e₁): a node is alike to nothing two steps away.
        let path: Vec<(u32, u32)> = (0..39).map(|i| (i, i + 1)).collect();
        let g = graph(&path, 40);
        let dirs = [[1.0, 0.3], [0.3, 1.0], [-1.0, -0.3], [-0.3, -1.0]];
        let x: Vec<f32> = (0..40).flat_map(|i| dirs[i % 4]).collect();
        let l = probe(&g, &x, &[1.0; 2], 1).unwrap();
        assert!(l.reach() < SMOOTH_FROM, "{l:?}");
    }

    #[test]
    fn the_choice_fills_in_only_what_is_auto() {
        let local = Some(Locality { one_step: 0.1, two_steps: 0.05, random: 0.04 });
        let smooth = Some(Locality { one_step: 0.1, two_steps: 0.09, random: 0.04 });
        let base = EmbedConfig::default();
        let (c, why) = choose(&base, local);
        assert_eq!((c.estimator, c.propagation.passes), (Estimator::FirstOrder, Some(0)), "{why}");
        assert!(why.contains("local graph (two-step reach 0.14 < 0.3)"), "{why}");
        assert_eq!(choose(&base, smooth).0, base);
        assert_eq!(choose(&base, None).0, base);
        // A high reach of a tiny resemblance is noise.
        let faint = Some(Locality { one_step: 0.0406, two_steps: 0.0404, random: 0.04 });
        let (c, why) = choose(&base, faint);
        assert_eq!(c.propagation.passes, Some(0), "{why}");
        assert!(why.contains("barely more alike"), "{why}");
        // What was set stays.
        let set = base.clone().estimator(Estimator::Windows);
        assert_eq!(choose(&set, local).0.estimator, Estimator::Windows);
        let set = base.clone().p(0.5);
        assert_eq!(choose(&set, local).0.estimator, Estimator::Auto);
        let mut set = base.clone();
        set.propagation.passes = Some(3);
        assert_eq!(choose(&set, local).0.propagation.passes, Some(3));
        assert!(!wanted(&graph(&[(0, 1), (1, 2)], 3), &set.clone().estimator(Estimator::Windows)));
        assert!(wanted(&graph(&[(0, 1), (1, 2)], 3), &base));
        assert!(!wanted(&graph(&[(0, 1), (1, 2)], 3), &base.clone().dim(16)));
        assert!(!wanted(&graph(&[(0, 1), (1, 2)], 3), &base.clone().dim(16)));
        assert!(is_probe_matrix(&base, Estimator::FirstOrder));
        assert!(!is_probe_matrix(&base.clone().cds(Some(1.0)), Estimator::FirstOrder));
    }

    #[test]
    fn the_probe_is_a_function_of_the_seed() {
        let path: Vec<(u32, u32)> = (0..99).map(|i| (i, i + 1)).collect();
        let g = graph(&path, 100);
        let x: Vec<f32> = (0..100 * 3).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
        assert_eq!(probe(&g, &x, &[1.0, 0.5, 2.0], 7), probe(&g, &x, &[1.0, 0.5, 2.0], 7));
        assert_ne!(probe(&g, &x, &[1.0, 0.5, 2.0], 7), probe(&g, &x, &[1.0, 0.5, 2.0], 8));
        let half: Vec<half::f16> = crate::precision::from_f32(&x);
        assert!(probe(&g, &half, &[1.0, 0.5, 2.0], 7).is_some());
        assert_eq!(probe(&graph(&[(0, 1)], 2), &x[..6], &[1.0; 3], 7), None);
    }
}
