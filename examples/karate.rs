//! Embed Zachary's karate club and check that the two factions separate:
//! each node's nearest neighbour (cosine) is mostly in its own faction.
//!
//! Run: `cargo run --release --example karate`

use pmivec::{EdgeListFormat, EmbedConfig, Graph, NoProgress, Side, embed};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let graph = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default())?;
    let (emb, report) = embed(&graph, &EmbedConfig::default().dim(8).seed(1), &NoProgress)?;
    let faction: std::collections::HashMap<String, String> = std::fs::read_to_string("graphs/karate/labels.tsv")?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    let m = emb.matrix(Side::Left);
    let d = emb.dim();
    let norm = |i: usize| m[i * d..(i + 1) * d].iter().map(|x| x * x).sum::<f32>().sqrt();
    let cos = |i: usize, j: usize| {
        m[i * d..(i + 1) * d].iter().zip(&m[j * d..(j + 1) * d]).map(|(a, b)| a * b).sum::<f32>() / (norm(i) * norm(j))
    };
    let labels = emb.labels();
    let mut agree = 0;
    for i in 0..emb.len() {
        let j = (0..emb.len()).filter(|&j| j != i).max_by(|&a, &b| cos(i, a).total_cmp(&cos(i, b))).unwrap();
        agree += (faction[&labels[i]] == faction[&labels[j]]) as usize;
    }
    println!(
        "{} nodes, {} PMI nonzeros; nearest neighbour in the same faction: {agree}/{}",
        emb.len(),
        report.pmi_nonzeros,
        emb.len()
    );
    Ok(())
}
