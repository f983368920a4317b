#!/usr/bin/env python3
"""The union of every fixture's JSONL loads in DuckDB as one typed table.

Usage: duckdb_union.py --tgnorm BIN

Issue 15 item 1: every key of the post model has one JSON type whatever the
source, and dates always carry an offset, so that DuckDB's
`read_json_auto([...], union_by_name=true)` over the output of *every* reader
types the columns as an analyst expects. This script converts every fixture
input (`fixtures/{text,web,tdesktop,tdesktop-html,corpus/tdesktop,
tdjson-writer,tdhtml-writer}`, the archives in `fixtures/zip`, the JSONL in
`fixtures/parquet`; the deliberately invalid ones are left out) to
JSONL with `BIN`, loads the union, and checks:

- `date` and `edited_at` are TIMESTAMP WITH TIME ZONE (or TIMESTAMP),
- `id` is an integer that fits BIGINT (DuckDB says HUGEINT when positive and
  negative ids mix), `edited` BOOLEAN,
- `date_trunc('day', date)` works, and posts per day add up to the dated posts.

Prints what it found and exits 1 when a check fails (2 when tgnorm cannot
convert an input). `.ci/run` runs it in its venv after `pip install duckdb`;
`cargo test` does not, so that the test suite needs nothing but Rust.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import duckdb

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Folders whose entries are one input each (a file, or an export folder).
GROUPS = ["text", "web", "tdesktop", "tdesktop-html", "corpus/tdesktop", "tdjson-writer", "tdhtml-writer"]
TIMESTAMPS = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP"}


def inputs():
    """Every fixture input: `input*` files and folders, `*.json` exports,
    and folders of `messages*.html` pages (read as one export)."""
    for group in GROUPS:
        for case in sorted((ROOT / "fixtures" / group).iterdir()):
            if not case.is_dir():
                continue
            found = [p for p in sorted(case.iterdir()) if p.name.startswith("input")]
            found += [p for p in sorted(case.glob("*.json")) if p.name != "expected.json"]
            if not found and (any(case.glob("messages*.html")) or (case / "chats").is_dir()):
                found = [case]
            yield from found
    # Fixtures that are loose files: zip archives, JSONL written by hand.
    for group, pattern in [("zip", "*.zip"), ("parquet", "*.jsonl")]:
        yield from sorted((ROOT / "fixtures" / group).glob(pattern))


def convert(tgnorm, source, out):
    """`tgnorm SOURCE -o OUT`; a file with rejected records (exit 1) still
    gives the posts it holds."""
    run = subprocess.run([tgnorm, str(source), "-q", "-o", str(out)], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"{source}: tgnorm exited {run.returncode}: {run.stderr.strip()}")
    return out.is_file() and out.stat().st_size > 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tgnorm", required=True, help="the tgnorm binary")
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory(prefix="tgnorm-duckdb-") as tmp:
        files = []
        for i, source in enumerate(inputs()):
            out = pathlib.Path(tmp) / f"{i:03}.jsonl"
            if convert(args.tgnorm, source, out):
                files.append(str(out))
        if len(files) < 40:
            failures.append(f"only {len(files)} fixture inputs gave posts (expected at least 40)")
        con = duckdb.connect()
        con.execute(
            "CREATE TABLE posts AS SELECT * FROM read_json_auto(?, union_by_name = true)", [files]
        )
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE posts)").fetchall())
        # DuckDB types positive JSON integers UBIGINT and negative ones BIGINT,
        # and a column holding both HUGEINT: the negative ids of migrated basic
        # groups (fixtures/tdesktop/full-export) make `id` HUGEINT, an integer
        # all the same. Every id must still fit BIGINT (checked below).
        integers = {"BIGINT", "HUGEINT"}
        for column, want in [("date", TIMESTAMPS), ("edited_at", TIMESTAMPS), ("id", integers), ("edited", {"BOOLEAN"})]:
            got = types.get(column)
            print(f"{column}: {got}")
            if got not in want:
                failures.append(f"`{column}` is {got}, not {' or '.join(sorted(want))}")
        (too_big,) = con.execute(
            "SELECT count(*) FROM posts WHERE id IS NOT NULL AND TRY_CAST(id AS BIGINT) IS NULL"
        ).fetchone()
        if too_big:
            failures.append(f"{too_big} ids do not fit BIGINT")
        total, dated, edited_at = con.execute(
            "SELECT count(*), count(date), count(edited_at) FROM posts"
        ).fetchone()
        print(f"{len(files)} files, {total} posts, {dated} dated, {edited_at} with edited_at")
        try:
            days = con.execute(
                "SELECT date_trunc('day', date) AS day, count(*) FROM posts"
                " WHERE date IS NOT NULL GROUP BY day ORDER BY day"
            ).fetchall()
            print(f"posts per day: {len(days)} days")
            if sum(n for _, n in days) != dated:
                failures.append("posts per day do not add up to the dated posts")
        except duckdb.Error as e:
            failures.append(f"date_trunc('day', date) fails: {e}")
        if dated == 0 or edited_at == 0:
            failures.append("no dated or no edited posts: the check proves nothing")
    for failure in failures:
        print(f"FAIL: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
