//! `pmivec tune EDGES [--labels LABELS] -o BEST.toml`: pick this graph's
//! configuration — by cross-validated node classification with labels, by
//! the label-free locality probe without — and write it as a config file
//! for `embed --config`.

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
    /// Without labels, the graph's locality decides (what `embed` does by default), written out explicitly.
    #[arg(long)]
    labels: Option<PathBuf>,
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
    use pmivec::config::Estimator;
    let stage = match c.estimator {
        Estimator::FirstOrder => "first-order".to_owned(),
        Estimator::Exact => format!("exact T={:<2}", c.window),
        Estimator::Windows | Estimator::Auto => format!("T={:<2} cds {}", c.window, c.cds.unwrap_or(1.0)),
    };
    let passes = c.propagation.passes.map_or("auto".into(), |p| p.to_string());
    format!("{stage:<16} eig {:<4} propagation {passes}", c.factorize.eig_weight)
}

pub fn run(args: TuneArgs, m: &ArgMatches) -> anyhow::Result<()> {
    let start = Instant::now();
    let base = args.options.config(m, args.input.directed)?;
    super::use_threads(base.factorize.threads);
    let mut inputs = vec![args.edges.as_path()];
    inputs.extend(args.labels.as_deref());
    inputs.extend(args.options.config.as_deref());
    let outputs = super::common::check_outputs_and(&inputs, &[], &[&args.output])?;
    let graph = args.input.read(&args.edges, false)?;
    let Some(labels) = &args.labels else {
        let (best, why, found) = pmivec::pipeline::choose_config(&graph, &base, &pmivec::NoProgress)?;
        if let Some(f) = found {
            outln!(
                "locality: one step {:.4}, two steps {:.4}, random pairs {:.4}: two-step reach {:.3}",
                f.one_step,
                f.two_steps,
                f.random,
                f.reach()
            );
        }
        outln!("chosen: {} ({why})", describe(&best));
        let text = format!("# pmivec tune {} without labels: {why}\n{}", args.edges.display(), toml::to_string(&best)?);
        return write_config(outputs, &args.output, &text, start);
    };
    let labels = eval::read_node_labels(labels).context("reading the labels")?;
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
    write_config(outputs, &args.output, &text, start)
}

/// Write the chosen config and say how to use it.
fn write_config(
    mut outputs: super::common::Outputs,
    path: &std::path::Path,
    text: &str,
    start: Instant,
) -> anyhow::Result<()> {
    outputs.batch().add_bytes(path, text.as_bytes())?;
    outputs.commit()?;
    eprintln!(
        "pmivec: wrote {} in {:.1}s; use it with `pmivec embed EDGES --config {}`",
        path.display(),
        start.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}
