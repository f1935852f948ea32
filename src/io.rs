//! Output: word2vec text, `.npy` + ids, and the JSON sidecar that records how
//! a file was made. Every file is written to a temporary file in the target
//! directory and renamed into place, so a failed run leaves no partial output.

use crate::config::Side;
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Output file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// word2vec text: header `n d`, then `label v1 … vd` per row (gensim's
    /// `KeyedVectors.load_word2vec_format(path)` reads it).
    #[default]
    Word2vec,
    /// NumPy `.npy` (float32, n × d, row i = i-th label) plus `<path>.ids`,
    /// one label per line.
    Npy,
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
    /// The parameters (the pipeline's config, serialized).
    pub config: serde_json::Value,
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
        }
    }
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path.to_path_buf(), e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A file being written in place of `path`: visible only after [`Staged::commit`].
pub struct Staged {
    path: PathBuf,
    file: BufWriter<tempfile::NamedTempFile>,
}

impl Staged {
    /// Start writing `path` (a temporary file in the same directory).
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new().prefix(".pmivec-").tempfile_in(dir).map_err(|e| {
            // tempfile appends its random path to the message; keep the cause only.
            let cause = e.to_string().split(" at path ").next().unwrap_or_default().to_owned();
            Error::io(path.to_path_buf(), std::io::Error::new(e.kind(), cause))
        })?;
        Ok(Staged { path: path.to_path_buf(), file: BufWriter::with_capacity(1 << 20, tmp) })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.file
    }

    /// Flush and rename into place.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let tmp = self.file.into_inner().map_err(|e| Error::io(path.clone(), e.into_error()))?;
        tmp.persist(&path).map_err(|e| Error::io(path.clone(), e.error))?;
        Ok(())
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path.to_path_buf(), e)
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

/// Write a row-major f32 matrix as a NumPy `.npy` (format version 1.0).
pub fn write_npy<W: Write>(data: &[f32], rows: usize, cols: usize, mut w: W) -> std::io::Result<()> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // magic(6) + version(2) + len(2) + header + '\n' must be a multiple of 64.
    let pad = 64 - (10 + header.len() + 1) % 64;
    header.extend(std::iter::repeat_n(' ', pad % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    for v in data {
        w.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// Write `side` of `emb` to `path` in `format`, plus `<path>.json` with
/// `meta` (and `<path>.ids` for npy). All files appear together or not at all.
pub fn save(emb: &Embeddings, side: Side, format: Format, path: &Path, meta: &Metadata) -> Result<()> {
    let mut staged = Vec::new();
    let mut main = Staged::create(path)?;
    match format {
        Format::Word2vec => write_word2vec(emb, side, main.writer()).map_err(io_err(path))?,
        Format::Npy => {
            write_npy(&emb.matrix(side), emb.len(), emb.side_dim(side), main.writer()).map_err(io_err(path))?;
            let ids_path = sibling(path, "ids");
            let mut ids = Staged::create(&ids_path)?;
            for l in emb.labels() {
                writeln!(ids.writer(), "{l}").map_err(io_err(&ids_path))?;
            }
            staged.push(ids);
        }
    }
    staged.push(main);
    let meta_path = sibling(path, "json");
    let mut m = Staged::create(&meta_path)?;
    serde_json::to_writer_pretty(m.writer(), meta).map_err(|e| Error::io(meta_path.clone(), e.into()))?;
    writeln!(m.writer()).map_err(io_err(&meta_path))?;
    staged.push(m);
    for s in staged {
        s.commit()?;
    }
    Ok(())
}

/// `path` with `.ext` appended (`emb.txt` → `emb.txt.json`).
pub fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Read embeddings in word2vec text format (`n d` header, then `label v1 … vd`).
///
/// # Errors
/// [`Error::Parse`] naming the line of a malformed header or row.
pub fn read_word2vec(path: &Path) -> Result<Embeddings> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let err = |line: usize, message: String| Error::Parse { path: Some(path.into()), line: line as u64, message };
    let mut lines = text.lines();
    let header: Vec<usize> = lines
        .next()
        .ok_or_else(|| err(1, "empty file".into()))?
        .split_whitespace()
        .map(|x| x.parse().map_err(|_| err(1, format!("header field `{x}` is not a count"))))
        .collect::<Result<_>>()?;
    let [n, d] = header[..] else { return Err(err(1, "expected the header `rows dim`".into())) };
    let mut labels = Vec::with_capacity(n);
    let mut data = Vec::with_capacity(n * d);
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut f = line.split_whitespace();
        labels.push(f.next().unwrap_or_default().to_owned());
        let before = data.len();
        for x in f {
            data.push(x.parse::<f32>().map_err(|_| err(i + 2, format!("value `{x}` is not a number")))?);
        }
        if data.len() - before != d {
            return Err(err(i + 2, format!("expected {d} values, found {}", data.len() - before)));
        }
    }
    if labels.len() != n {
        return Err(err(1, format!("header says {n} rows, file has {}", labels.len())));
    }
    Ok(Embeddings::from_matrix(labels, d, data))
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
