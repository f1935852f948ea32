//! New nodes. A new node's PMI row against the known contexts comes from
//! its edges to known nodes — the first-order row exactly, or for a windows
//! model the first step exactly and later steps from walks started at its
//! neighbours, at a multiple of the model's walk budget per edge. When the
//! model's vectors were propagated, the least-squares linear map from the
//! raw to the propagated vectors of the known nodes carries u there too
//! (then rows are unit length, as propagation leaves them).

use super::{Saved, projection_scale, read_f32s, read_settings, read_u64, stage_model, write_f32s};
use crate::config::{AUTO_STEPS_PER_EDGE, Budget, EmbedConfig, Estimator};
use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::walk::{WalkKind, Walker};
use faer::Mat;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

fn default_cds() -> f64 {
    0.75
}

fn one() -> f64 {
    1.0
}

/// What fold-in needs, saved by `embed --save-model`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Model {
    /// Labels of the known nodes (rows of V).
    pub labels: Vec<String>,
    /// Rank k.
    pub dim: usize,
    /// The estimator the model factorized (windows or first-order).
    pub estimator: Estimator,
    /// Window T.
    pub window: usize,
    /// PMI shift b.
    pub neg: f64,
    /// Walk steps per edge of the fold-in rows (the model's budget).
    pub steps_per_edge: f64,
    /// Exponent p of U·Σ^p.
    pub eig_weight: f64,
    /// Singular values.
    pub singular_values: Vec<f64>,
    /// (Weighted) degrees of the known nodes.
    pub degrees: Vec<f64>,
    /// vol(G).
    pub volume: f64,
    /// First-order models: log of the smoothed context weight of each known
    /// node, and the shift log(Z/b).
    pub log_context: Vec<f64>,
    /// See `log_context`.
    pub log_shift: f64,
    /// Seed of the fold-in walks.
    pub seed: u64,
    /// Context smoothing α of a first-order model's contexts.
    #[serde(default = "default_cds")]
    pub cds: f64,
    /// The model's pruning: window pairs seen fewer times were dropped.
    #[serde(default)]
    pub min_pair_count: u32,
    /// Context smoothing α of a windows model's PMI (models saved before
    /// it was kept folded in with 1).
    #[serde(default = "one")]
    pub window_cds: f64,
    /// node2vec return parameter p of a windows model's walks (1: DeepWalk).
    #[serde(default = "one")]
    pub p: f64,
    /// node2vec in-out parameter q of a windows model's walks.
    #[serde(default = "one")]
    pub q: f64,
    /// Known graph as (source, target, weight) edges, for the walks.
    #[serde(skip)]
    pub edges: Vec<(u32, u32, f32)>,
    /// Whether the edges are arcs.
    pub directed: bool,
    /// V (known nodes × k), row-major.
    #[serde(skip)]
    pub v: Vec<f32>,
    /// The k × k map from raw to propagated vectors, if propagated.
    #[serde(skip)]
    pub map: Option<Vec<f32>>,
    /// The side the run wrote ([`Model::with_side`]): fold-in gives the new
    /// nodes the same side, so their rows sit beside the known ones.
    #[serde(default)]
    pub side: Side,
    /// U (known nodes × k), row-major, kept when the run kept the right
    /// side: a new node's right vector is its PMI column projected on U.
    #[serde(skip)]
    pub u: Vec<f32>,
}

impl Model {
    /// A model of `graph` from a run's pieces: V and Σ, the left vectors
    /// before (`raw`) and after (`final_left`) propagation.
    pub(crate) fn new(
        graph: &Graph,
        config: &EmbedConfig,
        estimator: Estimator,
        v: Vec<f32>,
        singular_values: Vec<f64>,
        raw: Vec<f32>,
        final_left: Option<&[f32]>,
    ) -> Result<Model> {
        let k = singular_values.len();
        let map = final_left.map(|f| least_squares_map(&raw, f, k)).transpose()?;
        // raw = U·Σ^p; U for right vectors and for fold-in's later rounds
        // (a placed node's row of V is its PMI column projected on U).
        let u = super::unweighted(raw, &singular_values, config.factorize.eig_weight);
        let first_order = crate::pmi::transition_marginals(graph, config.neg, config.cds.unwrap_or(0.75));
        let n = graph.node_count() as u32;
        let mut edges = Vec::with_capacity(graph.adjacency_len());
        for u in 0..n {
            let w = graph.neighbor_weights(u);
            for (j, &t) in graph.neighbors(u).iter().enumerate() {
                if graph.is_directed() || u <= t {
                    edges.push((u, t, w.map_or(1.0, |w| w[j])));
                }
            }
        }
        Ok(Model {
            labels: graph.labels().to_vec(),
            dim: k,
            estimator,
            window: config.window,
            neg: config.neg,
            steps_per_edge: match config.budget {
                Budget::StepsPerEdge(s) => s,
                _ => AUTO_STEPS_PER_EDGE,
            },
            eig_weight: config.factorize.eig_weight,
            singular_values,
            degrees: graph.degrees().to_vec(),
            volume: graph.volume(),
            log_context: first_order.log_context,
            log_shift: first_order.log_shift,
            seed: config.factorize.seed,
            cds: config.cds.unwrap_or(0.75),
            min_pair_count: config.min_pair_count,
            window_cds: config.pmi().cds,
            p: config.p,
            q: config.q,
            edges,
            directed: graph.is_directed(),
            v,
            map,
            side: Side::Left,
            u,
        })
    }

    /// The model of a run that wrote `side`, so that fold-in gives new
    /// nodes that side too.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a side other than left on a directed
    /// model (a new node's in-arcs, which its right vector needs, are not
    /// folded in) or on a run that did not keep the right side.
    pub fn with_side(mut self, side: Side) -> Result<Model> {
        let reason = if side == Side::Left {
            None
        } else if self.directed {
            Some("a directed model folds in a new node's out-arcs, which give its left vector only; use `side` left")
        } else if self.u.is_empty() {
            Some("the run did not keep the right side (set keep_context)")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(Error::InvalidConfig { param: "side", reason: reason.into() });
        }
        self.side = side;
        Ok(self)
    }

    /// Write the model: a header, JSON settings, then the arrays.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut batch = crate::output::Batch::new();
        self.stage(&mut batch, path)?;
        batch.commit()
    }

    /// Stage the model at `path` in `batch`, to be committed with a run's
    /// other outputs.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn stage(&self, batch: &mut crate::output::Batch, path: &Path) -> Result<()> {
        stage_model(batch, path, crate::io::GRAPH_MODEL_MAGIC, self, |w| {
            w.write_all(&(self.edges.len() as u64).to_le_bytes())?;
            for &(a, b, x) in &self.edges {
                w.write_all(&a.to_le_bytes())?;
                w.write_all(&b.to_le_bytes())?;
                w.write_all(&x.to_le_bytes())?;
            }
            write_f32s(w, &self.v)?;
            write_f32s(w, self.map.as_deref().unwrap_or(&[]))?;
            write_f32s(w, &self.u)
        })
    }

    /// Read a model written by [`Model::save`].
    ///
    /// # Errors
    /// [`Error::Io`], or [`Error::Parse`] for a file that is not a graph model.
    pub fn load(path: &Path) -> Result<Model> {
        match Saved::load(path)? {
            Saved::Graph(m) => Ok(*m),
            Saved::Words(_) => Err(Error::Parse {
                path: Some(path.into()),
                line: 1,
                message: "a word model (from words with `save_model`), not a graph model".into(),
            }),
        }
    }

    pub(super) fn load_from(bytes: &[u8], bad: impl Fn(&str) -> Error) -> Result<Model> {
        let (mut model, mut r): (Model, &[u8]) = read_settings(bytes, &bad)?;
        let m = read_u64(&mut r).ok_or_else(|| bad("truncated"))? as usize;
        let edge_bytes = r.get(..m.checked_mul(12).ok_or_else(|| bad("corrupt"))?).ok_or_else(|| bad("truncated"))?;
        model.edges = edge_bytes
            .chunks_exact(12)
            .map(|c| {
                let u = u32::from_le_bytes(c[0..4].try_into().unwrap());
                let v = u32::from_le_bytes(c[4..8].try_into().unwrap());
                (u, v, f32::from_le_bytes(c[8..12].try_into().unwrap()))
            })
            .collect();
        r = &r[m * 12..];
        model.v = read_f32s(&mut r).ok_or_else(|| bad("truncated"))?;
        let map = read_f32s(&mut r).ok_or_else(|| bad("truncated"))?;
        model.map = (!map.is_empty()).then_some(map);
        // Models written before U was kept end here.
        model.u = if r.is_empty() { Vec::new() } else { read_f32s(&mut r).ok_or_else(|| bad("truncated"))? };
        model.check().map_err(bad)?;
        Ok(model)
    }

    /// The settings and arrays agree, and every number is in the range a
    /// run can produce (a corrupt file must not make fold-in panic or run
    /// away).
    fn check(&self) -> std::result::Result<(), &'static str> {
        let n = self.labels.len();
        let k = self.dim;
        let sizes = self.v.len() == n.checked_mul(k).ok_or("corrupt")?
            && self.degrees.len() == n
            && self.singular_values.len() == k
            && self.map.as_ref().is_none_or(|m| m.len() == k * k)
            && (self.u.is_empty() || self.u.len() == self.v.len())
            && (self.side == Side::Left || (!self.u.is_empty() && !self.directed))
            && (self.estimator != Estimator::FirstOrder || self.log_context.len() == n)
            && self.edges.iter().all(|e| (e.0 as usize) < n && (e.1 as usize) < n);
        if !sizes {
            return Err("inconsistent sizes");
        }
        let finite = |x: f64| x.is_finite();
        let ranges = crate::params::WINDOWS.contains(&self.window)
            && matches!(self.estimator, Estimator::Windows | Estimator::FirstOrder)
            && self.neg > 0.0
            && finite(self.neg)
            && self.cds > 0.0
            && self.cds <= 1.0
            && self.window_cds > 0.0
            && self.window_cds <= 1.0
            && [self.p, self.q].iter().all(|&x| finite(x) && x >= f64::MIN_POSITIVE)
            && self.steps_per_edge > 0.0
            && self.steps_per_edge <= 1e6
            && (0.0..=1.0).contains(&self.eig_weight)
            && self.volume > 0.0
            && finite(self.volume)
            && finite(self.log_shift)
            && self.singular_values.iter().all(|&s| finite(s) && s >= 0.0)
            && self.degrees.iter().all(|&d| finite(d) && d >= 0.0)
            && self.edges.iter().all(|e| e.2.is_finite() && e.2 >= 0.0)
            // A context never seen has log count +∞ (its PMI is −∞, dropped).
            && self.log_context.iter().all(|&c| !c.is_nan() && c != f64::NEG_INFINITY)
            && self.v.iter().chain(self.map.iter().flatten()).chain(&self.u).all(|x| x.is_finite());
        if !ranges { Err("corrupt settings") } else { Ok(()) }
    }

    /// Embed nodes that are not in the model from `edges` (label pairs with
    /// weights): in each pair one end must be known and the other new; pairs
    /// of two known or two new nodes are skipped (and on a directed model,
    /// arcs into a new node: its row is its out-arcs). Returns the new nodes'
    /// vectors, in order of first appearance. One round:
    /// [`Model::fold_in_rounds`] also places nodes reached only through
    /// other new nodes.
    ///
    /// # Errors
    /// [`Error::Empty`] when no edge joins a new node to a known one.
    pub fn fold_in(&self, edges: &[(String, String, f64)]) -> Result<Embeddings> {
        self.fold_in_rounds(edges, 1).map(|f| f.embeddings)
    }

    /// [`Model::fold_in`] in up to `max_rounds` rounds: round 1 places the
    /// new nodes with an edge to a known node, and each further round the
    /// new nodes with an edge to a node placed before, as if that node had
    /// been in the model (its row of U and V, its degree and context mass
    /// join the known ones; the model's normalizers stay fixed, so earlier
    /// rows never change). Rows come round by round, each round in order of
    /// first appearance. Only an undirected model whose file holds U (every
    /// model saved since rounds exist) can place beyond round 1: a placed
    /// node's row of V is its PMI column projected on U.
    ///
    /// # Errors
    /// [`Error::Empty`] when no edge joins a new node to a known one;
    /// [`Error::InvalidConfig`] for `max_rounds` = 0.
    pub fn fold_in_rounds(&self, edges: &[(String, String, f64)], max_rounds: usize) -> Result<FoldIn> {
        if max_rounds == 0 {
            return Err(Error::InvalidConfig { param: "rounds", reason: "must be at least 1".into() });
        }
        // The windows matrix's marginals: the degrees as context masses
        // (vol/(bT)·Σ P^r·D⁻¹ at α = 1); fixed for every round.
        let mut windows = (self.estimator == Estimator::Windows)
            .then(|| crate::pmi::Marginals::smoothed(&self.degrees, self.window_cds, self.neg));
        let chained = max_rounds > 1 && self.can_chain();
        let mut placed = self.place(edges, windows.as_ref(), 0, chained)?;
        let mut rounds = vec![placed.labels.len()];
        if chained && self.leads_on(&placed, edges) {
            let mut model = self.clone();
            let mut all = placed.clone();
            while rounds.len() < max_rounds {
                model.join(&placed, edges, windows.as_mut());
                placed = match model.place(edges, windows.as_ref(), rounds.len() as u64, true) {
                    Ok(p) => p,
                    Err(Error::Empty { .. }) => break,
                    Err(e) => return Err(e),
                };
                rounds.push(placed.labels.len());
                all.append(&placed);
            }
            placed = all;
        }
        let k = self.dim;
        let Placed { labels, mut left, right, .. } = placed;
        if let Some(map) = &self.map {
            // Row by row (a blocked product's rounding would depend on how
            // many rows a batch has, and round 1's rows must not change).
            left.par_chunks_mut(k.max(1)).for_each(|row| {
                let mapped: Vec<f64> = (0..k)
                    .map(|j| row.iter().enumerate().map(|(i, &x)| x as f64 * map[i * k + j] as f64).sum())
                    .collect();
                row.iter_mut().zip(mapped).for_each(|(x, m)| *x = m as f32);
            });
            crate::factorize::normalize_rows(&mut left, k);
        }
        let right = (self.side != Side::Left).then_some(right);
        let embeddings = Embeddings::from_parts(labels, k, left, right, self.singular_values.clone());
        Ok(FoldIn { embeddings, rounds })
    }

    /// Whether an edge joins a node of `placed` to a node neither known nor
    /// placed: only then is a next round worth the model's copy.
    fn leads_on(&self, placed: &Placed, edges: &[(String, String, f64)]) -> bool {
        let known: std::collections::HashSet<&str> = self.labels.iter().map(String::as_str).collect();
        let now: std::collections::HashSet<&str> = placed.labels.iter().map(String::as_str).collect();
        let open = |l: &str| !known.contains(l) && !now.contains(l);
        edges.iter().any(|(a, b, _)| (now.contains(a.as_str()) && open(b)) || (now.contains(b.as_str()) && open(a)))
    }

    /// Whether placed nodes can be known in a next round: their row of V
    /// needs U, and a directed model's new rows are out-arcs only.
    fn can_chain(&self) -> bool {
        !self.directed && !self.u.is_empty()
    }

    /// One round: the new nodes of `edges` with an edge to a known node,
    /// their raw left vectors m·V·Σ^(p−1) and, when the right side or a
    /// next round needs them, their PMI columns projected on U·Σ^(p−1).
    fn place(
        &self,
        edges: &[(String, String, f64)],
        windows: Option<&crate::pmi::Marginals>,
        round: u64,
        chained: bool,
    ) -> Result<Placed> {
        let index: HashMap<&str, u32> = self.labels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
        let mut new_labels: Vec<String> = Vec::new();
        let mut new_ids: HashMap<&str, usize> = HashMap::new();
        let mut rows: Vec<Vec<(u32, f64)>> = Vec::new();
        for (a, b, w) in edges {
            // On a directed model a new node's row is its out-arcs.
            let (new, known) = match (index.get(a.as_str()), index.get(b.as_str())) {
                (None, Some(&k)) => (a, k),
                (Some(&k), None) if !self.directed => (b, k),
                _ => continue,
            };
            let i = *new_ids.entry(new.as_str()).or_insert_with(|| {
                new_labels.push(new.clone());
                rows.push(Vec::new());
                rows.len() - 1
            });
            rows[i].push((known, *w));
        }
        if rows.is_empty() {
            return Err(Error::Empty { path: None, what: "no edge joins a new node to a node of the model".into() });
        }
        // Walks (windows, T > 1) need the known graph; first-order rows do not.
        let walks = self.estimator == Estimator::Windows && self.window > 1;
        let graph = if walks { Some(self.graph()?) } else { None };
        let k = self.dim;
        // V·Σ^(p−1) as a k-wide row per known node.
        let scale = projection_scale(&self.singular_values, self.eig_weight);
        let n = self.labels.len();
        let right = self.side != Side::Left || chained;
        // M[x, ·]·V·Σ^(p−1) (left) and, when asked, M[·, x]ᵀ·U·Σ^(p−1) (right).
        let project = |entries: &[(u32, f32)], basis: &[f32], out: &mut [f32]| {
            for &(c, val) in entries {
                let bc = &basis[c as usize * k..(c as usize + 1) * k];
                for ((o, b), s) in out.iter_mut().zip(bc).zip(&scale) {
                    *o += val * b * s;
                }
            }
        };
        let both: Vec<(Vec<f32>, Vec<f32>)> = rows
            .par_iter()
            .enumerate()
            .map_init(
                || Accumulator::new(n),
                |acc, (x, row)| {
                    // Round 1's rows keep the seeds they had before rounds.
                    let key = if round == 0 { x as u64 } else { crate::seed::mix(round, x as u64) };
                    let m = self.pmi_row(graph.as_ref(), windows, row, key, acc);
                    let mut left = vec![0f32; k];
                    project(&m, &self.v, &mut left);
                    let mut r = Vec::new();
                    if right {
                        r = vec![0f32; k];
                        project(&self.pmi_column(row, m), &self.u, &mut r);
                    }
                    (left, r)
                },
            )
            .collect();
        let (left, right): (Vec<Vec<f32>>, Vec<Vec<f32>>) = both.into_iter().unzip();
        Ok(Placed { labels: new_labels, left: left.concat(), right: right.concat() })
    }

    /// Make the nodes of `placed` known: their labels, U and V rows (from
    /// their raw vectors, U·Σ^p and V·Σ^p), degrees over all their edges in
    /// `edges`, context masses, and their edges to known nodes for walks.
    fn join(&mut self, placed: &Placed, edges: &[(String, String, f64)], windows: Option<&mut crate::pmi::Marginals>) {
        let first = self.labels.len() as u32;
        let names: HashMap<&str, u32> =
            placed.labels.iter().enumerate().map(|(i, l)| (l.as_str(), first + i as u32)).collect();
        // Each placed node's degree over the whole batch (the model's
        // nodes keep theirs: their normalizers are the model's).
        let mut degree = vec![0f64; placed.labels.len()];
        for (a, b, w) in edges {
            for end in [a, b] {
                if let Some(&i) = names.get(end.as_str()) {
                    degree[(i - first) as usize] += w;
                }
            }
        }
        // Edges from a placed node to a known one, or among placed nodes,
        // once each, for the next rounds' walks.
        let index: HashMap<&str, u32> = self.labels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
        let id = |l: &str| names.get(l).or_else(|| index.get(l)).copied();
        for (a, b, w) in edges {
            if let (Some(u), Some(v)) = (id(a), id(b))
                && (u >= first || v >= first)
            {
                self.edges.push((u, v, *w as f32));
            }
        }
        if self.estimator == Estimator::FirstOrder {
            // A placed node's context mass Σ_u w/d_u over its neighbours
            // with a degree (known or placed now).
            let mut mass = vec![0f64; placed.labels.len()];
            let deg = |l: &str| match (index.get(l), names.get(l)) {
                (Some(&c), _) => Some(self.degrees[c as usize]),
                (None, Some(&c)) => Some(degree[(c - first) as usize]),
                _ => None,
            };
            for (a, b, w) in edges {
                for (x, y) in [(a, b), (b, a)] {
                    if let (Some(&i), Some(d)) = (names.get(x.as_str()), deg(y))
                        && d > 0.0
                    {
                        mass[(i - first) as usize] += w / d;
                    }
                }
            }
            self.log_context.extend(mass.iter().map(|&m| crate::pmi::log_mass(crate::pmi::smooth(m, self.cds))));
        }
        if let Some(m) = windows {
            m.log_context.extend(degree.iter().map(|&d| crate::pmi::log_mass(crate::pmi::smooth(d, self.window_cds))));
        }
        self.degrees.extend(degree);
        let p = self.eig_weight;
        self.u.extend(super::unweighted(placed.left.clone(), &self.singular_values, p));
        self.v.extend(super::unweighted(placed.right.clone(), &self.singular_values, p));
        self.labels.extend(placed.labels.iter().cloned());
    }

    /// The new node's PMI column M[·, x] against known rows, from its row
    /// `m` = M[x, ·]: the windows matrix of an undirected graph is
    /// symmetric (vol/(bT)·Σ P^r·D⁻¹), so the column is the row; the
    /// first-order matrix weighs x as a context instead,
    /// M[c, x] = log(w/d_c) + log(Z/b) − log p_x.
    fn pmi_column(&self, row: &[(u32, f64)], m: Vec<(u32, f32)>) -> Vec<(u32, f32)> {
        if self.estimator != Estimator::FirstOrder {
            return m;
        }
        let known = || row.iter().filter(|e| self.degrees[e.0 as usize] > 0.0);
        let mass: f64 = known().map(|&(c, w)| w / self.degrees[c as usize]).sum();
        let log_px = crate::pmi::log_mass(crate::pmi::smooth(mass, self.cds));
        let mut col: Vec<(u32, f32)> = known()
            .map(|&(c, w)| {
                (c, crate::pmi::transition_entry(w, self.degrees[c as usize], self.log_shift, log_px) as f32)
            })
            .filter(|e| e.1 != 0.0 && e.1.is_finite())
            .collect();
        col.sort_unstable_by_key(|e| e.0);
        col
    }

    /// [`Model::fold_in`] from a graph of the new edges (as read from an
    /// edge list), its labels matched to the model's.
    ///
    /// # Errors
    /// As [`Model::fold_in`].
    pub fn fold_in_graph(&self, edges: &Graph) -> Result<Embeddings> {
        self.fold_in_graph_rounds(edges, 1).map(|f| f.embeddings)
    }

    /// [`Model::fold_in_rounds`] from a graph of the new edges.
    ///
    /// # Errors
    /// As [`Model::fold_in_rounds`].
    pub fn fold_in_graph_rounds(&self, edges: &Graph, max_rounds: usize) -> Result<FoldIn> {
        let labels = edges.labels();
        let mut triples = Vec::with_capacity(edges.adjacency_len());
        for u in 0..edges.node_count() as u32 {
            let w = edges.neighbor_weights(u);
            for (j, &v) in edges.neighbors(u).iter().enumerate() {
                if edges.is_directed() || u <= v {
                    let weight = w.map_or(1.0, |w| w[j] as f64);
                    triples.push((labels[u as usize].clone(), labels[v as usize].clone(), weight));
                }
            }
        }
        self.fold_in_rounds(&triples, max_rounds)
    }

    /// Nodes of `edges` that are not in the model and that `folded` (what
    /// [`Model::fold_in_graph`] returned for `edges`) has no row for: their
    /// edges lead only to other new nodes (or, on a directed model, they
    /// have no out-arc to a known node). In order of first appearance.
    pub fn unplaced(&self, edges: &Graph, folded: &Embeddings) -> Vec<String> {
        let known: std::collections::HashSet<&str> = self.labels.iter().map(String::as_str).collect();
        let placed: std::collections::HashSet<&str> = folded.labels().iter().map(String::as_str).collect();
        edges.labels().iter().filter(|l| !known.contains(l.as_str()) && !placed.contains(l.as_str())).cloned().collect()
    }

    fn graph(&self) -> Result<Graph> {
        let edges = self.edges.iter().map(|&(u, v, w)| (u, v, w as f64));
        Graph::from_edges(self.labels.clone(), edges, true, self.directed)
    }

    /// The new node's PMI row against known contexts (sparse), with a
    /// per-thread dense accumulator (`acc`: share and visits per context).
    fn pmi_row(
        &self,
        graph: Option<&Graph>,
        windows: Option<&crate::pmi::Marginals>,
        row: &[(u32, f64)],
        key: u64,
        acc: &mut Accumulator,
    ) -> Vec<(u32, f32)> {
        let dx: f64 = row.iter().map(|e| e.1).sum();
        if dx <= 0.0 {
            return Vec::new();
        }
        let Some(marginals) = windows else {
            // First-order: exact; a known node that is no context (no
            // in-arcs) has PMI −∞ there, and no column to project on.
            return row
                .iter()
                .map(|&(c, w)| {
                    (c, crate::pmi::transition_entry(w, dx, self.log_shift, self.log_context[c as usize]) as f32)
                })
                .filter(|e| e.1 != 0.0 && e.1.is_finite())
                .collect();
        };
        // Σ_r P^r[x, ·]: the first step exact, steps 2..T from walks started
        // at the neighbours in proportion to P[x, c] (stratified), at
        // FOLD_IN_BOOST times the model's budget: a new row costs little,
        // and its sampling noise is what separates it from a refit.
        let t = self.window;
        let windows = (FOLD_IN_BOOST * self.steps_per_edge * row.len() as f64 / t as f64).max(1.0);
        for &(c, w) in row {
            acc.add(c, w / dx, 0);
            acc.adjacent[c as usize] = true;
        }
        if let Some(graph) = graph {
            // The model's walk; a node2vec walk from a neighbour starts
            // first-order (its step back to the new node is not in the graph).
            let kind = WalkKind::from_pq(self.p, self.q);
            let walker = Walker::new(graph, kind, t - 1, crate::seed::mix(self.seed, key));
            for &(c, w) in row {
                let share = windows * w / dx;
                let drawn = share.round().max(1.0);
                let weight = share / drawn / windows;
                walker.rooted(c, 0..drawn as u64, |_, v| acc.add(v, weight, 1));
            }
        }
        // The model kept a window pair seen ⌈min/2⌉ times in a half; the
        // boosted row sees each context more often, so the same threshold
        // keeps a little more of it (measured: closer to a refit than
        // scaling it with the boost), and its neighbours (exact) always.
        let keep_from = self.min_pair_count.div_ceil(2) as f64;
        // Σ_r of the row's shares is T: its row mass.
        let log_row = (t as f64).ln();
        let mut out = Vec::new();
        for &c in &acc.touched {
            let (p, visits, adjacent) = (acc.share[c as usize], acc.visits[c as usize], acc.adjacent[c as usize]);
            let d = self.degrees[c as usize];
            if d > 0.0 && (adjacent || visits as f64 >= keep_from) {
                let m = marginals.entry(p.ln(), log_row, c as usize);
                if m > 0.0 {
                    out.push((c, m as f32));
                }
            }
        }
        acc.clear();
        out.sort_unstable_by_key(|e| e.0);
        out
    }
}

/// Walk budget of a fold-in row, as a multiple of the model's per edge
/// (measured on BlogCatalog: ×1 left the folded-in nodes 0.05 Micro-F1
/// below a refit, ×16 within 0.011).
pub const FOLD_IN_BOOST: f64 = 16.0;

/// What [`Model::fold_in_rounds`] placed.
#[derive(Clone, Debug)]
pub struct FoldIn {
    /// The new nodes' vectors, round by round.
    pub embeddings: Embeddings,
    /// How many nodes each round placed.
    pub rounds: Vec<usize>,
}

/// One round's nodes: labels, raw left vectors m·V·Σ^(p−1), PMI columns
/// projected on U·Σ^(p−1) (empty unless asked).
#[derive(Clone, Debug)]
struct Placed {
    labels: Vec<String>,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl Placed {
    fn append(&mut self, other: &Placed) {
        self.labels.extend(other.labels.iter().cloned());
        self.left.extend_from_slice(&other.left);
        self.right.extend_from_slice(&other.right);
    }
}

/// Dense per-thread accumulator of a fold-in row: share and visits per
/// known context, the touched ones listed for a sparse reset.
struct Accumulator {
    share: Vec<f64>,
    visits: Vec<u32>,
    adjacent: Vec<bool>,
    touched: Vec<u32>,
}

impl Accumulator {
    fn new(n: usize) -> Self {
        Accumulator { share: vec![0.0; n], visits: vec![0; n], adjacent: vec![false; n], touched: Vec::new() }
    }
    #[inline]
    fn add(&mut self, c: u32, share: f64, visit: u32) {
        let i = c as usize;
        if self.share[i] == 0.0 && self.visits[i] == 0 && !self.adjacent[i] {
            self.touched.push(c);
        }
        self.share[i] += share;
        self.visits[i] += visit;
    }
    fn clear(&mut self) {
        for &c in &self.touched {
            let i = c as usize;
            (self.share[i], self.visits[i], self.adjacent[i]) = (0.0, 0, false);
        }
        self.touched.clear();
    }
}

/// W = argmin ‖R·W − F‖ over the known rows (k × k, row-major), by the
/// normal equations RᵀR·W = RᵀF.
fn least_squares_map(raw: &[f32], target: &[f32], k: usize) -> Result<Vec<f32>> {
    let rtr = crate::factorize::gram(raw, k);
    let rtf = crate::factorize::cross(raw, k, target, k);
    let ridge = (0..k).map(|i| rtr[(i, i)]).fold(0.0, f64::max) * 1e-9;
    let a = Mat::<f64>::from_fn(k, k, |i, j| rtr[(i, j)] + if i == j { ridge } else { 0.0 });
    // W = (RᵀR)⁻¹·RᵀF by faer's Cholesky solve.
    let llt = a.llt(faer::Side::Lower).map_err(|_| Error::Numerical("the raw vectors are rank-deficient".into()))?;
    let mut x = rtf;
    faer::linalg::solvers::Solve::solve_in_place(&llt, x.as_mut());
    let w = (0..k * k).map(|e| x[(e / k, e % k)] as f32).collect();
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embeddings::Side;
    use crate::progress::NoProgress;
    fn karate() -> Graph {
        Graph::from_edge_list_path("graphs/karate/edges.tsv", &Default::default()).unwrap()
    }

    /// Node 33's edges, with 33 renamed: a "new" node identical to it.
    fn twin_of_33(g: &Graph) -> Vec<(String, String, f64)> {
        let i = g.labels().iter().position(|l| l == "33").unwrap() as u32;
        g.neighbors(i).iter().map(|&c| ("twin".to_owned(), g.labels()[c as usize].clone(), 1.0)).collect()
    }

    /// The PMI row that [`Model::fold_in`] projects for a new node x with
    /// edges to a (weight 1) and d (weight 2), on a 5-node graph by hand:
    /// the triangle a–b–c, c–d, d–e (weights 1, 1, 2, 1, 3).
    fn folded_row(cfg: &EmbedConfig) -> Vec<(u32, f32)> {
        let labels = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 2.0), (2, 3, 1.0), (3, 4, 3.0)];
        let g = Graph::from_edges(labels, edges, true, false).unwrap();
        let (_, _, model) = crate::pipeline::embed_with_model(&g, cfg, &NoProgress).unwrap();
        let windows = (model.estimator == Estimator::Windows)
            .then(|| crate::pmi::Marginals::smoothed(&model.degrees, model.window_cds, model.neg));
        model.pmi_row(None, windows.as_ref(), &[(0, 1.0), (3, 2.0)], 0, &mut Accumulator::new(5))
    }

    /// `got` holds the entries of `want` (column, value), in order.
    fn assert_row(got: &[(u32, f32)], want: &[(u32, f64)]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.0 == w.0 && (g.1 as f64 - w.1).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn a_first_order_fold_in_row_is_the_formula_by_hand() {
        // Degrees a 3, b 2, c 4, d 4, e 3. Context masses Σ_w w/d_w:
        // a: 1/2 + 2/4, b: 1/3 + 1/4, c: 2/3 + 1/2 + 1/4, d: 1/4 + 3/3, e: 3/4.
        let mass = [1.0, 1.0 / 3.0 + 0.25, 2.0 / 3.0 + 0.5 + 0.25, 1.25, 0.75];
        for (cds, neg) in [(0.75, 1.0), (1.0, 2.0)] {
            let cfg = EmbedConfig::default().dim(2).estimator(Estimator::FirstOrder).cds(Some(cds)).neg(neg);
            let z: f64 = mass.iter().map(|m: &f64| m.powf(cds)).sum();
            // M[x, c] = log(w/d_x) + log(Z/b) − α·log mass_c, d_x = 3; negatives kept.
            let want = |c: usize, w: f64| (w / 3.0f64).ln() + (z / neg).ln() - cds * mass[c].ln();
            assert_row(&folded_row(&cfg.no_propagation()), &[(0, want(0, 1.0)), (3, want(3, 2.0))]);
        }
    }

    #[test]
    fn a_windows_fold_in_row_at_window_1_is_the_formula_by_hand() {
        // T = 1: the row is the first step exactly, no walks:
        // M[x, c] = log(P[x, c]) + log(Σ d^α / b) − (log T + α·log d_c), all
        // positive here.
        let deg = [3.0, 2.0, 4.0, 4.0, 3.0];
        for (cds, neg) in [(1.0, 1.0), (0.5, 1.5)] {
            let cfg = EmbedConfig::default().dim(2).estimator(Estimator::Windows).window(1).cds(Some(cds)).neg(neg);
            let z: f64 = deg.iter().map(|d: &f64| d.powf(cds)).sum();
            let want = |c: usize, p: f64| p.ln() + (z / neg).ln() - cds * deg[c].ln();
            let got = folded_row(&cfg.min_pair_count(1).no_propagation());
            assert_row(&got, &[(0, want(0, 1.0 / 3.0)), (3, want(3, 2.0 / 3.0))]);
        }
    }

    #[test]
    fn a_node2vec_model_folds_in_with_its_own_walks() {
        let g = karate();
        let cfg = EmbedConfig::default().dim(6).estimator(Estimator::Windows).p(0.25).q(4.0).no_propagation();
        let (_, _, model) = crate::pipeline::embed_with_model(&g, &cfg, &NoProgress).unwrap();
        assert_eq!((model.p, model.q), (0.25, 4.0));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.model");
        model.save(&path).unwrap();
        let loaded = Model::load(&path).unwrap();
        assert_eq!((loaded.p, loaded.q), (0.25, 4.0));
        let node2vec = loaded.fold_in(&twin_of_33(&g)).unwrap();
        let mut deepwalk = loaded.clone();
        (deepwalk.p, deepwalk.q) = (1.0, 1.0);
        let deepwalk = deepwalk.fold_in(&twin_of_33(&g)).unwrap();
        assert_ne!(node2vec.matrix(Side::Left), deepwalk.matrix(Side::Left));
    }

    #[test]
    fn folding_in_a_known_rows_edges_reproduces_its_vector() {
        // First-order matrix, no propagation: the twin's PMI row is exactly
        // node 33's row, so u = m·V·Σ^(p−1) is exactly its U·Σ^p.
        let g = karate();
        let cfg = EmbedConfig::default().dim(6).estimator(Estimator::FirstOrder).no_propagation();
        let (emb, _, model) = crate::pipeline::embed_with_model(&g, &cfg, &NoProgress).unwrap();
        let twin = model.fold_in(&twin_of_33(&g)).unwrap();
        assert_eq!(twin.labels(), &["twin"]);
        let (a, b) = (twin.vector("twin", Side::Left).unwrap(), emb.vector("33", Side::Left).unwrap());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()), "{a:?} vs {b:?}");
        }
    }

    /// Round 2 places a node from a node placed in round 1 as if that one
    /// were known: y's only edge goes to the twin of 33 (new), y2's to 33
    /// itself, so on the first-order matrix (no propagation) both rows are
    /// the same PMI entry projected on V[twin] = M[·, twin]ᵀ·U·Σ⁻¹, which
    /// is V[33] for an exact SVD.
    #[test]
    fn a_later_round_places_a_node_as_if_its_new_neighbour_were_known() {
        let g = karate();
        let cfg = EmbedConfig::default().dim(6).estimator(Estimator::FirstOrder).no_propagation();
        let (_, _, model) = crate::pipeline::embed_with_model(&g, &cfg, &NoProgress).unwrap();
        let mut edges = twin_of_33(&g);
        edges.push(("y".into(), "twin".into(), 1.0));
        edges.push(("y2".into(), "33".into(), 1.0));
        let one = model.fold_in_rounds(&edges, 1).unwrap();
        assert_eq!((one.embeddings.labels(), &one.rounds[..]), (&["twin".to_owned(), "y2".into()][..], &[2][..]));
        let all = model.fold_in_rounds(&edges, usize::MAX).unwrap();
        assert_eq!(all.rounds, [2, 1]);
        assert_eq!(all.embeddings.labels()[2], "y");
        let (y, y2) =
            (all.embeddings.vector("y", Side::Left).unwrap(), all.embeddings.vector("y2", Side::Left).unwrap());
        for (a, b) in y.iter().zip(&y2) {
            assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{y:?} vs {y2:?}");
        }
        // Round 1's rows do not change when more rounds follow.
        assert_eq!(one.embeddings.matrix(Side::Left), &all.embeddings.matrix(Side::Left)[..2 * 6]);
    }

    #[test]
    fn rounds_follow_a_chain_of_new_nodes_and_stop_where_nothing_leads_on() {
        let g = karate();
        // Defaults (windows walks on the grown graph, propagation's map).
        let (_, _, model) = crate::pipeline::embed_with_model(&g, &EmbedConfig::default().dim(6), &NoProgress).unwrap();
        let mut edges = twin_of_33(&g);
        for (a, b) in [("a", "twin"), ("b", "a"), ("c", "b"), ("island", "far")] {
            edges.push((a.into(), b.into(), 1.0));
        }
        let all = model.fold_in_rounds(&edges, usize::MAX).unwrap();
        assert_eq!(all.rounds, [1, 1, 1, 1]);
        assert_eq!(all.embeddings.labels(), ["twin", "a", "b", "c"]);
        assert!(all.embeddings.matrix(Side::Left).iter().all(|x| x.is_finite()));
        // The same again; two rounds stop after a.
        assert_eq!(
            model.fold_in_rounds(&edges, usize::MAX).unwrap().embeddings.matrix(Side::Left),
            all.embeddings.matrix(Side::Left)
        );
        let two = model.fold_in_rounds(&edges, 2).unwrap();
        assert_eq!(two.rounds, [1, 1]);
        assert!(model.map.is_some(), "propagated: the map is applied");
        assert_eq!(two.embeddings.matrix(Side::Left), &all.embeddings.matrix(Side::Left)[..2 * 6]);
        assert!(model.fold_in_rounds(&edges, 0).is_err());
        // a, placed from the twin of 33, lands in 33's faction: nearer 33
        // than 0, the other faction's leader.
        let a = all.embeddings.vector("a", Side::Left).unwrap();
        let emb = crate::pipeline::embed(&g, &EmbedConfig::default().dim(6), &NoProgress).unwrap().0;
        let cos = |l: &str| {
            let v = emb.vector(l, Side::Left).unwrap();
            let dot: f32 = a.iter().zip(&v).map(|(x, y)| x * y).sum();
            dot / (a.iter().map(|x| x * x).sum::<f32>() * v.iter().map(|x| x * x).sum::<f32>()).sqrt()
        };
        assert!(cos("33") > cos("0"), "{} vs {}", cos("33"), cos("0"));
        // A directed model places round 1 only.
        let d = Graph::from_edge_list_path(
            "graphs/karate/edges.tsv",
            &crate::graph::EdgeListFormat::default().directed(true),
        )
        .unwrap();
        let (_, _, dm) = crate::pipeline::embed_with_model(&d, &EmbedConfig::default().dim(6), &NoProgress).unwrap();
        let edges: Vec<_> =
            [("twin", "33"), ("a", "twin")].iter().map(|(a, b)| (a.to_string(), b.to_string(), 1.0)).collect();
        assert_eq!(dm.fold_in_rounds(&edges, usize::MAX).unwrap().rounds, [1]);
    }

    #[test]
    fn a_saved_model_folds_in_the_same_and_lands_near_the_twin() {
        let g = karate();
        let cfg = EmbedConfig::default().dim(6);
        let (emb, _, model) = crate::pipeline::embed_with_model(&g, &cfg, &NoProgress).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.pmivec");
        model.save(&path).unwrap();
        assert!(!Saved::is_word_model(&path).unwrap());
        let loaded = Model::load(&path).unwrap();
        let (a, b) = (model.fold_in(&twin_of_33(&g)).unwrap(), loaded.fold_in(&twin_of_33(&g)).unwrap());
        assert_eq!(a.matrix(Side::Left), b.matrix(Side::Left));
        // Windows and propagation: the twin is close to 33, not exact.
        let idx = emb.index(Side::Left);
        let near = idx.nearest_to(&a.matrix(Side::Left), 3, 0, &[]);
        assert!(near.iter().any(|n| n.label == "33"), "{near:?}");
        assert!(Model::load(&dir.path().join("missing")).is_err());
        std::fs::write(&path, b"not a model").unwrap();
        assert!(Model::load(&path).unwrap_err().to_string().contains("not a pmivec model"));
    }

    #[test]
    fn settings_or_vectors_no_run_can_produce_are_refused_on_load() {
        let g = karate();
        let cfg = EmbedConfig::default().dim(4).keep_context(true);
        let (_, _, model) = crate::pipeline::embed_with_model(&g, &cfg, &NoProgress).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.model");
        type Change = fn(&mut Model);
        let corrupt: [(&str, Change); 5] = [
            ("eig_weight 1e300", |m| m.eig_weight = 1e300),
            ("NaN in V", |m| m.v[3] = f32::NAN),
            ("NaN in U", |m| m.u[0] = f32::NAN),
            ("log context −∞", |m| m.log_context[0] = f64::NEG_INFINITY),
            ("right side without U", |m| {
                m.side = Side::Right;
                m.u.clear();
            }),
        ];
        for (what, change) in corrupt {
            let mut m = model.clone();
            change(&mut m);
            m.save(&path).unwrap();
            let e = Model::load(&path).expect_err(what).to_string();
            // (−∞ cannot even be written as JSON: the settings do not parse.)
            let refused = ["corrupt settings", "inconsistent sizes", "invalid type"];
            assert!(refused.iter().any(|r| e.contains(r)) && e.contains("m.model"), "{what}: {e}");
        }
        model.clone().with_side(Side::Sum).unwrap().save(&path).unwrap();
        assert_eq!(Model::load(&path).unwrap().side, Side::Sum);
        let directed = Model { directed: true, ..model };
        assert!(directed.with_side(Side::Right).unwrap_err().to_string().contains("out-arcs"));
    }
}
