"""The Dask recipe (docs/dask.md, python/examples/dask_pipeline.py) on a
LocalCluster of 2 worker processes: a few hundred generated exports →
`tgnorm.read_arrow` per shard on the workers → one Parquet dataset
partitioned by chat and month → DuckDB reads it back and removes the
duplicates between shards by fingerprint."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "python" / "examples"))

import dask_pipeline  # noqa: E402

pytest.importorskip("distributed")

SHARDS = 240


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(cluster) as client:
        yield client
    cluster.close()


def test_shards_to_one_deduplicated_dataset(client, tmp_path):
    expected = dask_pipeline.make_shards(tmp_path / "shards", SHARDS)
    paths = sorted(str(p) for p in (tmp_path / "shards").iterdir())
    assert len(paths) == SHARDS

    rows = dask_pipeline.to_dataset(client, paths, str(tmp_path / "dataset"))
    assert rows == expected["rows"] == SHARDS * 60
    workers = {w for w in client.run(lambda: 1)}
    assert len(workers) == 2

    counts = dask_pipeline.deduplicate(str(tmp_path / "dataset"), str(tmp_path / "dedup"))
    assert counts == expected
    assert expected["unique"] < expected["rows"]

    import duckdb

    source = f"read_parquet('{tmp_path}/dedup/**/*.parquet', hive_partitioning = true)"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # One row per (chat, id) after deduplication, in its chat's partition
    # and its month's.
    assert con.execute(f"SELECT count(DISTINCT (chat.id, id)) FROM {source}").fetchone()[0] == expected["unique"]
    assert con.execute(f"SELECT count(*) FROM {source} WHERE chat_key <> chat.id").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*) FROM {source} WHERE month <> strftime(date, '%Y-%m')").fetchone()[0] == 0
    assert con.execute(f"SELECT count(DISTINCT chat_key) FROM {source}").fetchone()[0] == 4
    assert con.execute(f"SELECT count(DISTINCT month) FROM {source}").fetchone()[0] == 12
    # The kept copy is whole: its text is the one tgnorm read.
    text = con.execute(f"SELECT text FROM {source} WHERE chat.id = 'channel1001' AND id = 55").fetchone()[0]
    assert text == "Post 55 of chat 1: news"
