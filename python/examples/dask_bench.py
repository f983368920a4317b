"""Shards per second of the Dask recipe (dask_pipeline.py) on 1 and 2
workers, with the CPU seconds spent and the machine's load beside each run.

    python python/examples/dask_bench.py --shards 400 --runs 3 /tmp/bench

Runs alternate between 1 and 2 workers (1, 2, 1, 2, …) so that a change of
the machine's load spreads over both. Each run starts a fresh
``LocalCluster(n_workers=N, threads_per_worker=1)`` (worker processes),
imports tgnorm on the workers, then times ``to_dataset`` over the shards
(read_arrow per shard → a hive Parquet dataset). CPU seconds are the
workers' (their process time over the run) and the client's, which also
hosts the scheduler.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dask_pipeline  # noqa: E402


def load() -> str:
    """The 1-minute load average and the core count, as `uptime` gives them."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def cpu_seconds() -> float:
    return time.process_time()


def run(paths, out: Path, workers: int) -> str:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("tgnorm"))
        shutil.rmtree(out, ignore_errors=True)
        before_load = load()
        workers_before = client.run(cpu_seconds)
        client_before = time.process_time()
        start = time.perf_counter()
        rows = dask_pipeline.to_dataset(client, paths, str(out))
        wall = time.perf_counter() - start
        client_cpu = time.process_time() - client_before
        workers_after = client.run(cpu_seconds)
        worker_cpu = sum(workers_after[w] - workers_before[w] for w in workers_after)
        return (f"workers={workers} shards={len(paths)} rows={rows} wall={wall:.1f}s "
                f"shards/s={len(paths) / wall:.1f} worker_cpu={worker_cpu:.1f}s client_cpu={client_cpu:.1f}s "
                f"| before: {before_load} | after: {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="scratch folder (shards/ and datasets go inside)")
    parser.add_argument("--shards", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = Path(args.base)
    shards = base / "shards"
    shutil.rmtree(shards, ignore_errors=True)
    dask_pipeline.make_shards(shards, args.shards)
    paths = sorted(str(p) for p in shards.iterdir())
    for _ in range(args.runs):
        for workers in (1, 2):
            print(run(paths, base / f"dataset{workers}", workers), flush=True)


if __name__ == "__main__":
    main()
