//! Memory on a graph with high-degree hubs: node2vec must stay O(edges).
//!
//! A seeded preferential-attachment graph (100,000 nodes, 500,000 edges,
//! each new node attaching to 5 existing ones by degree) plus five hubs
//! linked to 20,000 random nodes each: ~600,000 edges and Σ deg² ≈ 2.2·10⁹,
//! which as per-edge second-order alias tables would take ~26 GB. Runs
//! node2vec with p = 0.5, q = 2, 2 walks of length 40, window 5, d = 32 and
//! prints the sizes; measure peak memory with
//!
//! `cargo build --release --example hubs && /usr/bin/time -v target/release/examples/hubs`
//!
//! (or pass `--write FILE` to write the edge list for the CLI).

use pmivec::{EmbedConfig, Graph, NoProgress, embed};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = 100_000;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    // Barabási–Albert: picking a uniform endpoint of an existing edge picks a node by degree.
    let mut ends: Vec<u32> = Vec::with_capacity(1_300_000);
    let mut edges: Vec<(u32, u32, f64)> = Vec::with_capacity(610_000);
    for v in 0..6u32 {
        for u in 0..v {
            edges.push((u, v, 1.0));
            ends.extend([u, v]);
        }
    }
    for v in 6..n {
        for _ in 0..5 {
            let u = ends[rng.random_range(0..ends.len())];
            edges.push((u, v, 1.0));
            ends.extend([u, v]);
        }
    }
    let mut perm: Vec<u32> = (0..n).collect();
    for hub in 0..5u32 {
        // 20,000 distinct random neighbours (a partial Fisher–Yates shuffle).
        for k in 0..20_000 {
            let j = rng.random_range(k..n as usize);
            perm.swap(k, j);
            edges.push((hub * 7 + 1000, perm[k], 1.0));
        }
    }
    let labels: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    if let Some(path) = std::env::args().skip_while(|a| a != "--write").nth(1) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (u, v, _) in &edges {
            writeln!(f, "{u}\t{v}")?;
        }
        return Ok(());
    }
    let graph = Graph::from_edges(labels, edges, false, false)?;
    let sum_sq: f64 = graph.degrees().iter().map(|d| d * d).sum();
    let max_deg = graph.degrees().iter().cloned().fold(0.0, f64::max);
    let config = EmbedConfig::default().p(0.5).q(2.0).walks_per_node(2.0, 40).window(5).dim(32);
    let t = std::time::Instant::now();
    let (emb, report) = embed(&graph, &config, &NoProgress)?;
    println!(
        "{} nodes, {} adjacency entries, max degree {max_deg}, sum deg^2 {sum_sq:.3e}; graph {:.1} MB; \
         {} walks: {} steps, {} distinct pairs, {} PMI nonzeros; {} x {} embedding in {:.1} s",
        graph.node_count(),
        graph.adjacency_len(),
        graph.memory_bytes() as f64 / 1e6,
        report.walk_path,
        report.walk_steps,
        report.distinct_pairs,
        report.pmi_nonzeros,
        emb.len(),
        emb.dim(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
