//! Directed graphs: walks follow out-edges, sinks end a walk, and every node
//! gets a row (nodes only ever reached carry a right/context embedding).

use pmivec::walk::{walk_into, walk_rng};
use pmivec::{EdgeListFormat, EmbedConfig, Graph, NoProgress, Side, embed};

fn graph() -> Graph {
    // A directed 3-cycle with a chord, plus node "sink" with no out-edge.
    let text = "a b\nb c\nc a\na c\nc sink\n";
    Graph::from_edge_list_reader(text.as_bytes(), &EdgeListFormat::default().directed(true), None).unwrap()
}

#[test]
fn directed_walks_follow_out_edges_and_stop_at_sinks() {
    let g = graph();
    let mut buf = Vec::new();
    let mut stopped = 0;
    for k in 0..500 {
        walk_into(&g, 0, 20, &mut walk_rng(3, 0, k), &mut buf);
        for w in buf.windows(2) {
            assert!(g.has_edge(w[0], w[1]), "{w:?} is not an arc");
        }
        if buf.len() < 21 {
            assert_eq!(g.labels()[*buf.last().unwrap() as usize], "sink");
            stopped += 1;
        }
    }
    assert!(stopped > 400, "walks should almost always reach the sink in 20 steps: {stopped}");
}

#[test]
fn a_sink_gets_a_zero_left_row_and_a_nonzero_right_row() {
    let g = graph();
    let cfg = EmbedConfig::default().dim(2).min_pair_count(1);
    let (emb, _) = embed(&g, &cfg.clone().no_propagation(), &NoProgress).unwrap();
    assert_eq!(emb.len(), 4);
    let left = emb.vector("sink", Side::Left).unwrap();
    let right = emb.vector("sink", Side::Right).unwrap();
    assert!(left.iter().all(|&x| x == 0.0), "{left:?}");
    assert!(right.iter().any(|&x| x != 0.0), "{right:?}");
    // Propagation is off by default on directed graphs; asked for, it runs
    // over A + Aᵀ: the sink's left row is then its in-neighbours' filtered
    // mix (documented), and the right side is untouched.
    let (default, report) = embed(&g, &cfg, &NoProgress).unwrap();
    assert_eq!(report.propagation_passes, 0);
    assert_eq!(default.vector("sink", Side::Left).unwrap(), left);
    let mut on = cfg.clone();
    on.propagation.passes = Some(2);
    let (propagated, _) = embed(&g, &on, &NoProgress).unwrap();
    assert!(propagated.vector("sink", Side::Left).unwrap().iter().any(|&x| x != 0.0));
    assert_eq!(propagated.vector("sink", Side::Right).unwrap(), right);
}

#[test]
#[ignore = "needs ../shared/data (the shared data set); .ci/run runs it when present"]
fn email_eu_core_embeds_every_node_when_the_data_is_present() {
    let path = "../shared/data/email-eu-core/edges.tsv";
    let g = Graph::from_edge_list_path(path, &EdgeListFormat::default().directed(true)).unwrap();
    assert_eq!(g.node_count(), 1005);
    let (emb, report) = embed(&g, &EmbedConfig::default().dim(16).walks_per_node(5.0, 80), &NoProgress).unwrap();
    assert_eq!(emb.len(), 1005);
    assert!(report.pmi_nonzeros > 10_000);
}

#[test]
fn nodes_with_only_zero_weight_edges_get_zero_rows() {
    let text = "a b 0\nc d 1\nd e 2\n";
    let g = Graph::from_edge_list_reader(text.as_bytes(), &EdgeListFormat::default().weighted(true), None).unwrap();
    assert_eq!(g.node_count(), 5);
    assert_eq!(g.stats().zero_weight_edges, 1);
    let (emb, _) = embed(&g, &EmbedConfig::default().dim(2).min_pair_count(1), &NoProgress).unwrap();
    assert_eq!(emb.labels(), &["a", "b", "c", "d", "e"]);
    for isolated in ["a", "b"] {
        assert!(emb.vector(isolated, Side::Left).unwrap().iter().all(|&x| x == 0.0));
    }
    assert!(emb.vector("d", Side::Left).unwrap().iter().any(|&x| x != 0.0));
}
