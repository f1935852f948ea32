//! Argument parsing and subcommand dispatch.

/// `println!` that returns the write error (a closed pipe ends the command
/// quietly, see main) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($t)*)?;
    }};
}

mod common;
mod config;
mod docs;
mod embed;
mod foldin;
mod eval;
mod info;
mod plot;
mod tools;
mod tune;
mod progress;
mod query;
mod words;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Graph, word and document embeddings by PMI matrix factorization.
#[derive(Parser)]
#[command(name = "pmivec", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Embed the nodes of an edge list (NetMF: walks → PMI → SVD).
    Embed(embed::EmbedArgs),
    /// Word vectors from text (PPMI → SVD).
    Words(words::WordsArgs),
    /// Document and term vectors from documents (tf-idf → SVD, LSA).
    Docs(docs::DocsArgs),
    /// Nearest neighbours, analogies and similarities.
    Query(query::QueryArgs),
    /// Evaluate on node classification, word-similarity, analogy and document benchmarks.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// What an embedding file is: shape, row order, provenance and config (from its sidecar).
    Info(info::InfoArgs),
    /// Pick the configuration for a graph (by cross-validated node classification with --labels, by the graph's
    /// locality without); write it as a config file.
    Tune(tune::TuneArgs),
    /// Embed nodes added after `embed --save-model`, from their edges to known nodes, without refitting.
    FoldIn(foldin::FoldInArgs),
    /// Align one embedding onto another (orthogonal Procrustes over shared labels or given anchors).
    Align(tools::AlignArgs),
    /// A picture of an embedding (t-SNE or PCA map coloured by label) or of its singular values.
    Plot(plot::PlotArgs),
    /// PCA of a dense (npy, CSV) or sparse (`row col value`) feature matrix; prints explained variance.
    Pca(tools::PcaArgs),
}

/// A library message in the command line's words: each backticked
/// parameter name (`min_pair_count`) that is one of the command line's long
/// flags becomes that flag (`--min-pair-count`). The library names its
/// parameters as its configs and the Python keywords do.
pub fn in_flags(message: &str) -> String {
    fn longs(c: &clap::Command, out: &mut std::collections::HashSet<String>) {
        out.extend(c.get_arguments().filter_map(|a| a.get_long().map(str::to_owned)));
        c.get_subcommands().for_each(|s| longs(s, out));
    }
    let mut flags = std::collections::HashSet::new();
    longs(&Cli::command(), &mut flags);
    let mut out = String::with_capacity(message.len());
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let name = part.replace('_', "-");
        let is_name = !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if i % 2 == 1 && is_name && flags.contains(&name) {
            out.push_str("--");
            out.push_str(&name);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The whole command (reading and writing too, not just the library's
/// stages) on `threads` threads (0 = all cores): what the resolved config
/// says, flag or config file. Called once the config is known, before any
/// parallel work.
pub(crate) fn use_threads(threads: usize) {
    if threads > 0 {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().ok();
    }
}

/// Ok(true): success; Ok(false): ran, but some query found nothing (exit 1).
pub fn run() -> anyhow::Result<bool> {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let sub = |name: &str| matches.subcommand_matches(name).cloned().unwrap_or_default();
    // SIGINT/SIGTERM during a run: remove the temporary output files, which
    // no destructor will, and exit as a shell expects (128 + 2).
    let _ = ctrlc::set_handler(|| {
        pmivec::output::remove_staged_files();
        std::process::exit(130);
    });
    match cli.command {
        Command::Embed(args) => embed::run(args, &sub("embed")).map(|_| true),
        Command::Words(args) => words::run(args, &sub("words")).map(|_| true),
        Command::Docs(args) => docs::run(args, &sub("docs")).map(|_| true),
        Command::Info(args) => info::run(args).map(|_| true),
        Command::Tune(args) => tune::run(args, &sub("tune")).map(|_| true),
        Command::FoldIn(args) => foldin::run(args).map(|_| true),
        Command::Align(args) => tools::run_align(args).map(|_| true),
        Command::Pca(args) => tools::run_pca(args).map(|_| true),
        Command::Plot(args) => plot::run(args).map(|_| true),
        Command::Query(args) => query::run(args),
        Command::Eval(cmd) => eval::run(cmd, &sub("eval")).map(|_| true),
    }
}
