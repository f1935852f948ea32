//! Stage 6: spectral propagation (ProNE, Zhang et al., IJCAI 2019).
//!
//! A first-stage embedding R (n × d) is filtered by a band-pass polynomial
//! in the random-walk Laplacian L = I − D̃⁻¹Ã of Ã = A + I, modulated by μ:
//! with M = L − μI and y = M²/2 − I, ProNE's Chebyshev series
//!
//! conv = I₀(θ)·R + 2·Σ_{k=1}^{order−1} (−1)^k I_k(θ)·T_k(y)·R ≈ e^{−θy}·R
//!
//! (I_k the modified Bessel functions, T_k the Chebyshev polynomials), then
//! Ã·(R − conv), re-orthonormalized by a small SVD into U·Σ^½ with unit
//! rows. The filter keeps the graph's community-scale structure and damps
//! both the smoothest and the noisiest directions, which is what sharpens a
//! noisy first stage on a sparse graph.
//!
//! A pass is a polynomial g(S) in S = D̃⁻¹Ã of degree 2·(order − 1) + 1,
//! applied here as its own Chebyshev series in S (one product per degree),
//! truncated where the tail is small against max |g| (10 %):
//! degree 2 at the defaults, 2 products a pass where ProNE's recurrence in
//! M takes 7 — the same quality, measured (the passes' re-normalization is
//! what lifts a sparse graph, not the filter's fine shape).
//!
//! Every column is filtered on its own, so the work runs on blocks of
//! columns: memory is the embedding plus two n × [`COLUMN_BLOCK`] buffers,
//! whatever d is — or, for a block as wide as the embedding and a degree-2
//! series, one: the embedding is then read in place. Directed graphs are
//! propagated over A + Aᵀ (the filter needs a symmetric diffusion).

use crate::block::Block;
use crate::comm::{Comm, Local, Side};
use crate::error::Result;
use crate::graph::Graph;
use crate::params::check;
use crate::precision::Elem;
use crate::sparse::SparseMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Columns filtered together by default (the width changes memory and
/// speed — wider blocks read X's rows in longer runs — never the result:
/// every column is filtered on its own).
pub const COLUMN_BLOCK: usize = 64;

/// Parameters of the band-pass filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct PropagationConfig {
    /// Passes of the filter (0 = no propagation); `None` = 6 on undirected
    /// graphs and 0 on directed ones — and 0 on an undirected graph that the
    /// locality probe reads as local ([`crate::locality`], single machine;
    /// a cluster propagates). Each pass re-orthonormalizes and
    /// filters again, and the gain kept growing to 6 on M (Micro-F1 .366 →
    /// .439 → .468 → .484 at 0, 2, 4, 6 passes of ProNE's series; with the
    /// degree-2 series .487, .494, .498 at 6, 8, 10 passes, 2 products
    /// each, while BlogCatalog stays at .435). On a directed graph only the
    /// left side can be filtered (over A + Aᵀ), which breaks the left·right
    /// pairing: link prediction on email-Eu-core fell from ROC-AUC .86 to .54.
    pub passes: Option<usize>,
    /// Terms of the Chebyshev expansion at most. Default 10 (ProNE's);
    /// a negligible tail is skipped (θ = 0.5 needs 4, see the module docs).
    pub order: usize,
    /// Centre μ of the pass band on the Laplacian's spectrum [0, 2]. Default
    /// 0.1 (ProNE's code; measured +0.002 Micro-F1 over 0.2 on BlogCatalog,
    /// equal on M).
    pub mu: f64,
    /// Width parameter θ of the Gaussian filter. Default 0.5.
    pub theta: f64,
}

impl Default for PropagationConfig {
    fn default() -> Self {
        PropagationConfig { passes: None, order: 10, mu: 0.1, theta: 0.5 }
    }
}

crate::params::setters!(PropagationConfig {
    /// Set [`PropagationConfig::passes`].
    passes: Option<usize>,
    /// Set [`PropagationConfig::order`].
    order: usize,
    /// Set [`PropagationConfig::mu`].
    mu: f64,
    /// Set [`PropagationConfig::theta`].
    theta: f64,
});

/// Passes of [`PropagationConfig::passes`] = `None` on an undirected graph.
pub const DEFAULT_PASSES: usize = 6;

impl PropagationConfig {
    /// The passes to run on a graph that is `directed` or not, by default.
    /// None at dimension 1 either: the filter ends in unit rows, which
    /// there are all ±1 (an explicit number of passes is refused at
    /// dimension 1 by [`crate::EmbedConfig::validate`]).
    pub fn passes_for(&self, directed: bool, dim: usize) -> usize {
        self.passes.unwrap_or(if directed || dim < 2 { 0 } else { DEFAULT_PASSES })
    }

    /// No propagation.
    pub fn none() -> Self {
        PropagationConfig { passes: Some(0), ..Default::default() }
    }

    /// Check the parameters; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        check(self.passes.is_none_or(|p| p <= 100), "propagation.passes", "must be at most 100")?;
        check((2..=100).contains(&self.order), "propagation.order", "must be in [2, 100]")?;
        check(self.mu.is_finite() && (0.0..=2.0).contains(&self.mu), "propagation.mu", "must be in [0, 2]")?;
        check(
            self.theta.is_finite() && self.theta > 0.0 && self.theta <= 50.0,
            "propagation.theta",
            "must be in (0, 50]",
        )?;
        Ok(())
    }
}

/// I_k(x), the modified Bessel function of the first kind, by its power
/// series Σ_m (x/2)^{2m+k} / (m!·(m+k)!) (x is small here: terms fall fast).
pub(crate) fn bessel_i(k: usize, x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = (1..=k).fold(1.0, |t, j| t * half / j as f64);
    let mut sum = term;
    for m in 1..200 {
        term *= half * half / (m as f64 * (m + k) as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// c_0 = I₀(θ), c_k = 2·(−1)^k·I_k(θ) for k < `order`, without the tail
/// whose terms together move the result by less than 1e-3 of its size:
/// y's spectrum lies in [−1, 1] (μ ∈ [0, 2]), so |T_k(y)| ≤ 1 and the tail
/// is bounded by Σ 2·I_k(θ), which falls factorially. θ = 0.5 keeps 4 of
/// ProNE's 10 terms (g of degree 7 in S), Micro/Macro-F1 identical to
/// three decimals on BlogCatalog and the million-node graph M (the change
/// is far below the first stage's own error).
fn chebyshev_coefficients(config: &PropagationConfig) -> Vec<f64> {
    let mut c: Vec<f64> = (0..config.order)
        .map(|k| {
            let i = bessel_i(k, config.theta);
            if k == 0 {
                i
            } else if k % 2 == 0 {
                2.0 * i
            } else {
                -2.0 * i
            }
        })
        .collect();
    let mut keep = c.len();
    let mut tail = 0.0;
    while keep > 2 && tail + c[keep - 1].abs() < 1e-3 * c[0] {
        tail += c[keep - 1].abs();
        keep -= 1;
    }
    c.truncate(keep);
    c
}

/// Share of max |g| on [−1, 1] that the dropped tail of g's series in S
/// may sum to (|T_k| ≤ 1 bounds the change by it). What matters is the
/// passes' re-normalization, not the filter's fine shape: on M
/// (Micro/Macro-F1 at 10 %, 6 passes, the same first stage) the whole
/// degree-7 series gives .4846 / .4793, degree 5 .4846 / .4794, degree 3
/// .4844 / .4801 and degree 2 (this tail, 9.6 %) .4870 / .4879; BlogCatalog
/// at 50 % .4346 / .2728 against .4339 / .2728. Without the passes' unit
/// rows, one pass of the 6th power of g (any degree from 8) gives .439.
/// Degree 2 at the defaults: 2 products a pass instead of 7.
pub(crate) const SERIES_TAIL: f64 = 0.1;

/// One pass's filter on an eigenvalue λ of S: g(λ) = λ·(1 − conv(λ)),
/// conv = Σ_k c_k·T_k(y), y = (1 − λ − μ)²/2 − 1 (ProNE's series).
fn pass_filter(c: &[f64], mu: f64, lambda: f64) -> f64 {
    let m = 1.0 - lambda - mu;
    let y = m * m / 2.0 - 1.0;
    let (mut t0, mut t1) = (1.0, y);
    let mut conv = c[0] + c.get(1).map_or(0.0, |c1| c1 * y);
    for &ck in c.iter().skip(2) {
        (t0, t1) = (t1, 2.0 * y * t1 - t0);
        conv += ck * t1;
    }
    lambda * (1.0 - conv)
}

/// max |g| on [−1, 1], on a fine Chebyshev grid.
fn peak(c: &[f64], mu: f64) -> f64 {
    (0..=1024).map(|j| pass_filter(c, mu, (std::f64::consts::PI * j as f64 / 1024.0).cos()).abs()).fold(0.0, f64::max)
}

/// b_0..b_K, the pass filter g as a Chebyshev series in S itself — one
/// product per degree, where ProNE's series in y = M²/2 − I costs two per
/// term and one more for the closing S. g is a polynomial of degree
/// D = 2·(terms − 1) + 1 in λ, so interpolation at D + 1 Chebyshev nodes
/// gives its series exactly; the tail whose coefficients sum to at most
/// `tail`·max|g| is then dropped (degree 1 at least).
pub(crate) fn series_in_s(config: &PropagationConfig, tail: f64) -> Vec<f32> {
    let c = chebyshev_coefficients(config);
    let n = 2 * c.len();
    let node = |j: usize| std::f64::consts::PI * (j as f64 + 0.5) / n as f64;
    let values: Vec<f64> = (0..n).map(|j| pass_filter(&c, config.mu, node(j).cos())).collect();
    let mut b: Vec<f64> = (0..n)
        .map(|k| {
            let sum: f64 = values.iter().enumerate().map(|(j, v)| v * (k as f64 * node(j)).cos()).sum();
            sum * if k == 0 { 1.0 } else { 2.0 } / n as f64
        })
        .collect();
    let top = peak(&c, config.mu);
    let mut dropped = 0.0;
    while b.len() > 2 && dropped + b[b.len() - 1].abs() <= tail * top {
        dropped += b.pop().unwrap().abs();
    }
    b.iter().map(|&v| v as f32).collect()
}

/// S = D̃⁻¹Ã with Ã = A + I (A + Aᵀ + I for a directed graph), and the
/// degrees d̃ of Ã.
fn diffusion(graph: &Graph) -> (SparseMatrix, Vec<f32>) {
    let n = graph.node_count();
    let sym = graph.is_directed().then(|| graph.symmetrized());
    let g = sym.as_ref().unwrap_or(graph);
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0);
    let mut indices = Vec::with_capacity(g.adjacency_len() + n);
    let mut values = Vec::with_capacity(g.adjacency_len() + n);
    let mut degree = Vec::with_capacity(n);
    for u in 0..n as u32 {
        let weights = g.neighbor_weights(u);
        let d = diffusion_row(
            u,
            g.neighbors(u),
            |k| weights.map_or(1.0, |w| w[k]),
            g.degrees()[u as usize],
            |v, x| {
                indices.push(v);
                values.push(x);
            },
        );
        indptr.push(indices.len());
        degree.push(d);
    }
    (SparseMatrix::from_csr((n, n), indptr, indices, values), degree)
}

/// Row `u` of S = D̃⁻¹Ã from `u`'s sorted neighbours (weights by
/// position) and degree: `push(column, value)` in column order; returns
/// d̃_u. One formula for the single machine and a cluster's shards.
pub(crate) fn diffusion_row(
    u: u32,
    nbrs: &[u32],
    w: impl Fn(usize) -> f32,
    degree: f64,
    mut push: impl FnMut(u32, f32),
) -> f32 {
    // The self-loop of I merges with a stored self-loop, if any.
    let loop_weight = nbrs.binary_search(&u).map_or(0.0, &w);
    let d = 1.0 + degree;
    let mut placed = false;
    for (k, &v) in nbrs.iter().enumerate() {
        if !placed && v >= u {
            push(u, ((1.0 + loop_weight as f64) / d) as f32);
            placed = true;
            if v == u {
                continue;
            }
        }
        push(v, (w(k) as f64 / d) as f32);
    }
    if !placed {
        push(u, (1.0 / d) as f32);
    }
    d as f32
}

/// Filter the row-major `n × dim` embedding `emb` of `graph`'s nodes in
/// place, `config.passes` times (see the module docs). Rows of nodes
/// without edges stay as they are filtered (isolated nodes only see
/// themselves).
///
/// # Errors
/// [`crate::Error::InvalidConfig`] for a parameter out of range.
///
/// # Panics
/// If `emb.len() != graph.node_count() * dim`.
pub fn propagate(graph: &Graph, emb: &mut [f32], dim: usize, config: &PropagationConfig) -> Result<()> {
    propagate_blocked(graph, emb, dim, config, COLUMN_BLOCK, &crate::progress::NoProgress)
}

/// [`propagate`] with `block` columns filtered together (memory: one or
/// two n × block buffers, [`filter_buffers`]).
pub(crate) fn propagate_blocked(
    graph: &Graph,
    emb: &mut [f32],
    dim: usize,
    config: &PropagationConfig,
    block: usize,
    progress: &dyn crate::progress::Progress,
) -> Result<()> {
    let Some((s, degree, passes)) = prepare(graph, emb.len(), dim, config)? else { return Ok(()) };
    let n = graph.node_count();
    propagate_rows(&s, &degree, emb, dim, config, passes, block, &Local::new(n, n), progress, None)
}

/// The diffusion matrix, degrees and passes, or `None` when there is
/// nothing to filter.
fn prepare(
    graph: &Graph,
    len: usize,
    dim: usize,
    config: &PropagationConfig,
) -> Result<Option<(SparseMatrix, Vec<f32>, usize)>> {
    config.validate()?;
    let n = graph.node_count();
    assert_eq!(len, n * dim, "the embedding must be nodes × dim");
    let passes = config.passes_for(graph.is_directed(), dim);
    if passes == 0 || n == 0 || dim == 0 {
        return Ok(None);
    }
    let (s, degree) = diffusion(graph);
    Ok(Some((s, degree, passes)))
}

/// [`propagate_blocked`] on a block stored as `T`, the result in `f32`:
/// a half-width block's last pass writes `f32` rows (allocated once the
/// filter's buffers are freed), so the output keeps full precision.
pub(crate) fn propagate_stored<T: Elem>(
    graph: &Graph,
    mut emb: Block<T>,
    dim: usize,
    config: &PropagationConfig,
    block: usize,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<f32>> {
    let Some((s, degree, passes)) = prepare(graph, emb.len(), dim, config)? else { return Ok(emb.into_f32()) };
    let n = graph.node_count();
    let local = Local::new(n, n);
    if T::as_f32(&emb).is_some() {
        propagate_rows(&s, &degree, &mut emb, dim, config, passes, block, &local, progress, None)?;
        return Ok(emb.into_f32());
    }
    let mut out = Vec::new();
    propagate_rows(&s, &degree, &mut emb, dim, config, passes, block, &local, progress, Some(&mut out))?;
    Ok(out)
}

/// The filter's passes over the rows `comm` holds: S's own rows (columns
/// in `comm`'s layout), their degrees and the embedding's own rows (and,
/// with `out`, the last pass's result there, as [`propagate_stored`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn propagate_rows<T: Elem>(
    s: &SparseMatrix,
    degree: &[f32],
    emb: &mut [T],
    dim: usize,
    config: &PropagationConfig,
    passes: usize,
    block: usize,
    comm: &dyn Comm,
    progress: &dyn crate::progress::Progress,
    mut out: Option<&mut Vec<f32>>,
) -> Result<()> {
    comm.stage("propagation");
    // The column-block buffers live for all passes: fresh ones each pass
    // cost the kernel's page zeroing (5 % of a million-node run).
    let w = block.max(1).min(dim);
    let rows = comm.layout(Side::Rows).own;
    let series = series_in_s(config, SERIES_TAIL);
    let count = filter_buffers(series.len(), w, dim);
    let mut bufs: [Vec<T>; 2] =
        std::array::from_fn(|k| if k + count >= 2 { crate::precision::zeroed_block(rows * w) } else { Vec::new() });
    let mut acc = Vec::new();
    for pass in 0..passes {
        crate::progress::check(progress)?;
        filter(s, degree, emb, dim, &series, w, &mut bufs, &mut acc, comm)?;
        if pass + 1 == passes {
            bufs = Default::default();
            acc = Vec::new();
        }
        let last = if pass + 1 == passes { out.as_deref_mut() } else { None };
        orthonormalize(emb, dim, Some(degree), comm, last)?;
    }
    drop(acc);
    Ok(())
}

/// A shard's block as the `f32` rows the mesh exchanges.
fn shard_rows<T: Elem>(y: &[T]) -> Result<&[f32]> {
    T::as_f32(y).ok_or_else(crate::precision::cluster_needs_f32)
}

/// [`shard_rows`], mutable.
fn shard_rows_mut<T: Elem>(y: &mut [T]) -> Result<&mut [f32]> {
    T::as_f32_mut(y).ok_or_else(crate::precision::cluster_needs_f32)
}

/// out = S·y: one machine's kernel, or a shard's product with its ghost
/// rows streamed in.
fn product<T: Elem>(s: &SparseMatrix, y: &[T], bw: usize, out: &mut [T], comm: &dyn Comm) -> Result<()> {
    if comm.is_local() {
        s.mul_dense(y, bw, out);
        return Ok(());
    }
    comm.product(Side::Rows, s, shard_rows(y)?, bw, shard_rows_mut(out)?)
}

/// S·y, each row handed to `finish(i, product_row, out_row, emb_row)` with
/// the embedding's row beside (and the row of `out`, or an empty one when
/// there is none): one machine's fused kernel, or a shard's streamed
/// product into `acc` followed by the same epilogue (same numbers, one
/// more buffer).
#[allow(clippy::too_many_arguments)]
fn product_zip<T: Elem>(
    s: &SparseMatrix,
    y: &[T],
    bw: usize,
    out: Option<&mut [T]>,
    emb: &mut [T],
    dim: usize,
    comm: &dyn Comm,
    acc: &mut Vec<f32>,
    finish: impl Fn(usize, &[f32], &mut [f32], &mut [f32]) + Sync,
) -> Result<()> {
    if comm.is_local() {
        s.mul_dense_zip(y, bw, out.unwrap_or_default(), emb, dim, finish);
        return Ok(());
    }
    acc.resize(emb.len() / dim.max(1) * bw, 0.0);
    comm.product(Side::Rows, s, shard_rows(y)?, bw, acc)?;
    let emb = shard_rows_mut(emb)?;
    match out {
        Some(out) => shard_rows_mut(out)?
            .par_chunks_mut(bw)
            .zip(emb.par_chunks_mut(dim))
            .zip(acc.par_chunks(bw))
            .enumerate()
            .for_each(|(i, ((o, r), p))| finish(i, p, o, r)),
        None => {
            emb.par_chunks_mut(dim).zip(acc.par_chunks(bw)).enumerate().for_each(|(i, (r, p))| finish(i, p, &mut [], r))
        }
    }
    Ok(())
}

/// How many n × `block` buffers [`filter`] needs for a series of `terms`
/// coefficients: a block as wide as the embedding is read in place as T₀
/// and a degree-2 series then needs only T₁ beside it; a narrower block is
/// copied out first (two buffers), as is every longer series.
pub(crate) fn filter_buffers(terms: usize, block: usize, dim: usize) -> usize {
    if block >= dim && terms <= 3 { 1 } else { 2 }
}

/// Values of a T₁ row widened at a time on the stack in [`filter`]'s epilogue.
const WIDEN: usize = 64;

/// One pass of the filter without the re-orthonormalization: R ←
/// g(S)·R = Σ_k b_k·T_k(S)·R, in blocks of [`COLUMN_BLOCK`] columns, by the
/// three-term recurrence T_{k+1}(S)·R = 2·S·T_k(S)·R − T_{k−1}(S)·R: one
/// product per degree. R's block holds T₀ until the second product, whose
/// epilogue writes b₀·T₀ + b₁·T₁ + b₂·T₂ over it, so a block as wide as R
/// is read in place and a degree-2 series needs one buffer
/// ([`filter_buffers`]); further terms are added in their products'
/// epilogues. (g(S)·R = S·(R − conv); Ã·(R − conv) = D̃·g(S)·R is what
/// ProNE orthonormalizes; the row scale D̃ enters only the Gram matrix,
/// see [`orthonormalize`], so no stored value grows with a hub's degree.)
/// `bufs` holds the buffers of `block` columns over the own rows (the
/// first empty when one is enough). Every block width gives the same bits.
#[allow(clippy::too_many_arguments)]
fn filter<T: Elem>(
    s: &SparseMatrix,
    degree: &[f32],
    emb: &mut [T],
    dim: usize,
    b: &[f32],
    block: usize,
    bufs: &mut [Vec<T>; 2],
    acc: &mut Vec<f32>,
    comm: &dyn Comm,
) -> Result<()> {
    debug_assert!(b.len() >= 2, "the series keeps degree 1 at least");
    let n = degree.len();
    let w = block.min(dim);
    for c0 in (0..dim).step_by(w) {
        let bw = w.min(dim - c0);
        let [x0, x1] = bufs;
        let mut x0: &mut [T] = if x0.is_empty() { &mut [] } else { &mut x0[..n * bw] };
        let mut x1 = &mut x1[..n * bw];
        // T₁ = S·T₀ into x1, T₀ being R's block: R itself when the block
        // is the whole row, else a copy in x0.
        if bw == dim {
            product(s, emb, bw, x1, comm)?;
        } else {
            x0.par_chunks_mut(bw).zip(emb.par_chunks(dim)).for_each(|(o, r)| o.copy_from_slice(&r[c0..c0 + bw]));
            product(s, x0, bw, x1, comm)?;
        }
        if b.len() == 2 {
            emb.par_chunks_mut(dim).zip(x1.par_chunks(bw)).for_each(|(r, t1)| {
                for (r, t1) in r[c0..c0 + bw].iter_mut().zip(t1) {
                    *r = T::put(b[0] * r.get() + b[1] * t1.get());
                }
            });
            continue;
        }
        // T₂ = 2·S·T₁ − T₀ and R ← b₀·T₀ + b₁·T₁ + b₂·T₂ in one epilogue
        // (R's block still holds T₀); T₂ kept in x0 when terms follow.
        let keep = b.len() > 3;
        let first: &[T] = x1;
        product_zip(
            s,
            first,
            bw,
            keep.then_some(&mut *x0),
            emb,
            dim,
            comm,
            acc,
            #[inline(always)]
            |i, p, o, r| {
                let mut wide = [0f32; WIDEN];
                for j0 in (0..bw).step_by(WIDEN) {
                    let j1 = (j0 + WIDEN).min(bw);
                    let t1 = &mut wide[..j1 - j0];
                    T::load(&first[i * bw + j0..i * bw + j1], t1);
                    let (r, p) = (&mut r[c0 + j0..c0 + j1], &p[j0..j1]);
                    if o.is_empty() {
                        for ((r, &p), &t1) in r.iter_mut().zip(p).zip(&*t1) {
                            *r = b[0] * *r + b[1] * t1 + b[2] * (2.0 * p - *r);
                        }
                    } else {
                        for (((r, &p), &t1), o) in r.iter_mut().zip(p).zip(&*t1).zip(&mut o[j0..j1]) {
                            let t2 = 2.0 * p - *r;
                            *r = b[0] * *r + b[1] * t1 + b[2] * t2;
                            *o = t2;
                        }
                    }
                }
            },
        )?;
        // T_{k+1} = 2·S·T_k − T_{k−1} over T_{k−1}: `x0` holds the latest
        // term, `x1` the one before.
        for &c in &b[3..] {
            product_zip(
                s,
                x0,
                bw,
                Some(&mut *x1),
                emb,
                dim,
                comm,
                acc,
                #[inline(always)]
                |_, p, o, r| {
                    for ((o, p), r) in o.iter_mut().zip(p).zip(&mut r[c0..c0 + bw]) {
                        *o = 2.0 * *p - *o;
                        *r += c * *o;
                    }
                },
            )?;
            std::mem::swap(&mut x0, &mut x1);
        }
    }
    Ok(())
}

/// Replace X (n × d) by U·Σ^½ of the thin SVD of diag(scale)·X = U·Σ·Vᵀ
/// with unit rows, as ProNE does after filtering: U·Σ^½ = D·X·V·Σ^(−½),
/// whose rows normalized are those of X·V·Σ^(−½) — the row scale only
/// enters V and Σ, from the eigendecomposition of the d × d Gram matrix
/// XᵀD²X (summed in f64 over fixed blocks of rows: deterministic for any
/// thread count). With `out`, the result goes there in `f32`.
fn orthonormalize<T: Elem>(
    x: &mut [T],
    d: usize,
    scale: Option<&[f32]>,
    comm: &dyn Comm,
    out: Option<&mut Vec<f32>>,
) -> Result<()> {
    let gram = crate::factorize::gram_scaled_in(x, d, scale, comm)?;
    let (vals, vecs) = crate::factorize::small_eigh(gram.as_ref())?;
    let top = (0..d).map(|j| vals[j]).fold(0.0, f64::max);
    // V·Λ^(−¼) (Λ = Σ²), largest first (the eigenvalues come ascending),
    // columns with a negligible eigenvalue zeroed.
    let t = faer::Mat::<f64>::from_fn(d, d, |i, c| {
        let j = d - 1 - c;
        if vals[j] > top * 1e-12 { vecs[(i, j)] * vals[j].powf(-0.25) } else { 0.0 }
    });
    match out {
        None => {
            crate::factorize::apply_in_place(x, d, t.as_ref());
            crate::precision::normalize_rows(x, d);
        }
        Some(out) => {
            *out = crate::precision::widen_releasing(x);
            crate::factorize::apply_in_place(out.as_mut_slice(), d, t.as_ref());
            crate::factorize::normalize_rows(out, d);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    #[test]
    fn bessel_values_match_tables() {
        // Abramowitz & Stegun, table 9.8: I₀(0.5) = 1.0634834, I₁(0.5) = 0.2578943, I₂(1) = 0.1357477.
        assert!((bessel_i(0, 0.5) - 1.063_483_4).abs() < 1e-7);
        assert!((bessel_i(1, 0.5) - 0.257_894_3).abs() < 1e-7);
        assert!((bessel_i(2, 1.0) - 0.135_747_7).abs() < 1e-7);
    }

    fn path(n: u32) -> Graph {
        let labels = (0..n).map(|i| i.to_string()).collect();
        Graph::from_edges(labels, (0..n - 1).map(|i| (i, i + 1, 1.0)), false, false).unwrap()
    }

    #[test]
    fn only_a_negligible_tail_of_terms_is_dropped() {
        let c = chebyshev_coefficients(&PropagationConfig::default());
        assert_eq!(c.len(), 4);
        // The dropped tail is below 1e-3 of c₀.
        let tail: f64 = (4..10).map(|k| 2.0 * bessel_i(k, 0.5)).sum();
        assert!(tail < 1e-3 * c[0]);
        let wide = PropagationConfig { theta: 5.0, ..Default::default() };
        assert_eq!(chebyshev_coefficients(&wide).len(), 10, "a wide filter needs every term");
    }

    #[test]
    fn diffusion_rows_are_stochastic_and_include_the_self_loop() {
        let g = path(4);
        let (s, d) = diffusion(&g);
        assert_eq!(d, vec![2.0, 3.0, 3.0, 2.0]);
        for i in 0..4 {
            let (cols, vals) = s.row(i);
            assert!(cols.contains(&(i as u32)));
            assert!((vals.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
    }

    /// ProNE's pass, applied to one vector by dense matrix algebra: its
    /// series in y = M²/2 − I, then S·(R − conv) (without D̃).
    fn dense_prone_pass(g: &Graph, r: &[f64], cfg: &PropagationConfig) -> Vec<f64> {
        let n = g.node_count();
        let sd = diffusion(g).0.to_dense();
        let s = |y: &[f64]| -> Vec<f64> { (0..n).map(|i| (0..n).map(|j| sd[i * n + j] as f64 * y[j]).sum()).collect() };
        let m = |y: &[f64]| -> Vec<f64> { s(y).iter().zip(y).map(|(sy, y)| (1.0 - cfg.mu) * y - sy).collect() };
        let mut t0 = r.to_vec();
        let mut t1: Vec<f64> = m(&m(r)).iter().zip(r).map(|(a, b)| 0.5 * a - b).collect();
        let coef = chebyshev_coefficients(cfg);
        let mut conv: Vec<f64> = (0..n).map(|i| coef[0] * t0[i] + coef[1] * t1[i]).collect();
        for &c in &coef[2..] {
            let t2: Vec<f64> = m(&m(&t1)).iter().enumerate().map(|(i, v)| v - 2.0 * t1[i] - t0[i]).collect();
            conv.iter_mut().zip(&t2).for_each(|(a, b)| *a += c * b);
            t0 = std::mem::replace(&mut t1, t2);
        }
        let diff: Vec<f64> = r.iter().zip(&conv).map(|(a, b)| a - b).collect();
        s(&diff)
    }

    /// Σ b_k·T_k(S)·r by dense matrix algebra.
    fn dense_series(g: &Graph, r: &[f64], b: &[f32]) -> Vec<f64> {
        let n = g.node_count();
        let sd = diffusion(g).0.to_dense();
        let s = |y: &[f64]| -> Vec<f64> { (0..n).map(|i| (0..n).map(|j| sd[i * n + j] as f64 * y[j]).sum()).collect() };
        let (mut t0, mut t1) = (r.to_vec(), s(r));
        let mut out: Vec<f64> = (0..n).map(|i| b[0] as f64 * t0[i] + b[1] as f64 * t1[i]).collect();
        for &c in &b[2..] {
            let t2: Vec<f64> = s(&t1).iter().zip(&t0).map(|(st, t)| 2.0 * st - t).collect();
            out.iter_mut().zip(&t2).for_each(|(o, t)| *o += c as f64 * t);
            t0 = std::mem::replace(&mut t1, t2);
        }
        out
    }

    #[test]
    fn the_series_in_s_is_prones_filter_with_a_bounded_tail() {
        for cfg in [
            PropagationConfig::default(),
            PropagationConfig { mu: 0.5, theta: 2.0, ..Default::default() },
            PropagationConfig { mu: 1.0, order: 3, ..Default::default() },
        ] {
            let c = chebyshev_coefficients(&cfg);
            let whole = series_in_s(&cfg, 0.0);
            assert_eq!(whole.len(), 2 * c.len(), "degree 2·(terms − 1) + 1");
            let cut = series_in_s(&cfg, SERIES_TAIL);
            let lambdas: Vec<f64> = (0..=200).map(|j| -1.0 + j as f64 / 100.0).collect();
            let top = peak(&c, cfg.mu);
            for &l in &lambdas {
                let want = pass_filter(&c, cfg.mu, l);
                let at = |b: &[f32]| {
                    let (mut t0, mut t1) = (1.0, l);
                    let mut v = b[0] as f64 + b[1] as f64 * l;
                    for &bk in &b[2..] {
                        (t0, t1) = (t1, 2.0 * l * t1 - t0);
                        v += bk as f64 * t1;
                    }
                    v
                };
                assert!((at(&whole) - want).abs() < 1e-6 * top, "exact at λ = {l}");
                assert!((at(&cut) - want).abs() <= SERIES_TAIL * top + 1e-6, "within the tail at λ = {l}");
            }
        }
        // The defaults keep degree 2: 2 products a pass.
        assert_eq!(series_in_s(&PropagationConfig::default(), SERIES_TAIL).len(), 3);
    }

    #[test]
    fn the_blocked_filter_matches_the_dense_series_and_prones_pass() {
        // 40 columns: a full block of 32 and a partial one.
        let g = path(12);
        let dim = 40;
        let r: Vec<f32> = (0..12 * dim).map(|i| ((i * 7919 % 97) as f32 / 97.0) - 0.5).collect();
        let cfg = PropagationConfig { passes: Some(1), ..Default::default() };
        let (s, d) = diffusion(&g);
        for tail in [0.0, SERIES_TAIL] {
            let b = series_in_s(&cfg, tail);
            let mut got = r.clone();
            let mut bufs = std::array::from_fn(|_| vec![0f32; 12 * 32]);
            filter(&s, &d, &mut got, dim, &b, 32, &mut bufs, &mut Vec::new(), &Local::new(12, 12)).unwrap();
            // Half-width blocks: the same series within f16 rounding.
            let mut half: Vec<f16> = crate::precision::from_f32(&r);
            let mut bufs16 = std::array::from_fn(|_| vec![f16::ZERO; 12 * 32]);
            filter(&s, &d, &mut half, dim, &b, 32, &mut bufs16, &mut Vec::new(), &Local::new(12, 12)).unwrap();
            // The whole row as one block, read in place with the buffers
            // `filter_buffers` asks for (one for the cut series): the same
            // bits as the narrow blocks, in either storage.
            let count = filter_buffers(b.len(), dim, dim);
            assert_eq!(count, if tail == 0.0 { 2 } else { 1 });
            let some = |k: usize, v: f32| if k + count >= 2 { vec![v; 12 * dim] } else { Vec::new() };
            let mut wide = r.clone();
            let mut bufs = std::array::from_fn(|k| some(k, 7.0));
            filter(&s, &d, &mut wide, dim, &b, dim, &mut bufs, &mut Vec::new(), &Local::new(12, 12)).unwrap();
            assert_eq!(wide, got, "one block of {dim} columns, tail {tail}");
            let mut wide16: Vec<f16> = crate::precision::from_f32(&r);
            let mut bufs16 = std::array::from_fn(|k| some(k, 7.0).iter().map(|&v| f16::from_f32(v)).collect());
            filter(&s, &d, &mut wide16, dim, &b, dim, &mut bufs16, &mut Vec::new(), &Local::new(12, 12)).unwrap();
            assert_eq!(wide16, half, "f16, one block, tail {tail}");
            for j in [0, 31, 32, 39] {
                let col: Vec<f64> = (0..12).map(|i| r[i * dim + j] as f64).collect();
                let want = dense_series(&g, &col, &b);
                for i in 0..12 {
                    let (a, w) = (got[i * dim + j] as f64, want[i]);
                    assert!((a - w).abs() < 1e-5 * (1.0 + w.abs()), "({i}, {j}): {a} vs {w}");
                    let h = half[i * dim + j].to_f64();
                    assert!((h - w).abs() < 5e-3 * (1.0 + w.abs()), "f16 ({i}, {j}): {h} vs {w}");
                }
                // Against ProNE's own pass: equal for the whole series, and
                // for the cut one within the tail in the D̃-norm (S is
                // self-adjoint there, so ‖T_k(S)‖ ≤ 1).
                let prone = dense_prone_pass(&g, &col, &cfg);
                let norm = |v: &dyn Fn(usize) -> f64| (0..12).map(|i| d[i] as f64 * v(i) * v(i)).sum::<f64>().sqrt();
                let err = norm(&|i| got[i * dim + j] as f64 - prone[i]);
                let c = chebyshev_coefficients(&cfg);
                let top = peak(&c, cfg.mu);
                let bound = if tail == 0.0 { 1e-5 } else { SERIES_TAIL * top } * norm(&|i| col[i]);
                assert!(err <= bound + 1e-6, "column {j}, tail {tail}: {err} > {bound}");
            }
        }
    }

    #[test]
    fn a_row_scale_enters_only_the_gram_matrix() {
        // Orthonormalizing diag(w)·X, or X with w given as its row scale, is
        // the same U·Σ^½ with unit rows.
        let (n, d) = (300, 5);
        let x: Vec<f32> = (0..n * d).map(|i| ((i * 7919 % 211) as f32 / 105.0 - 1.0) + (i % d) as f32 * 0.2).collect();
        let w: Vec<f32> = (0..n).map(|i| 1.0 + (i % 13) as f32).collect();
        let mut scaled: Vec<f32> = x.iter().enumerate().map(|(k, v)| v * w[k / d]).collect();
        orthonormalize(&mut scaled, d, None, &Local::new(n, n), None).unwrap();
        let mut got = x.clone();
        orthonormalize(&mut got, d, Some(&w), &Local::new(n, n), None).unwrap();
        assert!(got.iter().zip(&scaled).all(|(a, b)| (a - b).abs() < 1e-4), "in place");
        let mut half: Vec<f16> = crate::precision::from_f32(&x);
        let mut out = Vec::new();
        orthonormalize(&mut half, d, Some(&w), &Local::new(n, n), Some(&mut out)).unwrap();
        assert!(out.iter().zip(&scaled).all(|(a, b)| (a - b).abs() < 3e-3), "from f16 into f32");
    }

    #[test]
    fn orthonormalization_gives_unit_rows_of_u_sigma_half() {
        let (n, d) = (50, 4);
        let x: Vec<f32> = (0..n * d).map(|i| ((i * 31 % 17) as f32 - 8.0) / 8.0 + (i % d) as f32 * 0.1).collect();
        let mut got = x.clone();
        orthonormalize(&mut got, d, None, &Local::new(n, n), None).unwrap();
        // Reference: U·Σ^½ from a dense SVD, rows normalized, columns matched up to sign.
        let m = faer::Mat::from_fn(n, d, |i, j| x[i * d + j] as f64);
        let svd = m.thin_svd().unwrap();
        let mut want = vec![0f64; n * d];
        for i in 0..n {
            for j in 0..d {
                want[i * d + j] = svd.U()[(i, j)] * svd.S().column_vector()[j].sqrt();
            }
            let norm = want[i * d..(i + 1) * d].iter().map(|v| v * v).sum::<f64>().sqrt();
            want[i * d..(i + 1) * d].iter_mut().for_each(|v| *v /= norm);
        }
        for j in 0..d {
            let sign: f64 = (0..n).map(|i| got[i * d + j] as f64 * want[i * d + j]).sum::<f64>().signum();
            for i in 0..n {
                assert!((got[i * d + j] as f64 - sign * want[i * d + j]).abs() < 1e-4, "({i}, {j})");
            }
        }
    }
}
