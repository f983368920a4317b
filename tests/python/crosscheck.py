#!/usr/bin/env python3
"""Independent check of tgnorm's schemas with Python's `jsonschema` package.

Usage: crosscheck.py [--tgnorm BIN] [FILE...]

JSONL files use the post schema, .json files the Telegram Desktop result
schema. Without FILE, every `.json`/`.jsonl` file one folder down in
`fixtures/{invalid,text,tdesktop,web,tdesktop-html}/` is checked (at least 20).
Prints one line per file, `FILE<TAB>valid` or `FILE<TAB>invalid`, using only
the JSON Schemas (no tgnorm code). With `--tgnorm BIN`, it also runs
`BIN validate FILE --format json` and compares: tgnorm's verdict counts only
`syntax` and `schema` problems (its extra checks, rule `check`, are beyond what
a schema can say). Exit 1 when they disagree on any file, or when tgnorm
cannot read one (exit 2); every line it prints must fit
`validate-report.schema.json`. Also checks that every bundled schema is itself a
valid 2020-12 schema, and that the golden run summaries in `fixtures/summary/`
fit `summary.schema.json`. `.ci/run` runs this in a venv; `cargo test` does not,
so that the test suite needs nothing but Rust.
"""
import json
import pathlib
import re
import subprocess
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "schemas").glob("*.schema.json")}
for schema in SCHEMAS.values():
    Draft202012Validator.check_schema(schema)
REGISTRY = Registry().with_resources(
    [(s["$id"], Resource.from_contents(s)) for s in SCHEMAS.values()]
)
POST = Draft202012Validator(SCHEMAS["post.schema.json"], registry=REGISTRY)
RESULT = Draft202012Validator(SCHEMAS["tdesktop-result.schema.json"], registry=REGISTRY)
SUMMARY = Draft202012Validator(SCHEMAS["summary.schema.json"], registry=REGISTRY)
REPORT = Draft202012Validator(SCHEMAS["validate-report.schema.json"], registry=REGISTRY)
# Telegram Desktop writes \xHH escapes that no JSON parser accepts; repair them
# the way tgnorm does (outside strings they cannot occur in valid files).
XHH = re.compile(r'(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})')
# 2022 writers left custom-emoji `document_id` values unquoted, to the end of the line.
UNQUOTED = re.compile(r'("document_id": )([^"\s][^\n]*?)(,?)\n')


def verdict(path: pathlib.Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                return "invalid"
            if any(True for _ in POST.iter_errors(value)):
                return "invalid"
        return "valid"
    try:
        text = UNQUOTED.sub(lambda m: m.group(1) + json.dumps(m.group(2)) + m.group(3) + "\n", text)
        value = json.loads(XHH.sub(r"\1\\u00\2", text))
    except ValueError:
        return "invalid"
    return "invalid" if any(True for _ in RESULT.iter_errors(value)) else "valid"


GROUPS = ["invalid", "text", "tdesktop", "web", "tdesktop-html"]


def fixture_files() -> list:
    """The files the check covers when none are named."""
    files = []
    for group in GROUPS:
        base = ROOT / "fixtures" / group
        if not base.is_dir():
            continue
        for case in base.iterdir():
            if not case.is_dir():
                continue
            for f in case.iterdir():
                if f.is_file() and (
                    f.name.endswith(".jsonl")
                    or (f.name.endswith(".json") and f.name != "expected_segmentation.json")
                ):
                    files.append(f)
    return sorted(files)


def tgnorm_verdict(binary: str, path: pathlib.Path) -> str:
    """tgnorm's schema verdict on `path`, or `error: …` when it cannot read it."""
    run = subprocess.run(
        [binary, "validate", str(path), "--format", "json"],
        capture_output=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    if run.returncode not in (0, 1):
        return f"error: exit {run.returncode}: {run.stderr.decode(errors='replace').strip()}"
    verdict = "valid"
    for line in run.stdout.decode().splitlines():
        value = json.loads(line)
        misfit = next(REPORT.iter_errors(value), None)
        if misfit is not None:
            return f"error: a report line does not fit validate-report.schema.json: {misfit.message}"
        if value.get("rule") in ("schema", "syntax"):
            verdict = "invalid"
    return verdict


def summary_misfits() -> int:
    """Golden run summaries that do not fit summary.schema.json (printed)."""
    misfits = 0
    for path in sorted((ROOT / "fixtures" / "summary").glob("*.json")):
        error = next(SUMMARY.iter_errors(json.loads(path.read_text(encoding="utf-8"))), None)
        if error is not None:
            misfits += 1
            print(f"{path}: does not fit summary.schema.json: {error.message}", file=sys.stderr)
    return misfits


def main(argv: list) -> int:
    binary = None
    if argv[:1] == ["--tgnorm"]:
        if len(argv) < 2:
            print("crosscheck.py: --tgnorm needs a path", file=sys.stderr)
            return 2
        binary, argv = argv[1], argv[2:]
    files = [pathlib.Path(a) for a in argv] or fixture_files()
    if not argv and len(files) < 20:
        print(f"crosscheck.py: only {len(files)} fixture files found", file=sys.stderr)
        return 1
    disagreements = summary_misfits()
    for path in files:
        ours = verdict(path)
        if binary is None:
            print(f"{path}\t{ours}")
            continue
        theirs = tgnorm_verdict(binary, path)
        if theirs != ours:
            disagreements += 1
            print(f"{path}: jsonschema says {ours}, tgnorm says {theirs}", file=sys.stderr)
    if binary is not None:
        print(f"crosscheck: {len(files)} files, {disagreements} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
