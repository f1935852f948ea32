"""pmivec on a Dask cluster: the same embedding as one machine's, to the bit.

    >>> from dask.distributed import Client, LocalCluster
    >>> from pmivec import distributed
    >>> cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
    >>> emb = distributed.embed_graph(["part-0.tsv", "part-1.tsv"], Client(cluster), dim=128)

The nodes are cut into one shard per worker (contiguous runs of 2048-row
blocks, balanced by nonzeros). Each worker reads its share of the files,
sends every record to the shards its rows belong to, and holds its rows of
the first-order matrix, of the diffusion operator and of every dense block
for the whole run. The numeric stages run in Rust on all workers at once,
over a TCP mesh between them: a product fetches only the ghost rows its
columns reference (a halo), and the Gram matrices are summed rank after
rank in the single machine's order. Node ids follow the single-machine
rules: first appearance over the files in the order given, as ``pmivec
embed`` numbers the concatenated files (``order="id"`` sorts them after).

Dask starts the work, moves the records and notices a worker that leaves;
the bytes of the numeric stages never pass through the scheduler or the
client. Each worker must be able to open a port that the others reach (on
its own address, the one the scheduler knows it by).

Run from a shell: ``python -m pmivec.distributed EDGES... --scheduler
tcp://HOST:8786 -o OUT.npy``.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import time
from typing import Optional, Sequence

import numpy as np

from . import Embedding, _core, _graph_config, _sides

__all__ = ["embed_graph", "ClusterError", "Shards"]


def _state() -> dict:
    """Shards of the runs in progress on this worker, by run id (kept on the
    worker object: a module global would be a fresh copy whenever Dask
    ships these functions by value, as from a ``__main__``)."""
    from distributed import get_worker

    w = get_worker()
    if not hasattr(w, "_pmivec_shards"):
        w._pmivec_shards = {}
    return w._pmivec_shards


class ClusterError(RuntimeError):
    """A cluster run failed: a worker left, a stage raised, or the cluster cannot be reached."""


# --- what the workers run ------------------------------------------------

def _read(path, weighted, directed, delimiter):
    if not isinstance(path, str):  # a partition of a dask DataFrame
        return _read_frame(path, weighted, directed)
    return _core.read_records(path, weighted=weighted, directed=directed, delimiter=delimiter)


def _read_frame(frame, weighted, directed):
    """A pandas partition's (src, dst[, weight]) rows, labelled as pmivec.embed_graph labels an array and read
    through the same reader, so ids and checks are the single machine's."""
    from . import _edges

    part, table = frame
    _, src, dst, weights, _, _, _ = _edges(frame_array(table, weighted), directed, weighted)
    return _core.read_records(src=src, dst=dst, weights=weights if weighted else None,
                              name=f"<partition {part}>", weighted=weighted, directed=directed)


def frame_array(table, weighted):
    cols = table.columns[:3] if weighted else table.columns[:2]
    return table[list(cols)].to_numpy(dtype=object)


def _labels(records):
    # One string, not a list: Dask serializes a list element by element
    # (a minute for a million labels). Labels hold no newline (lines do not).
    return "\n".join(records[0])


def _block_weights(records, remap, blocks):
    remap = np.require(remap, np.uint32, ["C", "A"])
    rb = _core.row_block()
    src, dst = remap[records[1]], remap[records[2]]
    return (np.bincount(src // rb, minlength=blocks) + np.bincount(dst // rb, minlength=blocks)).astype(np.uint64)


def _route(records, remap, starts, directed):
    return _core.route(list(starts), directed, remap[records[1]], remap[records[2]], records[3])


def _part(routed, q):
    return routed[q]


def _aligned(arrays):
    # Arrays that crossed the network may sit at any byte offset of a frame.
    return tuple(np.require(a, dtype=t, requirements=["C", "A"]) for a, t in zip(arrays, (np.uint32, np.uint32, np.float64)))


def _build(run, starts, rank, directed, weighted, *parts):
    shard = _core.ClusterShard(list(starts), rank, directed, weighted, [_aligned(p[0]) for p in parts],
                               [_aligned(p[1]) for p in parts])
    _state()[run] = shard
    return json.loads(shard.stats())


def _listen(run):
    from distributed import get_worker

    address = get_worker().address  # tcp://HOST:PORT, as the peers reach it
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    return _state()[run].listen(host)


def _run(run, addresses, token, config, timeout, part=None, labels=None):
    shard = _state().get(run)
    if shard is None:
        raise ClusterError(f"run {run}: this worker lost its shard (it restarted?)")
    from distributed import get_worker

    cfg = json.loads(config)
    worker = get_worker()
    if cfg.get("memory_limit") is None:
        # The worker's own limit, where Dask sets one, rather than 80 % of
        # a machine that other workers share.
        limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None)
        if limit:
            cfg["memory_limit"] = int(limit)
    if not cfg["factorize"].get("threads"):
        # As many threads as the worker has, not every core of the machine.
        cfg["factorize"]["threads"] = int(getattr(worker, "nthreads", 0) or getattr(worker.state, "nthreads", 0))
    try:
        out = shard.run(list(addresses), token, json.dumps(cfg), timeout)
    finally:
        _state().pop(run, None)
    if part is None:
        return out
    # Written here, in parallel with the other shards; nothing comes back
    # but the sizes.
    _core.save(out[0], labels.split("\n") if labels else [], part, "npy", config)
    return (None, None) + out[2:] + (out[0].shape[0],)


def _forget(run, dask_worker=None):
    getattr(dask_worker, "_pmivec_shards", {}).pop(run, None)


# --- what the client runs -------------------------------------------------

def _pinned(client, worker, stage, run, q, fn, *args):
    return client.submit(fn, *args, workers=[worker], allow_other_workers=False, pure=False, retries=0,
                         key=f"pmivec-{stage}-{run}-{q}")


def _wait(client, futures, stage, workers, say):
    """Wait for `futures`; a raised task or a worker that left is a ClusterError naming the stage."""
    t = time.monotonic()
    last_check = 0.0
    missing: set = set()
    while True:
        for f in futures:
            if f.status == "error":
                raise ClusterError(f"{stage} failed: {f.exception()}") from f.exception()
            if f.status == "cancelled":
                raise ClusterError(f"{stage} failed: a task was cancelled (a worker left?)")
        if all(f.status == "finished" for f in futures):
            break
        if time.monotonic() - last_check > 0.5:
            last_check = time.monotonic()
            alive = _alive(client)
            gone = [w for w in workers if w not in alive]
            if gone and missing.intersection(gone):
                raise ClusterError(f"{stage} failed: worker {sorted(missing.intersection(gone))[0]} left the cluster")
            missing = set(gone)  # gone twice in a row, half a second apart, before it counts
        time.sleep(0.01)
    say(f"{stage:>12}  {time.monotonic() - t:6.2f} s")
    return client.gather(list(futures))


def _alive(client) -> set:
    """The workers the scheduler knows now, asked directly: ``scheduler_info()`` returns a cached identity
    that the client's periodic refresh may have replaced with one listing no workers."""
    try:
        return set(client.sync(client.scheduler.identity, n_workers=-1)["workers"])
    except TypeError:  # a Dask whose identity takes no n_workers
        return set(client.sync(client.scheduler.identity)["workers"])


def _files(client, edges) -> list:
    """Edge-list paths, or a dask DataFrame's partitions as (index, future) pairs (read where they are)."""
    if isinstance(edges, (str, os.PathLike)):
        edges = [edges]
    if hasattr(edges, "to_delayed"):
        parts = client.compute(edges.to_delayed())
        return [_pair(client, i, f) for i, f in enumerate(parts)]
    files = [os.path.abspath(os.fspath(f)) for f in edges]
    if not files:
        raise ValueError("edges: no files given")
    return files


def _pair(client, i, future):
    return client.submit(lambda table, i=i: (i, table), future, pure=False)


def embed_graph(edges, client, partitions: Optional[int] = None, *, order: str = "input",
                weighted: bool = False, directed: bool = False, delimiter: str = "auto",
                memory_limit=None, timeout: float = 600.0, progress: bool = False, output=None,
                _before_stage=None, **options):
    """Embed the nodes of the graph in ``edges`` (edge-list files, read by
    the workers, a share each, or a dask DataFrame whose first columns are
    source, target and, when ``weighted``, weight) on the Dask cluster of
    ``client``, with one shard per worker (``partitions`` workers, default
    all of them).

    ``options`` are :func:`pmivec.embed_graph`'s (``dim``, ``seed``,
    ``propagation``, ``oversample``, …); the estimator is the first-order
    one (walks would cross shards at every step). ``memory_limit`` is per
    worker: each one checks its own plan before any dense block is
    allocated, and all refuse together. ``timeout``: seconds a worker waits
    for a silent peer. Returns the :class:`pmivec.Embedding` that
    ``pmivec.embed_graph`` gives for the concatenated files with
    ``estimator="first-order"``, byte for byte, with ``report["cluster"]``
    holding each shard's rows, ghost rows, bytes moved and plan. (A cluster
    does not run the single machine's locality probe: ``propagation="auto"``
    is 6 passes here, as on one machine for every graph whose signal reaches
    two steps — social and community graphs; give ``propagation=0`` for a
    word co-occurrence graph.)

    ``output``: a directory where the workers write their rows in parallel
    (``part-00000.npy`` + ``.ids`` + sidecar per shard, in row order, and a
    ``manifest.json`` written last, so a failed run leaves no manifest and
    no parts); nothing is gathered on the client, and the result is a
    :class:`Shards` (``.to_dask_array()``, ``.ids``, ``.load()``;
    ``pmivec.load(directory)`` reads it whole). Node order is the input's.
    """
    if order not in ("input", "id"):
        raise ValueError(f"order `{order}`: use input or id")
    estimator = options.pop("estimator", "first-order")
    if estimator not in ("auto", "first-order", "first_order"):
        raise ValueError("estimator: a cluster runs the first-order estimator (windows need walks that cross "
                         "shards at every step: run them on one machine)")
    if options.pop("exact", False):
        raise ValueError("exact: the closed-form NetMF matrix is dense; run it on one machine")
    side = options.pop("side", "left")
    if side not in ("left", "right", "both", "sum"):
        raise ValueError(f"side `{side}`: use left, right, both or sum")
    config = _graph_config(estimator="first-order", memory_limit=memory_limit, side=side, **options)
    if output is not None and (order != "input" or side != "left"):
        raise ValueError("output: shards keep the input's node order and the left side (order='input', side='left')")
    staging = None
    files = _files(client, edges)
    t_start = time.monotonic()
    say = (lambda m: print(f"{m}  (at {time.monotonic() - t_start:.1f} s)", file=sys.stderr, flush=True)) \
        if progress else (lambda m: None)
    before = _before_stage or (lambda stage: None)

    workers = sorted(_alive(client))
    if not workers:
        raise ClusterError("the cluster has no workers")
    p = len(workers) if partitions is None else int(partitions)
    if not 1 <= p <= len(workers):
        raise ValueError(f"partitions: {p} asked, the cluster has {len(workers)} workers")
    workers = workers[:p]
    run = secrets.token_hex(6)
    token = int.from_bytes(secrets.token_bytes(8), "little") >> 1
    t0 = time.monotonic()
    try:
        # 1. Each worker reads its share of the files; the client numbers
        #    the labels in file order and hands each reader its map.
        before("read")
        readers = [workers[i % p] for i in range(len(files))]
        records = [_pinned(client, w, "read", run, i, _read, f, bool(weighted), bool(directed), delimiter)
                   for i, (f, w) in enumerate(zip(files, readers))]
        labels_of = [_pinned(client, w, "labels", run, i, _labels, r) for i, (r, w) in enumerate(zip(records, readers))]
        merged = _core.Labels()
        remaps = []
        for i, labels in enumerate(_wait(client, labels_of, "read", workers, say)):
            remap = merged.add(labels.split("\n") if labels else [])
            remaps.append(client.scatter(remap, workers=[readers[i]]))
        del labels_of
        n = len(merged)
        dim = config["factorize"]["dim"]
        if dim > n:
            raise ValueError(f"dim {dim} exceeds the {n} nodes of the graph")
        # 2. Shards balanced by nonzeros, every record sent to its shards.
        before("route")
        rb = _core.row_block()
        blocks = -(-n // rb)
        weights = [_pinned(client, w, "weights", run, i, _block_weights, r, m, blocks)
                   for i, (r, m, w) in enumerate(zip(records, remaps, readers))]
        block_weights = np.sum(_wait(client, weights, "route", workers, say), axis=0)
        starts = _core.partition(n, [int(x) for x in block_weights], p)
        routed = [_pinned(client, w, "route", run, i, _route, r, m, starts, bool(directed))
                  for i, (r, m, w) in enumerate(zip(records, remaps, readers))]
        del records, remaps
        before("build")
        shards = []
        for q, w in enumerate(workers):
            parts = [_pinned(client, readers[i], f"part{q}", run, i, _part, r, q) for i, r in enumerate(routed)]
            shards.append(_pinned(client, w, "build", run, q, _build, run, starts, q, bool(directed),
                                  bool(weighted), *parts))
        stats = _wait(client, shards, "build", workers, say)
        del routed
        # 3. Every shard opens its port, then all run at once.
        before("connect")
        addresses = _wait(client, [_pinned(client, w, "listen", run, q, _listen, run) for q, w in enumerate(workers)],
                          "connect", workers, say)
        before("factorize")
        ids = merged.labels()
        if output is not None:
            os.makedirs(output, exist_ok=True)
            staging = os.path.join(os.path.abspath(output), f".staging-{run}")
            os.makedirs(staging)
            extra = [(os.path.join(staging, f"part-{q:05d}.npy"), "\n".join(ids[starts[q]:starts[q + 1]]))
                     for q in range(p)]
        else:
            extra = [() for _ in range(p)]
        runs = [_pinned(client, w, "run", run, q, _run, run, addresses, token, json.dumps(config), float(timeout),
                        *extra[q]) for q, w in enumerate(workers)]
        results = _wait(client, runs, "factorize", workers, say)
        say(f"{'gathered':>12}  {time.monotonic() - t0:6.2f} s from the start")
    except BaseException:
        if staging is not None:
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
        # Free the shards on the workers still there (a dead one would
        # keep client.run waiting for its timeout).
        try:
            alive = _alive(client)
            client.run(_forget, run, workers=[w for w in workers if w in alive])
        except Exception:
            pass
        raise
    report = _report(results, stats, workers, starts, time.monotonic() - t0)
    if output is not None:
        return _commit_shards(output, staging, results, n, dim, report)
    left = np.concatenate([r[0] for r in results]) if n else np.zeros((0, dim), np.float32)
    right = np.concatenate([r[1] for r in results]) if results[0][1] is not None else None
    if order == "id":
        ids, perm = _id_order(ids)
        left = left[perm]
        right = right[perm] if right is not None else None
    return Embedding(_sides(left, right, side), ids, right=right, report=report, config=config)


def _report(results, stats, workers, starts, seconds):
    """Rank 0's report, each stage's time the slowest shard's, and every shard's traffic and plan."""
    reports = [json.loads(r[3]) for r in results]
    report = dict(reports[0])
    report["stage_seconds"] = [["cluster", seconds]] + [
        [name, max(r["stage_seconds"][k][1] for r in reports)] for k, (name, _) in enumerate(report["stage_seconds"])]
    report["cluster"] = {
        "workers": workers, "starts": list(starts),
        "shards": [{"graph": s, "mesh": json.loads(r[4]), "plan": json.loads(r[5])} for s, r in zip(stats, results)],
    }
    return report


def _commit_shards(output, staging, results, n, dim, report):
    """Move the parts out of staging, then write the manifest (atomically, last)."""
    parts = []
    for q, r in enumerate(results):
        name = f"part-{q:05d}.npy"
        for suffix in ("", ".ids", ".json"):
            src = os.path.join(staging, name + suffix)
            if os.path.exists(src):
                os.replace(src, os.path.join(output, name + suffix))
        parts.append({"file": name, "rows": int(r[-1])})
    os.rmdir(staging)
    manifest = {"format": "pmivec-shards", "version": 1, "rows": n, "dim": dim, "parts": parts, "report": report}
    tmp = os.path.join(output, f".manifest-{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f)
    os.replace(tmp, os.path.join(output, "manifest.json"))
    return Shards(output)


class Shards:
    """Vectors a cluster run left in a directory, one npy file per shard, read without gathering them."""

    def __init__(self, path):
        self.path = os.fspath(path)
        with open(os.path.join(self.path, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.report = self.manifest.get("report", {})

    def __len__(self):
        return self.manifest["rows"]

    def __repr__(self):
        return f"Shards({self.path!r}: {len(self)} × {self.manifest['dim']} in {len(self.manifest['parts'])} parts)"

    @property
    def ids(self) -> list:
        """Every row's label, in row order."""
        out = []
        for part in self.manifest["parts"]:
            with open(os.path.join(self.path, part["file"] + ".ids")) as f:
                out.extend(line.rstrip("\n") for line in f)
        return out

    def to_dask_array(self):
        """A dask array of the vectors, one chunk per part, each read (memory-mapped) where it is computed."""
        import dask
        import dask.array as da

        dim = self.manifest["dim"]
        blocks = [da.from_delayed(dask.delayed(np.load)(os.path.join(self.path, p["file"]), mmap_mode="r"),
                                  shape=(p["rows"], dim), dtype=np.float32) for p in self.manifest["parts"]]
        return da.concatenate(blocks) if blocks else da.zeros((0, dim), dtype=np.float32)

    def load(self) -> Embedding:
        """All of it as one :class:`pmivec.Embedding` (as ``pmivec.load(directory)``)."""
        from . import load

        return load(self.path)


def _id_order(ids):
    """The CLI's ``--order id`` (one rule, in Rust): numeric ids by value when all are numbers, else by text."""
    perm = _core.id_order(ids).astype(np.int64)
    return [ids[i] for i in perm], perm


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m pmivec.distributed EDGES... --scheduler ADDRESS -o OUT``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pmivec.distributed",
                                 description="Embed a graph on a Dask cluster (the first-order estimator; "
                                             "the vectors equal `pmivec embed --estimator first-order`).")
    ap.add_argument("edges", nargs="+", help="edge-list files, read by the workers (a share each)")
    ap.add_argument("--scheduler", required=True, help="the Dask scheduler, e.g. tcp://HOST:8786")
    ap.add_argument("-o", "--output", required=True, help="output file (.npy + .ids, or word2vec text)")
    ap.add_argument("--format", choices=["word2vec", "npy"], default=None)
    ap.add_argument("--partitions", type=int, default=None, help="shards (default: every worker)")
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--order", choices=["input", "id"], default="input")
    ap.add_argument("--weighted", action="store_true")
    ap.add_argument("--directed", action="store_true")
    ap.add_argument("--propagation", default="auto")
    ap.add_argument("--memory-limit", default=None, help="per worker, e.g. 8GiB")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds a worker waits for a silent peer")
    a = ap.parse_args(argv)
    from distributed import Client

    t = time.monotonic()
    try:
        client = Client(a.scheduler, timeout="5s")
    except (OSError, TimeoutError) as e:
        print(f"error: cannot reach the scheduler at {a.scheduler}: {e}", file=sys.stderr)
        return 2
    # The package's own functions, not this __main__'s copies: Dask ships
    # those by reference.
    from pmivec.distributed import embed_graph as run

    try:
        emb = run(a.edges, client, a.partitions, dim=a.dim, seed=a.seed, order=a.order,
                          weighted=a.weighted, directed=a.directed, propagation=a.propagation,
                          memory_limit=a.memory_limit, timeout=a.timeout, progress=sys.stderr.isatty())
        fmt = a.format or ("npy" if a.output.endswith(".npy") else "word2vec")
        emb.save(a.output, format=fmt)
    except (ClusterError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        client.close()
    shards = emb.report["cluster"]["shards"]
    moved = sum(s["mesh"]["halo_bytes_sent"] for s in shards)
    print(f"embedded {len(emb)} nodes × {emb.vectors.shape[1]} on {len(shards)} workers in "
          f"{time.monotonic() - t:.1f} s ({moved / 2**20:.1f} MiB of ghost rows moved) → {a.output}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
