"""Shared fixtures of the Python package's tests.

The tests compare the package with the command line: `.ci/run` passes the
debug binary it built as `TGNORM_BIN` (default: `target/debug/tgnorm` of
this repository). Every input they read is in `fixtures/` or generated into
pytest's temporary folder.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def tgnorm_bin() -> str:
    path = os.environ.get("TGNORM_BIN") or str(ROOT / "target" / "debug" / "tgnorm")
    if not Path(path).is_file():
        raise RuntimeError(f"no tgnorm binary at {path}: run `cargo build` or set TGNORM_BIN")
    return path


def run_cli(*args: str, cwd: Path = ROOT) -> Tuple[int, List[dict], str]:
    """Runs the CLI; returns its exit code, the JSON lines of its standard
    output, and its standard error."""
    done = subprocess.run(
        [tgnorm_bin(), *args], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL
    )
    out = done.stdout.decode("utf-8")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return done.returncode, lines, done.stderr.decode("utf-8", "replace")


def cli_rejection_column(path: str) -> int:
    """The column of the first rejection the CLI reports for `path`
    (`PATH:LINE:COLUMN: …` on standard error)."""
    _, _, err = run_cli(path)
    found = re.search(re.escape(path) + r":\d+:(\d+):", err)
    assert found, err
    return int(found.group(1))


def fixture_inputs() -> List[str]:
    """Every input of the fixtures, relative to the repository: every
    `.json`, `.jsonl`, `.txt` and `.html` file (archives, pages, tgnorm's
    own `expected.jsonl` read again, and the files that are not archives
    at all), every `input` folder and every folder of Telegram Desktop
    pages (read as an export)."""
    found = set()
    for path in FIXTURES.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".txt", ".html"):
            found.add(path)
            if path.name.startswith("messages") or path.name == "export_results.html":
                found.add(path.parent)
        elif path.is_dir() and path.name == "input":
            found.add(path)
    return sorted(str(p.relative_to(ROOT)) for p in found)


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    """Paths in posts (`source.file`) are as given: run from the root, as
    the CLI does in these tests."""
    monkeypatch.chdir(ROOT)
