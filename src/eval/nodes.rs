//! Multi-label node classification, the protocol of DeepWalk and NetMF:
//! for each training ratio and seeded random split of the labelled nodes,
//! rows L2-normalized, one-vs-rest L2-regularized logistic regression with
//! an intercept; each test node is given its k top-scoring labels, k = its
//! true number of labels; Micro- and Macro-F1 over the test nodes.
//!
//! The binary classifiers minimize liblinear's primal objective (what
//! scikit-learn's `LogisticRegression(solver="liblinear")` solves, the
//! intercept a regularized constant feature): ½‖w‖² + C·Σ log(1 + e^(−y·w·x)).
//! Newton's method with the exact (d+1)² Hessian — a GEMM over the training
//! rows — and a backtracking line search converges in a handful of steps to
//! a tighter tolerance than liblinear's. Labels are fitted in parallel, each
//! by one thread, so results do not depend on the thread count.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use crate::seed::{Stream, unit};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// Node labels read from `node<TAB>label` lines (a node may have several).
#[derive(Clone, Debug, Default)]
pub struct NodeLabels {
    /// Labelled nodes, in order of first appearance.
    pub nodes: Vec<String>,
    /// Distinct labels, in order of first appearance.
    pub labels: Vec<String>,
    /// Label indices of each node.
    pub of: Vec<Vec<u32>>,
}

/// Read `node<TAB>label` (or space-separated) lines; blank lines and `#`
/// comments are skipped, and a first line `node label` (any two words that
/// are not both numbers above numeric lines) is taken for a header.
///
/// # Errors
/// [`Error::Parse`] naming the line of a record without two fields,
/// [`Error::Empty`] for a file without labels.
pub fn read_node_labels(path: &Path) -> Result<NodeLabels> {
    let text = crate::source::read_to_string(path)?;
    let mut out = NodeLabels::default();
    let (mut node_ids, mut label_ids) = (HashMap::new(), HashMap::new());
    let mut first = true;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(['\t', ' ', ',']).filter(|s| !s.is_empty()).collect();
        if f.len() != 2 {
            return Err(Error::Parse {
                path: Some(path.into()),
                line: i as u64 + 1,
                message: format!("expected `node<TAB>label`, found {} fields", f.len()),
            });
        }
        if std::mem::take(&mut first) && f[1].parse::<f64>().is_err() && f[0].parse::<f64>().is_err() {
            let next_numeric = text
                .lines()
                .nth(i + 1)
                .is_some_and(|l| l.split(['\t', ' ', ',']).filter(|s| !s.is_empty()).all(|x| x.parse::<f64>().is_ok()));
            if next_numeric {
                continue; // a header
            }
        }
        let n = *node_ids.entry(f[0].to_owned()).or_insert_with(|| {
            out.nodes.push(f[0].to_owned());
            out.of.push(Vec::new());
            out.nodes.len() - 1
        });
        let l = *label_ids.entry(f[1].to_owned()).or_insert_with(|| {
            out.labels.push(f[1].to_owned());
            out.labels.len() as u32 - 1
        });
        if !out.of[n].contains(&l) {
            out.of[n].push(l);
        }
    }
    if out.nodes.is_empty() {
        return Err(Error::Empty { path: Some(path.into()), what: "no node labels".into() });
    }
    Ok(out)
}

/// Scores at one training ratio, over the splits.
#[derive(Clone, Debug, Serialize)]
pub struct RatioScore {
    /// Share of labelled nodes used for training.
    pub ratio: f64,
    /// Mean Micro-F1 over the splits.
    pub micro_mean: f64,
    /// Its standard deviation (population, as numpy's default).
    pub micro_std: f64,
    /// Mean Macro-F1.
    pub macro_mean: f64,
    /// Its standard deviation.
    pub macro_std: f64,
    /// Micro-F1 of each split.
    pub micro: Vec<f64>,
    /// Macro-F1 of each split.
    pub macro_: Vec<f64>,
}

/// The result of [`node_classification`].
#[derive(Clone, Debug, Serialize)]
pub struct NodeScores {
    /// Labelled nodes evaluated.
    pub labelled: usize,
    /// Distinct labels.
    pub labels: usize,
    /// Labelled nodes absent from the embedding (scored as zero vectors).
    pub missing: usize,
    /// Labelled nodes present with an all-zero vector (a node without
    /// out-arcs of a directed graph, say): they carry no information either.
    pub zero_vectors: usize,
    /// Scores per training ratio.
    pub ratios: Vec<RatioScore>,
}

/// Parameters of [`node_classification`].
#[derive(Clone, Debug)]
pub struct NodeEval {
    /// Training ratios. Default 0.1, 0.5, 0.9.
    pub ratios: Vec<f64>,
    /// Seeded random splits per ratio. Default 5.
    pub splits: usize,
    /// Seed of the splits. Default 0.
    pub seed: u64,
    /// Inverse regularization strength C. Default 1.
    pub c: f64,
}

impl Default for NodeEval {
    fn default() -> Self {
        NodeEval { ratios: vec![0.1, 0.5, 0.9], splits: 5, seed: 0, c: 1.0 }
    }
}

/// Score `side` of `emb` on `labels` (see the module docs). Node labels are
/// matched to the embedding's labels as strings, so the row order of the
/// file does not matter.
///
/// # Errors
/// [`Error::InvalidConfig`] for a ratio outside (0, 1), no split, or a C ≤ 0.
pub fn node_classification(emb: &Embeddings, side: Side, labels: &NodeLabels, eval: &NodeEval) -> Result<NodeScores> {
    crate::params::check(eval.ratios.iter().all(|r| *r > 0.0 && *r < 1.0), "ratios", "must be in (0, 1)")?;
    crate::params::check(eval.splits >= 1, "splits", "must be at least 1")?;
    crate::params::check(eval.c.is_finite() && eval.c > 0.0, "C", "must be > 0")?;
    let d = emb.side_dim(side);
    let n = labels.nodes.len();
    let mut x = vec![0f32; n * d];
    let (mut missing, mut zero_vectors) = (0, 0);
    for (i, node) in labels.nodes.iter().enumerate() {
        match emb.position(node) {
            Some(r) => {
                let row = &mut x[i * d..(i + 1) * d];
                emb.row_into(r, side, row);
                zero_vectors += row.iter().all(|&v| v == 0.0) as usize;
            }
            None => missing += 1,
        }
    }
    crate::factorize::normalize_rows(&mut x, d);
    let ratios = eval
        .ratios
        .iter()
        .map(|&ratio| {
            let scores: Vec<(f64, f64)> =
                (0..eval.splits).map(|split| one_split(&x, d, labels, ratio, split, eval)).collect();
            summarize(ratio, &scores)
        })
        .collect();
    Ok(NodeScores { labelled: n, labels: labels.labels.len(), missing, zero_vectors, ratios })
}

fn summarize(ratio: f64, scores: &[(f64, f64)]) -> RatioScore {
    let stats = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt())
    };
    let micro: Vec<f64> = scores.iter().map(|s| s.0).collect();
    let macro_: Vec<f64> = scores.iter().map(|s| s.1).collect();
    let ((micro_mean, micro_std), (macro_mean, macro_std)) = (stats(&micro), stats(&macro_));
    RatioScore { ratio, micro_mean, micro_std, macro_mean, macro_std, micro, macro_ }
}

/// (Micro-F1, Macro-F1) of classifiers trained on the `train` nodes'
/// vectors in `train_emb` and tested on the `test` nodes' vectors in
/// `test_emb` (fold-in: train on the fitted nodes, test on the folded-in
/// ones). Nodes are labels of `labels.nodes`; missing vectors are zeros.
pub fn train_test_scores(
    train_emb: &Embeddings,
    test_emb: &Embeddings,
    labels: &NodeLabels,
    train: &[usize],
    test: &[usize],
    c: f64,
) -> (f64, f64) {
    let d = train_emb.dim();
    let n = labels.nodes.len();
    let mut x = vec![0f32; n * d];
    for (set, emb) in [(train, train_emb), (test, test_emb)] {
        for &i in set {
            if let Some(r) = emb.position(&labels.nodes[i]) {
                emb.row_into(r, Side::Left, &mut x[i * d..(i + 1) * d]);
            }
        }
    }
    crate::factorize::normalize_rows(&mut x, d);
    score_split(&x, d, labels, train, test, c)
}

/// A seeded permutation of 0..n (Fisher–Yates on the shuffle stream).
pub(crate) fn permutation(n: usize, seed: u64, key: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j =
            (unit(seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15), Stream::Shuffle, i as u64) * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
    order
}

/// (Micro-F1, Macro-F1) of one seeded split.
fn one_split(x: &[f32], d: usize, labels: &NodeLabels, ratio: f64, split: usize, eval: &NodeEval) -> (f64, f64) {
    let n = labels.nodes.len();
    let perm = permutation(n, eval.seed, (ratio.to_bits()) ^ split as u64);
    let n_train = ((ratio * n as f64).round() as usize).clamp(1, n - 1);
    let (train, test) = perm.split_at(n_train);
    score_split(x, d, labels, train, test, eval.c)
}

/// (Micro-F1, Macro-F1) of the classifiers trained on rows `train` of the
/// row-major `x` (n × d, rows in `labels.nodes` order) and tested on `test`.
pub(crate) fn score_split(
    x: &[f32],
    d: usize,
    labels: &NodeLabels,
    train: &[usize],
    test: &[usize],
    c: f64,
) -> (f64, f64) {
    let gather =
        |rows: &[usize]| -> Vec<f32> { rows.iter().flat_map(|&r| x[r * d..(r + 1) * d].iter().copied()).collect() };
    let (xtr, xte) = (gather(train), gather(test));
    let n_labels = labels.labels.len();
    // One classifier per label, fitted in parallel: weights (d + 1), or None
    // when the training part has no positive (it then ranks last, as
    // scikit-learn's constant predictor's probability 0 does).
    let models: Vec<Option<Vec<f64>>> = (0..n_labels as u32)
        .into_par_iter()
        .map(|l| {
            let y: Vec<bool> = train.iter().map(|&r| labels.of[r].contains(&l)).collect();
            y.iter().any(|&p| p).then(|| fit_binary(&xtr, d, &y, c))
        })
        .collect();
    // Scores: test rows × labels.
    let mut tp = vec![0u64; n_labels];
    let (mut fp, mut fn_) = (vec![0u64; n_labels], vec![0u64; n_labels]);
    let mut scores = vec![0f64; n_labels];
    for (t, &r) in test.iter().enumerate() {
        let row = &xte[t * d..(t + 1) * d];
        for (l, m) in models.iter().enumerate() {
            scores[l] = match m {
                Some(w) => w[d] + row.iter().zip(w).map(|(a, b)| *a as f64 * b).sum::<f64>(),
                None => f64::NEG_INFINITY,
            };
        }
        let truth = &labels.of[r];
        let mut order: Vec<usize> = (0..n_labels).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let predicted = &order[..truth.len()];
        for &p in predicted {
            if truth.contains(&(p as u32)) { tp[p] += 1 } else { fp[p] += 1 }
        }
        for &l in truth {
            if !predicted.contains(&(l as usize)) {
                fn_[l as usize] += 1;
            }
        }
    }
    let f1 = |tp: u64, fp: u64, fn_: u64| if tp == 0 { 0.0 } else { 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64 };
    let micro = f1(tp.iter().sum(), fp.iter().sum(), fn_.iter().sum());
    let macro_ = (0..n_labels).map(|l| f1(tp[l], fp[l], fn_[l])).sum::<f64>() / n_labels as f64;
    (micro, macro_)
}

/// Weights (d coefficients, then the intercept) minimizing
/// ½‖w‖² + C·Σ log(1 + exp(−y·(w·x + b))) (b regularized, as liblinear),
/// by truncated Newton: each step solves H·s = g by conjugate gradients
/// with Hessian-vector products (two passes over X, never the d² Hessian,
/// as liblinear's TRON), then backtracks along s. Stops when the gradient
/// has shrunk to 1e-4 of its start, scikit-learn's default tolerance.
fn fit_binary(x: &[f32], d: usize, y: &[bool], c: f64) -> Vec<f64> {
    let n = y.len();
    let k = d + 1;
    let sign: Vec<f64> = y.iter().map(|&p| if p { 1.0 } else { -1.0 }).collect();
    let margins = |w: &[f64]| -> Vec<f64> {
        (0..n).map(|i| w[d] + x[i * d..(i + 1) * d].iter().zip(w).map(|(a, b)| *a as f64 * b).sum::<f64>()).collect()
    };
    // The objective divided by C: λ/2·|w|² + Σ loss with λ = 1/C. The
    // minimizer and the Newton steps are the same, and a huge C (1e200)
    // no longer overflows C·gradient terms into infinities.
    let lambda = (1.0 / c).min(f64::MAX);
    let objective = |w: &[f64], z: &[f64]| -> f64 {
        0.5 * lambda * w.iter().map(|v| v * v).sum::<f64>()
            + z.iter().zip(&sign).map(|(z, s)| softplus(-s * z)).sum::<f64>()
    };
    // X̃ᵀ·u for a per-row vector u (X̃ = [X, 1]).
    let xt = |u: &[f64]| -> Vec<f64> {
        let mut out = vec![0f64; k];
        for (i, &ui) in u.iter().enumerate() {
            if ui != 0.0 {
                for (o, &a) in out[..d].iter_mut().zip(&x[i * d..(i + 1) * d]) {
                    *o += ui * a as f64;
                }
                out[d] += ui;
            }
        }
        out
    };
    let mut w = vec![0f64; k];
    let mut z = margins(&w);
    let mut f = objective(&w, &z);
    let mut g0 = None;
    for _ in 0..100 {
        let p: Vec<f64> = z.iter().map(|&v| sigmoid(v)).collect();
        let resid: Vec<f64> = p.iter().zip(y).map(|(p, &t)| p - if t { 1.0 } else { 0.0 }).collect();
        let grad: Vec<f64> = xt(&resid).iter().zip(&w).map(|(a, b)| a + lambda * b).collect();
        let gnorm = norm(&grad);
        if gnorm <= 1e-4 * *g0.get_or_insert(gnorm) {
            break;
        }
        let curv: Vec<f64> = p.iter().map(|p| p * (1.0 - p)).collect();
        // H·v = λ·v + X̃ᵀ·(curv ⊙ X̃·v).
        let hv = |v: &[f64]| -> Vec<f64> {
            let xv = margins(v);
            let u: Vec<f64> = xv.iter().zip(&curv).map(|(a, b)| a * b).collect();
            xt(&u).iter().zip(v).map(|(a, b)| a + lambda * b).collect()
        };
        let step = conjugate_gradient(hv, &grad, 0.1);
        let slope: f64 = grad.iter().zip(&step).map(|(a, b)| a * b).sum();
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = w.iter().zip(&step).map(|(a, b)| a - t * b).collect();
            let zt = margins(&trial);
            let ft = objective(&trial, &zt);
            if ft <= f - 1e-4 * t * slope || t < 1e-8 {
                (w, z, f) = (trial, zt, ft);
                break;
            }
            t *= 0.5;
        }
    }
    w
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Solve H·s = b for symmetric positive definite H given as a product,
/// to a relative residual `tol` (an inexact Newton step needs no more).
fn conjugate_gradient(h: impl Fn(&[f64]) -> Vec<f64>, b: &[f64], tol: f64) -> Vec<f64> {
    let mut s = vec![0f64; b.len()];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut rr: f64 = r.iter().map(|v| v * v).sum();
    let stop = tol * tol * rr;
    for _ in 0..2 * b.len() {
        if rr <= stop {
            break;
        }
        let hp = h(&p);
        let alpha = rr / p.iter().zip(&hp).map(|(a, b)| a * b).sum::<f64>();
        for ((si, ri), (pi, hi)) in s.iter_mut().zip(r.iter_mut()).zip(p.iter().zip(&hp)) {
            *si += alpha * pi;
            *ri -= alpha * hi;
        }
        let next: f64 = r.iter().map(|v| v * v).sum();
        let beta = next / rr;
        rr = next;
        for (pi, ri) in p.iter_mut().zip(&r) {
            *pi = ri + beta * *pi;
        }
    }
    s
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) }
}

/// log(1 + eᶻ) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 30.0 { z } else { z.exp().ln_1p() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three well-separated clusters, one label each, plus a second label
    /// on every tenth node of cluster 0.
    fn clusters() -> (Embeddings, NodeLabels) {
        let centres = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let mut data = Vec::new();
        let mut labels = NodeLabels::default();
        labels.labels = vec!["a".into(), "b".into(), "c".into(), "extra".into()];
        for i in 0..300 {
            let c = i % 3;
            let jitter = ((i * 7919) % 100) as f32 / 500.0;
            data.extend(centres[c].iter().map(|v| v + jitter));
            labels.nodes.push(format!("n{i}"));
            let mut of = vec![c as u32];
            if c == 0 && i % 10 == 0 {
                of.push(3);
            }
            labels.of.push(of);
        }
        let names = (0..300).map(|i| format!("n{i}")).collect();
        (Embeddings::from_matrix(names, 3, data), labels)
    }

    #[test]
    fn a_huge_c_fits_a_separable_problem_instead_of_overflowing() {
        // One feature, positives at +1.., negatives at −1..: separable.
        let x: Vec<f32> =
            (0..40).map(|i| if i % 2 == 0 { 1.0 + i as f32 / 40.0 } else { -1.0 - i as f32 / 40.0 }).collect();
        let y: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        for c in [1.0, 1e100, 1e200] {
            let w = fit_binary(&x, 1, &y, c);
            assert!(w.iter().all(|v| v.is_finite()), "C = {c}: {w:?}");
            let right = x.iter().zip(&y).filter(|(xi, yi)| ((w[0] * **xi as f64 + w[1]) > 0.0) == **yi).count();
            assert_eq!(right, 40, "C = {c}: {w:?}");
        }
    }

    #[test]
    fn separable_labels_are_learned_and_shuffled_ones_are_not() {
        let (emb, labels) = clusters();
        let eval = NodeEval { ratios: vec![0.5], splits: 3, ..Default::default() };
        let s = node_classification(&emb, Side::Left, &labels, &eval).unwrap();
        assert!(s.ratios[0].micro_mean > 0.9, "{:?}", s.ratios[0]);
        let mut shuffled = labels.clone();
        let perm = permutation(300, 5, 1);
        shuffled.of = perm.iter().map(|&i| labels.of[i].clone()).collect();
        let t = node_classification(&emb, Side::Left, &shuffled, &eval).unwrap();
        assert!(t.ratios[0].micro_mean < 0.75, "{:?}", t.ratios[0]);
    }

    #[test]
    fn a_fixed_split_agrees_with_scikit_learn() {
        // Karate: features the L2-normalized adjacency rows, labels the two
        // factions plus `x` on every third node; train on even ids, test on
        // odd ones. scikit-learn 1.x, OneVsRest(LogisticRegression(C=1,
        // solver="liblinear")), top-k by predict_proba, recorded once:
        // Micro-F1 0.826087, Macro-F1 0.802614.
        let edges = std::fs::read_to_string("graphs/karate/edges.tsv").unwrap();
        let n = 34;
        let mut x = vec![0f32; n * n];
        for l in edges.lines() {
            let (a, b) = l.split_once('\t').unwrap();
            let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
            x[a * n + b] = 1.0;
            x[b * n + a] = 1.0;
        }
        crate::factorize::normalize_rows(&mut x, n);
        let mut labels = NodeLabels { labels: vec!["0".into(), "1".into(), "x".into()], ..Default::default() };
        for l in std::fs::read_to_string("graphs/karate/labels.tsv").unwrap().lines() {
            let (node, faction) = l.split_once('\t').unwrap();
            let i: usize = node.parse().unwrap();
            labels.nodes.push(node.into());
            let mut of = vec![faction.parse::<u32>().unwrap()];
            if i.is_multiple_of(3) {
                of.push(2);
            }
            labels.of.push(of);
        }
        let train: Vec<usize> = (0..n).step_by(2).collect();
        let test: Vec<usize> = (1..n).step_by(2).collect();
        let (micro, macro_) = score_split(&x, n, &labels, &train, &test, 1.0);
        assert!((micro - 0.826087).abs() < 1e-3, "{micro}");
        assert!((macro_ - 0.802614).abs() < 1e-3, "{macro_}");
    }

    #[test]
    fn the_binary_solver_reaches_the_optimum_of_a_one_dimensional_problem() {
        // x = ±1 with labels y = [x > 0] flipped once each side: the
        // optimum has zero gradient, checked by finite differences.
        let x: Vec<f32> = vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0];
        let y = vec![true, true, false, false, false, true];
        let w = fit_binary(&x, 1, &y, 1.0);
        let f = |w0: f64, b: f64| {
            0.5 * (w0 * w0 + b * b)
                + (0..6).map(|i| softplus(-(if y[i] { 1.0 } else { -1.0 }) * (w0 * x[i] as f64 + b))).sum::<f64>()
        };
        let h = 1e-5;
        let gw = (f(w[0] + h, w[1]) - f(w[0] - h, w[1])) / (2.0 * h);
        let gb = (f(w[0], w[1] + h) - f(w[0], w[1] - h)) / (2.0 * h);
        assert!(gw.abs() < 1e-3 && gb.abs() < 1e-3, "{gw} {gb} at {w:?}");
        assert!(w[0] > 0.0);
    }
}
