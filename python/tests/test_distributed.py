"""pmivec.distributed on a real multi-process Dask cluster bound to 127.0.0.1."""
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import pmivec

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
from pmivec import distributed as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KARATE = ROOT / "graphs" / "karate" / "edges.tsv"
BLOGCATALOG = ROOT / "graphs" / "blogcatalog" / "edges.tsv"
CLI = Path(os.environ.get("PMIVEC_BIN", ROOT / "target" / "release" / "pmivec"))


def local_cluster(n):
    return distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, silence_logs=40)


@pytest.fixture(scope="module")
def client():
    with local_cluster(3) as cluster, distributed.Client(cluster) as c:
        yield c


def split(path, parts, tmp_path):
    """The edge file cut into `parts` files whose concatenation is the original."""
    lines = Path(path).read_text().splitlines(keepends=True)
    step = -(-len(lines) // parts)
    files = []
    for i in range(parts):
        f = tmp_path / f"part-{i}.tsv"
        f.write_text("".join(lines[i * step:(i + 1) * step]))
        files.append(f)
    return files


@pytest.mark.parametrize("graph", [KARATE, BLOGCATALOG], ids=["karate", "blogcatalog"])
def test_vectors_are_byte_identical_to_one_machine_for_1_to_3_workers(client, graph, tmp_path):
    one = pmivec.embed_graph(graph, dim=16, estimator="first-order", seed=5)
    files = split(graph, 3, tmp_path)
    for p in (1, 2, 3):
        emb = pd.embed_graph(files, client, p, dim=16, seed=5)
        assert emb.ids == one.ids
        assert emb.vectors.tobytes() == one.vectors.tobytes(), f"{p} workers"
        assert len(emb.report["cluster"]["shards"]) == p


@pytest.mark.skipif(not CLI.exists(), reason=f"the CLI is not built at {CLI} (cargo build --release)")
def test_the_command_writes_what_pmivec_embed_writes_in_id_order(client, tmp_path):
    ours, theirs = tmp_path / "c.npy", tmp_path / "m.npy"
    scheduler = client.scheduler.address
    r = subprocess.run([sys.executable, "-m", "pmivec.distributed", str(BLOGCATALOG), "--scheduler", scheduler,
                        "-o", str(ours), "--dim", "8", "--order", "id"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "3 workers" in r.stderr
    subprocess.run([str(CLI), "embed", str(BLOGCATALOG), "-o", str(theirs), "--dim", "8", "--order", "id",
                    "--estimator", "first-order", "--format", "npy", "-q"], check=True)
    a, b = pmivec.load(ours), pmivec.load(theirs)
    assert a.ids == b.ids and a.vectors.tobytes() == b.vectors.tobytes()


def test_halo_bytes_are_the_ghost_rows_of_each_shard_and_zero_on_one(client):
    one = pd.embed_graph([KARATE], client, 1, dim=4)
    assert one.report["cluster"]["shards"][0]["mesh"]["halo_bytes_sent"] == 0
    emb = pd.embed_graph([BLOGCATALOG], client, 3, dim=8)
    cl = emb.report["cluster"]
    # Ghost rows from the edge list itself: neighbours outside the shard's range.
    e = np.loadtxt(BLOGCATALOG, dtype=np.int64)
    index = {label: i for i, label in enumerate(pmivec.embed_graph(BLOGCATALOG, dim=2, estimator="first-order").ids)}
    u = np.array([index[str(x)] for x in e[:, 0]])
    v = np.array([index[str(x)] for x in e[:, 1]])
    starts = cl["starts"]
    sent = received = 0
    for q, shard in enumerate(cl["shards"]):
        lo, hi = starts[q], starts[q + 1]
        mine_u, mine_v = (u >= lo) & (u < hi), (v >= lo) & (v < hi)
        ghosts = np.union1d(v[mine_u & ~mine_v], u[mine_v & ~mine_u])
        m = shard["mesh"]
        assert m["ghost_rows"] == len(ghosts)
        assert m["halo_bytes_received"] == len(ghosts) * m["halo_row_bytes"]
        sent += m["halo_bytes_sent"]
        received += m["halo_bytes_received"]
    assert sent == received > 0


def test_an_impossible_budget_is_refused_by_the_workers_plan(client):
    with pytest.raises(pd.ClusterError, match="memory"):
        pd.embed_graph([BLOGCATALOG], client, 2, dim=8, memory_limit="64KiB")


def test_windows_and_exact_are_refused_on_a_cluster(client):
    with pytest.raises(ValueError, match="first-order"):
        pd.embed_graph([KARATE], client, estimator="windows")
    with pytest.raises(ValueError, match="one machine"):
        pd.embed_graph([KARATE], client, exact=True)


def test_half_width_blocks_are_refused_on_a_cluster(client):
    with pytest.raises(pd.ClusterError, match="f32"):
        pd.embed_graph([KARATE], client, 2, dim=8, precision="f16")


def test_a_bad_line_names_the_file_and_line(client, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\n2\t3\n3\n")
    with pytest.raises(pd.ClusterError, match=r"bad\.tsv:3"):
        pd.embed_graph([KARATE, bad], client, 2, dim=4)


def test_a_killed_worker_fails_the_run_with_the_stage_named():
    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        pids = c.run(os.getpid)
        victim = sorted(pids)[1]

        def kill(stage):
            if stage == "factorize":
                os.kill(pids[victim], 9)

        t = time.monotonic()
        with pytest.raises(pd.ClusterError, match="factorize"):
            pd.embed_graph([BLOGCATALOG], c, 2, dim=8, timeout=20, _before_stage=kill)
        assert time.monotonic() - t < 30


def test_an_unreachable_scheduler_is_an_error_within_seconds(tmp_path):
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pmivec.distributed", str(KARATE), "--scheduler", "tcp://127.0.0.1:9",
                        "-o", str(tmp_path / "o.npy")], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "cannot reach the scheduler" in r.stderr
    assert time.monotonic() - t < 30
    assert not (tmp_path / "o.npy").exists()


def test_shards_written_by_the_workers_read_back_whole_and_as_a_dask_array(client, tmp_path):
    one = pmivec.embed_graph(BLOGCATALOG, dim=8, estimator="first-order")
    out = tmp_path / "shards"
    shards = pd.embed_graph(split(BLOGCATALOG, 2, tmp_path), client, 3, dim=8, output=out)
    assert isinstance(shards, pd.Shards) and len(shards) == len(one)
    assert sorted(os.listdir(out))[-1] == "part-00002.npy.json" and "manifest.json" in os.listdir(out)
    back = pmivec.load(out)
    assert back.ids == one.ids == shards.ids
    assert back.vectors.tobytes() == one.vectors.tobytes()
    arr = shards.to_dask_array()
    assert arr.shape == one.vectors.shape and len(arr.chunks[0]) == 3
    assert np.asarray(arr.compute()).tobytes() == one.vectors.tobytes()


def test_a_failed_run_leaves_no_shards_behind(client, tmp_path):
    out = tmp_path / "shards"
    with pytest.raises(pd.ClusterError):
        pd.embed_graph([BLOGCATALOG], client, 2, dim=8, memory_limit="64KiB", output=out)
    assert os.listdir(out) == []


def test_a_dask_dataframe_of_edges_gives_the_vectors_of_its_array(client):
    dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe (pandas) is not installed")
    import pandas

    e = np.loadtxt(BLOGCATALOG, dtype=np.int64)
    w = (np.arange(len(e)) % 3 + 1).astype(np.float64)
    frame = dd.from_pandas(pandas.DataFrame({"src": e[:, 0], "dst": e[:, 1], "weight": w}), npartitions=4)
    one = pmivec.embed_graph(np.column_stack([e, w]).astype(object), dim=8, estimator="first-order", weighted=True)
    emb = pd.embed_graph(frame, client, 2, dim=8, weighted=True)
    assert emb.ids == one.ids
    assert emb.vectors.tobytes() == one.vectors.tobytes()


def test_a_worker_killed_inside_the_numeric_stages_fails_its_peers_cleanly():
    import threading

    with local_cluster(2) as cluster, distributed.Client(cluster) as c:
        pids = c.run(os.getpid)
        victim = pids[sorted(pids)[1]]

        def kill_soon(stage):
            if stage == "factorize":  # the ranks are connected and computing a second later
                threading.Timer(1.0, os.kill, (victim, 9)).start()

        t = time.monotonic()
        with pytest.raises(pd.ClusterError, match="factorize failed") as e:
            pd.embed_graph([BLOGCATALOG], c, 2, dim=32, propagation=60, timeout=20, _before_stage=kill_soon)
        assert time.monotonic() - t < 30
        # Either the peer saw the connection close, or the client saw the worker leave first.
        assert "closed the connection" in str(e.value) or "left the cluster" in str(e.value), str(e.value)
