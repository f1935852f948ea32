//! Graph counting: the windows of random walks rooted at each node.
//!
//! Row s is counted by one thread from the walks rooted at s (see
//! [`crate::walk`]) into a dense per-thread accumulator, then emitted as a
//! sparse row. On an undirected graph the backward half of each window is
//! the forward half seen from the other end, so the matrix is symmetrized:
//! #(s,c) = k_s·C(s,c) + k_c·C(c,s), with C the raw visit counts and k the
//! rounding weights of [`crate::walk::windows_per_node`].
//!
//! Marginals #(w), #(c) and |D| stand for all pairs: row s's own half sums
//! exactly to its steps and the mirrored half has the same expectation.
//! Pairs seen fewer than `min_count` times are dropped (they carry most of
//! the sampling noise: a pair seen once gets an inflated PMI); a half below
//! ⌊min_count/2⌋ is dropped as soon as its row is counted, which bounds
//! memory by the pairs that can matter.

use super::{Cooccurrence, ROWS_PER_TASK, RowBlock, SparseMatrix, concat};
use crate::graph::Graph;
use crate::progress::Progress;
use crate::walk::{WalkKind, Walker, windows_per_node};
use rayon::prelude::*;

/// What the counting stage needs to know.
#[derive(Clone, Debug, PartialEq)]
pub struct CountConfig {
    /// Window T.
    pub window: usize,
    /// Windows to draw in all (see [`crate::walk::windows_per_node`]);
    /// DeepWalk's corpus of γ walks of length t holds γ·t·n.
    pub windows: f64,
    /// Pairs seen fewer times are dropped (after the marginals are taken).
    pub min_count: u32,
    /// Master seed.
    pub seed: u64,
    /// First-order (DeepWalk) or node2vec walks.
    pub kind: WalkKind,
}

impl Default for CountConfig {
    fn default() -> Self {
        CountConfig { window: 10, windows: 0.0, min_count: 4, seed: 0, kind: WalkKind::DeepWalk }
    }
}

/// Count the windows of the walks on `graph` (see the module docs).
///
/// Runs on the current rayon pool; the result does not depend on its size.
pub fn count_graph(graph: &Graph, config: &CountConfig, progress: &dyn Progress) -> Cooccurrence {
    let n = graph.node_count();
    let plan = windows_per_node(graph, config.windows);
    let total_steps: u64 = plan.iter().map(|&(k, _)| k as u64 * config.window as u64).sum();
    progress.start("walk+count", total_steps);
    // On an undirected graph a stored pair is the sum of two halves, C[s,c]
    // and C[c,s]; a half below ⌊min_count/2⌋ is dropped as it is counted,
    // which bounds memory by the pairs that can matter instead of every pair
    // ever seen (most are seen once). Directed graphs keep every half.
    let keep_from = if graph.is_directed() { 1 } else { (config.min_count / 2).max(1) };
    let tasks = n.div_ceil(ROWS_PER_TASK);
    let walker = Walker::new(graph, config.kind, config.window, config.seed);
    let blocks: Vec<(RowBlock<u32>, Vec<u64>, u64)> = (0..tasks)
        .into_par_iter()
        .map_init(
            || (vec![0u32; n], Vec::<u32>::new()),
            |(acc, touched), task| {
                let mut block = RowBlock::new();
                let mut row_steps = Vec::with_capacity(ROWS_PER_TASK);
                if progress.cancelled() {
                    // Stopping: the result is thrown away; rows stay empty.
                    block.lens.resize(ROWS_PER_TASK.min(n - task * ROWS_PER_TASK), 0);
                    row_steps.resize(block.lens.len(), 0);
                    return (block, row_steps, 0);
                }
                let mut distinct = 0u64;
                let first = task * ROWS_PER_TASK;
                for (s, &(walks, _)) in plan.iter().enumerate().skip(first).take(ROWS_PER_TASK) {
                    let walks = walks as u64;
                    let before = block.indices.len();
                    let mut emit = |c: u32, count: u32| {
                        distinct += 1;
                        if count >= keep_from {
                            block.indices.push(c);
                            block.values.push(count);
                        }
                    };
                    // When a row's walks take more steps than there are nodes, a
                    // branch-free count and one scan of the accumulator beat
                    // tracking and sorting the touched columns.
                    let steps = if walks * config.window as u64 >= n as u64 {
                        let steps = walker.rooted(s as u32, 0..walks, |r, c| {
                            acc[c as usize] += (r > 1) as u32;
                        });
                        for (c, slot) in acc.iter_mut().enumerate() {
                            if *slot != 0 {
                                emit(c as u32, std::mem::take(slot));
                            }
                        }
                        steps
                    } else {
                        let steps = walker.rooted(s as u32, 0..walks, |r, c| {
                            if r == 1 {
                                return;
                            }
                            let slot = &mut acc[c as usize];
                            if *slot == 0 {
                                touched.push(c);
                            }
                            *slot += 1;
                        });
                        touched.sort_unstable();
                        for &c in touched.iter() {
                            emit(c, std::mem::take(&mut acc[c as usize]));
                        }
                        touched.clear();
                        steps
                    };
                    block.lens.push(block.indices.len() - before);
                    row_steps.push(steps);
                }
                progress.inc(row_steps.iter().sum());
                (block, row_steps, distinct)
            },
        )
        .collect();
    progress.finish();
    let row_steps: Vec<u64> = blocks.iter().flat_map(|b| b.1.iter().copied()).collect();
    let distinct_pairs = blocks.iter().map(|b| b.2).sum();
    let (indptr, indices, raw) = concat(n, blocks.into_iter().map(|b| b.0).collect());
    let scale: Vec<f32> = plan.iter().map(|p| p.1).collect();
    let raw = Csr { indptr, indices, values: raw };
    let first =
        FirstStep { graph, weight: plan.iter().zip(graph.degrees()).map(|(p, &d)| exact_weight(p, d)).collect() };
    let mut out = if graph.is_directed() {
        prune_scaled(&raw, &scale, &first, config.min_count)
    } else {
        // #(s) = k_s·Σ_c C[s,c] + Σ_c k_c·C[c,s]: the first half is s's own
        // steps, known exactly; the mirrored half has the same expectation
        // (reversibility), so it is taken as equal rather than summed from
        // halves that were partly dropped.
        let totals: Vec<f64> = row_steps.iter().zip(&scale).map(|(&st, &k)| 2.0 * k as f64 * st as f64).collect();
        symmetrize(&raw, &scale, &first, config.min_count, totals)
    };
    out.steps = row_steps.iter().sum();
    out.distinct_pairs = distinct_pairs;
    out
}

/// The first step of every window, taken in expectation rather than counted.
///
/// Row s's k_s walks reach c at distance 1 with probability P[s,c] =
/// A[s,c]/d_s, so their expected count is target_s·A[s,c]/d_s, with
/// target_s = drawn·weight the windows row s stands for. Walks still take
/// their first step (the later ones start from it), but only distances ≥ 2
/// are counted: the unbiased estimate keeps its mean and loses the variance
/// of a tenth of its samples — the part that matters most on sparse graphs,
/// where most of a node's PMI mass sits on its neighbours. Adjacent pairs
/// are exact, so pruning never drops them.
struct FirstStep<'g> {
    graph: &'g Graph,
    /// target_s / d_s per row.
    weight: Vec<f32>,
}

impl FirstStep<'_> {
    /// (column, A[s,c]) for row s, columns sorted.
    fn row(&self, s: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let a = self.graph.neighbor_weights(s as u32);
        self.graph.neighbors(s as u32).iter().enumerate().map(move |(k, &c)| (c, a.map_or(1.0, |a| a[k])))
    }
}

fn exact_weight(&(drawn, weight): &(u32, f32), degree: f64) -> f32 {
    if degree > 0.0 { (drawn as f64 * weight as f64 / degree) as f32 } else { 0.0 }
}

/// Plain CSR arrays with `u32` values (the raw visit counts).
struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<u32>,
}

impl Csr {
    fn row(&self, i: usize) -> (&[u32], &[u32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// The transpose (rows come out sorted).
    fn transpose(&self, n_cols: usize) -> Csr {
        let (indptr, indices, values) = crate::sparse::transpose_csr(n_cols, &self.indptr, &self.indices, &self.values);
        Csr { indptr, indices, values }
    }
}

/// #(s,c) = k_s·C[s,c] + k_c·C[c,s] + e_s·A[s,c] + e_c·A[c,s] (e: the exact
/// first step); keep adjacent pairs and pairs with C[s,c] + C[c,s] >= min_count.
fn symmetrize(raw: &Csr, scale: &[f32], first: &FirstStep, min_count: u32, row_totals: Vec<f64>) -> Cooccurrence {
    let n = raw.indptr.len() - 1;
    let tr = raw.transpose(n);
    let tasks = n.div_ceil(ROWS_PER_TASK * 8);
    let blocks: Vec<RowBlock<f32>> = (0..tasks)
        .into_par_iter()
        .map(|task| {
            let mut block = RowBlock::new();
            for s in task * ROWS_PER_TASK * 8..((task + 1) * ROWS_PER_TASK * 8).min(n) {
                let (ac, av) = raw.row(s);
                let (bc, bv) = tr.row(s);
                let mut adj = first.row(s).peekable();
                let (mut i, mut j) = (0, 0);
                let mut len = 0;
                loop {
                    let ca = ac.get(i).copied().unwrap_or(u32::MAX);
                    let cb = bc.get(j).copied().unwrap_or(u32::MAX);
                    let cc = adj.peek().map_or(u32::MAX, |e| e.0);
                    let c = ca.min(cb).min(cc);
                    if c == u32::MAX {
                        break;
                    }
                    let (mut occ, mut value, mut exact) = (0u32, 0f32, false);
                    if ca == c {
                        occ += av[i];
                        value += scale[s] * av[i] as f32;
                        i += 1;
                    }
                    if cb == c {
                        occ += bv[j];
                        value += scale[c as usize] * bv[j] as f32;
                        j += 1;
                    }
                    if cc == c {
                        // Undirected: A[s,c] = A[c,s], so both ends' exact halves.
                        let (_, a) = adj.next().unwrap();
                        value += (first.weight[s] + first.weight[c as usize]) * a;
                        exact = true;
                    }
                    if exact || occ >= min_count {
                        block.indices.push(c);
                        block.values.push(value);
                        len += 1;
                    }
                }
                block.lens.push(len);
            }
            block
        })
        .collect();
    Cooccurrence::symmetric(concat(n, blocks), row_totals, 0, 0)
}

/// #(s,c) = k_s·C[s,c] + e_s·A[s,c] without symmetrization (directed graphs).
fn prune_scaled(raw: &Csr, scale: &[f32], first: &FirstStep, min_count: u32) -> Cooccurrence {
    let n = raw.indptr.len() - 1;
    let mut row_totals = vec![0f64; n];
    let mut col_totals = vec![0f64; n];
    let mut block = RowBlock::new();
    for (s, total) in row_totals.iter_mut().enumerate() {
        let (cols, vals) = raw.row(s);
        let mut adj = first.row(s).peekable();
        let mut i = 0;
        let mut len = 0;
        loop {
            let ca = cols.get(i).copied().unwrap_or(u32::MAX);
            let cc = adj.peek().map_or(u32::MAX, |e| e.0);
            let c = ca.min(cc);
            if c == u32::MAX {
                break;
            }
            let (mut value, mut keep) = (0f32, false);
            if ca == c {
                value += scale[s] * vals[i] as f32;
                keep = vals[i] >= min_count;
                i += 1;
            }
            if cc == c {
                value += first.weight[s] * adj.next().unwrap().1;
                keep = true;
            }
            *total += value as f64;
            col_totals[c as usize] += value as f64;
            if keep {
                block.indices.push(c);
                block.values.push(value);
                len += 1;
            }
        }
        block.lens.push(len);
    }
    let (indptr, indices, values) = concat(n, vec![block]);
    let total = row_totals.iter().sum();
    Cooccurrence {
        counts: SparseMatrix::from_csr((n, n), indptr, indices, values),
        row_totals,
        col_totals,
        total,
        steps: 0,
        distinct_pairs: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn path3() -> Graph {
        Graph::from_edges(vec!["a".into(), "b".into(), "c".into()], [(0, 1, 1.0), (1, 2, 1.0)], false, false).unwrap()
    }

    #[test]
    fn window_one_counts_exactly_the_edges() {
        // With T = 1 every step crosses an edge, so only adjacent pairs appear.
        let cfg = CountConfig { window: 1, windows: 10.0 * 10.0 * 3.0, min_count: 1, seed: 3, ..Default::default() };
        let co = count_graph(&path3(), &cfg, &NoProgress);
        let m = &co.counts;
        assert_eq!(m.get(0, 2), 0.0);
        assert_eq!(m.get(0, 0), 0.0);
        assert!(m.get(0, 1) > 0.0 && m.get(1, 2) > 0.0);
        assert_eq!(m.get(0, 1), m.get(1, 0));
        // Each of the 300 windows adds 1 forward and 1 mirrored count.
        let expected_total = 2.0 * 10.0 * 10.0 * 3.0;
        assert!((co.total - expected_total).abs() < 1e-3 * expected_total, "{}", co.total);
    }

    #[test]
    fn counts_are_symmetric_on_undirected_graphs_and_pruning_keeps_marginals() {
        let cfg = CountConfig { window: 3, windows: 5.0 * 10.0 * 3.0, min_count: 1, seed: 1, ..Default::default() };
        let all = count_graph(&path3(), &cfg, &NoProgress);
        assert!(all.counts.is_symmetric());
        // Pairs at distance 1 are exact and survive any pruning; the rest go.
        let pruned = count_graph(&path3(), &CountConfig { min_count: 1_000_000, ..cfg }, &NoProgress);
        assert_eq!(pruned.counts.nnz(), path3().adjacency_len());
        assert!(pruned.counts.get(0, 1) > 0.0 && pruned.counts.get(0, 1) < all.counts.get(0, 1));
        assert_eq!(pruned.total, all.total);
        assert_eq!(pruned.row_totals, all.row_totals);
    }
}
