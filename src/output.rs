//! Outputs (stage 9): checked before any work, staged beside their
//! targets, committed as one set.
//!
//! Every file a run writes goes through here — from the CLI, the Python
//! package or a Rust caller — so the rules hold in every entry point:
//!
//! - an output is never one of the run's inputs (same device and inode,
//!   whatever the name, symlink or hard link), never a device, FIFO or
//!   directory, never given twice;
//! - each file is written to a temporary file in its target's directory and
//!   renamed into place only when every file of the run is complete;
//! - the renames of one run hold an advisory lock on each target directory,
//!   so two runs writing the same outputs at once leave one run's set whole
//!   (the last to commit), never a mix;
//! - before any rename every target is checked replaceable, and a rename that
//!   fails anyway puts back what the earlier renames replaced: a failed run
//!   leaves the old files, or none.

use crate::embeddings::{Embeddings, Format, Metadata, Side};
use crate::error::{Error, Result};
use crate::io::sibling;

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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

fn register(p: &Path) {
    if let Ok(mut s) = STAGED.lock() {
        s.push(p.to_path_buf());
    }
}

fn unregister(p: &Path) {
    if let Ok(mut s) = STAGED.lock() {
        s.retain(|q| q != p);
    }
}

/// The directory a file is (or will be) in.
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// (device, inode) of an existing file, following links.
fn file_id(p: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        None
    }
}

/// The name a path will have once written: its directory canonicalized.
fn canonical_name(f: &Path) -> PathBuf {
    std::fs::canonicalize(dir_of(f))
        .map(|d| d.join(f.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| f.to_path_buf())
}

fn refuse(path: &Path, problem: impl Into<String>) -> Error {
    Error::Output { path: path.to_path_buf(), problem: problem.into() }
}

/// The files a run reads, which no output may replace.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    ids: Vec<((u64, u64), PathBuf)>,
}

impl Inputs {
    /// The inputs among `paths` that exist (`-`, stdin, has no file).
    pub fn new<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Self {
        let mut inputs = Inputs::default();
        for p in paths {
            inputs.add(p.as_ref());
        }
        inputs
    }

    /// Add an input.
    pub fn add(&mut self, path: &Path) {
        if path != Path::new("-")
            && let Some(id) = file_id(path)
        {
            self.ids.push((id, path.to_path_buf()));
        }
    }

    /// Refuse `file` if writing it would replace an input or a special file.
    fn check_file(&self, file: &Path) -> Result<()> {
        if let Ok(meta) = std::fs::metadata(file)
            && !meta.is_file()
        {
            return Err(refuse(file, "not a regular file (a device, FIFO or directory); refusing to replace it"));
        }
        if let Some(id) = file_id(file)
            && let Some((_, input)) = self.ids.iter().find(|(i, _)| *i == id)
        {
            return Err(refuse(file, format!("this is the input {}; choose another output", input.display())));
        }
        Ok(())
    }
}

/// One output of a run: embeddings (with their sidecars) or a single file.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// Vectors at a path in a format: the file, `.json`, and `.ids` for npy.
    /// `-` is stdout (word2vec text only).
    Embeddings(&'a Path, Format),
    /// One file without sidecars (a model, a picture, a config).
    File(&'a Path),
}

impl Target<'_> {
    /// Every file this output writes.
    fn files(&self) -> Vec<PathBuf> {
        match *self {
            Target::Embeddings(p, f) => {
                let mut v = vec![p.to_path_buf(), sibling(p, "json")];
                if f == Format::Npy {
                    v.push(sibling(p, "ids"));
                }
                v
            }
            Target::File(p) => vec![p.to_path_buf()],
        }
    }
}

/// Check every output of a run before any work starts: its directory exists
/// and is writable, and none of its files is an input, a special file, or
/// another output of the run. `-` means stdout and needs word2vec text.
///
/// # Errors
/// [`Error::Output`] naming the file and the problem.
pub fn check(inputs: &Inputs, targets: &[Target<'_>]) -> Result<()> {
    let mut names = HashSet::new();
    let mut stdout = false;
    for t in targets {
        let (Target::Embeddings(out, _) | Target::File(out)) = *t;
        if out == Path::new("-") {
            match *t {
                Target::File(_) => return Err(refuse(out, "this output cannot go to stdout; give a file name")),
                Target::Embeddings(_, f @ (Format::Npy | Format::Parquet)) => {
                    return Err(refuse(
                        out,
                        format!("only word2vec text can go to stdout; give a file name for {}", f.name()),
                    ));
                }
                Target::Embeddings(..) => {}
            }
            if std::mem::replace(&mut stdout, true) {
                return Err(refuse(out, "only one output can go to stdout"));
            }
            continue;
        }
        let dir = dir_of(out);
        if !dir.is_dir() {
            return Err(refuse(out, format!("the directory {} does not exist", dir.display())));
        }
        tempfile::Builder::new()
            .prefix(".pmivec-check-")
            .tempfile_in(dir)
            .map_err(|e| refuse(out, format!("cannot write in {}: {}", dir.display(), e.kind())))?;
        for f in t.files() {
            inputs.check_file(&f)?;
            if !names.insert(canonical_name(&f)) {
                return Err(refuse(&f, "given twice as an output of this run"));
            }
        }
    }
    Ok(())
}

/// A file being written in place of `path`: visible only after the batch
/// that holds it is committed.
pub(crate) struct Staged {
    path: PathBuf,
    tmp_path: PathBuf,
    file: Option<BufWriter<tempfile::NamedTempFile>>,
    sink: std::io::Sink,
}

impl Staged {
    /// Start writing `path` (a temporary file in the same directory, created
    /// with the mode a plain new file gets: 0666 less the umask).
    fn create(path: &Path) -> Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".pmivec-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir_of(path)).map_err(|e| {
            // tempfile appends its random path to the message; keep the cause only.
            let cause = e.to_string().split(" at path ").next().unwrap_or_default().to_owned();
            Error::io(path.to_path_buf(), std::io::Error::new(e.kind(), cause))
        })?;
        let tmp_path = tmp.path().to_path_buf();
        register(&tmp_path);
        Ok(Staged {
            path: path.to_path_buf(),
            tmp_path,
            file: Some(BufWriter::with_capacity(1 << 20, tmp)),
            sink: std::io::sink(),
        })
    }

    /// The writer (a committed file has none; every `Staged` reachable by a
    /// caller is uncommitted, so this always writes).
    pub fn writer(&mut self) -> &mut (dyn Write + Send) {
        match self.file.as_mut() {
            Some(f) => f,
            None => &mut self.sink,
        }
    }

    /// Flush (write errors such as a full disk surface here, naming `path`).
    fn flush(&mut self) -> Result<()> {
        self.writer().flush().map_err(|e| Error::io(self.path.clone(), e))
    }

    /// Refuse before any rename if `path` exists and cannot be replaced: in
    /// a sticky directory (such as /tmp) only the file's or the directory's
    /// owner may replace it.
    fn check_replaceable(&self) -> Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let (Ok(target), Ok(dir), Ok(mine)) = (
                std::fs::symlink_metadata(&self.path),
                std::fs::metadata(dir_of(&self.path)),
                std::fs::metadata(&self.tmp_path),
            ) else {
                return Ok(());
            };
            let me = mine.uid();
            if dir.mode() & 0o1000 != 0 && me != 0 && target.uid() != me && dir.uid() != me {
                return Err(refuse(
                    &self.path,
                    "owned by another user in a sticky directory: this run cannot replace it; remove it or choose another output",
                ));
            }
        }
        Ok(())
    }

    /// A hard link to the file now at `path`, to put back if a later rename
    /// of the batch fails (None: no file there, or it cannot be linked).
    fn backup(&self) -> Option<tempfile::TempPath> {
        std::fs::symlink_metadata(&self.path).ok()?;
        let b = tempfile::Builder::new()
            .prefix(".pmivec-old-")
            .make_in(dir_of(&self.path), |p| std::fs::hard_link(&self.path, p))
            .ok()?
            .into_temp_path();
        register(&b);
        Some(b)
    }

    /// Rename into place.
    fn commit(&mut self) -> Result<()> {
        let Some(file) = self.file.take() else { return Ok(()) };
        let tmp = file.into_inner().map_err(|e| Error::io(self.path.clone(), e.into_error()))?;
        tmp.persist(&self.path).map_err(|e| Error::io(self.path.clone(), e.error))?;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // The temporary file itself is removed by NamedTempFile's own drop
        // (or has become the output); only the registry entry remains.
        unregister(&self.tmp_path);
    }
}

/// The outputs of one run, staged together: every file is written and
/// flushed before any is renamed into place, so a failure (a full disk, a
/// later stage's error) leaves no new file beside an old one; a batch
/// dropped without [`Batch::commit`] removes its temporary files.
#[derive(Default)]
pub struct Batch {
    staged: Vec<Staged>,
    inputs: Inputs,
    names: HashSet<PathBuf>,
}

impl Batch {
    /// An empty batch for a run that reads no files.
    pub fn new() -> Self {
        Batch::default()
    }

    /// An empty batch for a run that reads `inputs`: no staged file may
    /// replace one of them.
    pub fn reading(inputs: Inputs) -> Self {
        Batch { inputs, ..Batch::default() }
    }

    /// Start a file at `path`, after the checks of [`check`].
    pub(crate) fn file(&mut self, path: &Path) -> Result<&mut Staged> {
        if path == Path::new("-") {
            return Err(refuse(path, "stdout is not a file; give a file name"));
        }
        self.inputs.check_file(path)?;
        if !self.names.insert(canonical_name(path)) {
            return Err(refuse(path, "given twice as an output of this run"));
        }
        self.staged.push(Staged::create(path)?);
        let n = self.staged.len();
        Ok(&mut self.staged[n - 1])
    }

    /// Stage `side` of `emb` at `path` in `format`, with `<path>.json` from
    /// `meta` and `<path>.ids` for npy.
    ///
    /// # Errors
    /// [`Error::Output`] for a path that must not be written,
    /// [`Error::InvalidConfig`] for labels or values the format cannot hold,
    /// [`Error::Io`] naming the output that could not be written.
    pub fn add(&mut self, emb: &Embeddings, side: Side, format: Format, path: &Path, meta: &Metadata) -> Result<()> {
        crate::io::check_writable(emb, side, format)?;
        let io_err = |p: &Path| {
            let p = p.to_path_buf();
            move |e: std::io::Error| Error::io(p.clone(), e)
        };
        let mut vectors = crate::source::Hashing::new(self.file(path)?.writer());
        match format {
            Format::Word2vec => crate::io::write_word2vec(emb, side, &mut vectors).map_err(io_err(path))?,
            Format::Npy => crate::io::write_npy_rows(emb, side, &mut vectors).map_err(io_err(path))?,
            Format::Parquet => crate::parquet::write_embeddings(emb, side, &mut vectors).map_err(io_err(path))?,
        }
        let mut meta = meta.clone();
        meta.vectors_sha256 = Some(vectors.digest());
        if format == Format::Npy {
            let ids_path = sibling(path, "ids");
            let ids = self.file(&ids_path)?;
            for l in emb.labels() {
                writeln!(ids.writer(), "{l}").map_err(io_err(&ids_path))?;
            }
        }
        let meta_path = sibling(path, "json");
        let m = self.file(&meta_path)?;
        serde_json::to_writer_pretty(m.writer(), &meta).map_err(|e| Error::io(meta_path.clone(), e.into()))?;
        writeln!(m.writer()).map_err(io_err(&meta_path))?;
        Ok(())
    }

    /// Stage `bytes` (a picture, a report) at `path`.
    ///
    /// # Errors
    /// [`Error::Output`] or [`Error::Io`] naming `path`.
    pub fn add_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.file(path)?.writer().write_all(bytes).map_err(|e| Error::io(path.to_path_buf(), e))
    }

    /// Flush every staged file, then rename each into place under a lock on
    /// its directory; if a rename fails, the files already renamed are put
    /// back (or removed where there was none).
    ///
    /// # Errors
    /// [`Error::Output`] for a target that cannot be replaced (checked
    /// before any rename), [`Error::Io`] naming the output whose flush or
    /// rename failed.
    pub fn commit(mut self) -> Result<()> {
        for s in &mut self.staged {
            s.flush()?;
        }
        let _locks = lock_dirs(self.staged.iter().map(|s| dir_of(&s.path)));
        for s in &self.staged {
            s.check_replaceable()?;
        }
        let backups: Vec<(bool, Option<tempfile::TempPath>)> =
            self.staged.iter().map(|s| (s.path.symlink_metadata().is_ok(), s.backup())).collect();
        for i in 0..self.staged.len() {
            if let Err(e) = self.staged[i].commit() {
                for (s, (existed, backup)) in self.staged[..i].iter().zip(&backups) {
                    match backup {
                        Some(b) => {
                            let _ = std::fs::rename(b, &s.path);
                        }
                        None if !existed => {
                            let _ = std::fs::remove_file(&s.path);
                        }
                        None => {}
                    }
                }
                return Err(e);
            }
        }
        for (_, b) in backups.into_iter() {
            if let Some(b) = b {
                unregister(&b);
                let _ = b.close();
            }
        }
        Ok(())
    }
}

/// Exclusive advisory locks on the distinct directories (in a fixed order,
/// so two runs cannot deadlock), released when dropped. A directory that
/// cannot be locked (a file system without locks) is committed unlocked.
fn lock_dirs<'a>(dirs: impl Iterator<Item = &'a Path>) -> Vec<std::fs::File> {
    let mut names: Vec<PathBuf> = dirs.map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf())).collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .filter_map(|d| {
            let f = std::fs::File::open(d).ok()?;
            f.lock().ok()?;
            Some(f)
        })
        .collect()
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

impl Embeddings {
    /// Write `side` to `path` in `format`, with `<path>.json` from the
    /// metadata (or a minimal one) and `<path>.ids` for npy; all files
    /// appear together or not at all (see [`save`]).
    ///
    /// # Errors
    /// [`crate::Error::Io`] naming the file that could not be written.
    pub fn save(&self, path: impl AsRef<Path>, side: Side, format: Format) -> Result<()> {
        let meta = self.metadata().cloned().unwrap_or_else(|| Metadata::new(self, side, format, &()));
        save(self, side, format, path.as_ref(), &meta)
    }
}
