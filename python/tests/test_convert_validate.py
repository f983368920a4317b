"""`tgnorm.convert` and `tgnorm.validate` against the CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

import tgnorm

from conftest import FIXTURES, ROOT, cli_rejection_column, run_cli, tgnorm_bin

CONVERT_INPUTS = [
    "fixtures/text/rusembindia-2024/input.txt",
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/web/synthetic-2024/input.html",
    "fixtures/tdesktop-html/civil-updates-2023",
]


def cli_bytes(*args: str) -> tuple:
    done = subprocess.run([tgnorm_bin(), *args], cwd=ROOT, capture_output=True, stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, done.stdout


@pytest.mark.parametrize("to", ["jsonl", "csv", "text", "tdesktop-json"])
@pytest.mark.parametrize("path", CONVERT_INPUTS)
def test_convert_writes_the_cli_bytes(path, to, tmp_path):
    output = tmp_path / f"out.{to}"
    summary = tgnorm.convert(path, output, to=to)
    code, expected = cli_bytes(path, "--to", to)
    assert output.read_bytes() == expected
    # Posts a format cannot hold (tdesktop-json: a post without a date)
    # are rejected, as by the CLI (exit 1).
    assert len(summary["rejects"]) == summary["rejected"]
    assert (summary["rejected"] > 0) == (code == 1)
    assert summary["read"] == summary["written"] + summary["rejected"] + summary["duplicates"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [output.name]


def test_convert_writes_a_tdesktop_html_folder(tmp_path):
    path = "fixtures/tdesktop/pachum-channel/result.json"
    output = tmp_path / "site"
    tgnorm.convert(path, output, to="tdesktop-html")
    assert (output / "messages.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert list(tgnorm.read(output, no=["dedup"]))


def test_convert_rejects_like_the_cli(tmp_path):
    path = "fixtures/invalid/post-views-negative/input.jsonl"
    summary = tgnorm.convert(path, tmp_path / "out.jsonl")
    rejects_file = tmp_path / "rejects.jsonl"
    run_cli(path, "--rejects", str(rejects_file))
    assert summary["rejects"] == [json.loads(line) for line in rejects_file.read_text().splitlines()]
    assert summary["rejected"] == 1


def test_convert_never_writes_over_an_input(tmp_path):
    source = tmp_path / "posts.jsonl"
    original = (FIXTURES / "web/synthetic-2024/expected.jsonl").read_bytes()
    source.write_bytes(original)
    with pytest.raises(tgnorm.Error, match="is an input"):
        tgnorm.convert(source, source)
    assert source.read_bytes() == original
    with pytest.raises(tgnorm.Error, match="does not exist"):
        tgnorm.convert(source, tmp_path / "missing" / "out.jsonl")
    with pytest.raises(tgnorm.Error, match="folder"):
        tgnorm.convert(source, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["posts.jsonl"]


def test_convert_writes_into_a_special_file_never_replacing_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    path = "fixtures/web/synthetic-2024/input.html"
    tgnorm.convert(path, fifo)
    reader.join()
    assert received == [cli_bytes(path)[1]]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_convert_that_stops_leaves_no_output(tmp_path):
    output = tmp_path / "out.jsonl"
    with pytest.raises(tgnorm.Error) as raised:
        tgnorm.convert("fixtures/invalid/post-views-negative/input.jsonl", output, strict=True)
    path = "fixtures/invalid/post-views-negative/input.jsonl"
    assert (raised.value.line, raised.value.column) == (1, cli_rejection_column(path))
    assert list(tmp_path.iterdir()) == []


def validate_inputs():
    return sorted(str(p.relative_to(ROOT)) for p in (FIXTURES / "invalid").glob("*/input*"))


@pytest.mark.parametrize("path", validate_inputs())
def test_validate_lists_the_cli_problems(path):
    code, lines, _ = run_cli("validate", "--format", "json", path)
    expected = [line for line in lines if "summary" not in line]
    assert code in (0, 1) and expected  # exit 0: warnings only
    problems = tgnorm.validate(path)
    keys = ("severity", "file", "line", "column", "pointer", "rule", "message")
    assert problems == [{k: p.get(k) for k in keys} for p in expected]


def test_validate_of_a_valid_file_is_empty():
    assert tgnorm.validate("fixtures/web/synthetic-2024/expected.jsonl") == []


def test_validate_of_a_missing_file_raises():
    with pytest.raises(tgnorm.Error) as raised:
        tgnorm.validate("fixtures/no-such-file.jsonl")
    assert raised.value.kind == "io"
