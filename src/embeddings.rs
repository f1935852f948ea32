//! Stage 6: embeddings from the SVD: left U·Σ^p (nodes, words, documents) and
//! right V·Σ^p (contexts, terms), with the labels they belong to.

use crate::config::Side;
use crate::factorize::Svd;

/// Scale every row of a row-major matrix to unit length (zero rows stay
/// zero): cosine geometry, as queries, classifiers and ProNE's output use it.
pub fn normalize_rows(x: &mut [f32], dim: usize) {
    use rayon::prelude::*;
    x.par_chunks_mut(dim.max(1)).for_each(|row| {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    });
}

/// Row vectors with labels: the output of every pipeline.
#[derive(Clone, Debug)]
pub struct Embeddings {
    labels: Vec<String>,
    dim: usize,
    left: Vec<f32>,
    /// `None` for single-sided embeddings (loaded from a file, LSA sides).
    right: Option<Vec<f32>>,
    singular_values: Vec<f64>,
}

impl Embeddings {
    /// Left = U·Σ^p and right = V·Σ^p of a square SVD whose rows and columns
    /// are both indexed by `labels` (weighed in place, no copy).
    ///
    /// # Panics
    /// If the factors do not have `labels.len()` rows.
    #[track_caller]
    pub fn from_svd(labels: Vec<String>, svd: Svd, eig_weight: f64) -> Self {
        let dim = svd.rank();
        assert_eq!(svd.u().len(), labels.len() * dim, "U must have one row per label");
        assert_eq!(svd.v().len(), labels.len() * dim, "V must have one row per label");
        let (left, singular_values, right) = svd.into_weighted(eig_weight);
        Embeddings { left, right: Some(right), labels, dim, singular_values }
    }

    /// Drop the right (context) side, freeing its memory.
    pub fn drop_right(&mut self) {
        self.right = None;
    }

    /// The left (node, word) side, row-major, for in-place stages such as
    /// [`crate::propagate::propagate`].
    pub fn left_mut(&mut self) -> &mut [f32] {
        &mut self.left
    }

    /// Single-sided embeddings from a row-major `labels.len() × dim` matrix.
    ///
    /// # Panics
    /// If `data.len() != labels.len() * dim`.
    #[track_caller]
    pub fn from_matrix(labels: Vec<String>, dim: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), labels.len() * dim, "matrix size must be labels × dim");
        Embeddings { labels, dim, left: data, right: None, singular_values: Vec::new() }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Dimension of one side (a [`Side::Both`] row has twice as many values).
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Row labels.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    /// Singular values, descending.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }
    /// Number of values in a row of `side`.
    pub fn side_dim(&self, side: Side) -> usize {
        if side == Side::Both { 2 * self.dim } else { self.dim }
    }

    /// Whether there is a right (context) side.
    pub fn has_right(&self) -> bool {
        self.right.is_some()
    }

    /// Row `i` of `side`, written into `out` (length [`Embeddings::side_dim`]).
    ///
    /// # Panics
    /// If `i >= len()`, `out` has the wrong length, or `side` needs the right
    /// side of single-sided embeddings.
    #[track_caller]
    pub fn row_into(&self, i: usize, side: Side, out: &mut [f32]) {
        let d = self.dim;
        let l = &self.left[i * d..(i + 1) * d];
        if side == Side::Left {
            out.copy_from_slice(l);
            return;
        }
        let right = self.right.as_ref().expect("these embeddings have no right (context) side");
        let r = &right[i * d..(i + 1) * d];
        match side {
            Side::Left => out.copy_from_slice(l),
            Side::Right => out.copy_from_slice(r),
            Side::Both => {
                out[..d].copy_from_slice(l);
                out[d..].copy_from_slice(r);
            }
            Side::Sum => {
                for ((o, a), b) in out.iter_mut().zip(l).zip(r) {
                    *o = a + b;
                }
            }
        }
    }

    /// The whole matrix of `side`, row-major (`len() × side_dim(side)`).
    pub fn matrix(&self, side: Side) -> Vec<f32> {
        let sd = self.side_dim(side);
        let mut out = vec![0f32; self.len() * sd];
        for (i, row) in out.chunks_mut(sd.max(1)).enumerate().take(self.len()) {
            self.row_into(i, side, row);
        }
        out
    }

    /// Row index of `label` (linear search; build a [`crate::similarity::Index`] for many lookups).
    pub fn position(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    /// The vector of `label` on `side`, or `None` for an unknown label.
    pub fn vector(&self, label: &str, side: Side) -> Option<Vec<f32>> {
        let i = self.labels.iter().position(|l| l == label)?;
        let mut out = vec![0f32; self.side_dim(side)];
        self.row_into(i, side, &mut out);
        Some(out)
    }
}
