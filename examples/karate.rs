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
    // Nearest neighbour by cosine, through the library's query index.
    let index = emb.index(Side::Left);
    let labels = emb.labels();
    let agree =
        labels.iter().filter(|l| index.nearest(l, 1).is_some_and(|nn| faction[*l] == faction[&nn[0].label])).count();
    println!(
        "{} nodes, {} PMI nonzeros; nearest neighbour in the same faction: {agree}/{}",
        emb.len(),
        report.pmi_nonzeros,
        emb.len()
    );
    Ok(())
}
