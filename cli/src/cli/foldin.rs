//! `pmivec fold-in MODEL NEW -o OUT`: embed nodes added after a run saved
//! with `embed --save-model` (NEW: edges), or words met after `words
//! --save-model` (NEW: text), without refitting.

use super::common::check_outputs;
use super::embed::GraphInput;
use anyhow::Context;
use clap::Args;
use pmivec::Side;
use pmivec::foldin::Saved;
use pmivec::io::Format;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct FoldInArgs {
    /// A model saved by `pmivec embed --save-model` or `pmivec words --save-model`.
    model: PathBuf,
    /// Graph model: edges between new nodes and the model's nodes (`source target [weight]`); edges among
    /// known or among new nodes are skipped, and directed models use a new node's out-arcs. Word model:
    /// text (plain or gzip, a sentence per line) in which the new words occur.
    edges: PathBuf,
    /// Word model: new words seen fewer times are dropped (before windows, as the model dropped rare
    /// words) [default: the model's --min-count].
    #[arg(long)]
    min_count: Option<u64>,
    /// Graph model: rounds of placement — round 1 places the new nodes with an edge to a model node,
    /// each further round those with an edge to a node placed before [default: until no more can be
    /// placed].
    #[arg(long)]
    rounds: Option<u64>,
    /// Output file for the new nodes' vectors (`-`: word2vec text on stdout).
    #[arg(short, long)]
    output: PathBuf,
    /// Output format [default: from the output's name: `.npy` → npy, `.parquet` → parquet, else word2vec text] (npy also
    /// writes OUTPUT.ids).
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    input: GraphInput,
    /// No summary.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(mut args: FoldInArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    if args.rounds == Some(0) {
        anyhow::bail!("--rounds must be at least 1 (round 1 places the new nodes with an edge to a model node)");
    }
    let format = super::common::format_of(&args.output, args.format)?;
    let mut outputs = check_outputs(&[&args.model, &args.edges], &[(&args.output, format)])?;
    let mut side = Side::Left;
    let mut unplaced = Vec::new();
    let mut rounds = Vec::new();
    let (emb, known, fold_secs) = match Saved::load(&args.model).context("reading the model")? {
        Saved::Graph(model) => {
            side = model.side;
            args.input.directed = model.directed;
            let edges = args.input.read(&args.edges, args.quiet)?;
            let t = Instant::now();
            let max_rounds = args.rounds.map_or(usize::MAX, |r| r as usize);
            let folded = model.fold_in_graph_rounds(&edges, max_rounds).map_err(|e| e.with_path(&args.edges))?;
            unplaced = model.unplaced(&edges, &folded.embeddings);
            rounds = folded.rounds;
            (folded.embeddings, format!("{} nodes", model.labels.len()), t.elapsed().as_secs_f64())
        }
        Saved::Words(model) => {
            let lines = pmivec::text::read_lines(&args.edges)?;
            let t = Instant::now();
            let min_count = args.min_count.unwrap_or(model.text.min_count);
            let emb = model.fold_in(&lines, min_count).map_err(|e| e.with_path(&args.edges))?;
            (emb, format!("{} words", model.words.len()), t.elapsed().as_secs_f64())
        }
    };
    let recorded = serde_json::json!({"fold_in": {"model": args.model, "edges": args.edges}});
    outputs.add(&emb, side, format, &args.output, &recorded, &args.edges, &[("fold-in".into(), fold_secs)])?;
    outputs.commit()?;
    if !args.quiet {
        let dropped = if unplaced.is_empty() {
            String::new()
        } else {
            let some: Vec<&str> = unplaced.iter().take(5).map(String::as_str).collect();
            let more = if unplaced.len() > 5 { ", …" } else { "" };
            let why = if rounds.len() == 1 && args.rounds != Some(1) {
                "their edges lead only to other new nodes, and this model cannot place from new nodes (directed, \
                 or saved by an earlier release without U)"
            } else if args.rounds.is_some_and(|r| r as usize == rounds.len()) {
                "not reached within --rounds"
            } else {
                "no path of new edges leads to a model node"
            };
            format!("; {} new nodes got no row: {why} ({}{more})", unplaced.len(), some.join(", "))
        };
        let by_round = if rounds.len() > 1 {
            let r: Vec<String> = rounds.iter().map(|n| n.to_string()).collect();
            format!(" ({} rounds: {})", rounds.len(), r.join(" + "))
        } else {
            String::new()
        };
        eprintln!(
            "pmivec: wrote {}: {} new rows{by_round} folded into a model of {known} in {:.2}s · total {:.2}s{dropped}",
            args.output.display(),
            emb.len(),
            fold_secs,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
