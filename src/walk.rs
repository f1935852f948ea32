//! Stage 2: random walks, generated on the fly and never stored.
//!
//! DeepWalk's corpus is γ walks of length t from every node; with a window T
//! every position contributes the pairs of the T steps that follow it (and,
//! mirrored, the T that precede it). On an undirected graph a walk visits node
//! s in proportion to its degree, so such a corpus holds about
//! `γ·t·n·deg(s)/vol(G)` windows rooted at s. pmivec draws those windows
//! directly: [`windows_per_node`] walks of T steps from each s, each walk's RNG
//! seeded from (seed, s, walk index). The pair counts then have the corpus's
//! expectation, each row can be counted by one thread with no shared table,
//! and the output does not depend on the thread count.
//!
//! node2vec walks (return parameter p, in-out parameter q) are second-order:
//! from `cur`, having come from `prev`, the next node x is drawn with
//! unnormalized weight w(cur, x)·α(prev, x), α = 1/p if x = prev, 1 if x is a
//! neighbour of prev, 1/q otherwise. They are sampled by rejection
//! (KnightKing, SOSP 2019): propose x from the first-order alias table,
//! accept with probability α / max(1/p, 1, 1/q). Memory stays O(edges): no
//! per-edge second-order tables (their Σ deg² size is what exhausts memory in
//! the reference implementation). A rooted node2vec window starts with a
//! virtual previous node, a neighbour of s drawn by weight, so that its first
//! step is already second-order, like a window in the middle of a long walk.

use crate::graph::Graph;
use rand::{Rng, SeedableRng};

/// The RNG type of every walk.
pub type WalkRng = crate::seed::Rng;

/// The RNG of walk number `index` from node `start`: a pure function of
/// `(seed, start, index)`, so any thread may run any walk. (Public for the
/// statistical tests of single walks.)
#[doc(hidden)]
#[inline]
pub fn walk_rng(seed: u64, start: u32, index: u64) -> WalkRng {
    WalkRng::seed_from_u64(crate::seed::mix(crate::seed::hash(seed, crate::seed::Stream::Walk, start as u64), index))
}

/// A first-order (DeepWalk) walk of up to `steps` steps from `start`, written
/// to `out` as `[start, w1, …]`. Each step picks a neighbour with probability
/// proportional to the edge weight; the walk stops early at a node without
/// out-edges (only possible on directed graphs or isolated nodes). The
/// reference single walk the tests check [`Walker::rooted`] against.
#[doc(hidden)]
pub fn walk_into(graph: &Graph, start: u32, steps: usize, rng: &mut WalkRng, out: &mut Vec<u32>) {
    out.clear();
    out.push(start);
    let weighted = graph.is_weighted();
    let mut u = start;
    for _ in 0..steps {
        match first_order_step(graph, u, weighted, rng) {
            Some(v) => {
                out.push(v);
                u = v;
            }
            None => break,
        }
    }
}

/// Which random walk drives the sampling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WalkKind {
    /// First-order: next node ∝ edge weight (DeepWalk).
    DeepWalk,
    /// Second-order node2vec walk with return parameter p and in-out parameter q.
    Node2vec {
        /// Return parameter p (weight 1/p to step back).
        p: f64,
        /// In-out parameter q (weight 1/q to move away).
        q: f64,
    },
}

impl WalkKind {
    /// node2vec with p = q = 1 is DeepWalk: take the first-order fast path then.
    pub fn from_pq(p: f64, q: f64) -> Self {
        if p == 1.0 && q == 1.0 { WalkKind::DeepWalk } else { WalkKind::Node2vec { p, q } }
    }

    /// A name for reports and benchmarks.
    pub fn name(&self) -> &'static str {
        match self {
            WalkKind::DeepWalk => "first-order",
            WalkKind::Node2vec { .. } => "node2vec-rejection",
        }
    }
}

#[inline]
fn uniform_f32(rng: &mut WalkRng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// node2vec's acceptance test parameters: 1/p, 1/q and the bounds min and
/// max of (1/p, 1, 1/q).
#[derive(Clone, Copy)]
struct Bias {
    inv_p: f32,
    inv_q: f32,
    /// Smallest bias of a proposal: below it, accept without a lookup.
    min: f32,
    /// The envelope the proposals are tested against.
    max: f32,
    /// 1/p − max when stepping back outweighs every other move (p < 1 and
    /// p < q): the return edge's excess is then drawn on its own, so the
    /// envelope for the other proposals drops to max(1, 1/q) (KnightKing's
    /// outlier trick). 0 otherwise.
    outlier: f32,
    /// 1/p, 1 and 1/q in f64 divided by their largest, for the exact
    /// fallback, where f32 would overflow.
    inv_p_exact: f64,
    near_exact: f64,
    inv_q_exact: f64,
}

impl Bias {
    fn new(p: f64, q: f64) -> Self {
        // Scaled so the largest bias is 1: only the ratios matter, and the
        // fallback's sums then stay finite for any p and q.
        let top = (1.0 / p).max(1.0).max(1.0 / q);
        let (inv_p_exact, near_exact, inv_q_exact) = (1.0 / p / top, 1.0 / top, 1.0 / q / top);
        let (inv_p, inv_q) = (1.0 / p as f32, 1.0 / q as f32);
        let rest = inv_q.max(1.0);
        if inv_p > rest {
            Bias {
                inv_p,
                inv_q,
                min: inv_q.min(1.0),
                max: rest,
                outlier: inv_p - rest,
                inv_p_exact,
                near_exact,
                inv_q_exact,
            }
        } else {
            let (min, max) = (inv_p.min(inv_q).min(1.0), rest.max(inv_p));
            Bias { inv_p, inv_q, min, max, outlier: 0.0, inv_p_exact, near_exact, inv_q_exact }
        }
    }
}

/// One first-order step (draws as in [`walk_into`]).
#[inline(always)]
fn first_order_step(graph: &Graph, u: u32, weighted: bool, rng: &mut WalkRng) -> Option<u32> {
    let r = rng.next_u64();
    let u01 = if weighted { uniform_f32(rng) } else { 0.0 };
    graph.step(u, r, u01)
}

/// One node2vec step from `cur` having come from `prev`, by rejection.
///
/// The uniform draw comes first: below the smallest bias the proposal is
/// accepted whatever its kind, which skips the edge lookup (a binary search
/// in prev's row) for that share of proposals. With an outlier (see
/// [`Bias`]), each trial first gives the return to `prev` its excess mass
/// (1/p − max)·w(cur, prev) out of the envelope max·deg(cur) + excess; the
/// proposals then see the return edge with bias `max`, so overall it gets
/// w/p and every other neighbour w·α, as node2vec prescribes.
#[inline(always)]
fn node2vec_step(graph: &Graph, prev: u32, cur: u32, bias: Bias, weighted: bool, rng: &mut WalkRng) -> Option<u32> {
    // The excess share of the envelope, when there is one.
    let outlier = if bias.outlier > 0.0
        && let Some(w) = graph.edge_weight(cur, prev)
    {
        let excess = bias.outlier as f64 * w as f64;
        Some(excess / (bias.max as f64 * graph.degrees()[cur as usize] + excess))
    } else {
        None
    };
    for _ in 0..MAX_TRIALS {
        // Each trial draws from the whole envelope, the excess included; a
        // rejected proposal restarts the trial.
        if let Some(share) = outlier
            && (uniform_f32(rng) as f64) < share
        {
            return Some(prev);
        }
        let x = first_order_step(graph, cur, weighted, rng)?;
        let u = uniform_f32(rng) * bias.max;
        if u < bias.min {
            return Some(x);
        }
        let alpha = if x == prev {
            bias.inv_p.min(bias.max)
        } else if graph.has_edge(prev, x) {
            1.0
        } else {
            bias.inv_q
        };
        if u < alpha {
            return Some(x);
        }
    }
    exact_node2vec_step(graph, prev, cur, bias, rng)
}

/// Rejected trials before [`exact_node2vec_step`] takes over. With extreme p
/// or q (say q = 1e-300) the acceptance rate of a node whose neighbours are
/// all near `prev` is ~p/q, and rejection would never end; after this many
/// trials the step is drawn exactly from the same distribution instead, so
/// the cost of a step is bounded by O(trials + degree).
const MAX_TRIALS: usize = 64;

/// One node2vec step drawn by scanning `cur`'s row: each neighbour's weight
/// times its bias (1/p back to `prev`, 1 for `prev`'s neighbours, 1/q
/// otherwise), in f64, so no bias is too extreme. The same distribution as
/// the rejection sampler (restarting a rejected trial only rescales it).
#[cold]
fn exact_node2vec_step(graph: &Graph, prev: u32, cur: u32, bias: Bias, rng: &mut WalkRng) -> Option<u32> {
    let row = graph.neighbors(cur);
    let weights = graph.neighbor_weights(cur);
    let mass = |i: usize| {
        let x = row[i];
        let w = weights.map_or(1.0, |w| w[i] as f64);
        let alpha = if x == prev {
            bias.inv_p_exact
        } else if graph.has_edge(prev, x) {
            bias.near_exact
        } else {
            bias.inv_q_exact
        };
        w * alpha
    };
    let total: f64 = (0..row.len()).map(mass).sum();
    if !(total > 0.0 && total.is_finite()) {
        return first_order_step(graph, cur, weights.is_some(), rng);
    }
    let mut target = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * total;
    for (i, &x) in row.iter().enumerate() {
        target -= mass(i);
        if target < 0.0 {
            return Some(x);
        }
    }
    row.last().copied()
}

/// A node2vec walk of up to `steps` steps from `start` into `out` as
/// `[start, w1, …]`, with the virtual previous node of a rooted window (see
/// the module docs). It visits exactly what [`Walker::rooted`] visits for the
/// same RNG. The reference single walk of the tests.
#[doc(hidden)]
pub fn node2vec_walk_into(
    graph: &Graph,
    start: u32,
    steps: usize,
    p: f64,
    q: f64,
    rng: &mut WalkRng,
    out: &mut Vec<u32>,
) {
    out.clear();
    out.push(start);
    let weighted = graph.is_weighted();
    let bias = Bias::new(p, q);
    let Some(mut prev) = first_order_step(graph, start, weighted, rng) else { return };
    let mut cur = start;
    for _ in 0..steps {
        match node2vec_step(graph, prev, cur, bias, weighted, rng) {
            Some(x) => {
                out.push(x);
                prev = cur;
                cur = x;
            }
            None => break,
        }
    }
}

/// How a walk moves: [`Stepper::first`] gives the state after leaving the
/// start (the virtual previous node of node2vec), [`Stepper::step`] the
/// next node. One lane loop serves both samplers, monomorphized.
trait Stepper {
    /// The previous node to start from (`None`: the start has no out-edge).
    fn first(&self, graph: &Graph, start: u32, rng: &mut WalkRng) -> Option<u32>;
    /// The node after `cur`, having come from `prev`.
    fn step(&self, graph: &Graph, prev: u32, cur: u32, rng: &mut WalkRng) -> Option<u32>;
}

struct FirstOrder {
    weighted: bool,
}

impl Stepper for FirstOrder {
    #[inline(always)]
    fn first(&self, _: &Graph, start: u32, _: &mut WalkRng) -> Option<u32> {
        Some(start)
    }
    #[inline(always)]
    fn step(&self, graph: &Graph, _: u32, cur: u32, rng: &mut WalkRng) -> Option<u32> {
        first_order_step(graph, cur, self.weighted, rng)
    }
}

struct SecondOrder {
    weighted: bool,
    bias: Bias,
}

impl Stepper for SecondOrder {
    #[inline(always)]
    fn first(&self, graph: &Graph, start: u32, rng: &mut WalkRng) -> Option<u32> {
        first_order_step(graph, start, self.weighted, rng)
    }
    #[inline(always)]
    fn step(&self, graph: &Graph, prev: u32, cur: u32, rng: &mut WalkRng) -> Option<u32> {
        node2vec_step(graph, prev, cur, self.bias, self.weighted, rng)
    }
}

/// Rooted walks of a fixed length on one graph, with one sampler and seed.
#[derive(Clone, Copy)]
pub struct Walker<'g> {
    graph: &'g Graph,
    kind: WalkKind,
    steps: usize,
    seed: u64,
}

impl<'g> Walker<'g> {
    /// Walks of up to `steps` steps of `kind` on `graph`, seeded from `seed`.
    pub fn new(graph: &'g Graph, kind: WalkKind, steps: usize, seed: u64) -> Self {
        Walker { graph, kind, steps, seed }
    }

    /// Run walks number `walks` rooted at `start`, calling
    /// `visit(distance, node)` for every node reached after the start
    /// (distance 1 to `steps`). Returns the number of steps taken.
    ///
    /// The walks are exactly those of [`walk_into`] / [`node2vec_walk_into`]
    /// (same RNG per walk, same draws), but eight of them advance in
    /// lockstep: their memory loads are independent, so the CPU overlaps them
    /// instead of waiting on one chain of dependent cache misses.
    pub fn rooted(&self, start: u32, walks: std::ops::Range<u64>, visit: impl FnMut(usize, u32)) -> u64 {
        let weighted = self.graph.is_weighted();
        match self.kind {
            WalkKind::DeepWalk => self.lockstep(&FirstOrder { weighted }, start, walks, visit),
            WalkKind::Node2vec { p, q } => {
                self.lockstep(&SecondOrder { weighted, bias: Bias::new(p, q) }, start, walks, visit)
            }
        }
    }

    #[inline(always)]
    fn lockstep(
        &self,
        stepper: &impl Stepper,
        start: u32,
        walks: std::ops::Range<u64>,
        mut visit: impl FnMut(usize, u32),
    ) -> u64 {
        let mut taken = 0u64;
        let mut k = walks.start;
        while k < walks.end {
            let lanes = (walks.end - k).min(LANES as u64) as usize;
            let mut rng: [WalkRng; LANES] =
                std::array::from_fn(|j| walk_rng(self.seed, start, k + j.min(lanes - 1) as u64));
            let mut prev = [start; LANES];
            let mut cur = [start; LANES];
            let mut alive = [false; LANES];
            for j in 0..lanes {
                if let Some(p) = stepper.first(self.graph, start, &mut rng[j]) {
                    prev[j] = p;
                    alive[j] = true;
                }
            }
            for distance in 1..=self.steps {
                for j in 0..lanes {
                    if !alive[j] {
                        continue;
                    }
                    match stepper.step(self.graph, prev[j], cur[j], &mut rng[j]) {
                        Some(x) => {
                            prev[j] = cur[j];
                            cur[j] = x;
                            visit(distance, x);
                            taken += 1;
                        }
                        None => alive[j] = false,
                    }
                }
            }
            k += lanes as u64;
        }
        taken
    }
}

/// Walks advanced together by [`Walker::rooted`].
const LANES: usize = 8;

/// How many T-step walks to root at each node, and the weight each of its
/// counts carries, so that `total` windows are spread as a DeepWalk corpus
/// spreads them: row s stands for `total·deg(s)/vol(G)` windows (a walk
/// visits a node in proportion to its degree), or `total/roots` on a
/// directed graph, for each node with an out-edge.
///
/// Rounding gives every node with an edge at least one walk; the weight
/// (target / drawn, close to 1) corrects the rounding.
pub fn windows_per_node(graph: &Graph, total: f64) -> Vec<(u32, f32)> {
    let vol = graph.volume();
    let directed = graph.is_directed();
    let roots = graph.degrees().iter().filter(|&&d| d > 0.0).count().max(1) as f64;
    graph
        .degrees()
        .iter()
        .map(|&d| {
            if d <= 0.0 || vol <= 0.0 {
                return (0, 0.0);
            }
            // Directed walks have no closed-form visit distribution: every
            // node with an out-edge roots the same number of windows.
            let target = if directed { total / roots } else { total * d / vol };
            let drawn = target.round().max(1.0);
            (drawn.min(u32::MAX as f64) as u32, (target / drawn) as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_only_follow_existing_edges() {
        let labels = (0..5).map(|i| i.to_string()).collect();
        let g =
            Graph::from_edges(labels, [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0), (3, 4, 1.0), (4, 0, 1.0)], false, false)
                .unwrap();
        let mut buf = Vec::new();
        for k in 0..100 {
            walk_into(&g, (k % 5) as u32, 20, &mut walk_rng(1, k as u32 % 5, k), &mut buf);
            assert_eq!(buf.len(), 21);
            for w in buf.windows(2) {
                assert!(g.neighbors(w[0]).contains(&w[1]));
            }
        }
    }

    /// A weighted triangle with a tail, directed or not.
    fn small_weighted(directed: bool) -> Graph {
        let labels = (0..6).map(|i| i.to_string()).collect();
        let edges = [(0, 1, 2.0), (1, 2, 1.0), (2, 0, 1.0), (2, 3, 5.0), (3, 4, 1.0), (4, 5, 1.0)];
        Graph::from_edges(labels, edges, true, directed).unwrap()
    }

    #[test]
    fn lockstep_walks_visit_exactly_what_single_walks_visit() {
        let g = small_weighted(true);
        for count in [1, 7, 8, 19] {
            let mut lockstep = Vec::new();
            let taken = Walker::new(&g, WalkKind::DeepWalk, 6, 5).rooted(0, 3..3 + count, |_, v| lockstep.push(v));
            let mut single = Vec::new();
            let mut buf = Vec::new();
            for k in 3..3 + count {
                walk_into(&g, 0, 6, &mut walk_rng(5, 0, k), &mut buf);
                single.extend_from_slice(&buf[1..]);
            }
            lockstep.sort();
            single.sort();
            assert_eq!(lockstep, single);
            assert_eq!(taken as usize, single.len());
        }
    }

    #[test]
    fn lockstep_node2vec_walks_visit_exactly_what_single_walks_visit() {
        let g = small_weighted(false);
        let kind = WalkKind::Node2vec { p: 0.5, q: 2.0 };
        let mut lockstep = Vec::new();
        let taken = Walker::new(&g, kind, 7, 9).rooted(2, 0..21, |_, v| lockstep.push(v));
        let mut single = Vec::new();
        let mut buf = Vec::new();
        for k in 0..21 {
            node2vec_walk_into(&g, 2, 7, 0.5, 2.0, &mut walk_rng(9, 2, k), &mut buf);
            single.extend_from_slice(&buf[1..]);
        }
        lockstep.sort();
        single.sort();
        assert_eq!(lockstep, single);
        assert_eq!(taken, 21 * 7);
    }

    #[test]
    fn the_walk_rng_depends_on_every_part_of_its_key() {
        let a = walk_rng(1, 2, 3).next_u64();
        assert_ne!(a, walk_rng(2, 2, 3).next_u64());
        assert_ne!(a, walk_rng(1, 3, 3).next_u64());
        assert_ne!(a, walk_rng(1, 2, 4).next_u64());
        assert_eq!(a, walk_rng(1, 2, 3).next_u64());
    }
}
