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

use crate::graph::Graph;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The RNG type of every walk.
pub type WalkRng = Xoshiro256PlusPlus;

#[inline]
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG of walk number `index` from node `start`: a pure function of
/// `(seed, start, index)`, so any thread may run any walk.
#[inline]
pub fn walk_rng(seed: u64, start: u32, index: u64) -> WalkRng {
    let h = splitmix64(splitmix64(splitmix64(seed) ^ start as u64) ^ index);
    WalkRng::seed_from_u64(h)
}

/// A first-order (DeepWalk) walk of up to `steps` steps from `start`, written
/// to `out` as `[start, w1, …]`. Each step picks a neighbour with probability
/// proportional to the edge weight; the walk stops early at a node without
/// out-edges (only possible on directed graphs or isolated nodes).
pub fn walk_into(graph: &Graph, start: u32, steps: usize, rng: &mut WalkRng, out: &mut Vec<u32>) {
    out.clear();
    out.push(start);
    let weighted = graph.is_weighted();
    let mut u = start;
    for _ in 0..steps {
        let r = rng.next_u64();
        let u01 = if weighted { (rng.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32) } else { 0.0 };
        match graph.step(u, r, u01) {
            Some(v) => {
                out.push(v);
                u = v;
            }
            None => break,
        }
    }
}

/// Run walks `first..first + count` rooted at `start`, each of up to `steps`
/// steps, calling `visit(node)` for every node reached after the start.
/// Returns the number of steps taken.
///
/// The walks are exactly those of [`walk_into`] (same RNG per walk, same
/// draws), but [`LANES`] of them advance in lockstep: their memory loads are
/// independent, so the CPU overlaps them instead of waiting on one chain of
/// dependent cache misses.
pub fn rooted_walks(
    graph: &Graph,
    start: u32,
    first: u64,
    count: u64,
    steps: usize,
    seed: u64,
    mut visit: impl FnMut(u32),
) -> u64 {
    let weighted = graph.is_weighted();
    let mut taken = 0u64;
    let mut k = first;
    let end = first + count;
    while k < end {
        let lanes = (end - k).min(LANES as u64) as usize;
        let mut rng: [WalkRng; LANES] = std::array::from_fn(|j| walk_rng(seed, start, k + j.min(lanes - 1) as u64));
        let mut cur = [start; LANES];
        let mut alive = [true; LANES];
        for _ in 0..steps {
            for j in 0..lanes {
                if !alive[j] {
                    continue;
                }
                let r = rng[j].next_u64();
                let u01 = if weighted { (rng[j].next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32) } else { 0.0 };
                match graph.step(cur[j], r, u01) {
                    Some(v) => {
                        cur[j] = v;
                        visit(v);
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

/// Walks advanced together by [`rooted_walks`].
pub const LANES: usize = 8;

/// How many T-step walks to root at each node, and the weight each of its
/// counts carries so that row s stands for `γ·t·n·deg(s)/vol(G)` windows.
///
/// Rounding gives every node with an edge at least one walk; the weight
/// (target / drawn, close to 1) corrects the rounding.
pub fn windows_per_node(graph: &Graph, walks_per_node: f64, walk_length: usize) -> Vec<(u32, f32)> {
    let n = graph.node_count() as f64;
    let vol = graph.volume();
    graph
        .degrees()
        .iter()
        .map(|&d| {
            if d <= 0.0 || vol <= 0.0 {
                return (0, 0.0);
            }
            let target = walks_per_node * walk_length as f64 * n * d / vol;
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

    #[test]
    fn lockstep_walks_visit_exactly_what_single_walks_visit() {
        let labels = (0..6).map(|i| i.to_string()).collect();
        let g = Graph::from_edges(
            labels,
            [(0, 1, 2.0), (1, 2, 1.0), (2, 0, 1.0), (2, 3, 5.0), (3, 4, 1.0), (4, 5, 1.0)],
            true,
            true,
        )
        .unwrap();
        for count in [1, 7, 8, 19] {
            let mut lockstep = Vec::new();
            let taken = rooted_walks(&g, 0, 3, count, 6, 5, |v| lockstep.push(v));
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
    fn the_walk_rng_depends_on_every_part_of_its_key() {
        let a = walk_rng(1, 2, 3).next_u64();
        assert_ne!(a, walk_rng(2, 2, 3).next_u64());
        assert_ne!(a, walk_rng(1, 3, 3).next_u64());
        assert_ne!(a, walk_rng(1, 2, 4).next_u64());
        assert_eq!(a, walk_rng(1, 2, 3).next_u64());
    }
}
