#!/usr/bin/env python3
# Usage: scripts/hostile/validate_paths_agree.py REPO_ROOT PATH/TO/tgnorm [--all]
"""For every hostile case (the fast ones; --all: every one) and every
fixture, each *.json input under 20 MB is validated twice by the same
binary: `tgnorm validate --format json --schema tdesktop FILE` (a regular
file: the fast path) and the same reading standard input (`-`: the slow
path, which cannot be read twice). Problems (file name dropped), summary
line and exit code must be equal. Each case folder is removed after use."""
import shutil, subprocess, sys, tempfile, json
from pathlib import Path
ROOT = Path(sys.argv[1]); BIN = sys.argv[2]; ALL = "--all" in sys.argv
sys.path.insert(0, str(ROOT / "scripts/hostile")); sys.dont_write_bytecode = True
import cases as C

def run(args, stdin=None):
    r = subprocess.run([BIN, "validate", "--format", "json", "--schema", "tdesktop", *args],
                       stdin=stdin, capture_output=True, timeout=600)
    lines = []
    for l in r.stdout.decode(errors="replace").splitlines():
        try:
            o = json.loads(l)
        except ValueError:
            lines.append(l); continue
        o.pop("file", None)
        lines.append(json.dumps(o, sort_keys=True))
    return r.returncode, lines

same = differ = 0
def compare(files):
    global same, differ
    for f in files:
        a = run([str(f)])
        with open(f, "rb") as s:
            b = run(["-"], stdin=s)
        if a == b:
            same += 1
        else:
            differ += 1
            print("DIFFER", f, a[0], b[0]); print("  fast:", a[1][:4]); print("  slow:", b[1][:4])

base = Path(tempfile.mkdtemp(prefix="valspeed-agree-"))
try:
    for c in C.CASES:
        if not (c.get("fast", True) or ALL):
            continue
        d = base / c["name"]; d.mkdir(parents=True)
        try:
            c["build"](d)
            compare([p for p in d.rglob("*.json") if p.is_file() and p.stat().st_size < 20 << 20])
        except Exception as e:
            print("could not build", c["name"], e)
        shutil.rmtree(d, ignore_errors=True)
    compare([p for p in (ROOT / "fixtures").rglob("*.json") if "expected" not in p.name])
finally:
    shutil.rmtree(base, ignore_errors=True)
print(f"{same} agree, {differ} differ")
