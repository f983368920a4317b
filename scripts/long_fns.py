#!/usr/bin/env python3
"""Lists Rust functions longer than a limit (default 100 lines).

    scripts/long_fns.py [--limit N] [--tests] [PATH ...]     # default PATH: src

A function's length is counted from the line of its `fn` to the line of
its closing brace. Comments, strings (raw strings included) and char
literals are blanked out first, so that braces inside them do not count;
the body is then found by brace matching. Functions inside a
`#[cfg(test)]` module, and `#[test]` functions, are left out unless
`--tests` is given. Prints `LINES path:line name`, longest first, then the
count; exits 0 either way (it is a report, not a gate).
"""

import argparse
import os
import re
import sys


def blank(src):
    """`src` with comments and literals replaced by spaces (newlines kept)."""
    out = list(src)
    i, n = 0, len(src)

    def wipe(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            wipe(i, j)
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            wipe(i, j)
            i = j
        elif re.match(r'b?r#*"', src[i:i + 40]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', src[i:])
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            wipe(i + 1, j - 1)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            wipe(i + 1, j)
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            m = re.match(r"'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'", src[i:i + 16])
            if m:
                wipe(i + 1, i + m.end() - 1)
                i += m.end()
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def match_brace(text, open_at):
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(text) - 1


def test_ranges(text):
    """Byte ranges of `#[cfg(test)] mod x { … }` blocks and `#[test]` fns."""
    ranges = []
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", text):
        ranges.append((m.start(), match_brace(text, m.end() - 1)))
    for m in re.finditer(r"#\[test\]", text):
        brace = text.find("{", m.end())
        if brace >= 0:
            ranges.append((m.start(), match_brace(text, brace)))
    return ranges


def functions(path):
    src = open(path, encoding="utf-8").read()
    text = blank(src)
    tests = test_ranges(text)
    for m in re.finditer(r"\bfn\s+(\w+)", text):
        # The body opens at the first `{` outside parentheses and brackets
        # (`;` first: a declaration without a body, as in a trait).
        depth, k = 0, m.end()
        while k < len(text):
            ch = text[k]
            if ch in "([<":
                depth += 1 if ch != "<" else 0
            elif ch in ")]":
                depth -= 1
            elif ch == ";" and depth == 0:
                k = -1
                break
            elif ch == "{" and depth == 0:
                break
            k += 1
        if k < 0 or k >= len(text):
            continue
        end = match_brace(text, k)
        first = text.count("\n", 0, m.start()) + 1
        last = text.count("\n", 0, end) + 1
        in_test = any(a <= m.start() <= b for a, b in tests)
        yield m.group(1), first, last - first + 1, in_test


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--tests", action="store_true", help="count test functions too")
    ap.add_argument("paths", nargs="*", default=["src"])
    args = ap.parse_args()
    found = []
    for root in args.paths:
        files = [root] if os.path.isfile(root) else [
            os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".rs")
        ]
        for path in sorted(files):
            for name, line, length, in_test in functions(path):
                if length > args.limit and (args.tests or not in_test):
                    found.append((length, f"{path}:{line}", name))
    for length, where, name in sorted(found, key=lambda f: (-f[0], f[1])):
        print(f"{length:5} {where} {name}")
    sys.stdout.flush()
    print(f"{len(found)} functions over {args.limit} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
