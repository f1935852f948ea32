//! `pmivec._core`: the Rust half of the Python package. The Python half
//! (`pmivec/__init__.py`) turns keyword arguments into the library's config
//! (as JSON, the same serde form the CLI's sidecars record) and edges in any
//! form into label lists; this half runs the library with the GIL released,
//! polls for Ctrl-C, and hands vectors back as numpy arrays without a copy.

mod cluster;

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A library error as the Python exception a user expects, with the same
/// message the CLI prints.
fn to_py_err(e: pmivec::Error) -> PyErr {
    let msg = e.to_string();
    match &e {
        pmivec::Error::Io { cause, .. } if cause.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(msg)
        }
        pmivec::Error::Io { .. } => PyOSError::new_err(msg),
        pmivec::Error::OverMemory { .. } => PyMemoryError::new_err(msg),
        pmivec::Error::Interrupted => PyKeyboardInterrupt::new_err(msg),
        pmivec::Error::Numerical(_) => PyRuntimeError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

fn config_err(what: &str, e: serde_json::Error) -> PyErr {
    PyValueError::new_err(format!("invalid {what}: {e}"))
}

/// The library's progress hook: an optional bar on stderr, and the flag the
/// main thread raises on Ctrl-C.
struct Watch {
    cancelled: AtomicBool,
    show: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Watch {
    fn new(show: bool) -> Self {
        Watch { cancelled: AtomicBool::new(false), show, bar: Mutex::new(None) }
    }
}

impl pmivec::Progress for Watch {
    fn start(&self, stage: &str, total: u64) {
        if !self.show {
            return;
        }
        let bar = if total > 0 { indicatif::ProgressBar::new(total) } else { indicatif::ProgressBar::new_spinner() };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix:>12} [{bar:30}] {percent:>3}% {elapsed_precise}")
                .unwrap()
                .progress_chars("=> "),
        );
        bar.set_prefix(stage.to_owned());
        *self.bar.lock().unwrap() = Some(bar);
    }
    fn inc(&self, n: u64) {
        if let Some(b) = self.bar.lock().unwrap().as_ref() {
            b.inc(n);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap().take() {
            b.finish_and_clear();
        }
    }
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// Run `f` on a worker thread with the GIL released. Python delivers
/// signals to the main thread only, so this thread wakes every 50 ms to let
/// it (`check_signals`); on Ctrl-C the worker is told to stop, and the
/// KeyboardInterrupt is raised once it has.
fn run_interruptible<T: Send>(
    py: Python<'_>,
    watch: &Watch,
    f: impl FnOnce(&Watch) -> pmivec::Result<T> + Send,
) -> PyResult<T> {
    std::thread::scope(|s| {
        let handle = s.spawn(|| f(watch));
        loop {
            let done = py.detach(|| {
                let t = Instant::now();
                while !handle.is_finished() && t.elapsed() < Duration::from_millis(50) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                handle.is_finished()
            });
            if done {
                break;
            }
            if let Err(e) = py.check_signals() {
                watch.cancelled.store(true, Ordering::Relaxed);
                let _ = py.detach(|| handle.join());
                return Err(e);
            }
        }
        handle.join().map_err(|_| PyRuntimeError::new_err("pmivec: internal error"))?.map_err(to_py_err)
    })
}

/// Vectors, as an (n, d) numpy array that owns the Rust buffer (no copy).
fn matrix<'py>(py: Python<'py>, data: Vec<f32>, rows: usize, cols: usize) -> PyResult<Bound<'py, PyArray2<f32>>> {
    PyArray1::from_vec(py, data).reshape([rows, cols])
}

type Vectors<'py> = (Bound<'py, PyArray2<f32>>, Vec<String>, Option<Bound<'py, PyArray2<f32>>>, String);

fn hand_back<'py>(
    py: Python<'py>,
    emb: pmivec::Embeddings,
    report: &pmivec::Report,
    with_right: bool,
) -> PyResult<Vectors<'py>> {
    let (n, d) = (emb.len(), emb.dim());
    let right = if with_right && emb.has_right() { Some(emb.matrix(pmivec::Side::Right)) } else { None };
    let left = emb.matrix(pmivec::Side::Left);
    let report = serde_json::to_string(report).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    let labels = emb.labels().to_vec();
    drop(emb);
    let right = right.map(|r| matrix(py, r, n, d)).transpose()?;
    Ok((matrix(py, left, n, d)?, labels, right, report))
}

/// A graph from an edge-list file (`path`) or from edge lists (`src`,
/// `dst`, optional `weights`), through the CLI's reader in both cases, so
/// labels, order and validation match exactly.
fn read_graph(
    path: Option<PathBuf>,
    src: Option<Vec<String>>,
    dst: Option<Vec<String>>,
    weights: Option<Vec<f64>>,
    nodes: Option<Vec<String>>,
    format: &pmivec::EdgeListFormat,
) -> pmivec::Result<pmivec::Graph> {
    match (path, src, dst) {
        (Some(p), None, None) => pmivec::Graph::from_edge_list_path(&p, format),
        (None, Some(s), Some(d)) => pmivec::Graph::from_labelled_edges(
            nodes.as_deref().unwrap_or(&[]),
            &s,
            &d,
            weights.as_deref(),
            format.directed,
        ),
        _ => Err(pmivec::Error::InvalidConfig { param: "edges", reason: "give a path or edge lists".into() }),
    }
}

/// Refuse a model path that is the input, a special file or unwritable,
/// before any work (the checks every output of the CLI gets).
fn check_model_output(input: Option<&std::path::Path>, model: Option<&std::path::Path>) -> PyResult<()> {
    use pmivec::output::{Inputs, Target, check};
    match model {
        Some(m) => check(&Inputs::new(input), &[Target::File(m)]).map_err(to_py_err),
        None => Ok(()),
    }
}

fn parse_delimiter(d: &str) -> PyResult<pmivec::Delimiter> {
    Ok(match d {
        "auto" => pmivec::Delimiter::Auto,
        "tab" => pmivec::Delimiter::Tab,
        "comma" => pmivec::Delimiter::Comma,
        "whitespace" => pmivec::Delimiter::Whitespace,
        d => return Err(PyValueError::new_err(format!("delimiter `{d}`: use auto, tab, comma or whitespace"))),
    })
}

/// A memory limit ("8G", "512MiB", a number of bytes) in bytes, by the
/// library's one parser; a bad one is a `ValueError` naming `memory_limit`.
#[pyfunction]
fn parse_size(text: &str) -> PyResult<u64> {
    pmivec::budget::parse_size(text).map_err(to_py_err)
}

/// Embed a graph given as an edge-list file (`path`) or as edge lists
/// (`src`, `dst`, optional `weights`), with `config` the library's
/// `EmbedConfig` as JSON. Returns (left vectors, labels, right vectors or
/// None, report JSON).
#[pyfunction]
#[pyo3(signature = (path=None, src=None, dst=None, weights=None, *, directed=false, weighted=false, delimiter="auto", config="{}", exact=false, progress=false, save_model=None, side="left", nodes=None, order="input"))]
#[allow(clippy::too_many_arguments)]
fn embed_graph<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    src: Option<Vec<String>>,
    dst: Option<Vec<String>>,
    weights: Option<Vec<f64>>,
    directed: bool,
    weighted: bool,
    delimiter: &str,
    config: &str,
    exact: bool,
    progress: bool,
    save_model: Option<PathBuf>,
    side: &str,
    nodes: Option<Vec<String>>,
    order: &str,
) -> PyResult<Vectors<'py>> {
    let by_id = match order {
        "input" => false,
        "id" => true,
        o => return Err(PyValueError::new_err(format!("order: expected input or id, got {o:?}"))),
    };
    let side: pmivec::Side = serde_json::from_value(serde_json::Value::String(side.into()))
        .map_err(|_| PyValueError::new_err(format!("side: expected left, right, both or sum, got {side:?}")))?;
    let mut config: pmivec::EmbedConfig = serde_json::from_str(config).map_err(|e| config_err("config", e))?;
    if exact {
        config.estimator = pmivec::config::Estimator::Exact;
    }
    let delimiter = parse_delimiter(delimiter)?;
    let format = pmivec::EdgeListFormat::default().delimiter(delimiter).weighted(weighted).directed(directed);
    let watch = Watch::new(progress);
    let with_right = config.keep_context;
    check_model_output(path.as_deref(), save_model.as_deref())?;
    let (mut emb, report) = run_interruptible(py, &watch, |w| {
        let graph = read_graph(path, src, dst, weights, nodes, &format)?;
        match &save_model {
            None => pmivec::embed(&graph, &config, w),
            Some(p) => {
                let (emb, report, model) = pmivec::embed_with_model(&graph, &config, w)?;
                model.with_side(side)?.save(p)?;
                Ok((emb, report))
            }
        }
    })?;
    if by_id {
        emb.sort_by_id();
    }
    hand_back(py, emb, &report, with_right)
}

/// Word vectors from a corpus file or from lines; `words` and `text` are
/// the library's `WordConfig` and `TextConfig` as JSON.
#[pyfunction]
#[pyo3(signature = (path=None, lines=None, *, words="{}", text="{}", progress=false, save_model=None))]
fn embed_words<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    lines: Option<Vec<String>>,
    words: &str,
    text: &str,
    progress: bool,
    save_model: Option<PathBuf>,
) -> PyResult<Vectors<'py>> {
    let words: pmivec::words::WordConfig = serde_json::from_str(words).map_err(|e| config_err("word config", e))?;
    let text: pmivec::text::TextConfig = serde_json::from_str(text).map_err(|e| config_err("text config", e))?;
    check_model_output(path.as_deref(), save_model.as_deref())?;
    let watch = Watch::new(progress);
    let (emb, report) = run_interruptible(py, &watch, |w| {
        let corpus = match (path, lines) {
            (Some(p), None) => pmivec::text::Corpus::from_path(&p, &text)?,
            (None, Some(l)) => pmivec::text::Corpus::from_lines(l.iter().map(String::as_str), &text)?,
            _ => return Err(pmivec::Error::InvalidConfig { param: "corpus", reason: "give a path or lines".into() }),
        };
        match &save_model {
            None => pmivec::words::embed_words(&corpus, &words, w),
            Some(p) => {
                let (emb, report, model) = pmivec::words::embed_words_with_model(&corpus, &words, &text, w)?;
                model.save(p)?;
                Ok((emb, report))
            }
        }
    })?;
    hand_back(py, emb, &report, true)
}

/// A fitted LSA model.
#[pyclass(module = "pmivec._core", frozen)]
struct Lsa {
    inner: pmivec::lsa::Lsa,
}

#[pymethods]
impl Lsa {
    /// Fit on documents (`ids`, `texts`); `lsa` and `text` as JSON.
    #[staticmethod]
    #[pyo3(signature = (ids, texts, *, lsa="{}", text="{}"))]
    fn fit(py: Python<'_>, ids: Vec<String>, texts: Vec<String>, lsa: &str, text: &str) -> PyResult<Lsa> {
        let lsa: pmivec::lsa::LsaConfig = serde_json::from_str(lsa).map_err(|e| config_err("LSA config", e))?;
        let text: pmivec::text::TextConfig = serde_json::from_str(text).map_err(|e| config_err("text config", e))?;
        let watch = Watch::new(false);
        let (inner, _) = run_interruptible(py, &watch, |w| pmivec::lsa::Lsa::fit(&ids, &texts, &lsa, &text, w))?;
        Ok(Lsa { inner })
    }

    /// (document vectors, document ids).
    fn documents<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyArray2<f32>>, Vec<String>)> {
        let e = self.inner.documents();
        Ok((matrix(py, e.matrix(pmivec::Side::Left), e.len(), e.dim())?, e.labels().to_vec()))
    }

    /// (term vectors, terms).
    fn terms<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyArray2<f32>>, Vec<String>)> {
        let e = self.inner.terms();
        Ok((matrix(py, e.matrix(pmivec::Side::Left), e.len(), e.dim())?, e.labels().to_vec()))
    }

    /// Fold new documents into the fitted space.
    fn transform<'py>(&self, py: Python<'py>, texts: Vec<String>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let ids: Vec<String> = (0..texts.len()).map(|i| i.to_string()).collect();
        let e = py.detach(|| self.inner.fold_in_all(&ids, &texts));
        matrix(py, e.matrix(pmivec::Side::Left), e.len(), e.dim())
    }
}

/// Load word2vec text, npy (+ ids) or Parquet: (vectors, labels, sidecar JSON or None).
#[pyfunction]
fn load<'py>(py: Python<'py>, path: PathBuf) -> PyResult<(Bound<'py, PyArray2<f32>>, Vec<String>, Option<String>)> {
    let emb = py.detach(|| pmivec::Embeddings::load(&path)).map_err(to_py_err)?;
    let meta = emb.metadata().map(|m| serde_json::to_string(m).unwrap_or_default());
    let (n, d) = (emb.len(), emb.dim());
    Ok((matrix(py, emb.matrix(pmivec::Side::Left), n, d)?, emb.labels().to_vec(), meta))
}

/// Save vectors with labels as word2vec text, npy (+ ids) or Parquet, with a sidecar
/// recording `config` (JSON), atomically.
#[pyfunction]
#[pyo3(signature = (vectors, labels, path, format=None, config="null"))]
fn save(
    vectors: PyReadonlyArray2<'_, f32>,
    labels: Vec<String>,
    path: PathBuf,
    format: Option<&str>,
    config: &str,
) -> PyResult<()> {
    let given = match format {
        None => None,
        Some("word2vec") => Some(pmivec::io::Format::Word2vec),
        Some("npy") => Some(pmivec::io::Format::Npy),
        Some("parquet") => Some(pmivec::io::Format::Parquet),
        Some(f) => return Err(PyValueError::new_err(format!("format `{f}`: use word2vec, npy or parquet"))),
    };
    // As the CLI: the file name picks the format unless told.
    let format = pmivec::io::Format::for_path(&path, given).map_err(to_py_err)?;
    let shape = vectors.shape().to_vec();
    if shape[0] != labels.len() {
        return Err(PyValueError::new_err(format!("{} labels for {} rows", labels.len(), shape[0])));
    }
    let data = vectors.as_slice().map(<[f32]>::to_vec).unwrap_or_else(|_| vectors.as_array().iter().copied().collect());
    let config: serde_json::Value = serde_json::from_str(config).map_err(|e| config_err("config", e))?;
    let emb = pmivec::Embeddings::from_matrix(labels, shape[1], data);
    let meta = pmivec::io::Metadata::new(&emb, pmivec::Side::Left, format, &config);
    pmivec::output::save(&emb, pmivec::Side::Left, format, &path, &meta).map_err(to_py_err)
}

/// Fold new nodes (edges: `path` or `src`/`dst`/`weights`) or new words
/// (text: `path` or `lines`) into a saved model: (vectors, labels).
#[pyfunction]
#[pyo3(signature = (model, path=None, src=None, dst=None, weights=None, lines=None, *, delimiter="auto", min_count=None, rounds=None))]
#[allow(clippy::too_many_arguments)]
fn fold_in<'py>(
    py: Python<'py>,
    model: PathBuf,
    path: Option<PathBuf>,
    src: Option<Vec<String>>,
    dst: Option<Vec<String>>,
    weights: Option<Vec<f64>>,
    lines: Option<Vec<String>>,
    delimiter: &str,
    min_count: Option<u64>,
    rounds: Option<usize>,
) -> PyResult<(Bound<'py, PyArray2<f32>>, Vec<String>)> {
    let delimiter = parse_delimiter(delimiter)?;
    let mut side = pmivec::Side::Left;
    let emb = py
        .detach(|| -> pmivec::Result<pmivec::Embeddings> {
            match pmivec::foldin::Saved::load(&model)? {
                pmivec::foldin::Saved::Graph(m) => {
                    side = m.side;
                    let format = pmivec::EdgeListFormat::default()
                        .delimiter(delimiter)
                        .weighted(weights.is_some())
                        .directed(m.directed);
                    let graph = read_graph(path, src, dst, weights, None, &format)?;
                    Ok(m.fold_in_graph_rounds(&graph, rounds.unwrap_or(usize::MAX))?.embeddings)
                }
                pmivec::foldin::Saved::Words(m) => {
                    let lines = match (path, lines) {
                        (Some(p), None) => pmivec::text::read_lines(&p)?,
                        (None, Some(l)) => l,
                        _ => {
                            return Err(pmivec::Error::InvalidConfig {
                                param: "new",
                                reason: "a word model folds in text: give a path or lines".into(),
                            });
                        }
                    };
                    m.fold_in(&lines, min_count.unwrap_or(m.text.min_count))
                }
            }
        })
        .map_err(to_py_err)?;
    Ok((matrix(py, emb.matrix(side), emb.len(), emb.side_dim(side))?, emb.labels().to_vec()))
}

/// Whether `model` is a word model (else a graph model), from its header.
#[pyfunction]
fn is_word_model(model: PathBuf) -> PyResult<bool> {
    pmivec::foldin::Saved::is_word_model(&model).map_err(to_py_err)
}

/// Row-major copy of a 2-D float32 array.
fn rows(a: &PyReadonlyArray2<'_, f32>) -> Vec<f32> {
    a.as_slice().map(<[f32]>::to_vec).unwrap_or_else(|_| a.as_array().iter().copied().collect())
}

/// Orthogonal Procrustes of `source` onto `target`: (aligned source, stats JSON).
#[pyfunction]
#[pyo3(signature = (target, target_labels, source, source_labels, anchors=None, *, center=false, scale=false))]
#[allow(clippy::too_many_arguments)]
fn align<'py>(
    py: Python<'py>,
    target: PyReadonlyArray2<'_, f32>,
    target_labels: Vec<String>,
    source: PyReadonlyArray2<'_, f32>,
    source_labels: Vec<String>,
    anchors: Option<Vec<(String, String)>>,
    center: bool,
    scale: bool,
) -> PyResult<(Bound<'py, PyArray2<f32>>, String)> {
    let (td, sd) = (target.shape()[1], source.shape()[1]);
    let t = pmivec::Embeddings::try_from_matrix(target_labels, td, rows(&target)).map_err(to_py_err)?;
    let s = pmivec::Embeddings::try_from_matrix(source_labels, sd, rows(&source)).map_err(to_py_err)?;
    let config = pmivec::align::AlignConfig { center, scale };
    let (aligned, stats) = py.detach(|| pmivec::align::align(&t, &s, anchors.as_deref(), config)).map_err(to_py_err)?;
    let stats = serde_json::to_string(&stats).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((matrix(py, aligned.matrix(pmivec::Side::Left), aligned.len(), aligned.dim())?, stats))
}

type PcaResult<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<f32>>, Vec<f64>, Vec<f64>, Vec<f64>);

/// PCA of a dense (rows × features) array, or of a CSR matrix given as
/// (indptr, indices, data, shape): (transformed, components, explained
/// variance, ratio, mean).
#[pyfunction]
#[pyo3(signature = (k, dense=None, indptr=None, indices=None, data=None, shape=None, *, power_iters=8, seed=0))]
#[allow(clippy::too_many_arguments)]
fn pca<'py>(
    py: Python<'py>,
    k: usize,
    dense: Option<PyReadonlyArray2<'_, f32>>,
    indptr: Option<Vec<usize>>,
    indices: Option<Vec<u32>>,
    data: Option<Vec<f32>>,
    shape: Option<(usize, usize)>,
    power_iters: usize,
    seed: u64,
) -> PyResult<PcaResult<'py>> {
    let features = match (dense, indptr, indices, data, shape) {
        (Some(x), None, None, None, None) => {
            let (r, c) = (x.shape()[0], x.shape()[1]);
            pmivec::pca::Features::Dense { rows: r, cols: c, data: rows(&x) }
        }
        (None, Some(p), Some(i), Some(v), Some(sh)) => {
            if p.len() != sh.0 + 1
                || i.len() != v.len()
                || p.last() != Some(&v.len())
                || i.iter().any(|&c| c as usize >= sh.1)
            {
                return Err(PyValueError::new_err("pca: inconsistent CSR arrays"));
            }
            pmivec::pca::Features::Sparse(pmivec::sparse::SparseMatrix::from_csr(sh, p, i, v))
        }
        _ => return Err(PyValueError::new_err("pca: give a dense array or CSR arrays")),
    };
    let cols = match &features {
        pmivec::pca::Features::Dense { cols, .. } => *cols,
        pmivec::pca::Features::Sparse(m) => m.shape().1,
    };
    let config = pmivec::factorize::SvdConfig { oversample: 10, power_iters, seed };
    let fitted = py.detach(|| pmivec::pca::pca(&features, k, &config)).map_err(to_py_err)?;
    let n = fitted.transformed.len() / k;
    Ok((
        matrix(py, fitted.transformed, n, k)?,
        matrix(py, fitted.components, k, cols)?,
        fitted.explained_variance,
        fitted.explained_variance_ratio,
        fitted.mean,
    ))
}

/// The built-in English stop-word list (the CLI's `--stopwords english`).
#[pyfunction]
fn english_stopwords() -> Vec<&'static str> {
    pmivec::text::ENGLISH_STOPWORDS.to_vec()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(english_stopwords, m)?)?;
    m.add_function(wrap_pyfunction!(embed_graph, m)?)?;
    m.add_function(wrap_pyfunction!(embed_words, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(parse_size, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(fold_in, m)?)?;
    m.add_function(wrap_pyfunction!(is_word_model, m)?)?;
    m.add_function(wrap_pyfunction!(align, m)?)?;
    m.add_function(wrap_pyfunction!(pca, m)?)?;
    m.add_class::<Lsa>()?;
    m.add_function(wrap_pyfunction!(cluster::read_records, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::partition, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::row_block, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::id_order, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::route, m)?)?;
    m.add_class::<cluster::Labels>()?;
    m.add_class::<cluster::ClusterShard>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
