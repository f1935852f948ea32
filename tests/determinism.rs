//! Same input, seed and parameters give the same output, whatever the thread count.

mod common;

use common::random_graph;
use pmivec::config::Estimator;
use pmivec::{EmbedConfig, NoProgress, Side, embed};

fn bits(m: &[f32]) -> Vec<u32> {
    m.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn output_is_bit_identical_with_one_and_two_threads() {
    // Both estimators, with the SVD and the propagation that follow them.
    let g = random_graph(2000, 8000, 1);
    for estimator in [Estimator::Windows, Estimator::FirstOrder] {
        let cfg = EmbedConfig::default().dim(16).estimator(estimator).seed(42);
        let (a, ra) = embed(&g, &cfg.clone().threads(1), &NoProgress).unwrap();
        let (b, rb) = embed(&g, &cfg.clone().threads(2), &NoProgress).unwrap();
        assert_eq!(ra.pmi_nonzeros, rb.pmi_nonzeros);
        assert!(ra.propagation_passes > 0);
        for side in [Side::Left, Side::Right] {
            assert_eq!(bits(&a.matrix(side)), bits(&b.matrix(side)), "{estimator:?} {side:?} differs");
        }
        let (c, _) = embed(&g, &cfg.seed(43), &NoProgress).unwrap();
        assert_ne!(a.matrix(Side::Left), c.matrix(Side::Left), "the seed must matter");
    }
}

#[test]
fn word_vectors_are_bit_identical_with_one_and_two_threads() {
    use pmivec::text::{Corpus, TextConfig};
    use pmivec::words::{WordConfig, embed_words};
    let lines: Vec<String> =
        (0..400).map(|i| format!("w{} w{} w{} w{} w{}", i % 7, i % 11, i % 13, (i * 3) % 17, i % 5)).collect();
    let corpus = Corpus::from_lines(lines.iter().map(String::as_str), &TextConfig::default().min_count(1)).unwrap();
    let cfg = WordConfig::default().dim(8).subsample(0.01);
    let run = |threads| {
        let c = cfg.clone().factorize(cfg.factorize.clone().threads(threads));
        embed_words(&corpus, &c, &NoProgress).unwrap().0.matrix(Side::Left)
    };
    assert_eq!(bits(&run(1)), bits(&run(2)));
}

#[test]
fn half_width_blocks_are_deterministic_and_agree_with_single_precision() {
    use pmivec::precision::Precision;
    let g = random_graph(3000, 15000, 5);
    let cfg = EmbedConfig::default().dim(16).estimator(Estimator::FirstOrder).seed(7);
    let half = |threads| {
        let mut c = cfg.clone().threads(threads);
        c.factorize.precision = Precision::F16;
        embed(&g, &c, &NoProgress).unwrap().0.matrix(Side::Left)
    };
    let (one, three) = (half(1), half(3));
    assert_eq!(bits(&one), bits(&three), "f16 blocks: 1 and 3 threads differ");
    let mut c = cfg.clone();
    c.factorize.precision = Precision::F32;
    let full = embed(&g, &c, &NoProgress).unwrap().0.matrix(Side::Left);
    assert_ne!(bits(&one), bits(&full), "the storage must be used");
    // The same geometry: dot products of node pairs agree to f16's precision.
    let d = 16;
    let dot = |m: &[f32], i: usize, j: usize| -> f64 { (0..d).map(|k| (m[i * d + k] * m[j * d + k]) as f64).sum() };
    let n = g.node_count();
    let err: f64 = (0..2000)
        .map(|t| (t * 7919 % n, t * 104729 % n))
        .map(|(i, j)| (dot(&one, i, j) - dot(&full, i, j)).abs())
        .sum::<f64>()
        / 2000.0;
    assert!(err < 0.005, "mean |Δ cos| = {err}");
}
