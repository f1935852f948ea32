//! The label-free `auto` choice (`pmivec::locality`): a word co-occurrence
//! graph is read as local (first-order matrix, no propagation), a social one
//! as smooth (today's windows and propagation); each choice is the explicit
//! config's embedding byte for byte, for any thread count, and it wins where
//! it matters.

use pmivec::config::Estimator;
use pmivec::eval::{NodeEval, node_classification, read_node_labels};
use pmivec::{EdgeListFormat, EmbedConfig, Embeddings, Graph, NoProgress, Side, embed};
use std::path::Path;

fn words() -> Graph {
    let format = EdgeListFormat::default().weighted(true);
    Graph::from_edge_list_path("graphs/words/edges.tsv.gz", &format).unwrap()
}

fn karate() -> Graph {
    Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default()).unwrap()
}

fn bytes(e: &Embeddings) -> Vec<u32> {
    e.matrix(Side::Left).iter().map(|x| x.to_bits()).collect()
}

fn micro_f1(e: &Embeddings, labels: &str) -> f64 {
    let labels = read_node_labels(Path::new(labels)).unwrap();
    let eval = NodeEval { ratios: vec![0.5], splits: 3, ..Default::default() };
    node_classification(e, Side::Left, &labels, &eval).unwrap().ratios[0].micro_mean
}

#[test]
fn a_word_graph_is_local_and_its_choice_is_the_explicit_first_order_run() {
    let g = words();
    let config = EmbedConfig::default().dim(32);
    let (auto, report) = embed(&g, &config, &NoProgress).unwrap();
    assert!(report.auto.starts_with("local graph"), "{}", report.auto);
    assert_eq!((report.estimator.as_str(), report.propagation_passes), ("first-order", 0));
    assert!(report.locality.unwrap().reach() < pmivec::locality::SMOOTH_FROM);
    let explicit = config.clone().estimator(Estimator::FirstOrder).no_propagation();
    let (fixed, fixed_report) = embed(&g, &explicit, &NoProgress).unwrap();
    assert!(fixed_report.auto.is_empty(), "nothing was left to auto");
    assert_eq!(bytes(&auto), bytes(&fixed));
    // The thread count changes nothing, the probe included.
    let (one, _) = embed(&g, &config.clone().threads(1), &NoProgress).unwrap();
    assert_eq!(bytes(&auto), bytes(&one));
}

#[test]
fn a_social_graph_is_smooth_and_keeps_the_windows_and_propagation() {
    let g = karate();
    let config = EmbedConfig::default().dim(32);
    let (auto, report) = embed(&g, &config, &NoProgress).unwrap();
    assert!(report.auto.starts_with("smooth graph"), "{}", report.auto);
    assert_eq!((report.estimator.as_str(), report.propagation_passes), ("windows", 6));
    let mut explicit = config.clone().estimator(Estimator::Windows);
    explicit.propagation.passes = Some(6);
    let (fixed, _) = embed(&g, &explicit, &NoProgress).unwrap();
    assert_eq!(bytes(&auto), bytes(&fixed));
    // What auto writes out as a config embeds the same.
    let (chosen, why, found) = pmivec::pipeline::choose_config(&g, &config, &NoProgress).unwrap();
    assert_eq!((chosen.estimator, chosen.propagation.passes), (Estimator::Windows, Some(6)), "{why}");
    assert!(found.unwrap().smooth());
    assert_eq!(bytes(&embed(&g, &chosen, &NoProgress).unwrap().0), bytes(&auto));
}

#[test]
fn on_the_word_graph_auto_beats_the_propagated_windows_by_far() {
    // Measured at d = 128 with 5 splits: .696 against .603 (README).
    let g = words();
    let config = EmbedConfig::default().dim(64);
    let (auto, _) = embed(&g, &config, &NoProgress).unwrap();
    let mut windows = config.clone().estimator(Estimator::Windows);
    windows.propagation.passes = Some(6);
    let (old, _) = embed(&g, &windows, &NoProgress).unwrap();
    let (a, o) = (micro_f1(&auto, "graphs/words/labels.tsv"), micro_f1(&old, "graphs/words/labels.tsv"));
    assert!(a > o + 0.04, "auto {a:.4} vs windows + propagation {o:.4}");
}

#[test]
fn what_is_set_is_kept() {
    let g = words();
    // Propagation set: only the estimator is open, and it switches.
    let mut config = EmbedConfig::default().dim(32);
    config.propagation.passes = Some(2);
    let (_, report) = embed(&g, &config, &NoProgress).unwrap();
    assert_eq!((report.estimator.as_str(), report.propagation_passes), ("first-order", 2), "{}", report.auto);
    // Windows set: only the propagation is open, and it is turned off.
    let config = EmbedConfig::default().dim(32).estimator(Estimator::Windows);
    let (_, report) = embed(&g, &config, &NoProgress).unwrap();
    assert_eq!((report.estimator.as_str(), report.propagation_passes), ("windows", 0), "{}", report.auto);
    // Both set: no probe.
    let mut config = EmbedConfig::default().dim(32).estimator(Estimator::Windows);
    config.propagation.passes = Some(1);
    let (_, report) = embed(&g, &config, &NoProgress).unwrap();
    assert!(report.auto.is_empty() && report.locality.is_none());
    // Below 32 dimensions the probe is not read, and the summary says so.
    let (_, report) = embed(&g, &EmbedConfig::default().dim(16), &NoProgress).unwrap();
    assert!(report.auto.contains("below 32") && report.locality.is_none(), "{}", report.auto);
    assert_eq!((report.estimator.as_str(), report.propagation_passes), ("windows", 6));
}
