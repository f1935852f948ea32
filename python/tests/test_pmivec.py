"""The Python package against the CLI and against itself (pytest)."""
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import pmivec

ROOT = Path(__file__).resolve().parents[2]
KARATE = ROOT / "graphs" / "karate" / "edges.tsv"
BLOGCATALOG = ROOT / "graphs" / "blogcatalog" / "edges.tsv"
CLI = Path(os.environ.get("PMIVEC_BIN", ROOT / "target" / "release" / "pmivec"))


def karate_edges():
    return np.loadtxt(KARATE, dtype=np.int64)


@pytest.mark.skipif(not CLI.exists(), reason=f"the CLI is not built at {CLI} (cargo build --release)")
@pytest.mark.parametrize("options", [[], ["--estimator", "first-order"], ["--p", "0.5", "--q", "2"], ["--exact"],
                                     ["--estimator", "exact"], ["--precision", "f16"]])
def test_vectors_are_bit_identical_to_the_cli(tmp_path, options):
    out = tmp_path / "k.txt"
    subprocess.run([str(CLI), "embed", str(KARATE), "-o", str(out), "--dim", "8", "--seed", "3", "-q", *options],
                   check=True)
    cli = pmivec.load(out)
    kwargs = {"dim": 8, "seed": 3}
    if "--estimator" in options:
        kwargs["estimator"] = options[options.index("--estimator") + 1]
    if "--p" in options:
        kwargs.update(p=0.5, q=2.0)
    if "--exact" in options:
        kwargs["exact"] = True
    if "--precision" in options:
        kwargs["precision"] = "f16"
    py = pmivec.embed_graph(KARATE, **kwargs)
    assert py.ids == cli.ids
    assert py.vectors.dtype == np.float32
    assert np.array_equal(py.vectors.view(np.uint32), cli.vectors.view(np.uint32))


def test_every_input_form_gives_the_same_vectors(tmp_path):
    edges = karate_edges()
    edges = np.sort(edges, axis=1)
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]  # the order scipy's triu / networkx yield
    path = tmp_path / "sorted.tsv"
    np.savetxt(path, edges, fmt="%d", delimiter="\t")
    ref = pmivec.embed_graph(path, dim=8)
    forms = {"array": edges, "tuples": [tuple(map(int, e)) for e in edges]}
    for name, form in forms.items():
        emb = pmivec.embed_graph(form, dim=8)
        assert emb.ids == ref.ids, name
        assert np.array_equal(emb.vectors, ref.vectors), name
    try:
        import networkx as nx
    except ImportError:
        return
    # A scipy adjacency's row i is node i: the same as a networkx graph with
    # nodes 0..n−1 added first (its edges then come in the same order).
    sparse = pytest.importorskip("scipy.sparse")
    n = int(edges.max()) + 1
    a = sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    numbered = nx.Graph()
    numbered.add_nodes_from(range(n))
    numbered.add_edges_from(map(tuple, edges))
    s, g = pmivec.embed_graph((a + a.T).tocsr(), dim=8), pmivec.embed_graph(numbered, dim=8)
    assert s.ids == [str(i) for i in range(n)] == g.ids
    assert np.array_equal(s.vectors, g.vectors)
    # Any networkx graph's rows follow its node order.
    g = nx.Graph()
    g.add_edges_from(map(tuple, edges[::-1]))
    assert pmivec.embed_graph(g, dim=8).ids == [str(v) for v in g.nodes()]


def test_data_frames_give_the_array_vectors_by_column_name_or_position():
    pd = pytest.importorskip("pandas")
    edges = karate_edges()
    ref = pmivec.embed_graph(edges, dim=8)
    # Named columns in any order, extra columns ignored; unnamed: the first two.
    named = pd.DataFrame({"when": range(len(edges)), "target": edges[:, 1], "source": edges[:, 0]})
    positional = pd.DataFrame(edges, columns=["a", "b"])
    forms = {"pandas": named, "pandas by position": positional}
    pa = None
    try:
        import pyarrow as pa
    except ImportError:
        pass
    if pa is not None:
        forms["pyarrow"] = pa.Table.from_pandas(named, preserve_index=False)
    try:
        import polars as pl
        forms["polars"] = pl.from_pandas(named)
    except ImportError:
        pass
    for name, frame in forms.items():
        emb = pmivec.embed_graph(frame, dim=8)
        assert emb.ids == ref.ids, name
        assert np.array_equal(emb.vectors, ref.vectors), name
    # A weight column makes it weighted, as a third array column does.
    weighted = pd.DataFrame({"src": [0, 1, 2, 2], "dst": [1, 2, 0, 3], "weight": [2.0, 1.0, 5.0, 1.0]})
    array = pmivec.embed_graph(weighted.to_numpy(), dim=2)
    frame = pmivec.embed_graph(weighted, dim=2)
    assert np.array_equal(frame.vectors, array.vectors)
    with pytest.raises(ValueError, match="weight column"):
        pmivec.embed_graph(pd.DataFrame({"src": [0, 1], "dst": [1, 2]}), dim=2, weighted=True)


def test_weighted_arrays_read_the_third_column():
    edges = np.array([[0, 1, 2.0], [1, 2, 1.0], [2, 0, 5.0], [2, 3, 1.0]])
    emb = pmivec.embed_graph(edges, dim=2)
    assert emb.ids == ["0", "1", "2", "3"]
    assert emb.report["estimator"] == "windows"


def test_bad_inputs_raise_the_right_exception(tmp_path):
    with pytest.raises(FileNotFoundError):
        pmivec.embed_graph(tmp_path / "missing.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("a b\nc\n")
    with pytest.raises(ValueError, match=r"bad.tsv:2: expected 2 fields, found 1"):
        pmivec.embed_graph(bad)
    with pytest.raises(ValueError, match="dimension 128 exceeds"):
        pmivec.embed_graph(KARATE)
    with pytest.raises(ValueError, match="`window`"):
        pmivec.embed_graph(KARATE, dim=4, window=0)
    with pytest.raises(MemoryError, match="memory_limit"):
        pmivec.embed_graph(KARATE, dim=4, memory_limit=1000)
    with pytest.raises(ValueError, match="shape"):
        pmivec.embed_graph(np.zeros((3, 4)))


def test_memory_limit_takes_the_clis_sizes_and_a_bad_one_names_the_keyword():
    # The library's one parser: what the CLI's --memory-limit accepts.
    assert pmivec._core.parse_size("512MiB") == 512 << 20
    for bad in ["2x", "-1G", "0", "", "lots", "2Gii", True, [1 << 30]]:
        with pytest.raises(ValueError, match="`memory_limit`"):
            pmivec.embed_graph(KARATE, dim=4, memory_limit=bad)
    as_text = pmivec.embed_graph(KARATE, dim=4, memory_limit="1.5GiB")
    as_int = pmivec.embed_graph(KARATE, dim=4, memory_limit=3 << 29)
    assert as_text.report["memory_estimate"][1] == as_int.report["memory_estimate"][1] == 3 << 29
    assert np.array_equal(as_text.vectors, as_int.vectors)



def test_a_run_short_of_memory_maps_its_blocks_and_gives_the_same_vectors(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    edges = np.concatenate([np.stack([np.arange(n), (np.arange(n) + 1) % n], 1), rng.integers(0, n, (15000, 2))])
    options = dict(dim=64, estimator="first-order", precision="f32", seed=3)
    full = pmivec.embed_graph(edges, **options)
    assert not full.report["out_of_core"]
    peak = full.report["memory_estimate"][0]
    # The highest limit below the in-memory peak that only mapped blocks meet.
    for percent in range(99, 0, -1):
        mapped = pmivec.embed_graph(edges, memory_limit=peak * percent // 100, scratch_dir=tmp_path, **options)
        if mapped.report["out_of_core"]:
            break
    assert str(tmp_path) in mapped.report["out_of_core"], mapped.report
    np.testing.assert_array_equal(mapped.vectors, full.vectors)
    assert list(tmp_path.iterdir()) == []

def test_lookup_neighbours_and_save_load_round_trip(tmp_path):
    emb = pmivec.embed_graph(KARATE, dim=8, side="both")
    assert emb.vectors.shape == (34, 16) and emb.right.shape == (34, 8)
    assert emb.index("33") == emb.ids.index("33")
    assert np.array_equal(emb["33"], emb.vectors[emb.index(33)])
    near = emb.most_similar("33", 5)
    assert len(near) == 5 and all(label != "33" for label, _ in near)
    assert near[0][1] >= near[-1][1]
    for fmt in ["word2vec", "npy", "parquet"]:
        path = tmp_path / f"e.{fmt}"
        emb.save(path, format=fmt)
        back = pmivec.load(path)
        assert back.ids == emb.ids and np.array_equal(back.vectors, emb.vectors)
        assert back.config["window"] == 5


def test_parquet_from_and_to_pandas_and_pyarrow(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    edges = pd.DataFrame(karate_edges(), columns=["src", "dst"])
    edges.to_parquet(tmp_path / "edges.parquet")
    text = pmivec.embed_graph(KARATE, dim=8, seed=2)
    emb = pmivec.embed_graph(tmp_path / "edges.parquet", dim=8, seed=2)
    assert emb.ids == text.ids and np.array_equal(emb.vectors, text.vectors)
    # String ids (dictionary-encoded, as pandas writes categoricals) name the same nodes.
    named = edges.astype(str).astype("category")
    named.to_parquet(tmp_path / "named.parquet")
    assert np.array_equal(pmivec.embed_graph(tmp_path / "named.parquet", dim=8, seed=2).vectors, text.vectors)
    emb.save(tmp_path / "v.parquet")
    back = pd.read_parquet(tmp_path / "v.parquet")
    assert list(back.columns) == ["id", "vector"] and back["id"].dtype == np.int64
    assert [str(i) for i in back["id"]] == emb.ids
    assert np.array_equal(np.stack(back["vector"].to_numpy()), emb.vectors)
    # A wide frame of float64 columns reads too.
    wide = pd.DataFrame(emb.vectors.astype(np.float64), columns=[f"d{i}" for i in range(8)])
    wide.insert(0, "node", emb.ids)
    wide.to_parquet(tmp_path / "wide.parquet")
    again = pmivec.load(tmp_path / "wide.parquet")
    assert again.ids == emb.ids and np.array_equal(again.vectors, emb.vectors)
    bad = edges.astype(float)
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match="bad.parquet.*node ids must be integers or strings"):
        pmivec.embed_graph(tmp_path / "bad.parquet")


def test_to_gensim_round_trips():
    pytest.importorskip("gensim")
    emb = pmivec.embed_graph(KARATE, dim=8)
    kv = emb.to_gensim()
    assert np.array_equal(kv["0"], emb["0"])
    assert kv.most_similar("0", topn=1)[0][0] == emb.most_similar("0", 1)[0][0]


def test_words_and_lsa():
    lines = ["the cat sat on the mat", "the dog sat on the rug", "stocks and bonds fell"] * 50
    words = pmivec.embed_words(lines, dim=4, subsample=0.0, min_count=1)
    assert "cat" in words and words.vectors.shape[1] == 4
    tokens = pmivec.embed_words([line.split() for line in lines], dim=4, subsample=0.0, min_count=1)
    assert np.array_equal(words.vectors, tokens.vectors)
    docs = ["cats and dogs are pets", "dogs chase cats", "stocks and bonds are markets", "bonds pay interest"]
    model = pmivec.lsa(docs, dim=2, min_count=1)
    folded = model.transform(docs)
    assert np.allclose(folded, model.documents.vectors, atol=1e-4)
    assert model.terms.vectors.shape[1] == 2


def test_weighted_words_follow_the_factorizer_and_refuse_unknown_parameters():
    lines = ["the cat sat on the mat", "the dog sat on the rug", "stocks and bonds fell"] * 50
    svd = pmivec.embed_words(lines, dim=3, subsample=0.0, min_count=1)
    weighted = pmivec.embed_words(lines, dim=3, subsample=0.0, min_count=1, factorizer="weighted",
                                  factorizer_options={"sweeps": 2})
    assert weighted.report["estimator"] == "sentences, weighted"
    assert not np.array_equal(svd.vectors, weighted.vectors)
    cos = lambda a, b: float(weighted[a] @ weighted[b] / np.linalg.norm(weighted[a]) / np.linalg.norm(weighted[b]))
    assert cos("cat", "dog") > cos("cat", "stocks")
    with pytest.raises(ValueError, match="sweeps"):
        pmivec.embed_words(lines, dim=3, min_count=1, factorizer="weighted", factorizer_options={"sweeps": 5000})
    with pytest.raises(ValueError, match="swepes"):
        pmivec.embed_words(lines, dim=3, min_count=1, factorizer="weighted", factorizer_options={"swepes": 2})


def test_the_weighted_factorizer_on_a_graph_needs_the_windows_estimator():
    emb = pmivec.embed_graph(KARATE, dim=4, estimator="windows", factorizer="weighted",
                             factorizer_options={"sweeps": 2})
    assert emb.report["estimator"] == "windows, weighted"
    plain = pmivec.embed_graph(KARATE, dim=4, estimator="windows")
    assert not np.array_equal(emb.vectors, plain.vectors)
    with pytest.raises(ValueError, match="windows"):
        pmivec.embed_graph(KARATE, dim=4, factorizer="weighted")


def test_ctrl_c_interrupts_a_long_run():
    # Python leaves SIGINT ignored when it started with it ignored (a
    # background job of a non-interactive shell): install the usual handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # A budget that takes tens of seconds; SIGINT after half a second.
        timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        start = time.time()
        with pytest.raises(KeyboardInterrupt):
            pmivec.embed_graph(BLOGCATALOG, steps_per_edge=5000)
        assert time.time() - start < 10
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not CLI.exists(), reason=f"the CLI is not built at {CLI} (cargo build --release)")
def test_fold_in_of_nodes_matches_the_cli(tmp_path):
    edges = karate_edges()
    held = {4, 10, 16}
    is_new = np.isin(edges, list(held)).any(axis=1)
    known, new = tmp_path / "known.tsv", tmp_path / "new.tsv"
    np.savetxt(known, edges[~is_new], fmt="%d", delimiter="\t")
    np.savetxt(new, edges[is_new], fmt="%d", delimiter="\t")
    model = tmp_path / "k.model"
    pmivec.embed_graph(known, dim=4, save_model=model)
    subprocess.run([str(CLI), "fold-in", str(model), str(new), "-o", str(tmp_path / "f.txt"), "-q"], check=True)
    cli = pmivec.load(tmp_path / "f.txt")
    for form in (new, edges[is_new]):
        py = pmivec.fold_in(model, form)
        assert sorted(py.ids) == ["10", "16", "4"]
        assert py.ids == cli.ids
        assert np.array_equal(py.vectors, cli.vectors)


def test_fold_in_places_nodes_reached_only_through_new_nodes_in_later_rounds(tmp_path):
    model = tmp_path / "k.model"
    pmivec.embed_graph(karate_edges(), dim=4, save_model=model)
    chain = [("new1", "0"), ("new2", "new1"), ("new3", "new2")]
    assert pmivec.fold_in(model, chain).ids == ["new1", "new2", "new3"]
    first = pmivec.fold_in(model, chain, rounds=1)
    assert first.ids == ["new1"]
    assert np.array_equal(first.vectors, pmivec.fold_in(model, chain, rounds=2).vectors[:1])
    with pytest.raises(ValueError, match="rounds"):
        pmivec.fold_in(model, chain, rounds=0)


def test_fold_in_of_a_renamed_word_gives_back_its_vector(tmp_path):
    lines = ["the cat sat on the mat", "a dog sat on a rug", "the cat chased a mouse", "a dog chased the cat",
             "stocks fell on the market", "the market rose and stocks rose", "bonds and stocks fell",
             "a mouse ran from the cat"] * 6
    model = tmp_path / "w.model"
    emb = pmivec.embed_words(lines, dim=5, min_count=2, subsample=0, save_model=model)
    new = pmivec.fold_in(model, [l.replace("cat", "kitty") for l in lines])
    assert new.ids == ["kitty"]
    assert np.allclose(new["kitty"], emb["cat"], rtol=1e-4, atol=1e-4)


def test_align_undoes_a_rotation_and_pca_matches_numpy():
    emb = pmivec.embed_graph(KARATE, dim=8)
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    rotated = pmivec.Embedding((emb.vectors @ q).astype(np.float32), emb.ids)
    aligned, stats = pmivec.align(emb, rotated)
    assert stats["anchors"] == 34 and stats["residual"] < 1e-5
    assert np.allclose(aligned.vectors, emb.vectors, atol=1e-5)
    x = rng.standard_normal((60, 6)).astype(np.float32) @ np.diag([5, 3, 2, 1, 0.5, 0.1]).astype(np.float32) + 2
    fitted = pmivec.pca(x, 3)
    centred = x.astype(np.float64) - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    assert np.allclose(fitted.explained_variance_, s[:3] ** 2 / 59, rtol=1e-4)
    assert np.allclose(np.abs(fitted.components_), np.abs(vt[:3]), atol=1e-4)
    sparse = pytest.importorskip("scipy.sparse")
    assert np.allclose(pmivec.pca(sparse.csr_matrix(x), 3).explained_variance_, fitted.explained_variance_,
                       rtol=1e-4)


def test_edges_in_memory_are_taken_as_given_not_parsed_as_text():
    # "#a" is a node, not a comment; ("hub", 1) is an edge, not a header.
    e = pmivec.embed_graph([("#a", "b"), ("b", "c"), ("c", "d"), ("d", "#a"), ("a", "c")], dim=2)
    assert "#a" in e.ids and len(e) == 5
    e = pmivec.embed_graph([("hub", 1), (1, 2), (2, 3), (3, 1)], dim=2)
    assert "hub" in e.ids
    # A missing end (NaN, None) is no node named "nan": the edge is skipped and counted.
    e = pmivec.embed_graph(np.array([[0, 1], [1, 2], [2, np.nan], [2, 0]]), dim=2)
    assert "nan" not in e.ids and e.report["missing_ends_skipped"] == 1
    with pytest.raises(ValueError, match="whitespace"):
        pmivec.embed_graph([("new york", "b"), ("b", "c")], dim=1)


def test_scipy_and_networkx_graphs_keep_every_edge_and_node():
    sp = pytest.importorskip("scipy.sparse")
    E = karate_edges()
    full = pmivec.embed_graph(E, dim=4).report["walk_steps"]
    flip = np.arange(len(E)) % 2 == 1
    src, dst = np.where(flip, E[:, 1], E[:, 0]), np.where(flip, E[:, 0], E[:, 1])
    one_triangle_each = sp.coo_matrix((np.ones(len(E)), (src, dst)), shape=(34, 34))
    assert pmivec.embed_graph(one_triangle_each, dim=4).report["walk_steps"] == full
    both = sp.coo_matrix((np.ones(2 * len(E)), (np.r_[src, dst], np.r_[dst, src])), shape=(34, 34))
    assert pmivec.embed_graph(both, dim=4).report["walk_steps"] == full
    ring = sp.coo_matrix((np.ones(3), ([0, 1, 2], [1, 2, 0])), shape=(5, 5))
    assert pmivec.embed_graph(ring, dim=2).ids == ["0", "1", "2", "3", "4"]
    nx = pytest.importorskip("networkx")
    g = nx.karate_club_graph()
    g.add_node(99)
    e = pmivec.embed_graph(g, dim=4)
    assert 99 in e and len(e) == 35


def test_options_and_shapes_are_checked_before_any_work():
    with pytest.raises(ValueError, match="side"):
        pmivec.embed_graph(KARATE, dim=2, side="bogus")
    docs = ["apple pear fruit", "apple fruit juice", "car road wheel", "road car tyre"]
    for ids, needle in [(["a", "a", "b", "c"], "given to documents 0 and 1"), (["x y", "b", "c", "d"], "whitespace"),
                        (["x", "y"], "2 ids for 4 documents")]:
        with pytest.raises(ValueError, match=needle):
            pmivec.lsa(docs, ids=ids, dim=1, min_count=1)
    rng = np.random.RandomState(0)
    a = pmivec.Embedding(rng.randn(10, 4).astype(np.float32), [str(i) for i in range(10)])
    with pytest.raises(ValueError, match="labels for 10 rows"):
        pmivec.align(a, pmivec.Embedding(a.vectors, a.ids[:5]))


def test_fold_in_gives_the_side_the_model_was_saved_with(tmp_path):
    E = [tuple(map(str, r)) for r in karate_edges()]
    twin = [("twin" if a == "33" else a, "twin" if b == "33" else b) for a, b in E if "33" in (a, b)]
    for side in ["right", "sum", "both"]:
        model = tmp_path / f"{side}.model"
        e = pmivec.embed_graph(E, dim=6, estimator="first-order", propagation="none", side=side,
                               save_model=model)
        f = pmivec.fold_in(model, twin)
        a, b = e["33"], f["twin"]
        assert a.shape == b.shape
        assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.999, side


def test_order_id_sorts_rows_numerically_as_the_cli_does():
    e = pmivec.embed_graph([(-1, -2), (-2, 10), (10, 2), (2, -1), (0, 2)], dim=2, order="id")
    assert e.ids == ["-2", "-1", "0", "2", "10"]
    with pytest.raises(ValueError, match="order"):
        pmivec.embed_graph(KARATE, dim=2, order="bogus")


def test_save_follows_the_file_name_unless_told(tmp_path):
    e = pmivec.embed_graph(KARATE, dim=4)
    e.save(tmp_path / "k.npy")
    assert (tmp_path / "k.npy").read_bytes().startswith(b"\x93NUMPY")
    back = pmivec.load(tmp_path / "k.npy")
    assert back.ids == e.ids and np.array_equal(back.vectors, e.vectors)
    with pytest.raises(ValueError, match="named as npy"):
        e.save(tmp_path / "x.npy", format="word2vec")


def test_auto_reads_the_word_graph_as_local_as_the_cli_does(tmp_path):
    words = ROOT / "graphs" / "words" / "edges.tsv.gz"
    auto = pmivec.embed_graph(str(words), weighted=True, dim=32)
    assert auto.report["auto"].startswith("local graph"), auto.report["auto"]
    assert auto.report["estimator"] == "first-order" and auto.report["propagation_passes"] == 0
    assert auto.report["locality"]["two_steps"] < auto.report["locality"]["one_step"]
    fixed = pmivec.embed_graph(str(words), weighted=True, dim=32, estimator="first-order", propagation="none")
    assert fixed.report["auto"] == ""
    assert np.array_equal(auto.vectors, fixed.vectors)
    karate = pmivec.embed_graph(karate_edges(), dim=32)
    assert karate.report["auto"].startswith("smooth graph") and karate.report["propagation_passes"] == 6


def test_most_similar_answers_analogies_as_gensim_and_lsa_has_a_repr():
    ids = ["king", "queen", "man", "woman", "apple"]
    v = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, 0, 0]], dtype=np.float32)
    e = pmivec.Embedding(v, ids)
    best = e.most_similar(positive=["king", "woman"], negative=["man"], topn=1)
    assert best[0][0] == "queen", best
    assert all(w not in ("king", "woman", "man") for w, _ in e.most_similar(positive=["king", "woman"],
                                                                             negative=["man"]))
    assert e.most_similar("king", 1)[0][0] in ("queen", "man")
    with pytest.raises(ValueError):
        e.most_similar()
    with pytest.raises(KeyError):
        e.most_similar(positive=["nope"])
    model = pmivec.Lsa(dim=2, min_count=1, stopwords=None)
    assert repr(model) == "Lsa(dim=2, weighting='tf-idf', not fitted)"
    model.fit(["a cat sat", "a dog sat", "stocks fell", "bonds fell"])
    assert repr(model).startswith("Lsa(dim=2, weighting='tf-idf', 4 documents × ")
