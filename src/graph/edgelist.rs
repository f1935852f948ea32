//! Edge-list reader: one edge per line, `source target [weight]`.
//!
//! Fields are separated by tabs, commas or runs of spaces (auto-detected from
//! the first edge line, or fixed by [`Delimiter`]). Blank lines and lines
//! starting with `#` or `%` are skipped. Node ids are arbitrary strings
//! (integers included) and are kept as written. Every malformed line is an
//! error naming the file and the line.

use super::Graph;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// How fields are separated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
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
    read(crate::source::open(path)?, format, Some(path))
}

/// Node labels → dense ids in order of first appearance.
#[derive(Default)]
struct Interner {
    // Labels that are canonical integers (most edge lists) are looked up as
    // numbers — no allocation, no string hashing or comparison: 3× faster
    // on a million-node list; any other label by its string.
    ints: HashMap<u64, u32, BuildHasherDefault<IntHasher>>,
    strings: HashMap<String, u32>,
    labels: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        let next = self.labels.len() as u32;
        let (id, new) = match canonical_integer(s) {
            Some(k) => {
                let id = *self.ints.entry(k).or_insert(next);
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
}

/// The fields of an edge line.
fn split_fields(line: &str, delim: Delimiter) -> Vec<&str> {
    match delim {
        Delimiter::Tab => line.trim().split('\t').map(str::trim).collect(),
        Delimiter::Comma => line.split(',').map(str::trim).collect(),
        _ => line.split_whitespace().collect(),
    }
}

/// A weight: finite, ≥ 0, and representable as a 32-bit float (weights are
/// stored as f32; a value that would round to 0 or ∞ there would silently
/// give an all-zero embedding).
fn parse_weight(field: &str) -> std::result::Result<f64, String> {
    let w: f64 = field.parse().map_err(|_| format!("weight `{field}` is not a number"))?;
    if !w.is_finite() || w < 0.0 {
        return Err(format!("weight `{field}` must be finite and >= 0"));
    }
    if w != 0.0 && !(f32::MIN_POSITIVE as f64..=f32::MAX as f64).contains(&w) {
        return Err(format!(
            "weight `{field}` is outside the range of 32-bit floats ({:e} to {:e}): rescale the weights",
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
    read_records(crate::source::open(path)?, format, Some(path))
}

pub(super) fn read_records<R: BufRead>(reader: R, format: &EdgeListFormat, name: Option<&Path>) -> Result<EdgeRecords> {
    // A gzip edge list is read as it is (the magic bytes tell).
    let mut reader = crate::source::decompressed(reader, name)?;
    let path: Option<PathBuf> = name.map(Path::to_path_buf);
    let parse_err = |line: u64, message: String| Error::Parse { path: path.clone(), line, message };
    let mut ids = Interner::default();
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    let mut delim = format.delimiter;
    let want = if format.weighted { 3 } else { 2 };
    let mut buf = Vec::new();
    let mut lineno = 0u64;
    // The first edge line is held back until the second decides whether it
    // is a header (ids that are not numbers above lines whose ids are).
    let mut first: Option<(u64, Vec<String>, String)> = None;
    let mut records = 0u64;
    let mut header = None;
    loop {
        buf.clear();
        let read = crate::source::read_line(&mut reader, &mut buf, name, lineno + 1)?;
        if read == 0 {
            break;
        }
        lineno += 1;
        let line = std::str::from_utf8(&buf).map_err(|_| parse_err(lineno, "line is not valid UTF-8".into()))?;
        let line = line.trim_end_matches(['\n', '\r']);
        // A UTF-8 byte-order mark is not part of the first node id.
        let line = if lineno == 1 { line.trim_start_matches('\u{feff}') } else { line };
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%') {
            continue;
        }
        if delim == Delimiter::Auto {
            delim = if line.contains('\t') {
                Delimiter::Tab
            } else if line.contains(',') {
                Delimiter::Comma
            } else {
                Delimiter::Whitespace
            };
        }
        let fields = split_fields(line, delim);
        records += 1;
        if records == 1 {
            first = Some((lineno, fields.iter().map(|f| f.to_string()).collect(), line.to_owned()));
            continue;
        }
        if let Some((n, f, raw)) = first.take() {
            let looks_like_header = f.len() >= 2 && !(numeric(&f[0]) && numeric(&f[1]));
            if looks_like_header && fields.len() >= 2 && numeric(fields[0]) && numeric(fields[1]) {
                // As written (`source,target`), not re-joined.
                header = Some(raw);
                // A pandas export's header has an empty index column first.
                if f.len() == want + 1 && f[0].is_empty() {
                    return Err(parse_err(
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
                edges.push(edge(&f, want, format.weighted, &mut ids).map_err(|m| parse_err(n, m))?);
            }
        }
        edges.push(edge(&fields, want, format.weighted, &mut ids).map_err(|m| parse_err(lineno, m))?);
    }
    if let Some((n, f, _)) = first.take() {
        let f: Vec<&str> = f.iter().map(String::as_str).collect();
        edges.push(edge(&f, want, format.weighted, &mut ids).map_err(|m| parse_err(n, m))?);
    }
    if edges.is_empty() {
        return Err(Error::Empty { path, what: "no edges found (empty file or only comments)".into() });
    }
    if ids.labels.len() > u32::MAX as usize {
        return Err(parse_err(lineno, "more than 2^32 - 1 distinct nodes".into()));
    }
    Ok(EdgeRecords { labels: ids.labels, edges, header })
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
    let check = |id: &str, what: &str| {
        if id.is_empty() {
            Err(bad(format!("{what} has an empty id")))
        } else if id.chars().any(char::is_whitespace) {
            Err(bad(format!("{what}: node id {id:?} contains whitespace, which word2vec output could not read back")))
        } else {
            Ok(())
        }
    };
    let mut ids = Interner::default();
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

    #[test]
    fn a_node_with_only_a_self_loop_is_kept() {
        let g = parse("a b\nc c\n", &EdgeListFormat::default()).unwrap();
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.neighbors(2), &[2]);
    }
}
