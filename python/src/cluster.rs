//! The Rust half of `pmivec.distributed`: what a Dask worker runs on its
//! share (read its files, route records to their owners, build and run
//! its shard over the TCP mesh) and the client's label merge.

use crate::to_py_err;
use numpy::{PyArray1, PyReadonlyArray1};
use pmivec::cluster::{Listener, Mesh, Partition, Shard, ShardEdges};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

type Arrays<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f64>>);

fn arrays<'py>(py: Python<'py>, e: ShardEdges) -> Arrays<'py> {
    (PyArray1::from_vec(py, e.rows), PyArray1::from_vec(py, e.cols), PyArray1::from_vec(py, e.weights))
}

fn json<T: serde::Serialize>(x: &T) -> PyResult<String> {
    serde_json::to_string(x).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

type Records<'py> =
    (Vec<String>, Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f64>>, Option<String>);

/// Read one edge list's records — a file at `path`, or `text` (tab
/// separated, named `name` in errors) — through the CLI's reader: (labels
/// in first-appearance order, sources, targets, weights, header or None).
#[pyfunction]
#[pyo3(signature = (path=None, *, text=None, name="<edges>", weighted=false, directed=false, delimiter="auto", src=None, dst=None, weights=None))]
#[allow(clippy::too_many_arguments)]
pub fn read_records<'py>(
    py: Python<'py>,
    path: Option<std::path::PathBuf>,
    text: Option<String>,
    name: &str,
    weighted: bool,
    directed: bool,
    delimiter: &str,
    src: Option<Vec<String>>,
    dst: Option<Vec<String>>,
    weights: Option<Vec<f64>>,
) -> PyResult<Records<'py>> {
    let format = pmivec::EdgeListFormat::default()
        .weighted(weighted)
        .directed(directed)
        .delimiter(crate::parse_delimiter(delimiter)?);
    let r = py
        .detach(|| match (&path, &text) {
            // Labels in memory (a dask partition): taken as given, not parsed.
            (None, None) if src.is_some() && dst.is_some() => pmivec::Graph::records_from_labels(
                &[],
                src.as_deref().unwrap_or_default(),
                dst.as_deref().unwrap_or_default(),
                weights.as_deref(),
            ),
            (Some(p), None) => pmivec::Graph::records_from_path(p, &format),
            (None, Some(t)) => pmivec::Graph::records_from_reader(
                t.as_bytes(),
                &format.clone().delimiter(pmivec::Delimiter::Tab),
                Some(std::path::Path::new(name)),
            ),
            _ => Err(pmivec::Error::InvalidConfig { param: "edges", reason: "give a path or a text".into() }),
        })
        .map_err(to_py_err)?;
    let (mut s, mut d, mut w) = (Vec::with_capacity(r.edges.len()), Vec::with_capacity(r.edges.len()), Vec::new());
    w.reserve(r.edges.len());
    for (a, b, x) in r.edges {
        s.push(a);
        d.push(b);
        w.push(x);
    }
    Ok((r.labels, PyArray1::from_vec(py, s), PyArray1::from_vec(py, d), PyArray1::from_vec(py, w), r.header))
}

/// Labels of many readers merged in reader order: each reader's labels get
/// their global index (first appearance over the readers in order, as one
/// reader of the concatenated files would number them).
#[pyclass(module = "pmivec._core")]
#[derive(Default)]
pub struct Labels {
    index: HashMap<String, u32>,
    labels: Vec<String>,
}

#[pymethods]
impl Labels {
    #[new]
    fn new() -> Self {
        Labels::default()
    }
    /// Add the next reader's labels; their global indices.
    fn add<'py>(&mut self, py: Python<'py>, labels: Vec<String>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let mut out = Vec::with_capacity(labels.len());
        for l in labels {
            let next = self.labels.len() as u32;
            let id = *self.index.entry(l.clone()).or_insert(next);
            if id == next {
                self.labels.push(l);
            }
            out.push(id);
        }
        Ok(PyArray1::from_vec(py, out))
    }
    fn __len__(&self) -> usize {
        self.labels.len()
    }
    /// All labels, in global order.
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }
}

/// Row ranges of `parts` shards balanced by per-block nonzeros.
#[pyfunction]
pub fn partition(rows: usize, block_weights: Vec<u64>, parts: usize) -> PyResult<Vec<usize>> {
    Ok(Partition::balanced(rows, &block_weights, parts).map_err(to_py_err)?.starts().to_vec())
}

/// The row order of `--order id` for these labels (the CLI's rule).
#[pyfunction]
pub fn id_order(py: Python<'_>, labels: Vec<String>) -> Bound<'_, PyArray1<u64>> {
    PyArray1::from_vec(py, pmivec::embeddings::id_order(&labels).into_iter().map(|i| i as u64).collect())
}

/// The rows per block the partition counts in.
#[pyfunction]
pub fn row_block() -> usize {
    pmivec::factorize::ROW_BLOCK
}

fn partition_of(starts: Vec<usize>) -> PyResult<Partition> {
    Partition::from_starts(starts).map_err(to_py_err)
}

/// Route records over global indices to their shards: per shard,
/// (out rows, cols, weights, into rows, cols, weights).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn route<'py>(
    py: Python<'py>,
    starts: Vec<usize>,
    directed: bool,
    src: PyReadonlyArray1<'py, u32>,
    dst: PyReadonlyArray1<'py, u32>,
    weights: PyReadonlyArray1<'py, f64>,
) -> PyResult<Vec<(Arrays<'py>, Arrays<'py>)>> {
    let p = partition_of(starts)?;
    let (s, d, w) = (src.as_slice()?, dst.as_slice()?, weights.as_slice()?);
    let routed = py.detach(|| ShardEdges::route(&p, directed, s, d, w)).map_err(to_py_err)?;
    Ok(routed.into_iter().map(|(o, i)| (arrays(py, o), arrays(py, i))).collect())
}

type Part<'py> = (PyReadonlyArray1<'py, u32>, PyReadonlyArray1<'py, u32>, PyReadonlyArray1<'py, f64>);

fn edges(parts: &[Part<'_>]) -> PyResult<ShardEdges> {
    let mut e = ShardEdges::default();
    for (rows, cols, weights) in parts {
        e.rows.extend_from_slice(rows.as_slice()?);
        e.cols.extend_from_slice(cols.as_slice()?);
        e.weights.extend_from_slice(weights.as_slice()?);
    }
    Ok(e)
}

/// A worker's shard: built from the records routed to it, then run once
/// with its peers.
#[pyclass(module = "pmivec._core")]
pub struct ClusterShard {
    shard: Shard,
    listener: Mutex<Option<Listener>>,
}

#[pymethods]
impl ClusterShard {
    /// `out` and `into`: every reader's (rows, cols, weights) for this shard.
    #[new]
    #[pyo3(signature = (starts, rank, directed, weighted, out, into))]
    fn new(
        py: Python<'_>,
        starts: Vec<usize>,
        rank: usize,
        directed: bool,
        weighted: bool,
        out: Vec<Part<'_>>,
        into: Vec<Part<'_>>,
    ) -> PyResult<Self> {
        let p = partition_of(starts)?;
        let into = if directed { Some(edges(&into)?) } else { None };
        let out = edges(&out)?;
        let shard = py.detach(|| Shard::build(p, rank, directed, weighted, out, into)).map_err(to_py_err)?;
        Ok(ClusterShard { shard, listener: Mutex::new(None) })
    }

    /// The build counts as JSON (edge records, duplicates, self-loops).
    fn stats(&self) -> PyResult<String> {
        json(self.shard.stats())
    }

    /// Open the port the peers will dial, on `host`; its `host:port`.
    fn listen(&self, host: &str) -> PyResult<String> {
        let l = Listener::bind(host).map_err(to_py_err)?;
        let a = l.address().to_owned();
        *self.listener.lock().unwrap() = Some(l);
        Ok(a)
    }

    /// Connect to the peers and run; (own rows of the vectors as an
    /// (own, dim) array, context rows or None, singular values, report,
    /// traffic and plan as JSON).
    #[pyo3(signature = (addresses, token, config, timeout=600.0))]
    #[allow(clippy::type_complexity)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        addresses: Vec<String>,
        token: u64,
        config: &str,
        timeout: f64,
    ) -> PyResult<(
        Bound<'py, numpy::PyArray2<f32>>,
        Option<Bound<'py, numpy::PyArray2<f32>>>,
        Vec<f64>,
        String,
        String,
        String,
    )> {
        let config: pmivec::EmbedConfig =
            serde_json::from_str(config).map_err(|e| PyValueError::new_err(format!("invalid config: {e}")))?;
        let listener =
            self.listener.lock().unwrap().take().ok_or_else(|| PyRuntimeError::new_err("listen() first, once"))?;
        let timeout = Duration::from_secs_f64(timeout.max(1.0));
        let partition = self.shard.partition().clone();
        let rank = self.shard.rank();
        let r = py
            .detach(|| {
                let mut mesh = Mesh::connect(listener, rank, &addresses, token, timeout, partition)?;
                self.shard.embed(&mut mesh, &config, &pmivec::NoProgress)
            })
            .map_err(to_py_err)?;
        let dim = config.factorize.dim;
        let own = r.left.len() / dim.max(1);
        let left = crate::matrix(py, r.left, own, dim)?;
        let right = r.right.map(|v| crate::matrix(py, v, own, dim)).transpose()?;
        Ok((left, right, r.singular_values, json(&r.report)?, json(&r.mesh)?, json(&r.plan)?))
    }
}
