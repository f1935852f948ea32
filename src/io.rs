//! Output: word2vec text, `.npy` + ids, and the JSON sidecar that records how
//! a file was made. Every file is written to a temporary file in the target
//! directory and renamed into place, so a failed run leaves no partial output.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};

use sha2::{Digest, Sha256};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

pub use crate::embeddings::{Format, Metadata};

impl Embeddings {
    /// Write `side` to `path` in `format`, with `<path>.json` from the
    /// metadata (or a minimal one) and `<path>.ids` for npy; all files
    /// appear together or not at all (see [`crate::io::save`]).
    ///
    /// # Errors
    /// [`crate::Error::Io`] naming the file that could not be written.
    pub fn save(&self, path: impl AsRef<Path>, side: Side, format: Format) -> Result<()> {
        let meta = self.metadata().cloned().unwrap_or_else(|| Metadata::new(self, side, format, &()));
        save(self, side, format, path.as_ref(), &meta)
    }

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
        self.input_sha256 = Some(file_sha256(input)?);
        self.input = Some(input.to_path_buf());
        Ok(self)
    }
}

/// SHA-256 of a file, hex.
fn file_sha256(path: &Path) -> Result<String> {
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

/// Temporary files being written, so that a signal handler can remove them
/// ([`remove_staged_files`]): a process killed mid-write runs no destructor.
static STAGED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Remove every temporary output file still being written. For a binary's
/// SIGINT/SIGTERM handler, just before the process exits; the library
/// itself never needs it (staged files are removed when dropped).
pub fn remove_staged_files() {
    if let Ok(staged) = STAGED.lock() {
        for p in staged.iter() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A file being written in place of `path`: visible only after [`Staged::commit`].
pub(crate) struct Staged {
    path: PathBuf,
    tmp_path: PathBuf,
    file: Option<BufWriter<tempfile::NamedTempFile>>,
}

impl Staged {
    /// Start writing `path` (a temporary file in the same directory, created
    /// with the mode a plain new file gets: 0666 less the umask).
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".pmivec-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir).map_err(|e| {
            // tempfile appends its random path to the message; keep the cause only.
            let cause = e.to_string().split(" at path ").next().unwrap_or_default().to_owned();
            Error::io(path.to_path_buf(), std::io::Error::new(e.kind(), cause))
        })?;
        let tmp_path = tmp.path().to_path_buf();
        STAGED.lock().map(|mut s| s.push(tmp_path.clone())).ok();
        Ok(Staged { path: path.to_path_buf(), tmp_path, file: Some(BufWriter::with_capacity(1 << 20, tmp)) })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut impl Write {
        self.file.as_mut().expect("a staged file is written before it is committed")
    }

    /// Flush (write errors such as a full disk surface here, naming `path`).
    fn flush(&mut self) -> Result<()> {
        self.writer().flush().map_err(|e| Error::io(self.path.clone(), e))
    }

    /// Rename into place.
    fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("committed once");
        let tmp = file.into_inner().map_err(|e| Error::io(self.path.clone(), e.into_error()))?;
        tmp.persist(&self.path).map_err(|e| Error::io(self.path.clone(), e.error))?;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // The temporary file itself is removed by NamedTempFile's own drop
        // (or has become the output); only the registry entry remains.
        if let Ok(mut staged) = STAGED.lock() {
            staged.retain(|p| p != &self.tmp_path);
        }
    }
}

/// The outputs of one run, staged together: every file is written and
/// flushed before any is renamed into place, so a failure (a full disk, a
/// later stage's error) leaves no new file beside an old one; a batch
/// dropped without [`Batch::commit`] removes its temporary files.
#[derive(Default)]
pub struct Batch {
    staged: Vec<Staged>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Stage `side` of `emb` at `path` in `format`, with `<path>.json` from
    /// `meta` and `<path>.ids` for npy.
    ///
    /// # Errors
    /// [`Error::Io`] naming the output that could not be written.
    pub fn add(&mut self, emb: &Embeddings, side: Side, format: Format, path: &Path, meta: &Metadata) -> Result<()> {
        let mut main = Staged::create(path)?;
        match format {
            Format::Word2vec => write_word2vec(emb, side, main.writer()).map_err(io_err(path))?,
            Format::Npy => {
                write_npy_rows(emb, side, main.writer()).map_err(io_err(path))?;
                let ids_path = sibling(path, "ids");
                let mut ids = Staged::create(&ids_path)?;
                for l in emb.labels() {
                    writeln!(ids.writer(), "{l}").map_err(io_err(&ids_path))?;
                }
                self.staged.push(ids);
            }
        }
        self.staged.push(main);
        let meta_path = sibling(path, "json");
        let mut m = Staged::create(&meta_path)?;
        serde_json::to_writer_pretty(m.writer(), meta).map_err(|e| Error::io(meta_path.clone(), e.into()))?;
        writeln!(m.writer()).map_err(io_err(&meta_path))?;
        self.staged.push(m);
        Ok(())
    }

    /// Stage `bytes` (a picture, a report) at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`.
    pub fn add_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let mut staged = Staged::create(path)?;
        staged.writer().write_all(bytes).map_err(io_err(path))?;
        self.staged.push(staged);
        Ok(())
    }

    /// Add a file staged by the caller.
    pub(crate) fn push(&mut self, staged: Staged) {
        self.staged.push(staged);
    }

    /// Flush every staged file, then rename each into place.
    ///
    /// # Errors
    /// [`Error::Io`] naming the output whose flush or rename failed (no
    /// file has been renamed if a flush failed).
    pub fn commit(mut self) -> Result<()> {
        for s in &mut self.staged {
            s.flush()?;
        }
        for s in self.staged.drain(..) {
            s.commit()?;
        }
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

/// Write `side` of `emb` as a NumPy `.npy`, row by row (no copy of the matrix).
fn write_npy_rows<W: Write>(emb: &Embeddings, side: Side, mut w: W) -> std::io::Result<()> {
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

/// Write `side` of `emb` to `path` in `format`, plus `<path>.json` with
/// `meta` (and `<path>.ids` for npy). All files appear together or not at
/// all (a one-output [`Batch`]).
///
/// # Errors
/// [`Error::Io`] naming the output that could not be written.
pub fn save(emb: &Embeddings, side: Side, format: Format, path: &Path, meta: &Metadata) -> Result<()> {
    let mut batch = Batch::new();
    batch.add(emb, side, format, path, meta)?;
    batch.commit()
}

/// `path` with `.ext` appended (`emb.txt` → `emb.txt.json`).
pub(crate) fn sibling(path: &Path, ext: &str) -> PathBuf {
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
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    read_word2vec_from(std::io::BufReader::with_capacity(1 << 20, file), Some(path))
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
    let mut read_line = |buf: &mut String| -> Result<bool> {
        buf.clear();
        let n = reader.read_line(buf).map_err(|e| Error::io(path.clone(), e))?;
        Ok(n > 0)
    };
    if !read_line(&mut line)? {
        return Err(err(1, "empty file".into()));
    }
    let header: Vec<usize> = line
        .split_whitespace()
        .map(|x| x.parse().map_err(|_| err(1, format!("header field `{x}` is not a count"))))
        .collect::<Result<_>>()?;
    let [n, d] = header[..] else { return Err(err(1, "expected the header `rows dim`".into())) };
    let (mut labels, mut data) = (Vec::new(), Vec::new());
    let mut lineno = 1u64;
    while read_line(&mut line)? {
        lineno += 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut f = line.split_whitespace();
        labels.push(f.next().unwrap_or_default().to_owned());
        let before = data.len();
        for x in f {
            let v = x.parse::<f32>().map_err(|_| err(lineno, format!("value `{x}` is not a number")))?;
            if !v.is_finite() {
                return Err(err(lineno, format!("value `{x}` is not finite")));
            }
            data.push(v);
        }
        if data.len() - before != d {
            return Err(err(lineno, format!("expected {d} values, found {}", data.len() - before)));
        }
    }
    if labels.len() != n {
        return Err(err(1, format!("header says {n} rows, file has {}", labels.len())));
    }
    Ok(Embeddings::from_matrix(labels, d, data))
}

/// Read a 2-D little-endian float32 `.npy` (as [`write_npy`] writes it) and
/// its labels from `<path>.ids` (row numbers from 0 when there is none).
///
/// # Errors
/// [`Error::Parse`] for a header that is not a C-order `<f4` 2-D array or a
/// size that does not match the file, [`Error::Io`] for read failures.
pub fn read_npy(path: &Path) -> Result<Embeddings> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let err = |message: &str| Error::Parse { path: Some(path.into()), line: 1, message: message.into() };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(err("not a .npy file"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
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
    let data: Vec<f32> = body.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let ids = sibling(path, "ids");
    let labels: Vec<String> = match std::fs::read_to_string(&ids) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(_) => (0..rows).map(|i| i.to_string()).collect(),
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
    let mut magic = [0u8; 6];
    let is_npy = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| &magic == b"\x93NUMPY")
        .unwrap_or(false);
    let mut emb = if is_npy { read_npy(path)? } else { read_word2vec(path)? };
    if let Some(meta) = std::fs::read_to_string(sibling(path, "json")).ok().and_then(|t| serde_json::from_str(&t).ok())
    {
        emb.set_metadata(meta);
    }
    Ok(emb)
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
            let meta = Metadata::new(&emb, Side::Left, format, &crate::EmbedConfig::default().dim(2));
            let mut with_meta = emb.clone();
            with_meta.set_metadata(meta);
            with_meta.save(&path, Side::Left, format).unwrap();
            let back = Embeddings::load(&path).unwrap();
            assert_eq!(back.labels(), emb.labels(), "{name}");
            assert_eq!(back.matrix(Side::Left), emb.matrix(Side::Left), "{name}");
            assert_eq!(back.position("z"), Some(2));
            assert_eq!(back.vector("y", Side::Left).unwrap(), vec![3.0, 4.0]);
            let config: crate::EmbedConfig = back.metadata().unwrap().config().unwrap();
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
            save(e, Side::Left, Format::Npy, &dir.path().join(format!("part-{q}.npy")), &meta).unwrap();
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
