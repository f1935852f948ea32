//! `pmivec embed EDGES -o OUT`.

use super::common::{FormatArg, SideArg, SvdArgs, save, stage_line};
use super::progress::Bars;
use anyhow::Context;
use clap::{Args, ValueEnum};
use pmivec::{Delimiter, EdgeListFormat, EmbedConfig, Graph};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum DelimArg {
    Auto,
    Tab,
    Comma,
    Whitespace,
}

#[derive(Args)]
pub struct EmbedArgs {
    /// Edge list: `source target [weight]` per line; tab, comma or space separated.
    edges: PathBuf,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
    /// Output format (npy also writes OUTPUT.ids).
    #[arg(long, value_enum, default_value = "word2vec")]
    format: FormatArg,
    /// Field separator of the edge list.
    #[arg(long, value_enum, default_value = "auto")]
    delimiter: DelimArg,
    /// Read the third column as the edge weight.
    #[arg(long)]
    weighted: bool,
    /// Edges are directed arcs.
    #[arg(long)]
    directed: bool,
    /// Embedding dimension d.
    #[arg(long, default_value_t = EmbedConfig::default().dim)]
    dim: usize,
    /// Window size T.
    #[arg(long, default_value_t = EmbedConfig::default().window)]
    window: usize,
    /// DeepWalk's walks per node (sampling budget, with --walk-length).
    #[arg(long, default_value_t = EmbedConfig::default().walks_per_node)]
    walks_per_node: f64,
    /// DeepWalk's walk length.
    #[arg(long, default_value_t = EmbedConfig::default().walk_length)]
    walk_length: usize,
    /// node2vec return parameter p (p = q = 1: DeepWalk).
    #[arg(long, default_value_t = EmbedConfig::default().p)]
    p: f64,
    /// node2vec in-out parameter q.
    #[arg(long, default_value_t = EmbedConfig::default().q)]
    q: f64,
    /// Factorize the exact NetMF matrix instead of sampling (small graphs; undirected or directed).
    #[arg(long)]
    exact: bool,
    /// Negative-sampling constant b (PMI shift log b).
    #[arg(long, default_value_t = EmbedConfig::default().neg)]
    neg: f64,
    /// Context-distribution smoothing exponent α (1 = none).
    #[arg(long, default_value_t = EmbedConfig::default().cds)]
    cds: f64,
    /// Drop pairs seen fewer times before the PMI.
    #[arg(long, default_value_t = EmbedConfig::default().min_pair_count)]
    min_pair_count: u32,
    /// Exponent p in U·Σ^p.
    #[arg(long, default_value_t = EmbedConfig::default().eig_weight)]
    eig_weight: f64,
    /// Which factor to write: left (nodes), right (contexts), both (concatenated), sum.
    #[arg(long, value_enum, default_value = "left")]
    side: SideArg,
    #[command(flatten)]
    svd: SvdArgs,
    /// No progress bars or summary.
    #[arg(short, long)]
    quiet: bool,
}

impl EmbedArgs {
    fn config(&self) -> EmbedConfig {
        EmbedConfig::default()
            .dim(self.dim)
            .window(self.window)
            .walks_per_node(self.walks_per_node)
            .walk_length(self.walk_length)
            .p(self.p)
            .q(self.q)
            .neg(self.neg)
            .cds(self.cds)
            .min_pair_count(self.min_pair_count)
            .seed(self.svd.seed)
            .threads(self.svd.threads)
            .oversample(self.svd.oversample)
            .power_iters(self.svd.power_iters)
            .eig_weight(self.eig_weight)
            .side(self.side.into())
    }
}

pub fn run(args: EmbedArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let config = args.config();
    config.validate()?;
    let format = EdgeListFormat::default()
        .delimiter(match args.delimiter {
            DelimArg::Auto => Delimiter::Auto,
            DelimArg::Tab => Delimiter::Tab,
            DelimArg::Comma => Delimiter::Comma,
            DelimArg::Whitespace => Delimiter::Whitespace,
        })
        .weighted(args.weighted)
        .directed(args.directed);
    let bars = Bars::new(args.quiet);
    let t = Instant::now();
    let graph = Graph::from_edge_list_path(&args.edges, &format).context("reading the edge list")?;
    let read_secs = t.elapsed().as_secs_f64();
    let (emb, report) =
        if args.exact { pmivec::embed_exact(&graph, &config, &bars)? } else { pmivec::embed(&graph, &config, &bars)? };
    let mut stages = vec![("read".to_owned(), read_secs)];
    stages.extend(report.stage_seconds.iter().cloned());
    let t = Instant::now();
    save(&emb, config.side, args.format.into(), &args.output, &config, &args.edges, &stages)?;
    stages.push(("write".into(), t.elapsed().as_secs_f64()));
    if !args.quiet {
        let s = graph.stats();
        eprintln!(
            "pmivec: {} nodes, {} adjacency entries ({} duplicate edges merged, {} self-loops); {} walks: {} steps, \
             {} distinct pairs, {} kept, {} PMI nonzeros | {} · total {:.2}s",
            graph.node_count(),
            graph.adjacency_len(),
            s.duplicate_edges,
            s.self_loops,
            report.walk_path,
            report.walk_steps,
            report.distinct_pairs,
            report.kept_pairs,
            report.pmi_nonzeros,
            stage_line(&stages),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
