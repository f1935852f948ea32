"""pmivec: graph, word and document embeddings by PMI matrix factorization.

    >>> import pmivec
    >>> emb = pmivec.embed_graph("graphs/karate/edges.tsv", dim=8)
    >>> emb.vectors.shape
    (34, 8)

The work runs in Rust with the GIL released; Ctrl-C stops it and raises
KeyboardInterrupt. Results are identical to the `pmivec` command's for the
same input, seed and options.
"""
from __future__ import annotations

import json
import os
from typing import Iterable, Optional, Sequence

import numpy as np

from . import _core

__all__ = ["Embedding", "Lsa", "Pca", "align", "embed_graph", "embed_words", "fold_in", "lsa", "load", "pca",
           "__version__"]
__version__ = _core.__version__


class Embedding:
    """Row vectors with labels.

    ``vectors`` is a float32 array of shape (n, d); ``ids`` the labels in row
    order; ``right`` the context vectors when they were kept; ``report`` the
    run's stage times and sizes; ``config`` the parameters it ran with.
    """

    def __init__(self, vectors, ids, right=None, report=None, config=None):
        self.vectors = vectors
        self.ids = list(ids)
        self.right = right
        self.report = report or {}
        self.config = config or {}
        self._index = None
        self._unit = None

    def __len__(self):
        return len(self.ids)

    def __repr__(self):
        return f"Embedding({len(self)} × {self.vectors.shape[1]})"

    def index(self, id) -> int:
        """Row of ``id`` (KeyError if absent)."""
        if self._index is None:
            self._index = {label: i for i, label in enumerate(self.ids)}
        return self._index[str(id)]

    def __contains__(self, id):
        try:
            self.index(id)
            return True
        except KeyError:
            return False

    def __getitem__(self, id):
        return self.vectors[self.index(id)]

    def _units(self):
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            self._unit = self.vectors / norms
        return self._unit

    def most_similar(self, id=None, k: int = 10, *, positive=(), negative=(), topn: Optional[int] = None):
        """The ``k`` labels closest by cosine, best first: [(label, score)].

        ``most_similar(id)`` ranks the neighbours of one label;
        ``most_similar(positive=["king", "woman"], negative=["man"])`` answers
        an analogy as gensim does (3CosAdd: the mean of the unit vectors of
        ``positive`` minus those of ``negative``), the query labels left
        out. ``topn`` is gensim's name for ``k``.
        """
        k = topn if topn is not None else k
        positive = ([id] if id is not None else []) + [str(p) for p in positive]
        negative = [str(n) for n in negative]
        if not positive and not negative:
            raise ValueError("most_similar: give an id, or positive= and/or negative= labels")
        unit = self._units()
        rows = [self.index(p) for p in positive] + [self.index(n) for n in negative]
        query = unit[rows[:len(positive)]].sum(0) - unit[rows[len(positive):]].sum(0)
        norm = np.linalg.norm(query)
        scores = unit @ (query / norm if norm > 0 else query)
        scores[rows] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[j], float(scores[j])) for j in top if scores[j] > -np.inf]

    def to_gensim(self):
        """A gensim ``KeyedVectors`` (needs gensim)."""
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.vectors.shape[1])
        kv.add_vectors(self.ids, self.vectors)
        return kv

    def save(self, path, format: Optional[str] = None):
        """Write word2vec text, npy (+ ``.ids``) or Parquet, with a JSON sidecar, atomically.

        ``format``: "word2vec", "npy" or "parquet"; by default the file name
        decides (``.npy`` → npy, ``.parquet`` → Parquet with columns ``id``
        and ``vector``, else word2vec text), and a contradiction is an error.
        """
        _core.save(np.ascontiguousarray(self.vectors, dtype=np.float32), self.ids, os.fspath(path), format,
                   json.dumps(self.config))


def load(path) -> Embedding:
    """Read word2vec text, npy (+ ``.ids``) or Parquet (an id column and a list column, or one
    float column per dimension); the sidecar's config comes along when present."""
    vectors, ids, meta = _core.load(os.fspath(path))
    meta = json.loads(meta) if meta else {}
    return Embedding(vectors, ids, config=meta.get("config") or {})


def _size(value):
    """``memory_limit`` in bytes: an int, or a size such as "8G" or "512MiB"
    (the CLI's parser, so both accept and refuse the same sizes)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"invalid parameter `memory_limit`: {value!r}: give bytes or a size such as 8G")
    return _core.parse_size(str(value))


def _edges(edges, directed, weighted):
    """(path, src, dst, weights, directed, weighted, nodes) from any edge form.

    In-memory edges go to the library as labels, never through the text
    parser: ``"#a"`` is a node, a first row of names is an edge. ``nodes``
    (a :class:`_Nodes`) lists a graph's nodes in its order, isolated ones
    included, and counts the edges skipped for a missing end.
    """
    if isinstance(edges, (str, os.PathLike)):
        return os.fspath(edges), None, None, None, bool(directed), bool(weighted), _Nodes(None)
    if hasattr(edges, "edges") and hasattr(edges, "is_directed"):  # networkx, duck-typed
        directed = edges.is_directed() if directed is None else directed
        rows = [(u, v, d) for u, v, d in edges.edges(data="weight", default=1.0)]
        weighted = any(w != 1.0 for _, _, w in rows) if weighted is None else weighted
        src, dst = [_label(u) for u, _, _ in rows], [_label(v) for _, v, _ in rows]
        nodes = _Nodes([_label(u) for u in edges.nodes()])
        return (None, src, dst, ([float(w) for _, _, w in rows] if weighted else None), directed, weighted,
                nodes)
    if hasattr(edges, "tocoo"):  # scipy.sparse adjacency: row i is node i
        m = edges.tocoo()
        if m.shape[0] != m.shape[1]:
            raise ValueError(f"edges: an adjacency matrix must be square, got shape {m.shape}")
        if not directed:
            # Each undirected edge once, whichever triangle (or both) holds it.
            sym = edges.maximum(edges.T).tocoo() if hasattr(edges, "maximum") else m
            keep = sym.row <= sym.col
            m = type(m)((sym.data[keep], (sym.row[keep], sym.col[keep])), shape=m.shape)
        data = np.asarray(m.data, dtype=np.float64)
        weighted = bool(np.any(data != 1)) if weighted is None else weighted
        return (None, [str(int(r)) for r in m.row], [str(int(c)) for c in m.col],
                [float(x) for x in data] if weighted else None, bool(directed), weighted,
                _Nodes([str(i) for i in range(m.shape[0])]))
    if _is_table(edges):
        arr, weighted = _table_array(edges, weighted)
    else:
        arr = edges if isinstance(edges, np.ndarray) else np.asarray(list(edges), dtype=object)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3):
        raise ValueError(f"edges: expected shape (m, 2) or (m, 3), got {arr.shape}")
    weighted = (arr.shape[1] == 3) if weighted is None else weighted
    if arr.shape[1] == 2 and weighted:
        raise ValueError("edges: weighted=True needs a third column")
    src, dst = [_label(x) for x in arr[:, 0]], [_label(x) for x in arr[:, 1]]
    weights = [float(x) for x in arr[:, 2]] if weighted and arr.shape[1] == 3 else None
    # A missing end (None, NaN: what pandas reads for an empty cell) is no
    # node: the edge is skipped, and said so.
    # The report's ``missing_ends_skipped`` counts them.
    keep = [i for i, (a, b) in enumerate(zip(src, dst)) if a is not None and b is not None]
    skipped = len(src) - len(keep)
    if skipped:
        src, dst = [src[i] for i in keep], [dst[i] for i in keep]
        weights = None if weights is None else [weights[i] for i in keep]
    return None, src, dst, weights, bool(directed), bool(weighted), _Nodes(None, skipped)


_SOURCE = ("src", "source", "from", "u", "head")
_TARGET = ("dst", "target", "to", "v", "tail")
_WEIGHT = ("weight", "w", "weights")


def _is_table(edges):
    """A pandas or polars DataFrame, or a pyarrow Table (duck-typed: none is a dependency)."""
    return (hasattr(edges, "column_names") and hasattr(edges, "column")) or (
        hasattr(edges, "columns") and (hasattr(edges, "iloc") or hasattr(edges, "get_column")))


def _table_array(table, weighted):
    """A data frame's edges as an (m, 2) or (m, 3) object array, and whether weighted.

    The columns named source/target (or src/dst, from/to, u/v), else the
    first two; the weight is the column named weight (or w), else with
    ``weighted=True`` the third. ``weighted=None``: weighted when a weight
    column is named.
    """
    names = [str(c) for c in (table.column_names if hasattr(table, "column_names") else table.columns)]
    lower = [n.lower() for n in names]

    def find(options):
        return next((lower.index(o) for o in options if o in lower), None)

    src, dst, weight = find(_SOURCE), find(_TARGET), find(_WEIGHT)
    if src is None or dst is None:
        src, dst = 0, 1
    if weighted is None:
        weighted = weight is not None
    if weighted and weight is None:
        weight = next((i for i in range(len(names)) if i not in (src, dst)), None)
        if weight is None:
            raise ValueError(f"edges: weighted=True needs a weight column, the frame has {names}")
    if len(names) < 2:
        raise ValueError(f"edges: a frame needs source and target columns, got {names}")

    def column(i):
        if hasattr(table, "column_names"):  # pyarrow
            return table.column(i).to_pylist()
        if hasattr(table, "iloc"):  # pandas
            return table.iloc[:, i].tolist()
        return table.get_column(names[i]).to_list()  # polars

    cols = [column(i) for i in ([src, dst, weight] if weighted else [src, dst])]
    arr = np.empty((len(cols[0]), len(cols)), dtype=object)
    for j, c in enumerate(cols):
        arr[:, j] = c
    return arr, weighted


class _Nodes(list):
    """A graph's nodes in its order (or none), and the edges skipped for a missing end."""

    def __init__(self, nodes, skipped=0):
        super().__init__(nodes or [])
        self.given = nodes is not None
        self.skipped = skipped


def _label(x):
    """A node id as text (integral floats as integers), None when missing."""
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            if np.isnan(x):
                return None
            raise ValueError(f"edges: a node id is {x}")
        if float(x).is_integer():
            return str(int(x))
    return str(x)


def _graph_config(*, dim=128, window=5, estimator="auto", steps_per_edge=None, walks_per_node=None,
                  walk_length=80, p=1.0, q=1.0, neg=1.0, cds=None, min_pair_count=4, propagation="auto",
                  mu=0.1, theta=0.5, oversample=None, power_iters=None, eig_weight=0.5, memory_limit=None,
                  side="left", seed=0, threads=0, precision="auto", scratch_dir=None, factorizer="svd",
                  factorizer_options=None):
    """The library's EmbedConfig (as a dict for JSON) from embed_graph's keywords."""
    if steps_per_edge is not None:
        budget = {"steps-per-edge": float(steps_per_edge)}
    elif walks_per_node is not None:
        budget = {"walks-per-node": {"walks": float(walks_per_node), "length": int(walk_length)}}
    else:
        budget = "auto"
    passes = None if propagation == "auto" else 0 if propagation in ("none", None, False) else int(propagation)
    return {
        "estimator": estimator.replace("_", "-"), "window": window, "budget": budget, "p": p, "q": q,
        "neg": neg, "cds": cds, "min_pair_count": min_pair_count,
        "propagation": {"passes": passes, "mu": mu, "theta": theta},
        "factorize": {"dim": dim, "oversample": oversample, "power_iters": power_iters,
                      "eig_weight": eig_weight, "seed": seed, "threads": threads, "precision": precision},
        "memory_limit": _size(memory_limit), "keep_context": side != "left",
        **({} if scratch_dir is None else {"scratch_dir": os.fspath(scratch_dir)}),
        "factorizer": factorizer, "weighted": dict(factorizer_options or {}),
    }


def embed_graph(edges, *, dim: int = 128, window: int = 5, estimator: str = "auto",
                steps_per_edge: Optional[float] = None, walks_per_node: Optional[float] = None,
                walk_length: int = 80, p: float = 1.0, q: float = 1.0, neg: float = 1.0,
                cds: Optional[float] = None, min_pair_count: int = 4, propagation="auto",
                mu: float = 0.1, theta: float = 0.5, oversample: Optional[int] = None,
                power_iters: Optional[int] = None, eig_weight: float = 0.5, memory_limit=None,
                weighted: Optional[bool] = None, directed: Optional[bool] = None, exact: bool = False,
                delimiter: str = "auto", side: str = "left", seed: int = 0, threads: int = 0,
                precision: str = "auto", progress: bool = False, save_model=None,
                order: str = "input", scratch_dir=None, factorizer: str = "svd",
                factorizer_options: Optional[dict] = None) -> Embedding:
    """Embed the nodes of a graph, with every option of ``pmivec embed``.

    ``edges``: a path (any edge-list format the CLI reads, gzip included), an
    (m, 2) or (m, 3) array or a list of tuples (a third column is a weight),
    a pandas or polars DataFrame or a pyarrow Table (the columns named
    source/target, src/dst, from/to or u/v, else the first two; a column
    named weight makes it weighted), a scipy.sparse adjacency matrix, or a
    networkx graph.

    Keyword arguments (the CLI's flag of the same name, ``_`` for ``-``):

    - ``dim``: embedding dimension d (128).
    - ``estimator``: "windows" (NetMF's matrix from random-walk windows),
      "first-order" (ProNE's exact first-order matrix), "exact" (NetMF's
      closed-form matrix, dense: small graphs; no ``save_model``) or "auto"; and
      ``propagation``: "auto", "none" or a number of passes. With both at
      "auto" on an undirected graph (d ≥ 32) the locality probe reads the
      graph first: a word co-occurrence graph gets the first-order matrix
      without propagation, any other the windows (small graphs) or the
      first-order matrix (large) with 6 passes; ``report["auto"]`` says which
      and why, ``report["locality"]`` holds the probe's cosines.
    - ``window``: window size T (5). ``steps_per_edge``: walk budget per
      adjacency entry (60, at most 2.5e8 steps); or ``walks_per_node`` and
      ``walk_length`` (80), DeepWalk's γ and t.
    - ``p``, ``q``: node2vec's return and in-out parameters (1, 1).
    - ``neg``: negative-sampling constant b, the PMI shifted by log b (1).
    - ``cds``: context-distribution smoothing α (None: 1 for windows, 0.75
      for the first-order matrix). ``min_pair_count``: window pairs seen
      fewer times are dropped (4).
    - ``mu``, ``theta``: centre (in [0, 2]) and width of the propagation
      filter (0.1, 0.5).
    - ``oversample`` (None: 20 up to 100,000 nodes, 10 above),
      ``power_iters`` (None: 8 up to 100,000 nodes, 3 above): the
      randomized SVD. ``eig_weight``: p of U·Σ^p (0.5).
    - ``memory_limit``: refuse a run whose estimated peak is above this
      (bytes or "2G"; default 80 % of RAM). A run that fits only with its
      dense blocks out of memory keeps them in memory-mapped scratch files
      in ``scratch_dir`` (default: the system's temporary folder), and
      ``report["out_of_core"]`` says so.
    - ``weighted``, ``directed``: read a third column as weights, edges as
      arcs (None: from the input — a file is neither, a 3-column array is weighted, a networkx
      DiGraph directed). ``delimiter``: "auto", "tab", "comma", "whitespace"
      (files). ``exact=True``: the same as ``estimator="exact"``.
    - ``side``: "left" (node vectors), "right" (contexts), "both"
      (concatenated) or "sum"; ``side="both"`` also keeps the context
      vectors as ``.right``.
    - ``seed`` (0), ``threads`` (0 = all cores; the output does not depend
      on it), ``progress``: progress bars on stderr.
    - ``precision``: how the dense blocks are stored, "f32", "f16" (half the
      memory, f32 sums) or "auto" (f16 from 200,000 nodes); the vectors are
      float32 either way.
    - ``save_model``: a path where to keep what :func:`fold_in` needs to
      place nodes added later.
    - ``order``: the rows' order, "input" (first appearance; a networkx or
      scipy graph's node order) or "id" (numeric when every id is an
      integer, as the CLI's ``--order id``).
    - ``factorizer``: "svd", or "weighted" (``estimator="windows"`` only): the
      SVD refined by weighted least squares on the window counts, as
      ``--factorizer weighted``; ``factorizer_options``: its parameters by
      name (``sweeps``, ``negatives``, ``noise_power``, ``count_power``,
      ``reg``, ``cg_steps``).
    """
    if side not in ("left", "right", "both", "sum"):
        raise ValueError(f"side: expected left, right, both or sum, got {side!r}")
    path, src, dst, weights, directed, weighted, nodes = _edges(edges, directed, weighted)
    config = _graph_config(dim=dim, window=window, estimator=estimator, steps_per_edge=steps_per_edge,
                           walks_per_node=walks_per_node, walk_length=walk_length, p=p, q=q, neg=neg, cds=cds,
                           min_pair_count=min_pair_count, propagation=propagation, mu=mu, theta=theta,
                           oversample=oversample, power_iters=power_iters, eig_weight=eig_weight,
                           memory_limit=memory_limit, side=side, seed=seed, threads=threads,
                           precision=precision, scratch_dir=scratch_dir, factorizer=factorizer,
                           factorizer_options=factorizer_options)
    left, ids, right, report = _core.embed_graph(
        path, src, dst, weights, directed=directed, weighted=weighted, delimiter=delimiter,
        config=json.dumps(config), exact=exact, progress=progress,
        save_model=None if save_model is None else os.fspath(save_model), side=side,
        nodes=list(nodes) if nodes.given else None, order=order)
    report = json.loads(report)
    report["missing_ends_skipped"] = nodes.skipped
    return Embedding(_sides(left, right, side), ids, right=right, report=report, config=config)


def _sides(left, right, side):
    """The vectors ``side`` asks for: left, right, both side by side, or their sum."""
    if side == "right":
        return right
    if side == "both":
        return np.hstack([left, right])
    if side == "sum":
        return left + right
    return left


def _text_config(min_count, max_vocab, stopwords, min_length, stem, drop_numeric):
    words = []
    for s in ([stopwords] if isinstance(stopwords, str) else list(stopwords or [])):
        if s == "english":
            words.append("\0english")
        elif s and s != "none":
            words.extend(w.strip().lower() for w in open(s) if w.strip() and not w.startswith("#"))
    return {"min_count": min_count, "max_vocab": max_vocab, "stopwords": words, "min_length": min_length,
            "stem": stem, "drop_numeric": drop_numeric}


def _lines(corpus):
    if isinstance(corpus, (str, os.PathLike)):
        return os.fspath(corpus), None
    return None, [" ".join(x) if not isinstance(x, str) else x for x in corpus]


def embed_words(corpus, *, dim: int = 128, window: int = 5, weighting: str = "uniform",
                subsample: float = 1e-4, neg: float = 1.0, cds: float = 1.0, min_pair_count: float = 1.0,
                eig_weight: float = 0.25, oversample: Optional[int] = None, power_iters: int = 3, min_count: int = 5,
                max_vocab: int = 0, stopwords=None, min_length: int = 1, stem: bool = False,
                drop_numeric: bool = False, seed: int = 0, threads: int = 0, progress: bool = False,
                save_model=None, factorizer: str = "svd", factorizer_options: Optional[dict] = None) -> Embedding:
    """Word vectors (PPMI → SVD), with every option of ``pmivec words``.

    ``corpus``: a path (plain or gzip, one sentence per line) or an iterable
    of strings or of token lists. ``save_model``: a path where to keep what
    :func:`fold_in` needs to place words met later. ``factorizer="weighted"``
    refines the SVD by weighted least squares (``--factorizer weighted``);
    ``factorizer_options``: its parameters by name (``sweeps``, ``negatives``,
    ``noise_power``, ``count_power``, ``reg``, ``cg_steps``), unset ones at
    their defaults.
    """
    path, lines = _lines(corpus)
    words = {"window": window, "weighting": weighting, "subsample": subsample, "neg": neg, "cds": cds,
             "min_pair_count": min_pair_count, "factorizer": factorizer,
             "weighted": dict(factorizer_options or {}), "factorize": {"dim": dim, "oversample": oversample, "power_iters": power_iters,
                           "eig_weight": eig_weight, "seed": seed, "threads": threads}}
    text = _text_config(min_count, max_vocab, stopwords, min_length, stem, drop_numeric)
    english = "\0english" in text["stopwords"]
    if english:
        text["stopwords"] = [w for w in text["stopwords"] if w != "\0english"] + _core_english()
    left, ids, right, report = _core.embed_words(path, lines, words=json.dumps(words), text=json.dumps(text),
                                                 progress=progress,
                                                 save_model=None if save_model is None else os.fspath(save_model))
    return Embedding(left, ids, right=right, report=json.loads(report), config={"words": words, "text": text})


def _core_english():
    return list(_core.english_stopwords())


class Lsa:
    """Latent semantic analysis: ``fit`` documents, then ``transform`` new ones (scikit-learn style)."""

    def __init__(self, dim: int = 128, weighting: str = "tf-idf", sublinear_tf: bool = True,
                 eig_weight: float = 1.0, min_count: int = 2, stopwords="english", min_length: int = 1,
                 stem: bool = False, drop_numeric: bool = False, oversample: Optional[int] = None, power_iters: int = 3,
                 seed: int = 0, threads: int = 0):
        self.lsa_config = {"weighting": weighting, "sublinear_tf": sublinear_tf,
                           "factorize": {"dim": dim, "oversample": oversample, "power_iters": power_iters,
                                         "eig_weight": eig_weight, "seed": seed, "threads": threads}}
        self.text_config = _text_config(min_count, 0, stopwords, min_length, stem, drop_numeric)
        if "\0english" in self.text_config["stopwords"]:
            self.text_config["stopwords"] = [w for w in self.text_config["stopwords"] if w != "\0english"] \
                + _core_english()
        self._model = None

    def __repr__(self):
        f = self.lsa_config["factorize"]
        fitted = "not fitted" if self._model is None else \
            f"{len(self.documents)} documents × {len(self.terms)} terms"
        return f"Lsa(dim={f['dim']}, weighting={self.lsa_config['weighting']!r}, {fitted})"

    def fit(self, documents: Sequence[str], ids: Optional[Sequence[str]] = None) -> "Lsa":
        ids = [str(i) for i in (ids if ids is not None else range(1, len(documents) + 1))]
        self._model = _core.Lsa.fit(ids, list(documents), lsa=json.dumps(self.lsa_config),
                                    text=json.dumps(self.text_config))
        return self

    @property
    def documents(self) -> Embedding:
        v, ids = self._model.documents()
        return Embedding(v, ids)

    @property
    def terms(self) -> Embedding:
        v, ids = self._model.terms()
        return Embedding(v, ids)

    def transform(self, documents: Iterable[str]) -> np.ndarray:
        """Fold new documents into the fitted space (no refit)."""
        return self._model.transform(list(documents))

    def fit_transform(self, documents, ids=None) -> np.ndarray:
        return self.fit(documents, ids).documents.vectors


def lsa(documents, ids=None, **options) -> Lsa:
    """Fit LSA on ``documents`` (see :class:`Lsa` for the options)."""
    return Lsa(**options).fit(documents, ids)


def fold_in(model, new, *, weighted: Optional[bool] = None, min_count: Optional[int] = None,
            delimiter: str = "auto", rounds: Optional[int] = None) -> Embedding:
    """Vectors of nodes or words that a saved model lacks, without refitting (``pmivec fold-in``).

    ``model``: a path saved with ``save_model=`` (or the CLI's ``--save-model``).
    For a graph model, ``new`` holds edges between new and known nodes, in any
    form :func:`embed_graph` takes; round 1 places the new nodes with an
    edge to a known node, and each further round those with an edge to a
    node placed before (``rounds``: at most that many; default, until no
    more can be placed). For a word model, text: a path or an iterable of
    strings or token lists (``min_count``: new words seen fewer times are
    dropped; default, the model's).
    """
    if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1):
        raise ValueError(f"rounds must be an integer of at least 1, got {rounds!r}")
    model = os.fspath(model)
    if _core.is_word_model(model):
        path, lines = _lines(new)
        v, ids = _core.fold_in(model, path, lines=lines, min_count=min_count)
    else:
        path, src, dst, weights, _, _, _ = _edges(new, False, weighted)
        v, ids = _core.fold_in(model, path, src, dst, weights, delimiter=delimiter, rounds=rounds)
    return Embedding(v, ids)


def align(target: Embedding, source: Embedding, anchors=None, *, center: bool = False,
          scale: bool = False):
    """Rotate ``source`` onto ``target`` (orthogonal Procrustes over shared ids or ``anchors``,
    a list of (target id, source id) pairs), as ``pmivec align``. Returns (aligned source,
    statistics: anchors, residual, nearest_is_partner, mean_cosine, scale)."""
    pairs = None if anchors is None else [(str(a), str(b)) for a, b in anchors]
    t = np.ascontiguousarray(target.vectors, dtype=np.float32)
    s = np.ascontiguousarray(source.vectors, dtype=np.float32)
    v, stats = _core.align(t, [str(i) for i in target.ids], s, [str(i) for i in source.ids], pairs,
                           center=center, scale=scale)
    return Embedding(v, list(source.ids)), json.loads(stats)


class Pca:
    """A fitted PCA, with scikit-learn's attribute names."""

    def __init__(self, transformed, components, variance, ratio, mean):
        self.transformed = transformed
        self.components_ = components
        self.explained_variance_ = np.asarray(variance)
        self.explained_variance_ratio_ = np.asarray(ratio)
        self.mean_ = np.asarray(mean)

    def transform(self, x) -> np.ndarray:
        """Project new rows (dense) onto the fitted axes."""
        return (np.asarray(x, dtype=np.float64) - self.mean_) @ self.components_.T


def pca(x, n_components: int = 2, *, power_iters: int = 8, seed: int = 0) -> Pca:
    """PCA of a dense array or a scipy.sparse matrix (centred implicitly: never densified),
    by randomized SVD, as ``pmivec pca``."""
    if hasattr(x, "tocsr"):
        m = x.tocsr()
        m.sort_indices()
        out = _core.pca(n_components, None, m.indptr.astype(np.uint64).tolist(),
                        m.indices.astype(np.uint32).tolist(), m.data.astype(np.float32).tolist(), m.shape,
                        power_iters=power_iters, seed=seed)
    else:
        dense = np.ascontiguousarray(x, dtype=np.float32)
        out = _core.pca(n_components, dense, power_iters=power_iters, seed=seed)
    return Pca(*out)
