//! Text counting: the sentence-bounded windows of a corpus, through an
//! inverted index that gives each word's positions, so one thread counts
//! all of a word's contexts.

use super::{Cooccurrence, RowBlock, concat};
use crate::progress::Progress;
use rayon::prelude::*;

/// How a context at distance d within the window is weighted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    /// Every context in the window counts 1.
    #[default]
    Uniform,
    /// (T − d + 1)/T: the expected weight of word2vec's dynamic window,
    /// without its randomness.
    Dynamic,
    /// 1/d, as GloVe weighs.
    Harmonic,
}

impl Weighting {
    pub(crate) fn weight(self, d: usize, window: usize) -> f32 {
        match self {
            Weighting::Uniform => 1.0,
            Weighting::Dynamic => (window - d + 1) as f32 / window as f32,
            Weighting::Harmonic => 1.0 / d as f32,
        }
    }
}

/// Count the sentence-bounded windows of a text corpus (both directions).
///
/// The same row-owned scheme as for graphs: an inverted index lists each
/// word's positions, and one thread counts all contexts of a word into a
/// dense accumulator, so no pair table is shared and the result does not
/// depend on the thread count. Pairs whose weighted count is below
/// `min_count` are dropped after the marginals are taken.
pub fn count_corpus(
    corpus: &crate::text::Corpus,
    window: usize,
    weighting: Weighting,
    min_count: f32,
    progress: &dyn Progress,
) -> Cooccurrence {
    const SEP: u32 = u32::MAX;
    let n = corpus.vocab.len();
    // Sentences joined with separators, so a window never crosses one.
    let mut seq = Vec::with_capacity(corpus.tokens.len() + corpus.sentence_count() + 1);
    seq.push(SEP);
    for i in 0..corpus.sentence_count() {
        seq.extend_from_slice(corpus.sentence(i));
        seq.push(SEP);
    }
    // Inverted index by counting sort.
    let mut starts = vec![0usize; n + 1];
    for &t in &seq {
        if t != SEP {
            starts[t as usize + 1] += 1;
        }
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut cursor = starts.clone();
    let mut positions = vec![0u32; starts[n]];
    for (p, &t) in seq.iter().enumerate() {
        if t != SEP {
            positions[cursor[t as usize]] = p as u32;
            cursor[t as usize] += 1;
        }
    }
    drop(cursor);
    let weights: Vec<f32> = (1..=window).map(|d| weighting.weight(d, window)).collect();
    progress.start("count", starts[n] as u64);
    let rows: Vec<(Vec<u32>, Vec<f32>)> = (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0f32; n], Vec::<u32>::new()),
            |(acc, touched), w| {
                if progress.cancelled() {
                    // Stopping: the result is thrown away.
                    return (Vec::new(), Vec::new());
                }
                let occ = &positions[starts[w]..starts[w + 1]];
                let mut add = |c: u32, x: f32| {
                    let slot = &mut acc[c as usize];
                    if *slot == 0.0 {
                        touched.push(c);
                    }
                    *slot += x;
                };
                for &p in occ {
                    let p = p as usize;
                    for (d, &x) in weights.iter().enumerate() {
                        let t = seq[p - d - 1];
                        if t == SEP {
                            break;
                        }
                        add(t, x);
                    }
                    for (d, &x) in weights.iter().enumerate() {
                        let t = seq[p + d + 1];
                        if t == SEP {
                            break;
                        }
                        add(t, x);
                    }
                }
                progress.inc(occ.len() as u64);
                touched.sort_unstable();
                let cols = std::mem::take(touched);
                let vals = cols.iter().map(|&c| std::mem::take(&mut acc[c as usize])).collect();
                *touched = Vec::with_capacity(cols.len());
                (cols, vals)
            },
        )
        .collect();
    progress.finish();
    let row_totals: Vec<f64> = rows.iter().map(|(_, v)| v.iter().map(|&x| x as f64).sum()).collect();
    let distinct_pairs = rows.iter().map(|r| r.0.len() as u64).sum();
    let mut block = RowBlock::new();
    for (cols, vals) in rows {
        let before = block.indices.len();
        for (c, v) in cols.into_iter().zip(vals) {
            if v >= min_count {
                block.indices.push(c);
                block.values.push(v);
            }
        }
        block.lens.push(block.indices.len() - before);
    }
    Cooccurrence::symmetric(concat(n, vec![block]), row_totals, seq.len() as u64, distinct_pairs)
}

#[cfg(test)]
mod text_tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::text::{Corpus, TextConfig};

    #[test]
    fn text_windows_stop_at_sentence_ends_and_weigh_by_distance() {
        let c = Corpus::from_lines(["a b c", "c a"], &TextConfig::default().min_count(1)).unwrap();
        let (a, b, cc) =
            (c.vocab.id("a").unwrap() as usize, c.vocab.id("b").unwrap() as usize, c.vocab.id("c").unwrap() as usize);
        let co = count_corpus(&c, 2, Weighting::Uniform, 0.0, &NoProgress);
        let d = &co.counts;
        assert_eq!(d.get(a, b), 1.0);
        assert_eq!(d.get(a, cc), 2.0); // distance 2 in the first sentence, 1 in the second
        assert!(d.is_symmetric());
        assert_eq!(co.total, 8.0);
        let h = count_corpus(&c, 2, Weighting::Harmonic, 0.0, &NoProgress).counts;
        assert_eq!(h.get(a, cc), 1.5);
        let dy = count_corpus(&c, 2, Weighting::Dynamic, 0.0, &NoProgress).counts;
        assert_eq!(dy.get(a, cc), 1.5);
    }
}
