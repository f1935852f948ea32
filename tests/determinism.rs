//! Same input, seed and parameters give the same output, whatever the thread count.

mod common;

use common::random_graph;
use pmivec::{EmbedConfig, NoProgress, Side, embed};

#[test]
fn output_is_bit_identical_with_one_and_two_threads() {
    let g = random_graph(2000, 8000, 1);
    let cfg = EmbedConfig::default().dim(16).walks_per_node(5.0).seed(42);
    let (a, ra) = embed(&g, &cfg.clone().threads(1), &NoProgress).unwrap();
    let (b, rb) = embed(&g, &cfg.clone().threads(2), &NoProgress).unwrap();
    assert_eq!(ra.pmi_nonzeros, rb.pmi_nonzeros);
    for side in [Side::Left, Side::Right] {
        let (ma, mb) = (a.matrix(side), b.matrix(side));
        assert!(ma.iter().zip(&mb).all(|(x, y)| x.to_bits() == y.to_bits()), "{side:?} differs");
    }
    let (c, _) = embed(&g, &cfg.seed(43), &NoProgress).unwrap();
    assert_ne!(a.matrix(Side::Left), c.matrix(Side::Left), "the seed must matter");
}

#[test]
fn word_vectors_are_bit_identical_with_one_and_two_threads() {
    use pmivec::text::{Corpus, TextConfig};
    use pmivec::words::{WordConfig, embed_words};
    let lines: Vec<String> =
        (0..400).map(|i| format!("w{} w{} w{} w{} w{}", i % 7, i % 11, i % 13, (i * 3) % 17, i % 5)).collect();
    let corpus = Corpus::from_lines(lines.iter().map(String::as_str), &TextConfig::default().min_count(1)).unwrap();
    let mut cfg = WordConfig::default();
    cfg.dim = 8;
    cfg.subsample = 0.01;
    let run = |threads| {
        let mut c = cfg.clone();
        c.threads = threads;
        embed_words(&corpus, &c, &NoProgress).unwrap().0.matrix(Side::Left)
    };
    let (a, b) = (run(1), run(2));
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
}
