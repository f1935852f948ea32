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
@pytest.mark.parametrize("options", [[], ["--estimator", "first-order"], ["--p", "0.5", "--q", "2"], ["--exact"]])
def test_vectors_are_bit_identical_to_the_cli(tmp_path, options):
    out = tmp_path / "k.txt"
    subprocess.run([str(CLI), "embed", str(KARATE), "-o", str(out), "--dim", "8", "--seed", "3", "-q", *options],
                   check=True)
    cli = pmivec.load(out)
    kwargs = {"dim": 8, "seed": 3}
    if "--estimator" in options:
        kwargs["estimator"] = "first-order"
    if "--p" in options:
        kwargs.update(p=0.5, q=2.0)
    if "--exact" in options:
        kwargs["exact"] = True
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
    sparse = pytest.importorskip("scipy.sparse")
    n = int(edges.max()) + 1
    a = sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    forms["scipy"] = (a + a.T).tocsr()
    for name, form in forms.items():
        emb = pmivec.embed_graph(form, dim=8)
        assert emb.ids == ref.ids, name
        assert np.array_equal(emb.vectors, ref.vectors), name
    # networkx iterates edges in its own order: the same as a file in that order.
    try:
        import networkx as nx
    except ImportError:
        return
    g = nx.Graph()
    g.add_edges_from(map(tuple, edges))
    nx_path = tmp_path / "nx.tsv"
    np.savetxt(nx_path, np.array(list(g.edges())), fmt="%d", delimiter="\t")
    a, b = pmivec.embed_graph(g, dim=8), pmivec.embed_graph(nx_path, dim=8)
    assert a.ids == b.ids and np.array_equal(a.vectors, b.vectors)


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
    with pytest.raises(MemoryError, match="memory-limit"):
        pmivec.embed_graph(KARATE, dim=4, memory_limit=1000)
    with pytest.raises(ValueError, match="shape"):
        pmivec.embed_graph(np.zeros((3, 4)))


def test_lookup_neighbours_and_save_load_round_trip(tmp_path):
    emb = pmivec.embed_graph(KARATE, dim=8, side="both")
    assert emb.vectors.shape == (34, 16) and emb.right.shape == (34, 8)
    assert emb.index("33") == emb.ids.index("33")
    assert np.array_equal(emb["33"], emb.vectors[emb.index(33)])
    near = emb.most_similar("33", 5)
    assert len(near) == 5 and all(label != "33" for label, _ in near)
    assert near[0][1] >= near[-1][1]
    for fmt in ["word2vec", "npy"]:
        path = tmp_path / f"e.{fmt}"
        emb.save(path, format=fmt)
        back = pmivec.load(path)
        assert back.ids == emb.ids and np.array_equal(back.vectors, emb.vectors)
        assert back.config["window"] == 5


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


def test_ctrl_c_interrupts_a_long_run():
    # A budget that takes tens of seconds; SIGINT after half a second.
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    start = time.time()
    with pytest.raises(KeyboardInterrupt):
        pmivec.embed_graph(BLOGCATALOG, steps_per_edge=5000)
    assert time.time() - start < 10
