//! `pmivec words CORPUS -o OUT`: PPMI-SVD word vectors.

use super::common::{FactorizeArgs, TextArgs, WeightedArgs, check_outputs_and, stage_line};
use super::progress::Bars;
use anyhow::Context;
use clap::ArgMatches;
use clap::{Args, ValueEnum};
use pmivec::Side;
use pmivec::cooccur::Weighting;
use pmivec::io::Format;
use pmivec::text::Corpus;
use pmivec::words::{WordConfig, embed_words, embed_words_with_model};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum ColumnDelimiter {
    Tab,
    Comma,
}

#[derive(Args)]
pub struct WordsArgs {
    /// Text, one sentence or document per line (plain or gzip).
    corpus: PathBuf,
    /// Take the text from this 1-based column of delimited lines (e.g. 2 for `ref<TAB>text`).
    #[arg(long)]
    column: Option<usize>,
    /// Column separator for --column.
    #[arg(long, value_enum, default_value = "tab", requires = "column")]
    delimiter: ColumnDelimiter,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
    /// Output format [default: from the output's name: `.npy` → npy, `.parquet` → parquet, else word2vec text] (npy also
    /// writes OUTPUT.ids).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Also save a model that `pmivec fold-in` uses to embed words met later, from new text.
    #[arg(long)]
    save_model: Option<PathBuf>,
    /// Window (words on either side, within a line).
    #[arg(long, default_value_t = WordConfig::default().window)]
    window: usize,
    /// Context weighting by distance: uniform, dynamic (word2vec's (T-d+1)/T) or harmonic (1/d).
    #[arg(long, value_enum, default_value = "uniform")]
    weighting: Weighting,
    /// Subsample frequent words with threshold t (word2vec's `sample`, e.g. 1e-5; 0 = off).
    #[arg(long, default_value_t = WordConfig::default().subsample)]
    subsample: f64,
    /// PMI shift log b (1 = none).
    #[arg(long, default_value_t = WordConfig::default().neg)]
    neg: f64,
    /// Context-distribution smoothing α.
    #[arg(long, default_value_t = WordConfig::default().cds)]
    cds: f64,
    /// Drop pairs with a smaller count.
    #[arg(long, default_value_t = WordConfig::default().min_pair_count)]
    min_pair_count: f64,
    /// left (word vectors), right (context vectors), sum (w + c) or both (concatenated).
    #[arg(long, value_enum, default_value = "left")]
    side: Side,
    #[command(flatten)]
    text: TextArgs,
    #[command(flatten)]
    factorize: FactorizeArgs,
    #[command(flatten)]
    weighted: WeightedArgs,
    /// Parameters from a file: TOML (sections [words] and [text]), or the JSON sidecar of an earlier run.
    #[arg(long)]
    config: Option<PathBuf>,
    /// No progress bars or summary.
    #[arg(short, long)]
    quiet: bool,
}

/// What the sidecar records and `--config` reads back.
#[derive(Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Recorded {
    words: WordConfig,
    text: pmivec::text::TextConfig,
}

/// The word and text configs: the config file's (or the defaults), then
/// the flags given on the command line.
fn configs(args: &WordsArgs, m: &ArgMatches) -> anyhow::Result<Recorded> {
    let Recorded { words: mut config, text } = match &args.config {
        Some(path) => {
            let file: Recorded = super::config::load(path)?;
            Recorded { text: args.text.apply_given(file.text, m)?, ..file }
        }
        None => Recorded { words: WordConfig::default(), text: args.text.config(5, "none")? },
    };
    let given = |id: &str| super::config::given(m, id);
    if given("window") {
        config.window = args.window;
    }
    if given("weighting") {
        config.weighting = args.weighting;
    }
    if given("subsample") {
        config.subsample = args.subsample;
    }
    if given("neg") {
        config.neg = args.neg;
    }
    if given("cds") {
        config.cds = args.cds;
    }
    if given("min_pair_count") {
        config.min_pair_count = args.min_pair_count;
    }
    config.factorize = args.factorize.apply_given(config.factorize, m);
    (config.factorizer, config.weighted) = args.weighted.apply(config.factorizer, config.weighted);
    config.validate()?;
    Ok(Recorded { words: config, text })
}

pub fn run(args: WordsArgs, m: &ArgMatches) -> anyhow::Result<()> {
    let start = Instant::now();
    let Recorded { words: config, text } = configs(&args, m)?;
    super::use_threads(config.factorize.threads);
    let model_path: Vec<&std::path::Path> = args.save_model.iter().map(|p| p.as_path()).collect();
    let mut inputs = vec![args.corpus.as_path()];
    inputs.extend(args.config.as_deref());
    inputs.extend(args.text.files());
    let format = super::common::format_of(&args.output, args.format)?;
    let mut outputs = check_outputs_and(&inputs, &[(&args.output, format)], &model_path)?;
    let bars = Bars::new(args.quiet);
    let t = Instant::now();
    let corpus = match args.column {
        None => pmivec::text::read_lines(&args.corpus).and_then(|lines| {
            if let Some(hint) = pmivec::text::column_hint(&lines) {
                eprintln!("pmivec: warning: {}: {hint} (--column K)", args.corpus.display());
            }
            Corpus::from_lines(lines.iter().map(String::as_str), &text).map_err(|e| e.with_path(&args.corpus))
        }),
        Some(col) => {
            let sep = match args.delimiter {
                ColumnDelimiter::Tab => '\t',
                ColumnDelimiter::Comma => ',',
            };
            let lines = pmivec::text::column(&args.corpus, col, sep)?;
            Corpus::from_lines(lines.iter().map(String::as_str), &text).map_err(|e| e.with_path(&args.corpus))
        }
    }
    .context("reading the corpus")?;
    let mut stages = vec![("read+tokenize".to_owned(), t.elapsed().as_secs_f64())];
    let (emb, report, model) = if args.save_model.is_some() {
        let (e, r, m) = embed_words_with_model(&corpus, &config, &text, &bars)?;
        (e, r, Some(m))
    } else {
        let (e, r) = embed_words(&corpus, &config, &bars)?;
        (e, r, None)
    };
    stages.extend(report.stage_seconds.iter().cloned());
    let t = Instant::now();
    let recorded = Recorded { words: config, text };
    outputs.add(&emb, args.side, format, &args.output, &recorded, &args.corpus, &stages)?;
    if let (Some(model), Some(path)) = (&model, &args.save_model) {
        model.stage(outputs.batch(), path).context("writing the model")?;
    }
    outputs.commit()?;
    stages.push(("write".into(), t.elapsed().as_secs_f64()));
    if !args.quiet {
        eprintln!(
            "pmivec: {} sentences, {} tokens, {} words; {} distinct pairs, {} kept, {} PMI nonzeros | {} · total {:.2}s",
            corpus.sentence_count(),
            corpus.tokens.len(),
            corpus.vocab.len(),
            report.distinct_pairs,
            report.kept_pairs,
            report.pmi_nonzeros,
            stage_line(&stages),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
