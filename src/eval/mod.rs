//! Intrinsic and extrinsic evaluation: word similarity (Spearman), analogies
//! (3CosAdd and 3CosMul accuracy by section), document similarity (Pearson)
//! and classification accuracy of vectors under k-fold cross-validation;
//! multi-label node classification ([`node_classification`]) and link
//! prediction ([`split_edges`], [`score_links`]).

mod links;
mod nodes;
mod tune;

pub use links::{LinkScores, LinkSplit, average_precision, roc_auc, score_links, split_edges};
pub use nodes::{
    NodeEval, NodeLabels, NodeScores, RatioScore, node_classification, read_node_labels, train_test_scores,
};
pub use tune::{Trial, candidates, tune};

use crate::error::{Error, Result};
use crate::similarity::{Index, cos_mul};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// Pearson correlation.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

/// Ranks with ties averaged (1-based).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman rank correlation (Pearson of tie-averaged ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// A word-similarity result.
#[derive(Clone, Debug, Serialize)]
pub struct SimilarityScore {
    /// Spearman correlation over the covered pairs.
    pub spearman: f64,
    /// Pairs whose two words are in the vocabulary.
    pub covered: usize,
    /// Pairs in the file.
    pub total: usize,
}

/// Spearman correlation between cosine similarities and human scores on a
/// `w1<TAB>w2<TAB>score` file (WordSim353 / SimLex-999 format; `#` lines and
/// a non-numeric header are skipped; words are lowercased).
pub fn word_similarity(index: &Index, path: &Path) -> Result<SimilarityScore> {
    let text = crate::source::read_to_string(path)?;
    let (mut model, mut human, mut total) = (Vec::new(), Vec::new(), 0);
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split(['\t', ',']).map(str::trim).collect();
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if f.len() < 3 {
            return Err(Error::Parse {
                path: Some(path.into()),
                line: i as u64 + 1,
                message: "expected w1, w2, score".into(),
            });
        }
        // A line whose score is no number is a header; one that is no
        // finite number would be ranked as if it were one.
        let Ok(score) = f[2].parse::<f64>() else { continue };
        if !score.is_finite() {
            return Err(Error::Parse {
                path: Some(path.into()),
                line: i as u64 + 1,
                message: format!("score `{}` is not finite", f[2]),
            });
        }
        total += 1;
        if let Some(s) = index.similarity(&f[0].to_lowercase(), &f[1].to_lowercase()) {
            model.push(s as f64);
            human.push(score);
        }
    }
    Ok(SimilarityScore { spearman: spearman(&model, &human), covered: model.len(), total })
}

/// Accuracy of one analogy section.
#[derive(Clone, Debug, Serialize)]
pub struct SectionScore {
    /// Section name (`: name` line).
    pub section: String,
    /// Questions answered right by 3CosAdd.
    pub add_correct: usize,
    /// Questions answered right by 3CosMul.
    pub mul_correct: usize,
    /// Questions whose four words are in the (restricted) vocabulary.
    pub covered: usize,
    /// Questions in the section.
    pub total: usize,
}

/// Google analogy results.
#[derive(Clone, Debug, Serialize)]
pub struct AnalogyScore {
    /// Per section, in file order.
    pub sections: Vec<SectionScore>,
    /// 3CosAdd accuracy over covered questions.
    pub add_accuracy: f64,
    /// 3CosMul accuracy over covered questions.
    pub mul_accuracy: f64,
    /// Covered questions.
    pub covered: usize,
    /// All questions.
    pub total: usize,
}

/// Accuracy on a `questions-words.txt` file (a b c d: a : b :: c : d), by
/// 3CosAdd and 3CosMul, answers searched among the first `restrict` rows
/// (the most frequent words; 0 = all), questions lowercased, a, b, c excluded.
pub fn analogy(index: &Index, path: &Path, restrict: usize) -> Result<AnalogyScore> {
    let limit = if restrict == 0 { index.len() } else { restrict.min(index.len()) };
    let (mut sections, questions) = read_analogies(index, path, limit)?;
    let results = answer_analogies(index, limit, &questions);
    for ((s, _), (add, mul)) in questions.iter().zip(&results) {
        let sec = &mut sections[*s];
        sec.covered += 1;
        sec.add_correct += *add as usize;
        sec.mul_correct += *mul as usize;
    }
    let covered = questions.len();
    let frac = |k: usize| if covered == 0 { 0.0 } else { k as f64 / covered as f64 };
    Ok(AnalogyScore {
        add_accuracy: frac(results.iter().filter(|r| r.0).count()),
        mul_accuracy: frac(results.iter().filter(|r| r.1).count()),
        covered,
        total: sections.iter().map(|s| s.total).sum(),
        sections,
    })
}

/// An analogy question: its section and the ids of a : b :: c : d.
type Question = (usize, [usize; 4]);

/// The sections of an analogy file (counts zero but `total`) and its
/// questions whose four words are among the first `limit` rows.
fn read_analogies(index: &Index, path: &Path, limit: usize) -> Result<(Vec<SectionScore>, Vec<Question>)> {
    let text = crate::source::read_to_string(path)?;
    let mut sections: Vec<SectionScore> = Vec::new();
    let mut questions = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix(':') {
            sections.push(SectionScore {
                section: name.trim().into(),
                add_correct: 0,
                mul_correct: 0,
                covered: 0,
                total: 0,
            });
            continue;
        }
        let w: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
        if w.is_empty() {
            continue;
        }
        if w.len() != 4 || sections.is_empty() {
            return Err(Error::Parse {
                path: Some(path.into()),
                line: i as u64 + 1,
                message: "expected `: section` or four words".into(),
            });
        }
        let s = sections.len() - 1;
        sections[s].total += 1;
        let ids: Option<Vec<usize>> = w.iter().map(|x| index.id(x).filter(|&id| id < limit)).collect();
        if let Some(ids) = ids {
            questions.push((s, [ids[0], ids[1], ids[2], ids[3]]));
        }
    }
    Ok((sections, questions))
}

/// Whether 3CosAdd and 3CosMul answer each question right, over the first
/// `limit` rows: the cosines of every row with a, b, c come from one GEMM
/// per batch of questions.
fn answer_analogies(index: &Index, limit: usize, questions: &[Question]) -> Vec<(bool, bool)> {
    let d = index.dim();
    let vocab = faer::Mat::<f32>::from_fn(limit, d, |i, j| index.row(i)[j]);
    let mut results: Vec<(bool, bool)> = Vec::with_capacity(questions.len());
    for batch in questions.chunks(1024) {
        let q = faer::Mat::<f32>::from_fn(d, 3 * batch.len(), |j, k| index.row(batch[k / 3].1[k % 3])[j]);
        let mut sims = faer::Mat::<f32>::zeros(limit, 3 * batch.len());
        faer::linalg::matmul::matmul(
            sims.as_mut(),
            faer::Accum::Replace,
            vocab.as_ref(),
            q.as_ref(),
            1.0,
            faer::Par::rayon(0),
        );
        let sims = &sims;
        let answers: Vec<(bool, bool)> = batch
            .par_iter()
            .enumerate()
            .map(|(k, (_, [a, b, c, expect]))| {
                let (ca, cb, cc) = (sims.col(3 * k), sims.col(3 * k + 1), sims.col(3 * k + 2));
                let (mut best_add, mut best_mul) = ((f32::NEG_INFINITY, 0), (f32::NEG_INFINITY, 0));
                for x in 0..limit {
                    if x == *a || x == *b || x == *c {
                        continue;
                    }
                    let add = cb[x] - ca[x] + cc[x];
                    if add > best_add.0 {
                        best_add = (add, x);
                    }
                    let mul = cos_mul(ca[x], cb[x], cc[x]);
                    if mul > best_mul.0 {
                        best_mul = (mul, x);
                    }
                }
                (best_add.1 == *expect, best_mul.1 == *expect)
            })
            .collect();
        results.extend(answers);
    }
    results
}

/// Multinomial logistic regression (softmax, L2 penalty ½‖W‖²/(C·n) on the
/// mean cross-entropy, as scikit-learn's `C`), trained by Nesterov-accelerated
/// full-batch gradient descent. Returns the predicted class of each test row.
pub fn logistic_regression(train: &[&[f32]], labels: &[usize], classes: usize, test: &[&[f32]], c: f64) -> Vec<usize> {
    let d = train.first().map_or(0, |r| r.len()) + 1; // + bias
    let n = train.len() as f64;
    let lambda = 1.0 / (c * n);
    let mut w = vec![0f64; classes * d];
    let mut v = w.clone();
    let max_sq = train.iter().map(|r| 1.0 + r.iter().map(|&x| (x * x) as f64).sum::<f64>()).fold(0.0, f64::max);
    let lr = 1.0 / (0.5 * max_sq + lambda);
    let scores = |w: &[f64], x: &[f32], out: &mut [f64]| {
        for (k, o) in out.iter_mut().enumerate() {
            let wk = &w[k * d..(k + 1) * d];
            *o = wk[d - 1] + x.iter().zip(wk).map(|(&a, b)| a as f64 * b).sum::<f64>();
        }
    };
    let mut p = vec![0f64; classes];
    for it in 0..600 {
        // Gradient at the look-ahead point v.
        let mut g = vec![0f64; classes * d];
        for (x, &y) in train.iter().zip(labels) {
            scores(&v, x, &mut p);
            let m = p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = p.iter().map(|s| (s - m).exp()).sum();
            for k in 0..classes {
                let err = (p[k] - m).exp() / z - (k == y) as usize as f64;
                let gk = &mut g[k * d..(k + 1) * d];
                for (gj, &xj) in gk.iter_mut().zip(x.iter()) {
                    *gj += err * xj as f64;
                }
                gk[d - 1] += err;
            }
        }
        let mu = it as f64 / (it as f64 + 3.0);
        for j in 0..w.len() {
            let grad = g[j] / n + lambda * v[j];
            let next = v[j] - lr * grad;
            v[j] = next + mu * (next - w[j]);
            w[j] = next;
        }
    }
    test.iter()
        .map(|x| {
            scores(&w, x, &mut p);
            (0..classes).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a))).unwrap_or(0)
        })
        .collect()
}

/// Mean accuracy of [`logistic_regression`] (C = 1) on L2-normalized rows
/// under `folds`-fold cross-validation with a seeded shuffle.
///
/// # Errors
/// [`crate::Error::InvalidConfig`] if `rows` and `labels` differ in length,
/// `folds < 2`, `folds` exceeds the rows (a fold without a test row has
/// no accuracy), or the classes are more than half the rows (most of them
/// then have one row, which no fold can both learn and test: a wrong label
/// column, e.g. the text itself, which took minutes to fit 31,102 classes).
pub fn cross_validated_accuracy(
    rows: &[Vec<f32>],
    labels: &[usize],
    folds: usize,
    seed: u64,
) -> crate::error::Result<f64> {
    use crate::error::Error;
    if rows.len() != labels.len() {
        return Err(Error::invalid("labels", format!("{} labels for {} rows", labels.len(), rows.len())));
    }
    if folds < 2 {
        return Err(Error::invalid("folds", "must be at least 2"));
    }
    if folds > rows.len() {
        return Err(Error::invalid(
            "folds",
            format!("{folds} folds need at least {folds} documents, and there are {}", rows.len()),
        ));
    }
    let distinct = labels.iter().collect::<std::collections::HashSet<_>>().len();
    if distinct * 2 > rows.len() {
        return Err(Error::invalid(
            "labels",
            format!(
                "{distinct} classes among {} rows: most classes have a single row, which cross-validation \
                 cannot learn — is this the label column?",
                rows.len()
            ),
        ));
    }
    let unit: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let d = r.len();
            crate::embeddings::normalize_rows(&mut r, d);
            r
        })
        .collect();
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    for i in (1..order.len()).rev() {
        let j = (crate::seed::unit(seed, crate::seed::Stream::Shuffle, i as u64) * (i + 1) as f64) as usize;
        order.swap(i, j);
    }
    let accs: Vec<f64> = (0..folds)
        .into_par_iter()
        .map(|f| {
            let (mut tr, mut trl, mut te, mut tel) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (k, &i) in order.iter().enumerate() {
                if k % folds == f {
                    te.push(unit[i].as_slice());
                    tel.push(labels[i]);
                } else {
                    tr.push(unit[i].as_slice());
                    trl.push(labels[i]);
                }
            }
            let pred = logistic_regression(&tr, &trl, classes, &te, 1.0);
            pred.iter().zip(&tel).filter(|(a, b)| a == b).count() as f64 / te.len() as f64
        })
        .collect();
    Ok(accs.iter().sum::<f64>() / folds as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlations_match_hand_computed_values() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]) - 0.9933992677987828).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]), 1.0);
        // Ties get averaged ranks: x ranks [1.5, 1.5, 3], y ranks [1, 2, 3].
        assert!((spearman(&[5.0, 5.0, 7.0], &[1.0, 2.0, 3.0]) - 0.8660254037844387).abs() < 1e-12);
    }

    #[test]
    fn logistic_regression_separates_separable_classes() {
        let rows: Vec<Vec<f32>> =
            (0..60).map(|i| vec![(i % 3) as f32 + 0.1 * (i as f32).sin(), 1.0 - (i % 3) as f32]).collect();
        let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
        assert!(cross_validated_accuracy(&rows, &labels, 5, 1).unwrap() > 0.95);
        let shuffled: Vec<usize> = (0..60).map(|i| (i * 7 / 3) % 3).collect();
        assert!(cross_validated_accuracy(&rows, &shuffled, 5, 1).unwrap() < 0.8);
        for folds in [0, 1, rows.len() + 1] {
            let e = cross_validated_accuracy(&rows, &labels, folds, 1).unwrap_err().to_string();
            assert!(e.contains("folds"), "{folds} folds: {e}");
        }
    }
}
