"""Embed a graph on a local Dask cluster of P worker processes (1 thread
each, bound to 127.0.0.1) and report what the README's cluster figures
quote: wall time, each worker's peak resident memory, ghost rows and bytes
moved per shard. Optionally check the vectors against a file written by
`pmivec embed --estimator first-order --precision f32 --format npy`.

    python examples/cluster.py EDGES... --workers 2 [--dim 128] [--out o.npy] [--against single.npy]

EDGES: one file per reader; pass the graph in P pieces (`split -n l/P`)
so that each worker reads one.
"""
import argparse
import os
import resource
import time

import numpy as np
from dask.distributed import Client, LocalCluster

import pmivec
from pmivec import distributed


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edges", nargs="+")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--order", default="input")
    ap.add_argument("--out")
    ap.add_argument("--against")
    a = ap.parse_args()
    with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit=0, silence_logs=30) as cluster, Client(cluster) as client:
        base = client.run(peak_rss)
        t = time.monotonic()
        emb = distributed.embed_graph(a.edges, client, a.workers, dim=a.dim, order=a.order, progress=True)
        wall = time.monotonic() - t
        peaks = client.run(peak_rss)
    print(f"{len(emb)} nodes, {a.workers} workers × 1 thread: {wall:.1f} s")
    for name, sec in emb.report["stage_seconds"]:
        print(f"  {name:>12} {sec:7.2f} s")
    for q, (w, s) in enumerate(zip(emb.report["cluster"]["workers"], emb.report["cluster"]["shards"])):
        m, plan = s["mesh"], s["plan"]
        print(f"  shard {q}: {plan['own_rows']} own + {m['ghost_rows']} ghost rows, peak RSS "
              f"{peaks[w] / 2**30:.2f} GiB (idle worker {base[w] / 2**30:.2f} GiB, plan {plan['peak_bytes'] / 2**30:.2f} "
              f"GiB), {m['halo_exchanges']} halo exchanges, {m['halo_bytes_sent'] / 2**30:.2f} GiB sent")
    if a.out:
        emb.save(a.out, format="npy")
    if a.against:
        ref = pmivec.load(a.against)
        same = ref.ids == emb.ids and ref.vectors.tobytes() == emb.vectors.tobytes()
        print("byte-identical to", a.against, ":", same)
        if not same and ref.ids == emb.ids:
            print("  max |difference|:", float(np.max(np.abs(ref.vectors - emb.vectors))))


if __name__ == "__main__":
    main()
