//! Embed a graph held as a `petgraph` graph: Zachary's karate club built
//! with petgraph, then the same check as `karate.rs` — each node's nearest
//! neighbour (cosine) is mostly in its own faction.
//!
//! Run: `cargo run --release --features petgraph --example petgraph`

use petgraph::graph::UnGraph;
use pmivec::{EmbedConfig, Graph, NoProgress, Side, embed};
use std::collections::HashMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What a petgraph user has: a graph whose node weights are the ids.
    let mut g: UnGraph<String, ()> = UnGraph::new_undirected();
    let mut index = HashMap::new();
    for line in std::fs::read_to_string("graphs/karate/edges.tsv")?.lines() {
        let mut ends =
            line.split_whitespace().map(|id| *index.entry(id.to_owned()).or_insert_with(|| g.add_node(id.to_owned())));
        if let (Some(a), Some(b)) = (ends.next(), ends.next()) {
            g.add_edge(a, b, ());
        }
    }
    let graph = Graph::from_petgraph(&g)?;
    let (emb, _) = embed(&graph, &EmbedConfig::default().dim(8).seed(1), &NoProgress)?;
    let faction: HashMap<String, String> = std::fs::read_to_string("graphs/karate/labels.tsv")?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    let nearest = emb.index(Side::Left);
    let agree = emb
        .labels()
        .iter()
        .filter(|l| nearest.nearest(l, 1).is_some_and(|nn| faction[*l] == faction[&nn[0].label]))
        .count();
    // Row i is petgraph's node index i.
    let first = g.node_weight(petgraph::graph::NodeIndex::new(0)).unwrap();
    println!("row 0 is node {first}: {}", emb.labels()[0] == *first);
    println!("{} nodes from petgraph; nearest neighbour in the same faction: {agree}/{}", emb.len(), emb.len());
    Ok(())
}
