//! The text path: sentences → sentence-bounded windows → PPMI → SVD word
//! vectors (Levy, Goldberg & Dagan 2015: context-distribution smoothing
//! α = 0.75, no shift for SVD, eigenvalue weighting p ≤ 0.5, optionally w + c).

use crate::config::FactorizeConfig;
use crate::cooccur::{Weighting, count_corpus};
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use crate::fit::{Report, factorize_square, non_empty, with_threads};
use crate::foldin::WordModel;
use crate::params::check;
use crate::pmi::{Marginals, PmiConfig};
use crate::progress::Progress;
use crate::text::Corpus;
use crate::weighted::{Cells, Factorizer, WeightedConfig};
use serde::{Deserialize, Serialize};

/// Parameters of the word-vector path (text parameters live in [`crate::text::TextConfig`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct WordConfig {
    /// Window: contexts up to this many words on either side, within a sentence. Default 5.
    pub window: usize,
    /// Distance weighting of contexts. Default uniform.
    pub weighting: Weighting,
    /// Subsampling threshold t of frequent words (word2vec's `sample`; 0 = off). Default 1e-4.
    pub subsample: f64,
    /// Shift log b of the PMI. Default 1 (no shift, best for SVD).
    pub neg: f64,
    /// Context-distribution smoothing α. Default 1 (none): on the 25M-token
    /// Wikipedia benchmark α = 0.75 measured worse on all three scores. At
    /// 1 the PPMI matrix is symmetric and its SVD one-sided.
    pub cds: f64,
    /// Pairs with a smaller (distance-weighted, so fractional) count are
    /// dropped. Default 1 (keep all).
    pub min_pair_count: f64,
    /// Rank, SVD and weighting: eig weight 0.25 (measured between the
    /// recommended 0 and 0.5), 3 power iterations.
    pub factorize: FactorizeConfig,
    /// What factorizes the PPMI matrix: the SVD alone, or the SVD refined
    /// by weighted least squares ([`crate::weighted`]).
    pub factorizer: Factorizer,
    /// Parameters of the weighted factorization.
    pub weighted: WeightedConfig,
}

impl Default for WordConfig {
    fn default() -> Self {
        WordConfig {
            window: 5,
            weighting: Weighting::Uniform,
            subsample: 1e-4,
            neg: 1.0,
            cds: 1.0,
            min_pair_count: 1.0,
            factorize: FactorizeConfig::default().eig_weight(0.25).power_iters(Some(3)),
            factorizer: Factorizer::Svd,
            weighted: WeightedConfig::default(),
        }
    }
}

crate::params::setters!(WordConfig {
    /// Set [`WordConfig::window`].
    window: usize,
    /// Set [`WordConfig::weighting`].
    weighting: Weighting,
    /// Set [`WordConfig::subsample`].
    subsample: f64,
    /// Set [`WordConfig::neg`].
    neg: f64,
    /// Set [`WordConfig::cds`].
    cds: f64,
    /// Set [`WordConfig::min_pair_count`].
    min_pair_count: f64,
    /// Set [`WordConfig::factorize`].
    factorize: FactorizeConfig,
    /// Set [`WordConfig::factorizer`].
    factorizer: Factorizer,
    /// Set [`WordConfig::weighted`].
    weighted: WeightedConfig,
});

impl WordConfig {
    /// Set the dimension ([`FactorizeConfig::dim`]).
    pub fn dim(mut self, dim: usize) -> Self {
        self.factorize.dim = dim;
        self
    }

    /// Check the parameters; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        self.factorize.validate()?;
        self.weighted.validate()?;
        crate::params::check_window(self.window)?;
        check(self.neg.is_finite() && self.neg > 0.0, "neg", "must be > 0")?;
        check(self.subsample.is_finite() && self.subsample >= 0.0, "subsample", "must be >= 0")?;
        check(self.cds.is_finite() && self.cds > 0.0 && self.cds <= 1.0, "cds", "must be in (0, 1]")?;
        check(self.min_pair_count.is_finite() && self.min_pair_count >= 0.0, "min_pair_count", "must be >= 0")
    }
}

/// Word vectors for the vocabulary of `corpus`.
///
/// # Errors
/// [`Error::InvalidConfig`], or [`Error::RankTooLarge`] if `dim` exceeds the vocabulary.
pub fn embed_words(corpus: &Corpus, config: &WordConfig, progress: &dyn Progress) -> Result<(Embeddings, Report)> {
    run(corpus, config, progress).map(|(e, r, _)| (e, r))
}

/// [`embed_words`], and the [`WordModel`] that places words met later
/// ([`WordModel::fold_in`]); `text` is the tokenization the corpus was read
/// with, which new text must go through too.
///
/// # Errors
/// As [`embed_words`].
pub fn embed_words_with_model(
    corpus: &Corpus,
    config: &WordConfig,
    text: &crate::text::TextConfig,
    progress: &dyn Progress,
) -> Result<(Embeddings, Report, WordModel)> {
    let (emb, report, marginals) = run(corpus, config, progress)?;
    let fit = (config.window, config.weighting, config.factorize.eig_weight);
    let model = WordModel::new(&emb, fit, text.clone(), marginals);
    Ok((emb, report, model))
}

/// The embedding, the report, and the PMI's marginals (what a fold-in row
/// needs).
fn run(corpus: &Corpus, config: &WordConfig, progress: &dyn Progress) -> Result<(Embeddings, Report, Marginals)> {
    config.validate()?;
    if config.factorize.dim > corpus.vocab.len() {
        return Err(Error::RankTooLarge { requested: config.factorize.dim, max: corpus.vocab.len() });
    }
    with_threads(config.factorize.threads, || {
        let mut report = Report { estimator: "sentences".into(), ..Default::default() };
        let thinned;
        let corpus = if config.subsample > 0.0 {
            thinned = corpus.subsample(config.subsample, config.factorize.seed);
            &thinned
        } else {
            corpus
        };
        let co = report.time("count", || {
            count_corpus(corpus, config.window, config.weighting, config.min_pair_count as f32, progress)
        });
        crate::progress::check(progress)?;
        report.walk_steps = co.steps;
        report.distinct_pairs = co.distinct_pairs;
        report.kept_pairs = co.counts.nnz() as u64;
        let marginals = Marginals::of(&co, &PmiConfig { neg: config.neg, cds: config.cds });
        let m = report.time("pmi", || marginals.matrix(&co));
        let cells = (config.factorizer == Factorizer::Weighted)
            .then(|| report.time("cells", || Cells::of(&co, &marginals, &config.weighted)));
        drop(co);
        non_empty(&m)?;
        let symmetric = config.cds == 1.0;
        let labels = corpus.vocab.words().to_vec();
        let emb = match cells {
            None => factorize_square(labels, &m, symmetric, &config.factorize, &mut report, progress)?,
            Some(cells) => {
                // U·Σ^½ and V·Σ^½ reproduce the matrix: the start of the sweeps.
                let start = config.factorize.clone().eig_weight(0.5);
                let mut emb = factorize_square(labels, &m, symmetric, &start, &mut report, progress)?;
                drop(m);
                let d = emb.dim();
                let p = config.factorize.eig_weight;
                let s = crate::weighted::fit(&cells, emb.sides_mut(), d, &config.weighted, p, &mut report, progress)?;
                emb.set_singular_values(s);
                emb
            }
        };
        Ok((emb, report, marginals))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embeddings::Side;
    use crate::progress::NoProgress;
    use crate::similarity::Index;
    use crate::text::TextConfig;

    #[test]
    fn words_in_the_same_contexts_end_up_close() {
        // Two topics that never share a sentence.
        let mut lines = Vec::new();
        for i in 0..200 {
            lines.push(if i % 2 == 0 { "cat dog pet fur paw" } else { "stock bond market price trade" });
        }
        let c = Corpus::from_lines(lines.iter().copied(), &TextConfig::default().min_count(1)).unwrap();
        let (emb, _) = embed_words(&c, &WordConfig::default().dim(2).window(2).subsample(0.0), &NoProgress).unwrap();
        let idx = Index::new(&emb, Side::Left);
        assert!(idx.similarity("cat", "dog").unwrap() > 0.9);
        assert!(idx.similarity("cat", "stock").unwrap().abs() < 0.2);
    }

    #[test]
    fn the_weighted_factorizer_keeps_topics_apart_and_ignores_the_thread_count() {
        let mut lines = Vec::new();
        for i in 0..300 {
            lines.push(match i % 3 {
                0 => "cat dog pet fur paw tail",
                1 => "stock bond market price trade fund",
                _ => "rain snow wind storm cloud sky",
            });
        }
        let c = Corpus::from_lines(lines.iter().copied(), &TextConfig::default().min_count(1)).unwrap();
        let config = |threads: usize| {
            let mut f =
                WordConfig::default().dim(3).window(2).subsample(0.0).factorizer(Factorizer::Weighted).factorize;
            f.threads = threads;
            WordConfig::default().window(2).subsample(0.0).factorizer(Factorizer::Weighted).factorize(f)
        };
        let (emb, report) = embed_words(&c, &config(1), &NoProgress).unwrap();
        assert_eq!(report.estimator, "sentences, weighted");
        assert!(report.stage_seconds.iter().any(|(s, _)| s == "weighted"));
        let idx = Index::new(&emb, Side::Left);
        assert!(idx.similarity("cat", "dog").unwrap() > 0.8);
        assert!(idx.similarity("cat", "stock").unwrap() < 0.3);
        assert!(idx.similarity("rain", "bond").unwrap() < 0.3);
        let (again, _) = embed_words(&c, &config(3), &NoProgress).unwrap();
        assert_eq!(emb.matrix(Side::Left), again.matrix(Side::Left));
        assert_eq!(emb.matrix(Side::Right), again.matrix(Side::Right));
    }
}
