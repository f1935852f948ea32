//! Thread scaling of every stage: the whole graph path (read, plan,
//! first-stage matrix, SVD, propagation, write) with 1 thread and with all
//! of them, each stage's seconds and speedup, end to end last.
//!
//! Run: `cargo run --release --example scaling -- [EDGES] [THREADS]`
//! (default: the bundled BlogCatalog, all cores). The million-node figure
//! in the README is `… -- M/edges.tsv` on the graph of `../shared/tools`.

use pmivec::{EdgeListFormat, EmbedConfig, Graph, NoProgress, Side, embed, io};
use std::time::Instant;

/// Stage seconds of one whole run on a pool of `threads` threads.
type Error = Box<dyn std::error::Error + Send + Sync>;

fn run(path: &str, threads: usize) -> Result<Vec<(String, f64)>, Error> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    pool.install(|| {
        let start = Instant::now();
        let graph = Graph::from_edge_list_path(path, &EdgeListFormat::default())?;
        let mut stages = vec![("read".to_owned(), start.elapsed().as_secs_f64())];
        let config = EmbedConfig::default().threads(threads).keep_context(false);
        let (emb, report) = embed(&graph, &config, &NoProgress)?;
        stages.extend(report.stage_seconds);
        let t = Instant::now();
        io::write_word2vec(&emb, Side::Left, std::io::BufWriter::new(std::io::sink()))?;
        stages.push(("write".into(), t.elapsed().as_secs_f64()));
        stages.push(("end to end".into(), start.elapsed().as_secs_f64()));
        Ok(stages)
    })
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "graphs/blogcatalog/edges.tsv".into());
    let all = match args.next() {
        Some(t) => t.parse()?,
        None => std::thread::available_parallelism()?.get(),
    };
    let one = run(&path, 1)?;
    let many = run(&path, all)?;
    println!("{path}: 1 thread vs {all} threads");
    println!("{:<14} {:>10} {:>10} {:>8}", "stage", "1 thread", format!("{all} threads"), "speedup");
    for ((stage, a), (_, b)) in one.iter().zip(&many) {
        println!("{stage:<14} {a:>9.2}s {b:>9.2}s {:>7.2}x", a / b.max(1e-9));
    }
    Ok(())
}
