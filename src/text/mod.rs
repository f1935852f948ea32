//! Text input: lines of text → tokens → a frequency-ranked vocabulary →
//! sentences of token ids (a corpus the co-occurrence counter reads).
//!
//! Input is plain text or gzip (detected by its magic bytes), one sentence or
//! document per line. A line that is not valid UTF-8 is read as Latin-1, so
//! older corpora (e.g. the Lee corpus) load without conversion.

mod tokenize;

pub use tokenize::{ENGLISH_STOPWORDS, tokenize};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

/// How text becomes token ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TextConfig {
    /// Words seen fewer times are dropped (before windows are taken). Default 5.
    pub min_count: u64,
    /// Keep at most this many most frequent words (0 = no limit). Default 0.
    pub max_vocab: usize,
    /// Words removed before counting (lowercase). Default: none.
    pub stopwords: Vec<String>,
    /// Tokens with fewer characters are removed. Default 1.
    pub min_length: usize,
    /// Reduce words to their English Snowball (Porter 2) stems. Default false.
    pub stem: bool,
    /// Remove tokens that contain a digit. Default false.
    pub drop_numeric: bool,
}

impl Default for TextConfig {
    fn default() -> Self {
        TextConfig {
            min_count: 5,
            max_vocab: 0,
            stopwords: Vec::new(),
            min_length: 1,
            stem: false,
            drop_numeric: false,
        }
    }
}

impl TextConfig {
    /// Set [`TextConfig::min_count`].
    pub fn min_count(mut self, n: u64) -> Self {
        self.min_count = n;
        self
    }
    /// Set [`TextConfig::max_vocab`].
    pub fn max_vocab(mut self, n: usize) -> Self {
        self.max_vocab = n;
        self
    }
    /// Set [`TextConfig::min_length`].
    pub fn min_length(mut self, n: usize) -> Self {
        self.min_length = n;
        self
    }
    /// Set [`TextConfig::drop_numeric`].
    pub fn drop_numeric(mut self, yes: bool) -> Self {
        self.drop_numeric = yes;
        self
    }
    /// Set [`TextConfig::stem`].
    pub fn stem(mut self, yes: bool) -> Self {
        self.stem = yes;
        self
    }
    /// Use the built-in English stop-word list ([`ENGLISH_STOPWORDS`]), in addition to any set.
    pub fn english_stopwords(mut self) -> Self {
        self.stopwords.extend(ENGLISH_STOPWORDS.iter().map(|s| s.to_string()));
        self
    }
    /// Add stop words, one per line (blank lines and `#` comments skipped).
    pub fn stopwords_from_file(mut self, path: &Path) -> Result<Self> {
        let text = crate::source::read_to_string(path)?;
        self.stopwords.extend(
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_lowercase),
        );
        Ok(self)
    }
}

/// Tokenizes text the way a [`TextConfig`] says: Unicode words, lowercased,
/// stop words and short tokens removed (before stemming), optionally stemmed.
/// The corpus reader, LSA fold-in and document features all use it, so new
/// text is always cut like the text a model was fitted on.
pub struct Normalizer {
    stopwords: HashSet<String>,
    min_length: usize,
    drop_numeric: bool,
    stemmer: Option<rust_stemmers::Stemmer>,
    buf: String,
}

impl Normalizer {
    /// A normalizer for `config`.
    pub fn new(config: &TextConfig) -> Self {
        Normalizer {
            stopwords: config.stopwords.iter().cloned().collect(),
            min_length: config.min_length,
            drop_numeric: config.drop_numeric,
            stemmer: config.stem.then(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)),
            buf: String::new(),
        }
    }

    /// Call `emit` with each kept token of `text`.
    pub fn tokens(&mut self, text: &str, mut emit: impl FnMut(&str)) {
        let (stop, min_length, stemmer, numeric) = (&self.stopwords, self.min_length, &self.stemmer, self.drop_numeric);
        tokenize(text, &mut self.buf, |w| {
            if stop.contains(w)
                || (min_length > 1 && w.chars().count() < min_length)
                || (numeric && w.chars().any(|c| c.is_numeric()))
            {
                return;
            }
            match stemmer {
                Some(st) => emit(&st.stem(w)),
                None => emit(w),
            }
        });
    }
}

/// Most frequent first, ties by word.
fn by_rank(a: &(String, u64), b: &(String, u64)) -> std::cmp::Ordering {
    b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
}

/// Words with their counts, most frequent first (ties by word), so that id
/// order is rank order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vocab {
    words: Vec<String>,
    counts: Vec<u64>,
    index: HashMap<String, u32>,
}

impl Vocab {
    /// Build from (word, count) pairs; sorts by count descending, then word.
    pub fn from_counts(mut pairs: Vec<(String, u64)>) -> Self {
        pairs.sort_unstable_by(by_rank);
        let index = pairs.iter().enumerate().map(|(i, (w, _))| (w.clone(), i as u32)).collect();
        let (words, counts) = pairs.into_iter().unzip();
        Vocab { words, counts, index }
    }
    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
    /// The id of `word`.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }
    /// Words by id.
    pub fn words(&self) -> &[String] {
        &self.words
    }
    /// Corpus counts by id.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
}

/// Token ids of a corpus, sentence by sentence, over a [`Vocab`].
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// All sentences' token ids, concatenated.
    pub tokens: Vec<u32>,
    /// Sentence i is `tokens[offsets[i]..offsets[i + 1]]`.
    pub offsets: Vec<usize>,
    /// The vocabulary the ids index.
    pub vocab: Vocab,
}

impl Corpus {
    /// Number of sentences.
    pub fn sentence_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    /// Sentence `i`.
    pub fn sentence(&self, i: usize) -> &[u32] {
        &self.tokens[self.offsets[i]..self.offsets[i + 1]]
    }

    /// word2vec's subsampling of frequent words: each occurrence of a word
    /// with corpus frequency f > t is dropped with probability 1 − √(t/f),
    /// decided by a hash of (seed, position) so the result is reproducible.
    /// Dropped words leave no gap, so the remaining words' windows widen,
    /// as in word2vec (Levy et al.'s "dirty" subsampling). `t = 0` keeps all.
    pub fn subsample(&self, t: f64, seed: u64) -> Corpus {
        if t <= 0.0 {
            return self.clone();
        }
        let total: u64 = self.vocab.counts().iter().sum();
        let keep: Vec<f64> =
            self.vocab.counts().iter().map(|&c| (t / (c as f64 / total as f64)).sqrt().min(1.0)).collect();
        let mut tokens = Vec::with_capacity(self.tokens.len());
        let mut offsets = Vec::with_capacity(self.offsets.len());
        offsets.push(0);
        for i in 0..self.sentence_count() {
            for p in self.offsets[i]..self.offsets[i + 1] {
                let w = self.tokens[p];
                let u = crate::seed::unit(seed, crate::seed::Stream::Subsample, p as u64);
                if u < keep[w as usize] {
                    tokens.push(w);
                }
            }
            offsets.push(tokens.len());
        }
        Corpus { tokens, offsets, vocab: self.vocab.clone() }
    }

    /// Tokenize every line of `path` (plain or gzip).
    ///
    /// # Errors
    /// [`Error::Io`] on a read failure, [`Error::Empty`] if no word survives.
    pub fn from_path(path: &Path, config: &TextConfig) -> Result<Self> {
        let lines = read_lines(path)?;
        Self::from_lines(lines.iter().map(String::as_str), config).map_err(|e| e.with_path(path))
    }

    /// Tokenize lines of text (one sentence each).
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a str>, config: &TextConfig) -> Result<Self> {
        let mut normalizer = Normalizer::new(config);
        // First pass: provisional ids in order of appearance.
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut raw: Vec<u32> = Vec::new();
        let mut offsets = vec![0usize];
        for line in lines {
            normalizer.tokens(line, |w| {
                let id = match ids.get(w) {
                    Some(&id) => id,
                    None => {
                        let id = counts.len() as u32;
                        ids.insert(w.to_owned(), id);
                        counts.push(0);
                        id
                    }
                };
                counts[id as usize] += 1;
                raw.push(id);
            });
            offsets.push(raw.len());
        }
        // Final vocabulary: min_count, max_vocab, rank order.
        let mut old_words = vec![String::new(); counts.len()];
        for (w, id) in ids {
            old_words[id as usize] = w;
        }
        let mut pairs: Vec<(String, u64)> = old_words
            .iter()
            .zip(&counts)
            .filter(|(_, c)| **c >= config.min_count)
            .map(|(w, &c)| (w.clone(), c))
            .collect();
        if config.max_vocab > 0 {
            pairs.sort_unstable_by(by_rank);
            pairs.truncate(config.max_vocab);
        }
        let vocab = Vocab::from_counts(pairs);
        if vocab.is_empty() {
            let what = if raw.is_empty() {
                "no words at all (the input is empty, or every token is a stop word or too short)".to_owned()
            } else {
                format!("no word occurs at least {} times (lower `min_count`)", config.min_count)
            };
            return Err(Error::Empty { path: None, what });
        }
        // Second pass: remap, dropping words outside the vocabulary (which,
        // as in word2vec, brings the remaining words closer together).
        let old_to_new: Vec<u32> = old_words.iter().map(|w| vocab.id(w).unwrap_or(u32::MAX)).collect();
        let mut tokens = Vec::with_capacity(raw.len());
        let mut new_offsets = Vec::with_capacity(offsets.len());
        new_offsets.push(0);
        for s in offsets.windows(2) {
            tokens.extend(raw[s[0]..s[1]].iter().map(|&id| old_to_new[id as usize]).filter(|&n| n != u32::MAX));
            new_offsets.push(tokens.len());
        }
        Ok(Corpus { tokens, offsets: new_offsets, vocab })
    }
}

/// Read all lines of a plain or gzip file; lines that are not UTF-8 are decoded as Latin-1.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn read_lines(path: &Path) -> Result<Vec<String>> {
    read_lines_from(crate::source::open(path)?, Some(path))
}

/// A hint when `lines` look like a table rather than running text: every
/// non-empty line (of the first 1,000) has the same number (2–20) of
/// tab-separated fields. Read whole, its first field (a reference, an id)
/// becomes tokens of every sentence.
pub fn column_hint(lines: &[String]) -> Option<String> {
    let sample: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).take(1000).collect();
    let fields = sample.first()?.split('\t').count();
    if !(2..=20).contains(&fields) || sample.iter().any(|l| l.split('\t').count() != fields) {
        return None;
    }
    let first = sample[0].split('\t').next().unwrap_or_default();
    Some(format!(
        "every line has {fields} tab-separated fields, and all of them are read as text (the first, e.g. `{first}`, \
         included); read one field as the text (1-based column) if the others are not"
    ))
}

/// Column `column` (1-based) of every line of a delimited corpus file
/// (plain or gzip): the text of `ref<TAB>text` lines without the reference.
///
/// # Errors
/// [`Error::Parse`] naming the line that lacks the column.
pub fn column(path: &Path, column: usize, separator: char) -> Result<Vec<String>> {
    read_lines(path)?
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            line.split(separator).nth(column.wrapping_sub(1)).map(str::to_owned).ok_or_else(|| Error::Parse {
                path: Some(path.to_path_buf()),
                line: i as u64 + 1,
                message: format!("no column {column} (found {} fields)", line.split(separator).count()),
            })
        })
        .collect()
}

/// [`read_lines`] from any reader (gzip detected by its magic bytes); `name`
/// is used in error messages.
///
/// # Errors
/// [`Error::Io`] for a read or decompression failure.
pub fn read_lines_from(reader: impl BufRead, name: Option<&Path>) -> Result<Vec<String>> {
    let mut inner = crate::source::decompressed(reader, name)?;
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = crate::source::read_line(&mut inner, &mut buf, name, lines.len() as u64 + 1)?;
        if n == 0 {
            break;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        lines.push(match String::from_utf8(std::mem::take(&mut buf)) {
            Ok(s) => s,
            Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_text_gets_a_column_hint_and_running_text_none() {
        let table: Vec<String> = ["Ge1:1\tIn the beginning", "Ge1:2\tAnd the earth"].map(String::from).to_vec();
        let hint = column_hint(&table).unwrap();
        assert!(hint.contains("2 tab-separated fields") && hint.contains("`Ge1:1`"), "{hint}");
        let text: Vec<String> = ["a cat sat", "on\tthe mat", "and slept"].map(String::from).to_vec();
        assert_eq!(column_hint(&text), None);
    }

    #[test]
    fn vocabulary_is_rank_ordered_and_rare_and_stop_words_are_removed() {
        let lines = ["the cat sat", "the cat ran", "a dog ran", "the end"];
        let cfg = TextConfig::default().min_count(2);
        let c = Corpus::from_lines(lines, &cfg).unwrap();
        assert_eq!(c.vocab.words(), &["the", "cat", "ran"]);
        assert_eq!(c.sentence_count(), 4);
        assert_eq!(c.sentence(0), &[0, 1]);
        assert_eq!(c.sentence(2), &[2]);
        let c = Corpus::from_lines(lines, &TextConfig::default().min_count(1).english_stopwords()).unwrap();
        assert!(c.vocab.id("the").is_none() && c.vocab.id("cat").is_some());
        let c = Corpus::from_lines(lines, &TextConfig::default().min_count(1).max_vocab(2)).unwrap();
        assert_eq!(c.vocab.words(), &["the", "cat"]);
        assert!(Corpus::from_lines(lines, &TextConfig::default().min_count(9)).is_err());
    }

    #[test]
    fn subsampling_thins_frequent_words_reproducibly() {
        let mut lines = vec!["the the the the the the the the rare"; 100];
        lines.push("other");
        let c = Corpus::from_lines(lines.iter().copied(), &TextConfig::default().min_count(1)).unwrap();
        let s = c.subsample(0.2, 7);
        let count = |c: &Corpus, w: &str| c.tokens.iter().filter(|&&t| t == c.vocab.id(w).unwrap()).count();
        assert_eq!(count(&s, "rare"), 100);
        let the = count(&s, "the");
        // "rare" (f = 100/901 < t) is kept; "the" with probability √(0.2 / (800/901)) ≈ 0.47.
        assert!((330..430).contains(&the), "{the}");
        assert_eq!(s.tokens, c.subsample(0.2, 7).tokens);
        assert_eq!(s.sentence_count(), c.sentence_count());
    }
}
