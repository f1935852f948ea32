//! Latent semantic analysis: a tf-idf document × term matrix, the same
//! randomized SVD, document vectors U·Σ^p and term vectors V·Σ^p, and fold-in
//! of new documents without refitting.
//!
//! Weighting, then each document row scaled to unit length:
//! * tf-idf (scikit-learn's `TfidfVectorizer` default, which the BBC
//!   reference uses): x_dt = tf_dt · (ln((1 + N)/(1 + df_t)) + 1), optionally
//!   with sublinear tf 1 + ln tf;
//! * log-entropy (gensim's `LogEntropyModel`, which the Lee reference uses):
//!   x_dt = ln(1 + tf_dt) · (1 + Σ_d p_td ln p_td / ln N), p_td = tf_td / gf_t.
//!
//! Fold-in maps a new document's weighted row x to x·V·Σ^(p−1), which is
//! exactly U·Σ^p for the documents the model was fitted on.

use crate::config::FactorizeConfig;
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use crate::factorize::{Factor, randomized_svd};
use crate::fit::{Report, with_threads};
use crate::progress::Progress;
use crate::sparse::SparseMatrix;
use crate::text::{Corpus, TextConfig, Vocab};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// LSA parameters (text parameters live in [`TextConfig`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct LsaConfig {
    /// Term weighting. Default tf-idf.
    pub weighting: TermWeighting,
    /// With tf-idf, use 1 + ln tf instead of tf. Default true.
    pub sublinear_tf: bool,
    /// Rank, SVD and weighting: eig weight 1 (the classic LSA document
    /// vectors U·Σ), 3 power iterations.
    pub factorize: FactorizeConfig,
}

impl Default for LsaConfig {
    fn default() -> Self {
        LsaConfig {
            weighting: TermWeighting::TfIdf,
            sublinear_tf: true,
            factorize: FactorizeConfig::default().eig_weight(1.0).power_iters(Some(3)),
        }
    }
}

crate::params::setters!(LsaConfig {
    /// Set [`LsaConfig::weighting`].
    weighting: TermWeighting,
    /// Set [`LsaConfig::sublinear_tf`].
    sublinear_tf: bool,
    /// Set [`LsaConfig::factorize`].
    factorize: FactorizeConfig,
});

impl LsaConfig {
    /// Set the dimension ([`FactorizeConfig::dim`]).
    pub fn dim(mut self, dim: usize) -> Self {
        self.factorize.dim = dim;
        self
    }
    /// Check the parameters; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        self.factorize.validate()
    }
}

/// How term counts become matrix entries (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum TermWeighting {
    /// tf · idf.
    #[default]
    TfIdf,
    /// ln(1 + tf) · entropy-based global weight.
    LogEntropy,
}

/// Documents read from a file: ids, texts and (optionally) labels.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    /// Document ids.
    pub ids: Vec<String>,
    /// Document texts.
    pub texts: Vec<String>,
    /// Labels, when a label column was asked for.
    pub labels: Vec<String>,
}

/// Read one document per line (plain or gzip): plain text (ids are line
/// numbers from 1), or tab-separated with the id first and the text last.
/// `label_column` (1-based) picks a label field from tab-separated lines.
///
/// # Errors
/// [`Error::Parse`] for a line lacking the label column, [`Error::Empty`] for no documents.
pub fn read_documents(path: &Path, label_column: Option<usize>) -> Result<Documents> {
    read_documents_from(crate::source::open(path)?, label_column, Some(path))
}

/// [`read_documents`] from any reader; `name` is used in error messages.
///
/// # Errors
/// As [`read_documents`].
pub fn read_documents_from(
    reader: impl std::io::BufRead,
    label_column: Option<usize>,
    name: Option<&Path>,
) -> Result<Documents> {
    let path = name.map(Path::to_path_buf);
    let mut docs = Documents::default();
    let err = |i: usize, message: String| Error::Parse { path: path.clone(), line: i as u64 + 1, message };
    let mut seen = std::collections::HashMap::new();
    // The first line decides the file's format: plain text or tab-separated.
    let mut tabbed = None;
    for (i, line) in crate::text::read_lines_from(reader, name)?.into_iter().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        let is_tabbed = fields.len() > 1;
        match tabbed {
            None => tabbed = Some(is_tabbed),
            Some(t) if t != is_tabbed => {
                let (first, this) =
                    if t { ("id<TAB>…<TAB>text", "plain text") } else { ("plain text", "tab-separated") };
                return Err(err(
                    i,
                    format!("this line is {this}, but the file started as {first}: use one format per file"),
                ));
            }
            _ => {}
        }
        if let Some(col) = label_column {
            let label = fields.get(col.wrapping_sub(1)).filter(|_| is_tabbed && col >= 1).ok_or_else(|| {
                err(i, format!("no label column {col} (found {} tab-separated fields)", fields.len()))
            })?;
            docs.labels.push(label.to_string());
        }
        let (id, text) = if is_tabbed {
            (fields[0].to_string(), fields[fields.len() - 1].to_string())
        } else {
            ((i + 1).to_string(), line)
        };
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(err(
                i,
                format!("document id `{id}` is empty or contains whitespace (word2vec output could not be read back)"),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), i + 1) {
            return Err(err(i, format!("document id `{id}` already appears on line {first}")));
        }
        docs.ids.push(id);
        docs.texts.push(text);
    }
    if docs.ids.is_empty() {
        return Err(Error::Empty { path, what: "no documents".into() });
    }
    Ok(docs)
}

/// One id per document, each a single non-empty token (word2vec output
/// must read back) and no two alike (rows would be ambiguous): what
/// [`read_documents`] checks line by line, for documents given in memory.
fn check_ids(ids: &[String], documents: usize) -> Result<()> {
    let bad = |reason: String| Err(Error::InvalidConfig { param: "ids", reason });
    if ids.len() != documents {
        return bad(format!("{} ids for {documents} documents; give one id per document", ids.len()));
    }
    let mut seen = std::collections::HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return bad(format!("document id {id:?} (document {i}) is empty or contains whitespace"));
        }
        if let Some(first) = seen.insert(id.as_str(), i) {
            return bad(format!("document id `{id}` is given to documents {first} and {i}"));
        }
    }
    Ok(())
}

/// A fitted LSA model.
#[derive(Clone, Debug)]
pub struct Lsa {
    terms: Vocab,
    global: Vec<f32>,
    text: TextConfig,
    config: LsaConfig,
    /// V·Σ^(p−1), terms × dim: the fold-in projection.
    projection: Vec<f32>,
    documents: Embeddings,
    term_vectors: Embeddings,
}

/// The weighted document × term matrix of `texts` (rows unit length), as
/// LSA factorizes it; the PCA of documents starts here too.
///
/// # Errors
/// [`Error::Empty`] if no term survives `text.min_count`.
pub fn term_document_matrix(
    texts: &[String],
    config: &LsaConfig,
    text: &TextConfig,
) -> Result<(SparseMatrix, Vec<String>)> {
    let (x, corpus, _) = tf_idf(texts, config, text, &mut Report::default())?;
    Ok((x, corpus.vocab.words().to_vec()))
}

fn tf_idf(
    texts: &[String],
    config: &LsaConfig,
    text: &TextConfig,
    report: &mut Report,
) -> Result<(SparseMatrix, Corpus, Vec<f32>)> {
    let corpus = report.time("tokenize", || Corpus::from_lines(texts.iter().map(String::as_str), text))?;
    let (n_docs, n_terms) = (corpus.sentence_count(), corpus.vocab.len());
    let (x, global) = report.time("tf-idf", || {
        let (indptr, indices, tf) = term_frequencies(&corpus);
        let global = global_weights(&indptr, &indices, &tf, n_terms, config.weighting);
        let mut values: Vec<f32> =
            indices.iter().zip(&tf).map(|(&t, &f)| local_weight(f, config) * global[t as usize]).collect();
        for d in indptr.windows(2) {
            normalize(&mut values[d[0]..d[1]]);
        }
        (SparseMatrix::from_csr((n_docs, n_terms), indptr, indices, values), global)
    });
    Ok((x, corpus, global))
}

impl Lsa {
    /// Fit on documents `ids`/`texts`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a parameter out of range, [`Error::Empty`]
    /// if no term survives `text.min_count`, [`Error::RankTooLarge`] if `dim`
    /// exceeds min(documents, terms).
    pub fn fit(
        ids: &[String],
        texts: &[String],
        config: &LsaConfig,
        text: &TextConfig,
        progress: &dyn Progress,
    ) -> Result<(Lsa, Report)> {
        config.validate()?;
        check_ids(ids, texts.len())?;
        let mut report = Report { estimator: "tf-idf".into(), ..Default::default() };
        let (x, corpus, global) = tf_idf(texts, config, text, &mut report)?;
        let (n_docs, n_terms) = x.shape();
        let k = config.factorize.dim;
        if k > n_docs.min(n_terms) {
            return Err(Error::RankTooLarge { requested: k, max: n_docs.min(n_terms) });
        }
        report.pmi_nonzeros = x.nnz() as u64;
        let svd_config = config.factorize.svd(n_docs);
        report.power_iters = svd_config.power_iters;
        progress.start("svd", 0);
        let svd = report.time("svd", || with_threads(config.factorize.threads, || randomized_svd(&x, k, &svd_config)));
        progress.finish();
        let svd = svd??;
        let p = config.factorize.eig_weight;
        let projection = svd.weighted(Factor::V, p - 1.0);
        let lsa = Lsa {
            documents: Embeddings::from_matrix(ids.to_vec(), k, svd.weighted(Factor::U, p)),
            term_vectors: Embeddings::from_matrix(corpus.vocab.words().to_vec(), k, svd.weighted(Factor::V, p)),
            terms: corpus.vocab,
            global,
            text: text.clone(),
            config: config.clone(),
            projection,
        };
        Ok((lsa, report))
    }

    /// Document vectors U·Σ^p of the fitted documents.
    pub fn documents(&self) -> &Embeddings {
        &self.documents
    }
    /// Term vectors V·Σ^p.
    pub fn terms(&self) -> &Embeddings {
        &self.term_vectors
    }

    /// Embed a new document: its tf-idf row times V·Σ^(p−1). Unknown words
    /// are ignored; a document with no known word maps to zero.
    pub fn fold_in(&self, text: &str) -> Vec<f32> {
        let mut tf: std::collections::BTreeMap<u32, u32> = Default::default();
        crate::text::Normalizer::new(&self.text).tokens(text, |w| {
            if let Some(t) = self.terms.id(w) {
                *tf.entry(t).or_default() += 1;
            }
        });
        let (terms, mut values): (Vec<u32>, Vec<f32>) =
            tf.into_iter().map(|(t, f)| (t, local_weight(f, &self.config) * self.global[t as usize])).unzip();
        normalize(&mut values);
        let k = self.config.factorize.dim;
        let mut out = vec![0f32; k];
        for (&t, &v) in terms.iter().zip(&values) {
            for (o, p) in out.iter_mut().zip(&self.projection[t as usize * k..(t as usize + 1) * k]) {
                *o += v * p;
            }
        }
        out
    }

    /// Fold in many documents as embeddings labelled `ids`.
    pub fn fold_in_all(&self, ids: &[String], texts: &[String]) -> Embeddings {
        let k = self.config.factorize.dim;
        let data = texts.iter().flat_map(|t| self.fold_in(t)).collect();
        Embeddings::from_matrix(ids.to_vec(), k, data)
    }
}

fn local_weight(tf: u32, config: &LsaConfig) -> f32 {
    match config.weighting {
        TermWeighting::LogEntropy => (1.0 + tf as f32).ln(),
        TermWeighting::TfIdf if config.sublinear_tf => 1.0 + (tf as f32).ln(),
        TermWeighting::TfIdf => tf as f32,
    }
}

/// Per-term global weights: idf, or 1 + Σ_d p_td ln p_td / ln N.
/// Raw term frequencies as CSR (documents × terms, sorted term ids).
fn term_frequencies(corpus: &Corpus) -> (Vec<usize>, Vec<u32>, Vec<u32>) {
    let mut indptr = vec![0usize];
    let (mut terms, mut tf) = (Vec::new(), Vec::new());
    let mut row: Vec<u32> = Vec::new();
    for d in 0..corpus.sentence_count() {
        row.clear();
        row.extend_from_slice(corpus.sentence(d));
        row.sort_unstable();
        for run in row.chunk_by(|a, b| a == b) {
            terms.push(run[0]);
            tf.push(run.len() as u32);
        }
        indptr.push(terms.len());
    }
    (indptr, terms, tf)
}

/// Per-term global weights from the term frequencies: idf, or
/// 1 + Σ_d p_td ln p_td / ln N.
fn global_weights(indptr: &[usize], terms: &[u32], tf: &[u32], n_terms: usize, weighting: TermWeighting) -> Vec<f32> {
    let n_docs = indptr.len() - 1;
    let mut df = vec![0u32; n_terms];
    let mut gf = vec![0u64; n_terms];
    for (&t, &f) in terms.iter().zip(tf) {
        df[t as usize] += 1;
        gf[t as usize] += f as u64;
    }
    if weighting == TermWeighting::TfIdf {
        return df.iter().map(|&f| (((1 + n_docs) as f64 / (1 + f) as f64).ln() + 1.0) as f32).collect();
    }
    let mut plogp = vec![0f64; n_terms];
    for (&t, &f) in terms.iter().zip(tf) {
        let p = f as f64 / gf[t as usize] as f64;
        plogp[t as usize] += p * p.ln();
    }
    let log_n = (n_docs.max(2) as f64).ln();
    plogp.iter().map(|&e| (1.0 + e / log_n) as f32).collect()
}

fn normalize(v: &mut [f32]) {
    crate::embeddings::normalize_rows(v, v.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embeddings::Side;
    use crate::progress::NoProgress;

    #[test]
    fn folding_in_a_fitted_document_reproduces_its_vector() {
        let texts: Vec<String> = [
            "cats and dogs are pets",
            "dogs chase cats",
            "stocks and bonds are markets",
            "bonds pay interest on markets",
            "pets need food and care",
        ]
        .map(String::from)
        .to_vec();
        let ids: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        let cfg = LsaConfig::default().dim(3);
        let (lsa, _) = Lsa::fit(&ids, &texts, &cfg, &TextConfig::default().min_count(1), &NoProgress).unwrap();
        for (i, t) in texts.iter().enumerate() {
            let folded = lsa.fold_in(t);
            let fitted = lsa.documents().matrix(Side::Left)[i * 3..(i + 1) * 3].to_vec();
            for (a, b) in folded.iter().zip(&fitted) {
                assert!((a - b).abs() < 1e-4, "doc {i}: {folded:?} vs {fitted:?}");
            }
        }
        assert!(lsa.fold_in("nothing known here").iter().all(|&x| x == 0.0));
    }
}
