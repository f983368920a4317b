#!/usr/bin/env python3
"""Independent check of tgnorm's schemas with Python's `jsonschema` package.

Usage: crosscheck.py FILE...   (JSONL files use the post schema, .json files the
Telegram Desktop result schema). Prints one line per file, `valid` or `invalid`,
using only the JSON Schemas (no tgnorm code): the Rust test compares these
verdicts with tgnorm's schema verdicts. Also checks that every bundled schema
is itself a valid 2020-12 schema.
"""
import json
import pathlib
import re
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


for arg in sys.argv[1:]:
    print(f"{arg}\t{verdict(pathlib.Path(arg))}")
