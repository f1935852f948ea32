//! One benchmark per stage on a seeded synthetic graph (no data committed):
//! walk steps per second (first-order and node2vec paths), walk+count steps
//! per second, PMI entries per second, SVD time, one propagation pass.
//!
//! Run: `cargo bench --bench stages` (add `-- walk` to pick a stage).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pmivec::NoProgress;
use pmivec::cooccur::{CountConfig, count_graph};
use pmivec::factorize::{SvdConfig, randomized_svd};
use pmivec::pmi::{PmiConfig, pmi};
use pmivec::propagate::{PropagationConfig, propagate};
use pmivec::walk::{WalkKind, Walker};
use std::hint::black_box;

#[path = "../tests/common/mod.rs"]
mod common;

fn stages(c: &mut Criterion) {
    // A ring plus 300,000 edges whose second endpoint favours low ids (hubs).
    let g = common::random_graph(10_000, 300_000, 1);
    let count_cfg =
        CountConfig { window: 10, windows: 10.0 * 80.0 * 10_000.0, min_count: 3, seed: 1, ..Default::default() };

    // Walk throughput per sampler: the first-order path (p = q = 1) and
    // node2vec's rejection path, 8 lanes in lockstep as in counting.
    let mut group = c.benchmark_group("walk");
    let walks_per_source = 200u64;
    let sources = 2_000u32;
    group.throughput(Throughput::Elements(walks_per_source * sources as u64 * 10));
    for (name, kind) in [
        ("first_order_steps", WalkKind::DeepWalk),
        ("node2vec_p0.25_q0.25_steps", WalkKind::Node2vec { p: 0.25, q: 0.25 }),
        ("node2vec_p0.5_q2_steps", WalkKind::Node2vec { p: 0.5, q: 2.0 }),
    ] {
        let walker = Walker::new(&g, kind, 10, 1);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = 0u64;
                for s in 0..sources {
                    walker.rooted(s * 5, 0..walks_per_source, |_, v| sink += v as u64);
                }
                black_box(sink)
            })
        });
    }
    group.finish();

    let co = count_graph(&g, &count_cfg, &NoProgress);
    let mut group = c.benchmark_group("cooccur");
    group.sample_size(10);
    group.throughput(Throughput::Elements(co.steps));
    group.bench_function("walk_and_count_steps", |b| b.iter(|| black_box(count_graph(&g, &count_cfg, &NoProgress))));
    group.finish();

    let m = pmi(&co, &PmiConfig::default());
    let mut group = c.benchmark_group("pmi");
    group.sample_size(10);
    group.throughput(Throughput::Elements(co.counts.nnz() as u64));
    group.bench_function("truncated_pmi", |b| b.iter(|| black_box(pmi(&co, &PmiConfig::default()))));
    group.finish();

    let mut group = c.benchmark_group("svd");
    group.sample_size(10);
    group.throughput(Throughput::Elements(m.nnz() as u64));
    group.bench_function("randomized_d128_q3", |b| {
        b.iter(|| black_box(randomized_svd(&m, 128, &SvdConfig::default()).unwrap()))
    });
    group.finish();

    // One pass of ProNE's filter over the graph on a 128-column block.
    let mut group = c.benchmark_group("propagate");
    group.sample_size(10);
    let emb: Vec<f32> = (0..g.node_count() * 128).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
    let one_pass = PropagationConfig::default().passes(Some(1));
    group.bench_function("one_pass_d128", |b| {
        b.iter(|| {
            let mut x = emb.clone();
            propagate(&g, &mut x, 128, &one_pass).unwrap();
            black_box(x)
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
