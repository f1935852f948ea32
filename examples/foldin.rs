//! Fold-in against refit on BlogCatalog: hold out 10 % of the nodes, embed
//! the rest (saving the model), fold the held-out nodes in from their edges
//! (to the others, and among themselves for the later rounds), and compare
//! their node-classification Micro-F1 (a classifier trained on the other
//! nodes) with the same nodes in a full refit — all of them, and those only
//! later rounds could place (every neighbour held out too); and time the
//! fold-in.
//!
//! Run: `cargo run --release --example foldin [-- EDGES LABELS [FRACTION]]`.

use pmivec::eval::{read_node_labels, train_test_scores};
use pmivec::{EdgeListFormat, EmbedConfig, Graph, NoProgress, embed, embed_with_model};
use std::collections::HashSet;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let edges = args.next().unwrap_or_else(|| "graphs/blogcatalog/edges.tsv".into());
    let labels_path = args.next().unwrap_or_else(|| "graphs/blogcatalog/labels.tsv".into());
    let full = Graph::from_edge_list_path(&edges, &EdgeListFormat::default())?;
    let labels = read_node_labels(labels_path.as_ref())?;
    let fraction: f64 = args.next().map_or(Ok(0.1), |f| f.parse())?;
    // Hold out a seeded fraction of the labelled nodes.
    let held: HashSet<&str> = labels
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| pmivec::seed::unit(7, pmivec::seed::Stream::Shuffle, *i as u64) < fraction)
        .map(|(_, n)| n.as_str())
        .collect();
    let known: Vec<String> = full.labels().iter().filter(|l| !held.contains(l.as_str())).cloned().collect();
    let id: std::collections::HashMap<&str, u32> =
        known.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
    let (mut inner, mut bridge, mut among) = (Vec::new(), Vec::new(), Vec::new());
    for u in 0..full.node_count() as u32 {
        for &v in full.neighbors(u) {
            let (a, b) = (full.labels()[u as usize].as_str(), full.labels()[v as usize].as_str());
            match (id.get(a), id.get(b)) {
                (Some(&x), Some(&y)) if u < v => inner.push((x, y, 1.0)),
                (None, Some(_)) => bridge.push((a.to_owned(), b.to_owned(), 1.0)),
                (None, None) if u < v => among.push((a.to_owned(), b.to_owned(), 1.0)),
                _ => {}
            }
        }
    }
    let train_graph = Graph::from_edges(known, inner, false, false)?;
    let config = EmbedConfig::default();
    let (train_emb, _, model) = embed_with_model(&train_graph, &config, &NoProgress)?;
    let t = Instant::now();
    let new_edges = [bridge.clone(), among].concat();
    let pmivec::foldin::FoldIn { embeddings: folded, rounds } = model.fold_in_rounds(&new_edges, usize::MAX)?;
    let fold_secs = t.elapsed().as_secs_f64();
    let first_round: HashSet<&str> = folded.labels()[..rounds[0]].iter().map(String::as_str).collect();
    let (refit, _) = embed(&full, &config, &NoProgress)?;
    let test: Vec<usize> = (0..labels.nodes.len()).filter(|&i| held.contains(labels.nodes[i].as_str())).collect();
    let train: Vec<usize> = (0..labels.nodes.len()).filter(|&i| !held.contains(labels.nodes[i].as_str())).collect();
    let (fold_micro, fold_macro) = train_test_scores(&train_emb, &folded, &labels, &train, &test, 1.0);
    let (refit_micro, refit_macro) = train_test_scores(&refit, &refit, &labels, &train, &test, 1.0);
    println!(
        "{} of {} held-out nodes folded in from {} edges in {:.3}s (rounds {rounds:?})",
        folded.len(),
        test.len(),
        new_edges.len(),
        fold_secs
    );
    println!("fold-in Micro-F1 {fold_micro:.4} Macro-F1 {fold_macro:.4}");
    println!("refit   Micro-F1 {refit_micro:.4} Macro-F1 {refit_macro:.4}");
    println!("difference in Micro-F1 {:.4}", (fold_micro - refit_micro).abs());
    // The nodes only later rounds placed.
    let later: Vec<usize> = test
        .iter()
        .copied()
        .filter(|&i| folded.position(&labels.nodes[i]).is_some() && !first_round.contains(labels.nodes[i].as_str()))
        .collect();
    if !later.is_empty() {
        let (m, _) = train_test_scores(&train_emb, &folded, &labels, &train, &later, 1.0);
        let (r, _) = train_test_scores(&refit, &refit, &labels, &train, &later, 1.0);
        println!("{} nodes placed after round 1: fold-in Micro-F1 {m:.4}, refit {r:.4}", later.len());
    }
    Ok(())
}
