"""A 100k-message export read in flat memory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import tgnorm

MESSAGES = 100_000


def write_export(path: Path, messages: int, chat_id: int = 777, first_id: int = 1, name: str = "Generated") -> None:
    """A Telegram Desktop `result.json` of one channel, written in a stream:
    messages of a few hundred bytes with entities, forwards and edits."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n "name": %s,\n "type": "public_channel",\n "id": %d,\n "messages": [\n'
                  % (json.dumps(name, ensure_ascii=False), chat_id))
        for i in range(messages):
            n = first_id + i
            day = 1 + (n // 500) % 28
            month = 1 + (n // 14000) % 12
            message = {
                "id": n,
                "type": "message",
                "date": f"2024-{month:02}-{day:02}T{n % 24:02}:{n % 60:02}:{(n * 7) % 60:02}",
                "from": name,
                "from_id": f"channel{chat_id}",
                "text": [f"Сообщение {n}: ", {"type": "bold", "text": "важно"},
                         f" — подробности по ссылке #{n % 97}"],
            }
            if n % 5 == 0:
                message["forwarded_from"] = "Другой канал"
            if n % 7 == 0:
                message["edited"] = message["date"]
            out.write("  " + json.dumps(message, ensure_ascii=False))
            out.write(",\n" if i + 1 < messages else "\n")
        out.write(" ]\n}\n")


def rss_bytes() -> int:
    """The process's resident memory now (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The generated 100k-message export, written once for both tests."""
    path = tmp_path_factory.mktemp("scale") / "result.json"
    write_export(path, MESSAGES)
    return path


def test_100k_messages_in_flat_memory(export):
    path = export
    size = path.stat().st_size
    assert size > 20 << 20
    posts = tgnorm.read(path)
    count = 0
    # Warm up (first batches, allocator arenas), then watch the growth.
    for _ in range(5000):
        next(posts)
        count += 1
    start = rss_bytes()
    peak = start
    last_id = 0
    for post in posts:
        count += 1
        last_id = post["id"]
        if count % 5000 == 0:
            peak = max(peak, rss_bytes())
    growth = peak - start
    summary = posts.summary()
    assert count == MESSAGES == summary["written"] == summary["read"]
    assert last_id == MESSAGES
    # Holding the dicts would take several times the file's size; a
    # stream holds a batch. The bound is a fraction of the file.
    assert growth < 16 << 20, f"RSS grew by {growth >> 20} MiB reading a {size >> 20} MiB export"
    print(f"\n100k messages ({size >> 20} MiB): RSS growth {growth >> 20} MiB after warm-up")


def test_100k_messages_as_arrow_batches_in_flat_memory(export):
    """`read_arrow` streams: batches are built in Rust one at a time, and a
    consumer that drops each batch holds no more than one."""
    pytest.importorskip("pyarrow")
    size = export.stat().st_size
    reader = tgnorm.read_arrow(export)
    batches = iter(reader)
    rows = 0
    # Warm up (first batches, allocator arenas), then watch the growth.
    while rows < 5 * tgnorm.BATCH_POSTS:
        rows += next(batches).num_rows
    start = rss_bytes()
    peak = start
    last_id = None
    largest = 0
    for batch in batches:
        rows += batch.num_rows
        largest = max(largest, batch.num_rows)
        last_id = batch.column("id")[-1].as_py()
        peak = max(peak, rss_bytes())
    growth = peak - start
    assert rows == MESSAGES and last_id == MESSAGES
    assert largest <= tgnorm.BATCH_POSTS
    assert growth < 16 << 20, f"RSS grew by {growth >> 20} MiB reading a {size >> 20} MiB export"
    print(f"\n100k messages as Arrow ({size >> 20} MiB): RSS growth {growth >> 20} MiB after warm-up")
