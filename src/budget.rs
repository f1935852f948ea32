//! Before any heavy allocation: which matrix the graph path builds, how many
//! walk steps it takes, and how much memory each stage will hold. A run
//! whose estimate exceeds the memory limit, or whose work is absurd, is
//! refused at once with the estimate and what to change — never an
//! allocation failure after minutes of work.

use crate::config::{AUTO_MAX_STEPS, AUTO_STEPS_PER_EDGE, Budget, EmbedConfig, Estimator};
pub use crate::error::human_bytes;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::propagate::COLUMN_BLOCK;
use serde::{Deserialize, Serialize};

/// Walk steps above which a run is refused whatever the memory: at the
/// ~10⁸ steps per second of a small graph on 2 cores, hours.
pub const MAX_STEPS: f64 = 1e12;

/// What the graph path will do, decided from the graph and the config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The matrix built: windows or first-order (never auto).
    pub estimator: Estimator,
    /// Windows to draw (0 for the first-order matrix).
    pub windows: f64,
    /// Walk steps those windows take.
    pub steps: f64,
    /// Why this estimator and budget, in words.
    pub reason: String,
    /// Estimated bytes of each stage's peak (the graph included).
    pub memory: Vec<(String, u64)>,
    /// The largest of them.
    pub peak_bytes: u64,
    /// The limit the peak was checked against.
    pub memory_limit: u64,
    /// Columns propagated together: [`COLUMN_BLOCK`], halved while the
    /// propagation stage would not fit.
    pub column_block: usize,
    /// Whether the dense blocks are stored as `f16` ([`crate::precision`]).
    pub half: bool,
    /// The folder of the memory-mapped dense blocks ([`crate::block`]) when
    /// they do not fit in memory under the limit; `None`: all in memory.
    pub scratch: Option<std::path::PathBuf>,
    /// How many of the SVD's two blocks are mapped: 0, 1 (the sketch) or 2
    /// (both, and U and the vectors entering the propagation with them).
    pub mapped_blocks: u8,
    /// The peak with every block in memory: [`Plan::peak_bytes`] unless
    /// the blocks are mapped.
    pub in_memory_bytes: u64,
}

/// A memory limit as people write it — "2G", "512M", "1.5GiB", "100000"
/// (binary units; `B`, `iB` optional; no unit is bytes) — to bytes. One
/// parser for the CLI's `--memory-limit` and Python's
/// `memory_limit`, so they accept and refuse the same sizes.
pub fn parse_size(text: &str) -> Result<u64> {
    let refuse =
        |why: &str| Error::invalid("memory_limit", format!("`{text}`: {why} (e.g. 8G, 512M or a number of bytes)"));
    let t = text.trim();
    // The unit is the trailing letters, so a number may have an exponent ("8e9").
    let split = t.len() - t.bytes().rev().take_while(|b| b.is_ascii_alphabetic() || *b == b' ').count();
    let (num, unit) = t.split_at(split);
    let value: f64 = num.trim().parse().map_err(|_| refuse("not a size"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let prefix = unit.strip_suffix("ib").or_else(|| unit.strip_suffix('b')).unwrap_or(&unit);
    let scale: u64 = match (prefix, unit.as_str()) {
        (_, "" | "b") => 1,
        ("k", _) => 1 << 10,
        ("m", _) => 1 << 20,
        ("g", _) => 1 << 30,
        ("t", _) => 1 << 40,
        _ => return Err(refuse("unknown unit: use K, M, G or T")),
    };
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(refuse("must be at least one byte"));
    }
    Ok(bytes.min(u64::MAX as f64) as u64)
}

/// The default memory limit: 80 % of physical memory (8 GiB if unknown).
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map(|kib| kib * 1024)
    });
    total.map_or(8 << 30, |t| t / 5 * 4)
}

/// Windows per adjacency entry → steps, and where the total is capped.
fn windows_plan(graph: &Graph, config: &EmbedConfig) -> (f64, String) {
    let t = config.window as f64;
    let adj = graph.adjacency_len() as f64;
    match config.budget {
        Budget::Auto => {
            let steps = (AUTO_STEPS_PER_EDGE * adj).min(AUTO_MAX_STEPS);
            (steps / t, format!("{:.0} steps per edge", steps / adj.max(1.0)))
        }
        Budget::StepsPerEdge(s) => (s * adj / t, format!("{s} steps per edge, as set")),
        Budget::WalksPerNode { walks, length } => {
            let roots = if graph.is_directed() {
                graph.degrees().iter().filter(|&&d| d > 0.0).count()
            } else {
                graph.node_count()
            };
            (walks * length as f64 * roots as f64, format!("DeepWalk's {walks} walks of length {length} per node"))
        }
    }
}

/// Decide the estimator and budget and estimate memory; refuse what would
/// not fit or not finish.
///
/// # Errors
/// [`Error::OverMemory`] when the estimated peak exceeds the limit,
/// [`Error::TooMuchWork`] above [`MAX_STEPS`] walk steps.
pub fn plan(graph: &Graph, config: &EmbedConfig) -> Result<Plan> {
    plan_for(graph, config, false)
}

/// [`plan`], counting a fold-in model kept from the run when `model` is
/// set ([`crate::embed_with_model`]).
pub(crate) fn plan_for(graph: &Graph, config: &EmbedConfig, model: bool) -> Result<Plan> {
    let adj = graph.adjacency_len() as f64;
    let node2vec = config.p != 1.0 || config.q != 1.0;
    let (estimator, reason) = match config.estimator {
        Estimator::Exact => return fit(graph, config, Estimator::Exact, Matrix::Exact, 0.0, "as set".into(), model),
        Estimator::Windows => (Estimator::Windows, "as set".to_owned()),
        Estimator::FirstOrder => (Estimator::FirstOrder, "as set".to_owned()),
        Estimator::Auto if node2vec => (Estimator::Windows, "node2vec's p and q need walks".to_owned()),
        Estimator::Auto if config.budget != Budget::Auto => (Estimator::Windows, "a walk budget was given".to_owned()),
        Estimator::Auto if AUTO_STEPS_PER_EDGE * adj <= AUTO_MAX_STEPS => (
            Estimator::Windows,
            format!("{AUTO_STEPS_PER_EDGE} steps per edge fit the {:.1e}-step cap", AUTO_MAX_STEPS),
        ),
        Estimator::Auto => (
            Estimator::FirstOrder,
            format!(
                "{AUTO_STEPS_PER_EDGE} steps per edge would need {:.1e} steps, over the \
                 {:.1e}-step cap, and thinner walks measured worse than the exact first-order matrix",
                AUTO_STEPS_PER_EDGE * adj,
                AUTO_MAX_STEPS
            ),
        ),
    };
    let (windows, budget_words) =
        if estimator == Estimator::Windows { windows_plan(graph, config) } else { (0.0, String::new()) };
    let steps = windows * config.window as f64;
    if !(steps <= MAX_STEPS) {
        return Err(Error::TooMuchWork {
            what: format!("{steps:.3e} walk steps ({budget_words})"),
            advice: format!("at most {MAX_STEPS:.0e} are accepted; lower the walk budget"),
        });
    }
    let reason = if budget_words.is_empty() || config.budget == Budget::Auto {
        reason
    } else {
        format!("{reason}; {budget_words}")
    };
    let matrix = match estimator {
        Estimator::Windows => Matrix::Windows(steps),
        Estimator::FirstOrder => Matrix::FirstOrder,
        Estimator::Exact | Estimator::Auto => unreachable!("decided above"),
    };
    fit(graph, config, estimator, matrix, windows, reason, model)
}

/// The plan of the exact NetMF matrix ([`crate::embed_exact`]): its memory
/// is bounded by a dense n × n matrix, so `--memory-limit` refuses it on
/// graphs where the sampled estimators would fit.
///
/// # Errors
/// [`Error::OverMemory`] when the estimated peak exceeds the limit.
pub fn plan_exact(graph: &Graph, config: &EmbedConfig) -> Result<Plan> {
    plan(graph, &config.clone().estimator(Estimator::Exact))
}

/// Which matrix the memory estimate is of.
#[derive(Clone, Copy)]
enum Matrix {
    /// Sampled windows of this many walk steps.
    Windows(f64),
    FirstOrder,
    /// The exact NetMF matrix (up to n² entries).
    Exact,
}

/// Estimate the memory of `matrix` and its factorization, narrowing the
/// propagation's column block while it would not fit; refuse what still
/// does not.
fn fit(
    graph: &Graph,
    config: &EmbedConfig,
    estimator: Estimator,
    matrix: Matrix,
    windows: f64,
    reason: String,
    model: bool,
) -> Result<Plan> {
    let steps = if let Matrix::Windows(s) = matrix { s } else { 0.0 };
    let memory_limit = config.memory_limit.unwrap_or_else(default_memory_limit);
    let half = config.factorize.precision.half_for(graph.node_count());
    // As many columns per block as 64 f32 ones take (f16: 128, all of d),
    // halved while the propagation would not fit.
    let blocks = |mapped: u8| {
        let mut column_block = if half { 2 * COLUMN_BLOCK } else { COLUMN_BLOCK };
        let mut memory = estimate_memory(graph, config, matrix, column_block, half, model, mapped);
        while column_block > 8 && memory.iter().any(|m| m.0 == "propagation" && m.1 > memory_limit) {
            column_block /= 2;
            memory = estimate_memory(graph, config, matrix, column_block, half, model, mapped);
        }
        (column_block, memory)
    };
    let peak = |memory: &[(String, u64)]| memory.iter().map(|m| m.1).max().unwrap_or(0);
    let (mut column_block, mut memory) = blocks(0);
    let in_memory_bytes = peak(&memory);
    let (mut scratch, mut mapped_blocks) = (None, 0);
    // Beyond memory: the SVD's sketch block in a scratch file, then both
    // blocks (and the vectors before propagation), as few as fit (the exact
    // matrix is dense itself).
    if in_memory_bytes > memory_limit && !matches!(matrix, Matrix::Exact) {
        for count in [1, 2] {
            let (mapped_block, mapped) = blocks(count);
            if peak(&mapped) <= memory_limit {
                (column_block, memory, mapped_blocks) = (mapped_block, mapped, count);
                scratch = Some(config.scratch_dir.clone().unwrap_or_else(std::env::temp_dir));
                break;
            }
        }
    }
    let peak_bytes = peak(&memory);
    let plan = Plan {
        estimator,
        windows,
        steps,
        reason,
        memory,
        peak_bytes,
        memory_limit,
        column_block,
        half,
        scratch,
        mapped_blocks,
        in_memory_bytes,
    };
    if peak_bytes > memory_limit {
        return Err(Error::OverMemory {
            needed: peak_bytes,
            limit: memory_limit,
            breakdown: plan.breakdown(),
            advice: match matrix {
                Matrix::Exact => "use a sampled `estimator` (its matrix converges to the exact one in far less \
                                  memory), lower the dimension, or raise `memory_limit`"
                    .into(),
                _ => "lower the walk budget or the dimension, or raise `memory_limit`".into(),
            },
        });
    }
    Ok(plan)
}

impl Plan {
    /// Where the dense blocks live.
    pub fn scratch(&self) -> crate::block::Scratch {
        use crate::block::Scratch;
        match (&self.scratch, self.mapped_blocks) {
            (Some(dir), 1) => Scratch::Sketch(dir.clone()),
            (Some(dir), _) => Scratch::All(dir.clone()),
            (None, _) => Scratch::Memory,
        }
    }

    /// "stage 1.2 GiB, stage 300 MiB".
    pub fn breakdown(&self) -> String {
        self.memory.iter().map(|(s, b)| format!("{s} {}", human_bytes(*b))).collect::<Vec<_>>().join(", ")
    }
}

/// Peak bytes of each stage, the graph included in each (it lives
/// throughout). Bounds, not guesses: the windows' kept pairs are bounded
/// by the steps that can reach the pruning threshold. With `mapped` = 1
/// the SVD's sketch block lives in a scratch file ([`crate::block`]), with
/// 2 its basis too, and with it U and the vectors entering the propagation:
/// those are not counted, since the page cache holds of them only what
/// memory has room for.
#[allow(clippy::too_many_arguments)]
fn estimate_memory(
    graph: &Graph,
    config: &EmbedConfig,
    matrix: Matrix,
    column_block: usize,
    half: bool,
    model: bool,
    mapped: u8,
) -> Vec<(String, u64)> {
    // Bytes per value of the dense blocks.
    let e = if half { 2.0 } else { 4.0 };
    let n = graph.node_count() as f64;
    let adj = graph.adjacency_len() as f64;
    let d = config.factorize.dim as f64;
    let l = (d + config.factorize.svd(graph.node_count()).oversample as f64).min(n);
    // The run's pool (`threads`), which the plan is made before: with 0 the
    // run stays on the caller's pool, counted here.
    let threads = match config.factorize.threads {
        0 => rayon::current_num_threads(),
        t => t,
    } as f64;
    let base = graph.memory_bytes() as f64 + n * 48.0;
    let entry = 8.0; // u32 index + f32 value
    let kind = matrix;
    let (matrix, stage) = match kind {
        Matrix::Windows(steps) => {
            // A half is kept from ⌊min/2⌋ visits on: at most steps / that many
            // halves, and no more than n² pairs; raw halves, their transpose
            // and the symmetrized counts are alive together.
            let keep_from = (config.min_pair_count / 2).max(1) as f64;
            let halves = (steps / keep_from).min(n * n);
            let pairs = (2.0 * halves).min(n * n);
            let counting = threads * n * 4.0 + 2.0 * halves * entry + pairs * entry;
            (pairs * entry, ("walk+count".to_owned(), counting))
        }
        Matrix::FirstOrder => (adj * entry, ("first-order matrix".to_owned(), adj * entry)),
        Matrix::Exact => {
            // Pᵀ, three slabs of 128 rows (two f32, one f64 sum), a row, and
            // the matrix itself: at most n² entries.
            let slab = n * 128f64.min(n);
            let building = adj * entry * 2.0 + slab * 16.0 + n * 8.0 + n * n * entry;
            (n * n * entry, ("exact netmf".to_owned(), building))
        }
    };
    let symmetric = matches!(kind, Matrix::Windows(_)) && !graph.is_directed() && config.pmi().cds == 1.0;
    // PMI: the counts and the PMI matrix; SVD: the matrix (and its
    // transpose unless symmetric) and two n × l f32 blocks.
    let pmi = 2.0 * matrix;
    // Of the SVD's two blocks, those in memory; U (in the basis block) and
    // the vectors entering the propagation stay there unless both are mapped.
    let blocks_in_memory = 2.0 - mapped as f64;
    let resident = if mapped == 2 { 0.0 } else { 1.0 };
    let svd = matrix * if symmetric { 1.0 } else { 2.0 } + blocks_in_memory * n * l * e;
    // U leaves the SVD in Q's block; V (f32) only when kept or modelled.
    let right = if config.keep_context || model { n * d * 4.0 } else { 0.0 };
    let embeddings = resident * n * l * e + right;
    let context = if config.keep_context { n * d * 4.0 } else { 0.0 };
    let propagation = if config.propagation.passes_for(graph.is_directed(), config.factorize.dim) > 0 {
        let diffusion = (adj + n) * entry;
        let width = column_block.min(config.factorize.dim);
        let terms = crate::propagate::series_in_s(&config.propagation, crate::propagate::SERIES_TAIL).len();
        let buffers = crate::propagate::filter_buffers(terms, width, config.factorize.dim) as f64;
        let filter = resident * n * d * e + buffers * n * width as f64 * e;
        // The f32 result, widened from the f16 block as that block is released.
        context + diffusion + filter.max(n * d * 4.0)
    } else {
        context + n * d * 4.0
    };
    // A fold-in model holds V and the raw left vectors from the SVD on, and
    // at the end the known edges (12 bytes each) and a copy of the labels.
    // The raw vectors become the model's U (right vectors, and fold-in's
    // later rounds) in place.
    let propagation = if model { propagation + 2.0 * n * d * 4.0 + adj * 12.0 + n * 48.0 } else { propagation };
    [stage, ("pmi".into(), pmi), ("svd".into(), svd.max(embeddings)), ("propagation".into(), propagation)]
        .into_iter()
        .map(|(s, b)| (s, (base + b) as u64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: u32) -> Graph {
        let labels = (0..n).map(|i| i.to_string()).collect();
        Graph::from_edges(labels, (0..n).map(|i| (i, (i + 1) % n, 1.0)), false, false).unwrap()
    }

    #[test]
    fn sizes_parse_with_binary_units_and_bad_ones_name_the_parameter() {
        for (text, bytes) in [
            ("2G", 2u64 << 30),
            ("512MiB", 512 << 20),
            ("1.5gib", 3 << 29),
            (" 1000 ", 1000),
            ("64kb", 64 << 10),
            ("7b", 7),
            ("3 T", 3 << 40),
        ] {
            assert_eq!(parse_size(text).unwrap(), bytes, "{text}");
        }
        for text in
            ["lots", "3X", "", "G", "-1G", "0", "0.5", "nan", "inf", "2Gii", "2bg", "7ib", "1e400", "2 GB extra"]
        {
            let e = parse_size(text).unwrap_err().to_string();
            assert!(e.contains("`memory_limit`") && e.contains(&format!("`{text}`")), "{text}: {e}");
        }
    }

    #[test]
    fn the_estimate_counts_the_runs_threads_not_the_callers_pool() {
        let g = ring(10_000);
        let cfg = EmbedConfig::default().dim(8).estimator(Estimator::Windows).threads(1);
        let peak_in = |pool: usize, cfg: &EmbedConfig| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(pool).build().unwrap();
            pool.install(|| plan(&g, cfg).unwrap().peak_bytes)
        };
        assert_eq!(peak_in(1, &cfg), peak_in(8, &cfg));
        let all = cfg.clone().threads(0);
        assert!(peak_in(8, &all) > peak_in(1, &all), "threads = 0 runs on the caller's pool, counted as such");
    }

    #[test]
    fn small_graphs_get_windows_at_the_edge_proportional_budget() {
        let g = ring(100);
        let p = plan(&g, &EmbedConfig::default().dim(8)).unwrap();
        assert_eq!(p.estimator, Estimator::Windows);
        assert!((p.steps - AUTO_STEPS_PER_EDGE * 200.0).abs() < 1e-6, "{}", p.steps);
        assert!(p.reason.contains("steps per edge"), "{}", p.reason);
    }

    #[test]
    fn absurd_budgets_and_tiny_limits_are_refused_with_advice() {
        let g = ring(100);
        let e = plan(&g, &EmbedConfig::default().walks_per_node(1e300, 80)).unwrap_err().to_string();
        assert!(e.contains("lower the walk budget"), "{e}");
        let e = plan(&g, &EmbedConfig::default().dim(8).memory_limit(Some(1000))).unwrap_err().to_string();
        assert!(e.contains("above the limit of 1000 B") && e.contains("`memory_limit`"), "{e}");
    }

    #[test]
    fn a_fold_in_model_is_counted() {
        let g = ring(1000);
        let cfg = EmbedConfig::default().dim(16);
        let (without, with) = (plan(&g, &cfg).unwrap(), plan_for(&g, &cfg, true).unwrap());
        let prop = |p: &Plan| p.memory.iter().find(|m| m.0 == "propagation").unwrap().1;
        assert!(prop(&with) >= prop(&without) + 2 * 1000 * 16 * 4, "{} vs {}", with.breakdown(), without.breakdown());
        assert!(with.peak_bytes >= without.peak_bytes);
    }

    #[test]
    fn node2vec_forces_windows() {
        let g = ring(10);
        let p = plan(&g, &EmbedConfig::default().p(0.5).estimator(Estimator::Auto)).unwrap();
        assert_eq!(p.estimator, Estimator::Windows);
    }

    #[test]
    fn byte_counts_read_as_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 29), "1.50 GiB");
    }
}
