//! Two-dimensional maps of an embedding, for pictures: PCA (the two leading
//! principal axes, fast and faithful to global structure) and t-SNE (van der
//! Maaten & Hinton 2008, which keeps neighbourhoods and shows clusters).
//!
//! t-SNE runs on the rows' cosine geometry (unit rows, Euclidean distance):
//! exact k nearest neighbours by blocked matrix products (k = 3·perplexity,
//! as the reference implementations use), then FIt-SNE's FFT-interpolated
//! gradient (Linderman et al. 2019, the `bhtsne` crate), started from the
//! PCA map scaled to a standard deviation of 10⁻⁴ as openTSNE does: the same
//! input and seed give the same map.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use crate::factorize::SvdConfig;
use crate::pca::{Features, pca};
use crate::progress::Progress;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// How to map the rows to the plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    /// The two leading principal axes.
    Pca,
    /// t-SNE (the default: clusters read at a glance).
    #[default]
    Tsne,
}

/// Parameters of a map.
#[derive(Clone, Debug)]
pub struct LayoutConfig {
    /// PCA or t-SNE.
    pub method: Method,
    /// t-SNE perplexity (effective neighbours). Default 30.
    pub perplexity: f64,
    /// t-SNE iterations (the first 250 exaggerated). Default 750.
    pub epochs: usize,
    /// Seed of the PCA sketch (and so of the t-SNE start).
    pub seed: u64,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        LayoutConfig { method: Method::Tsne, perplexity: 30.0, epochs: 750, seed: 0 }
    }
}

/// The perplexity to use when none is asked for: the default 30, lowered
/// to what `rows` points can support ((rows − 2)/3, at least 1), as
/// openTSNE does, so a small graph maps without an option.
pub fn default_perplexity(rows: usize) -> f64 {
    let default = LayoutConfig::default().perplexity;
    default.min(((rows as f64 - 2.0) / 3.0).floor()).max(1.0)
}

/// The 2-D map of `side` of `emb`'s rows (in row order), as `[x, y]` pairs.
///
/// # Errors
/// [`Error::Empty`] for fewer than 3 rows (t-SNE: fewer than 3·perplexity + 2,
/// lower the perplexity), [`Error::InvalidConfig`] for a perplexity or epoch
/// count out of range.
pub fn layout(emb: &Embeddings, side: Side, config: &LayoutConfig, progress: &dyn Progress) -> Result<Vec<[f32; 2]>> {
    let n = emb.len();
    let d = emb.dim();
    if n < 3 {
        return Err(Error::Empty { path: None, what: "a map needs at least 3 rows".into() });
    }
    let mut rows = emb.matrix(side);
    crate::factorize::normalize_rows(&mut rows, d);
    let svd = SvdConfig { seed: config.seed, ..SvdConfig::default() };
    let k = 2.min(d);
    let fitted = pca(&Features::Dense { rows: n, cols: d, data: rows.clone() }, k, &svd)?;
    let mut start: Vec<[f32; 2]> =
        fitted.transformed.chunks(k).map(|r| [r[0], r.get(1).copied().unwrap_or(0.0)]).collect();
    if config.method == Method::Pca {
        return Ok(start);
    }
    if !(config.perplexity.is_finite() && config.perplexity >= 1.0) {
        return Err(Error::invalid("perplexity", "must be a number ≥ 1"));
    }
    if config.epochs == 0 || config.epochs > 100_000 {
        return Err(Error::invalid("epochs", "must be in 1..=100000"));
    }
    // Compared as floats: a huge perplexity must not wrap the count.
    if 3.0 * config.perplexity + 2.0 > n as f64 {
        return Err(Error::Empty {
            path: None,
            what: format!(
                "t-SNE at perplexity {} needs more than {:.0} rows, this has {n}: lower the perplexity or use PCA",
                config.perplexity,
                (3.0 * config.perplexity).floor() + 1.0
            ),
        });
    }
    let neighbours = (3.0 * config.perplexity) as usize;
    // openTSNE's start: the PCA map with standard deviation 1e-4 on x.
    let sd = (start.iter().map(|p| (p[0] as f64).powi(2)).sum::<f64>() / n as f64).sqrt().max(1e-30);
    let scale = (1e-4 / sd) as f32;
    start.iter_mut().for_each(|p| p.iter_mut().for_each(|v| *v *= scale));
    progress.start("neighbours", 1);
    let knn = nearest_neighbours(&rows, d, neighbours);
    progress.finish();
    crate::progress::check(progress)?;
    progress.start("t-SNE", config.epochs as u64);
    let samples: Vec<usize> = (0..n).collect();
    let init: Vec<f32> = start.iter().flatten().copied().collect();
    // bhtsne sums over rayon's adaptive splits, whose order varies from run
    // to run: one thread makes the map reproducible.
    let flat = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| Error::Numerical(format!("t-SNE: {e}")))?
        .install(|| {
            let mut tsne = bhtsne::tSNE::<f32, usize, 2>::new(&samples);
            tsne.perplexity(config.perplexity as f32)
                .epochs(config.epochs)
                .initial_embedding(init)
                .epoch_callback(|_, _| progress.inc(1));
            tsne.fit_sne_with_neighbors(&knn);
            tsne.embedding()
        });
    progress.finish();
    crate::progress::check(progress)?;
    if flat.iter().any(|v| !v.is_finite()) {
        return Err(Error::Numerical("t-SNE diverged (non-finite coordinates)".into()));
    }
    Ok(flat.chunks(2).map(|p| [p[0], p[1]]).collect())
}

/// Each unit row's `k` nearest other rows by Euclidean distance, ascending
/// (ties by index): exact, from blocked products X·Xᵀ, deterministic.
pub(crate) fn nearest_neighbours(x: &[f32], d: usize, k: usize) -> Vec<Vec<bhtsne::Neighbor<f32>>> {
    const BLOCK: usize = 256;
    let n = x.len() / d;
    let all = MatRef::from_row_major_slice(x, n, d);
    let mut out: Vec<Vec<bhtsne::Neighbor<f32>>> = Vec::with_capacity(n);
    let blocks: Vec<_> = (0..n)
        .into_par_iter()
        .step_by(BLOCK)
        .map(|start| {
            let rows = BLOCK.min(n - start);
            let mut sims = vec![0f32; rows * n];
            let q = MatRef::from_row_major_slice(&x[start * d..(start + rows) * d], rows, d);
            let dst = MatMut::from_row_major_slice_mut(&mut sims, rows, n);
            faer::linalg::matmul::matmul(dst, Accum::Replace, q, all.transpose(), 1.0, Par::Seq);
            sims.chunks(n)
                .enumerate()
                .map(|(r, s)| {
                    let me = start + r;
                    let mut idx: Vec<u32> = (0..n as u32).filter(|&j| j as usize != me).collect();
                    let by = |a: &u32, b: &u32| s[*b as usize].total_cmp(&s[*a as usize]).then(a.cmp(b));
                    idx.select_nth_unstable_by(k - 1, by);
                    idx.truncate(k);
                    idx.sort_unstable_by(by);
                    idx.into_iter()
                        .map(|j| bhtsne::Neighbor {
                            index: j as usize,
                            distance: (2.0 - 2.0 * s[j as usize]).max(0.0).sqrt(),
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    blocks.into_iter().for_each(|b| out.extend(b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// Two well separated groups of noisy unit vectors in 8-D.
    fn two_groups(n: usize) -> Embeddings {
        let d = 8;
        let mut data = Vec::new();
        for i in 0..n {
            let g = i % 2;
            for j in 0..d {
                let base = if j % 2 == g { 1.0 } else { 0.0 };
                data.push(base + 0.1 * (crate::seed::unit(3, crate::seed::Stream::Shuffle, (i * d + j) as u64) as f32));
            }
        }
        Embeddings::from_matrix((0..n).map(|i| format!("n{i}")).collect(), d, data)
    }

    #[test]
    fn neighbours_match_a_brute_force_scan() {
        let emb = two_groups(40);
        let mut x = emb.matrix(Side::Left);
        crate::factorize::normalize_rows(&mut x, 8);
        let knn = nearest_neighbours(&x, 8, 5);
        for (i, row) in knn.iter().enumerate() {
            let dist = |j: usize| (0..8).map(|c| (x[i * 8 + c] - x[j * 8 + c]).powi(2)).sum::<f32>().sqrt();
            let mut all: Vec<(f32, usize)> = (0..40).filter(|&j| j != i).map(|j| (dist(j), j)).collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (nb, (d, _)) in row.iter().zip(&all) {
                assert!((nb.distance - d).abs() < 1e-4, "row {i}: {} vs {d}", nb.distance);
            }
            assert!(row.iter().all(|nb| nb.index != i));
        }
    }

    #[test]
    fn the_default_perplexity_shrinks_to_what_the_rows_support() {
        assert_eq!(default_perplexity(34), 10.0);
        assert_eq!(default_perplexity(10_000), 30.0);
        assert_eq!(default_perplexity(3), 1.0);
        // What it gives is accepted by the layout's own check.
        for n in [5usize, 34, 92, 200] {
            assert!(3.0 * default_perplexity(n) + 2.0 <= n as f64, "{n}");
        }
    }

    #[test]
    fn a_huge_perplexity_is_refused_not_wrapped() {
        let emb = two_groups(40);
        for perplexity in [1e19, 1e300] {
            let cfg = LayoutConfig { perplexity, ..Default::default() };
            let e = layout(&emb, Side::Left, &cfg, &NoProgress).unwrap_err().to_string();
            assert!(e.contains("lower the perplexity"), "{e}");
        }
    }

    #[test]
    fn tsne_separates_two_groups_and_is_reproducible() {
        let emb = two_groups(120);
        let cfg = LayoutConfig { perplexity: 10.0, epochs: 300, ..Default::default() };
        let map = layout(&emb, Side::Left, &cfg, &NoProgress).unwrap();
        assert_eq!(map, layout(&emb, Side::Left, &cfg, &NoProgress).unwrap());
        // Every point's nearest point on the map is from its own group.
        for (i, p) in map.iter().enumerate() {
            let d2 = |q: &[f32; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
            let nearest =
                (0..map.len()).filter(|&j| j != i).min_by(|&a, &b| d2(&map[a]).total_cmp(&d2(&map[b]))).unwrap();
            assert_eq!(nearest % 2, i % 2, "point {i}");
        }
        let pca_map =
            layout(&emb, Side::Left, &LayoutConfig { method: Method::Pca, ..cfg.clone() }, &NoProgress).unwrap();
        // The groups differ along the first principal axis.
        let mean = |g: usize| pca_map.iter().skip(g).step_by(2).map(|p| p[0]).sum::<f32>() / 60.0;
        assert!((mean(0) - mean(1)).abs() > 0.5);
        let small = two_groups(20);
        assert!(
            layout(&small, Side::Left, &cfg, &NoProgress).unwrap_err().to_string().contains("lower the perplexity")
        );
    }
}
