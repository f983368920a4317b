#!/usr/bin/env python3
"""The same analyst's queries on tgnorm's JSONL and on its Parquet (issue 15
items 2 and 4), run by DuckDB, must give the same answers.

Usage: parquet_query.py --tgnorm BIN

Converts a fixed set of fixtures (every reader; forwards, `too_big` media,
dates with and without an offset) once to JSONL, once to one Parquet file
and once to a Hive-partitioned Parquet folder (`--partition-by chat,month`),
then runs on each:

- posts per day (UTC days; a JSONL date without an offset is UTC, the rule
  `--to parquet` documents);
- the top forward sources;
- the posts with `too_big` media;
- on the partitioned folder, also posts per (chat_id, month) from the Hive
  columns against the same computed from the JSONL.

The JSONL is read as raw JSON objects (`read_ndjson_objects`), so its
answers do not depend on DuckDB's type inference. Prints one line per check
and `N passed, N failed`; exit 1 on any failure. `.ci/run` runs it in its
venv with `duckdb` installed; `cargo test` does not.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import duckdb

ROOT = pathlib.Path(__file__).resolve().parents[2]
INPUTS = [
    "fixtures/tdesktop/full-export/result.json",
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/tdesktop/repairs-2022/result.json",
    "fixtures/text/rusembindia-2024/input.txt",
    "fixtures/text/scraper-album-2023/input.txt",
    "fixtures/web/mchs-bryansk-2024/input.html",
    "fixtures/web/synthetic-2024/input.html",
    "fixtures/tdesktop-html/hand-quirks-2024",
    "fixtures/parquet/dates.jsonl",
]

# Each query twice: over the JSONL objects (`json`) and over the Parquet
# columns. `{src}` is the table expression.
QUERIES = {
    "posts per day": (
        """SELECT CAST(CAST(json->>'$.date' AS TIMESTAMPTZ) AS DATE) AS day, count(*) AS posts
           FROM {src} WHERE json->>'$.date' IS NOT NULL GROUP BY day ORDER BY day""",
        """SELECT CAST(date AS DATE) AS day, count(*) AS posts
           FROM {src} WHERE date IS NOT NULL GROUP BY day ORDER BY day""",
    ),
    "top forward sources": (
        """SELECT json->>'$.forwarded_from.name' AS origin, count(*) AS posts FROM {src}
           WHERE json_type(json, '$.forwarded_from') = 'OBJECT'
           GROUP BY origin ORDER BY posts DESC, origin LIMIT 10""",
        """SELECT forwarded_from.name AS origin, count(*) AS posts FROM {src}
           WHERE forwarded_from IS NOT NULL
           GROUP BY origin ORDER BY posts DESC, origin LIMIT 10""",
    ),
    "posts with too_big media": (
        """SELECT json->>'$.source.file' AS file, CAST(json->>'$.source.line' AS UBIGINT) AS line,
                  CAST(json->>'$.source.index' AS UBIGINT) AS idx, json->>'$.text' AS text
           FROM {src} WHERE list_contains(json_extract_string(json, '$.media[*].status'), 'too_big')
           ORDER BY file, line, idx""",
        """SELECT source.file AS file, source.line AS line, source.index AS idx, text
           FROM {src} WHERE list_contains([m.status FOR m IN media], 'too_big')
           ORDER BY file, line, idx""",
    ),
}

PARTITIONS = (
    """SELECT json->>'$.chat.id' AS chat_id,
              strftime(CAST(json->>'$.date' AS TIMESTAMPTZ), '%Y-%m') AS month, count(*) AS posts
       FROM {src} GROUP BY ALL ORDER BY ALL""",
    """SELECT chat_id, month, count(*) AS posts FROM {src} GROUP BY ALL ORDER BY ALL""",
)


def tgnorm(binary, *args):
    run = subprocess.run([binary, *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"tgnorm {' '.join(args)} exited {run.returncode}: {run.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tgnorm", required=True)
    binary = str(pathlib.Path(parser.parse_args().tgnorm).resolve())
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        jsonl, parquet, folder = tmp / "all.jsonl", tmp / "all.parquet", tmp / "dataset"
        tgnorm(binary, *INPUTS, "-q", "-o", str(jsonl))
        tgnorm(binary, *INPUTS, "-q", "--to", "parquet", "-o", str(parquet))
        tgnorm(binary, *INPUTS, "-q", "--to", "parquet", "--partition-by", "chat,month",
               "-o", str(folder))
        db = duckdb.connect()
        db.execute("SET TimeZone = 'UTC'")
        objects = f"read_ndjson_objects('{jsonl}')"
        tables = {
            "parquet": f"read_parquet('{parquet}')",
            "partitioned": f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)",
        }
        checks = [(name, q[0], q[1], kind) for name, q in QUERIES.items() for kind in tables]
        checks.append(("posts per chat_id and month", PARTITIONS[0], PARTITIONS[1], "partitioned"))
        for name, on_jsonl, on_parquet, kind in checks:
            want = db.execute(on_jsonl.format(src=objects)).fetchall()
            got = db.execute(on_parquet.format(src=tables[kind])).fetchall()
            ok = want == got and len(want) > 0
            passed, failed = passed + ok, failed + (not ok)
            print(f"{'ok' if ok else 'FAIL'}\t{name} ({kind}): {len(want)} rows")
            if not ok:
                print(f"\tjsonl:   {want[:5]}\n\tparquet: {got[:5]}")
    print(f"parquet_query: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
