//! The graph path in one call: plan → first-stage matrix (windows or
//! first-order) → SVD ([`crate::fit`]) → propagation.

use crate::block::Block;
use crate::budget::{Plan, plan_for};
use crate::config::{EmbedConfig, Estimator};
use crate::cooccur::{CountConfig, count_graph};
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use crate::factorize::{Factors, Store};
pub use crate::fit::Report;
use crate::fit::{factorize_square, non_empty, svd_stored, with_threads};
use crate::foldin::Model;
use crate::graph::Graph;
use crate::pmi::{pmi, transition_pmi};
use crate::precision::Elem;
use crate::progress::Progress;
use crate::propagate::{COLUMN_BLOCK, PropagationConfig, propagate_stored};
use crate::sparse::SparseMatrix;
use crate::walk::WalkKind;
use half::f16;

/// How the plan reports itself.
impl Report {
    fn from_plan(plan: &Plan) -> Self {
        Report {
            estimator: match plan.estimator {
                Estimator::FirstOrder => "first-order",
                Estimator::Windows => "windows",
                Estimator::Exact => "exact",
                Estimator::Auto => unreachable!("a plan decides the estimator"),
            }
            .into(),
            reason: plan.reason.clone(),
            memory_estimate: (plan.peak_bytes, plan.memory_limit),
            out_of_core: plan.scratch.as_ref().map_or_else(String::new, |dir| {
                format!(
                    "{} memory-mapped in {}: all in memory would need {}, above the limit",
                    if plan.mapped_blocks == 1 { "the SVD's sketch block" } else { "the SVD's blocks and U" },
                    dir.display(),
                    crate::budget::human_bytes(plan.in_memory_bytes)
                )
            }),
            ..Default::default()
        }
    }
}

fn check_dim(graph: &Graph, config: &EmbedConfig) -> Result<()> {
    config.validate()?;
    if config.factorize.dim > graph.node_count() {
        return Err(Error::RankTooLarge { requested: config.factorize.dim, max: graph.node_count() });
    }
    Ok(())
}

/// Filter the left (node) side `left` (stored as `T`) by spectral
/// propagation over `graph`, rows unit-normalized first as ProNE feeds it;
/// the result in `f32`.
fn propagate_left<T: Elem>(
    graph: &Graph,
    mut left: Block<T>,
    dim: usize,
    config: &PropagationConfig,
    column_block: usize,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Vec<f32>> {
    let passes = config.passes_for(graph.is_directed(), dim);
    if passes == 0 {
        return Ok(left.into_f32());
    }
    progress.start("propagation", 0);
    let out = report.time("propagation", || {
        crate::precision::normalize_rows(&mut left, dim);
        propagate_stored(graph, left, dim, config, column_block, progress)
    });
    progress.finish();
    report.propagation_passes = passes;
    out
}

/// Embed the nodes of `graph` (see the crate docs for the stages): the plan
/// picks the first-stage matrix and its walk budget from the graph and
/// checks the memory estimate before anything large is allocated.
///
/// # Errors
/// [`Error::InvalidConfig`] for a parameter out of range, [`Error::RankTooLarge`]
/// if `dim` exceeds the number of nodes, [`Error::OverMemory`] /
/// [`Error::TooMuchWork`] when the plan does not fit, [`Error::Empty`] when
/// the matrix has no nonzero to factorize.
///
/// # Examples
/// ```
/// use pmivec::{embed, EdgeListFormat, EmbedConfig, Graph, NoProgress};
/// let graph = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default())?;
/// let (emb, report) = embed(&graph, &EmbedConfig::default().dim(8), &NoProgress)?;
/// assert_eq!((emb.len(), emb.dim()), (34, 8));
/// assert_eq!(report.estimator, "windows");
/// # Ok::<(), pmivec::Error>(())
/// ```
pub fn embed(graph: &Graph, config: &EmbedConfig, progress: &dyn Progress) -> Result<(Embeddings, Report)> {
    run(graph, config, progress, false).map(|(e, r, _)| (e, r))
}

/// [`embed`], and the [`Model`] that places nodes added later
/// ([`Model::fold_in`]). The model holds the known graph, V, Σ and, when
/// propagating, a map from raw to propagated vectors.
///
/// # Errors
/// As [`embed`].
pub fn embed_with_model(
    graph: &Graph,
    config: &EmbedConfig,
    progress: &dyn Progress,
) -> Result<(Embeddings, Report, Model)> {
    run(graph, config, progress, true).map(|(e, r, m)| (e, r, m.expect("asked for a model")))
}

fn run(
    graph: &Graph,
    config: &EmbedConfig,
    progress: &dyn Progress,
    want_model: bool,
) -> Result<(Embeddings, Report, Option<Model>)> {
    check_dim(graph, config)?;
    if config.estimator == Estimator::Exact {
        if want_model {
            return Err(Error::invalid(
                "estimator",
                "fold-in needs a sampled or first-order matrix: the exact one keeps no model",
            ));
        }
        return embed_exact(graph, config, progress).map(|(e, r)| (e, r, None));
    }
    let plan = plan_for(graph, config, want_model)?;
    with_threads(config.factorize.threads, || {
        if plan.half {
            run_stored::<f16>(graph, config, plan, want_model, progress)
        } else {
            run_stored::<f32>(graph, config, plan, want_model, progress)
        }
    })?
}

/// [`run`] on blocks stored as `T`: the locality probe where auto leaves
/// something open ([`crate::locality`]), then the chosen first stage, its
/// SVD and the propagation. The probe's factors are the run's whenever the
/// choice is the probe's matrix (the first-order matrix at α = 0.75), so a
/// large graph, or a local one, pays nothing for it.
fn run_stored<T: Store>(
    graph: &Graph,
    config: &EmbedConfig,
    plan: Plan,
    want_model: bool,
    progress: &dyn Progress,
) -> Result<(Embeddings, Report, Option<Model>)> {
    let mut report = Report::from_plan(&plan);
    let keep_v = want_model || config.keep_context;
    if !crate::locality::wanted(graph, config) {
        if crate::locality::open(graph, config) {
            report.auto = crate::locality::too_small(config.factorize.dim);
        }
        let first = first_factors::<T>(graph, config, &plan, keep_v, &mut report, progress)?;
        let (emb, model) = finish(graph, config, &plan, first, want_model, &mut report, progress)?;
        return Ok((emb, report, model));
    }
    let reusable = crate::locality::may_reuse(config, plan.estimator);
    let (first, found, same_svd) =
        probe_stage::<T>(graph, config, &plan, keep_v && reusable, want_model, &mut report, progress)?;
    let (chosen, why) = crate::locality::choose(config, found);
    let chosen_plan = plan_for(graph, &chosen, want_model)?;
    let mut out = Report::from_plan(&chosen_plan);
    if chosen.estimator != config.estimator {
        out.reason = "chosen by the locality probe".into();
    }
    out.auto = why;
    out.locality = found;
    let first = if same_svd && crate::locality::is_probe_matrix(&chosen, chosen_plan.estimator) {
        out.stage_seconds = std::mem::take(&mut report.stage_seconds);
        out.pmi_nonzeros = report.pmi_nonzeros;
        out.power_iters = report.power_iters;
        first
    } else {
        drop(first);
        let probe_seconds = report.stage_seconds.iter().map(|(_, t)| t).sum();
        out.stage_seconds.push(("locality probe".into(), probe_seconds));
        first_factors::<T>(graph, &chosen, &chosen_plan, keep_v, &mut out, progress)?
    };
    let (emb, model) = finish(graph, &chosen, &chosen_plan, first, want_model, &mut out, progress)?;
    Ok((emb, out, model))
}

/// The locality probe: the first-order matrix at α = 0.75 (the plan's own
/// when that is its first stage), its SVD (V when `keep_v`) and the
/// [`crate::locality::Locality`] of U·Σ^½; and whether that SVD is the one
/// the run would compute (a probe beside a windows run takes
/// [`crate::locality::PROBE_POWER_ITERS`]).
#[allow(clippy::type_complexity)]
fn probe_stage<T: Store>(
    graph: &Graph,
    config: &EmbedConfig,
    plan: &Plan,
    keep_v: bool,
    want_model: bool,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<(Factors<T>, Option<crate::locality::Locality>, bool)> {
    let mut probe_config =
        config.clone().estimator(Estimator::FirstOrder).cds(Some(crate::locality::PROBE_CDS)).neg(1.0);
    probe_config.factorizer = crate::weighted::Factorizer::Svd;
    let n = graph.node_count();
    let probe_plan = if plan.estimator == Estimator::FirstOrder {
        plan.clone()
    } else {
        let iters = config.factorize.svd(n).power_iters;
        probe_config.factorize.power_iters = Some(iters.min(crate::locality::PROBE_POWER_ITERS));
        plan_for(graph, &probe_config, want_model)?
    };
    let same_svd = probe_config.factorize.svd(n).power_iters == config.factorize.svd(n).power_iters;
    let first = first_factors::<T>(graph, &probe_config, &probe_plan, keep_v && same_svd, report, progress)?;
    let weights = crate::factorize::sigma_powers(&first.s, 0.5);
    let found = report.time("locality", || crate::locality::probe(graph, &first.u, &weights, config.factorize.seed));
    Ok((first, found, same_svd))
}

/// What `auto` chooses for `graph` under `config`, as an explicit config
/// (the estimator and the propagation passes resolved), the reason and the
/// probe's measurements — what `pmivec tune` writes without labels. The
/// embedding of the returned config equals that of `config`.
///
/// # Errors
/// As [`embed`].
pub fn choose_config(
    graph: &Graph,
    config: &EmbedConfig,
    progress: &dyn Progress,
) -> Result<(EmbedConfig, String, Option<crate::locality::Locality>)> {
    check_dim(graph, config)?;
    let plan = plan_for(graph, config, false)?;
    let (mut chosen, why, found) = if crate::locality::wanted(graph, config) {
        let found = with_threads(config.factorize.threads, || {
            let mut report = Report::default();
            if plan.half {
                probe_stage::<f16>(graph, config, &plan, false, false, &mut report, progress).map(|(_, f, _)| f)
            } else {
                probe_stage::<f32>(graph, config, &plan, false, false, &mut report, progress).map(|(_, f, _)| f)
            }
        })??;
        let (chosen, why) = crate::locality::choose(config, found);
        (chosen, why, found)
    } else {
        (
            config.clone(),
            "nothing left to auto: the graph is directed, or the estimator and propagation are set".into(),
            None,
        )
    };
    let plan = plan_for(graph, &chosen, false)?;
    chosen.estimator = plan.estimator;
    chosen.propagation.passes = Some(chosen.propagation.passes_for(graph.is_directed(), chosen.factorize.dim));
    Ok((chosen, why, found))
}

/// The first stage's factors, before weighting: U (stored as `T`), Σ and
/// (when `keep_v`) V.
fn first_factors<T: Store>(
    graph: &Graph,
    config: &EmbedConfig,
    plan: &Plan,
    keep_v: bool,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Factors<T>> {
    let weighted = config.factorizer == crate::weighted::Factorizer::Weighted;
    if weighted && plan.estimator != Estimator::Windows {
        return Err(Error::invalid(
            "factorizer",
            format!(
                "the weighted factorizer needs counted pairs, and the plan chose {:?}: set `estimator = windows`",
                plan.estimator
            ),
        ));
    }
    let (m, symmetric, co) = first_stage(graph, config, plan, weighted, report, progress);
    crate::progress::check(progress)?;
    non_empty(&m)?;
    let cells = co.map(|co| {
        let marginals = crate::pmi::Marginals::of(&co, &config.pmi());
        report.time("cells", || crate::weighted::Cells::of(&co, &marginals, &config.weighted))
    });
    let factors =
        svd_stored::<T>(&m, symmetric, keep_v || weighted, &config.factorize, &plan.scratch(), report, progress)?;
    drop(m);
    crate::progress::check(progress)?;
    match cells {
        None => Ok(factors),
        Some(cells) => refine_factors(factors, &cells, keep_v, config, report, progress),
    }
}

/// The SVD's factors refined by the weighted factorization, as orthonormal
/// U', V' and Σ (the SVD's form, which [`finish`] weighs).
fn refine_factors<T: Store>(
    factors: Factors<T>,
    cells: &crate::weighted::Cells,
    keep_v: bool,
    config: &EmbedConfig,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<Factors<T>> {
    let d = config.factorize.dim;
    let half = crate::factorize::sigma_powers(&factors.s, 0.5);
    let mut u = factors.u.into_f32();
    let mut v = factors.v.expect("the weighted factorizer asks for V").into_f32();
    crate::precision::scale_columns(&mut u, &half);
    crate::precision::scale_columns(&mut v, &half);
    // p = 0: orthonormal U', V' and Σ, the SVD's form that `finish` weighs.
    let s = crate::weighted::fit(cells, (&mut u, &mut v), d, &config.weighted, 0.0, report, progress)?;
    let store = |x: Vec<f32>| crate::block::Block::heap(crate::precision::from_f32::<T>(&x));
    Ok(Factors { u: store(u), s, v: keep_v.then(|| store(v)) })
}

/// The first stage's factors weighed into U·Σ^p (and V·Σ^p), propagated;
/// the vectors come out in `f32`, with the [`Model`] when asked for.
#[allow(clippy::too_many_arguments)]
fn finish<T: Store>(
    graph: &Graph,
    config: &EmbedConfig,
    plan: &Plan,
    first: Factors<T>,
    want_model: bool,
    report: &mut Report,
    progress: &dyn Progress,
) -> Result<(Embeddings, Option<Model>)> {
    let fc = &config.factorize;
    let Factors { u: mut left, s, v } = first;
    let weights = crate::factorize::sigma_powers(&s, fc.eig_weight);
    crate::precision::scale_columns(&mut left, &weights);
    let right = v.map(|v| {
        let mut v = v.into_f32();
        crate::precision::scale_columns(&mut v, &weights);
        v
    });
    // For a model: V = (V·Σ^p)·Σ^(−p) and the raw left side, before
    // propagation changes it.
    let pieces = match (&right, want_model) {
        (Some(r), true) => {
            Some((crate::foldin::unweighted(r.clone(), &s, fc.eig_weight), crate::precision::to_f32(&left)))
        }
        _ => None,
    };
    let right = if config.keep_context { right } else { None };
    let left = propagate_left(graph, left, fc.dim, &config.propagation, plan.column_block, report, progress)?;
    let model = match pieces {
        Some((v, raw)) => {
            let propagated = report.propagation_passes > 0;
            Some(Model::new(graph, config, plan.estimator, v, s.clone(), raw, propagated.then_some(&left[..]))?)
        }
        None => None,
    };
    Ok((Embeddings::from_parts(graph.labels().to_vec(), fc.dim, left, right, s), model))
}

/// The first-stage matrix of the plan, and whether it is symmetric.
fn first_stage(
    graph: &Graph,
    config: &EmbedConfig,
    plan: &Plan,
    keep_counts: bool,
    report: &mut Report,
    progress: &dyn Progress,
) -> (SparseMatrix, bool, Option<crate::cooccur::Cooccurrence>) {
    if plan.estimator == Estimator::FirstOrder {
        let cds = config.cds.unwrap_or(0.75);
        let m = report.time("first-order", || transition_pmi(graph, config.neg, cds));
        return (m, false, None);
    }
    let count = CountConfig {
        window: config.window,
        windows: plan.windows,
        min_count: config.min_pair_count,
        seed: config.factorize.seed,
        kind: WalkKind::from_pq(config.p, config.q),
    };
    report.walk_path = count.kind.name().to_owned();
    let co = report.time("walk+count", || count_graph(graph, &count, progress));
    report.walk_steps = co.steps;
    report.distinct_pairs = co.distinct_pairs;
    report.kept_pairs = co.counts.nnz() as u64;
    let pmi_config = config.pmi();
    let m = report.time("pmi", || pmi(&co, &pmi_config));
    (m, !graph.is_directed() && pmi_config.cds == 1.0, keep_counts.then_some(co))
}

/// Embed the nodes of `graph` by factorizing the exact NetMF matrix (what
/// [`embed`] does with [`Estimator::Exact`])
/// log max(vol(G)/(bT)·(Σ_r P^r)·D⁻¹, 1) (see [`crate::netmf`]) instead of a
/// sampled one, then propagating as [`embed`] does. Uses `window`, `neg`,
/// the factorization and the propagation; the sampling parameters do not
/// apply.
///
/// # Errors
/// As [`embed`], and [`Error::TooLarge`] above [`crate::netmf::EXACT_NODE_LIMIT`] nodes.
pub fn embed_exact(graph: &Graph, config: &EmbedConfig, progress: &dyn Progress) -> Result<(Embeddings, Report)> {
    check_dim(graph, config)?;
    with_threads(config.factorize.threads, || {
        let plan = crate::budget::plan_exact(graph, config)?;
        let mut report = Report {
            estimator: "exact".into(),
            reason: plan.reason,
            memory_estimate: (plan.peak_bytes, plan.memory_limit),
            ..Default::default()
        };
        progress.start("exact netmf", graph.node_count() as u64);
        let m =
            report.time("exact netmf", || crate::netmf::netmf_exact_with(graph, config.window, config.neg, progress));
        progress.finish();
        let m = m?;
        non_empty(&m)?;
        let mut emb = factorize_square(
            graph.labels().to_vec(),
            &m,
            false, // symmetric in exact arithmetic only
            &config.factorize,
            &mut report,
            progress,
        )?;
        drop(m);
        if !config.keep_context {
            emb.drop_right();
        }
        let left = emb.take_left();
        let dim = emb.dim();
        emb.set_left(propagate_left(
            graph,
            Block::heap(left),
            dim,
            &config.propagation,
            COLUMN_BLOCK,
            &mut report,
            progress,
        )?);
        Ok((emb, report))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asks to stop once a stage has started.
    struct StopAfterStart(std::sync::atomic::AtomicBool);

    impl Progress for StopAfterStart {
        fn start(&self, _: &str, _: u64) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        fn inc(&self, _: u64) {}
        fn finish(&self) {}
        fn cancelled(&self) -> bool {
            self.0.load(std::sync::atomic::Ordering::Relaxed)
        }
    }

    #[test]
    fn the_exact_estimator_is_embed_exact_and_keeps_no_model() {
        let g = Graph::from_edge_list_path("graphs/karate/edges.tsv", &Default::default()).unwrap();
        let cfg = EmbedConfig::default().dim(4).estimator(Estimator::Exact);
        let (a, report) = embed(&g, &cfg, &crate::progress::NoProgress).unwrap();
        let (b, _) = embed_exact(&g, &cfg.clone().estimator(Estimator::Windows), &crate::progress::NoProgress).unwrap();
        assert_eq!(report.estimator, "exact");
        assert_eq!(a.matrix(crate::embeddings::Side::Left), b.matrix(crate::embeddings::Side::Left));
        let e = embed_with_model(&g, &cfg, &crate::progress::NoProgress).unwrap_err().to_string();
        assert!(e.contains("`estimator`") && e.contains("exact"), "{e}");
    }

    #[test]
    fn a_cancelled_run_stops_with_interrupted() {
        let g = Graph::from_edge_list_path("graphs/karate/edges.tsv", &Default::default()).unwrap();
        let stop = StopAfterStart(false.into());
        let e = embed(&g, &EmbedConfig::default().dim(4), &stop).unwrap_err();
        assert!(matches!(e, Error::Interrupted), "{e}");
    }

    #[test]
    fn the_weighted_factorizer_refines_the_windows_matrix_the_same_on_any_thread_count() {
        use crate::embeddings::Side;
        use crate::weighted::Factorizer;
        let g = Graph::from_edge_list_path("graphs/karate/edges.tsv", &Default::default()).unwrap();
        let svd = EmbedConfig::default().dim(4).estimator(Estimator::Windows);
        let weighted = svd.clone().factorizer(Factorizer::Weighted);
        let with_threads = |c: &EmbedConfig, t: usize| {
            let mut c = c.clone();
            c.factorize.threads = t;
            embed(&g, &c, &crate::progress::NoProgress).unwrap()
        };
        let (a, report) = with_threads(&weighted, 1);
        assert_eq!(report.estimator, "windows, weighted");
        assert!(report.stage_seconds.iter().any(|(s, _)| s == "weighted"));
        let (b, _) = with_threads(&weighted, 3);
        assert_eq!(a.matrix(Side::Left), b.matrix(Side::Left));
        assert_eq!(a.matrix(Side::Right), b.matrix(Side::Right));
        let (plain, _) = with_threads(&svd, 1);
        assert_ne!(a.matrix(Side::Left), plain.matrix(Side::Left));
        // The two karate factions stay apart: node 1's nearest neighbours
        // (without propagation's smoothing) are mostly its own faction.
        let raw = weighted.clone().propagation(crate::propagate::PropagationConfig::default().passes(Some(0)));
        let (r, _) = with_threads(&raw, 0);
        let labels = std::fs::read_to_string("graphs/karate/labels.tsv").unwrap();
        let faction: std::collections::HashMap<&str, &str> =
            labels.lines().filter_map(|l| l.split_once('\t')).collect();
        let index = r.index(Side::Left);
        let near = index.nearest("0", 8).unwrap();
        let own = near.iter().filter(|n| faction[n.label.as_str()] == faction["0"]).count();
        assert!(own >= 6, "{near:?}");
        // Only counted pairs can be weighed.
        let e = embed(&g, &weighted.clone().estimator(Estimator::FirstOrder), &crate::progress::NoProgress)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`factorizer`") && e.contains("windows"), "{e}");
    }
}
