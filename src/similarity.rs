//! Queries by vector math on unit-normalized rows: nearest neighbours by
//! cosine, analogies a : b :: c : ? by 3CosAdd and 3CosMul (Levy & Goldberg
//! 2014), excluding the query words, and the similarity of two labels.

use crate::embeddings::{Embeddings, Side};
use std::collections::HashMap;

impl Embeddings {
    /// Unit-normalized rows of `side` with a label lookup: nearest
    /// neighbours, similarities and analogies (see [`Index`]).
    pub fn index(&self, side: Side) -> Index {
        Index::new(self, side)
    }
}

/// A scored label.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbor {
    /// The label.
    pub label: String,
    /// Cosine similarity (3CosMul: its objective).
    pub score: f32,
}

/// Unit-normalized rows of one side of an embedding, with a label lookup.
#[derive(Clone, Debug)]
pub struct Index {
    labels: Vec<String>,
    lookup: HashMap<String, usize>,
    dim: usize,
    unit: Vec<f32>,
}

impl Index {
    /// Index `side` of `emb` (rows normalized to unit length; zero rows stay zero).
    pub fn new(emb: &Embeddings, side: Side) -> Self {
        let dim = emb.side_dim(side);
        let mut unit = emb.matrix(side);
        crate::embeddings::normalize_rows(&mut unit, dim);
        let labels = emb.labels().to_vec();
        let lookup = labels.iter().enumerate().map(|(i, l)| (l.clone(), i)).collect();
        Index { labels, lookup, dim, unit }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Row dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Labels by row.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    /// Row of `label`.
    pub fn id(&self, label: &str) -> Option<usize> {
        self.lookup.get(label).copied()
    }
    /// Cosine similarity of rows `i` and `j`.
    pub fn row_similarity(&self, i: usize, j: usize) -> f32 {
        dot(self.row(i), self.row(j))
    }
    /// The unit vector of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.unit[i * self.dim..(i + 1) * self.dim]
    }

    /// Cosine similarity of two labels (`None` if either is unknown).
    pub fn similarity(&self, a: &str, b: &str) -> Option<f32> {
        Some(dot(self.row(self.id(a)?), self.row(self.id(b)?)))
    }

    /// The `k` rows closest to `query` by cosine among the first `limit` rows
    /// (0 = all), skipping `exclude`; best first, ties by row.
    pub fn nearest_to(&self, query: &[f32], k: usize, limit: usize, exclude: &[usize]) -> Vec<Neighbor> {
        let norm = dot(query, query).sqrt();
        let limit = if limit == 0 { self.len() } else { limit.min(self.len()) };
        let scores = (0..limit).map(|i| dot(query, self.row(i)) / norm.max(f32::MIN_POSITIVE));
        top_k(scores, k, exclude)
            .into_iter()
            .map(|(i, s)| Neighbor { label: self.labels[i].clone(), score: s })
            .collect()
    }

    /// The `k` nearest neighbours of `label` (itself excluded).
    pub fn nearest(&self, label: &str, k: usize) -> Option<Vec<Neighbor>> {
        let i = self.id(label)?;
        Some(self.nearest_to(self.row(i), k, 0, &[i]))
    }

    /// a : b :: c : ? by 3CosAdd, argmax cos(x, b − a + c), excluding a, b, c.
    pub fn analogy_add(&self, a: &str, b: &str, c: &str, k: usize) -> Option<Vec<Neighbor>> {
        let (ia, ib, ic) = (self.id(a)?, self.id(b)?, self.id(c)?);
        let q: Vec<f32> = (0..self.dim).map(|j| self.row(ib)[j] - self.row(ia)[j] + self.row(ic)[j]).collect();
        Some(self.nearest_to(&q, k, 0, &[ia, ib, ic]))
    }

    /// a : b :: c : ? by 3CosMul, argmax cos'(x,b)·cos'(x,c)/(cos'(x,a)+ε) with
    /// cos' = (cos + 1)/2 and ε = 0.001, excluding a, b, c.
    pub fn analogy_mul(&self, a: &str, b: &str, c: &str, k: usize) -> Option<Vec<Neighbor>> {
        let (ia, ib, ic) = (self.id(a)?, self.id(b)?, self.id(c)?);
        let scores = (0..self.len()).map(|i| {
            let x = self.row(i);
            cos_mul(dot(x, self.row(ia)), dot(x, self.row(ib)), dot(x, self.row(ic)))
        });
        Some(
            top_k(scores, k, &[ia, ib, ic])
                .into_iter()
                .map(|(i, s)| Neighbor { label: self.labels[i].clone(), score: s })
                .collect(),
        )
    }
}

/// 3CosMul's objective from the three cosines.
#[inline]
pub(crate) fn cos_mul(ca: f32, cb: f32, cc: f32) -> f32 {
    ((cb + 1.0) / 2.0) * ((cc + 1.0) / 2.0) / ((ca + 1.0) / 2.0 + 0.001)
}

#[inline]
/// Dot product (the cosine of unit vectors).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Indices of the k largest scores, skipping `exclude`, best first (ties by index).
fn top_k(scores: impl Iterator<Item = f32>, k: usize, exclude: &[usize]) -> Vec<(usize, f32)> {
    let mut all: Vec<(usize, f32)> = scores.enumerate().filter(|(i, s)| !exclude.contains(i) && !s.is_nan()).collect();
    let k = k.min(all.len());
    if k == 0 {
        return Vec::new();
    }
    let cmp = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    all.select_nth_unstable_by(k - 1, cmp);
    all.truncate(k);
    all.sort_unstable_by(cmp);
    all
}

/// Mean of the unit-length vectors of the words of `text` found in `index`
/// (a simple document feature); `None` if no word is known. The text is cut by
/// `normalizer` (stop words removed, as the caller configured it).
pub fn mean_vector(index: &Index, text: &str, normalizer: &mut crate::text::Normalizer) -> Option<Vec<f32>> {
    let mut sum = vec![0f32; index.dim()];
    let mut n = 0;
    normalizer.tokens(text, |w| {
        if let Some(i) = index.id(w) {
            sum.iter_mut().zip(index.row(i)).for_each(|(s, x)| *s += x);
            n += 1;
        }
    });
    (n > 0).then(|| sum.into_iter().map(|s| s / n as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Index {
        // man, woman, king, queen, apple in 3-d: gender on axis 0, royalty on axis 1.
        let labels = ["man", "woman", "king", "queen", "apple"].map(String::from).to_vec();
        let data = vec![1.0, 0.0, 0.1, -1.0, 0.0, 0.1, 1.0, 1.0, 0.1, -1.0, 1.0, 0.1, 0.0, 0.0, 1.0];
        Index::new(&Embeddings::from_matrix(labels, 3, data), Side::Left)
    }

    #[test]
    fn analogies_find_queen_by_both_methods() {
        let idx = toy();
        assert_eq!(idx.analogy_add("man", "king", "woman", 1).unwrap()[0].label, "queen");
        assert_eq!(idx.analogy_mul("man", "king", "woman", 1).unwrap()[0].label, "queen");
        assert!(idx.analogy_add("man", "king", "nobody", 1).is_none());
    }

    #[test]
    fn nearest_excludes_the_query_and_ranks_by_cosine() {
        let idx = toy();
        let nn = idx.nearest("king", 2).unwrap();
        assert_eq!(nn.len(), 2);
        assert!(nn.iter().all(|n| n.label != "king"));
        assert!(nn[0].score >= nn[1].score);
        assert!((idx.similarity("man", "man").unwrap() - 1.0).abs() < 1e-6);
        let mut norm = crate::text::Normalizer::new(&crate::text::TextConfig::default().english_stopwords());
        let mv = mean_vector(&idx, "King and queen", &mut norm).unwrap();
        assert!((mv[1] - (idx.row(2)[1] + idx.row(3)[1]) / 2.0).abs() < 1e-6);
    }
}
