//! `pmivec eval …`: score embeddings on the standard benchmarks. Results go
//! to stdout as JSON, a readable summary to stderr.

use super::docs::LsaArgs;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use pmivec::Side;
use pmivec::eval;
use pmivec::lsa::{Lsa, read_documents};
use pmivec::similarity::Index;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Multi-label node classification (DeepWalk/NetMF protocol): one-vs-rest logistic regression, top-k.
    Nodes(NodesEval),
    /// Link prediction: hold out edges, embed the rest (any embed option), rank held-out edges against non-edges.
    Links(LinksEval),
    /// Word similarity (Spearman) and analogies (3CosAdd, 3CosMul) of word vectors.
    Words(WordsEval),
    /// LSA document classification: k-fold logistic-regression accuracy.
    Docs(DocsEval),
    /// The Lee benchmark: LSA fitted on a background corpus, the test documents
    /// folded in, Pearson correlation of cosine similarities with human judgments.
    Lee(LeeEval),
}

#[derive(Args)]
pub struct NodesEval {
    /// Node vectors: word2vec text, npy (+ .ids) or Parquet; rows are matched to labels by node id, in any order.
    embeddings: PathBuf,
    /// `node<TAB>label` per line (a node may have several labels).
    labels: PathBuf,
    /// Training ratios.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5,0.9")]
    ratios: Vec<f64>,
    /// Seeded random splits per ratio.
    #[arg(long, default_value_t = 5)]
    splits: usize,
    /// Seed of the splits.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Inverse regularization strength of the logistic regressions.
    #[arg(long = "C", default_value_t = 1.0)]
    c: f64,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct LinksEval {
    /// Edge list.
    edges: PathBuf,
    /// Share of the edges held out.
    #[arg(long, default_value_t = 0.1)]
    test_fraction: f64,
    /// Seed of the split and of the sampled non-edges.
    #[arg(long, default_value_t = 0)]
    split_seed: u64,
    /// Print JSON instead of a line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    input: super::embed::GraphInput,
    #[command(flatten)]
    options: super::embed::EmbedOptions,
}

#[derive(Args)]
pub struct WordsEval {
    /// Word vectors in word2vec text format.
    embeddings: PathBuf,
    /// Similarity sets (`w1<TAB>w2<TAB>score`, e.g. WordSim353, SimLex-999); repeatable.
    #[arg(long)]
    similarity: Vec<PathBuf>,
    /// Analogy questions (questions-words.txt format).
    #[arg(long)]
    analogy: Option<PathBuf>,
    /// Search analogy answers among the most frequent N words (0 = all).
    #[arg(long, default_value_t = 30_000)]
    restrict: usize,
    /// Print JSON on stdout (the table goes to stderr).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DocsEval {
    /// Documents `id<TAB>label<TAB>text` (the label column is --label-column).
    corpus: PathBuf,
    /// 1-based column holding the label.
    #[arg(long, default_value_t = 2)]
    label_column: usize,
    /// Folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Print JSON on stdout (the table goes to stderr).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    lsa: LsaArgs,
}

#[derive(Args)]
pub struct LeeEval {
    /// Background corpus the LSA space is fitted on (lee_background.cor).
    #[arg(long)]
    background: PathBuf,
    /// The 50 test documents (lee.cor).
    #[arg(long)]
    docs: PathBuf,
    /// 50 × 50 human similarity matrix (similarities0-1.txt).
    #[arg(long)]
    similarities: PathBuf,
    /// Print JSON on stdout (the table goes to stderr).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    lsa: LsaArgs,
}

/// A line of the human-readable table: on stdout, or on stderr when stdout
/// carries JSON (`--json`), so every `eval` command reads the same way.
macro_rules! table {
    ($json:expr, $($arg:tt)*) => {
        if $json { eprintln!($($arg)*) } else { outln!($($arg)*) }
    };
}

pub fn run(cmd: EvalCommand, m: &clap::ArgMatches) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Nodes(a) => nodes(a),
        EvalCommand::Links(a) => links(a, m),
        EvalCommand::Words(a) => words(a),
        EvalCommand::Docs(a) => docs(a),
        EvalCommand::Lee(a) => lee(a),
    }
}

fn nodes(args: NodesEval) -> anyhow::Result<()> {
    let t = Instant::now();
    let emb = pmivec::Embeddings::load(&args.embeddings).context("reading the embeddings")?;
    let labels = eval::read_node_labels(&args.labels).context("reading the labels")?;
    let config = eval::NodeEval { ratios: args.ratios, splits: args.splits, seed: args.seed, c: args.c };
    let scores = eval::node_classification(&emb, Side::Left, &labels, &config)?;
    if args.json {
        outln!("{}", serde_json::to_string(&scores)?);
        return Ok(());
    }
    outln!(
        "{} labelled nodes, {} labels, d = {}, {} missing from the embedding, {} with zero vectors, {} splits, C = {}",
        scores.labelled,
        scores.labels,
        emb.dim(),
        scores.missing,
        scores.zero_vectors,
        config.splits,
        config.c
    );
    outln!("{:>6}  {:>17}  {:>17}", "ratio", "Micro-F1", "Macro-F1");
    for r in &scores.ratios {
        outln!("{:>6}  {:.4} ± {:.4}  {:.4} ± {:.4}", r.ratio, r.micro_mean, r.micro_std, r.macro_mean, r.macro_std);
    }
    eprintln!("pmivec: evaluated in {:.2}s", t.elapsed().as_secs_f64());
    Ok(())
}

fn links(args: LinksEval, m: &clap::ArgMatches) -> anyhow::Result<()> {
    let t = Instant::now();
    let m = m.subcommand_matches("links").cloned().unwrap_or_default();
    let config = args.options.config(&m, args.input.directed)?;
    let graph = args.input.read(&args.edges, true)?;
    let split = eval::split_edges(&graph, args.test_fraction, args.split_seed)?;
    let (emb, _) = pmivec::embed(&split.train, &config, &pmivec::NoProgress)?;
    let s = eval::score_links(&emb, args.input.directed, &split);
    if args.json {
        outln!("{}", serde_json::to_string(&s)?);
    } else {
        outln!(
            "{} held-out edges, {} non-edges: ROC-AUC {:.4} / AP {:.4} by inner product, {:.4} / {:.4} by cosine",
            s.positives,
            s.negatives,
            s.auc_dot,
            s.ap_dot,
            s.auc_cos,
            s.ap_cos
        );
    }
    eprintln!("pmivec: evaluated in {:.2}s", t.elapsed().as_secs_f64());
    Ok(())
}

fn words(args: WordsEval) -> anyhow::Result<()> {
    if args.similarity.is_empty() && args.analogy.is_none() {
        bail!("nothing to evaluate: give --similarity and/or --analogy");
    }
    let emb = pmivec::Embeddings::load(&args.embeddings).context("reading the embeddings")?;
    let index = Index::new(&emb, Side::Left);
    let mut json = serde_json::Map::new();
    for path in &args.similarity {
        let s = eval::word_similarity(&index, path)?;
        let name = path.file_stem().unwrap_or_default().to_string_lossy().to_string();
        table!(args.json, "{name}: Spearman {:.4} ({} of {} pairs covered)", s.spearman, s.covered, s.total);
        json.insert(name, serde_json::to_value(s)?);
    }
    if let Some(path) = &args.analogy {
        let t = Instant::now();
        let a = eval::analogy(&index, path, args.restrict)?;
        for s in &a.sections {
            let pct = |k: usize| if s.covered == 0 { 0.0 } else { 100.0 * k as f64 / s.covered as f64 };
            table!(
                args.json,
                "  {:<28} add {:5.1}%  mul {:5.1}%  ({} of {})",
                s.section,
                pct(s.add_correct),
                pct(s.mul_correct),
                s.covered,
                s.total
            );
        }
        table!(
            args.json,
            "analogy: 3CosAdd {:.2}%, 3CosMul {:.2}% ({} of {} questions covered, restrict {}) in {:.1}s",
            100.0 * a.add_accuracy,
            100.0 * a.mul_accuracy,
            a.covered,
            a.total,
            args.restrict,
            t.elapsed().as_secs_f64()
        );
        json.insert("analogy".into(), serde_json::to_value(a)?);
    }
    if args.json {
        outln!("{}", serde_json::Value::Object(json));
    }
    Ok(())
}

fn docs(args: DocsEval) -> anyhow::Result<()> {
    let start = Instant::now();
    let docs = read_documents(&args.corpus, Some(args.label_column)).context("reading the documents")?;
    let text = args.lsa.text.config(2, "english")?;
    let (lsa, _) = Lsa::fit(&docs.ids, &docs.texts, &args.lsa.config(), &text, &pmivec::NoProgress)?;
    let fit_secs = start.elapsed().as_secs_f64();
    let mut names: Vec<&String> = docs.labels.iter().collect();
    names.sort();
    names.dedup();
    let labels: Vec<usize> = docs.labels.iter().map(|l| names.binary_search(&l).unwrap()).collect();
    let d = lsa.documents().dim();
    let m = lsa.documents().matrix(Side::Left);
    let rows: Vec<Vec<f32>> = m.chunks(d).map(<[f32]>::to_vec).collect();
    let acc = eval::cross_validated_accuracy(&rows, &labels, args.folds, args.lsa.factorize.seed)?;
    table!(
        args.json,
        "{} documents, {} classes, {} terms: {}-fold logistic-regression accuracy {:.4} (LSA fit {:.2}s, total {:.2}s)",
        docs.ids.len(),
        names.len(),
        lsa.terms().len(),
        args.folds,
        acc,
        fit_secs,
        start.elapsed().as_secs_f64()
    );
    if args.json {
        outln!(
            "{}",
            serde_json::json!({"accuracy": acc, "folds": args.folds, "documents": docs.ids.len(), "fit_seconds": fit_secs})
        );
    }
    Ok(())
}

fn lee(args: LeeEval) -> anyhow::Result<()> {
    let bg = read_documents(&args.background, None).context("reading the background corpus")?;
    let test = read_documents(&args.docs, None).context("reading the test documents")?;
    let text = args.lsa.text.config(1, "english")?;
    let (lsa, _) = Lsa::fit(&bg.ids, &bg.texts, &args.lsa.config(), &text, &pmivec::NoProgress)?;
    let index = Index::new(&lsa.fold_in_all(&test.ids, &test.texts), Side::Left);
    let text = std::fs::read_to_string(&args.similarities)
        .with_context(|| format!("reading {}", args.similarities.display()))?;
    let human: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(|x| x.parse::<f64>()).collect::<Result<_, _>>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: not a matrix of numbers", args.similarities.display()))?;
    let n = test.ids.len();
    if human.len() != n || human.iter().any(|r| r.len() != n) {
        bail!("{}: expected a {n} × {n} matrix", args.similarities.display());
    }
    let (mut model, mut judged) = (Vec::new(), Vec::new());
    for (i, row) in human.iter().enumerate() {
        for (j, &h) in row.iter().enumerate().skip(i + 1) {
            model.push(index.row_similarity(i, j) as f64);
            judged.push(h);
        }
    }
    let r = eval::pearson(&model, &judged);
    table!(
        args.json,
        "Lee: Pearson {r:.4} over {} document pairs ({} background documents, {} terms)",
        model.len(),
        bg.ids.len(),
        lsa.terms().len()
    );
    if args.json {
        outln!("{}", serde_json::json!({"pearson": r, "pairs": model.len()}));
    }
    Ok(())
}
