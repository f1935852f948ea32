//! Stage 5, the weighted alternative to the SVD: a factorization U·Vᵀ of
//! the PPMI matrix that weighs each cell by the evidence behind it.
//!
//! The SVD minimizes Σ (u_i·v_j − M_ij)² over every cell alike, so the
//! PPMI of a pair seen twice counts as much as that of a pair seen a
//! million times — the known reason SVD word vectors trail skip-gram on
//! similarity and analogies (Levy, Goldberg & Dagan 2015). This stage
//! minimizes LexVec's expected loss (Salle, Idiart & Villavicencio 2016)
//! instead, exactly rather than by SGD:
//!
//! Σ_ij W_ij (u_i·v_j − M⁺_ij)² + λ Σ_i ω_i |u_i|² + λ Σ_j ω_j |v_j|²,
//! W_ij = #(i,j)^β + k·a_i·q_j
//!
//! — the first term is window sampling (each observed pair weighed by its
//! count, damped by β), the second negative sampling in expectation (k
//! noise contexts per observation, drawn from q ∝ #(c)^γ, target 0 off
//! the observed cells), a_i = Σ_j #(i,j)^β; ω is each row's total weight,
//! so that λ is relative. The negative weights are rank one, so their part
//! of every row's normal equations is one d × d Gram matrix, shared: a
//! sweep costs O(nnz·d) and never touches the n² unobserved cells.
//!
//! Alternating least squares, warm-started from the SVD: each half-sweep
//! fixes one side and solves every row of the other independently, by a
//! few conjugate-gradient steps from its current value — rows in parallel,
//! each row's arithmetic in a fixed order, so the result does not depend on
//! the thread count.
//!
//! ```
//! use pmivec::text::{Corpus, TextConfig};
//! use pmivec::weighted::Factorizer;
//! use pmivec::words::{WordConfig, embed_words};
//! let lines = ["cat dog pet fur", "stock bond market trade"].repeat(50);
//! let corpus = Corpus::from_lines(lines.iter().copied(), &TextConfig::default().min_count(1))?;
//! let config = WordConfig::default().dim(2).window(2).subsample(0.0).factorizer(Factorizer::Weighted);
//! let (vectors, report) = embed_words(&corpus, &config, &pmivec::NoProgress)?;
//! assert_eq!((vectors.len(), report.estimator.as_str()), (8, "sentences, weighted"));
//! # Ok::<(), pmivec::Error>(())
//! ```

use crate::cooccur::Cooccurrence;
use crate::error::Result;
use crate::params::check;
use crate::pmi::Marginals;
use crate::sparse::transpose_csr;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Which factorization follows the PMI matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Factorizer {
    /// The randomized truncated SVD (every cell weighed alike).
    #[default]
    Svd,
    /// The SVD, then weighted least squares ([`WeightedConfig`]).
    Weighted,
}

/// Whether `f` is the SVD (for `skip_serializing_if`: configs without the
/// weighted factorizer keep their earlier form).
pub(crate) fn is_svd(f: &Factorizer) -> bool {
    *f == Factorizer::Svd
}

/// Whether `c` is the default (for `skip_serializing_if`).
pub(crate) fn is_default(c: &WeightedConfig) -> bool {
    *c == WeightedConfig::default()
}

/// Parameters of the weighted factorization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct WeightedConfig {
    /// Alternating sweeps (each updates both sides). Default 3: on the
    /// 25M-token Wikipedia, 5 and 8 sweeps raise analogies (48.0 → 48.8 →
    /// 49.3 %) at the cost of WordSim353 (.709 → .705 → .701) and time.
    pub sweeps: usize,
    /// Negative samples k per observed pair. Default 5.
    pub negatives: f64,
    /// Exponent γ of the noise distribution q ∝ #(c)^γ. Default 0.75.
    pub noise_power: f64,
    /// Exponent β of the count weighing an observed pair. Default 1.
    pub count_power: f64,
    /// Ridge λ, relative to each row's total weight. Default 1e-3.
    pub reg: f64,
    /// Conjugate-gradient steps per row and half-sweep. Default 3.
    pub cg_steps: usize,
}

impl Default for WeightedConfig {
    fn default() -> Self {
        WeightedConfig { sweeps: 3, negatives: 5.0, noise_power: 0.75, count_power: 1.0, reg: 1e-3, cg_steps: 3 }
    }
}

crate::params::setters!(WeightedConfig {
    /// Set [`WeightedConfig::sweeps`].
    sweeps: usize,
    /// Set [`WeightedConfig::negatives`].
    negatives: f64,
    /// Set [`WeightedConfig::noise_power`].
    noise_power: f64,
    /// Set [`WeightedConfig::count_power`].
    count_power: f64,
    /// Set [`WeightedConfig::reg`].
    reg: f64,
    /// Set [`WeightedConfig::cg_steps`].
    cg_steps: usize,
});

impl WeightedConfig {
    /// Check the parameters; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        check(self.sweeps <= 1000, "sweeps", "must be at most 1000")?;
        check(self.negatives.is_finite() && self.negatives > 0.0, "negatives", "must be > 0")?;
        check(
            self.noise_power.is_finite() && (0.0..=1.0).contains(&self.noise_power),
            "noise_power",
            "must be in [0, 1]",
        )?;
        check(
            self.count_power.is_finite() && (0.0..=1.0).contains(&self.count_power),
            "count_power",
            "must be in [0, 1]",
        )?;
        check(self.reg.is_finite() && self.reg >= 0.0, "reg", "must be >= 0")?;
        check((1..=100).contains(&self.cg_steps), "cg_steps", "must be in [1, 100]")
    }
}

/// The observed cells of the objective, by rows and by columns: (target
/// M⁺_ij, weight #(i,j)^β) at each, and the factors of the rank-one
/// negative weight k·a_i·q_j.
pub(crate) struct Cells {
    rows: Csr,
    cols: Csr,
    /// k·a_i per row.
    row_scale: Vec<f64>,
    /// q_j per column (sums to 1).
    col_scale: Vec<f64>,
}

struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    /// (target, weight).
    cells: Vec<(f32, f32)>,
}

impl Cells {
    /// The cells of `co`'s PMI under `marginals`: every counted pair with a
    /// positive PMI, its count as the weight.
    pub(crate) fn of(co: &Cooccurrence, marginals: &Marginals, config: &WeightedConfig) -> Cells {
        let (n_rows, n_cols) = co.counts.shape();
        let beta = config.count_power;
        let weigh = |x: f32| if beta == 1.0 { x } else { (x as f64).powf(beta) as f32 };
        let log_row: Vec<f64> = co.row_totals.iter().map(|&r| crate::pmi::log_mass(r)).collect();
        let per_row: Vec<(Vec<u32>, Vec<(f32, f32)>, f64)> = (0..n_rows)
            .into_par_iter()
            .map(|i| {
                let (cs, vs) = co.counts.row(i);
                let mut idx = Vec::new();
                let mut cells = Vec::new();
                let mut mass = 0f64;
                for (&c, &x) in cs.iter().zip(vs) {
                    let w = weigh(x);
                    mass += w as f64;
                    let m = marginals.entry((x as f64).ln(), log_row[i], c as usize);
                    if m > 0.0 {
                        idx.push(c);
                        cells.push((m as f32, w));
                    }
                }
                (idx, cells, mass)
            })
            .collect();
        let mut indptr = Vec::with_capacity(n_rows + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut cells = Vec::new();
        let mut row_scale = Vec::with_capacity(n_rows);
        for (idx, c, mass) in per_row {
            indices.extend_from_slice(&idx);
            cells.extend_from_slice(&c);
            indptr.push(indices.len());
            row_scale.push(config.negatives * mass);
        }
        let noise: Vec<f64> =
            co.col_totals.iter().map(|&c| if c > 0.0 { c.powf(config.noise_power) } else { 0.0 }).collect();
        let z: f64 = noise.iter().sum();
        let col_scale = noise.iter().map(|&q| if z > 0.0 { q / z } else { 0.0 }).collect();
        let (t_ptr, t_idx, t_cells) = transpose_csr(n_cols, &indptr, &indices, &cells);
        Cells {
            rows: Csr { indptr, indices, cells },
            cols: Csr { indptr: t_ptr, indices: t_idx, cells: t_cells },
            row_scale,
            col_scale,
        }
    }
}

/// The stage as both paths run it: [`refine`] from U·Σ^½, V·Σ^½, then
/// [`rebalance`] into U'·Σ^p, V'·Σ^p, timed in `report` as "weighted" (its
/// estimator marked so) with a tick per half-sweep; returns Σ.
pub(crate) fn fit(
    cells: &Cells,
    (u, v): (&mut [f32], &mut [f32]),
    d: usize,
    config: &WeightedConfig,
    p: f64,
    report: &mut crate::fit::Report,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<f64>> {
    report.estimator = format!("{}, weighted", report.estimator);
    progress.start("weighted", 2 * config.sweeps as u64);
    let s = report.time("weighted", || {
        refine(cells, u, v, d, config, &|| progress.inc(1));
        rebalance(u, v, d, p)
    })?;
    progress.finish();
    crate::progress::check(progress)?;
    Ok(s)
}

/// Refine `u` (rows × d) and `v` (cols × d), row-major, by `config.sweeps`
/// alternating sweeps; `tick` is called after each half-sweep.
pub(crate) fn refine(cells: &Cells, u: &mut [f32], v: &mut [f32], d: usize, config: &WeightedConfig, tick: &dyn Fn()) {
    for _ in 0..config.sweeps {
        // Rows of U: their negatives weigh k·a_i against the contexts' q.
        half_sweep(&cells.rows, &cells.row_scale, &cells.col_scale, u, v, d, config);
        tick();
        // Rows of V: weigh q_j against the rows' k·a_i.
        half_sweep(&cells.cols, &cells.col_scale, &cells.row_scale, v, u, d, config);
        tick();
    }
}

/// Solve every row x_i of `x` with `y` fixed:
/// (s_i·G + Σ_j w_ij y_j y_jᵀ + λω_i I) x_i = Σ_j (w_ij + s_i t_j) m_ij y_j,
/// G = Σ_j t_j y_j y_jᵀ, ω_i = Σ_j w_ij + s_i (the row's total weight).
fn half_sweep(cells: &Csr, s: &[f64], t: &[f64], x: &mut [f32], y: &[f32], d: usize, config: &WeightedConfig) {
    let g = gram(y, t, d);
    let t_sum: f64 = t.iter().sum();
    let kernel = Kernel::detect();
    x.par_chunks_mut(d).enumerate().for_each_init(
        || Work { b: vec![0f32; d], r: vec![0f32; d], p: vec![0f32; d], ap: vec![0f32; d] },
        |work, (i, xi)| {
            let (lo, hi) = (cells.indptr[i], cells.indptr[i + 1]);
            let cs = &cells.cells[lo..hi];
            let observed: f64 = cs.iter().map(|&(_, w)| w as f64).sum();
            let ridge = config.reg * (observed + s[i] * t_sum);
            let row = Row { g: &g, s: s[i], ridge: ridge as f32, idx: &cells.indices[lo..hi], cs, y, t, d };
            kernel.solve(&row, xi, work, config.cg_steps);
        },
    );
}

/// One row's normal equations, applied without forming the d × d matrix.
struct Row<'a> {
    g: &'a [f32],
    s: f64,
    ridge: f32,
    idx: &'a [u32],
    cs: &'a [(f32, f32)],
    y: &'a [f32],
    t: &'a [f64],
    d: usize,
}

/// A row's scratch vectors, reused across the rows a thread solves.
struct Work {
    b: Vec<f32>,
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
}

/// The row solve compiled for the CPU's vector extensions (FMA where it
/// has them; the same arithmetic on every row, so thread-count free).
#[derive(Clone, Copy)]
enum Kernel {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

impl Kernel {
    fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx2") && has!("fma") {
                return Kernel::Avx512;
            }
            if has!("avx2") && has!("fma") {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    fn solve(self, row: &Row, x: &mut [f32], work: &mut Work, steps: usize) {
        match self {
            // SAFETY: the CPU has the features the functions are compiled for.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe { solve_avx512(row, x, work, steps) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { solve_avx2(row, x, work, steps) },
            Kernel::Portable => solve_body::<false>(row, x, work, steps),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn solve_avx512(row: &Row, x: &mut [f32], work: &mut Work, steps: usize) {
    solve_body::<true>(row, x, work, steps)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn solve_avx2(row: &Row, x: &mut [f32], work: &mut Work, steps: usize) {
    solve_body::<true>(row, x, work, steps)
}

/// b, then a few conjugate-gradient steps on A·x = b from the current x.
#[inline(always)]
fn solve_body<const FMA: bool>(row: &Row, x: &mut [f32], work: &mut Work, steps: usize) {
    let d = row.d;
    let Work { b, r, p, ap } = work;
    // b = Σ_j (w_ij + s_i t_j) m_ij y_j and the residual r = b − A·x, in
    // one pass over the row's y_j (the pass over rows of Y is the cost).
    b.fill(0.0);
    apply_dense::<FMA>(row, x, r);
    for (&j, &(m, w)) in row.idx.iter().zip(row.cs) {
        let yj = &row.y[j as usize * d..][..d];
        let c = (w as f64 + row.s * row.t[j as usize]) as f32 * m;
        axpy::<FMA>(c, yj, b);
        axpy::<FMA>(w * dot::<FMA>(yj, x), yj, r);
    }
    r.iter_mut().zip(b.iter()).for_each(|(r, b)| *r = b - *r);
    p.copy_from_slice(r);
    let mut rs = dot::<FMA>(r, r);
    for _ in 0..steps {
        if rs <= 0.0 || !rs.is_finite() {
            break;
        }
        apply::<FMA>(row, p, ap);
        let pap = dot::<FMA>(p, ap);
        if pap <= 0.0 || !pap.is_finite() {
            break;
        }
        let alpha = rs / pap;
        axpy::<FMA>(alpha, p, x);
        axpy::<FMA>(-alpha, ap, r);
        let rs_new = dot::<FMA>(r, r);
        let beta = rs_new / rs;
        p.iter_mut().zip(r.iter()).for_each(|(p, r)| *p = r + beta * *p);
        rs = rs_new;
    }
}

/// out = s·G·p + λω·p: the part of A·p shared by every row's cells.
#[inline(always)]
fn apply_dense<const FMA: bool>(row: &Row, p: &[f32], out: &mut [f32]) {
    let d = row.d;
    let s = row.s as f32;
    for (k, o) in out.iter_mut().enumerate() {
        *o = s * dot::<FMA>(&row.g[k * d..(k + 1) * d], p) + row.ridge * p[k];
    }
}

/// out = A·p = s·G·p + Σ_j w_ij (y_j·p) y_j + λω·p.
#[inline(always)]
fn apply<const FMA: bool>(row: &Row, p: &[f32], out: &mut [f32]) {
    let d = row.d;
    apply_dense::<FMA>(row, p, out);
    for (&j, &(_, w)) in row.idx.iter().zip(row.cs) {
        let yj = &row.y[j as usize * d..][..d];
        axpy::<FMA>(w * dot::<FMA>(yj, p), yj, out);
    }
}

/// G = Σ_j t_j y_j y_jᵀ (d × d, row-major), by the crate's blocked Gram
/// (fixed block order, so the same for any thread count).
fn gram(y: &[f32], t: &[f64], d: usize) -> Vec<f32> {
    let scale: Vec<f32> = t.iter().map(|&t| t.sqrt() as f32).collect();
    let g = crate::factorize::gram_scaled_in(y, d, Some(&scale), &crate::comm::Local::new(0, 0))
        .expect("a single machine's sum cannot fail");
    (0..d * d).map(|k| g[(k / d, k % d)] as f32).collect()
}

/// Re-express U·Vᵀ as U'·Σ·V'ᵀ with orthonormal U', V' — the SVD of the
/// refined product, from d × d matrices only — and return U'·Σ^p, V'·Σ^p
/// in place and Σ: the weighted factors then weigh their dimensions as the
/// SVD's do ([`crate::config::FactorizeConfig::eig_weight`]).
pub(crate) fn rebalance(u: &mut [f32], v: &mut [f32], d: usize, p: f64) -> Result<Vec<f64>> {
    use faer::Mat;
    // U = Q_u·R_u with R_u = Λ^½·Eᵀ from the eigendecomposition of UᵀU.
    let whiten = |x: &[f32]| -> Result<(Mat<f64>, Mat<f64>)> {
        let (lambda, e) = crate::factorize::small_eigh(crate::factorize::gram(x, d).as_ref())?;
        let top = lambda.iter().cloned().fold(0.0, f64::max);
        let r = Mat::<f64>::from_fn(d, d, |a, b| lambda[a].max(0.0).sqrt() * e[(b, a)]);
        let inv = Mat::<f64>::from_fn(d, d, |a, b| {
            let l = lambda[b];
            if l > top * 1e-12 && l > 0.0 { e[(a, b)] / l.sqrt() } else { 0.0 }
        });
        Ok((r, inv))
    };
    let (ru, iu) = whiten(u)?;
    let (rv, iv) = whiten(v)?;
    let (a, s, b) = crate::factorize::small_svd_pub((&ru * rv.transpose()).as_ref())?;
    let weights: Vec<f64> = s.iter().map(|&s| if s > 0.0 { s.powf(p) } else { 0.0 }).collect();
    for (x, t) in [(u, &iu * &a), (v, &iv * &b)] {
        let t = Mat::<f32>::from_fn(d, d, |r, c| (t[(r, c)] * weights[c]) as f32);
        x.par_chunks_mut(d).for_each(|row| {
            let old = row.to_vec();
            for (c, out) in row.iter_mut().enumerate() {
                *out = (0..d).map(|r| old[r] * t[(r, c)]).sum();
            }
        });
    }
    Ok(s)
}

/// x·y in sixteen lanes (so it vectorizes; the order is fixed).
#[inline(always)]
fn dot<const FMA: bool>(x: &[f32], y: &[f32]) -> f32 {
    const L: usize = 16;
    let mut acc = [0f32; L];
    let (xc, yc) = (x.chunks_exact(L), y.chunks_exact(L));
    let tail: f32 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in xc.zip(yc) {
        for k in 0..L {
            acc[k] = if FMA { a[k].mul_add(b[k], acc[k]) } else { acc[k] + a[k] * b[k] };
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// out += c·x.
#[inline(always)]
fn axpy<const FMA: bool>(c: f32, x: &[f32], out: &mut [f32]) {
    if FMA {
        out.iter_mut().zip(x).for_each(|(o, &v)| *o = v.mul_add(c, *o));
    } else {
        out.iter_mut().zip(x).for_each(|(o, &v)| *o += c * v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The objective, summed densely (small matrices only).
    fn loss(cells: &Cells, u: &[f32], v: &[f32], d: usize, n: usize) -> f64 {
        let mut total = 0f64;
        for i in 0..n {
            let (lo, hi) = (cells.rows.indptr[i], cells.rows.indptr[i + 1]);
            for j in 0..n {
                let uv: f64 = (0..d).map(|k| u[i * d + k] as f64 * v[j * d + k] as f64).sum();
                let mut w = cells.row_scale[i] * cells.col_scale[j];
                let mut m = 0f64;
                if let Some(p) = cells.rows.indices[lo..hi].iter().position(|&c| c as usize == j) {
                    let (t, wc) = cells.rows.cells[lo + p];
                    w += wc as f64;
                    m = t as f64;
                }
                total += w * (uv - m).powi(2);
            }
        }
        total
    }

    fn small() -> (Cooccurrence, Marginals) {
        // A symmetric count matrix over 12 words in three topics.
        let n = 12;
        let mut dense = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                let same = i / 4 == j / 4;
                dense[i * n + j] = if i == j {
                    0.0
                } else if same {
                    20.0 + ((i * 7 + j * 7) % 5) as f32
                } else {
                    ((i + j) % 3) as f32
                };
            }
        }
        let mut indptr = vec![0];
        let (mut idx, mut val) = (vec![], vec![]);
        let mut totals = vec![0f64; n];
        for i in 0..n {
            for j in 0..n {
                if dense[i * n + j] > 0.0 {
                    idx.push(j as u32);
                    val.push(dense[i * n + j]);
                    totals[i] += dense[i * n + j] as f64;
                }
            }
            indptr.push(idx.len());
        }
        let co = Cooccurrence {
            counts: crate::sparse::SparseMatrix::from_csr((n, n), indptr, idx, val),
            total: totals.iter().sum(),
            row_totals: totals.clone(),
            col_totals: totals,
            steps: 0,
            distinct_pairs: 0,
        };
        let marginals = Marginals::of(&co, &crate::pmi::PmiConfig { neg: 1.0, cds: 1.0 });
        (co, marginals)
    }

    #[test]
    fn sweeps_lower_the_weighted_loss_and_do_not_depend_on_the_thread_count() {
        let (co, marginals) = small();
        let config = WeightedConfig::default().reg(0.0).cg_steps(12);
        let cells = Cells::of(&co, &marginals, &config);
        let (n, d) = (12, 3);
        let init: Vec<f32> = (0..n * d).map(|k| ((k * 37 % 11) as f32 - 5.0) * 0.1).collect();
        let before = loss(&cells, &init, &init, d, n);
        let run = |threads: usize| {
            let (mut u, mut v) = (init.clone(), init.clone());
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| refine(&cells, &mut u, &mut v, d, &config, &|| ()));
            (u, v)
        };
        let (u, v) = run(1);
        let after = loss(&cells, &u, &v, d, n);
        assert!(after < 0.5 * before, "loss {before} -> {after}");
        // More sweeps do not raise it: each half-sweep solves its rows' exact
        // least-squares problem (12 CG steps ≥ d, so exactly).
        let mut more = (u.clone(), v.clone());
        refine(&cells, &mut more.0, &mut more.1, d, &config, &|| ());
        assert!(loss(&cells, &more.0, &more.1, d, n) <= after * (1.0 + 1e-4));
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn a_half_sweep_solves_each_row_exactly_when_cg_has_d_steps() {
        // Compare one row's update with the dense normal equations.
        let (co, marginals) = small();
        let config = WeightedConfig::default().reg(0.01).cg_steps(3);
        let cells = Cells::of(&co, &marginals, &config);
        let (n, d) = (12, 3);
        let y: Vec<f32> = (0..n * d).map(|k| ((k * 13 % 7) as f32 - 3.0) * 0.2).collect();
        let mut x = vec![0f32; n * d];
        half_sweep(&cells.rows, &cells.row_scale, &cells.col_scale, &mut x, &y, d, &config);
        let t_sum: f64 = cells.col_scale.iter().sum();
        for i in 0..n {
            let mut a = vec![0f64; d * d];
            let mut b = vec![0f64; d];
            let (lo, hi) = (cells.rows.indptr[i], cells.rows.indptr[i + 1]);
            let mut observed = 0f64;
            for j in 0..n {
                let mut w = cells.row_scale[i] * cells.col_scale[j];
                let mut m = 0f64;
                if let Some(p) = cells.rows.indices[lo..hi].iter().position(|&c| c as usize == j) {
                    let (t, wc) = cells.rows.cells[lo + p];
                    w += wc as f64;
                    observed += wc as f64;
                    m = t as f64;
                }
                for r in 0..d {
                    b[r] += w * m * y[j * d + r] as f64;
                    for c in 0..d {
                        a[r * d + c] += w * y[j * d + r] as f64 * y[j * d + c] as f64;
                    }
                }
            }
            let ridge = 0.01 * (observed + cells.row_scale[i] * t_sum);
            for r in 0..d {
                a[r * d + r] += ridge;
            }
            // A·x_i must equal b.
            for r in 0..d {
                let ax: f64 = (0..d).map(|c| a[r * d + c] * x[i * d + c] as f64).sum();
                assert!((ax - b[r]).abs() <= 1e-3 * (1.0 + b[r].abs()), "row {i}: {ax} vs {}", b[r]);
            }
        }
    }

    #[test]
    fn rebalancing_keeps_the_product_and_makes_the_sides_orthogonal() {
        let (n, m, d) = (30, 20, 4);
        let mut u: Vec<f32> = (0..n * d).map(|k| ((k * 29 % 17) as f32 - 8.0) * 0.1).collect();
        let mut v: Vec<f32> = (0..m * d).map(|k| ((k * 11 % 13) as f32 - 6.0) * 0.1).collect();
        let product = |u: &[f32], v: &[f32]| -> Vec<f64> {
            (0..n * m).map(|c| (0..d).map(|k| u[c / m * d + k] as f64 * v[c % m * d + k] as f64).sum()).collect()
        };
        let before = product(&u, &v);
        let s = rebalance(&mut u, &mut v, d, 0.5).unwrap();
        assert!(s.windows(2).all(|w| w[0] >= w[1]), "{s:?}");
        for (a, b) in product(&u, &v).iter().zip(&before) {
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
        }
        // U'·Σ^½ has orthogonal columns of squared norm σ_k.
        let g = crate::factorize::gram(&u, d);
        for a in 0..d {
            for b in 0..d {
                let want = if a == b { s[a] } else { 0.0 };
                assert!((g[(a, b)] - want).abs() < 1e-3 * s[0], "({a},{b}): {} vs {want}", g[(a, b)]);
            }
        }
    }
}
