//! A cluster's shards, run as threads on 127.0.0.1, give the single
//! machine's vectors to the bit, for any number of shards.

use pmivec::cluster::{Listener, Mesh, Partition, Shard, ShardEdges, ShardResult};
use pmivec::config::Estimator;
use pmivec::factorize::ROW_BLOCK;
use pmivec::graph::EdgeRecords;
use pmivec::{EdgeListFormat, EmbedConfig, Error, Graph, NoProgress, Side};
use std::time::Duration;

/// Run `config` on `records` cut into `parts` shards, one thread each.
fn on_shards(
    records: &EdgeRecords,
    parts: usize,
    directed: bool,
    config: &EmbedConfig,
) -> Vec<pmivec::Result<ShardResult>> {
    let n = records.labels.len();
    let mut weights = vec![0u64; n.div_ceil(ROW_BLOCK)];
    for &(u, v, _) in &records.edges {
        weights[u as usize / ROW_BLOCK] += 1;
        weights[v as usize / ROW_BLOCK] += 1;
    }
    let partition = Partition::balanced(n, &weights, parts).unwrap();
    let src: Vec<u32> = records.edges.iter().map(|e| e.0).collect();
    let dst: Vec<u32> = records.edges.iter().map(|e| e.1).collect();
    let w: Vec<f64> = records.edges.iter().map(|e| e.2).collect();
    let routed = ShardEdges::route(&partition, directed, &src, &dst, &w).unwrap();
    let listeners: Vec<Listener> = (0..parts).map(|_| Listener::bind("127.0.0.1").unwrap()).collect();
    let addresses: Vec<String> = listeners.iter().map(|l| l.address().to_owned()).collect();
    std::thread::scope(|s| {
        let runs: Vec<_> = listeners
            .into_iter()
            .zip(routed)
            .enumerate()
            .map(|(rank, (listener, (out, into)))| {
                let (partition, addresses) = (partition.clone(), &addresses);
                s.spawn(move || {
                    let shard = Shard::build(partition.clone(), rank, directed, false, out, directed.then_some(into))?;
                    let mut mesh = Mesh::connect(listener, rank, addresses, 42, Duration::from_secs(60), partition)?;
                    shard.embed(&mut mesh, config, &NoProgress)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

fn single(records: &EdgeRecords, directed: bool, config: &EmbedConfig) -> (Vec<f32>, Vec<f64>) {
    let g = Graph::from_edges(records.labels.clone(), records.edges.iter().copied(), false, directed).unwrap();
    let (emb, _) = pmivec::embed(&g, config, &NoProgress).unwrap();
    (emb.matrix(Side::Left), emb.singular_values().to_vec())
}

/// A graph of `n` nodes in 8 planted groups, with duplicate and reversed
/// records and self-loops, ids in a shuffled order of first appearance.
fn planted(n: u32) -> EdgeRecords {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let perm: Vec<u32> = {
        let mut p: Vec<u32> = (0..n).collect();
        for i in (1..p.len()).rev() {
            p.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        p
    };
    let mut raw = Vec::new();
    for u in 0..n {
        for _ in 0..3 {
            let v = if next() % 10 < 8 {
                (u / (n / 8)) * (n / 8) + (next() % (n / 8) as u64) as u32
            } else {
                (next() % n as u64) as u32
            };
            raw.push((perm[u as usize], perm[v.min(n - 1) as usize]));
        }
    }
    raw.push((raw[0].1, raw[0].0)); // a reversed duplicate
    raw.push((raw[5].0, raw[5].0)); // a self-loop
    let mut ids = std::collections::HashMap::new();
    let mut labels = Vec::new();
    let mut id = |k: u32| {
        *ids.entry(k).or_insert_with(|| {
            labels.push(k.to_string());
            labels.len() as u32 - 1
        })
    };
    let edges = raw.into_iter().map(|(a, b)| (id(a), id(b), 1.0)).collect();
    EdgeRecords { labels, edges, header: None }
}

fn first_order(dim: usize) -> EmbedConfig {
    let mut c = EmbedConfig::default().dim(dim);
    c.estimator = Estimator::FirstOrder;
    c
}

#[test]
fn shards_give_the_single_machine_vectors_to_the_bit() {
    let records = planted(3 * ROW_BLOCK as u32 + 700);
    let config = first_order(16);
    let (want, sv) = single(&records, false, &config);
    for parts in [1, 2, 3, 4] {
        let runs = on_shards(&records, parts, false, &config);
        let mut got = Vec::new();
        for r in runs {
            let r = r.unwrap();
            assert_eq!(r.singular_values, sv, "{parts} shards");
            got.extend(r.left);
        }
        assert!(got == want, "{parts} shards: the vectors differ from one machine's");
    }
}

#[test]
fn halo_traffic_is_the_ghost_rows_and_none_on_one_shard() {
    let records = planted(2 * ROW_BLOCK as u32 + 100);
    let config = first_order(8);
    let one = on_shards(&records, 1, false, &config).pop().unwrap().unwrap();
    assert_eq!((one.mesh.halo_bytes_sent, one.mesh.ghost_rows), (0, 0));
    let runs: Vec<ShardResult> = on_shards(&records, 2, false, &config).into_iter().map(Result::unwrap).collect();
    // Ghost rows from the edges themselves: the other shard's neighbours.
    let g = Graph::from_edges(records.labels.clone(), records.edges.iter().copied(), false, false).unwrap();
    let split = runs[0].plan.own_rows as u32;
    let ghosts = |mine: &dyn Fn(u32) -> bool| {
        let mut s = std::collections::BTreeSet::new();
        for u in (0..g.node_count() as u32).filter(|&u| mine(u)) {
            s.extend(g.neighbors(u).iter().copied().filter(|&v| !mine(v)));
        }
        s.len() as u64
    };
    let expect = [ghosts(&|u| u < split), ghosts(&|u| u >= split)];
    let (sent, received): (u64, u64) = runs
        .iter()
        .map(|r| (r.mesh.halo_bytes_sent, r.mesh.halo_bytes_received))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(sent, received);
    for (r, want) in runs.iter().zip(expect) {
        assert_eq!(r.mesh.ghost_rows, want);
        assert_eq!(r.mesh.halo_bytes_received, want * r.mesh.halo_row_bytes);
        assert!(r.mesh.halo_exchanges > 10, "every product exchanged its halo");
    }
}

#[test]
fn karate_on_three_shards_matches_with_two_of_them_empty() {
    let records = Graph::records_from_path("graphs/karate/edges.tsv", &EdgeListFormat::default()).unwrap();
    let config = first_order(8);
    let (want, _) = single(&records, false, &config);
    let got: Vec<f32> = on_shards(&records, 3, false, &config).into_iter().flat_map(|r| r.unwrap().left).collect();
    assert!(got == want);
}

#[test]
fn directed_graphs_match_without_propagation_and_refuse_it() {
    let records = planted(ROW_BLOCK as u32 + 500);
    let mut config = first_order(8);
    config.propagation.passes = Some(0);
    let (want, _) = single(&records, true, &config);
    let got: Vec<f32> = on_shards(&records, 2, true, &config).into_iter().flat_map(|r| r.unwrap().left).collect();
    assert!(got == want);
    config.propagation.passes = Some(2);
    let e = on_shards(&records, 2, true, &config).remove(0).err().unwrap();
    assert!(e.to_string().contains("directed"), "{e}");
}

#[test]
fn an_over_budget_shard_refuses_and_its_peers_stop_too() {
    let records = planted(ROW_BLOCK as u32 + 500);
    let mut config = first_order(8);
    config.memory_limit = Some(1 << 16);
    let runs = on_shards(&records, 2, false, &config);
    assert!(runs.iter().all(|r| matches!(r, Err(Error::OverMemory { .. }) | Err(Error::Cluster { .. }))));
    assert!(matches!(runs[0], Err(Error::OverMemory { .. })), "each shard checks its own plan");
    let mut windows = first_order(8);
    windows.estimator = Estimator::Windows;
    assert!(
        on_shards(&records, 2, false, &windows)
            .iter()
            .all(|r| r.as_ref().err().is_some_and(|e| e.to_string().contains("first-order")))
    );
}

#[test]
fn a_dead_peer_is_a_clear_error_naming_the_stage() {
    let records = planted(ROW_BLOCK as u32 + 500);
    let n = records.labels.len();
    let partition = Partition::from_starts(vec![0, ROW_BLOCK, n]).unwrap();
    let (l0, l1) = (Listener::bind("127.0.0.1").unwrap(), Listener::bind("127.0.0.1").unwrap());
    let addresses = vec![l0.address().to_owned(), l1.address().to_owned()];
    let src: Vec<u32> = records.edges.iter().map(|e| e.0).collect();
    let dst: Vec<u32> = records.edges.iter().map(|e| e.1).collect();
    let w = vec![1.0; src.len()];
    let mut routed = ShardEdges::route(&partition, false, &src, &dst, &w).unwrap();
    let out0 = std::mem::take(&mut routed[0].0);
    let (p0, a0) = (partition.clone(), addresses.clone());
    let rank0 = std::thread::spawn(move || {
        let shard = Shard::build(p0.clone(), 0, false, false, out0, None)?;
        let mut mesh = Mesh::connect(l0, 0, &a0, 1, Duration::from_secs(20), p0)?;
        shard.embed(&mut mesh, &first_order(8), &NoProgress)
    });
    // Rank 1 connects, then dies (its connection closes) before the plan.
    let mesh = Mesh::connect(l1, 1, &addresses, 1, Duration::from_secs(20), partition).unwrap();
    drop(mesh);
    let e = rank0.join().unwrap().err().expect("a dead peer fails the run");
    assert!(matches!(e, Error::Cluster { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("plan") && msg.contains("closed the connection"), "{msg}");
}
