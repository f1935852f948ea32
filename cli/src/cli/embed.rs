//! `pmivec embed EDGES -o OUT`.

use super::common::{FactorizeArgs, check_outputs_and, stage_line, thousands};
use super::progress::Bars;
use anyhow::Context;
use clap::{ArgMatches, Args, ValueEnum};
use pmivec::Side;
use pmivec::budget::human_bytes;
use pmivec::config::{Budget, Estimator};
use pmivec::io::Format;
use pmivec::propagate::PropagationConfig;
use pmivec::{Delimiter, EdgeListFormat, EmbedConfig, Graph};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum OrderArg {
    Input,
    Id,
}

#[derive(Args)]
pub struct EmbedArgs {
    /// Edge list: `source target [weight]` per line, tab, comma or space separated (also gzip/zstd),
    /// or a Parquet file of those two or three columns (integer or string ids).
    edges: PathBuf,
    /// Output file (`-`: word2vec text on stdout).
    #[arg(short, long)]
    output: PathBuf,
    /// Output format [default: from the output's name: `.npy` → npy, `.parquet` → parquet, else word2vec text] (npy also
    /// writes OUTPUT.ids).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Row order of the output: input (first appearance) or id (numeric ascending when every id is an
    /// integer, so row i is node i; else lexicographic). The sidecar records it.
    #[arg(long, value_enum, default_value = "input")]
    order: OrderArg,
    /// Which factor to write: left (nodes), right (contexts), both (concatenated), sum.
    #[arg(long, value_enum, default_value = "left")]
    side: Side,
    #[command(flatten)]
    input: GraphInput,
    #[command(flatten)]
    options: EmbedOptions,
    /// Also save a model that `pmivec fold-in` uses to embed nodes added later.
    #[arg(long)]
    save_model: Option<PathBuf>,
    /// No progress bars or summary.
    #[arg(short, long)]
    quiet: bool,
}

/// How to read an edge list.
#[derive(Args, Clone)]
pub struct GraphInput {
    /// Field separator of the edge list.
    #[arg(long, value_enum, default_value = "auto")]
    delimiter: Delimiter,
    /// Read the third column as the edge weight.
    #[arg(long)]
    weighted: bool,
    /// Edges are directed arcs.
    #[arg(long)]
    pub directed: bool,
}

impl GraphInput {
    /// Read `path`, with a note on stderr when a header line was skipped.
    pub fn read(&self, path: &std::path::Path, quiet: bool) -> anyhow::Result<Graph> {
        let format =
            EdgeListFormat::default().delimiter(self.delimiter).weighted(self.weighted).directed(self.directed);
        let graph = Graph::from_edge_list_path(path, &format).context("reading the edge list")?;
        if let (Some(h), false) = (&graph.stats().header, quiet) {
            eprintln!("pmivec: note: skipped the first line `{h}` of {} as a header", path.display());
        }
        if let (Some(hint), false) = (graph.undirected_hint(), quiet) {
            eprintln!("pmivec: warning: {}: {hint}", path.display());
        }
        if let (Some(hint), false) = (graph.directed_hint(), quiet) {
            eprintln!("pmivec: note: {}: {hint} (--directed)", path.display());
        }
        Ok(graph)
    }
}

/// Every parameter of the graph path (shared by `embed`, `eval links` and `tune`).
#[derive(Args, Clone)]
pub struct EmbedOptions {
    /// The matrix to factorize: windows of random walks (NetMF), the exact first-order matrix (ProNE's first
    /// stage), NetMF's closed-form matrix (exact: small graphs), or auto: the first-order matrix on a local graph
    /// (word co-occurrence: the locality probe, see the summary), else windows while 60 steps per edge fit a
    /// 2.5e8-step cap, first-order beyond.
    #[arg(long, value_enum, default_value = "auto")]
    estimator: Estimator,
    /// Window size T.
    #[arg(long, default_value_t = EmbedConfig::default().window)]
    window: usize,
    /// Walk budget in steps per edge (adjacency entry) [default: 60, at most 2.5e8 steps in all].
    #[arg(long, conflicts_with = "walks_per_node")]
    steps_per_edge: Option<f64>,
    /// Walk budget as DeepWalk's walks per node (with --walk-length).
    #[arg(long)]
    walks_per_node: Option<f64>,
    /// DeepWalk's walk length, with --walks-per-node.
    #[arg(long, default_value_t = 80, requires = "walks_per_node")]
    walk_length: usize,
    /// node2vec return parameter p (p = q = 1: DeepWalk).
    #[arg(long, default_value_t = EmbedConfig::default().p)]
    p: f64,
    /// node2vec in-out parameter q.
    #[arg(long, default_value_t = EmbedConfig::default().q)]
    q: f64,
    /// The same as --estimator exact: factorize NetMF's closed-form matrix instead of sampling (small graphs).
    #[arg(long, conflicts_with = "estimator")]
    exact: bool,
    /// Negative-sampling constant b (PMI shift log b).
    #[arg(long, default_value_t = EmbedConfig::default().neg)]
    neg: f64,
    /// Context-distribution smoothing exponent α [default: 1 for windows, 0.75 for the first-order matrix].
    #[arg(long)]
    cds: Option<f64>,
    /// Drop window pairs seen fewer times before the PMI.
    #[arg(long, default_value_t = EmbedConfig::default().min_pair_count)]
    min_pair_count: u32,
    /// Spectral propagation passes (ProNE's band-pass filter after the SVD), `none`, or `auto`: 6 on an
    /// undirected graph whose signal reaches two steps (the locality probe), none on a local graph (word
    /// co-occurrence) and on directed ones, where it measured worse.
    #[arg(long, default_value = "auto")]
    propagation: String,
    /// Centre μ of the propagation filter, in [0, 2] (the Laplacian's spectrum; outside it the filter's
    /// Chebyshev series does not converge at 10 terms). On word co-occurrence graphs `auto` turns propagation off.
    #[arg(long, default_value_t = PropagationConfig::default().mu, allow_negative_numbers = true)]
    mu: f64,
    /// Width θ of the propagation filter.
    #[arg(long, default_value_t = PropagationConfig::default().theta)]
    theta: f64,
    /// Refuse a run whose estimated peak memory is above this (e.g. 2G, 512M) [default: 80% of physical memory].
    #[arg(long)]
    memory_limit: Option<String>,
    /// Folder for the dense blocks of a run that fits under the memory limit only with them memory-mapped
    /// on disk (chosen by the plan, said in the summary) [default: the system's temporary folder].
    #[arg(long, value_name = "DIR")]
    scratch_dir: Option<PathBuf>,
    #[command(flatten)]
    pub factorize: FactorizeArgs,
    #[command(flatten)]
    pub weighted: super::common::WeightedArgs,
    /// Parameters from a file: TOML, or the JSON sidecar of an earlier run. Flags given here override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl EmbedOptions {
    /// The config: the file's (or the defaults), then every flag given on
    /// the command line.
    pub fn config(&self, m: &ArgMatches, keep_context: bool) -> anyhow::Result<EmbedConfig> {
        let mut c: EmbedConfig = match &self.config {
            Some(path) => super::config::load(path)?,
            None => EmbedConfig::default(),
        };
        let given = |id: &str| super::config::given(m, id);
        if given("estimator") {
            c.estimator = self.estimator;
        }
        if self.exact {
            c.estimator = Estimator::Exact;
        }
        if let Some(s) = self.steps_per_edge {
            c.budget = Budget::StepsPerEdge(s);
        } else if let Some(w) = self.walks_per_node {
            c.budget = Budget::WalksPerNode { walks: w, length: self.walk_length };
        }
        macro_rules! take {
            ($($flag:literal => $field:expr, $value:expr;)*) => { $( if given($flag) { $field = $value; } )* };
        }
        take! {
            "window" => c.window, self.window;
            "p" => c.p, self.p;
            "q" => c.q, self.q;
            "neg" => c.neg, self.neg;
            "cds" => c.cds, self.cds;
            "min_pair_count" => c.min_pair_count, self.min_pair_count;
            "mu" => c.propagation.mu, self.mu;
            "theta" => c.propagation.theta, self.theta;
        }
        if given("propagation") {
            c.propagation.passes = match self.propagation.as_str() {
                "auto" => None,
                "none" | "off" => Some(0),
                n => Some(
                    n.parse()
                        .with_context(|| format!("--propagation `{n}`: give a number of passes, `none` or `auto`"))?,
                ),
            };
        }
        if let Some(limit) = &self.memory_limit {
            c.memory_limit = Some(pmivec::budget::parse_size(limit)?);
        }
        if let Some(dir) = &self.scratch_dir {
            c.scratch_dir = Some(dir.clone());
        }
        c.factorize = self.factorize.apply_given(c.factorize, m);
        (c.factorizer, c.weighted) = self.weighted.apply(c.factorizer, c.weighted);
        c.keep_context = keep_context;
        c.validate()?;
        Ok(c)
    }
}

pub fn run(args: EmbedArgs, matches: &ArgMatches) -> anyhow::Result<()> {
    let start = Instant::now();
    let config = args.options.config(matches, !matches!(args.side, Side::Left))?;
    super::use_threads(config.factorize.threads);
    let model_path: Vec<&std::path::Path> = args.save_model.iter().map(|p| p.as_path()).collect();
    let mut inputs = vec![args.edges.as_path()];
    inputs.extend(args.options.config.as_deref());
    let format = super::common::format_of(&args.output, args.format)?;
    let mut outputs = check_outputs_and(&inputs, &[(&args.output, format)], &model_path)?;
    let bars = Bars::new(args.quiet);
    let t = Instant::now();
    let graph = args.input.read(&args.edges, args.quiet)?;
    let read_secs = t.elapsed().as_secs_f64();
    let (mut emb, report, model) = if args.save_model.is_some() {
        let (e, r, m) = pmivec::embed_with_model(&graph, &config, &bars)?;
        (e, r, Some(m))
    } else {
        let (e, r) = pmivec::embed(&graph, &config, &bars)?;
        (e, r, None)
    };
    if matches!(args.order, OrderArg::Id) {
        emb.sort_by_id();
    }
    let mut stages = vec![("read".to_owned(), read_secs)];
    stages.extend(report.stage_seconds.iter().cloned());
    let t = Instant::now();
    let order = match args.order {
        OrderArg::Input => pmivec::embeddings::RowOrder::Input,
        OrderArg::Id => pmivec::embeddings::RowOrder::Id,
    };
    outputs.row_order = order;
    outputs.add(&emb, args.side, format, &args.output, &config, &args.edges, &stages)?;
    if let (Some(model), Some(path)) = (model, &args.save_model) {
        model.with_side(args.side)?.stage(outputs.batch(), path).context("writing the model")?;
    }
    outputs.commit()?;
    stages.push(("write".into(), t.elapsed().as_secs_f64()));
    if !args.quiet {
        let s = graph.stats();
        let walks = if report.walk_steps > 0 {
            format!(
                "{} walks: {} steps, {} distinct pairs, {} kept; ",
                report.walk_path,
                thousands(report.walk_steps),
                thousands(report.distinct_pairs),
                thousands(report.kept_pairs)
            )
        } else {
            String::new()
        };
        let memory = if report.memory_estimate.0 > 0 {
            format!(
                "; memory estimate {} (limit {})",
                human_bytes(report.memory_estimate.0),
                human_bytes(report.memory_estimate.1)
            )
        } else {
            String::new()
        };
        let auto = if report.auto.is_empty() { String::new() } else { format!("; auto: {}", report.auto) };
        let memory = if report.out_of_core.is_empty() { memory } else { format!("{memory}; {}", report.out_of_core) };
        let zeros = emb.zero_rows(args.side);
        let zeros = if zeros > 0 { format!(", {} zero rows", thousands(zeros as u64)) } else { String::new() };
        eprintln!(
            "pmivec: wrote {}: {} nodes{zeros}, {} {} ({} duplicates merged, {} self-loops); {} ({}){auto}{memory}; \
             {walks}{} nonzeros, SVD with {} power iterations, {} propagation passes | {} · total {:.2}s",
            args.output.display(),
            thousands(graph.node_count() as u64),
            thousands(graph.edge_count() as u64),
            if graph.is_directed() { "arcs" } else { "edges" },
            thousands(s.duplicate_edges),
            thousands(s.self_loops),
            report.estimator,
            report.reason,
            thousands(report.pmi_nonzeros),
            report.power_iters,
            report.propagation_passes,
            stage_line(&stages),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
