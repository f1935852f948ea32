//! Stage 1: the graph, as a CSR adjacency over dense `u32` node ids.
//!
//! Node labels are the user's strings, kept in order of first appearance and
//! written back unchanged. Edges are merged when built:
//! * undirected graphs store each edge in both rows; a self-loop `i–i` is
//!   stored once in row `i` and counts once in `i`'s degree, as the adjacency
//!   matrix has it (A_ii = w);
//! * duplicate edges (including `a b` and `b a` in an undirected graph) are
//!   merged: unweighted graphs keep one edge (the graph is simple), weighted
//!   graphs sum the weights. [`GraphStats`] reports how many were merged.

mod alias;
pub(crate) mod edgelist;

use alias::AliasTable;
pub use edgelist::{Delimiter, EdgeListFormat, EdgeRecords};

use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Counts gathered while building a graph, for reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphStats {
    /// Edge records read (lines with an edge).
    pub edge_records: u64,
    /// Records that repeated an edge already seen (merged, see module docs).
    pub duplicate_edges: u64,
    /// Of an undirected graph's merged edges, those seen in both directions
    /// (`a b` and `b a`): reciprocal arcs, if the file was a directed graph.
    #[serde(default)]
    pub reverse_pairs: u64,
    /// Distinct self-loops.
    pub self_loops: u64,
    /// Records with weight 0, which add their nodes but no edge.
    pub zero_weight_edges: u64,
    /// A first line taken for a header and skipped (its fields), if any.
    pub header: Option<String>,
}

/// The weight an edge (u, v) of weight `w` is stored with: `None` for 0
/// (its nodes stay, the edge does not), 1 when the graph is unweighted.
///
/// # Errors
/// [`Error::InvalidConfig`] for a negative or non-finite weight.
pub(crate) fn edge_weight(u: u32, v: u32, w: f64, weighted: bool) -> Result<Option<f64>> {
    if !w.is_finite() || w < 0.0 {
        return Err(Error::invalid(
            "edges",
            format!("edge ({u}, {v}) has weight {w}; weights must be finite and >= 0"),
        ));
    }
    Ok((w != 0.0).then_some(if weighted { w } else { 1.0 }))
}

/// Count the runs of the same (a, b) in a sorted list that hold both signs
/// of weight (both directions of one edge), and make every weight positive.
fn count_reverse_pairs(list: &mut [(u32, u32, f64)]) -> u64 {
    let mut count = 0;
    let mut start = 0;
    while start < list.len() {
        let key = (list[start].0, list[start].1);
        let end = start + list[start..].iter().take_while(|e| (e.0, e.1) == key).count();
        let run = &mut list[start..end];
        count += (run.iter().any(|e| e.2 < 0.0) && run.iter().any(|e| e.2 > 0.0)) as u64;
        run.iter_mut().for_each(|e| e.2 = e.2.abs());
        start = end;
    }
    count
}

/// Merge runs of the same (a, b) in a sorted edge list, as graphs merge
/// duplicates (summing weights when `weighted`, else keeping one), and
/// count the merged records for which `count(a, b)` holds. One rule for
/// [`Graph::from_edges`] and a cluster's shards.
pub(crate) fn merge_sorted(
    list: Vec<(u32, u32, f64)>,
    weighted: bool,
    count: impl Fn(u32, u32) -> bool,
) -> (Vec<(u32, u32, f64)>, u64) {
    let mut merged: Vec<(u32, u32, f64)> = Vec::with_capacity(list.len());
    let mut duplicates = 0;
    for (a, b, w) in list {
        match merged.last_mut() {
            Some(last) if last.0 == a && last.1 == b => {
                duplicates += count(a, b) as u64;
                if weighted {
                    last.2 += w;
                }
            }
            _ => merged.push((a, b, w)),
        }
    }
    (merged, duplicates)
}

/// CSR rows of merged edges (sorted by (a, b), each once; an undirected
/// non-loop edge goes into both rows): offsets, targets and weights. A
/// counting sort split by rows among the threads: each scans every edge
/// and places those of its rows, in the order one scan would.
fn rows(n: usize, merged: &[(u32, u32, f64)], directed: bool) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
    let parts = rayon::current_num_threads().clamp(1, n.max(1));
    let bounds: Vec<usize> = (0..=parts).map(|t| t * n / parts).collect();
    // Each edge's entries: (row, column).
    let entries = |&(a, b, _): &(u32, u32, f64)| [Some((a, b)), (!directed && a != b).then_some((b, a))];
    let counts: Vec<Vec<usize>> = (0..parts)
        .into_par_iter()
        .map(|t| {
            let (lo, hi) = (bounds[t], bounds[t + 1]);
            let mut c = vec![0usize; hi - lo];
            for (row, _) in merged.iter().flat_map(entries).flatten() {
                if (lo..hi).contains(&(row as usize)) {
                    c[row as usize - lo] += 1;
                }
            }
            c
        })
        .collect();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0usize);
    for c in counts.iter().flatten() {
        offsets.push(offsets.last().unwrap() + c);
    }
    let nnz = offsets[n];
    let mut targets = vec![0u32; nnz];
    let mut wts = vec![0f32; nnz];
    let mut slices = Vec::with_capacity(parts);
    let (mut t_rest, mut w_rest) = (targets.as_mut_slice(), wts.as_mut_slice());
    for t in 0..parts {
        let len = offsets[bounds[t + 1]] - offsets[bounds[t]];
        let (t_here, t_next) = std::mem::take(&mut t_rest).split_at_mut(len);
        let (w_here, w_next) = std::mem::take(&mut w_rest).split_at_mut(len);
        slices.push((t, t_here, w_here));
        (t_rest, w_rest) = (t_next, w_next);
    }
    slices.into_par_iter().for_each(|(t, tg, wt)| {
        let (lo, hi) = (bounds[t], bounds[t + 1]);
        let base = offsets[lo];
        let mut cursor: Vec<usize> = offsets[lo..hi].iter().map(|o| o - base).collect();
        for e in merged {
            for (row, col) in entries(e).into_iter().flatten() {
                if (lo..hi).contains(&(row as usize)) {
                    let k = &mut cursor[row as usize - lo];
                    tg[*k] = col;
                    wt[*k] = e.2 as f32;
                    *k += 1;
                }
            }
        }
    });
    (offsets, targets, wts)
}

/// A graph in compressed sparse row form.
///
/// For a directed graph row `u` holds `u`'s out-neighbours; for an undirected
/// graph it holds all neighbours. `degree(u)` is the (weighted) out-degree.
#[derive(Clone, Debug)]
pub struct Graph {
    labels: Vec<String>,
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// `None` when every edge has weight 1.
    weights: Option<Vec<f32>>,
    alias: Option<AliasTable>,
    degree: Vec<f64>,
    directed: bool,
    stats: GraphStats,
}

impl Graph {
    /// Build a graph from labels and `(source, target, weight)` triples over
    /// indices into `labels`.
    ///
    /// `weighted = false` ignores the weights (all edges weigh 1) and merges
    /// duplicates into one edge; `weighted = true` sums duplicate weights.
    /// Zero-weight edges are dropped (their nodes stay).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a negative or non-finite weight, or an
    /// index out of range.
    pub fn from_edges(
        labels: Vec<String>,
        edges: impl IntoIterator<Item = (u32, u32, f64)>,
        weighted: bool,
        directed: bool,
    ) -> Result<Self> {
        let n = labels.len();
        let mut stats = GraphStats::default();
        // A vector of edges is reused in place (collect specializes).
        let mut list: Vec<(u32, u32, f64)> = edges.into_iter().collect();
        stats.edge_records = list.len() as u64;
        let bad = |&(u, v, w): &(u32, u32, f64)| u as usize >= n || v as usize >= n || !w.is_finite() || w < 0.0;
        if let Some(k) = list.par_iter().position_first(bad) {
            let (u, v, w) = list[k];
            if u as usize >= n || v as usize >= n {
                return Err(Error::invalid("edges", format!("edge ({u}, {v}) names a node >= {n}")));
            }
            edge_weight(u, v, w, weighted)?;
        }
        stats.zero_weight_edges = list.par_iter().filter(|e| e.2 == 0.0).count() as u64;
        if stats.zero_weight_edges > 0 {
            list.retain(|e| e.2 != 0.0);
        }
        // An undirected record stored against its direction carries a
        // negative weight until the merge (weights here are > 0), so that
        // reverse pairs can be counted without a second list.
        list.par_iter_mut().for_each(|e| {
            let w = if weighted { e.2 } else { 1.0 };
            *e = if directed || e.0 <= e.1 { (e.0, e.1, w) } else { (e.1, e.0, -w) };
        });
        list.par_sort_unstable_by_key(|&(a, b, _)| (a, b));
        if !directed {
            stats.reverse_pairs = count_reverse_pairs(&mut list);
        }
        let (merged, duplicates) = merge_sorted(list, weighted, |_, _| true);
        stats.duplicate_edges = duplicates;
        stats.self_loops = merged.par_iter().filter(|e| e.0 == e.1).count() as u64;
        let (offsets, targets, wts) = rows(n, &merged, directed);
        drop(merged);
        // Rows come out sorted without a sort: `merged` is ordered by (a, b)
        // with a ≤ b (undirected), so row i receives its mirrored entries
        // (c, i), c < i, in increasing c, all before its own entries (i, b),
        // b ≥ i, in increasing b.
        debug_assert!((0..n).all(|i| targets[offsets[i]..offsets[i + 1]].windows(2).all(|w| w[0] < w[1])));
        let degree: Vec<f64> =
            (0..n).into_par_iter().map(|i| wts[offsets[i]..offsets[i + 1]].iter().map(|&w| w as f64).sum()).collect();
        let (weights, alias) = if weighted && wts.iter().any(|&w| w != 1.0) {
            let alias = AliasTable::build(&offsets, &wts);
            (Some(wts), Some(alias))
        } else {
            (None, None)
        };
        Ok(Graph { labels, offsets, targets, weights, alias, degree, directed, stats })
    }

    /// Read an edge list file (see [`EdgeListFormat`]).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, [`Error::Parse`] naming the
    /// file and line of a malformed record, [`Error::Empty`] if it has no edge.
    pub fn from_edge_list_path(path: impl AsRef<std::path::Path>, format: &EdgeListFormat) -> Result<Self> {
        let graph = edgelist::read_path(path.as_ref(), format);
        crate::precision::return_freed_memory();
        graph
    }

    /// Read an edge list file's records without building the graph: labels
    /// in order of first appearance and the edges as read (see
    /// [`crate::cluster`], whose readers each take a share of the files).
    ///
    /// # Errors
    /// As [`Graph::from_edge_list_path`].
    pub fn records_from_path(path: impl AsRef<std::path::Path>, format: &EdgeListFormat) -> Result<EdgeRecords> {
        edgelist::read_records_path(path.as_ref(), format)
    }

    /// [`Graph::records_from_path`] from any reader; `name` is used in
    /// error messages.
    ///
    /// # Errors
    /// As [`Graph::from_edge_list_reader`].
    pub fn records_from_reader<R: std::io::BufRead>(
        reader: R,
        format: &EdgeListFormat,
        name: Option<&std::path::Path>,
    ) -> Result<EdgeRecords> {
        edgelist::read_records(reader, format, name)
    }

    /// A graph from edges given as labels (`src[i]` → `dst[i]`, with
    /// `weights` when weighted) and `nodes` that come first in the row order
    /// even without edges: for callers that hold edges in memory, with the
    /// edge list's id and weight rules and nothing parsed as text.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for lengths that differ, an empty id or one
    /// with whitespace, or a weight that is not finite and ≥ 0.
    pub fn from_labelled_edges(
        nodes: &[String],
        src: &[String],
        dst: &[String],
        weights: Option<&[f64]>,
        directed: bool,
    ) -> Result<Self> {
        let r = edgelist::records_from_labels(nodes, src, dst, weights)?;
        Graph::from_edges(r.labels, r.edges, weights.is_some(), directed)
    }

    /// [`Graph::from_labelled_edges`]' records, before the graph is built
    /// (a cluster's readers of in-memory partitions).
    ///
    /// # Errors
    /// As [`Graph::from_labelled_edges`].
    pub fn records_from_labels(
        nodes: &[String],
        src: &[String],
        dst: &[String],
        weights: Option<&[f64]>,
    ) -> Result<EdgeRecords> {
        edgelist::records_from_labels(nodes, src, dst, weights)
    }

    /// A hint when a directed graph looks like an undirected list read with
    /// `--directed`: no arc has its reverse and every arc runs from the
    /// smaller id to the larger (numerically when the ids are integers).
    /// Its nodes without out-arcs would get zero vectors, with no word.
    pub fn undirected_hint(&self) -> Option<String> {
        if !self.directed || self.edge_count() < 2 {
            return None;
        }
        let ids: Option<Vec<i128>> = self.labels.iter().map(|l| l.parse::<i128>().ok()).collect();
        let before = |u: u32, v: u32| match &ids {
            Some(ids) => ids[u as usize] < ids[v as usize],
            None => u < v,
        };
        let n = self.node_count() as u32;
        let forward = (0..n).all(|u| self.neighbors(u).iter().all(|&v| before(u, v) && !self.has_edge(v, u)));
        if !forward {
            return None;
        }
        let sinks = (0..n).filter(|&u| self.neighbors(u).is_empty()).count();
        Some(format!(
            "every arc runs from a smaller id to a larger one and none has its reverse: this looks like an \
             undirected edge list read as directed ({sinks} of {} nodes have no out-arcs, so their rows of the \
             matrix are empty); drop `directed` if it is",
            self.node_count()
        ))
    }

    /// A hint when an undirected graph merged reverse pairs (`a b` and
    /// `b a`) as duplicates — most of its duplicates, at least one in a
    /// hundred edges: a directed graph's reciprocal arcs, if the file is one.
    pub fn directed_hint(&self) -> Option<String> {
        let (r, d) = (self.stats.reverse_pairs, self.stats.duplicate_edges);
        (!self.directed && r > 0 && 2 * r >= d && 100 * r >= self.edge_count() as u64).then(|| {
            format!(
                "{r} edges appear in both directions (`a b` and `b a`) and were merged; if the file lists the arcs \
                 of a directed graph, read it as directed"
            )
        })
    }

    /// Read an edge list from any reader; `name` is used in error messages.
    pub fn from_edge_list_reader<R: std::io::BufRead>(
        reader: R,
        format: &EdgeListFormat,
        name: Option<&std::path::Path>,
    ) -> Result<Self> {
        edgelist::read(reader, format, name)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.labels.len()
    }
    /// Number of edges: arcs of a directed graph, or undirected edges (each
    /// stored in both rows, a self-loop once).
    pub fn edge_count(&self) -> usize {
        if self.directed { self.targets.len() } else { (self.targets.len() + self.stats.self_loops as usize) / 2 }
    }
    /// Number of stored adjacency entries (2 per undirected edge, 1 per self-loop or arc).
    pub fn adjacency_len(&self) -> usize {
        self.targets.len()
    }
    /// Whether edges are directed.
    pub fn is_directed(&self) -> bool {
        self.directed
    }
    /// Whether edges carry non-unit weights.
    pub fn is_weighted(&self) -> bool {
        self.weights.is_some()
    }
    /// Node labels, indexed by dense id.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    /// Counts gathered while building.
    pub fn stats(&self) -> &GraphStats {
        &self.stats
    }
    /// (Weighted) out-degree of every node.
    pub fn degrees(&self) -> &[f64] {
        &self.degree
    }
    /// vol(G) = Σ_ij A_ij, the total (weighted) adjacency.
    pub fn volume(&self) -> f64 {
        self.degree.iter().sum()
    }
    /// Neighbours (out-neighbours) of `u`, sorted.
    ///
    /// # Panics
    /// If `u >= node_count()`.
    #[inline]
    pub fn neighbors(&self, u: u32) -> &[u32] {
        &self.targets[self.offsets[u as usize]..self.offsets[u as usize + 1]]
    }
    /// Edge weights parallel to [`Graph::neighbors`], or `None` if unweighted.
    pub fn neighbor_weights(&self, u: u32) -> Option<&[f32]> {
        self.weights.as_ref().map(|w| &w[self.offsets[u as usize]..self.offsets[u as usize + 1]])
    }
    /// Raw CSR arrays `(offsets, targets)`.
    pub(crate) fn csr(&self) -> (&[usize], &[u32]) {
        (&self.offsets, &self.targets)
    }

    /// One first-order step from `u`: a neighbour drawn with probability
    /// proportional to the edge weight, or `None` if `u` has no out-edge.
    /// `r` must be a uniform 64-bit draw and `u01` a uniform `[0, 1)` draw
    /// (only used on weighted graphs).
    #[inline(always)]
    pub(crate) fn step(&self, u: u32, r: u64, u01: f32) -> Option<u32> {
        let lo = self.offsets[u as usize];
        let deg = self.offsets[u as usize + 1] - lo;
        if deg == 0 {
            return None;
        }
        // Multiply-shift maps a 64-bit draw to [0, deg) with bias < deg / 2^64.
        let slot = ((r as u128 * deg as u128) >> 64) as usize;
        let k = match &self.alias {
            Some(alias) => alias.pick(lo, slot, u01),
            None => slot,
        };
        Some(self.targets[lo + k])
    }

    /// Whether the arc `u → v` exists (binary search in `u`'s sorted row).
    #[inline]
    pub fn has_edge(&self, u: u32, v: u32) -> bool {
        self.neighbors(u).binary_search(&v).is_ok()
    }

    /// Weight of the arc `u → v` (1 on unweighted graphs), or `None`.
    #[inline]
    pub fn edge_weight(&self, u: u32, v: u32) -> Option<f32> {
        let k = self.neighbors(u).binary_search(&v).ok()?;
        Some(self.weights.as_ref().map_or(1.0, |w| w[self.offsets[u as usize] + k]))
    }

    /// The undirected graph of A + Aᵀ (the graph itself if undirected): arcs
    /// both ways merge, weights summed when weighted.
    pub fn symmetrized(&self) -> Graph {
        if !self.directed {
            return self.clone();
        }
        let n = self.node_count() as u32;
        let edges = (0..n).flat_map(|u| {
            let w = self.neighbor_weights(u);
            self.neighbors(u).iter().enumerate().map(move |(k, &v)| (u, v, w.map_or(1.0, |w| w[k] as f64)))
        });
        Graph::from_edges(self.labels.clone(), edges, self.weights.is_some(), false)
            .expect("a valid graph's edges are valid")
    }

    /// Bytes held by the adjacency (CSR, weights, alias tables, degrees).
    pub fn memory_bytes(&self) -> usize {
        self.offsets.len() * 8
            + self.targets.len() * 4
            + self.weights.as_ref().map_or(0, |w| w.len() * 4)
            + self.alias.as_ref().map_or(0, |a| a.memory_bytes())
            + self.degree.len() * 8
    }
}

/// A graph a Rust caller already holds (feature `petgraph`).
#[cfg(feature = "petgraph")]
impl Graph {
    /// The graph of a [`petgraph::Graph`]: its nodes in index order (row i
    /// of the embedding is node index i), labelled by their weights'
    /// `Display`; its edges with weight 1 (parallel edges merged), arcs when
    /// the petgraph graph is directed.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when two nodes display alike (the labels name
    /// the rows), or the graph has more nodes than `u32` indexes.
    pub fn from_petgraph<N, E, Ty, Ix>(g: &petgraph::Graph<N, E, Ty, Ix>) -> Result<Graph>
    where
        N: std::fmt::Display,
        Ty: petgraph::EdgeType,
        Ix: petgraph::graph::IndexType,
    {
        Self::petgraph_edges(g, false, |_| 1.0)
    }

    /// [`Graph::from_petgraph`] with edge weights from `weight` (parallel
    /// edges summed; zero weights dropped).
    ///
    /// # Errors
    /// As [`Graph::from_petgraph`], and for a negative or non-finite weight.
    pub fn from_petgraph_weighted<N, E, Ty, Ix>(
        g: &petgraph::Graph<N, E, Ty, Ix>,
        weight: impl Fn(&E) -> f64,
    ) -> Result<Graph>
    where
        N: std::fmt::Display,
        Ty: petgraph::EdgeType,
        Ix: petgraph::graph::IndexType,
    {
        Self::petgraph_edges(g, true, weight)
    }

    fn petgraph_edges<N, E, Ty, Ix>(
        g: &petgraph::Graph<N, E, Ty, Ix>,
        weighted: bool,
        weight: impl Fn(&E) -> f64,
    ) -> Result<Graph>
    where
        N: std::fmt::Display,
        Ty: petgraph::EdgeType,
        Ix: petgraph::graph::IndexType,
    {
        use petgraph::visit::EdgeRef;
        if g.node_count() > u32::MAX as usize {
            return Err(Error::invalid("graph", "more nodes than u32 indexes"));
        }
        let labels: Vec<String> = g.node_weights().map(|n| n.to_string()).collect();
        let mut seen = std::collections::HashSet::with_capacity(labels.len());
        if let Some(twice) = labels.iter().find(|l| !seen.insert(l.as_str())) {
            return Err(Error::invalid("graph", format!("two nodes display as `{twice}`: labels name the rows")));
        }
        let edges =
            g.edge_references().map(|e| (e.source().index() as u32, e.target().index() as u32, weight(e.weight())));
        Graph::from_edges(labels, edges, weighted, g.is_directed())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "petgraph")]
    #[test]
    fn a_petgraph_graph_keeps_its_node_order_direction_and_weights() {
        let mut g = petgraph::graph::DiGraph::<&str, f32>::new();
        let [a, b, c] = ["a", "b", "c"].map(|l| g.add_node(l));
        g.extend_with_edges([(a, b, 2.0), (b, c, 1.0), (a, b, 0.5)]);
        let graph = Graph::from_petgraph_weighted(&g, |&w| w as f64).unwrap();
        assert_eq!(graph.labels(), &["a", "b", "c"]);
        assert!(graph.is_directed() && graph.is_weighted());
        assert_eq!(graph.degrees(), &[2.5, 1.0, 0.0]);
        let plain = Graph::from_petgraph(&g).unwrap();
        assert_eq!(plain.degrees(), &[1.0, 1.0, 0.0], "parallel edges merged, weight 1");
        let mut twice = petgraph::graph::UnGraph::<&str, ()>::new_undirected();
        let (x, y) = (twice.add_node("x"), twice.add_node("x"));
        twice.add_edge(x, y, ());
        let e = Graph::from_petgraph(&twice).unwrap_err().to_string();
        assert!(e.contains("two nodes display as `x`"), "{e}");
    }

    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn triangle_csr_is_symmetric_and_sorted() {
        let g = Graph::from_edges(labels(3), [(0, 1, 1.0), (2, 1, 1.0), (0, 2, 1.0)], false, false).unwrap();
        assert_eq!(g.neighbors(0), &[1, 2]);
        assert_eq!(g.neighbors(1), &[0, 2]);
        assert_eq!(g.neighbors(2), &[0, 1]);
        assert_eq!(g.volume(), 6.0);
    }

    #[test]
    fn duplicates_merge_and_self_loops_count_once() {
        let g = Graph::from_edges(labels(2), [(0, 1, 2.0), (1, 0, 3.0), (1, 1, 4.0)], true, false).unwrap();
        assert_eq!(g.stats().duplicate_edges, 1);
        assert_eq!(g.stats().self_loops, 1);
        assert_eq!(g.neighbors(1), &[0, 1]);
        assert_eq!(g.degrees(), &[5.0, 9.0]);
        let u = Graph::from_edges(labels(2), [(0, 1, 2.0), (1, 0, 3.0)], false, false).unwrap();
        assert_eq!(u.degrees(), &[1.0, 1.0]);
        assert!(!u.is_weighted());
    }

    #[test]
    fn negative_and_nan_weights_are_rejected() {
        assert!(Graph::from_edges(labels(2), [(0, 1, -1.0)], true, false).is_err());
        assert!(Graph::from_edges(labels(2), [(0, 1, f64::NAN)], true, false).is_err());
    }

    #[test]
    fn directed_rows_hold_out_edges_only() {
        let g = Graph::from_edges(labels(3), [(0, 1, 1.0), (1, 2, 1.0)], false, true).unwrap();
        assert_eq!(g.neighbors(0), &[1]);
        assert!(g.neighbors(2).is_empty());
        assert_eq!(g.step(2, 0, 0.0), None);
    }
}
