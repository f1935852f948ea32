//! The whole graph path in one call: walks → counts → PMI → SVD → embeddings.

use crate::config::EmbedConfig;
use crate::cooccur::{Cooccurrence, count_graph};
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use crate::factorize::{SvdConfig, randomized_svd};
use crate::graph::Graph;
use crate::pmi::{PmiConfig, pmi};
use crate::progress::Progress;
use crate::sparse::SparseMatrix;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What a run did: stage times and sizes, for the CLI summary and sidecar.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// (stage, seconds), in order.
    pub stage_seconds: Vec<(String, f64)>,
    /// Which walk sampler ran ("first-order" or "node2vec-rejection").
    pub walk_path: String,
    /// Walk steps taken.
    pub walk_steps: u64,
    /// Distinct pairs counted.
    pub distinct_pairs: u64,
    /// Pairs kept after `min_pair_count`.
    pub kept_pairs: u64,
    /// Nonzeros of the PMI matrix.
    pub pmi_nonzeros: u64,
}

impl Report {
    pub(crate) fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.stage_seconds.push((stage.to_owned(), t.elapsed().as_secs_f64()));
        out
    }
}

/// Run `f` on a rayon pool of `threads` threads (0 = all cores).
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::invalid("threads", e.to_string()))?;
    Ok(pool.install(f))
}

fn check_dim(graph: &Graph, config: &EmbedConfig) -> Result<()> {
    config.validate()?;
    if config.dim > graph.node_count() {
        return Err(Error::RankTooLarge { requested: config.dim, max: graph.node_count() });
    }
    Ok(())
}

/// How the PMI matrix becomes embeddings: rank, SVD parameters, and the
/// exponent p of U·Σ^p.
pub(crate) struct Factorization {
    pub dim: usize,
    pub svd: SvdConfig,
    pub eig_weight: f64,
}

impl EmbedConfig {
    fn factorization(&self) -> Factorization {
        Factorization { dim: self.dim, svd: self.svd(), eig_weight: self.eig_weight }
    }
}

/// The shared tail of every path: record the counts, take the PMI, factorize
/// it and weigh the factors, timing each stage into `report`.
pub(crate) fn counts_to_embeddings(
    labels: Vec<String>,
    co: Cooccurrence,
    pmi_config: &PmiConfig,
    fact: &Factorization,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Embeddings> {
    report.walk_steps = co.steps;
    report.distinct_pairs = co.distinct_pairs;
    report.kept_pairs = co.counts.nnz() as u64;
    let m = report.time("pmi", || pmi(&co, pmi_config));
    drop(co);
    factorize_into(labels, &m, fact, report, progress)
}

fn factorize_into(
    labels: Vec<String>,
    m: &SparseMatrix,
    fact: &Factorization,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Embeddings> {
    report.pmi_nonzeros = m.nnz() as u64;
    progress.start("svd", 0);
    let svd = report.time("svd", || randomized_svd(m, fact.dim, &fact.svd));
    progress.finish();
    Ok(Embeddings::from_svd(labels, &svd?, fact.eig_weight))
}

/// Embed the nodes of `graph`: walks → counts → PMI → randomized SVD.
///
/// # Errors
/// [`Error::InvalidConfig`] for a parameter out of range, [`Error::RankTooLarge`]
/// if `dim` exceeds the number of nodes.
///
/// # Examples
/// ```
/// use pmivec::{embed, EdgeListFormat, EmbedConfig, Graph, NoProgress};
/// let graph = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default())?;
/// let (emb, report) = embed(&graph, &EmbedConfig::default().dim(8), &NoProgress)?;
/// assert_eq!((emb.len(), emb.dim()), (34, 8));
/// assert_eq!(report.walk_path, "first-order");
/// # Ok::<(), pmivec::Error>(())
/// ```
pub fn embed(graph: &Graph, config: &EmbedConfig, progress: &dyn Progress) -> Result<(Embeddings, Report)> {
    check_dim(graph, config)?;
    with_threads(config.threads, || {
        let mut report = Report::default();
        let count_cfg = config.count();
        report.walk_path = count_cfg.kind.name().to_owned();
        let co = report.time("walk+count", || count_graph(graph, &count_cfg, progress));
        let emb = counts_to_embeddings(
            graph.labels().to_vec(),
            co,
            &config.pmi(),
            &config.factorization(),
            &mut report,
            progress,
        )?;
        Ok((emb, report))
    })?
}

/// Embed the nodes of `graph` by factorizing the exact NetMF matrix
/// log max(vol(G)/(bT)·(Σ_r P^r)·D⁻¹, 1) (see [`crate::netmf`]) instead of a
/// sampled one. Uses `window`, `neg`, `dim`, the SVD parameters and
/// `eig_weight`; the sampling parameters (walks, `cds`, `min_pair_count`,
/// p, q) do not apply.
///
/// # Errors
/// As [`embed`], and [`Error::TooLarge`] above [`crate::netmf::EXACT_NODE_LIMIT`] nodes.
pub fn embed_exact(graph: &Graph, config: &EmbedConfig, progress: &dyn Progress) -> Result<(Embeddings, Report)> {
    check_dim(graph, config)?;
    with_threads(config.threads, || {
        let mut report = Report { walk_path: "exact".into(), ..Default::default() };
        progress.start("exact netmf", 0);
        let m = report.time("exact netmf", || crate::netmf::netmf_exact(graph, config.window, config.neg));
        progress.finish();
        let emb = factorize_into(graph.labels().to_vec(), &m?, &config.factorization(), &mut report, progress)?;
        Ok((emb, report))
    })?
}
