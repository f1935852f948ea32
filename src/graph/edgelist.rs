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
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    read(std::io::BufReader::with_capacity(1 << 20, file), format, Some(path))
}

pub(super) fn read<R: BufRead>(mut reader: R, format: &EdgeListFormat, name: Option<&Path>) -> Result<Graph> {
    let path: Option<PathBuf> = name.map(Path::to_path_buf);
    let parse_err = |line: u64, message: String| Error::Parse { path: path.clone(), line, message };
    // Labels that are canonical integers (most edge lists) are looked up as
    // numbers — no allocation, no string hashing or comparison: 3× faster
    // on a million-node list; any other label by its string.
    let mut int_ids: HashMap<u64, u32, BuildHasherDefault<IntHasher>> = HashMap::default();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut labels: Vec<String> = Vec::new();
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    let mut delim = format.delimiter;
    let mut buf = Vec::new();
    let mut lineno = 0u64;
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf).map_err(|e| Error::io(path.clone(), e))?;
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
        let mut fields: Vec<&str> = Vec::with_capacity(4);
        match delim {
            Delimiter::Tab => fields.extend(line.trim().split('\t').map(str::trim)),
            Delimiter::Comma => fields.extend(line.split(',').map(str::trim)),
            _ => fields.extend(line.split_whitespace()),
        }
        let want = if format.weighted { 3 } else { 2 };
        if fields.len() != want {
            let hint = if fields.len() == 3 && !format.weighted {
                " (a third column is only read with --weighted / EdgeListFormat::weighted)"
            } else {
                ""
            };
            return Err(parse_err(lineno, format!("expected {want} fields, found {}{hint}", fields.len())));
        }
        if let Some(k) = fields.iter().position(|f| f.is_empty()) {
            return Err(parse_err(lineno, format!("field {} is empty", k + 1)));
        }
        let mut intern = |s: &str| -> u32 {
            let next = labels.len() as u32;
            let (id, new) = match canonical_integer(s) {
                Some(k) => {
                    let id = *int_ids.entry(k).or_insert(next);
                    (id, id == next)
                }
                None => match ids.get(s) {
                    Some(&id) => (id, false),
                    None => {
                        ids.insert(s.to_owned(), next);
                        (next, true)
                    }
                },
            };
            if new {
                labels.push(s.to_owned());
            }
            id
        };
        let u = intern(fields[0]);
        let v = intern(fields[1]);
        let w = if format.weighted {
            let w: f64 =
                fields[2].parse().map_err(|_| parse_err(lineno, format!("weight `{}` is not a number", fields[2])))?;
            if !w.is_finite() || w < 0.0 {
                return Err(parse_err(lineno, format!("weight `{}` must be finite and >= 0", fields[2])));
            }
            w
        } else {
            1.0
        };
        edges.push((u, v, w));
    }
    if edges.is_empty() {
        return Err(Error::Empty { path, what: "no edges found (empty file or only comments)".into() });
    }
    if labels.len() > u32::MAX as usize {
        return Err(parse_err(lineno, "more than 2^32 - 1 distinct nodes".into()));
    }
    Graph::from_edges(labels, edges, format.weighted, format.directed)
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
        assert!(e.contains("expected 2 fields, found 3") && e.contains("--weighted"), "{e}");
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
    fn a_node_with_only_a_self_loop_is_kept() {
        let g = parse("a b\nc c\n", &EdgeListFormat::default()).unwrap();
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.neighbors(2), &[2]);
    }
}
