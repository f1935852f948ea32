//! Arguments and output handling shared by the subcommands.

use anyhow::Context;
use clap::{Args, ValueEnum};
use pmivec::config::FactorizeConfig;
use pmivec::io::{self, Format, Metadata};
use pmivec::text::TextConfig;
use pmivec::{Embeddings, Side};
use std::path::Path;

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Word2vec,
    Npy,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Word2vec => Format::Word2vec,
            FormatArg::Npy => Format::Npy,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SideArg {
    Left,
    Right,
    Both,
    Sum,
}

impl From<SideArg> for Side {
    fn from(s: SideArg) -> Side {
        match s {
            SideArg::Left => Side::Left,
            SideArg::Right => Side::Right,
            SideArg::Both => Side::Both,
            SideArg::Sum => Side::Sum,
        }
    }
}

/// Rank, SVD and run parameters, shared by every command; unset values
/// keep the command's defaults.
#[derive(Args, Clone)]
pub struct FactorizeArgs {
    /// Embedding dimension d [default: 128].
    #[arg(long)]
    pub dim: Option<usize>,
    /// Exponent p in U·Σ^p [default: 0.5 for graphs, 0.25 for words, 1 for documents].
    #[arg(long)]
    pub eig_weight: Option<f64>,
    /// Extra columns of the randomized SVD sketch [default: 20].
    #[arg(long)]
    pub oversample: Option<usize>,
    /// Power iterations of the randomized SVD [default: 8 up to 100,000 rows, 3 above; 3 for words and documents].
    #[arg(long)]
    pub power_iters: Option<usize>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (0 = all cores); the output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

impl FactorizeArgs {
    /// `base` (a command's defaults) with the values given on the command line.
    pub fn apply(&self, mut base: FactorizeConfig) -> FactorizeConfig {
        base.dim = self.dim.unwrap_or(base.dim);
        base.eig_weight = self.eig_weight.unwrap_or(base.eig_weight);
        base.oversample = self.oversample.unwrap_or(base.oversample);
        base.power_iters = self.power_iters.or(base.power_iters);
        base.seed = self.seed;
        base.threads = self.threads;
        base
    }
}

/// Tokenization and vocabulary parameters.
#[derive(Args, Clone)]
pub struct TextArgs {
    /// Drop words seen fewer times.
    #[arg(long)]
    pub min_count: Option<u64>,
    /// Keep only the most frequent words (0 = all).
    #[arg(long, default_value_t = 0)]
    pub max_vocab: usize,
    /// Remove stop words: `english` (built-in list), `none`, or a file with one word per line; repeatable.
    #[arg(long)]
    pub stopwords: Vec<String>,
    /// Remove tokens shorter than this many characters.
    #[arg(long, default_value_t = 1)]
    pub min_length: usize,
    /// Reduce words to English Snowball stems.
    #[arg(long)]
    pub stem: bool,
    /// Remove tokens containing digits.
    #[arg(long)]
    pub drop_numeric: bool,
}

impl TextArgs {
    /// The text config; `default_stopwords` applies when no --stopwords is given.
    pub fn config(&self, default_min_count: u64, default_stopwords: &str) -> anyhow::Result<TextConfig> {
        let mut cfg = TextConfig::default()
            .min_count(self.min_count.unwrap_or(default_min_count))
            .max_vocab(self.max_vocab)
            .min_length(self.min_length)
            .stem(self.stem)
            .drop_numeric(self.drop_numeric);
        let given = if self.stopwords.is_empty() { vec![default_stopwords.to_owned()] } else { self.stopwords.clone() };
        for s in &given {
            cfg = match s.as_str() {
                "none" => cfg,
                "english" => cfg.english_stopwords(),
                file => cfg.stopwords_from_file(Path::new(file)).context("reading the stop-word list")?,
            };
        }
        Ok(cfg)
    }
}

/// Write `emb` with its JSON sidecar; the input's checksum goes in the sidecar.
pub fn save(
    emb: &Embeddings,
    side: Side,
    format: Format,
    out: &Path,
    config: &impl serde::Serialize,
    input: &Path,
    stage_seconds: &[(String, f64)],
) -> anyhow::Result<()> {
    let mut meta = Metadata::new(emb, side, format, config).with_input(input)?;
    meta.stage_seconds = stage_seconds.to_vec();
    io::save(emb, side, format, out, &meta).context("writing the output")
}

/// "stage 1.23s · stage 0.45s".
pub fn stage_line(stages: &[(String, f64)]) -> String {
    stages.iter().map(|(s, t)| format!("{s} {t:.2}s")).collect::<Vec<_>>().join(" · ")
}
