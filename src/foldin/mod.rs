//! Fold-in: place rows that arrive after a model was fitted — new nodes
//! from their edges ([`Model`]), new words from text ([`WordModel`]) — without
//! recomputing it. Both project a new row m of the model's PMI matrix onto
//! its right factors, u = m·V·Σ^(p−1), which reproduces U·Σ^p for the rows
//! the model was fitted on. Models are saved as a magic number, JSON
//! settings and the arrays, and staged with a run's other outputs.

mod graph;
mod words;

pub use graph::{FOLD_IN_BOOST, FoldIn, Model};
pub use words::WordModel;

use crate::io::{GRAPH_MODEL_MAGIC as MAGIC, WORD_MODEL_MAGIC as WORD_MAGIC};

use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// A saved model of either kind.
#[derive(Clone, Debug)]
pub enum Saved {
    /// From `embed --save-model`.
    Graph(Box<Model>),
    /// From `words --save-model`.
    Words(Box<WordModel>),
}

impl Saved {
    /// Read a model written by [`Model::save`] or [`WordModel::save`].
    ///
    /// # Errors
    /// [`Error::Io`], or [`Error::Parse`] for a file that is not a model.
    pub fn load(path: &Path) -> Result<Saved> {
        let bytes = crate::source::read(path)?;
        Saved::from_bytes(&bytes, path)
    }

    /// Whether the file at `path` is a word model (else a graph model),
    /// from its first bytes only, without reading the model.
    ///
    /// # Errors
    /// [`Error::Io`], or [`Error::Parse`] for a file that is not a model.
    pub fn is_word_model(path: &Path) -> Result<bool> {
        use std::io::Read;
        let mut magic = [0u8; 8];
        let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
        match read {
            Ok(()) if &magic == MAGIC => Ok(false),
            Ok(()) if &magic == WORD_MAGIC => Ok(true),
            Err(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => Err(Error::io(path.to_path_buf(), e)),
            _ => Err(not_a_model(path)),
        }
    }

    /// [`Saved::load`] from the file's bytes (`path` names it in errors).
    ///
    /// # Errors
    /// [`Error::Parse`] for bytes that are not a model, or a corrupt one.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Saved> {
        let bad = |m: &str| Error::Parse { path: Some(path.into()), line: 1, message: m.into() };
        match bytes.get(..8) {
            Some(m) if m == MAGIC => Model::load_from(bytes, bad).map(|m| Saved::Graph(Box::new(m))),
            Some(m) if m == WORD_MAGIC => WordModel::load_from(bytes, bad).map(|m| Saved::Words(Box::new(m))),
            _ => Err(not_a_model(path)),
        }
    }
}

fn not_a_model(path: &Path) -> Error {
    Error::Parse {
        path: Some(path.into()),
        line: 1,
        message: "not a pmivec model (made by embed or words with `save_model`)".into(),
    }
}

/// Σ^(p−1) as f32 (0 for a zero singular value).
fn projection_scale(singular_values: &[f64], p: f64) -> Vec<f32> {
    singular_values.iter().map(|&s| if s > 0.0 { s.powf(p - 1.0) as f32 } else { 0.0 }).collect()
}

/// V = (V·Σ^p)·Σ^(−p), row-major.
pub(crate) fn unweighted_right(emb: &Embeddings, p: f64) -> Vec<f32> {
    unweighted(emb.matrix(crate::embeddings::Side::Right), emb.singular_values(), p)
}

/// V·Σ^p (row-major, k = s.len() columns) back to V.
pub(crate) fn unweighted(mut v: Vec<f32>, s: &[f64], p: f64) -> Vec<f32> {
    let k = s.len();
    let inv: Vec<f32> = s.iter().map(|&s| if s > 0.0 { s.powf(-p) as f32 } else { 0.0 }).collect();
    v.par_chunks_mut(k.max(1)).for_each(|r| r.iter_mut().zip(&inv).for_each(|(x, s)| *x *= s));
    v
}

/// Stage a model file: magic, the JSON settings (length-prefixed), then
/// the arrays `arrays` writes.
fn stage_model(
    batch: &mut crate::output::Batch,
    path: &Path,
    magic: &[u8; 8],
    settings: &impl Serialize,
    arrays: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let err = |e: std::io::Error| Error::io(path.to_path_buf(), e);
    let w = batch.file(path)?.writer();
    let json = serde_json::to_vec(settings).map_err(|e| err(e.into()))?;
    w.write_all(magic).map_err(err)?;
    w.write_all(&(json.len() as u64).to_le_bytes()).map_err(err)?;
    w.write_all(&json).map_err(err)?;
    arrays(w).map_err(err)
}

/// The JSON settings after the magic, and the bytes after them.
fn read_settings<'a, T: serde::de::DeserializeOwned>(
    bytes: &'a [u8],
    bad: &impl Fn(&str) -> Error,
) -> Result<(T, &'a [u8])> {
    let mut r = &bytes[8..];
    let len = read_u64(&mut r).ok_or_else(|| bad("truncated"))? as usize;
    let json = r.get(..len).ok_or_else(|| bad("truncated"))?;
    let settings = serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
    Ok((settings, &r[len..]))
}

fn write_f32s(w: &mut (impl Write + ?Sized), v: &[f32]) -> std::io::Result<()> {
    w.write_all(&(v.len() as u64).to_le_bytes())?;
    for x in v {
        w.write_all(&x.to_le_bytes())?;
    }
    Ok(())
}

fn read_u64(r: &mut &[u8]) -> Option<u64> {
    let (head, rest) = r.split_at_checked(8)?;
    *r = rest;
    Some(u64::from_le_bytes(head.try_into().ok()?))
}

fn read_f32s(r: &mut &[u8]) -> Option<Vec<f32>> {
    let n = read_u64(r)? as usize;
    let (head, rest) = r.split_at_checked(n.checked_mul(4)?)?;
    *r = rest;
    Some(head.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect())
}
