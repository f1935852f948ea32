//! Output: word2vec text, `.npy` + ids, and the JSON sidecar that records how
//! a file was made. Every file is written to a temporary file in the target
//! directory and renamed into place, so a failed run leaves no partial output.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};

use std::io::{Read, Write};
use std::path::Path;

pub use crate::embeddings::{Format, Metadata};

/// The first bytes of a graph model (`embed --save-model`).
pub(crate) const GRAPH_MODEL_MAGIC: &[u8; 8] = b"PMIVECM1";
/// The first bytes of a word model (`words --save-model`).
pub(crate) const WORD_MODEL_MAGIC: &[u8; 8] = b"PMIVECW1";

/// Whether `bytes` start as a saved model does (graph or word): what to
/// say when one is given where embeddings are expected.
pub(crate) fn starts_as_model(bytes: &[u8]) -> bool {
    bytes.starts_with(GRAPH_MODEL_MAGIC) || bytes.starts_with(WORD_MODEL_MAGIC)
}

/// `path` with `.ext` appended (`emb.txt` → `emb.txt.json`): where a file's
/// sidecars are.
pub(crate) fn sibling(path: &Path, ext: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    std::path::PathBuf::from(s)
}

impl Embeddings {
    /// Write `side` in word2vec text format to any writer.
    ///
    /// # Errors
    /// The writer's I/O error.
    pub fn write_word2vec(&self, side: Side, writer: impl std::io::Write) -> std::io::Result<()> {
        write_word2vec(self, side, writer)
    }

    /// Load word2vec text or npy (with `<path>.ids`), detected by content,
    /// and the `<path>.json` sidecar as metadata when there is one.
    ///
    /// # Errors
    /// [`crate::Error::Io`] or [`crate::Error::Parse`] naming the file and line.
    pub fn load(path: impl AsRef<Path>) -> Result<Embeddings> {
        load(path.as_ref())
    }
}

impl Metadata {
    /// Record the input file and its SHA-256.
    ///
    /// # Errors
    /// [`Error::Io`] if the input cannot be read.
    pub fn with_input(mut self, input: &Path) -> Result<Self> {
        self.input_sha256 = crate::source::sha256(input)?;
        self.input = Some(input.to_path_buf());
        Ok(self)
    }
}

/// Refuse what the format cannot give back: labels a word2vec line or an
/// `.ids` line would split (whitespace; a line break), empty labels, and
/// non-finite values, which [`load`] rejects.
///
/// # Errors
/// [`Error::InvalidConfig`] naming the first offending label or row.
pub(crate) fn check_writable(emb: &Embeddings, side: Side, format: Format) -> Result<()> {
    let bad = |reason: String| Err(Error::InvalidConfig { param: "labels", reason });
    for (i, l) in emb.labels().iter().enumerate() {
        let breaks = match format {
            Format::Word2vec => l.chars().any(char::is_whitespace),
            Format::Npy => l.contains(['\n', '\r']),
            Format::Parquet => false,
        };
        if l.is_empty() {
            return bad(format!("the label of row {i} is empty; every row needs a name"));
        }
        if i == 0 && format == Format::Npy && l.starts_with('\u{feff}') {
            return bad(format!(
                "label {l:?} (row 0) starts with a byte-order mark, which readers of the .ids file strip"
            ));
        }
        if breaks {
            let what = if format == Format::Npy { "a line break" } else { "whitespace" };
            let advice = if format == Format::Npy { "" } else { "; write npy (its .ids file keeps such labels)" };
            return bad(format!("label {l:?} (row {i}) contains {what}, which this format cannot hold{advice}"));
        }
    }
    use rayon::prelude::*;
    let d = emb.side_dim(side);
    let bad_row = (0..emb.len())
        .into_par_iter()
        .with_min_len(1024)
        .map_init(
            || vec![0f32; d],
            |row, i| {
                emb.row_into(i, side, row);
                (i, row.iter().any(|x| !x.is_finite()))
            },
        )
        .find_first(|&(_, bad)| bad);
    if let Some((row, _)) = bad_row {
        return Err(Error::InvalidConfig {
            param: "vectors",
            reason: format!("row {row} ({}) holds a value that is not finite (NaN or infinite)", emb.labels()[row]),
        });
    }
    Ok(())
}

/// Write `side` of `emb` in word2vec text format.
///
/// Values are printed in their shortest round-trip form (Schubfach, the
/// `zmij` crate), blocks of rows formatted in parallel and written in order:
/// a million 128-d rows take seconds, not the quarter minute of one thread
/// with `std`'s formatter.
pub fn write_word2vec<W: Write>(emb: &Embeddings, side: Side, mut w: W) -> std::io::Result<()> {
    use rayon::prelude::*;
    const ROWS: usize = 1024;
    let d = emb.side_dim(side);
    writeln!(w, "{} {}", emb.len(), d)?;
    let n = emb.len();
    // Waves of blocks bound the formatted text held at once.
    let wave = ROWS * 4 * rayon::current_num_threads().max(1);
    for start in (0..n).step_by(wave) {
        let end = (start + wave).min(n);
        let blocks: Vec<Vec<u8>> = (start..end)
            .step_by(ROWS)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|b| {
                let mut out = Vec::with_capacity(ROWS * (d * 12 + 16));
                let mut row = vec![0f32; d];
                let mut buf = zmij::Buffer::new();
                for i in b..(b + ROWS).min(end) {
                    emb.row_into(i, side, &mut row);
                    out.extend_from_slice(emb.labels()[i].as_bytes());
                    for &v in &row {
                        out.push(b' ');
                        out.extend_from_slice(buf.format(v).as_bytes());
                    }
                    out.push(b'\n');
                }
                out
            })
            .collect();
        for b in blocks {
            w.write_all(&b)?;
        }
    }
    Ok(())
}

/// Write `side` of `emb` as a NumPy `.npy`, row by row (no copy of the matrix).
pub(crate) fn write_npy_rows<W: Write>(emb: &Embeddings, side: Side, mut w: W) -> std::io::Result<()> {
    let d = emb.side_dim(side);
    write_npy_header(emb.len(), d, &mut w)?;
    let mut row = vec![0f32; d];
    let mut bytes = Vec::with_capacity(d * 4);
    for i in 0..emb.len() {
        emb.row_into(i, side, &mut row);
        bytes.clear();
        bytes.extend(row.iter().flat_map(|v| v.to_le_bytes()));
        w.write_all(&bytes)?;
    }
    Ok(())
}

fn write_npy_header<W: Write>(rows: usize, cols: usize, w: &mut W) -> std::io::Result<()> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // magic(6) + version(2) + len(2) + header + '\n' must be a multiple of 64.
    let pad = 64 - (10 + header.len() + 1) % 64;
    header.extend(std::iter::repeat_n(' ', pad % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())
}

/// Write a row-major f32 matrix as a NumPy `.npy` (format version 1.0).
pub fn write_npy<W: Write>(data: &[f32], rows: usize, cols: usize, mut w: W) -> std::io::Result<()> {
    write_npy_header(rows, cols, &mut w)?;
    for v in data {
        w.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// Read embeddings in word2vec text format (`n d` header, then `label v1 … vd`).
///
/// # Errors
/// [`Error::Parse`] naming the line of a malformed header or row.
pub fn read_word2vec(path: &Path) -> Result<Embeddings> {
    read_word2vec_from(crate::source::open(path)?, Some(path))
}

/// [`read_word2vec`] from any reader; `name` is used in error messages.
///
/// Nothing is allocated from the header's counts: rows are collected as
/// they come and the header is checked against them, so a wrong or hostile
/// header is an error, not an allocation failure. Values must be finite.
///
/// # Errors
/// [`Error::Parse`] naming the line of a malformed header or row.
pub fn read_word2vec_from(mut reader: impl std::io::BufRead, name: Option<&Path>) -> Result<Embeddings> {
    let path = name.map(Path::to_path_buf);
    let err = |line: u64, message: String| Error::Parse { path: path.clone(), line, message };
    let mut line = String::new();
    let mut bytes = Vec::new();
    let mut lines_read = 0u64;
    let mut read_line = |buf: &mut String| -> Result<bool> {
        bytes.clear();
        lines_read += 1;
        let n = crate::source::read_line(&mut reader, &mut bytes, name, lines_read)?;
        *buf = String::from_utf8(std::mem::take(&mut bytes)).map_err(|_| Error::Parse {
            path: path.clone(),
            line: lines_read,
            message: "line is not valid UTF-8".into(),
        })?;
        Ok(n > 0)
    };
    if !read_line(&mut line)? {
        return Err(err(1, "empty file".into()));
    }
    // An edge list or a labels file given where vectors belong fails on
    // its first lines: say what it looks like.
    const PAIRS: &str = "; this looks like an edge list or a labels file (two or three fields a line), not \
                         embeddings, whose word2vec text starts with `rows dim`";
    let fields_of_first = line.split_whitespace().count();
    let header: Vec<usize> = line
        .split_whitespace()
        .map(|x| {
            x.parse().map_err(|_| {
                let hint = if (2..=3).contains(&fields_of_first) { PAIRS } else { "" };
                err(1, format!("header field `{x}` is not a count{hint}"))
            })
        })
        .collect::<Result<_>>()?;
    let [n, d] = header[..] else { return Err(err(1, "expected the header `rows dim`".into())) };
    // A first line of two small numbers may be an edge (`0 1`), not a header.
    let hint = if d <= 2 { PAIRS } else { "" };
    let (mut labels, mut data) = (Vec::new(), Vec::new());
    let mut seen = UniqueLabels::default();
    let mut lineno = 1u64;
    while read_line(&mut line)? {
        lineno += 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut f = line.split_whitespace();
        let label = f.next().unwrap_or_default();
        seen.insert(label, lineno).map_err(|m| err(lineno, format!("{m}{hint}")))?;
        labels.push(label.to_owned());
        let before = data.len();
        for x in f {
            let v = x.parse::<f32>().map_err(|_| err(lineno, format!("value `{x}` is not a number")))?;
            if !v.is_finite() {
                return Err(err(lineno, format!("value `{x}` is not finite")));
            }
            data.push(v);
        }
        if data.len() - before != d {
            let found = data.len() - before;
            let hint = if lineno == 2 && (1..=2).contains(&found) { hint } else { "" };
            return Err(err(lineno, format!("expected {d} values, found {found}{hint}")));
        }
    }
    if labels.len() != n {
        return Err(err(1, format!("header says {n} rows, file has {}", labels.len())));
    }
    Ok(Embeddings::from_matrix(labels, d, data))
}

/// Labels seen so far, with the line each was on: a repeated label would
/// make lookups answer with one row and silently hide the other.
#[derive(Default)]
struct UniqueLabels(std::collections::HashMap<String, u64>);

impl UniqueLabels {
    fn insert(&mut self, label: &str, line: u64) -> std::result::Result<(), String> {
        match self.0.insert(label.to_owned(), line) {
            Some(first) => Err(format!("label `{label}` already on line {first}")),
            None => Ok(()),
        }
    }
}

/// Read a 2-D little-endian float32 `.npy` (as [`write_npy`] writes it) and
/// its labels from `<path>.ids` (row numbers from 0 when there is none).
///
/// # Errors
/// [`Error::Parse`] for a header that is not a C-order `<f4` 2-D array or a
/// size that does not match the file, [`Error::Io`] for read failures.
pub fn read_npy(path: &Path) -> Result<Embeddings> {
    read_npy_bytes(&crate::source::read(path)?, path)
}

/// [`read_npy`] of the file's bytes, read already.
fn read_npy_bytes(bytes: &[u8], path: &Path) -> Result<Embeddings> {
    let err = |message: &str| Error::Parse { path: Some(path.into()), line: 1, message: message.into() };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(err("not a .npy file"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Err(err("unsupported .npy version")),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| err("truncated header"))?;
    if !header.contains("'<f4'") || !header.contains("'fortran_order': False") {
        return Err(err("expected a C-order float32 ('<f4') array"));
    }
    let shape = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).ok_or_else(|| err("no shape"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| err("bad shape")))
        .collect::<Result<_>>()?;
    let [rows, cols] = dims[..] else { return Err(err("expected a 2-D array")) };
    let body = &bytes[start + hlen..];
    if rows.checked_mul(cols).and_then(|c| c.checked_mul(4)) != Some(body.len()) {
        return Err(err("the data size does not match the shape"));
    }
    let mut data = Vec::with_capacity(rows * cols);
    for (k, b) in body.chunks_exact(4).enumerate() {
        let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if !v.is_finite() {
            let message = format!("value {v} at row {}, column {} is not finite", k / cols.max(1), k % cols.max(1));
            return Err(Error::Parse { path: Some(path.into()), line: 1, message });
        }
        data.push(v);
    }
    let ids = sibling(path, "ids");
    // Row numbers only where there is no ids file at all: one that exists
    // but cannot be read (not UTF-8, a directory) is an error, not numbers.
    let labels: Vec<String> = match std::fs::symlink_metadata(&ids) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0..rows).map(|i| i.to_string()).collect(),
        _ => {
            let text = crate::source::read_to_string(&ids)?;
            let mut seen = UniqueLabels::default();
            let mut labels = Vec::with_capacity(rows);
            for (i, l) in text.lines().enumerate() {
                seen.insert(l, i as u64 + 1).map_err(|message| Error::Parse {
                    path: Some(ids.clone()),
                    line: i as u64 + 1,
                    message,
                })?;
                labels.push(l.to_owned());
            }
            labels
        }
    };
    if labels.len() != rows {
        return Err(Error::Parse {
            path: Some(ids),
            line: labels.len() as u64,
            message: format!("{} labels for {rows} rows", labels.len()),
        });
    }
    Ok(Embeddings::from_matrix(labels, cols, data))
}

/// The file naming the shards a cluster run wrote into a directory (see
/// `pmivec.distributed`): `{"format": "pmivec-shards", "rows", "dim",
/// "parts": [{"file", "rows"}, …]}`, parts in row order, each an npy file
/// with its `.ids` and sidecar.
pub const MANIFEST: &str = "manifest.json";

#[derive(serde::Deserialize)]
struct Manifest {
    format: String,
    rows: usize,
    dim: usize,
    parts: Vec<ManifestPart>,
}

#[derive(serde::Deserialize)]
struct ManifestPart {
    file: String,
    rows: usize,
}

/// All shards of a directory with a [`MANIFEST`], in row order, with the
/// first part's sidecar as metadata.
fn load_shards(dir: &Path) -> Result<Embeddings> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(path.clone(), e))?;
    let bad = |message: String| Error::Parse { path: Some(path.clone()), line: 1, message };
    let m: Manifest = serde_json::from_str(&text).map_err(|e| bad(format!("not a shard manifest: {e}")))?;
    if m.format != "pmivec-shards" {
        return Err(bad(format!("format `{}` is not pmivec-shards", m.format)));
    }
    let (mut labels, mut data) = (Vec::with_capacity(m.rows), Vec::with_capacity(m.rows * m.dim));
    let mut meta = None;
    for part in &m.parts {
        if part.file.contains('/') || part.file.contains('\\') || part.file.starts_with('.') {
            return Err(bad(format!("part `{}` is not a file of the directory", part.file)));
        }
        let file = dir.join(&part.file);
        let mut e = load(&file)?;
        if e.len() != part.rows || (e.dim() != m.dim && part.rows > 0) {
            return Err(bad(format!(
                "part `{}` holds {} × {}, the manifest says {} × {}",
                part.file,
                e.len(),
                e.dim(),
                part.rows,
                m.dim
            )));
        }
        meta = meta.or_else(|| e.take_metadata());
        data.extend(e.matrix(Side::Left));
        labels.extend(e.labels().iter().cloned());
    }
    if labels.len() != m.rows {
        return Err(bad(format!("the parts hold {} rows, the manifest says {}", labels.len(), m.rows)));
    }
    let mut emb = Embeddings::from_matrix(labels, m.dim, data);
    if let Some(meta) = meta {
        emb.set_metadata(meta);
    }
    Ok(emb)
}

/// Load embeddings in either format (npy by its magic bytes, else word2vec
/// text), with the `<path>.json` sidecar as metadata when it parses; a
/// directory holding a cluster run's shards ([`MANIFEST`]) as one.
///
/// # Errors
/// As [`read_word2vec`] and [`read_npy`]; a malformed manifest or a part
/// that disagrees with it is an [`Error::Parse`] naming the manifest.
pub fn load(path: &Path) -> Result<Embeddings> {
    if path.is_dir() && path.join(MANIFEST).is_file() {
        return load_shards(path);
    }
    // One open, one read: the format is told from the first bytes in the
    // buffer, so a FIFO or a pipe is not consumed by the test.
    use std::io::BufRead;
    let mut reader = crate::source::open(path)?;
    let head = reader.fill_buf().map_err(|e| Error::io(path.to_path_buf(), e))?;
    if starts_as_model(head) {
        return Err(Error::Parse {
            path: Some(path.to_path_buf()),
            line: 1,
            message: "this is a fold-in model (from `save_model`), not embeddings: give it to fold-in".into(),
        });
    }
    let is_npy = head.starts_with(b"\x93NUMPY");
    let mut emb = if head.starts_with(b"PAR1") {
        drop(reader);
        if !crate::parquet::is_parquet(path) {
            return Err(Error::io(path.to_path_buf(), std::io::Error::other("Parquet can only be read from a file")));
        }
        crate::parquet::read_embeddings(path)?
    } else if is_npy {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| Error::io(path.to_path_buf(), e))?;
        read_npy_bytes(&bytes, path)?
    } else {
        read_word2vec_from(reader, Some(path))?
    };
    if let Sidecar::Of(meta) = sidecar(path, &emb) {
        emb.set_metadata(*meta);
    }
    Ok(emb)
}

/// What the sidecar `<path>.json` says about embeddings loaded from `path`.
#[derive(Clone, Debug)]
pub enum Sidecar {
    /// No sidecar, or one that is not pmivec's JSON.
    Missing,
    /// The sidecar of this file.
    Of(Box<Metadata>),
    /// A sidecar of another file (the vectors were rewritten since, e.g. by
    /// `-o -` redirected onto them): why it does not describe this one.
    Stale(String),
}

/// Read `path`'s sidecar and check that it describes `emb` as loaded from
/// `path`: its rows and width, and the digest of the vectors file when it
/// recorded one. [`load`] attaches only a sidecar that passes.
pub fn sidecar(path: &Path, emb: &Embeddings) -> Sidecar {
    let json = sibling(path, "json");
    let Some(meta) = std::fs::read_to_string(&json).ok().and_then(|t| serde_json::from_str::<Metadata>(&t).ok()) else {
        return Sidecar::Missing;
    };
    if (meta.rows, meta.dim) != (emb.len(), emb.dim()) {
        return Sidecar::Stale(format!(
            "{} describes {} rows × {} values, and {} has {} × {}",
            json.display(),
            meta.rows,
            meta.dim,
            path.display(),
            emb.len(),
            emb.dim()
        ));
    }
    if let Some(want) = &meta.vectors_sha256
        && let Ok(Some(got)) = crate::source::sha256(path)
        && &got != want
    {
        return Sidecar::Stale(format!(
            "{} records another file's digest: {} was rewritten after that run",
            json.display(),
            path.display()
        ));
    }
    Sidecar::Of(Box::new(meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word2vec_text_round_trips_and_bad_rows_name_their_line() {
        let emb = Embeddings::from_matrix(vec!["a".into(), "b c".replace(' ', "_")], 2, vec![1.5, -2.0, 0.25, 3.0]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.txt");
        let mut buf = Vec::new();
        write_word2vec(&emb, Side::Left, &mut buf).unwrap();
        std::fs::write(&path, &buf).unwrap();
        let back = read_word2vec(&path).unwrap();
        assert_eq!(back.labels(), emb.labels());
        assert_eq!(back.matrix(Side::Left), emb.matrix(Side::Left));
        std::fs::write(&path, "2 2\na 1 2\nb 1 x\n").unwrap();
        let e = read_word2vec(&path).unwrap_err().to_string();
        assert!(e.ends_with("e.txt:3: value `x` is not a number"), "{e}");
    }

    #[test]
    fn both_formats_load_back_with_labels_and_provenance() {
        let emb =
            Embeddings::from_matrix(vec!["x".into(), "y".into(), "z".into()], 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5]);
        let dir = tempfile::tempdir().unwrap();
        for (name, format) in [("e.txt", Format::Word2vec), ("e.npy", Format::Npy)] {
            let path = dir.path().join(name);
            let meta = Metadata::new(&emb, Side::Left, format, &crate::config::EmbedConfig::default().dim(2));
            let mut with_meta = emb.clone();
            with_meta.set_metadata(meta);
            with_meta.save(&path, Side::Left, format).unwrap();
            let back = Embeddings::load(&path).unwrap();
            assert_eq!(back.labels(), emb.labels(), "{name}");
            assert_eq!(back.matrix(Side::Left), emb.matrix(Side::Left), "{name}");
            assert_eq!(back.position("z"), Some(2));
            assert_eq!(back.vector("y", Side::Left).unwrap(), vec![3.0, 4.0]);
            let config: crate::config::EmbedConfig = back.metadata().unwrap().config().unwrap();
            assert_eq!(config.factorize.dim, 2);
        }
    }

    #[test]
    fn a_directory_of_shards_loads_as_one_and_a_wrong_manifest_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let parts = [
            Embeddings::from_matrix(vec!["a".into(), "b".into()], 2, vec![1.0, 2.0, 3.0, 4.0]),
            Embeddings::from_matrix(vec![], 2, vec![]),
            Embeddings::from_matrix(vec!["c".into()], 2, vec![5.0, 6.0]),
        ];
        for (q, e) in parts.iter().enumerate() {
            let meta = Metadata::new(e, Side::Left, Format::Npy, &());
            crate::output::save(e, Side::Left, Format::Npy, &dir.path().join(format!("part-{q}.npy")), &meta).unwrap();
        }
        let manifest = |rows: usize| {
            format!(
                r#"{{"format": "pmivec-shards", "rows": {rows}, "dim": 2, "parts": [{{"file": "part-0.npy", "rows": 2}},
                {{"file": "part-1.npy", "rows": 0}}, {{"file": "part-2.npy", "rows": 1}}]}}"#
            )
        };
        std::fs::write(dir.path().join(MANIFEST), manifest(3)).unwrap();
        let all = load(dir.path()).unwrap();
        assert_eq!(all.labels(), ["a", "b", "c"]);
        assert_eq!(all.matrix(Side::Left), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        std::fs::write(dir.path().join(MANIFEST), manifest(4)).unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("manifest.json") && e.contains("3 rows, the manifest says 4"), "{e}");
    }

    #[test]
    fn a_hostile_header_is_an_error_not_an_allocation() {
        for header in ["1000000000 1000000000", "18446744073709551615 18446744073709551615"] {
            let text = format!("{header}\na 1 2\n");
            let e = read_word2vec_from(text.as_bytes(), None).unwrap_err().to_string();
            assert!(e.contains("expected") || e.contains("header says"), "{e}");
        }
        let e = read_word2vec_from("1 2\na 1 NaN\n".as_bytes(), None).unwrap_err().to_string();
        assert!(e.contains(":2: value `NaN` is not finite"), "{e}");
    }

    #[test]
    fn npy_header_is_aligned_and_parsable() {
        let mut buf = Vec::new();
        write_npy(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, &mut buf).unwrap();
        let hlen = u16::from_le_bytes([buf[8], buf[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let header = std::str::from_utf8(&buf[10..10 + hlen]).unwrap();
        assert!(header.contains("'shape': (2, 3)") && header.ends_with('\n'));
        assert_eq!(buf.len(), 10 + hlen + 24);
        assert_eq!(f32::from_le_bytes(buf[10 + hlen + 20..].try_into().unwrap()), 6.0);
    }
}
