//! One worker's share of a graph and of the run: its rows of the
//! adjacency, then of the first-order matrix, its transpose and the
//! diffusion operator, with their columns in the mesh's layout, and the
//! stages of [`crate::embed`] over them.

use super::{Comm, Mesh, MeshStats, Partition, Side};
use crate::config::{EmbedConfig, Estimator};
use crate::error::{Error, Result, human_bytes};
use crate::factorize::{SparseOperator, randomized_svd_in};
use crate::fit::Report;
use crate::graph::GraphStats;
use crate::pmi::{log_mass, smooth, transition_entry};
use crate::progress::Progress;
use crate::propagate::{COLUMN_BLOCK, diffusion_row, propagate_rows};
use crate::sparse::SparseMatrix;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Edge records a shard receives, as global node indices: `(row, column,
/// weight)` with the row owned by the shard. For an undirected graph each
/// edge u–v goes to u's owner as (u, v) and, when u ≠ v, to v's owner as
/// (v, u); for a directed graph an arc u → v goes to u's owner in `out`
/// and to v's owner, as (v, u), in `into`.
#[derive(Clone, Debug, Default)]
pub struct ShardEdges {
    /// Rows (owned by the shard).
    pub rows: Vec<u32>,
    /// Columns.
    pub cols: Vec<u32>,
    /// Weights (ignored unless the graph is weighted).
    pub weights: Vec<f64>,
}

impl ShardEdges {
    /// Send edge records over global node indices to the shards whose
    /// rows they fill: per shard, (`out`, `into`) as [`Shard::build`]
    /// takes them (`into` empty for an undirected graph). What one
    /// reader does with its share of the edges before the owners merge.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for arrays of different lengths or a node
    /// beyond the partition.
    pub fn route(
        partition: &Partition,
        directed: bool,
        src: &[u32],
        dst: &[u32],
        weights: &[f64],
    ) -> Result<Vec<(ShardEdges, ShardEdges)>> {
        if src.len() != dst.len() || src.len() != weights.len() {
            return Err(Error::invalid("edges", "sources, targets and weights differ in length"));
        }
        let n = partition.rows();
        let mut out: Vec<(ShardEdges, ShardEdges)> = vec![Default::default(); partition.parts()];
        let put = |e: &mut ShardEdges, r: u32, c: u32, w: f64| {
            e.rows.push(r);
            e.cols.push(c);
            e.weights.push(w);
        };
        for ((&u, &v), &w) in src.iter().zip(dst).zip(weights) {
            if u as usize >= n || v as usize >= n {
                return Err(Error::invalid("edges", format!("edge ({u}, {v}) names a node >= {n}")));
            }
            put(&mut out[partition.owner(u as usize)].0, u, v, w);
            if directed {
                put(&mut out[partition.owner(v as usize)].1, v, u, w);
            } else if u != v {
                put(&mut out[partition.owner(v as usize)].0, v, u, w);
            }
        }
        Ok(out)
    }

    /// Append another reader's records.
    pub fn extend(&mut self, other: ShardEdges) {
        self.rows.extend(other.rows);
        self.cols.extend(other.cols);
        self.weights.extend(other.weights);
    }
}

/// Own rows of an adjacency: sorted global columns, `f32` weights.
#[derive(Clone, Debug, Default)]
struct Rows {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f32>,
}

impl Rows {
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.targets[r.clone()], &self.weights[r])
    }
    fn bytes(&self) -> u64 {
        (self.offsets.len() * 8 + self.targets.len() * 8) as u64
    }
}

/// A worker's share of a graph: the rows it owns.
pub struct Shard {
    partition: Partition,
    rank: usize,
    directed: bool,
    out: Rows,
    /// Arcs into own nodes (directed graphs only).
    into: Option<Rows>,
    degree: Vec<f64>,
    stats: GraphStats,
}

/// What a shard's run needs, estimated before any dense block is allocated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardPlan {
    /// Own rows and ghost rows.
    pub own_rows: u64,
    /// See `own_rows`.
    pub ghost_rows: u64,
    /// Sketch width l = dim + oversample.
    pub sketch_width: u64,
    /// Columns propagation filters together.
    pub column_block: usize,
    /// Bytes of the sparse rows (adjacency, first-order matrix, its transpose, diffusion).
    pub sparse_bytes: u64,
    /// Bytes of the dense blocks at their peak (own and ghost rows).
    pub dense_bytes: u64,
    /// Estimated peak and the limit it was checked against.
    pub peak_bytes: u64,
    /// See `peak_bytes`.
    pub memory_limit: u64,
}

/// A shard's part of the embedding and how the run went.
pub struct ShardResult {
    /// Own rows of the node vectors, row-major, `dim` a row.
    pub left: Vec<f32>,
    /// Own rows of the context vectors V·Σ^p, if kept.
    pub right: Option<Vec<f32>>,
    /// The singular values (every rank has them all).
    pub singular_values: Vec<f64>,
    /// Stage times and sizes (the SVD's and propagation's as this rank saw them).
    pub report: Report,
    /// Traffic.
    pub mesh: MeshStats,
    /// The memory plan.
    pub plan: ShardPlan,
}

/// Merge a shard's records into sorted rows, as [`crate::Graph::from_edges`]
/// does: duplicates merged (weights summed when weighted, else one edge of
/// weight 1), zero weights dropped. Counts duplicates and self-loops where
/// `count` says the record is the edge's canonical copy.
fn merge(
    first: usize,
    own: usize,
    e: ShardEdges,
    weighted: bool,
    count: impl Fn(u32, u32) -> bool,
    stats: &mut GraphStats,
) -> Result<Rows> {
    let ShardEdges { rows, cols, weights } = e;
    if rows.len() != cols.len() || rows.len() != weights.len() {
        return Err(Error::invalid("edges", "rows, columns and weights differ in length"));
    }
    let mut list: Vec<(u32, u32, f64)> = Vec::with_capacity(rows.len());
    for ((r, c), w) in rows.into_iter().zip(cols).zip(weights) {
        if !(first..first + own).contains(&(r as usize)) {
            return Err(Error::invalid("edges", format!("row {r} is not owned by this shard")));
        }
        if let Some(w) = crate::graph::edge_weight(r, c, w, weighted)? {
            list.push((r, c, w));
        }
    }
    list.sort_by_key(|&(a, b, _)| (a, b));
    let (merged, duplicates) = crate::graph::merge_sorted(list, weighted, &count);
    stats.duplicate_edges += duplicates;
    stats.self_loops += merged.iter().filter(|e| e.0 == e.1 && count(e.0, e.1)).count() as u64;
    let mut offsets = vec![0usize; own + 1];
    let (mut targets, mut wts) = (Vec::with_capacity(merged.len()), Vec::with_capacity(merged.len()));
    for &(a, b, w) in &merged {
        offsets[a as usize - first + 1] += 1;
        targets.push(b);
        wts.push(w as f32);
    }
    for i in 0..own {
        offsets[i + 1] += offsets[i];
    }
    Ok(Rows { offsets, targets, weights: wts })
}

impl Shard {
    /// Build shard `rank` of `partition` from the records its rows receive
    /// (see [`ShardEdges`]; `into` for a directed graph only).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a record whose row is not this shard's,
    /// a column out of range, or a negative or non-finite weight.
    pub fn build(
        partition: Partition,
        rank: usize,
        directed: bool,
        weighted: bool,
        out: ShardEdges,
        into: Option<ShardEdges>,
    ) -> Result<Shard> {
        if rank >= partition.parts() {
            return Err(Error::invalid("rank", format!("{rank} of {} shards", partition.parts())));
        }
        let n = partition.rows();
        let range = partition.range(rank);
        let (first, own) = (range.start, range.len());
        let in_range = |e: &ShardEdges| e.cols.iter().all(|&c| (c as usize) < n);
        if !in_range(&out) || !into.as_ref().is_none_or(in_range) {
            return Err(Error::invalid("edges", format!("a column names a node >= {n}")));
        }
        if directed != into.is_some() {
            return Err(Error::invalid(
                "edges",
                "a directed graph's shard takes the arcs into it, an undirected one's not",
            ));
        }
        let canonical = out.rows.iter().zip(&out.cols).filter(|(r, c)| directed || r <= c).count();
        let mut stats = GraphStats { edge_records: canonical as u64, ..Default::default() };
        // An undirected edge's canonical copy is the one in its lower row.
        let out = merge(first, own, out, weighted, |a, b| directed || a <= b, &mut stats)?;
        let into =
            into.map(|e| merge(first, own, e, weighted, |_, _| false, &mut GraphStats::default())).transpose()?;
        let degree = (0..own).map(|i| out.row(i).1.iter().map(|&w| w as f64).sum()).collect();
        Ok(Shard { partition, rank, directed, out, into, degree, stats })
    }

    /// Counts gathered while building (sum them over the shards).
    pub fn stats(&self) -> &GraphStats {
        &self.stats
    }
    /// Stored adjacency entries of the own rows.
    pub fn adjacency_len(&self) -> usize {
        self.out.targets.len()
    }
    /// The shards' row ranges.
    pub fn partition(&self) -> &Partition {
        &self.partition
    }
    /// This shard's rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Arcs into own node `i`: its in-row, or its row when undirected.
    fn incoming(&self, i: usize) -> (&[u32], &[f32]) {
        self.into.as_ref().unwrap_or(&self.out).row(i)
    }

    /// Global ids of the rows of other shards that this shard's matrices read.
    fn ghosts(&self) -> Vec<u32> {
        let own = self.partition.range(self.rank);
        let mut g: Vec<u32> = self
            .out
            .targets
            .iter()
            .chain(self.into.iter().flat_map(|r| r.targets.iter()))
            .copied()
            .filter(|&c| !own.contains(&(c as usize)))
            .collect();
        g.sort_unstable();
        g.dedup();
        g
    }

    fn plan(&self, config: &EmbedConfig, ghosts: usize, passes: usize) -> ShardPlan {
        let own = self.partition.range(self.rank).len() as u64;
        let total = own + ghosts as u64;
        let n = self.partition.rows();
        let l = (config.factorize.dim + config.factorize.svd(n).oversample).min(n) as u64;
        let nnz = self.out.targets.len() as u64;
        let nnz_in = self.into.as_ref().map_or(nnz, |r| r.targets.len() as u64);
        // The adjacency stays; A and Aᵀ (about its entries each) live
        // through the SVD, S (plus the diagonal) through propagation; two
        // f64 vectors over own and ghost rows (degrees, context masses).
        let adjacency = self.out.bytes() + self.into.as_ref().map_or(0, Rows::bytes);
        let svd_sparse = (nnz + nnz_in) * 8 + 2 * own * 8;
        let prop_sparse = if passes > 0 { (nnz + own) * 8 + own * 8 } else { 0 };
        let vectors = total * 8 * 2;
        let d = config.factorize.dim as u64;
        // Dense blocks hold own rows only: ghost rows stream through one
        // chunk. SVD: Q and Z; propagation: the embedding (and the
        // context side, if kept), two column blocks and the product's
        // partial sums.
        let chunk = super::mesh::CHUNK_BYTES as u64;
        let right = if config.keep_context { own * d * 4 } else { 0 };
        let svd = 2 * own * l * 4 + chunk;
        // Columns filtered together: as many as fit beside the embedding
        // in 1.1× what the SVD's two blocks took (the width never changes
        // the result), a multiple of 16 (the vector width), at most the
        // single machine's 64. On M's fuller worker at d = 128: 64,
        // under the SVD's peak.
        let fit = (2 * l * 4 * 11 / 10).saturating_sub(4 * d) / 12;
        let w = (fit / 16 * 16).clamp(16, COLUMN_BLOCK as u64).min(d.max(1));
        let prop = if passes > 0 { own * d * 4 + right + 3 * own * w * 4 + chunk } else { 0 };
        let (sparse, dense) =
            if svd + svd_sparse >= prop + prop_sparse { (svd_sparse, svd) } else { (prop_sparse, prop) };
        let sparse = sparse + adjacency + vectors;
        let limit = config.memory_limit.unwrap_or_else(crate::budget::default_memory_limit);
        ShardPlan {
            column_block: w as usize,
            own_rows: own,
            ghost_rows: ghosts as u64,
            sketch_width: l,
            sparse_bytes: sparse,
            dense_bytes: dense,
            peak_bytes: sparse + dense,
            memory_limit: limit,
        }
    }

    /// Run the graph path on this shard, every rank of `mesh` at once: the
    /// first-order matrix, the randomized SVD and the propagation, as
    /// [`crate::embed`] runs them with the first-order estimator — the
    /// same vectors to the bit as with precision `f32` (a cluster stores no
    /// `f16` blocks, see [`crate::precision`]).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for precision `f16`, an estimator other than first-order or
    /// auto (walks would cross shards at every step; run them on one
    /// machine), propagation on a directed graph, or a parameter out of
    /// range; [`Error::RankTooLarge`]; [`Error::OverMemory`] when this
    /// shard's estimate exceeds `config.memory_limit`; [`Error::Cluster`]
    /// when a peer fails.
    pub fn embed(&self, mesh: &mut Mesh, config: &EmbedConfig, progress: &dyn Progress) -> Result<ShardResult> {
        config.validate()?;
        if !matches!(config.estimator, Estimator::Auto | Estimator::FirstOrder) {
            return Err(Error::invalid(
                "estimator",
                "a cluster runs the first-order estimator: windows need walks that cross shards at every step \
                 (run them on one machine)",
            ));
        }
        if config.factorize.precision == crate::precision::Precision::F16 {
            return Err(Error::invalid(
                "precision",
                "a cluster's shards exchange f32 blocks (auto means f32 there): its vectors equal one machine's \
                 with precision f32",
            ));
        }
        let n = self.partition.rows();
        let dim = config.factorize.dim;
        if dim > n {
            return Err(Error::RankTooLarge { requested: dim, max: n });
        }
        let passes = config.propagation.passes_for(self.directed, dim);
        if self.directed && passes > 0 {
            return Err(Error::invalid(
                "propagation.passes",
                "a cluster does not propagate directed graphs yet (the filter needs A + Aᵀ): set passes to 0",
            ));
        }
        if mesh.partition() != &self.partition || mesh.rank() != self.rank {
            return Err(Error::invalid("mesh", "the mesh was connected for another shard"));
        }
        mesh.stage("plan");
        let ghosts = self.ghosts();
        mesh.plan_halo(&ghosts)?;
        let plan = self.plan(config, ghosts.len(), passes);
        // Every rank learns whether any rank is over budget, so all refuse
        // together instead of leaving the others waiting.
        let mut over = [0f64];
        mesh.chain(&mut over, &mut |acc| acc[0] += (plan.peak_bytes > plan.memory_limit) as u8 as f64)?;
        if plan.peak_bytes > plan.memory_limit {
            return Err(Error::OverMemory {
                needed: plan.peak_bytes,
                limit: plan.memory_limit,
                breakdown: format!(
                    "shard {} of {}: sparse rows {}, dense blocks {} over {} own and {} ghost rows",
                    self.rank,
                    self.partition.parts(),
                    human_bytes(plan.sparse_bytes),
                    human_bytes(plan.dense_bytes),
                    plan.own_rows,
                    plan.ghost_rows
                ),
                advice: "use more workers, a lower dimension, or raise the memory limit".into(),
            });
        }
        if over[0] > 0.0 {
            return Err(Error::Cluster {
                stage: "plan".into(),
                message: "another shard's estimate is over its memory limit (its error says which)".into(),
            });
        }
        crate::fit::with_threads(config.factorize.threads, || self.run(mesh, &ghosts, config, passes, plan, progress))?
    }

    /// The stages, `ghosts` the global ids the mesh's halo was planned for.
    fn run(
        &self,
        mesh: &Mesh,
        ghosts: &[u32],
        config: &EmbedConfig,
        passes: usize,
        plan: ShardPlan,
        progress: &dyn Progress,
    ) -> Result<ShardResult> {
        let n = self.partition.rows();
        let dim = config.factorize.dim;
        let lay = mesh.layout(Side::Rows);
        let (first, own) = (lay.first, lay.own);
        let mut report = Report {
            estimator: "first-order".into(),
            reason: format!("the first-order matrix, on {} shards", self.partition.parts()),
            memory_estimate: (plan.peak_bytes, plan.memory_limit),
            ..Default::default()
        };
        // Global → local column: ghosts below, own rows, ghosts above, in
        // global order.
        let local = |g: u32| -> u32 {
            let g = g as usize;
            if g >= first && g < first + own {
                (lay.below + g - first) as u32
            } else {
                let p = ghosts.binary_search(&(g as u32)).expect("a ghost row");
                (if p < lay.below { p } else { p + own }) as u32
            }
        };
        let t = Instant::now();
        mesh.stage("first-order");
        // Degrees of own and ghost rows; then each context's mass from its
        // incoming arcs, in increasing source order as the single machine
        // adds them.
        let mut deg = vec![0f64; lay.total()];
        deg[lay.below..lay.below + own].copy_from_slice(&self.degree);
        mesh.halo_f64(Side::Rows, &mut deg)?;
        let cds = config.cds.unwrap_or(0.75);
        let smoothed: Vec<f64> = (0..own)
            .map(|i| {
                let (src, w) = self.incoming(i);
                let mut col = 0f64;
                for (&u, &w) in src.iter().zip(w) {
                    col += w as f64 / deg[local(u) as usize];
                }
                smooth(col, cds)
            })
            .collect();
        let mut z = [0f64];
        mesh.chain(&mut z, &mut |acc| smoothed.iter().for_each(|&s| acc[0] += s))?;
        let log_z_over_b = z[0].ln() - config.neg.ln();
        let mut log_ctx = vec![0f64; lay.total()];
        for (i, &s) in smoothed.iter().enumerate() {
            log_ctx[lay.below + i] = log_mass(s);
        }
        drop(smoothed);
        mesh.halo_f64(Side::Rows, &mut log_ctx)?;
        let cols = lay.total();
        // A's own rows: out of own nodes; Aᵀ's: into them (the entry of
        // the arc u → v is computed from the same numbers on both sides).
        let a = local_rows(
            own,
            cols,
            |i| self.out.row(i),
            &local,
            |i, v, w| transition_entry(w as f64, self.degree[i], log_z_over_b, log_ctx[local(v) as usize]),
        );
        let at = local_rows(
            own,
            cols,
            |i| self.incoming(i),
            &local,
            |i, u, w| transition_entry(w as f64, deg[local(u) as usize], log_z_over_b, log_ctx[lay.below + i]),
        );
        drop(log_ctx);
        let mut nnz = [0f64];
        mesh.chain(&mut nnz, &mut |acc| acc[0] += a.nnz() as f64)?;
        report.pmi_nonzeros = nnz[0] as u64;
        report.stage_seconds.push(("first-order".into(), t.elapsed().as_secs_f64()));
        if report.pmi_nonzeros == 0 {
            return Err(Error::Empty { path: None, what: "the first-order matrix has no nonzero entry".into() });
        }
        crate::progress::check(progress)?;

        let svd_config = config.factorize.svd(n);
        report.power_iters = svd_config.power_iters;
        progress.start("svd", 0);
        let op = SparseOperator { a: &a, at: &at, shape: (n, n) };
        let svd = report.time("svd", || randomized_svd_in(&op, dim, &svd_config, mesh));
        progress.finish();
        drop((a, at));
        let (mut left, singular_values, right) = svd?.into_weighted(config.factorize.eig_weight);
        let right = config.keep_context.then_some(right);
        crate::progress::check(progress)?;

        if passes > 0 {
            progress.start("propagation", 0);
            let t = Instant::now();
            let (mut indptr, mut indices, mut values) = (vec![0usize], Vec::new(), Vec::new());
            let mut d = Vec::with_capacity(own);
            for i in 0..own {
                let (nbrs, w) = self.out.row(i);
                d.push(diffusion_row(
                    (first + i) as u32,
                    nbrs,
                    |k| w[k],
                    self.degree[i],
                    |v, x| {
                        indices.push(local(v));
                        values.push(x);
                    },
                ));
                indptr.push(indices.len());
            }
            let s = SparseMatrix::from_csr((own, cols), indptr, indices, values);
            crate::embeddings::normalize_rows(&mut left, dim);
            propagate_rows(
                &s,
                &d,
                &mut left,
                dim,
                &config.propagation,
                passes,
                plan.column_block,
                mesh,
                progress,
                None,
            )?;
            report.stage_seconds.push(("propagation".into(), t.elapsed().as_secs_f64()));
            report.propagation_passes = passes;
            progress.finish();
        }
        Ok(ShardResult { left, right, singular_values, report, mesh: mesh.stats(), plan })
    }
}

/// `own` rows of a matrix over `cols` local columns: `entry(i, column,
/// weight)` at every adjacency entry of `row(i)`, zeros left out.
fn local_rows<'a>(
    own: usize,
    cols: usize,
    row: impl Fn(usize) -> (&'a [u32], &'a [f32]),
    local: &impl Fn(u32) -> u32,
    entry: impl Fn(usize, u32, f32) -> f64,
) -> SparseMatrix {
    let (mut indptr, mut indices, mut values) = (vec![0usize], Vec::new(), Vec::new());
    for i in 0..own {
        let (cs, ws) = row(i);
        for (&c, &w) in cs.iter().zip(ws) {
            let m = entry(i, c, w);
            if m != 0.0 {
                indices.push(local(c));
                values.push(m as f32);
            }
        }
        indptr.push(indices.len());
    }
    SparseMatrix::from_csr((own, cols), indptr, indices, values)
}
