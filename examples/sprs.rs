//! Factorize a matrix built with `sprs`: a PMI matrix of one's own — here
//! the karate club's one-step NetMF matrix log⁺(vol·A_uv / (d_u·d_v)),
//! assembled as a sprs triplet matrix — through the same SVD tail every
//! pmivec path ends with, then the faction check of `karate.rs`.
//!
//! Run: `cargo run --release --features sprs --example sprs`

use pmivec::{NoProgress, Side, config::FactorizeConfig, fit::factorize, sparse::SparseMatrix};
use std::collections::HashMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string("graphs/karate/edges.tsv")?;
    let mut ids: Vec<String> = Vec::new();
    let mut index = HashMap::new();
    let mut id = |s: &str| {
        *index.entry(s.to_owned()).or_insert_with(|| {
            ids.push(s.to_owned());
            ids.len() - 1
        })
    };
    let edges: Vec<(usize, usize)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?, f.next()?))
        })
        .map(|(a, b)| (id(a), id(b)))
        .collect();
    let n = ids.len();
    let mut degree = vec![0f64; n];
    for &(a, b) in &edges {
        degree[a] += 1.0;
        degree[b] += 1.0;
    }
    let volume: f64 = degree.iter().sum();
    let mut pmi = sprs::TriMat::new((n, n));
    for &(a, b) in &edges {
        let m = (volume / (degree[a] * degree[b])).ln();
        if m > 0.0 {
            pmi.add_triplet(a, b, m);
            pmi.add_triplet(b, a, m);
        }
    }
    let pmi: sprs::CsMat<f64> = pmi.to_csr();
    let matrix = SparseMatrix::from_sprs(pmi.view())?;
    let (emb, report) = factorize(ids, &matrix, &FactorizeConfig::default().dim(4).seed(1), &NoProgress)?;
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
    println!("{} × {} sprs matrix, {} nonzeros, factorized as `{}`", n, n, report.pmi_nonzeros, report.estimator);
    println!("nearest neighbour in the same faction: {agree}/{}", emb.len());
    Ok(())
}
