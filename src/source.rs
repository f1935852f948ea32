//! 0. Input files: opened once, hashed as they are read, lines bounded.
//!
//! Every reader of the library opens its file here, so the rules hold for
//! every entry point: a device that never ends (`/dev/zero`) is refused, a
//! line longer than [`MAX_LINE`] is an error rather than an allocation that
//! grows until the process is killed, and the SHA-256 a sidecar records is
//! of the bytes that were read — a FIFO or a pipe is read once, never
//! re-opened to be hashed.

use crate::error::{Error, Result};

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The longest line any reader accepts (256 MiB): far above any real
/// edge list, corpus or vector file (text8's one line is 100 MB), and far
/// below what would exhaust memory.
pub const MAX_LINE: usize = 256 << 20;

/// SHA-256 of every input read to its end, by path.
static DIGESTS: std::sync::Mutex<Option<HashMap<PathBuf, String>>> = std::sync::Mutex::new(None);

/// An input file that hashes what passes through it.
pub struct Source {
    file: std::fs::File,
    path: PathBuf,
    hash: Option<Sha256>,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if n > 0 {
            if let Some(h) = self.hash.as_mut() {
                h.update(&buf[..n]);
            }
        } else if let Some(h) = self.hash.take()
            && let Ok(mut d) = DIGESTS.lock()
        {
            d.get_or_insert_with(HashMap::new).insert(self.path.clone(), hex(&h.finalize()));
        }
        Ok(n)
    }
}

/// A writer that hashes what passes through it: an output's digest,
/// recorded in its sidecar so a reader can tell the sidecar is of it.
pub(crate) struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: std::io::Write> Hashing<W> {
    pub(crate) fn new(inner: W) -> Self {
        Hashing { inner, hash: Sha256::new() }
    }
    /// The SHA-256 (hex) of everything written.
    pub(crate) fn digest(self) -> String {
        hex(&self.hash.finalize())
    }
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Open `path` for reading, buffered, refusing devices that never end.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn open(path: &Path) -> Result<BufReader<Source>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    #[cfg(unix)]
    {
        use std::io::IsTerminal;
        use std::os::unix::fs::FileTypeExt;
        let t = file.metadata().map_err(|e| Error::io(path.to_path_buf(), e))?.file_type();
        if t.is_dir() {
            return Err(Error::io(path.to_path_buf(), std::io::Error::other("is a directory, not a file")));
        }
        if (t.is_char_device() || t.is_block_device()) && !file.is_terminal() {
            return Err(Error::io(
                path.to_path_buf(),
                std::io::Error::other("not a regular file (a device); give a file or a pipe"),
            ));
        }
    }
    Ok(BufReader::with_capacity(1 << 20, Source { file, path: path.to_path_buf(), hash: Some(Sha256::new()) }))
}

/// `reader`, gunzipped when it starts with gzip's magic bytes (every text
/// input may be compressed: edge lists, corpora, documents). The test
/// peeks into the buffer, so a pipe is not consumed by it.
///
/// # Errors
/// [`Error::Io`] naming `name` if the first bytes cannot be read.
pub fn decompressed<'a>(mut reader: impl BufRead + 'a, name: Option<&Path>) -> Result<Box<dyn BufRead + 'a>> {
    let gz = reader.fill_buf().map_err(|e| Error::io(name.map(Path::to_path_buf), e))?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(std::io::BufReader::with_capacity(1 << 20, flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    })
}

/// The whole of `path` as text (a small input: labels, stop words, pairs),
/// without a leading byte-order mark (what spreadsheet exports start with:
/// it is not part of the first record).
///
/// # Errors
/// [`Error::Io`] naming the file (also for text that is not UTF-8).
pub fn read_to_string(path: &Path) -> Result<String> {
    let mut s = String::new();
    open(path)?.read_to_string(&mut s).map_err(|e| Error::io(path.to_path_buf(), e))?;
    if s.starts_with('\u{feff}') {
        s.drain(..'\u{feff}'.len_utf8());
    }
    Ok(s)
}

/// The whole of `path` as bytes.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    open(path)?.read_to_end(&mut v).map_err(|e| Error::io(path.to_path_buf(), e))?;
    Ok(v)
}

/// SHA-256 (hex) of `path` as it was read: the digest of the bytes a reader
/// of this module consumed to the end, else — for a regular file not read
/// here — of the file now; None for a stream that was not read to its end.
///
/// # Errors
/// [`Error::Io`] if a regular file cannot be read.
pub fn sha256(path: &Path) -> Result<Option<String>> {
    if let Some(d) = DIGESTS.lock().ok().and_then(|d| d.as_ref().and_then(|m| m.get(path).cloned())) {
        return Ok(Some(d));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            let mut f = open(path)?;
            std::io::copy(&mut f, &mut std::io::sink()).map_err(|e| Error::io(path.to_path_buf(), e))?;
            Ok(DIGESTS.lock().ok().and_then(|d| d.as_ref().and_then(|m| m.get(path).cloned())))
        }
        _ => Ok(None),
    }
}

/// Read one line (through `\n`) into `buf`, as `BufRead::read_until`, but
/// refuse a line longer than [`MAX_LINE`]. `line` (1-based) names it.
///
/// # Errors
/// [`Error::Io`] for a read failure, [`Error::Parse`] for an endless line.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, path: Option<&Path>, line: u64) -> Result<usize> {
    let start = buf.len();
    loop {
        let (done, used) = {
            let available = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(path.map(Path::to_path_buf), e)),
            };
            match available.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    buf.extend_from_slice(&available[..=i]);
                    (true, i + 1)
                }
                None => {
                    buf.extend_from_slice(available);
                    (available.is_empty(), available.len())
                }
            }
        };
        reader.consume(used);
        if buf.len() - start > MAX_LINE {
            return Err(Error::Parse {
                path: path.map(Path::to_path_buf),
                line,
                message: format!("line longer than {} MiB: not a line-oriented text file", MAX_LINE >> 20),
            });
        }
        if done {
            return Ok(buf.len() - start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_of_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "x y\n").unwrap();
        let mut s = String::new();
        open(&p).unwrap().read_to_string(&mut s).unwrap();
        std::fs::write(&p, "changed since\n").unwrap();
        let want = hex(&Sha256::digest(b"x y\n"));
        assert_eq!(sha256(&p).unwrap(), Some(want));
    }

    #[test]
    fn endless_devices_and_lines_are_refused() {
        let e = open(Path::new("/dev/zero")).err().expect("refused");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // An endless line from a reader that is not a device: bounded.
        let mut r = BufReader::new(std::io::repeat(b'a'));
        let e = read_line(&mut r, &mut Vec::new(), Some(Path::new("p")), 3).unwrap_err();
        assert!(e.to_string().starts_with("p:3: line longer than"), "{e}");
        let mut r = BufReader::new(&b"ab\ncd"[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, None, 1).unwrap(), 3);
        assert_eq!(read_line(&mut r, &mut buf, None, 2).unwrap(), 2);
        assert_eq!(read_line(&mut r, &mut buf, None, 3).unwrap(), 0);
        assert_eq!(buf, b"ab\ncd");
    }
}
