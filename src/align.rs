//! Alignment of one embedding onto another by orthogonal Procrustes: the
//! rotation R minimizing ‖X·R − Y‖ over anchor pairs (the shared labels, or
//! given pairs — two snapshots of a network, two seeds, or one language's
//! word vectors mapped onto another's), from the SVD of XᵀY = U·S·Vᵀ:
//! R = U·Vᵀ. Optionally centred (means matched) and scaled (s = tr S / ‖X‖²).

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;
use serde::Serialize;

/// Options of [`align`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AlignConfig {
    /// Subtract each side's anchor mean before rotating (and add the
    /// target's back). Default off.
    pub center: bool,
    /// Allow a uniform scale factor. Default off.
    pub scale: bool,
}

/// How well the anchors align.
#[derive(Clone, Debug, Serialize)]
pub struct Alignment {
    /// Anchor pairs used.
    pub anchors: usize,
    /// ‖X·R·s − Y‖_F / ‖Y‖_F over the anchors (after centring, if on).
    pub residual: f64,
    /// Share of anchors whose nearest target anchor (cosine) after
    /// alignment is their partner.
    pub nearest_is_partner: f64,
    /// The scale factor (1 without scaling).
    pub scale: f64,
    /// Mean cosine between aligned anchors and their partners.
    pub mean_cosine: f64,
}

/// Align `source` onto `target` (left sides). `anchors` pairs a target
/// label with a source label; `None` uses every label both share. Returns
/// the whole source, transformed.
///
/// # Errors
/// [`Error::InvalidConfig`] when the dimensions differ or fewer anchors
/// than one are found.
pub fn align(
    target: &Embeddings,
    source: &Embeddings,
    anchors: Option<&[(String, String)]>,
    config: AlignConfig,
) -> Result<(Embeddings, Alignment)> {
    let d = target.dim();
    if d == 0 || source.dim() == 0 {
        return Err(Error::invalid("embeddings", "have no dimensions (d = 0): there is nothing to align"));
    }
    if source.dim() != d {
        return Err(Error::invalid("anchors", format!("the dimensions differ: {} and {}", d, source.dim())));
    }
    let pairs: Vec<(usize, usize)> = match anchors {
        Some(list) => list.iter().filter_map(|(t, s)| Some((target.position(t)?, source.position(s)?))).collect(),
        None => source.labels().iter().enumerate().filter_map(|(j, l)| Some((target.position(l)?, j))).collect(),
    };
    if pairs.is_empty() {
        return Err(Error::invalid("anchors", "no anchor pair is in both embeddings"));
    }
    let (ty, sx) = (target.matrix(Side::Left), source.matrix(Side::Left));
    let n = pairs.len();
    let gather = |m: &[f32], pick: &dyn Fn(&(usize, usize)) -> usize| -> Mat<f64> {
        Mat::from_fn(n, d, |i, j| m[pick(&pairs[i]) * d + j] as f64)
    };
    let (mut x, mut y) = (gather(&sx, &|p| p.1), gather(&ty, &|p| p.0));
    let mean =
        |m: &Mat<f64>| -> Vec<f64> { (0..d).map(|j| (0..n).map(|i| m[(i, j)]).sum::<f64>() / n as f64).collect() };
    let (mx, my) = if config.center { (mean(&x), mean(&y)) } else { (vec![0.0; d], vec![0.0; d]) };
    for i in 0..n {
        for j in 0..d {
            x[(i, j)] -= mx[j];
            y[(i, j)] -= my[j];
        }
    }
    let mut m = Mat::<f64>::zeros(d, d);
    faer::linalg::matmul::matmul(m.as_mut(), Accum::Replace, x.transpose(), y.as_ref(), 1.0, Par::Seq);
    let (u, s, v) = crate::factorize::small_svd_pub(m.as_ref())?;
    let mut r = Mat::<f64>::zeros(d, d);
    faer::linalg::matmul::matmul(r.as_mut(), Accum::Replace, u.as_ref(), v.transpose(), 1.0, Par::Seq);
    let norm_x: f64 = (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| x[(i, j)] * x[(i, j)]).sum();
    let scale = if config.scale && norm_x > 0.0 { s.iter().sum::<f64>() / norm_x } else { 1.0 };
    // Every source row: (b − μx)·R·s + μy.
    let rows = source.len();
    let mut out = vec![0f32; rows * d];
    out.par_chunks_mut(d).zip(sx.par_chunks(d)).for_each(|(o, b)| {
        let centred: Vec<f64> = b.iter().zip(&mx).map(|(v, m)| *v as f64 - m).collect();
        for (j, oj) in o.iter_mut().enumerate() {
            let v: f64 = centred.iter().enumerate().map(|(i, c)| c * r[(i, j)]).sum();
            *oj = (v * scale + my[j]) as f32;
        }
    });
    let aligned = Embeddings::from_matrix(source.labels().to_vec(), d, out);
    let stats = anchor_stats(&aligned, target, &pairs, &my, scale, d);
    Ok((aligned, stats))
}

fn anchor_stats(
    aligned: &Embeddings,
    target: &Embeddings,
    pairs: &[(usize, usize)],
    my: &[f64],
    scale: f64,
    d: usize,
) -> Alignment {
    let (a, t) = (aligned.matrix(Side::Left), target.matrix(Side::Left));
    let n = pairs.len();
    let unit = |m: &[f32], i: usize| -> Vec<f32> {
        let r = &m[i * d..(i + 1) * d];
        let norm = r.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        r.iter().map(|v| v / norm).collect()
    };
    let xa: Vec<f32> = pairs.iter().flat_map(|p| unit(&a, p.1)).collect();
    let yt: Vec<f32> = pairs.iter().flat_map(|p| unit(&t, p.0)).collect();
    let (mut err, mut tot) = (0f64, 0f64);
    for p in pairs {
        for j in 0..d {
            let (av, tv) = (a[p.1 * d + j] as f64 - my[j], t[p.0 * d + j] as f64 - my[j]);
            err += (av - tv) * (av - tv);
            tot += tv * tv;
        }
    }
    // Nearest target anchor of each aligned anchor, by blocks of rows (a GEMM).
    let ym = MatRef::from_row_major_slice(&yt, n, d);
    let hits: Vec<(bool, f64)> = xa
        .par_chunks(256 * d)
        .enumerate()
        .flat_map_iter(|(b, chunk)| {
            let rows = chunk.len() / d;
            let xm = MatRef::from_row_major_slice(chunk, rows, d);
            let mut sim = Mat::<f32>::zeros(rows, n);
            faer::linalg::matmul::matmul(sim.as_mut(), Accum::Replace, xm, ym.transpose(), 1.0, Par::Seq);
            (0..rows)
                .map(|r| {
                    let i = b * 256 + r;
                    let best = (0..n).max_by(|&p, &q| sim[(r, p)].total_cmp(&sim[(r, q)])).unwrap_or(i);
                    (best == i, sim[(r, i)] as f64)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Alignment {
        anchors: n,
        residual: if tot > 0.0 { (err / tot).sqrt() } else { 0.0 },
        nearest_is_partner: hits.iter().filter(|h| h.0).count() as f64 / n as f64,
        scale,
        mean_cosine: hits.iter().map(|h| h.1).sum::<f64>() / n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize, d: usize, seed: u64) -> Vec<f32> {
        (0..n * d).map(|k| (crate::seed::unit(seed, crate::seed::Stream::Shuffle, k as u64) - 0.5) as f32).collect()
    }

    #[test]
    fn vectors_without_dimensions_are_refused_not_a_panic() {
        let empty = Embeddings::from_matrix(vec!["a".into(), "b".into()], 0, vec![]);
        let e = align(&empty, &empty, None, AlignConfig::default()).unwrap_err().to_string();
        assert!(e.contains("d = 0"), "{e}");
    }

    #[test]
    fn a_rotated_copy_aligns_back_exactly() {
        let (n, d) = (200, 6);
        let labels: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
        let a = random(n, d, 1);
        // A random orthogonal matrix from the QR of a Gaussian-ish block.
        let g = Mat::<f64>::from_fn(d, d, |i, j| random(d, d, 7)[i * d + j] as f64);
        let q = g.qr().compute_thin_Q();
        let b: Vec<f32> = (0..n)
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| (0..d).map(|k| a[i * d + k] as f64 * q[(k, j)]).sum::<f64>() as f32)
            .collect();
        let (target, source) =
            (Embeddings::from_matrix(labels.clone(), d, a.clone()), Embeddings::from_matrix(labels, d, b));
        let (aligned, stats) = align(&target, &source, None, AlignConfig::default()).unwrap();
        let back = aligned.matrix(Side::Left);
        let worst = back.iter().zip(&a).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-5, "{worst}");
        assert!(stats.residual < 1e-5 && stats.nearest_is_partner == 1.0 && stats.anchors == n);
    }

    #[test]
    fn scaling_and_centring_recover_a_similarity_transform() {
        let (n, d) = (100, 3);
        let labels: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let a = random(n, d, 2);
        let b: Vec<f32> = a.iter().enumerate().map(|(k, v)| v * 3.0 + if k % d == 0 { 5.0 } else { -1.0 }).collect();
        let (target, source) =
            (Embeddings::from_matrix(labels.clone(), d, a.clone()), Embeddings::from_matrix(labels, d, b));
        let cfg = AlignConfig { center: true, scale: true };
        let (aligned, stats) = align(&target, &source, None, cfg).unwrap();
        assert!((stats.scale - 1.0 / 3.0).abs() < 1e-5, "{}", stats.scale);
        let worst = aligned.matrix(Side::Left).iter().zip(&a).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "{worst}");
    }
}
