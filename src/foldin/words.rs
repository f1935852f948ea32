//! New words, from their windows over known words in new text.

use super::{projection_scale, read_f32s, read_settings, read_u64, stage_model, unweighted_right, write_f32s};
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// What placing new words needs, saved by `words --save-model`: the same
/// projection as for nodes, u = m·V·Σ^(p−1), where m is a new word's PPMI
/// row against the known words as contexts, counted in new text with the
/// model's window, weighting and tokenization.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WordModel {
    /// The vocabulary (rows of V).
    pub words: Vec<String>,
    /// Rank k.
    pub dim: usize,
    /// Window (each side).
    pub window: usize,
    /// Distance weighting.
    pub weighting: crate::cooccur::Weighting,
    /// Exponent p of U·Σ^p.
    pub eig_weight: f64,
    /// Singular values.
    pub singular_values: Vec<f64>,
    /// log(Z/b) of the model's PMI.
    pub log_shift: f64,
    /// The tokenization (lowercasing, stop words, stems) new text goes through.
    pub text: crate::text::TextConfig,
    /// α·log #(c) of each known word as a context (+∞: never a context).
    #[serde(skip)]
    pub log_context: Vec<f64>,
    /// V (words × k), row-major.
    #[serde(skip)]
    pub v: Vec<f32>,
}

impl WordModel {
    /// The model of `emb` (weighed by Σ^`eig_weight`), fitted with
    /// `window` and `weighting` on text read with `text`.
    pub(crate) fn new(
        emb: &Embeddings,
        (window, weighting, eig_weight): (usize, crate::cooccur::Weighting, f64),
        text: crate::text::TextConfig,
        marginals: crate::pmi::Marginals,
    ) -> WordModel {
        WordModel {
            words: emb.labels().to_vec(),
            dim: emb.dim(),
            window,
            weighting,
            eig_weight,
            singular_values: emb.singular_values().to_vec(),
            log_shift: marginals.log_shift,
            text,
            log_context: marginals.log_context,
            v: unweighted_right(emb, eig_weight),
        }
    }

    /// Write the model (see [`crate::foldin::Model::save`]).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut batch = crate::output::Batch::new();
        self.stage(&mut batch, path)?;
        batch.commit()
    }

    /// Stage the model at `path` in `batch`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn stage(&self, batch: &mut crate::output::Batch, path: &Path) -> Result<()> {
        stage_model(batch, path, crate::io::WORD_MODEL_MAGIC, self, |w| {
            w.write_all(&(self.log_context.len() as u64).to_le_bytes())?;
            for x in &self.log_context {
                w.write_all(&x.to_le_bytes())?;
            }
            write_f32s(w, &self.v)
        })
    }

    pub(super) fn load_from(bytes: &[u8], bad: impl Fn(&str) -> Error) -> Result<WordModel> {
        let (mut model, mut r): (WordModel, &[u8]) = read_settings(bytes, &bad)?;
        let n = read_u64(&mut r).ok_or_else(|| bad("truncated"))? as usize;
        let raw = r.get(..n.checked_mul(8).ok_or_else(|| bad("corrupt"))?).ok_or_else(|| bad("truncated"))?;
        model.log_context = raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
        r = &r[n * 8..];
        model.v = read_f32s(&mut r).ok_or_else(|| bad("truncated"))?;
        let words = model.words.len();
        let sizes = Some(model.v.len()) == words.checked_mul(model.dim)
            && model.log_context.len() == words
            && model.singular_values.len() == model.dim;
        if !sizes {
            return Err(bad("inconsistent sizes"));
        }
        let ranges = crate::params::WINDOWS.contains(&model.window)
            && (0.0..=1.0).contains(&model.eig_weight)
            && model.log_shift.is_finite()
            && model.singular_values.iter().all(|&s| s.is_finite() && s >= 0.0)
            // A context never seen has log count +∞ (its PMI is −∞, dropped).
            && model.log_context.iter().all(|&c| !c.is_nan() && c != f64::NEG_INFINITY)
            && model.v.iter().all(|x| x.is_finite());
        if !ranges {
            return Err(bad("corrupt settings"));
        }
        Ok(model)
    }

    /// Embed the words of `lines` that are not in the model and occur at
    /// least `min_count` times there, from their windows (within a line) over
    /// the known words. Words the model dropped as rare are dropped here too
    /// when they occur fewer than `min_count` times. Returns the new words'
    /// vectors, most frequent first.
    ///
    /// # Errors
    /// [`Error::Empty`] when no new word occurs `min_count` times next to a
    /// known one.
    pub fn fold_in(&self, lines: &[String], min_count: u64) -> Result<Embeddings> {
        let (sentences, new_words) = self.tokenize(lines);
        let rows = self.count_windows(sentences, &new_words, min_count);
        let mut order: Vec<u32> = rows.iter().filter(|(_, r)| !r.1.is_empty()).map(|(&w, _)| w).collect();
        if order.is_empty() {
            return Err(Error::Empty {
                path: None,
                what: format!("no new word occurs at least {min_count} times within a window of a known word"),
            });
        }
        // Most frequent first, ties by the word.
        order.sort_by(|&a, &b| {
            let (a, b) = (&new_words[a as usize], &new_words[b as usize]);
            b.1.cmp(&a.1).then(a.0.cmp(&b.0))
        });
        let k = self.dim;
        let scale = projection_scale(&self.singular_values, self.eig_weight);
        let mut data = Vec::with_capacity(order.len() * k);
        for &w in &order {
            let (total, counts) = &rows[&w];
            // Contexts in id order: the sum does not depend on hashing.
            let mut counts: Vec<(u32, f64)> = counts.iter().map(|(&c, &n)| (c, n)).collect();
            counts.sort_unstable_by_key(|e| e.0);
            let mut u = vec![0f32; k];
            let log_row = total.ln();
            for (c, n) in counts {
                let m = crate::pmi::formula(n.ln(), log_row, self.log_shift, self.log_context[c as usize]);
                if m > 0.0 {
                    let vc = &self.v[c as usize * k..(c as usize + 1) * k];
                    for ((o, v), s) in u.iter_mut().zip(vc).zip(&scale) {
                        *o += m as f32 * v * s;
                    }
                }
            }
            data.extend(u);
        }
        let labels = order.iter().map(|&w| new_words[w as usize].0.clone()).collect();
        Ok(Embeddings::from_matrix(labels, k, data))
    }

    /// The lines as sentences of known and new words (in the model's
    /// tokenization), and each new word with its count.
    fn tokenize(&self, lines: &[String]) -> (Vec<Vec<Tok>>, Vec<(String, u64)>) {
        let known: HashMap<&str, u32> = self.words.iter().enumerate().map(|(i, w)| (w.as_str(), i as u32)).collect();
        let mut normalizer = crate::text::Normalizer::new(&self.text);
        let mut new_ids: HashMap<String, u32> = HashMap::new();
        let mut new_words: Vec<(String, u64)> = Vec::new();
        let mut sentences = Vec::with_capacity(lines.len());
        for line in lines {
            let mut sentence = Vec::new();
            normalizer.tokens(line, |w| {
                sentence.push(match known.get(w) {
                    Some(&k) => Tok::Known(k),
                    None => {
                        let id = *new_ids.entry(w.to_owned()).or_insert_with(|| {
                            new_words.push((w.to_owned(), 0));
                            new_words.len() as u32 - 1
                        });
                        new_words[id as usize].1 += 1;
                        Tok::New(id)
                    }
                });
            });
            sentences.push(sentence);
        }
        (sentences, new_words)
    }

    /// Each kept new word's window weight in all (#w) and per known context
    /// (#wc). Rare new words go before windows are taken, as the model's rare
    /// words did.
    fn count_windows(
        &self,
        sentences: Vec<Vec<Tok>>,
        new_words: &[(String, u64)],
        min_count: u64,
    ) -> HashMap<u32, Row> {
        let kept = |t: &Tok| match *t {
            Tok::Known(_) => true,
            Tok::New(i) => new_words[i as usize].1 >= min_count,
        };
        let mut rows: HashMap<u32, Row> = HashMap::new();
        for mut sentence in sentences {
            sentence.retain(kept);
            for (i, t) in sentence.iter().enumerate() {
                let Tok::New(w) = *t else { continue };
                let row = rows.entry(w).or_default();
                let lo = i.saturating_sub(self.window);
                let hi = (i + self.window).min(sentence.len() - 1);
                for (j, c) in sentence.iter().enumerate().take(hi + 1).skip(lo) {
                    if j == i {
                        continue;
                    }
                    let weight = self.weighting.weight(i.abs_diff(j), self.window) as f64;
                    row.0 += weight;
                    if let Tok::Known(c) = *c {
                        *row.1.entry(c).or_default() += weight;
                    }
                }
            }
        }
        rows
    }
}

/// A token of new text: a word of the model, or a new one (its index).
#[derive(Clone, Copy)]
enum Tok {
    Known(u32),
    New(u32),
}

/// A new word's window weight in all, and per known context.
type Row = (f64, HashMap<u32, f64>);

#[cfg(test)]
mod tests {
    use crate::embeddings::Side;
    use crate::foldin::{Model, Saved};
    use crate::progress::NoProgress;

    /// A corpus without any word next to itself, so a renamed copy of a word
    /// sees exactly that word's contexts.
    fn corpus_lines() -> Vec<String> {
        let base = [
            "the cat sat on the mat",
            "a dog sat on a rug",
            "the cat chased a mouse",
            "a dog chased the cat",
            "stocks fell on the market",
            "the market rose and stocks rose",
            "bonds and stocks fell",
            "a mouse ran from the cat",
        ];
        (0..6).flat_map(|_| base.iter().map(|s| s.to_string())).collect()
    }

    #[test]
    fn a_fold_in_row_is_the_formula_by_hand() {
        // Known words apple, berry, cherry (V = I, Σ = I: u is the PMI row);
        // log(Z/b) = log 10, log masses log 2, log 2, +∞ (cherry never a
        // context). "xylo" (new) sees apple twice, berry and cherry once:
        // M = log(#wc·Z/(b·#w·#c^α)) = log(2·10/(4·2)), log(1·10/(4·2)), −∞.
        let model = super::WordModel {
            words: ["apple", "berry", "cherry"].map(String::from).to_vec(),
            dim: 3,
            window: 1,
            weighting: crate::cooccur::Weighting::Uniform,
            eig_weight: 0.5,
            singular_values: vec![1.0; 3],
            log_shift: 10f64.ln(),
            text: crate::text::TextConfig::default(),
            log_context: vec![2f64.ln(), 2f64.ln(), f64::INFINITY],
            v: vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        };
        let lines = ["apple xylo berry", "cherry xylo apple"].map(String::from);
        let folded = model.fold_in(&lines, 2).unwrap();
        assert_eq!(folded.labels(), &["xylo"]);
        let u = folded.vector("xylo", Side::Left).unwrap();
        let want = [2.5f64.ln(), 1.25f64.ln(), 0.0];
        assert!(u.iter().zip(want).all(|(a, b)| (*a as f64 - b).abs() < 1e-6), "{u:?}");
    }

    #[test]
    fn a_renamed_word_folds_in_onto_the_original() {
        use crate::text::{Corpus, TextConfig};
        use crate::words::{WordConfig, embed_words_with_model};
        let lines = corpus_lines();
        let text = TextConfig::default().min_count(2);
        let corpus = Corpus::from_lines(lines.iter().map(String::as_str), &text).unwrap();
        for cds in [1.0, 0.75] {
            let cfg = WordConfig::default().dim(5).subsample(0.0).cds(cds);
            let (emb, _, model) = embed_words_with_model(&corpus, &cfg, &text, &NoProgress).unwrap();
            // "kitty" stands where "cat" stood: the same contexts, counted the same way.
            let renamed: Vec<String> = lines.iter().map(|l| l.replace("cat", "kitty")).collect();
            let dir = tempfile::tempdir().unwrap();
            model.save(&dir.path().join("w.model")).unwrap();
            assert!(Saved::is_word_model(&dir.path().join("w.model")).unwrap());
            std::fs::write(dir.path().join("short"), b"PMIV").unwrap();
            assert!(Saved::is_word_model(&dir.path().join("short")).unwrap_err().to_string().contains("not a pmivec"));
            let Saved::Words(loaded) = Saved::load(&dir.path().join("w.model")).unwrap() else {
                panic!("a word model")
            };
            let new = loaded.fold_in(&renamed, 2).unwrap();
            assert_eq!(new.labels(), &["kitty"]);
            let (a, b) = (new.vector("kitty", Side::Left).unwrap(), emb.vector("cat", Side::Left).unwrap());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()), "cds {cds}: {a:?} vs {b:?}");
            }
            assert!(model.fold_in(&lines, 2).is_err(), "nothing new");
            assert!(Model::load(&dir.path().join("w.model")).unwrap_err().to_string().contains("word model"));
        }
    }
}
