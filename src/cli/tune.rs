//! `pmivec tune EDGES --labels LABELS -o BEST.toml`: pick this graph's
//! configuration by cross-validated node classification, write it as a
//! config file for `embed --config`.

use super::embed::{EmbedOptions, GraphInput};
use anyhow::Context;
use clap::{ArgMatches, Args};
use pmivec::eval;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct TuneArgs {
    /// Edge list.
    edges: PathBuf,
    /// `node<TAB>label` per line: the labelled nodes the search may see (keep a test set out of it).
    #[arg(long)]
    labels: PathBuf,
    /// Where the winning config goes (TOML, for `embed --config`).
    #[arg(short, long)]
    output: PathBuf,
    /// Seed of the cross-validation folds.
    #[arg(long, default_value_t = 0)]
    fold_seed: u64,
    #[command(flatten)]
    input: GraphInput,
    #[command(flatten)]
    options: EmbedOptions,
}

/// A candidate in a few words.
fn describe(c: &pmivec::EmbedConfig) -> String {
    let stage = match c.estimator {
        pmivec::config::Estimator::FirstOrder => "first-order".to_owned(),
        _ => format!("T={:<2} cds {}", c.window, c.cds.unwrap_or(1.0)),
    };
    let passes = c.propagation.passes.map_or("auto".into(), |p| p.to_string());
    format!("{stage:<16} eig {:<4} propagation {passes}", c.factorize.eig_weight)
}

pub fn run(args: TuneArgs, m: &ArgMatches) -> anyhow::Result<()> {
    let start = Instant::now();
    let base = args.options.config(m, args.input.directed)?;
    let mut inputs = vec![args.edges.as_path(), args.labels.as_path()];
    inputs.extend(args.options.config.as_deref());
    let mut outputs = super::common::check_outputs_and(&inputs, &[], &[&args.output])?;
    let graph = args.input.read(&args.edges, false)?;
    let labels = eval::read_node_labels(&args.labels).context("reading the labels")?;
    let trials = eval::tune(&graph, &labels, &base, args.fold_seed, |t| {
        eprintln!("rung {}  {}  Micro-F1 {:.4}  ({:.1}s)", t.rung, describe(&t.config), t.micro_f1, t.seconds);
    })?;
    outln!("{:<4} {:<5} {:>8}  config", "rank", "rung", "Micro-F1");
    for (i, t) in trials.iter().take(10).enumerate() {
        outln!("{:<4} {:<5} {:>8.4}  {}", i + 1, t.rung, t.micro_f1, describe(&t.config));
    }
    let best = &trials[0].config;
    let text = format!(
        "# pmivec tune {}: best of {} candidates, cross-validated Micro-F1 {:.4}\n{}",
        args.edges.display(),
        trials.len(),
        trials[0].micro_f1,
        toml::to_string(best)?
    );
    outputs.batch().add_bytes(&args.output, text.as_bytes())?;
    outputs.commit()?;
    eprintln!(
        "pmivec: wrote {} in {:.1}s; use it with `pmivec embed EDGES --config {}`",
        args.output.display(),
        start.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(())
}

impl TuneArgs {
    pub fn threads(&self) -> usize {
        self.options.factorize.threads
    }
}
