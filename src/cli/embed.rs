//! `pmivec embed EDGES -o OUT`.

use super::progress::Bars;
use anyhow::Context;
use clap::{Args, ValueEnum};
use pmivec::io::{self, Format, Metadata};
use pmivec::{Delimiter, EdgeListFormat, EmbedConfig, Graph, Side};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum DelimArg {
    Auto,
    Tab,
    Comma,
    Whitespace,
}

#[derive(Clone, Copy, ValueEnum)]
enum SideArg {
    Left,
    Right,
    Both,
    Sum,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Word2vec,
    Npy,
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
    /// Random seed.
    #[arg(long, default_value_t = EmbedConfig::default().seed)]
    seed: u64,
    /// Worker threads (0 = all cores); the output does not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Extra columns of the randomized SVD sketch.
    #[arg(long, default_value_t = EmbedConfig::default().oversample)]
    oversample: usize,
    /// Power iterations of the randomized SVD.
    #[arg(long, default_value_t = EmbedConfig::default().power_iters)]
    power_iters: usize,
    /// Exponent p in U·Σ^p.
    #[arg(long, default_value_t = EmbedConfig::default().eig_weight)]
    eig_weight: f64,
    /// Which factor to write: left (nodes), right (contexts), both (concatenated), sum.
    #[arg(long, value_enum, default_value = "left")]
    side: SideArg,
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
            .seed(self.seed)
            .threads(self.threads)
            .oversample(self.oversample)
            .power_iters(self.power_iters)
            .eig_weight(self.eig_weight)
            .side(match self.side {
                SideArg::Left => Side::Left,
                SideArg::Right => Side::Right,
                SideArg::Both => Side::Both,
                SideArg::Sum => Side::Sum,
            })
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
    let t = Instant::now();
    let out_format = match args.format {
        FormatArg::Word2vec => Format::Word2vec,
        FormatArg::Npy => Format::Npy,
    };
    let mut meta = Metadata::new(&emb, config.side, out_format, &config);
    meta.input = Some(args.edges.clone());
    meta.input_sha256 = Some(io::file_sha256(&args.edges)?);
    meta.stage_seconds.push(("read".into(), read_secs));
    meta.stage_seconds.extend(report.stage_seconds.iter().cloned());
    io::save(&emb, config.side, out_format, &args.output, &meta)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let write_secs = t.elapsed().as_secs_f64();
    if !args.quiet {
        let s = graph.stats();
        let mut line = format!(
            "pmivec: {} nodes, {} adjacency entries ({} duplicate edges merged, {} self-loops); {} walks: {} steps, {} distinct pairs, {} kept, {} PMI nonzeros | read {:.2}s",
            graph.node_count(),
            graph.adjacency_len(),
            s.duplicate_edges,
            s.self_loops,
            report.walk_path,
            report.walk_steps,
            report.distinct_pairs,
            report.kept_pairs,
            report.pmi_nonzeros,
            read_secs
        );
        for (stage, secs) in &report.stage_seconds {
            line.push_str(&format!(" · {stage} {secs:.2}s"));
        }
        line.push_str(&format!(" · write {write_secs:.2}s · total {:.2}s", start.elapsed().as_secs_f64()));
        eprintln!("{line}");
    }
    Ok(())
}
