"""Many Telegram exports → one deduplicated Parquet dataset, on Dask.

The recipe of docs/dask.md, run as it is by python/tests/test_dask.py:

1. every export (a shard) is read by ``tgnorm.read_arrow`` on a worker and
   written straight into one Parquet dataset partitioned by chat and month
   (``pyarrow.dataset.write_dataset``, hive layout); only row counts travel
   back to the client;
2. DuckDB reads the dataset and removes the duplicates between shards (an
   export taken twice, overlapping exports) by a ``GROUP BY`` on tgnorm's
   per-post ``fingerprint``, writing the deduplicated dataset in the same
   layout.

On a laptop: ``python dask_pipeline.py --generate 200 --workers 2 OUT``.
On a cluster: the same code with ``--scheduler tcp://HOST:8786`` (and the
export paths on storage every worker sees); nothing else changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

import tgnorm

#: The partition columns added to tgnorm's batches: the chat (its id, else
#: its name, else "unknown") and the month of the post (``YYYY-MM`` of its
#: UTC timestamp, else "undated").
PARTITIONING = ds.partitioning(pa.schema([("chat_key", pa.string()), ("month", pa.string())]), flavor="hive")


def with_partition_columns(schema: pa.Schema) -> pa.Schema:
    """tgnorm's schema with ``chat_key`` and ``month`` appended."""
    return schema.append(pa.field("chat_key", pa.string())).append(pa.field("month", pa.string()))


def partition_columns(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch with ``chat_key`` and ``month`` appended (``schema`` is
    :func:`with_partition_columns` of the batch's)."""
    chat = batch.column(batch.schema.get_field_index("chat"))
    chat_key = pc.coalesce(
        pc.struct_field(chat, "id"), pc.struct_field(chat, "name"), pa.scalar("unknown")
    )
    date = batch.column(batch.schema.get_field_index("date"))
    month = pc.coalesce(pc.strftime(date, format="%Y-%m"), pa.scalar("undated"))
    return pa.RecordBatch.from_arrays([*batch.columns, chat_key, month], schema=schema)


def shard_to_parquet(path: str, dataset: str, shard: int) -> int:
    """Runs on a worker: one export into the dataset, streamed a batch at
    a time; returns its rows."""
    reader = tgnorm.read_arrow(path)
    schema = with_partition_columns(reader.schema)
    rows = 0

    def batches():
        nonlocal rows
        for batch in reader:
            rows += batch.num_rows
            yield partition_columns(batch, schema)

    ds.write_dataset(
        batches(),
        dataset,
        schema=schema,
        format="parquet",
        partitioning=PARTITIONING,
        basename_template=f"shard-{shard:06}-{{i}}.parquet",
        existing_data_behavior="overwrite_or_ignore",
    )
    return rows


def to_dataset(client, paths: Sequence[str], dataset: str) -> int:
    """Every shard into ``dataset`` on the cluster; returns the rows written."""
    import cloudpickle

    # Workers need not have this file: the functions travel by value.
    module = sys.modules[__name__]
    if __name__ != "__main__":
        cloudpickle.register_pickle_by_value(module)
    futures = client.map(shard_to_parquet, list(paths), [dataset] * len(paths), range(len(paths)))
    return sum(client.gather(futures))


def deduplicate(dataset: str, out: str) -> Dict[str, int]:
    """Global duplicates removed by a GROUP BY on the fingerprint (the copy
    from the first file by name is kept, whole); the result is written
    partitioned as the input. Returns the row counts."""
    import duckdb

    source = f"read_parquet('{dataset}/**/*.parquet', hive_partitioning = true)"
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    con.execute(
        f"""COPY (
              SELECT unnest(arg_min(t, t.source.file))
              FROM {source} AS t
              GROUP BY t.fingerprint
            ) TO '{out}' (FORMAT PARQUET, PARTITION_BY (chat_key, month))"""
    )
    written = f"read_parquet('{out}/**/*.parquet', hive_partitioning = true)"
    unique = con.execute(f"SELECT count(*) FROM {written}").fetchone()[0]
    return {"rows": rows, "unique": unique}


# --- generated shards (the test's input, and a demo) ----------------------


def make_shards(folder: Path, shards: int, chats: int = 4, per_shard: int = 60, step: int = 50) -> Dict[str, int]:
    """Writes ``shards`` Telegram Desktop exports (``result.json``): shard i
    is of chat ``i % chats`` and holds ``per_shard`` messages from id
    ``(i // chats) * step + 1``, so consecutive exports of a chat overlap by
    ``per_shard - step`` messages. Returns the expected counts."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(shards):
        chat = i % chats
        first = (i // chats) * step + 1
        messages = [_message(chat, n) for n in range(first, first + per_shard)]
        export = {"name": f"Chat {chat}", "type": "public_channel", "id": 1000 + chat, "messages": messages}
        (folder / f"shard-{i:05}.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    rows = shards * per_shard
    unique = 0
    for chat in range(chats):
        count = len(range(chat, shards, chats))
        unique += count * step + (per_shard - step) if count else 0
    return {"rows": rows, "unique": unique}


def _message(chat: int, n: int) -> dict:
    month = 1 + (n // 40) % 12
    return {
        "id": n,
        "type": "message",
        "date": f"2024-{month:02}-{1 + n % 28:02}T12:{n % 60:02}:00",
        "from": f"Chat {chat}",
        "from_id": f"channel{1000 + chat}",
        "text": [f"Post {n} of chat {chat}: ", {"type": "bold", "text": "news"}],
    }


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="output folder (dataset/ and dedup/ go inside)")
    parser.add_argument("inputs", nargs="*", help="export files or folders (or --generate N)")
    parser.add_argument("--generate", type=int, default=0, help="generate N shards into OUT/shards")
    parser.add_argument("--scheduler", help="address of a running scheduler (default: a LocalCluster)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    args = parser.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    out = Path(args.out)
    inputs = list(args.inputs)
    if args.generate:
        expected = make_shards(out / "shards", args.generate)
        inputs += sorted(str(p) for p in (out / "shards").iterdir())
        print(f"generated {args.generate} shards: {expected}")
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    start = time.perf_counter()
    rows = to_dataset(client, inputs, str(out / "dataset"))
    seconds = time.perf_counter() - start
    print(f"{len(inputs)} shards, {rows} rows in {seconds:.2f} s: {len(inputs) / seconds:.1f} shards/s")
    print(deduplicate(str(out / "dataset"), str(out / "dedup")))
    client.close()


if __name__ == "__main__":
    main()
