//! Property tests: the readers and the saved models never panic on
//! arbitrary or corrupt bytes, and any labels and finite vectors
//! round-trip through both output formats.

use pmivec::io::{Format, read_word2vec_from};
use pmivec::lsa::read_documents_from;
use pmivec::text::{Corpus, TextConfig, read_lines_from};
use pmivec::{EdgeListFormat, Embeddings, Graph, Side};
use proptest::prelude::*;

/// Bytes that look like text half the time, so parsers get past line 1.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "([a-z0-9 ,\t.#%-]{0,12}\n){0,20}".prop_map(String::into_bytes),
        "([0-9]{1,3}[ \t,][0-9]{1,3}([ \t,][-0-9e.]{1,8})?\n){0,20}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_edge_list_reader_never_panics(bytes in input(), weighted in any::<bool>(), directed in any::<bool>()) {
        let format = EdgeListFormat::default().weighted(weighted).directed(directed);
        let _ = Graph::from_edge_list_reader(bytes.as_slice(), &format, None);
    }

    #[test]
    fn the_word2vec_reader_never_panics(bytes in input()) {
        let _ = read_word2vec_from(bytes.as_slice(), None);
    }

    #[test]
    fn the_corpus_and_document_readers_never_panic(bytes in input(), column in 0usize..4) {
        if let Ok(lines) = read_lines_from(bytes.as_slice(), None) {
            let _ = Corpus::from_lines(lines.iter().map(String::as_str), &TextConfig::default().min_count(1));
        }
        let _ = read_documents_from(bytes.as_slice(), (column > 0).then_some(column), None);
    }

    #[test]
    fn labels_and_vectors_round_trip_through_both_formats(
        rows in prop::collection::btree_set("[^\\s]{1,12}", 1..20),
        dim in 1usize..6,
        seed in any::<u64>(),
    ) {
        let labels: Vec<String> = rows.into_iter().collect();
        let data: Vec<f32> = (0..labels.len() * dim)
            .map(|i| {
                let bits = (seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) as u32;
                let v = f32::from_bits(bits);
                if v.is_finite() { v } else { i as f32 - 0.5 }
            })
            .collect();
        let emb = Embeddings::from_matrix(labels.clone(), dim, data.clone());
        let dir = tempfile::tempdir().unwrap();
        for (name, format) in [("e.txt", Format::Word2vec), ("e.npy", Format::Npy)] {
            let path = dir.path().join(name);
            if format == Format::Npy && labels[0].starts_with('\u{feff}') {
                // The .ids reader strips a leading byte-order mark.
                prop_assert!(emb.save(&path, Side::Left, format).is_err());
                continue;
            }
            emb.save(&path, Side::Left, format).unwrap();
            let back = Embeddings::load(&path).unwrap();
            prop_assert_eq!(back.labels(), labels.as_slice());
            let got: Vec<u32> = back.matrix(Side::Left).iter().map(|v| v.to_bits()).collect();
            let want: Vec<u32> = data.iter().map(|v| v.to_bits()).collect();
            prop_assert_eq!(got, want);
        }
    }
}

/// A saved graph model of karate and a word model of a tiny corpus, as bytes.
fn models() -> &'static [Vec<u8>; 2] {
    static MODELS: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    MODELS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let g = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default()).unwrap();
        let cfg = pmivec::EmbedConfig::default().dim(4);
        let (_, _, model) = pmivec::embed_with_model(&g, &cfg, &pmivec::NoProgress).unwrap();
        model.save(&dir.path().join("g")).unwrap();
        let lines = ["the cat sat on the mat", "a dog sat on a rug", "the cat chased a dog"].repeat(3);
        let text = TextConfig::default().min_count(1);
        let corpus = Corpus::from_lines(lines.iter().copied(), &text).unwrap();
        let wc = pmivec::words::WordConfig::default().dim(3).subsample(0.0);
        let (_, _, wm) = pmivec::words::embed_words_with_model(&corpus, &wc, &text, &pmivec::NoProgress).unwrap();
        wm.save(&dir.path().join("w")).unwrap();
        [std::fs::read(dir.path().join("g")).unwrap(), std::fs::read(dir.path().join("w")).unwrap()]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A corrupt model (flipped bytes, cut short) is refused or folds in
    /// without a panic.
    #[test]
    fn a_corrupt_model_never_panics(
        which in 0usize..2,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..4),
        cut in prop::option::of(0.0f64..1.0),
    ) {
        let mut bytes = models()[which].clone();
        for (at, byte) in flips {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate((bytes.len() as f64 * cut) as usize);
        }
        match pmivec::foldin::Saved::from_bytes(&bytes, std::path::Path::new("m")) {
            Ok(pmivec::foldin::Saved::Graph(m)) => {
                let _ = m.fold_in(&[("new".into(), "0".into(), 1.0), ("new".into(), "1".into(), 2.0)]);
            }
            Ok(pmivec::foldin::Saved::Words(m)) => {
                let _ = m.fold_in(&["the kitty sat on the mat".to_owned()], 1);
            }
            Err(e) => prop_assert!(e.to_string().starts_with("m:1:"), "{e}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The entry the Python package calls with in-memory edges, on ids of any
    /// string and weights of any f64: a clear error, or a graph with one node
    /// per distinct id (given nodes included) and one vector per node.
    #[test]
    fn edges_given_as_labels_give_one_row_per_node_or_a_clear_error(
        edges in prop::collection::vec((".{0,6}", ".{0,6}", any::<f64>()), 0..12),
        nodes in prop::collection::vec("[a-z0-9#%]{1,4}", 0..4),
        weighted in any::<bool>(),
        directed in any::<bool>(),
    ) {
        let src: Vec<String> = edges.iter().map(|e| e.0.clone()).collect();
        let dst: Vec<String> = edges.iter().map(|e| e.1.clone()).collect();
        let w: Vec<f64> = edges.iter().map(|e| e.2).collect();
        let weights = weighted.then_some(w.as_slice());
        match Graph::from_labelled_edges(&nodes, &src, &dst, weights, directed) {
            Err(e) => {
                let m = e.to_string();
                prop_assert!(!m.is_empty() && !m.contains("internal"), "{m}");
            }
            Ok(g) => {
                let distinct: std::collections::BTreeSet<&String> = nodes.iter().chain(&src).chain(&dst).collect();
                prop_assert_eq!(g.node_count(), distinct.len());
                prop_assert!(g.labels().iter().all(|l| !l.is_empty() && !l.chars().any(char::is_whitespace)));
                let cfg = pmivec::EmbedConfig::default()
                    .dim(1)
                    .estimator(pmivec::config::Estimator::FirstOrder)
                    .no_propagation();
                match pmivec::embed(&g, &cfg, &pmivec::NoProgress) {
                    Ok((emb, _)) => {
                        prop_assert_eq!(emb.len(), g.node_count());
                        prop_assert!(emb.matrix(Side::Left).iter().all(|x| x.is_finite()));
                    }
                    Err(e) => prop_assert!(!e.to_string().contains("internal"), "{e}"),
                }
            }
        }
    }
}
