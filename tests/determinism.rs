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

#[test]
fn blocks_mapped_to_scratch_files_give_the_in_memory_vectors_when_memory_is_short() {
    use pmivec::budget::plan;
    use pmivec::precision::Precision;
    let g = random_graph(3000, 15000, 9);
    let dir = tempfile::tempdir().unwrap();
    // Windows with few walks, so that the counting is not the peak.
    let cases = [
        (Estimator::FirstOrder, Precision::F16),
        (Estimator::FirstOrder, Precision::F32),
        (Estimator::Windows, Precision::F32),
    ];
    for (estimator, precision) in cases {
        // Without V, as `--side left` runs: the SVD's blocks are the peak.
        let cfg = EmbedConfig::default().dim(64).estimator(estimator).seed(3).keep_context(false);
        let mut cfg = if estimator == Estimator::Windows { cfg.walks_per_node(1.0, 10) } else { cfg };
        cfg.factorize.precision = precision;
        let roomy = plan(&g, &cfg).unwrap();
        assert!(roomy.scratch.is_none(), "{}", roomy.breakdown());
        // The highest limits below the in-memory peak that only one mapped
        // block, then only both, meet (narrower propagation blocks meet the
        // first ones).
        let (a, _) = embed(&g, &cfg, &NoProgress).unwrap();
        for count in [1, 2] {
            let found = (1..100)
                .map(|k| cfg.clone().memory_limit(Some(roomy.peak_bytes / 100 * (100 - k))))
                .map(|c| c.scratch_dir(Some(dir.path().into())))
                .find_map(|c| plan(&g, &c).ok().filter(|p| p.mapped_blocks == count).map(|p| (c, p)));
            // One mapped block always has a limit of its own; both only where
            // the SVD, not the propagation's output, is what one leaves over.
            let Some((short, tight)) = found else {
                assert_eq!(count, 2, "no limit that one mapped block meets");
                continue;
            };
            assert_eq!(tight.scratch.as_deref(), Some(dir.path()), "{}", tight.breakdown());
            assert!(tight.peak_bytes < roomy.peak_bytes && tight.in_memory_bytes > tight.memory_limit);
            let (b, report) = embed(&g, &short, &NoProgress).unwrap();
            assert!(report.out_of_core.contains("memory-mapped"), "{report:?}");
            let (l, r) = (bits(&a.matrix(Side::Left)), bits(&b.matrix(Side::Left)));
            assert_eq!(l, r, "{estimator:?} {precision:?} {count} mapped: the vectors differ");
        }
        // The scratch files are unlinked: nothing is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
    // Where even mapped blocks do not fit, the run is refused as before.
    let cfg = EmbedConfig::default().dim(16).memory_limit(Some(1 << 20));
    assert!(plan(&g, &cfg).unwrap_err().to_string().contains("above the limit"));
}
