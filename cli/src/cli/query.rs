//! `pmivec query EMB …`: nearest neighbours, analogies and similarities on a
//! word2vec text file. Results go to stdout as `label<TAB>score`.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use pmivec::Side;
use pmivec::similarity::Index;
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum Method {
    Add,
    Mul,
}

#[derive(Args)]
pub struct QueryArgs {
    /// Embeddings in word2vec text format.
    embeddings: PathBuf,
    /// Nearest neighbours of these labels (by cosine).
    #[arg(long, num_args = 1..)]
    nearest: Vec<String>,
    /// Analogy a b c: a is to b as c is to ?
    #[arg(long, num_args = 3, value_names = ["A", "B", "C"])]
    analogy: Vec<String>,
    /// Analogy method: 3CosAdd or 3CosMul.
    #[arg(long, value_enum, default_value = "add")]
    method: Method,
    /// Cosine similarity of two labels.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    similarity: Vec<String>,
    /// How many results.
    #[arg(short, default_value_t = 10)]
    k: usize,
}

/// Returns false when some label was not found (exit status 1).
pub fn run(args: QueryArgs) -> anyhow::Result<bool> {
    let emb = pmivec::Embeddings::load(&args.embeddings).context("reading the embeddings")?;
    let index = Index::new(&emb, Side::Left);
    let mut out = std::io::stdout().lock();
    let mut all_found = true;
    if args.nearest.is_empty() && args.analogy.is_empty() && args.similarity.is_empty() {
        bail!("nothing to ask: give --nearest, --analogy or --similarity");
    }
    for label in &args.nearest {
        match index.nearest(label, args.k) {
            Some(nn) => {
                for n in nn {
                    writeln!(out, "{label}\t{}\t{:.4}", n.label, n.score)?;
                }
            }
            None => {
                eprintln!("pmivec: `{label}` is not in {}", args.embeddings.display());
                all_found = false;
            }
        }
    }
    // Each --analogy (and --similarity) given is answered, in order; with
    // several analogies every answer line starts with its question.
    let several = args.analogy.len() > 3;
    for q in args.analogy.chunks_exact(3) {
        let [a, b, c] = q else { unreachable!("chunks of three") };
        let found = match args.method {
            Method::Add => index.analogy_add(a, b, c, args.k),
            Method::Mul => index.analogy_mul(a, b, c, args.k),
        };
        match found {
            Some(nn) => {
                for n in nn {
                    if several {
                        write!(out, "{a} {b} {c}\t")?;
                    }
                    writeln!(out, "{}\t{:.4}", n.label, n.score)?;
                }
            }
            None => {
                eprintln!("pmivec: one of `{a}`, `{b}`, `{c}` is not in {}", args.embeddings.display());
                all_found = false;
            }
        }
    }
    for q in args.similarity.chunks_exact(2) {
        let [a, b] = q else { unreachable!("chunks of two") };
        match index.similarity(a, b) {
            Some(s) => writeln!(out, "{a}\t{b}\t{s:.4}")?,
            None => {
                eprintln!("pmivec: `{a}` or `{b}` is not in {}", args.embeddings.display());
                all_found = false;
            }
        }
    }
    Ok(all_found)
}
