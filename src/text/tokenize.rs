//! Tokenizer: Unicode word boundaries (UAX #29, via unicode-segmentation),
//! lowercased; tokens without a letter or digit are dropped.

use unicode_segmentation::UnicodeSegmentation;

/// Split `text` into lowercased words, calling `emit` for each.
///
/// ASCII words are lowercased in a reused buffer; others with full Unicode
/// case mapping.
pub fn tokenize(text: &str, buf: &mut String, mut emit: impl FnMut(&str)) {
    for word in text.unicode_words() {
        buf.clear();
        if word.is_ascii() {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        emit(buf);
    }
}

/// A common English stop-word list (function words: articles, pronouns,
/// auxiliaries, prepositions, conjunctions), lowercase.
pub const ENGLISH_STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "s",
    "t",
    "also",
    "may",
    "might",
    "must",
    "shall",
    "upon",
    "us",
    "said",
    "one",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_unicode_word_boundaries_and_lowercases() {
        let mut out = Vec::new();
        let mut buf = String::new();
        tokenize("Hello, Wörld! It's 3.5 km — ÉCOLE.", &mut buf, |w| out.push(w.to_owned()));
        assert_eq!(out, ["hello", "wörld", "it's", "3.5", "km", "école"]);
    }
}
