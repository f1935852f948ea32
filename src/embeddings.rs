//! Stage 6: embeddings from the SVD: left U·Σ^p (nodes, words, documents) and
//! right V·Σ^p (contexts, terms), with the labels they belong to.

use crate::factorize::Svd;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

pub use crate::factorize::normalize_rows;

/// Which factor(s) of the SVD make the output vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Left (node / word) embedding U·Σ^p, propagated when propagation is on.
    #[default]
    Left,
    /// Right (context) embedding V·Σ^p.
    Right,
    /// Left and right concatenated: 2·dim columns.
    Both,
    /// Left + right (word2vec's w + c), dim columns.
    Sum,
}

/// Output file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// word2vec text: header `n d`, then `label v1 … vd` per row (gensim's
    /// `KeyedVectors.load_word2vec_format(path)` reads it).
    #[default]
    Word2vec,
    /// NumPy `.npy` (float32, n × d, row i = i-th label) plus `<path>.ids`,
    /// one label per line.
    Npy,
    /// Parquet: an `id` column and a `vector` column of
    /// `fixed_size_list<float32>` (see [`crate::parquet`]).
    Parquet,
}

impl Format {
    /// The format of an output at `path`: `given`, or else the one its
    /// extension names (`.npy` → npy; anything else, `-` included → word2vec
    /// text), so `-o cora.npy` never writes text under an npy name.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] when `given` contradicts the
    /// extension (`x.npy` as word2vec, `x.txt`/`.vec` as npy).
    pub fn for_path(path: &std::path::Path, given: Option<Format>) -> crate::error::Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let named = match ext.as_deref() {
            Some("npy") => Some(Format::Npy),
            Some("parquet" | "pq") => Some(Format::Parquet),
            Some("txt" | "vec" | "w2v") => Some(Format::Word2vec),
            _ => None,
        };
        match (given, named) {
            (Some(g), Some(n)) if g != n => Err(crate::error::Error::InvalidConfig {
                param: "format",
                reason: format!(
                    "{} is named as {} but `format` asks for {}; drop `format` or rename the output",
                    path.display(),
                    n.name(),
                    g.name()
                ),
            }),
            (Some(g), _) => Ok(g),
            (None, n) => Ok(n.unwrap_or_default()),
        }
    }

    /// "word2vec", "npy" or "parquet".
    pub fn name(self) -> &'static str {
        match self {
            Format::Word2vec => "word2vec",
            Format::Npy => "npy",
            Format::Parquet => "parquet",
        }
    }
}

/// How an output was made; written next to it as `<path>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// "pmivec".
    pub tool: String,
    /// Crate version.
    pub version: String,
    /// Input file.
    pub input: Option<PathBuf>,
    /// SHA-256 of the input file's bytes.
    pub input_sha256: Option<String>,
    /// The parameters (the pipeline's config, serialized; see [`Metadata::config`]).
    config: serde_json::Value,
    /// Rows written.
    pub rows: usize,
    /// Values per row.
    pub dim: usize,
    /// Side written.
    pub side: Side,
    /// Format written.
    pub format: Format,
    /// Seconds per stage.
    pub stage_seconds: Vec<(String, f64)>,
    /// The order of the rows.
    #[serde(default)]
    pub row_order: RowOrder,
    /// SHA-256 of the vectors file as written: a sidecar whose digest is
    /// not the file's (the file was rewritten by something else) is not
    /// trusted ([`crate::io::sidecar`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vectors_sha256: Option<String>,
    /// Singular values of the factorized matrix (what `plot --spectrum`
    /// draws), when the run had them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub singular_values: Vec<f64>,
}

/// The order of an embedding's rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowOrder {
    /// Order of first appearance in the input (the default).
    #[default]
    Input,
    /// By id: numeric ascending when every label is an integer (row i is
    /// node i for ids 0..n−1, as PecanPy and karateclub give it), else
    /// lexicographic. See [`Embeddings::sort_by_id`].
    Id,
}

impl Metadata {
    /// Metadata for `emb` written as `side` in `format` with `config`.
    pub fn new(emb: &Embeddings, side: Side, format: Format, config: &impl Serialize) -> Self {
        Metadata {
            tool: "pmivec".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            input: None,
            input_sha256: None,
            config: serde_json::to_value(config).unwrap_or(serde_json::Value::Null),
            rows: emb.len(),
            dim: emb.side_dim(side),
            side,
            format,
            stage_seconds: Vec::new(),
            row_order: RowOrder::Input,
            vectors_sha256: None,
            singular_values: emb.singular_values().to_vec(),
        }
    }
}

impl Metadata {
    /// The recorded parameters as a config type (`None` if they do not parse as one).
    pub fn config<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.config.clone()).ok()
    }
}

/// Row vectors with labels: the output of every pipeline, and what a saved
/// file loads back into.
///
/// Lookups by label go through a hash index built on first use; the right
/// (context) side is optional; [`Embeddings::metadata`] carries how the
/// vectors were made (the JSON sidecar's contents) when known.
#[derive(Clone, Debug)]
pub struct Embeddings {
    labels: Vec<String>,
    lookup: OnceLock<HashMap<String, usize>>,
    metadata: Option<Metadata>,
    dim: usize,
    left: Vec<f32>,
    /// `None` for single-sided embeddings (loaded from a file, LSA sides).
    right: Option<Vec<f32>>,
    singular_values: Vec<f64>,
}

/// The rows of [`RowOrder::Id`]: by numeric value when every label is an
/// integer (of any size and sign: `-2 < -1 < 0 < 2 < 10 < 2^64`), else by
/// text (stable: equal keys keep their order). One rule for the CLI, the
/// library and a cluster's output.
pub fn id_order(labels: &[String]) -> Vec<usize> {
    let numeric: Option<Vec<(bool, &str)>> = labels.iter().map(|l| integer_key(l)).collect();
    let mut order: Vec<usize> = (0..labels.len()).collect();
    match numeric {
        Some(keys) => order.sort_by(|&a, &b| compare_integers(keys[a], keys[b])),
        None => order.sort_by(|&a, &b| labels[a].cmp(&labels[b])),
    }
    order
}

/// An integer label as (negative, digits without leading zeros); `None`
/// for anything else. Zero is never negative.
fn integer_key(label: &str) -> Option<(bool, &str)> {
    let (negative, digits) = match label.as_bytes().first()? {
        b'-' => (true, &label[1..]),
        b'+' => (false, &label[1..]),
        _ => (false, label),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    Some((negative && !digits.is_empty(), digits))
}

/// Numeric order of two [`integer_key`]s: more digits is larger in
/// magnitude, then the digits compare as text.
fn compare_integers(a: (bool, &str), b: (bool, &str)) -> std::cmp::Ordering {
    let magnitude = |x: &str, y: &str| x.len().cmp(&y.len()).then_with(|| x.cmp(y));
    match (a.0, b.0) {
        (false, false) => magnitude(a.1, b.1),
        (true, true) => magnitude(b.1, a.1),
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
    }
}

/// Row `j` of `m` (`dim` values a row) becomes old row `order[j]`, in
/// place: each cycle of the permutation moves through one spare row, so a
/// ten-million-row matrix is reordered without a second copy of it.
fn permute_rows(m: &mut [f32], dim: usize, order: &[usize]) {
    let mut done = vec![false; order.len()];
    let mut spare = vec![0f32; dim];
    for start in 0..order.len() {
        if done[start] || order[start] == start {
            continue;
        }
        spare.copy_from_slice(&m[start * dim..(start + 1) * dim]);
        let mut j = start;
        loop {
            done[j] = true;
            let k = order[j];
            if k == start {
                m[j * dim..(j + 1) * dim].copy_from_slice(&spare);
                break;
            }
            m.copy_within(k * dim..(k + 1) * dim, j * dim);
            j = k;
        }
    }
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
        Embeddings { left, right: Some(right), labels, dim, singular_values, lookup: OnceLock::new(), metadata: None }
    }

    /// Put the rows in [`RowOrder::Id`] order (both sides, the labels and
    /// the lookup follow).
    pub fn sort_by_id(&mut self) {
        let order = id_order(&self.labels);
        permute_rows(&mut self.left, self.dim, &order);
        if let Some(r) = self.right.as_mut() {
            permute_rows(r, self.dim, &order);
        }
        self.labels = order.iter().map(|&i| std::mem::take(&mut self.labels[i])).collect();
        self.lookup = OnceLock::new();
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

    /// Both sides and the singular values, as the graph path assembles them
    /// (`right` row-major like `left`, when kept).
    pub(crate) fn from_parts(
        labels: Vec<String>,
        dim: usize,
        left: Vec<f32>,
        right: Option<Vec<f32>>,
        singular_values: Vec<f64>,
    ) -> Self {
        debug_assert_eq!(left.len(), labels.len() * dim);
        Embeddings { labels, dim, left, right, singular_values, lookup: OnceLock::new(), metadata: None }
    }

    /// Both sides, for a stage that refines them in place (the right one
    /// must be kept).
    ///
    /// # Panics
    /// If the right side was dropped.
    pub(crate) fn sides_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        (&mut self.left, self.right.as_mut().expect("both sides are kept"))
    }

    /// Replace the singular values (a stage that changed the factors).
    pub(crate) fn set_singular_values(&mut self, s: Vec<f64>) {
        self.singular_values = s;
    }

    /// Take the left side out (for a stage that replaces it; put it back
    /// with [`Embeddings::set_left`]).
    pub(crate) fn take_left(&mut self) -> Vec<f32> {
        std::mem::take(&mut self.left)
    }

    /// Put a left side of the same shape back.
    pub(crate) fn set_left(&mut self, left: Vec<f32>) {
        assert_eq!(left.len(), self.labels.len() * self.dim, "the left side must be labels × dim");
        self.left = left;
    }

    /// [`Embeddings::from_matrix`] for data from outside (the Python
    /// package): a shape that does not match is an error, not a panic.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] when `data.len() != labels.len() * dim`.
    pub fn try_from_matrix(labels: Vec<String>, dim: usize, data: Vec<f32>) -> crate::error::Result<Self> {
        if Some(data.len()) != labels.len().checked_mul(dim) {
            let rows = data.len().checked_div(dim).map_or(format!("{} values", data.len()), |r| format!("{r} rows"));
            return Err(crate::error::Error::InvalidConfig {
                param: "embeddings",
                reason: format!("{} labels for {rows} of {dim} values; give one label per row", labels.len()),
            });
        }
        Ok(Self::from_matrix(labels, dim, data))
    }

    /// Single-sided embeddings from a row-major `labels.len() × dim` matrix.
    ///
    /// # Panics
    /// If `data.len() != labels.len() * dim`.
    #[track_caller]
    pub fn from_matrix(labels: Vec<String>, dim: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), labels.len() * dim, "matrix size must be labels × dim");
        Embeddings {
            labels,
            dim,
            left: data,
            right: None,
            singular_values: Vec::new(),
            lookup: OnceLock::new(),
            metadata: None,
        }
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

    /// Rows of `side` that are all zeros: nodes the matrix gave nothing
    /// (a directed graph's nodes without out-arcs), worth a word in a
    /// summary since a classifier sees them as identical.
    pub fn zero_rows(&self, side: Side) -> usize {
        let mut row = vec![0f32; self.side_dim(side)];
        (0..self.len())
            .filter(|&i| {
                self.row_into(i, side, &mut row);
                row.iter().all(|&x| x == 0.0)
            })
            .count()
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

    /// Row index of `label` (a hash index, built on the first lookup).
    pub fn position(&self, label: &str) -> Option<usize> {
        let lookup = self.lookup.get_or_init(|| self.labels.iter().enumerate().map(|(i, l)| (l.clone(), i)).collect());
        lookup.get(label).copied()
    }

    /// The vector of `label` on `side`, or `None` for an unknown label.
    pub fn vector(&self, label: &str, side: Side) -> Option<Vec<f32>> {
        let i = self.position(label)?;
        let mut out = vec![0f32; self.side_dim(side)];
        self.row_into(i, side, &mut out);
        Some(out)
    }

    /// How these vectors were made, when known (set by the CLI, read back
    /// from a file's JSON sidecar by [`Embeddings::load`]).
    pub fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref()
    }

    /// The provenance, moved out.
    pub(crate) fn take_metadata(&mut self) -> Option<Metadata> {
        self.metadata.take()
    }

    /// Attach provenance; [`Embeddings::save`] writes it as the sidecar.
    pub fn set_metadata(&mut self, metadata: Metadata) {
        self.metadata = Some(metadata);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_output_format_follows_the_file_name_unless_told_and_contradictions_are_errors() {
        use super::Format;
        use std::path::Path;
        assert_eq!(Format::for_path(Path::new("cora.npy"), None).unwrap(), Format::Npy);
        assert_eq!(Format::for_path(Path::new("C.NPY"), None).unwrap(), Format::Npy);
        for p in ["cora.txt", "cora.vec", "cora", "-", "a.b/cora.emb"] {
            assert_eq!(Format::for_path(Path::new(p), None).unwrap(), Format::Word2vec, "{p}");
        }
        assert_eq!(Format::for_path(Path::new("cora.emb"), Some(Format::Npy)).unwrap(), Format::Npy);
        let e = Format::for_path(Path::new("cora.npy"), Some(Format::Word2vec)).unwrap_err().to_string();
        assert!(e.contains("cora.npy is named as npy but `format` asks for word2vec"), "{e}");
        assert!(Format::for_path(Path::new("cora.txt"), Some(Format::Npy)).is_err());
    }

    #[test]
    fn id_order_is_numeric_for_integers_of_any_size_and_sign() {
        let sorted = |labels: &[&str]| -> Vec<String> {
            let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
            super::id_order(&labels).into_iter().map(|i| labels[i].clone()).collect()
        };
        assert_eq!(sorted(&["-1", "-2", "0", "10", "2"]), ["-2", "-1", "0", "2", "10"]);
        let big = ["99999999999999999999", "18446744073709551615", "2", "-0", "-30"];
        assert_eq!(sorted(&big), ["-30", "-0", "2", "18446744073709551615", "99999999999999999999"]);
        // One label that is no integer: all by text.
        assert_eq!(sorted(&["10", "9", "x"]), ["10", "9", "x"]);
        assert_eq!(sorted(&["-", "1"]), ["-", "1"]);
    }

    #[test]
    fn rows_permute_in_place_as_a_gather_would() {
        let (n, d) = (11, 3);
        let m: Vec<f32> = (0..n * d).map(|v| v as f32).collect();
        for order in [vec![3, 0, 1, 2, 4, 10, 9, 8, 7, 6, 5], (0..n).rev().collect(), (0..n).collect()] {
            let want: Vec<f32> = order.iter().flat_map(|&i| m[i * d..(i + 1) * d].iter().copied()).collect();
            let mut got = m.clone();
            super::permute_rows(&mut got, d, &order);
            assert_eq!(got, want, "{order:?}");
        }
    }
}
