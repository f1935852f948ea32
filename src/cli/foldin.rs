//! `pmivec fold-in MODEL NEW_EDGES -o OUT`: embed nodes added after a run
//! saved with `embed --save-model`, without refitting.

use super::common::{FormatArg, Outputs, check_outputs};
use super::embed::GraphInput;
use anyhow::Context;
use clap::Args;
use pmivec::Side;
use pmivec::foldin::Model;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct FoldInArgs {
    /// A model saved by `pmivec embed --save-model`.
    model: PathBuf,
    /// Edges between new nodes and the model's nodes (`source target [weight]`); edges among known or
    /// among new nodes are skipped. Directed models (known from the model) use a new node's out-arcs.
    edges: PathBuf,
    /// Output file for the new nodes' vectors (`-`: word2vec text on stdout).
    #[arg(short, long)]
    output: PathBuf,
    /// Output format (npy also writes OUTPUT.ids).
    #[arg(long, value_enum, default_value = "word2vec")]
    format: FormatArg,
    #[command(flatten)]
    input: GraphInput,
    /// No summary.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(mut args: FoldInArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    check_outputs(&[&args.model, &args.edges], &[(&args.output, args.format.into())])?;
    let model = Model::load(&args.model).context("reading the model")?;
    args.input.directed = model.directed;
    let edges = args.input.read(&args.edges, args.quiet)?;
    let t = Instant::now();
    let emb = model.fold_in_graph(&edges).map_err(|e| e.with_path(&args.edges))?;
    let fold_secs = t.elapsed().as_secs_f64();
    let mut outputs = Outputs::default();
    let recorded = serde_json::json!({"fold_in": {"model": args.model, "edges": args.edges}});
    outputs.add(
        &emb,
        Side::Left,
        args.format.into(),
        &args.output,
        &recorded,
        &args.edges,
        &[("fold-in".into(), fold_secs)],
    )?;
    outputs.commit()?;
    if !args.quiet {
        eprintln!(
            "pmivec: wrote {}: {} new nodes folded into a model of {} nodes in {:.2}s · total {:.2}s",
            args.output.display(),
            emb.len(),
            model.labels.len(),
            fold_secs,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
