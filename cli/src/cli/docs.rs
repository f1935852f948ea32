//! `pmivec docs CORPUS -o OUT [--term-output TERMS]`: LSA document and term vectors.

use super::common::{FactorizeArgs, TextArgs, check_outputs, stage_line};
use anyhow::Context;
use clap::ArgMatches;
use clap::Args;
use pmivec::Side;
use pmivec::io::Format;
use pmivec::lsa::{Lsa, LsaConfig, TermWeighting, read_documents};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// LSA model parameters.
#[derive(Args, Clone)]
pub struct LsaArgs {
    /// Term weighting: tf-idf or log-entropy.
    #[arg(long, value_enum, default_value = "tf-idf")]
    pub weighting: TermWeighting,
    /// With tf-idf, use raw term frequency instead of 1 + ln(tf).
    #[arg(long)]
    pub raw_tf: bool,
    #[command(flatten)]
    pub text: TextArgs,
    #[command(flatten)]
    pub factorize: FactorizeArgs,
}

impl LsaArgs {
    pub fn config(&self) -> LsaConfig {
        LsaConfig::default()
            .sublinear_tf(!self.raw_tf)
            .weighting(self.weighting)
            .factorize(self.factorize.apply(LsaConfig::default().factorize))
    }
}

#[derive(Args)]
pub struct DocsArgs {
    /// One document per line: plain text (ids = line numbers from 1) or `id<TAB>…<TAB>text`; plain or gzip.
    corpus: PathBuf,
    /// Document vectors (U·Σ^p).
    #[arg(short, long)]
    output: PathBuf,
    /// Term vectors (V·Σ^p).
    #[arg(long)]
    term_output: Option<PathBuf>,
    /// New documents to fold into the fitted space (same line format).
    #[arg(long, requires = "fold_output")]
    fold_in: Option<PathBuf>,
    /// Where the folded-in document vectors go.
    #[arg(long, requires = "fold_in")]
    fold_output: Option<PathBuf>,
    /// Instead of LSA: each document is the mean of its words' unit-length vectors from
    /// this word2vec text file (stop words removed; unknown words skipped;
    /// a document with no known word gets a zero row).
    #[arg(long, conflicts_with_all = ["term_output", "fold_in"])]
    from_words: Option<PathBuf>,
    /// Output format [default: from the output's name: `.npy` → npy, `.parquet` → parquet, else word2vec text] (npy also
    /// writes OUTPUT.ids).
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    lsa: LsaArgs,
    /// Parameters from a file: TOML (sections [lsa] and [text]), or the JSON sidecar of an earlier run.
    #[arg(long)]
    config: Option<PathBuf>,
    /// No summary.
    #[arg(short, long)]
    quiet: bool,
}

/// What the sidecar records and `--config` reads back.
#[derive(Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Recorded {
    pub lsa: LsaConfig,
    pub text: pmivec::text::TextConfig,
}

pub fn run(args: DocsArgs, m: &ArgMatches) -> anyhow::Result<()> {
    let start = Instant::now();
    let (config, text) = match &args.config {
        Some(path) => {
            let file: Recorded = super::config::load(path)?;
            let mut c = file.lsa;
            if super::config::given(m, "weighting") || super::config::given(m, "raw_tf") {
                let flags = args.lsa.config();
                (c.weighting, c.sublinear_tf) = (flags.weighting, flags.sublinear_tf);
            }
            c.factorize = args.lsa.factorize.apply_given(c.factorize, m);
            (c, args.lsa.text.apply_given(file.text, m)?)
        }
        None => (args.lsa.config(), args.lsa.text.config(2, "english")?),
    };
    config.validate()?;
    let format = super::common::format_of(&args.output, args.format)?;
    super::use_threads(config.factorize.threads);
    let mut inputs = vec![args.corpus.as_path()];
    inputs.extend(args.fold_in.as_deref());
    inputs.extend(args.from_words.as_deref());
    inputs.extend(args.config.as_deref());
    inputs.extend(args.lsa.text.files());
    // Each output's format follows its own name (or --format for all).
    let format_for = |p: &std::path::Path| super::common::format_of(p, args.format);
    let term_format = args.term_output.as_deref().map(format_for).transpose()?.unwrap_or(format);
    let fold_format = args.fold_output.as_deref().map(format_for).transpose()?.unwrap_or(format);
    let mut outs = vec![(args.output.as_path(), format)];
    outs.extend(args.term_output.as_deref().map(|p| (p, term_format)));
    outs.extend(args.fold_output.as_deref().map(|p| (p, fold_format)));
    let mut outputs = check_outputs(&inputs, &outs)?;
    let t = Instant::now();
    let docs = read_documents(&args.corpus, None).context("reading the documents")?;
    // Every input is read before any output is written.
    let new = match &args.fold_in {
        Some(input) => Some(read_documents(input, None).context("reading the documents to fold in")?),
        None => None,
    };
    let mut stages = vec![("read".to_owned(), t.elapsed().as_secs_f64())];
    if let Some(words) = &args.from_words {
        let emb = pmivec::Embeddings::load(words).context("reading the word vectors")?;
        let index = pmivec::similarity::Index::new(&emb, Side::Left);
        let mut normalizer = pmivec::text::Normalizer::new(&text);
        let d = index.dim();
        let data: Vec<f32> = docs
            .texts
            .iter()
            .flat_map(|t| pmivec::similarity::mean_vector(&index, t, &mut normalizer).unwrap_or_else(|| vec![0.0; d]))
            .collect();
        let out = pmivec::Embeddings::from_matrix(docs.ids.clone(), d, data);
        outputs.add(&out, Side::Left, format, &args.output, &text, &args.corpus, &stages)?;
        return outputs.commit();
    }
    let t = Instant::now();
    let (lsa, _) =
        Lsa::fit(&docs.ids, &docs.texts, &config, &text, &pmivec::NoProgress).map_err(|e| e.with_path(&args.corpus))?;
    stages.push(("tfidf+svd".into(), t.elapsed().as_secs_f64()));
    let rec = Recorded { lsa: config.clone(), text: text.clone() };
    outputs.add(lsa.documents(), Side::Left, format, &args.output, &rec, &args.corpus, &stages)?;
    if let Some(path) = &args.term_output {
        outputs.add(lsa.terms(), Side::Left, term_format, path, &rec, &args.corpus, &stages)?;
    }
    if let (Some(new), Some(input), Some(out)) = (&new, &args.fold_in, &args.fold_output) {
        outputs.add(&lsa.fold_in_all(&new.ids, &new.texts), Side::Left, fold_format, out, &rec, input, &stages)?;
    }
    outputs.commit()?;
    if !args.quiet {
        eprintln!(
            "pmivec: {} documents, {} terms, dim {} | {} · total {:.2}s",
            lsa.documents().len(),
            lsa.terms().len(),
            config.factorize.dim,
            stage_line(&stages),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
