//! Arguments and output handling shared by the subcommands.

use anyhow::Context;
use clap::Args;
use pmivec::config::FactorizeConfig;
use pmivec::io::{Format, Metadata};
use pmivec::text::TextConfig;
use pmivec::{Embeddings, Side};
use std::path::Path;

/// The format of the output `path`: `--format`, else what its name says.
pub fn format_of(path: &Path, given: Option<Format>) -> anyhow::Result<Format> {
    Ok(Format::for_path(path, given)?)
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
    /// Extra columns of the randomized SVD sketch [default: 20 up to 100,000 rows, 10 above].
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
    /// Storage of the dense blocks: f32, or half-width f16 with f32 sums [default: auto: f16 from 200,000 rows].
    #[arg(long, value_enum)]
    pub precision: Option<pmivec::precision::Precision>,
}

impl FactorizeArgs {
    /// `base` (a config file's or the command's defaults) with the values
    /// given on the command line.
    pub fn apply_given(&self, mut base: FactorizeConfig, m: &clap::ArgMatches) -> FactorizeConfig {
        base = FactorizeArgs { seed: base.seed, threads: base.threads, ..self.clone() }.apply(base);
        if super::config::given(m, "seed") {
            base.seed = self.seed;
        }
        if super::config::given(m, "threads") {
            base.threads = self.threads;
        }
        base
    }

    /// `base` (a command's defaults) with the values given on the command line.
    pub fn apply(&self, mut base: FactorizeConfig) -> FactorizeConfig {
        base.dim = self.dim.unwrap_or(base.dim);
        base.eig_weight = self.eig_weight.unwrap_or(base.eig_weight);
        base.oversample = self.oversample.or(base.oversample);
        base.power_iters = self.power_iters.or(base.power_iters);
        base.precision = self.precision.map_or(base.precision, Into::into);
        base.seed = self.seed;
        base.threads = self.threads;
        base
    }
}

/// The factorizer and the weighted factorization's parameters; unset
/// values keep the config's.
#[derive(Args, Clone)]
pub struct WeightedArgs {
    /// What factorizes the PMI matrix: svd, or weighted (the SVD refined by weighted least squares,
    /// LexVec's loss) [default: svd].
    #[arg(long, value_enum)]
    pub factorizer: Option<pmivec::weighted::Factorizer>,
    /// Weighted: alternating sweeps [default: 3].
    #[arg(long)]
    pub sweeps: Option<usize>,
    /// Weighted: negative samples per observed pair [default: 5].
    #[arg(long)]
    pub negatives: Option<f64>,
    /// Weighted: exponent of the noise distribution #(c)^γ [default: 0.75].
    #[arg(long)]
    pub noise_power: Option<f64>,
    /// Weighted: exponent of the count weighing an observed pair [default: 1].
    #[arg(long)]
    pub count_power: Option<f64>,
    /// Weighted: ridge, relative to each row's weight [default: 1e-3].
    #[arg(long)]
    pub reg: Option<f64>,
    /// Weighted: conjugate-gradient steps per row and half-sweep [default: 3].
    #[arg(long)]
    pub cg_steps: Option<usize>,
}

impl WeightedArgs {
    /// `(factorizer, config)` with the values given on the command line.
    pub fn apply(
        &self,
        factorizer: pmivec::weighted::Factorizer,
        mut c: pmivec::weighted::WeightedConfig,
    ) -> (pmivec::weighted::Factorizer, pmivec::weighted::WeightedConfig) {
        c.sweeps = self.sweeps.unwrap_or(c.sweeps);
        c.negatives = self.negatives.unwrap_or(c.negatives);
        c.noise_power = self.noise_power.unwrap_or(c.noise_power);
        c.count_power = self.count_power.unwrap_or(c.count_power);
        c.reg = self.reg.unwrap_or(c.reg);
        c.cg_steps = self.cg_steps.unwrap_or(c.cg_steps);
        (self.factorizer.unwrap_or(factorizer), c)
    }
}

/// Tokenization and vocabulary parameters.
#[derive(Args, Clone)]
pub struct TextArgs {
    /// Drop words seen fewer times [default: 5 for words, 2 for docs].
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
    #[arg(long, overrides_with = "no_stem")]
    pub stem: bool,
    /// Keep words as they are (turns off a config file's `stem = true`).
    #[arg(long)]
    pub no_stem: bool,
    /// Remove tokens containing digits.
    #[arg(long, overrides_with = "keep_numeric")]
    pub drop_numeric: bool,
    /// Keep tokens containing digits (turns off a config file's `drop_numeric = true`).
    #[arg(long)]
    pub keep_numeric: bool,
}

impl TextArgs {
    /// The stop-word files given (inputs of the run, like the corpus).
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.stopwords.iter().filter(|s| !matches!(s.as_str(), "none" | "english")).map(Path::new)
    }

    /// A config file's text settings, with the flags given on the command line.
    pub fn apply_given(&self, mut base: TextConfig, m: &clap::ArgMatches) -> anyhow::Result<TextConfig> {
        let given = |id: &str| super::config::given(m, id);
        if let Some(n) = self.min_count {
            base.min_count = n;
        }
        if given("max_vocab") {
            base.max_vocab = self.max_vocab;
        }
        if given("min_length") {
            base.min_length = self.min_length;
        }
        // The last of --stem / --no-stem wins (clap keeps one), then the file.
        base.stem = (base.stem || self.stem) && !self.no_stem;
        base.drop_numeric = (base.drop_numeric || self.drop_numeric) && !self.keep_numeric;
        if !self.stopwords.is_empty() {
            base.stopwords.clear();
            base = self.with_stopwords(base, "none")?;
        }
        Ok(base)
    }

    fn with_stopwords(&self, mut cfg: TextConfig, default_stopwords: &str) -> anyhow::Result<TextConfig> {
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

    /// The text config; `default_stopwords` applies when no --stopwords is given.
    pub fn config(&self, default_min_count: u64, default_stopwords: &str) -> anyhow::Result<TextConfig> {
        let cfg = TextConfig::default()
            .min_count(self.min_count.unwrap_or(default_min_count))
            .max_vocab(self.max_vocab)
            .min_length(self.min_length)
            .stem(self.stem)
            .drop_numeric(self.drop_numeric);
        self.with_stopwords(cfg, default_stopwords)
    }
}

/// The outputs of one command: files staged in one [`pmivec::output::Batch`] and
/// committed together after every stage has succeeded, or word2vec text to
/// stdout for `-o -`.
#[derive(Default)]
pub struct Outputs {
    batch: pmivec::output::Batch,
    stdout: Option<(Embeddings, Side)>,
    /// The row order the sidecars record.
    pub row_order: pmivec::embeddings::RowOrder,
}

impl Outputs {
    /// Stage `emb` (its `side`) for `out`, with a sidecar recording `config`,
    /// the input's checksum and the stage times.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        emb: &Embeddings,
        side: Side,
        format: Format,
        out: &Path,
        config: &impl serde::Serialize,
        input: &Path,
        stage_seconds: &[(String, f64)],
    ) -> anyhow::Result<()> {
        if out == Path::new("-") {
            self.stdout = Some((emb.clone(), side));
            return Ok(());
        }
        let mut meta = Metadata::new(emb, side, format, config).with_input(input)?;
        meta.stage_seconds = stage_seconds.to_vec();
        meta.row_order = self.row_order;
        self.batch.add(emb, side, format, out, &meta).context("writing the output")
    }

    /// The batch, to stage other files (a model) with the outputs.
    pub fn batch(&mut self) -> &mut pmivec::output::Batch {
        &mut self.batch
    }

    /// Rename every staged file into place, then print the stdout output.
    pub fn commit(self) -> anyhow::Result<()> {
        hold_for_tests();
        self.batch.commit().context("writing the output")?;
        if let Some((emb, side)) = self.stdout {
            let out = std::io::stdout().lock();
            emb.write_word2vec(side, std::io::BufWriter::new(out))?;
        }
        Ok(())
    }
}

/// `PMIVEC_HOLD_OUTPUT_MS`: wait between staging and committing, so the
/// tests can deliver a signal while temporary files exist. Unset: no wait.
fn hold_for_tests() {
    if let Some(ms) = std::env::var("PMIVEC_HOLD_OUTPUT_MS").ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Check every output before any work starts (see [`pmivec::output::check`]:
/// not an input, a special file or another output; a writable directory),
/// and return the run's outputs, whose files are checked again against the
/// same inputs when staged. `inputs` are every file the run reads — the
/// main input and the auxiliary ones (a config, stop words, anchors, labels).
pub fn check_outputs(inputs: &[&Path], outputs: &[(&Path, Format)]) -> anyhow::Result<Outputs> {
    check_outputs_and(inputs, outputs, &[])
}

/// [`check_outputs`], and `single` files without sidecars (a model).
pub fn check_outputs_and(inputs: &[&Path], outputs: &[(&Path, Format)], single: &[&Path]) -> anyhow::Result<Outputs> {
    use pmivec::output::{Inputs, Target};
    let inputs = Inputs::new(inputs);
    let targets: Vec<Target> =
        outputs.iter().map(|&(p, f)| Target::Embeddings(p, f)).chain(single.iter().map(|&p| Target::File(p))).collect();
    pmivec::output::check(&inputs, &targets)?;
    Ok(Outputs { batch: pmivec::output::Batch::reading(inputs), ..Outputs::default() })
}

/// `n` with thousands separators: 333,983.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "stage 1.23s · stage 0.45s".
pub fn stage_line(stages: &[(String, f64)]) -> String {
    stages.iter().map(|(s, t)| format!("{s} {t:.2}s")).collect::<Vec<_>>().join(" · ")
}
