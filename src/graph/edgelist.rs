//! Edge-list reader: one edge per line, `source target [weight]`.
//!
//! Fields are separated by tabs, commas or runs of spaces (auto-detected from
//! the first edge line, or fixed by [`Delimiter`]). Blank lines and lines
//! starting with `#` or `%` are skipped. Node ids are arbitrary strings
//! (integers included) and are kept as written. Every malformed line is an
//! error naming the file and the line.

use super::Graph;
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::BufRead;
use std::path::Path;

/// How fields are separated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Delimiter {
    /// Tab if the first edge line has one, else comma if it has one, else whitespace.
    #[default]
    Auto,
    /// Runs of spaces or tabs.
    Whitespace,
    /// A single tab.
    Tab,
    /// A single comma (fields are trimmed).
    Comma,
}

/// How to read an edge list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EdgeListFormat {
    /// Field separator. Default: [`Delimiter::Auto`].
    pub delimiter: Delimiter,
    /// Read a third column as the edge weight (finite, >= 0). Default: false,
    /// and then a line with three fields is an error rather than a silently
    /// ignored weight.
    pub weighted: bool,
    /// Edges are arcs `source → target`. Default: false (undirected).
    pub directed: bool,
}

impl EdgeListFormat {
    /// Set the delimiter.
    pub fn delimiter(mut self, d: Delimiter) -> Self {
        self.delimiter = d;
        self
    }
    /// Read weights from the third column.
    pub fn weighted(mut self, yes: bool) -> Self {
        self.weighted = yes;
        self
    }
    /// Treat edges as directed arcs.
    pub fn directed(mut self, yes: bool) -> Self {
        self.directed = yes;
        self
    }
}

/// `s` as a number if writing that number back gives `s` exactly (no
/// sign, no leading zeros), so the label still round-trips.
#[inline]
fn canonical_integer(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 || (b.len() > 1 && b[0] == b'0') || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u64, |n, &d| n * 10 + (d - b'0') as u64))
}

/// A multiplicative hash for integer keys (Fibonacci hashing): the keys
/// are node ids, not attacker-chosen strings, and SipHash's cost dominated
/// reading.
#[derive(Default)]
struct IntHasher(u64);

impl std::hash::Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = (k ^ (k >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(super) fn read_path(path: &Path, format: &EdgeListFormat) -> Result<Graph> {
    if crate::parquet::is_parquet(path) {
        let r = crate::parquet::read_edges(path, format)?;
        return Graph::from_edges(r.labels, r.edges, format.weighted, format.directed);
    }
    read(crate::source::open(path)?, format, Some(path))
}

/// Node labels → dense ids in order of first appearance.
///
/// Labels that are canonical integers (most edge lists) are looked up as
/// numbers — no allocation, no string hashing or comparison: 3× faster on
/// a million-node list — in [`Interner::shards`] maps by a hash of the
/// number, so that a chunk's lookups run in parallel, one thread per shard
/// ([`Interner::intern_ints`]); any other label by its string.
pub(crate) struct Interner {
    /// Per shard: number → slot in the shard's `slots`.
    ints: Vec<HashMap<u64, u32, BuildHasherDefault<IntHasher>>>,
    /// Per shard: slot → id (a slot is taken before its id is known when a
    /// chunk is interned in parallel).
    slots: Vec<Vec<u32>>,
    strings: HashMap<String, u32>,
    labels: Vec<String>,
}

/// The shard of a number: a different mix from the maps' own hash, so that
/// one shard's keys still spread over its map.
#[inline]
fn shard_of(k: u64, shards: usize) -> usize {
    ((k.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32) as usize) % shards
}

impl Interner {
    /// An interner with `shards` maps for numbers (the result does not depend
    /// on it: ids follow first appearance; it only sets the parallelism).
    pub(crate) fn new(shards: usize) -> Self {
        let shards = shards.max(1);
        Interner {
            ints: (0..shards).map(|_| HashMap::default()).collect(),
            slots: vec![Vec::new(); shards],
            strings: HashMap::new(),
            labels: Vec::new(),
        }
    }

    pub(crate) fn id(&mut self, s: &str) -> u32 {
        let next = self.labels.len() as u32;
        let (id, new) = match canonical_integer(s) {
            Some(k) => {
                let sh = shard_of(k, self.ints.len());
                let slots = &mut self.slots[sh];
                let slot = *self.ints[sh].entry(k).or_insert_with(|| {
                    slots.push(next);
                    slots.len() as u32 - 1
                });
                let id = slots[slot as usize];
                (id, id == next)
            }
            None => match self.strings.get(s) {
                Some(&id) => (id, false),
                None => {
                    self.strings.insert(s.to_owned(), next);
                    (next, true)
                }
            },
        };
        if new {
            self.labels.push(s.to_owned());
        }
        id
    }

    /// The ids of `pieces`' numbers (canonical integers, in file order
    /// piece after piece), interned as [`Interner::id`] would one by one:
    /// each shard's thread looks up its own numbers in order and takes a
    /// slot for each new one; the new numbers then get their ids in order
    /// of first appearance.
    pub(crate) fn intern_ints(&mut self, pieces: &[&[u64]]) -> Vec<Vec<u32>> {
        let shards = self.ints.len();
        // Per shard: the slot of each of its numbers, where each piece's
        // start among them, and the new numbers (position, number, slot).
        type Looked = (Vec<u32>, Vec<usize>, Vec<(u64, u64, u32)>);
        let looked: Vec<Looked> = self
            .ints
            .par_iter_mut()
            .zip(self.slots.par_iter_mut())
            .enumerate()
            .map(|(sh, (map, slots))| {
                let (mut out, mut starts, mut fresh) = (Vec::new(), Vec::with_capacity(pieces.len()), Vec::new());
                let mut g = 0u64;
                for keys in pieces {
                    starts.push(out.len());
                    for &k in *keys {
                        if shard_of(k, shards) == sh {
                            let slot = *map.entry(k).or_insert_with(|| {
                                slots.push(u32::MAX);
                                fresh.push((g, k, slots.len() as u32 - 1));
                                slots.len() as u32 - 1
                            });
                            out.push(slot);
                        }
                        g += 1;
                    }
                }
                (out, starts, fresh)
            })
            .collect();
        let mut fresh: Vec<(u64, u64, u32, u32)> = looked
            .iter()
            .enumerate()
            .flat_map(|(sh, l)| l.2.iter().map(move |&(g, k, slot)| (g, k, sh as u32, slot)))
            .collect();
        fresh.par_sort_unstable_by_key(|f| f.0);
        let base = self.labels.len();
        for (r, &(_, _, sh, slot)) in fresh.iter().enumerate() {
            self.slots[sh as usize][slot as usize] = (base + r) as u32;
        }
        self.labels.par_extend(fresh.par_iter().map(|f| f.1.to_string()));
        let slots = &self.slots;
        pieces
            .par_iter()
            .enumerate()
            .map(|(p, keys)| {
                let mut cursor: Vec<usize> = looked.iter().map(|l| l.1[p]).collect();
                keys.iter()
                    .map(|&k| {
                        let sh = shard_of(k, shards);
                        let slot = looked[sh].0[cursor[sh]];
                        cursor[sh] += 1;
                        slots[sh][slot as usize]
                    })
                    .collect()
            })
            .collect()
    }
}

impl Interner {
    /// Distinct labels so far.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.labels.len()
    }

    /// The labels in order of first appearance.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub(crate) fn into_labels(self) -> Vec<String> {
        self.labels
    }
}

/// The fields of an edge line, as an iterator (the parallel path counts
/// them without a vector).
fn fields(line: &str, delim: Delimiter) -> impl Iterator<Item = &str> {
    use either::Either::{Left, Right};
    match delim {
        Delimiter::Tab => Left(Left(line.trim().split('\t').map(str::trim))),
        Delimiter::Comma => Left(Right(line.split(',').map(str::trim))),
        _ => Right(line.split_whitespace()),
    }
}

/// The fields of an edge line.
fn split_fields(line: &str, delim: Delimiter) -> Vec<&str> {
    fields(line, delim).collect()
}

/// A weight: finite, ≥ 0, and representable as a 32-bit float (weights are
/// stored as f32; a value that would round to 0 or ∞ there would silently
/// give an all-zero embedding).
fn parse_weight(field: &str) -> std::result::Result<f64, String> {
    let w: f64 = field.parse().map_err(|_| format!("weight `{field}` is not a number"))?;
    check_weight(w, field)
}

/// [`parse_weight`]'s rules for a weight already a number (`shown` as the
/// input wrote it).
pub(crate) fn check_weight(w: f64, shown: &str) -> std::result::Result<f64, String> {
    if !w.is_finite() || w < 0.0 {
        return Err(format!("weight `{shown}` must be finite and >= 0"));
    }
    if w != 0.0 && !(f32::MIN_POSITIVE as f64..=f32::MAX as f64).contains(&w) {
        return Err(format!(
            "weight `{shown}` is outside the range of 32-bit floats ({:e} to {:e}): rescale the weights",
            f32::MIN_POSITIVE,
            f32::MAX
        ));
    }
    Ok(w)
}

/// Whether a field reads as a number (header detection).
fn numeric(field: &str) -> bool {
    field.parse::<f64>().is_ok()
}

pub(super) fn read<R: BufRead>(reader: R, format: &EdgeListFormat, name: Option<&Path>) -> Result<Graph> {
    let r = read_records(reader, format, name)?;
    let mut graph = Graph::from_edges(r.labels, r.edges, format.weighted, format.directed)?;
    graph.stats.header = r.header;
    Ok(graph)
}

/// An edge list's records before the graph is built: what a cluster's
/// readers hand on (each reads its files; the owners merge).
#[derive(Clone, Debug, Default)]
pub struct EdgeRecords {
    /// Node labels in order of first appearance.
    pub labels: Vec<String>,
    /// (source, target, weight) over indices into `labels`, in file order.
    pub edges: Vec<(u32, u32, f64)>,
    /// A first line taken for a header, if any.
    pub header: Option<String>,
}

pub(super) fn read_records_path(path: &Path, format: &EdgeListFormat) -> Result<EdgeRecords> {
    if crate::parquet::is_parquet(path) {
        return crate::parquet::read_edges(path, format);
    }
    read_records(crate::source::open(path)?, format, Some(path))
}

/// Bytes of input parsed together: the lines of a chunk are split among the
/// threads (memory: the chunk and its numbers, whatever the file's size).
const CHUNK: usize = 64 << 20;

/// Below this many bytes a chunk's remainder is parsed on one thread.
const PARALLEL_FROM: usize = 1 << 20;

pub(super) fn read_records<R: BufRead>(reader: R, format: &EdgeListFormat, name: Option<&Path>) -> Result<EdgeRecords> {
    read_chunked(reader, format, name, CHUNK, PARALLEL_FROM)
}

/// [`read_records`] with chunks of `chunk` bytes, a chunk's remainder
/// parsed in parallel from `parallel_from` bytes (tests make both small).
fn read_chunked<R: BufRead>(
    reader: R,
    format: &EdgeListFormat,
    name: Option<&Path>,
    chunk: usize,
    parallel_from: usize,
) -> Result<EdgeRecords> {
    // A gzip edge list is read as it is (the magic bytes tell).
    let mut reader = crate::source::decompressed(reader, name)?;
    let mut state = Records::new(format, name);
    state.parallel_from = parallel_from;
    let size = chunk;
    let (mut chunk, mut carry) = (Vec::new(), Vec::new());
    loop {
        let eof = next_chunk(&mut reader, &mut chunk, &mut carry, size, state.lineno, name)?;
        state.chunk(&chunk)?;
        if eof {
            break;
        }
    }
    state.finish()
}

/// Fill `chunk` with the next whole lines of `reader`, about `size`
/// bytes (more for a longer line), starting with `carry` — the start of a
/// line the previous chunk cut — and leaving in `carry` the start of the
/// line this one cuts. Returns whether the input is exhausted (then the
/// chunk ends with the input's last line, with or without its `\n`).
/// `lineno` is the lines before the chunk, to name a line longer than
/// [`crate::source::MAX_LINE`].
fn next_chunk(
    reader: &mut dyn BufRead,
    chunk: &mut Vec<u8>,
    carry: &mut Vec<u8>,
    size: usize,
    lineno: u64,
    name: Option<&Path>,
) -> Result<bool> {
    chunk.clear();
    chunk.append(carry);
    let mut target = size;
    let mut eof = false;
    loop {
        while chunk.len() < target {
            let buf = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(name.map(Path::to_path_buf), e)),
            };
            if buf.is_empty() {
                eof = true;
                break;
            }
            let take = buf.len().min(target - chunk.len());
            chunk.extend_from_slice(&buf[..take]);
            reader.consume(take);
        }
        // Only a line that filled a whole chunk can be too long.
        let first = memchr::memchr(b'\n', chunk).map_or(chunk.len(), |i| i + 1);
        if target > size && first > crate::source::MAX_LINE {
            return Err(Error::Parse {
                path: name.map(Path::to_path_buf),
                line: lineno + 1,
                message: format!(
                    "line longer than {} MiB: not a line-oriented text file",
                    crate::source::MAX_LINE >> 20
                ),
            });
        }
        if eof {
            return Ok(true);
        }
        match memchr::memrchr(b'\n', chunk) {
            Some(i) => {
                carry.extend_from_slice(&chunk[i + 1..]);
                chunk.truncate(i + 1);
                return Ok(false);
            }
            None => target = chunk.len() + size,
        }
    }
}

/// The first line of `bytes` (without its `\n`) and what follows it.
fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'\n', bytes) {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[]),
    }
}

/// An edge list being read: the rules of every line, one line at a time
/// ([`Records::line`]) or — once the header is decided and every label so
/// far is a number — a chunk's lines split among the threads
/// ([`Records::parallel`]), which hands any line it does not take (an error,
/// a label that is not a number) back to [`Records::line`]. Both give the
/// same records, errors and line numbers.
struct Records<'a> {
    format: &'a EdgeListFormat,
    path: Option<&'a Path>,
    want: usize,
    delim: Delimiter,
    ids: Interner,
    edges: Vec<(u32, u32, f64)>,
    /// Lines read so far.
    lineno: u64,
    /// Edge lines so far (the first two decide the header).
    records: u64,
    // The first edge line is held back until the second decides whether it
    // is a header (ids that are not numbers above lines whose ids are).
    first: Option<(u64, Vec<String>, String)>,
    header: Option<String>,
    /// See [`PARALLEL_FROM`].
    parallel_from: usize,
}

impl<'a> Records<'a> {
    fn new(format: &'a EdgeListFormat, path: Option<&'a Path>) -> Self {
        Records {
            format,
            path,
            want: if format.weighted { 3 } else { 2 },
            delim: format.delimiter,
            ids: Interner::new(rayon::current_num_threads()),
            edges: Vec::new(),
            lineno: 0,
            records: 0,
            first: None,
            header: None,
            parallel_from: PARALLEL_FROM,
        }
    }

    fn err(&self, line: u64, message: String) -> Error {
        Error::Parse { path: self.path.map(Path::to_path_buf), line, message }
    }

    /// The lines of `chunk` (whole lines, see [`next_chunk`]).
    fn chunk(&mut self, mut rest: &[u8]) -> Result<()> {
        while !rest.is_empty() {
            if rest.len() >= self.parallel_from
                && self.first.is_none()
                && self.records >= 2
                && self.ids.strings.is_empty()
            {
                rest = &rest[self.parallel(rest)..];
                if rest.is_empty() {
                    break;
                }
            }
            let (line, next) = split_line(rest);
            self.line(line)?;
            rest = next;
        }
        Ok(())
    }

    /// One line, without its `\n`.
    fn line(&mut self, raw: &[u8]) -> Result<()> {
        self.lineno += 1;
        let lineno = self.lineno;
        let line = std::str::from_utf8(raw).map_err(|_| self.err(lineno, "line is not valid UTF-8".into()))?;
        let line = line.trim_end_matches(['\n', '\r']);
        // A UTF-8 byte-order mark is not part of the first node id.
        let line = if lineno == 1 { line.trim_start_matches('\u{feff}') } else { line };
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%') {
            return Ok(());
        }
        if self.delim == Delimiter::Auto {
            self.delim = if line.contains('\t') {
                Delimiter::Tab
            } else if line.contains(',') {
                Delimiter::Comma
            } else {
                Delimiter::Whitespace
            };
        }
        let fields = split_fields(line, self.delim);
        self.records += 1;
        if self.records == 1 {
            self.first = Some((lineno, fields.iter().map(|f| f.to_string()).collect(), line.to_owned()));
            return Ok(());
        }
        if let Some((n, f, raw)) = self.first.take() {
            let looks_like_header = f.len() >= 2 && !(numeric(&f[0]) && numeric(&f[1]));
            if looks_like_header && fields.len() >= 2 && numeric(fields[0]) && numeric(fields[1]) {
                // As written (`source,target`), not re-joined.
                self.header = Some(raw);
                // A pandas export's header has an empty index column first.
                if f.len() == self.want + 1 && f[0].is_empty() {
                    return Err(self.err(
                        n,
                        format!(
                            "this looks like a pandas export with an index column (header `{}`): write it with \
                         index=False, or drop the first column",
                            f.join(",")
                        ),
                    ));
                }
            } else {
                let f: Vec<&str> = f.iter().map(String::as_str).collect();
                self.push(&f, n)?;
            }
        }
        self.push(&fields, lineno)
    }

    fn push(&mut self, fields: &[&str], line: u64) -> Result<()> {
        let e = edge(fields, self.want, self.format.weighted, &mut self.ids).map_err(|m| self.err(line, m))?;
        self.edges.push(e);
        Ok(())
    }

    /// As many whole lines of `bytes` as the threads take, parsed in pieces
    /// side by side and interned in order: lines whose ids are both
    /// canonical integers, comments and blank lines. Returns the bytes
    /// taken; the line after them (if any) is one for [`Records::line`].
    fn parallel(&mut self, bytes: &[u8]) -> usize {
        let (delim, want, weighted) = (self.delim, self.want, self.format.weighted);
        let pieces = split_pieces(bytes, 4 * self.ids.ints.len());
        let mut parsed: Vec<Piece> = pieces.par_iter().map(|p| Piece::parse(p, delim, want, weighted)).collect();
        // Up to the first piece that stopped at a line it does not take.
        if let Some(k) = parsed.iter().position(|p| p.used < p.len) {
            parsed.truncate(k + 1);
        }
        let keys: Vec<&[u64]> = parsed.iter().map(|p| p.keys.as_slice()).collect();
        let ids = self.ids.intern_ints(&keys);
        for (p, ids) in parsed.iter().zip(&ids) {
            let weight = |e: usize| if weighted { p.weights[e] } else { 1.0 };
            self.edges.extend(ids.chunks_exact(2).enumerate().map(|(e, ab)| (ab[0], ab[1], weight(e))));
            self.lineno += p.lines;
        }
        parsed.iter().map(|p| p.used).sum()
    }

    fn finish(mut self) -> Result<EdgeRecords> {
        if let Some((n, f, _)) = self.first.take() {
            let f: Vec<&str> = f.iter().map(String::as_str).collect();
            self.push(&f, n)?;
        }
        if self.edges.is_empty() {
            return Err(Error::Empty {
                path: self.path.map(Path::to_path_buf),
                what: "no edges found (empty file or only comments)".into(),
            });
        }
        if self.ids.labels.len() > u32::MAX as usize {
            return Err(self.err(self.lineno, "more than 2^32 - 1 distinct nodes".into()));
        }
        Ok(EdgeRecords { labels: self.ids.labels, edges: self.edges, header: self.header })
    }
}

/// `bytes` (whole lines) cut into about `count` pieces of whole lines.
fn split_pieces(bytes: &[u8], count: usize) -> Vec<&[u8]> {
    let size = bytes.len().div_ceil(count.max(1)).max(1);
    let mut pieces = Vec::with_capacity(count);
    let mut rest = bytes;
    while !rest.is_empty() {
        let cut = if rest.len() <= size {
            rest.len()
        } else {
            memchr::memchr(b'\n', &rest[size..]).map_or(rest.len(), |i| size + i + 1)
        };
        let (piece, next) = rest.split_at(cut);
        pieces.push(piece);
        rest = next;
    }
    pieces
}

/// A piece's edges as numbers, up to the first line the parallel path does
/// not take.
struct Piece {
    /// Source and target of each edge.
    keys: Vec<u64>,
    /// Each edge's weight (weighted lists only).
    weights: Vec<f64>,
    /// Lines taken (edges, comments, blank lines).
    lines: u64,
    /// Bytes taken, and the piece's length: `used < len` when a line was
    /// left for [`Records::line`].
    used: usize,
    len: usize,
}

impl Piece {
    fn parse(bytes: &[u8], delim: Delimiter, want: usize, weighted: bool) -> Piece {
        let mut p = Piece { keys: Vec::new(), weights: Vec::new(), lines: 0, used: 0, len: bytes.len() };
        let mut rest = bytes;
        while !rest.is_empty() {
            let (raw, next) = split_line(rest);
            if !Self::take(raw, delim, want, weighted, &mut p) {
                break;
            }
            p.lines += 1;
            p.used = bytes.len() - next.len();
            rest = next;
        }
        p
    }

    /// Take one line as [`Records::line`] would, or `false` to leave it:
    /// canonical integer ids imply non-empty ids without whitespace, so
    /// every line taken passes the one-line rules.
    fn take(raw: &[u8], delim: Delimiter, want: usize, weighted: bool, p: &mut Piece) -> bool {
        let Ok(line) = std::str::from_utf8(raw) else { return false };
        let line = line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%') {
            return true;
        }
        let mut f = [""; 3];
        let mut count = 0;
        for field in fields(line, delim) {
            if count == want {
                return false;
            }
            f[count] = field;
            count += 1;
        }
        if count != want {
            return false;
        }
        let (Some(a), Some(b)) = (canonical_integer(f[0]), canonical_integer(f[1])) else { return false };
        if weighted {
            let Ok(w) = parse_weight(f[2]) else { return false };
            p.weights.push(w);
        }
        p.keys.extend([a, b]);
        true
    }
}

/// Records from edges given as labels in memory (the Python package's
/// arrays, networkx and scipy graphs): `nodes` first, in their order (a
/// graph's isolated nodes keep their rows), then each edge's ends in order
/// of first appearance. Nothing is parsed: `#a` is a node, not a comment,
/// and a first edge of non-numbers is an edge, not a header. The id and
/// weight rules are the edge list's.
pub(super) fn records_from_labels(
    nodes: &[String],
    src: &[String],
    dst: &[String],
    weights: Option<&[f64]>,
) -> Result<EdgeRecords> {
    let bad = |reason: String| Error::invalid("edges", reason);
    if src.len() != dst.len() || weights.is_some_and(|w| w.len() != src.len()) {
        let w = weights.map_or(String::new(), |w| format!(", {} weights", w.len()));
        return Err(bad(format!("{} sources, {} targets{w}: give one of each per edge", src.len(), dst.len())));
    }
    let check = |id: &str, what: &str| match label_problem(id) {
        Some(p) => Err(bad(format!("{what}: {p}"))),
        None => Ok(()),
    };
    let mut ids = Interner::new(1);
    for (i, n) in nodes.iter().enumerate() {
        check(n, &format!("node {i}"))?;
        ids.id(n);
    }
    let mut edges = Vec::with_capacity(src.len());
    for (i, (a, b)) in src.iter().zip(dst).enumerate() {
        check(a, &format!("edge {i}"))?;
        check(b, &format!("edge {i}"))?;
        let w = match weights {
            Some(w) => parse_weight(&w[i].to_string()).map_err(|m| bad(format!("edge {i}: {m}")))?,
            None => 1.0,
        };
        edges.push((ids.id(a), ids.id(b), w));
    }
    if edges.is_empty() && ids.labels.is_empty() {
        return Err(Error::Empty { path: None, what: "no edges given".into() });
    }
    if ids.labels.len() > u32::MAX as usize {
        return Err(bad("more than 2^32 - 1 distinct nodes".into()));
    }
    Ok(EdgeRecords { labels: ids.labels, edges, header: None })
}

/// What makes `id` unusable as a node id given as a value (not parsed from
/// a line): empty, or whitespace, which word2vec output could not read back.
pub(crate) fn label_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("a node id is empty".into())
    } else if id.chars().any(char::is_whitespace) {
        Some(format!("node id {id:?} contains whitespace, which word2vec output could not read back"))
    } else {
        None
    }
}

/// One edge from its fields, or what is wrong with them.
fn edge(
    fields: &[&str],
    want: usize,
    weighted: bool,
    ids: &mut Interner,
) -> std::result::Result<(u32, u32, f64), String> {
    if fields.len() != want {
        let hint = match fields.len() {
            3 if !weighted => " (a third column is only read when `weighted`)",
            n if n == want + 1 => " (an index column, as pandas' to_csv writes? write it with index=False)",
            _ => "",
        };
        return Err(format!("expected {want} fields, found {}{hint}", fields.len()));
    }
    if let Some(k) = fields.iter().position(|f| f.is_empty()) {
        return Err(format!("field {} is empty", k + 1));
    }
    if let Some(f) = fields[..2].iter().find(|f| f.chars().any(char::is_whitespace)) {
        return Err(format!("node id `{f}` contains whitespace, which word2vec output could not read back"));
    }
    let w = if weighted { parse_weight(fields[2])? } else { 1.0 };
    Ok((ids.id(fields[0]), ids.id(fields[1]), w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, format: &EdgeListFormat) -> Result<Graph> {
        read(text.as_bytes(), format, Some(Path::new("g.txt")))
    }

    #[test]
    fn every_delimiter_reads_the_same_graph() {
        for text in
            ["a\tb\nb\tc\n", "a,b\nb , c\n", "a  b\n  b c\n", "# c\n% c\n\na b\r\nb c\r\n", "\u{feff}a b\nb c\n"]
        {
            let g = parse(text, &EdgeListFormat::default()).unwrap();
            assert_eq!(g.labels(), &["a", "b", "c"], "{text:?}");
            assert_eq!(g.neighbors(1), &[0, 2]);
        }
    }

    #[test]
    fn weights_are_read_and_validated_with_line_numbers() {
        let f = EdgeListFormat::default().weighted(true);
        let g = parse("x y 2.5\ny z 1\n", &f).unwrap();
        assert_eq!(g.degrees(), &[2.5, 3.5, 1.0]);
        let e = parse("x y 1\n\ny z abc\n", &f).unwrap_err().to_string();
        assert_eq!(e, "g.txt:3: weight `abc` is not a number");
        let e = parse("x y -1\n", &f).unwrap_err().to_string();
        assert!(e.starts_with("g.txt:1: weight `-1` must be finite"), "{e}");
        assert!(parse("x y inf\n", &f).is_err());
    }

    #[test]
    fn wrong_field_counts_and_empty_files_are_errors() {
        let e = parse("a b\nc\n", &EdgeListFormat::default()).unwrap_err().to_string();
        assert_eq!(e, "g.txt:2: expected 2 fields, found 1");
        let e = parse("a b 3\n", &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.contains("expected 2 fields, found 3") && e.contains("`weighted`"), "{e}");
        let e = parse("# only a comment\n", &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.starts_with("g.txt: no edges"), "{e}");
        let e = parse("a,,b\n", &EdgeListFormat::default().delimiter(Delimiter::Comma)).unwrap_err().to_string();
        assert!(e.contains("g.txt:1"), "{e}");
    }

    #[test]
    fn integer_and_other_labels_keep_their_text_and_first_appearance_order() {
        let g = parse("10 2\n007 10\n7 x\n2 0\n", &EdgeListFormat::default()).unwrap();
        assert_eq!(g.labels(), &["10", "2", "007", "7", "x", "0"]);
        assert!(g.has_edge(0, 2) && g.has_edge(3, 4) && g.has_edge(1, 5));
        assert_eq!(canonical_integer("18446744073709551615"), None, "20 digits take the string path");
        assert_eq!(canonical_integer("0"), Some(0));
        assert_eq!(canonical_integer("+1"), None);
    }

    #[test]
    fn a_header_line_is_skipped_and_reported_and_pandas_exports_get_a_hint() {
        let g = parse("source,target\n1,2\n2,3\n", &EdgeListFormat::default()).unwrap();
        assert_eq!(g.labels(), &["1", "2", "3"]);
        assert_eq!(g.stats().header.as_deref(), Some("source,target"));
        // Non-numeric ids throughout: no header, every line an edge.
        let g = parse("a b\nb c\n", &EdgeListFormat::default()).unwrap();
        assert_eq!((g.node_count(), g.stats().header.clone()), (3, None));
        let e = parse(",source,target\n0,1,2\n", &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.starts_with("g.txt:1: this looks like a pandas export"), "{e}");
        let e = parse("0,1,2\n1,2,3\n", &EdgeListFormat::default().weighted(false)).unwrap_err().to_string();
        assert!(e.contains("`weighted`"), "{e}");
    }

    #[test]
    fn ids_with_spaces_and_weights_beyond_f32_are_refused_with_their_line() {
        let e = parse("a b\tc\n", &EdgeListFormat::default().delimiter(Delimiter::Tab)).unwrap_err().to_string();
        assert!(e.starts_with("g.txt:1: node id `a b` contains whitespace"), "{e}");
        let w = EdgeListFormat::default().weighted(true);
        for bad in ["1e39", "1e-45"] {
            let e = parse(&format!("x y 1\ny z {bad}\n"), &w).unwrap_err().to_string();
            assert!(e.starts_with("g.txt:2: weight") && e.contains("32-bit"), "{e}");
        }
    }

    /// Records (or the error) of `bytes` read with `threads` threads, in
    /// chunks of `chunk` bytes, in parallel from `from` bytes.
    fn read_with(bytes: &[u8], format: &EdgeListFormat, threads: usize, chunk: usize, from: usize) -> String {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| match read_chunked(bytes, format, Some(Path::new("g.txt")), chunk, from) {
            Ok(r) => format!("{:?} {:?} {:?}", r.labels, r.edges, r.header),
            Err(e) => e.to_string(),
        })
    }

    #[test]
    fn the_parallel_reader_gives_the_one_line_at_a_time_records_errors_and_line_numbers() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        // Lines of every kind: integer ids (with the ones that are not
        // canonical), labels, comments, blank lines, CRLF, weights good and
        // bad, wrong field counts, a header, bytes that are not UTF-8.
        let ids = ["0", "1", "2", "3", "17", "4096", "18446744073709551615", "007", "-3", "x", "a b", ""];
        let weights = ["1", "2.5", "0", "abc", "-1", "1e39", ""];
        let line = (0..ids.len(), 0..ids.len(), 0..weights.len(), 0..3usize, 0..12usize);
        let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
        runner
            .run(
                &(prop::collection::vec(line, 1..60), any::<bool>(), 0..4usize, 1..40usize, 0..3usize),
                |(lines, weighted, sep, chunk, from)| {
                    let sep = ["\t", ",", " ", "  "][sep];
                    let mut text = Vec::new();
                    for (k, (a, b, w, kind, special)) in lines.iter().enumerate() {
                        // Most lines are canonical integer edges.
                        let (a, b) = if special < &6 { (ids[a % 6], ids[b % 6]) } else { (ids[*a], ids[*b]) };
                        let l = match (special, kind) {
                            (0, _) if k == 0 => "source,target".to_string(),
                            (1, _) => "# a comment".into(),
                            (2, 0) => "   ".into(),
                            (2, 1) => "% x".into(),
                            (3, 0) => format!("{a}{sep}{b}{sep}{}{sep}9", weights[*w]),
                            (3, 1) => a.to_string(),
                            _ if weighted => format!("{a}{sep}{b}{sep}{}", weights[w % 3]),
                            _ => format!("{a}{sep}{b}"),
                        };
                        text.extend_from_slice(l.as_bytes());
                        if *special == 11 && *kind == 2 {
                            text.extend_from_slice(b"\xff");
                        }
                        text.extend_from_slice(if *kind == 1 { b"\r\n" } else { b"\n" });
                    }
                    let format = EdgeListFormat::default().weighted(weighted);
                    let one = read_with(&text, &format, 1, CHUNK, PARALLEL_FROM);
                    let many = read_with(&text, &format, 4, chunk, from);
                    prop_assert_eq!(&one, &many, "{}", String::from_utf8_lossy(&text));
                    Ok(())
                },
            )
            .unwrap();
    }

    #[test]
    fn a_line_longer_than_the_limit_is_named_whatever_the_chunk() {
        let mut text = b"1 2\n2 3\n".to_vec();
        text.resize(text.len() + crate::source::MAX_LINE + 10, b'7');
        text.extend_from_slice(b" 1\n");
        let e = read_with(&text, &EdgeListFormat::default(), 2, 1 << 20, 0);
        assert!(e.starts_with("g.txt:3: line longer than 256 MiB"), "{e}");
    }

    #[test]
    fn a_node_with_only_a_self_loop_is_kept() {
        let g = parse("a b\nc c\n", &EdgeListFormat::default()).unwrap();
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.neighbors(2), &[2]);
    }
}
