"""`tgnorm.read_arrow`: a `pyarrow.RecordBatchReader` of the Parquet
schema, equal to what `tgnorm X --to parquet` writes."""

from __future__ import annotations

import json
import os
import warnings

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import tgnorm  # noqa: E402

from conftest import ROOT, fixture_inputs, run_cli, tgnorm_bin  # noqa: E402

# The inputs of the Rust Parquet tests (tests/parquet.rs: every reader,
# forwards, replies, media, reactions, service posts, dates with offsets).
PARQUET_INPUTS = [
    "fixtures/tdesktop/full-export/result.json",
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/tdesktop/repairs-2022/result.json",
    "fixtures/tdesktop/innerdvations-parser-tests/public_channel.json",
    "fixtures/text/rusembindia-2024/input.txt",
    "fixtures/web/mchs-bryansk-2024/input.html",
    "fixtures/web/synthetic-2024/input.html",
    "fixtures/tdesktop-html/civil-updates-2023",
    "fixtures/parquet/dates.jsonl",
]
# tgnorm's own output of every fixture that has posts.
JSONL = [p for p in fixture_inputs() if p.endswith("expected.jsonl") and os.path.getsize(ROOT / p)]


def to_parquet(path: str, out) -> pa.Table:
    """`tgnorm PATH --to parquet -o OUT`, read back by pyarrow."""
    import subprocess

    subprocess.run([tgnorm_bin(), path, "-q", "--to", "parquet", "-o", str(out)], cwd=ROOT, check=True)
    return pq.read_table(out)


def test_read_arrow_is_a_record_batch_reader():
    reader = tgnorm.read_arrow("fixtures/web/synthetic-2024/input.html")
    assert isinstance(reader, pa.RecordBatchReader)
    batches = list(reader)
    assert batches and all(isinstance(b, pa.RecordBatch) for b in batches)


def test_schema_is_the_parquet_files(tmp_path):
    path = PARQUET_INPUTS[0]
    to_parquet(path, tmp_path / "out.parquet")
    parquet = pq.read_schema(tmp_path / "out.parquet")
    plain = tgnorm.read_arrow(path, fingerprint=False).schema
    assert plain.equals(parquet, check_metadata=True)
    with_key = tgnorm.read_arrow(path).schema
    assert with_key.names == parquet.names + ["fingerprint"]
    assert with_key.field("fingerprint") == pa.field("fingerprint", pa.uint64(), nullable=False)
    assert with_key.remove(with_key.get_field_index("fingerprint")).equals(parquet, check_metadata=True)


@pytest.mark.parametrize("path", PARQUET_INPUTS + JSONL)
def test_table_is_the_parquet_files_rows(path, tmp_path):
    """Row for row, value for value: what `--to parquet` writes, plus the
    fingerprints `tgnorm.fingerprint` gives the JSONL posts."""
    expected = to_parquet(path, tmp_path / "out.parquet")
    table = tgnorm.read_arrow(path).read_all()
    fingerprints = table.column("fingerprint")
    table = table.drop_columns(["fingerprint"])
    assert table.schema.equals(expected.schema, check_metadata=True)
    assert table.num_rows == expected.num_rows
    assert table.equals(expected)
    posts = list(tgnorm.read(path))
    assert fingerprints.to_pylist() == [tgnorm.fingerprint(p) for p in posts]


def test_an_input_without_posts_gives_the_schema_and_no_rows():
    reader = tgnorm.read_arrow("fixtures/web/tchantest-no-posts-found/input.html")
    assert reader.schema == tgnorm.read_arrow(PARQUET_INPUTS[0]).schema
    table = reader.read_all()
    assert table.num_rows == 0 and table.schema == reader.schema


def test_batches_hold_at_most_batch_posts(tmp_path):
    lines = (ROOT / "fixtures/web/synthetic-2024/expected.jsonl").read_text(encoding="utf-8").splitlines()
    post = json.loads(lines[0])
    path = tmp_path / "many.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for n in range(1, 2 * tgnorm.BATCH_POSTS + 11):
            post["id"] = n
            out.write(json.dumps(post, ensure_ascii=False) + "\n")
    sizes = [b.num_rows for b in tgnorm.read_arrow(path)]
    assert sizes == [tgnorm.BATCH_POSTS, tgnorm.BATCH_POSTS, 10]


def test_options_are_reads(tmp_path):
    path = "fixtures/web/synthetic-2024/input.html"
    for options in ({}, {"no": ["dedup", "emoji"]}, {"passes": []}, {"emoji": "strip"}):
        posts = list(tgnorm.read(path, **options))
        table = tgnorm.read_arrow(path, **options).read_all()
        assert table.column("text").to_pylist() == [p["text"] for p in posts]
        assert table.column("cleaned").to_pylist() == [p["cleaned"] for p in posts]


# --- errors -----------------------------------------------------------------


def test_unreadable_input_raises_at_the_call():
    with pytest.raises(tgnorm.Error) as raised:
        tgnorm.read_arrow("fixtures/no-such-file.json")
    assert (raised.value.kind, raised.value.file) == ("io", "fixtures/no-such-file.json")


def test_bad_options_are_value_errors():
    with pytest.raises(ValueError, match="unknown pass `dedupe`"):
        tgnorm.read_arrow("fixtures/web/synthetic-2024/input.html", no=["dedupe"])


def test_bad_record_raises_with_its_position_when_strict():
    path = "fixtures/invalid/post-views-negative/input.jsonl"
    with pytest.raises(tgnorm.Error) as expected:
        list(tgnorm.read(path, strict=True))
    reader = tgnorm.read_arrow(path, strict=True)
    with pytest.raises(tgnorm.Error) as raised:
        reader.read_all()
    err, want = raised.value, expected.value
    assert type(err) is tgnorm.Error
    assert (err.file, err.line, err.column, err.kind, str(err)) == (want.file, want.line, want.column, want.kind, str(want))


def mixed(tmp_path, bad: str, at: int):
    """synthetic-2024's posts with `bad` as line `at + 1`."""
    good = (ROOT / "fixtures/web/synthetic-2024/expected.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([*good[:at], bad, *good[at:]]) + "\n", encoding="utf-8")
    return path, good


def test_the_rows_before_a_stopping_error_come_first(tmp_path):
    path, good = mixed(tmp_path, "not json", 2)
    reader = tgnorm.read_arrow(path, strict=True)
    first = reader.read_next_batch()
    assert first.column("id").to_pylist() == [json.loads(line)["id"] for line in good[:2]]
    with pytest.raises(tgnorm.Error) as raised:
        reader.read_next_batch()
    assert (raised.value.file, raised.value.line, raised.value.column) == (str(path), 3, 1)


def test_a_stopped_file_raises_after_its_posts():
    """An error that makes the rest of a file unreadable (as the CLI stops
    there): the posts before it, then the error, in `read` and here alike."""
    path = "fixtures/invalid/html-missing-history/input.html"
    posts = []
    with pytest.raises(tgnorm.Error) as expected:
        for post in tgnorm.read(path):
            posts.append(post)
    rows = []
    reader = tgnorm.read_arrow(path)
    with pytest.raises(tgnorm.Error) as raised:
        for batch in reader:
            rows.extend(batch.column("id").to_pylist())
    assert rows == [p["id"] for p in posts]
    assert str(raised.value) == str(expected.value)
    assert raised.value.line == expected.value.line


def test_rejected_records_go_to_on_reject_or_warn(tmp_path):
    path, good = mixed(tmp_path, '{"chat": 1}', 1)
    seen = []
    table = tgnorm.read_arrow(path, on_reject=seen.append).read_all()
    assert table.num_rows == len(good)
    assert [(type(e), e.file, e.line, e.column) for e in seen] == [(tgnorm.Error, str(path), 2, 1)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tgnorm.read_arrow(path).read_all().num_rows == len(good)
    rejected = [w for w in caught if issubclass(w.category, tgnorm.RejectedWarning)]
    assert [str(w.message) for w in rejected] == [str(seen[0])]


# --- consumers ----------------------------------------------------------------


def test_pandas_polars_duckdb_through_arrow():
    path = "fixtures/tdesktop/pachum-channel/result.json"
    posts = list(tgnorm.read(path))
    frame = tgnorm.read_arrow(path).read_pandas()
    assert list(frame["id"]) == [p["id"] for p in posts]
    assert list(frame["text"]) == [p["text"] for p in posts]
    duckdb = pytest.importorskip("duckdb")
    reader = tgnorm.read_arrow(path)
    count = duckdb.connect().execute("SELECT count(*) FROM reader").fetchone()[0]
    assert count == len(posts)
    polars = pytest.importorskip("polars")
    pl_frame = polars.from_arrow(tgnorm.read_arrow(path))
    assert pl_frame["id"].to_list() == [p["id"] for p in posts]


def test_the_cli_agrees_on_the_jsonl(tmp_path):
    """The rows' text is the CLI's JSONL text (the table is of the same
    posts, not only of the same Parquet file)."""
    path = "fixtures/parquet/dates.jsonl"
    code, expected, _ = run_cli(path)
    assert code == 0
    table = tgnorm.read_arrow(path).read_all()
    assert table.column("text").to_pylist() == [p["text"] for p in expected]
    assert table.column("id").to_pylist() == [p.get("id") for p in expected]
