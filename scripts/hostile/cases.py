"""The hostile-input catalogue: each case writes its inputs into its own
folder and declares what a correct tgnorm must do with them (issue 12's
promises: nothing lost, nothing destroyed, flat memory, positions).

A case is a function `build(d: Path) -> dict` registered with `@case`. The
dict it returns is the invocation and the expectations the runner checks
(see `run` for the keys). Every case is deterministic: random bytes come from
`random.Random(name)`. Cases marked `fast` run in well under a second on a
debug build and make up `run --fast` (the CI subset).
"""

import json
import os
import random
import stat
from pathlib import Path

import formats as F

CASES = []


def case(name, group, fast=True):
    def register(build):
        CASES.append({"name": name, "group": group, "fast": fast, "build": build})
        return build

    return register


def write(d: Path, rel: str, data) -> Path:
    path = d / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def rng(name: str) -> random.Random:
    return random.Random(name)


def mknod_ok() -> bool:
    """Whether this process may make device nodes (root with CAP_MKNOD)."""
    return hasattr(os, "mknod") and os.geteuid() == 0


def null_node(d: Path, rel: str) -> bool:
    """A character device with /dev/null's numbers, made inside the case
    folder (never the real /dev/null). False when not permitted."""
    try:
        os.mknod(d / rel, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return True
    except OSError:
        return False


def r30(d: Path, name="r.json") -> Path:
    return write(d, name, F.td_result([F.td_message(i) for i in range(1, 31)]))


def bad_rejects_input(d: Path) -> str:
    """A JSONL input with 8 good posts and one line that is not a post."""
    posts = [F.post(i) for i in range(1, 9)]
    text = F.jsonl(posts[:4]) + "this is not json\n" + F.jsonl(posts[4:])
    write(d, "in.jsonl", text)
    return "in.jsonl"


# ===========================================================================
# CLI file handling: outputs naming inputs or each other, special files,
# directories, missing folders, signals, pipes.


@case("cli-rejects-is-input", "cli")
def _(d):
    r30(d)
    return {"args": ["r.json", "--rejects", "r.json"], "exit": 2, "outputs": []}


@case("cli-summary-is-input", "cli")
def _(d):
    r30(d)
    return {"args": ["r.json", "--summary", "r.json"], "exit": 2, "outputs": []}


@case("cli-output-is-input", "cli")
def _(d):
    r30(d)
    return {"args": ["r.json", "-o", "r.json"], "exit": 2, "outputs": []}


@case("cli-output-is-summary", "cli")
def _(d):
    r30(d)
    return {"args": ["r.json", "-o", "o.jsonl", "--summary", "o.jsonl"], "exit": 2, "outputs": [], "absent": ["o.jsonl"]}


@case("cli-output-is-rejects", "cli")
def _(d):
    bad_rejects_input(d)
    return {"args": ["in.jsonl", "-o", "o.jsonl", "--rejects", "o.jsonl"], "exit": 2, "outputs": [], "absent": ["o.jsonl"]}


@case("cli-rejects-is-summary", "cli")
def _(d):
    bad_rejects_input(d)
    return {"args": ["in.jsonl", "--rejects", "x.json", "--summary", "x.json"], "exit": 2, "outputs": [], "absent": ["x.json"]}


@case("cli-output-is-input-via-symlink", "cli")
def _(d):
    r30(d)
    os.symlink("r.json", d / "link.json")
    return {"args": ["r.json", "-o", "link.json"], "exit": 2, "outputs": []}


@case("cli-output-is-input-via-dotdot", "cli")
def _(d):
    r30(d)
    (d / "sub").mkdir()
    return {"args": ["r.json", "-o", "sub/../r.json"], "exit": 2, "outputs": []}


@case("cli-rejects-is-input-via-hardlink", "cli")
def _(d):
    bad_rejects_input(d)
    os.link(d / "in.jsonl", d / "same.jsonl")
    return {"args": ["in.jsonl", "--rejects", "same.jsonl"], "exit": 2, "outputs": []}


@case("cli-summary-is-second-input", "cli")
def _(d):
    r30(d)
    r30(d, "r2.json")
    return {"args": ["r.json", "r2.json", "--summary", "r2.json"], "exit": 2, "outputs": []}


@case("cli-rejects-inside-input-folder", "cli")
def _(d):
    for name, page in F.html_folder([[1, 2], [3, 4]]).items():
        write(d, f"exp/{name}", page)
    return {"args": ["exp", "--rejects", "exp/messages.html"], "exit": 2, "outputs": []}


@case("cli-output-fifo", "cli")
def _(d):
    r30(d)
    os.mkfifo(d / "out.fifo")
    return {
        "args": ["r.json", "-o", "out.fifo", "-q"],
        "exit": 0,
        "mode": "fifo",
        "fifo_read": {"out.fifo": 30},
        "kinds": {"out.fifo": "fifo"},
        "outputs": [],
    }


@case("cli-rejects-fifo", "cli")
def _(d):
    bad_rejects_input(d)
    os.mkfifo(d / "rej.fifo")
    return {
        "args": ["in.jsonl", "--rejects", "rej.fifo", "-q"],
        "exit": 1,
        "mode": "fifo",
        "fifo_read": {"rej.fifo": 1},
        "kinds": {"rej.fifo": "fifo"},
        "outputs": [],
    }


@case("cli-summary-fifo", "cli")
def _(d):
    r30(d)
    os.mkfifo(d / "sum.fifo")
    return {
        "args": ["r.json", "--summary", "sum.fifo", "-q"],
        "exit": 0,
        "mode": "fifo",
        "fifo_read": {"sum.fifo": -1},
        "kinds": {"sum.fifo": "fifo"},
        "outputs": [],
    }


@case("cli-html-output-fifo", "cli")
def _(d):
    r30(d)
    os.mkfifo(d / "out.fifo")
    return {
        "args": ["r.json", "--to", "tdesktop-html", "-o", "out.fifo", "-q"],
        "exit": 2,
        "mode": "fifo",
        "fifo_read": {"out.fifo": None},
        "kinds": {"out.fifo": "fifo"},
        "outputs": [],
    }


for _flag, _name, _code in [("-o", "output", 0), ("--rejects", "rejects", 1), ("--summary", "summary", 0)]:

    def _build(d, flag=_flag, code=_code):
        if flag == "--rejects":
            bad_rejects_input(d)
            inp = "in.jsonl"
        else:
            r30(d)
            inp = "r.json"
        if not null_node(d, "null.dev"):
            return {"skip": "cannot make a device node here (mknod needs root and CAP_MKNOD)"}
        return {"args": [inp, flag, "null.dev", "-q"], "exit": code, "kinds": {"null.dev": "chr"}, "outputs": []}

    case(f"cli-{_name}-device-node", "cli")(_build)


@case("cli-output-is-directory", "cli")
def _(d):
    r30(d)
    (d / "outdir").mkdir()
    return {"args": ["r.json", "-o", "outdir"], "exit": 2, "outputs": [], "diag": [r"outdir"]}


@case("cli-output-is-directory-slash", "cli")
def _(d):
    r30(d)
    (d / "outdir").mkdir()
    return {"args": ["r.json", "-o", "outdir/"], "exit": 2, "outputs": []}


@case("cli-rejects-is-directory", "cli")
def _(d):
    bad_rejects_input(d)
    (d / "rej").mkdir()
    return {"args": ["in.jsonl", "-o", "o.jsonl", "--rejects", "rej"], "exit": 2, "outputs": [], "absent": ["o.jsonl"]}


@case("cli-summary-is-directory", "cli")
def _(d):
    r30(d)
    (d / "sum").mkdir()
    return {"args": ["r.json", "-o", "o.jsonl", "--summary", "sum"], "exit": 2, "outputs": [], "absent": ["o.jsonl"]}


@case("cli-output-missing-folder", "cli")
def _(d):
    r30(d)
    return {
        "args": ["r.json", "-o", "missing/o.jsonl", "-q"],
        "exit": [0, 2],
        "outputs": ["missing"],
        "if_exit": {
            "0": {"out": "missing/o.jsonl", "out_lines": 30},
            "2": {"diag": [r"missing/o\.jsonl"], "absent": ["missing"]},
        },
    }


@case("cli-summary-missing-folder", "cli")
def _(d):
    r30(d)
    return {
        "args": ["r.json", "-o", "o.jsonl", "--summary", "missing/s.json", "-q"],
        "exit": [0, 2],
        "outputs": ["missing", "o.jsonl"],
        "if_exit": {
            "0": {"present": ["missing/s.json", "o.jsonl"]},
            "2": {"diag": [r"missing/s\.json"], "absent": ["o.jsonl"]},
        },
    }


@case("cli-rejects-missing-folder", "cli")
def _(d):
    bad_rejects_input(d)
    return {
        "args": ["in.jsonl", "-o", "o.jsonl", "--rejects", "missing/r.jsonl", "-q"],
        "exit": [1, 2],
        "outputs": ["missing", "o.jsonl"],
        "if_exit": {
            "1": {"present": ["missing/r.jsonl", "o.jsonl"]},
            "2": {"diag": [r"missing/r\.jsonl"], "absent": ["o.jsonl"]},
        },
    }


@case("cli-output-replaces-old-output", "cli")
def _(d):
    r30(d)
    write(d, "o.jsonl", "old output\n")
    return {"args": ["r.json", "-o", "o.jsonl", "-q"], "exit": 0, "outputs": [], "may_change": ["o.jsonl"], "out": "o.jsonl", "out_lines": 30}


@case("cli-html-folder-not-empty", "cli")
def _(d):
    r30(d)
    write(d, "site/keep.txt", "mine\n")
    return {"args": ["r.json", "--to", "tdesktop-html", "-o", "site"], "exit": 2, "outputs": []}


@case("cli-html-folder-is-file", "cli")
def _(d):
    r30(d)
    write(d, "site", "a file\n")
    return {"args": ["r.json", "--to", "tdesktop-html", "-o", "site"], "exit": 2, "outputs": []}


@case("cli-html-folder-written", "cli")
def _(d):
    r30(d)
    return {
        "args": ["r.json", "--to", "tdesktop-html", "-o", "site", "-q"],
        "exit": 0,
        "outputs": ["site"],
        "present": ["site/messages.html"],
    }


@case("cli-missing-input", "cli")
def _(d):
    return {"args": ["nope.json"], "exit": 2, "diag": [r"nope\.json"], "outputs": []}


@case("cli-input-fifo", "cli")
def _(d):
    os.mkfifo(d / "in.fifo")
    return {
        "args": ["in.fifo", "-q", "--summary", "s.json"],
        "exit": 0,
        "mode": "fifo",
        "fifo_write": {"in.fifo": F.jsonl([F.post(i) for i in range(1, 21)])},
        "counts": {"read": 20, "written": 20},
        "out_lines": 20,
        "kinds": {"in.fifo": "fifo"},
        "timeout": 15,
    }


@case("cli-empty-file", "cli")
def _(d):
    write(d, "empty.jsonl", b"")
    return {"args": ["empty.jsonl"], "exit": [0, 1], "out_lines": 0, "diag": [r"(?i)no posts|empty|nothing"]}


@case("cli-empty-stdin", "cli")
def _(d):
    return {"args": ["-"], "stdin": b"", "exit": [0, 1], "out_lines": 0, "diag": [r"(?i)no posts|empty|nothing"]}


@case("cli-stdin-empty-object", "cli")
def _(d):
    return {"args": ["-"], "stdin": b"{}\n", "exit": 1, "out_lines": 0, "diag": [r":1:\d+:"]}


@case("cli-empty-folder", "cli")
def _(d):
    (d / "exp").mkdir()
    return {"args": ["exp"], "exit": [1, 2], "out_lines": 0, "diag": [r"exp"]}


@case("cli-folder-of-junk", "cli")
def _(d):
    r = rng("junk")
    for k in range(3):
        write(d, f"exp/junk{k}.bin", bytes(r.randrange(256) for _ in range(4096)))
    return {"args": ["exp"], "exit": [1, 2], "out_lines": 0}


@case("cli-same-input-twice", "cli")
def _(d):
    write(d, "in.jsonl", F.jsonl([F.post(i) for i in range(1, 11)]))
    return {
        "args": ["in.jsonl", "in.jsonl", "--summary", "s.json", "-q"],
        "exit": 0,
        "counts": {"read": 20, "written": 10, "duplicates": 10},
        "out_lines": 10,
    }


@case("cli-strict-stops-without-output", "cli")
def _(d):
    bad_rejects_input(d)
    return {"args": ["in.jsonl", "--strict", "-o", "o.jsonl"], "exit": 1, "absent": ["o.jsonl"], "diag": [r"in\.jsonl:5:1:"]}


@case("cli-closed-stdout", "cli")
def _(d):
    write(d, "in.jsonl", F.jsonl([F.post(i, "x" * 500) for i in range(1, 20001)]))
    return {"args": ["in.jsonl", "-q"], "exit": 0, "mode": "closed_stdout"}


@case("cli-unknown-subcommand", "cli")
def _(d):
    return {"args": ["valdate", "x.json"], "exit": 2, "diag": [r"validate"]}


@case("cli-bad-encoding-label", "cli")
def _(d):
    write(d, "d.txt", F.text_dump(3))
    return {"args": ["d.txt", "--encoding", "no-such-encoding"], "exit": 2, "diag": [r"no-such-encoding"]}


for _sig in ["INT", "TERM"]:

    def _jsonl_sig(d, sig=_sig):
        return {
            "args": ["-", "-o", "o.jsonl", "-q"],
            "mode": "signal",
            "signal": sig,
            "stdin": F.jsonl([F.post(i) for i in range(1, 2001)]),
            "exit": "nonzero",
            "absent": ["o.jsonl"],
            "outputs": [],
        }

    def _html_sig(d, sig=_sig):
        return {
            "args": ["-", "--from", "jsonl", "--to", "tdesktop-html", "-o", "site", "-q"],
            "mode": "signal",
            "signal": sig,
            "stdin": F.jsonl([F.post(i) for i in range(1, 2001)]),
            "exit": "nonzero",
            "absent": ["site"],
            "outputs": [],
        }

    def _tdjson_sig(d, sig=_sig):
        return {
            "args": ["-", "--from", "jsonl", "--to", "tdesktop-json", "-o", "result.json", "-q"],
            "mode": "signal",
            "signal": sig,
            "stdin": F.jsonl([F.post(i) for i in range(1, 2001)]),
            "exit": "nonzero",
            "absent": ["result.json"],
            "outputs": [],
        }

    case(f"cli-sig{_sig.lower()}-jsonl-output", "cli")(_jsonl_sig)
    case(f"cli-sig{_sig.lower()}-html-folder-output", "cli")(_html_sig)
    case(f"cli-sig{_sig.lower()}-tdesktop-json-output", "cli")(_tdjson_sig)


# ===========================================================================
# Telegram Desktop result.json


def layout_trap(trap_ids) -> str:
    """30 messages; the ones in `trap_ids` (each after at least eight
    messages in Telegram Desktop's layout, so that a reader cutting by layout
    trusts it) hold a text array pretty-printed by another tool: its parts'
    `},` / `{` lines sit at the message's own indentation, so the first of
    them looks like the end of the message followed by the next one."""
    parts = []
    for i in range(1, 31):
        if i not in trap_ids:
            parts.append(F.td_message(i))
            continue
        parts.append(
            "  {\n"
            f'   "id": {i},\n'
            '   "type": "message",\n'
            f'   "date": "{F.when(i):%Y-%m-%dT%H:%M:%S}",\n'
            f'   "date_unixtime": "{int(F.when(i).timestamp())}",\n'
            '   "from": "Alice",\n'
            '   "from_id": "user1001",\n'
            '   "text": [\n'
            "  {\n"
            '   "type": "bold",\n'
            '   "text": "bold"\n'
            "  },\n"
            "  {\n"
            '   "type": "italic",\n'
            '   "text": " tail"\n'
            "  }\n"
            "   ],\n"
            '   "text_entities": [\n'
            "  {\n"
            '   "type": "bold",\n'
            '   "text": "bold"\n'
            "  },\n"
            "  {\n"
            '   "type": "italic",\n'
            '   "text": " tail"\n'
            "  }\n"
            "   ]\n"
            "  }"
        )
    return F.td_result(parts)


@case("tdjson-layout-trap", "tdesktop-json")
def _(d):
    text = layout_trap({10, 20, 30})
    assert len(json.loads(text)["messages"]) == 30
    write(d, "r.json", text)
    return {
        "args": ["r.json", "--summary", "s.json", "-q"],
        "exit": 0,
        "counts": {"read": 30, "written": 30, "rejected": 0},
        "out_lines": 30,
    }


@case("tdjson-layout-trap-one", "tdesktop-json")
def _(d):
    write(d, "r.json", layout_trap({25}))
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 0, "counts": {"read": 30, "written": 30}, "out_lines": 30}


@case("tdjson-layout-trap-validate", "validate")
def _(d):
    write(d, "r.json", layout_trap({10, 20, 30}))
    return {"args": ["validate", "r.json"], "exit": 0, "diag": [r"checked 30 messages"]}


def custom_emoji_messages(n=30):
    out = []
    for i in range(1, n + 1):
        m = F.td_message(i, "😀 hi")
        m["text"] = [{"type": "custom_emoji", "text": "😀", "document_id": 5368324170671202286 + i}, " hi"]
        m["text_entities"] = [
            {"type": "custom_emoji", "text": "😀", "document_id": 5368324170671202286 + i},
            {"type": "plain", "text": " hi"},
        ]
        out.append(m)
    return out


@case("tdjson-numeric-document-id-minified", "tdesktop-json")
def _(d):
    write(d, "r.json", F.td_minified(custom_emoji_messages()))
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 0, "counts": {"read": 30, "written": 30}, "out_lines": 30}


@case("tdjson-numeric-document-id-pretty", "tdesktop-json")
def _(d):
    write(d, "r.json", F.td_result(custom_emoji_messages()))
    return {
        "args": ["r.json", "--summary", "s.json", "-q"],
        "exit": 0,
        "counts": {"read": 30, "written": 30},
        "out_lines": 30,
    }


@case("tdjson-invalid-utf8-in-one-message", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 31)]).encode()
    at = text.index(b'"message 12"')
    text = text[: at + 3] + b"\xff\xfe" + text[at + 3 :]
    write(d, "r.json", text)
    line = text[:at].count(b"\n") + 1
    return {
        "args": ["r.json", "--summary", "s.json", "-q", "--rejects", "rej.jsonl"],
        "exit": 1,
        "counts": {"read": 30, "written": 29, "rejected": 1},
        "diag": [rf'"line":\s*{line}\b'],
        "not_diag": [r"(?i)windows-1252|cp1252"],
    }


for _label, _date in [("feb-30", "2024-02-30T10:00:00"), ("hour-25", "2024-01-01T25:61:61"), ("empty", ""), ("space", "2024-01-01 00:00:00")]:

    def _bad_date(d, date=_date):
        msgs = [F.td_message(i) for i in range(1, 11)]
        msgs[4]["date"] = date
        del msgs[4]["date_unixtime"]
        write(d, "r.json", F.td_result(msgs))
        return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": [0, 1], "out_validates": True}

    case(f"tdjson-bad-date-{_label}", "tdesktop-json")(_bad_date)


@case("tdjson-truncated-mid-message", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 31)])
    cut = text.index('"message 20"')
    write(d, "r.json", text[:cut])
    return {
        "args": ["r.json", "--summary", "s.json"],
        "exit": 1,
        "counts": {"written": 19},
        "diag": [rf"r\.json:\d+:\d+:"],
    }


@case("tdjson-truncated-mid-string", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 31)])
    cut = text.index('"message 25"') + 5
    write(d, "r.json", text[:cut])
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 24}}


@case("tdjson-wrong-type-deep", "tdesktop-json")
def _(d):
    msgs = [F.td_message(i) for i in range(1, 11)]
    msgs[0]["text"] = ["a", {"type": "bold", "text": "b"}, "c", {"type": 42, "text": "6/10"}]
    text = F.td_result(msgs)
    write(d, "r.json", text)
    line = F.line_of(text, '"type": 42')
    return {
        "args": ["r.json", "--summary", "s.json", "-q", "--rejects", "rej.jsonl"],
        "exit": 1,
        "counts": {"read": 10, "written": 9, "rejected": 1},
        "diag": [r'"line":'],
    }


@case("tdjson-wrong-type-deep-validate", "validate")
def _(d):
    msgs = [F.td_message(i) for i in range(1, 11)]
    msgs[0]["text"] = ["a", {"type": "bold", "text": "b"}, "c", {"type": 42, "text": "6/10"}]
    text = F.td_result(msgs)
    write(d, "r.json", text)
    line = F.line_of(text, '"type": 42')
    return {"args": ["validate", "r.json"], "exit": 1, "diag": [rf"r\.json:{line}:\d+: /messages/0/text/3/type"]}


@case("tdjson-messages-not-array", "tdesktop-json")
def _(d):
    write(d, "r.json", '{\n "name": "x",\n "type": "public_channel",\n "id": 1,\n "messages": {}\n}')
    return {"args": ["r.json", "--summary", "s.json"], "exit": 1, "diag": [r"r\.json:5:\d+:"]}


@case("tdjson-messages-not-objects", "tdesktop-json")
def _(d):
    write(d, "r.json", F.td_result([F.td_message(1), "  1", "  \"two\"", F.td_message(4)]))
    return {
        "args": ["r.json", "--summary", "s.json", "-q"],
        "exit": 1,
        "counts": {"read": 4, "written": 2, "rejected": 2},
    }


@case("tdjson-huge-number-id", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 11)])
    text = text.replace('"id": 5,', '"id": 1e400,', 1)
    write(d, "r.json", text)
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 1, "counts": {"read": 10, "written": 9, "rejected": 1}}


@case("tdjson-top-level-array", "tdesktop-json")
def _(d):
    write(d, "r.json", "[1, 2, 3]\n")
    return {"args": ["r.json", "--from", "tdesktop-json", "--summary", "s.json"], "exit": 1, "diag": [r"r\.json:1:1:"], "out_lines": 0}


@case("tdjson-null", "tdesktop-json")
def _(d):
    write(d, "r.json", "null")
    return {"args": ["r.json", "--from", "tdesktop-json"], "exit": 1, "out_lines": 0}


@case("tdjson-random-bytes", "tdesktop-json")
def _(d):
    r = rng("tdjson-random")
    write(d, "result.json", bytes(r.randrange(256) for _ in range(1 << 16)))
    return {"args": ["result.json", "--summary", "s.json"], "exit": 1, "out_lines": 0, "counts": {"written": 0}}


@case("tdjson-bom", "tdesktop-json")
def _(d):
    write(d, "r.json", "\ufeff" + F.td_result([F.td_message(i) for i in range(1, 11)]))
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 0, "counts": {"read": 10, "written": 10}}


@case("tdjson-crlf", "tdesktop-json")
def _(d):
    write(d, "r.json", F.td_result([F.td_message(i) for i in range(1, 11)]).replace("\n", "\r\n"))
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 0, "counts": {"read": 10, "written": 10}}


@case("tdjson-xhh-escapes", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 11)])
    text = text.replace('"message 3"', '"mess\\x0Bage 3"')
    write(d, "r.json", text)
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": 0, "counts": {"read": 10, "written": 10}}


@case("tdjson-deep-nesting", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 11)])
    deep = "[" * 100000 + "]" * 100000
    text = text.replace('"from": "Alice",', f'"from": "Alice",\n   "deep": {deep},', 1)
    write(d, "r.json", text)
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 10}}


@case("tdjson-duplicate-keys", "tdesktop-json")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 11)])
    text = text.replace('"from": "Alice",', '"from": "Alice",\n   "from": "Mallory",', 1)
    write(d, "r.json", text)
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 10}}


@case("tdjson-full-export-one-bad-chat", "tdesktop-json")
def _(d):
    chat = lambda cid, msgs: {"name": f"c{cid}", "type": "private_group", "id": cid, "messages": msgs}
    good1 = chat(1, [F.td_message(i) for i in range(1, 6)])
    good2 = chat(3, [F.td_message(i) for i in range(11, 16)])
    bad = {"name": "c2", "type": "private_group", "id": 2, "messages": "oops"}
    doc = {"about": "x", "chats": {"about": "y", "list": [good1, bad, good2]}}
    write(d, "result.json", json.dumps(doc, indent=1, ensure_ascii=False))
    return {"args": ["result.json", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 10}}


@case("tdjson-text-entities-offset-junk", "tdesktop-json")
def _(d):
    msgs = [F.td_message(i) for i in range(1, 11)]
    msgs[2]["text_entities"] = [{"type": "plain", "text": "message 3", "offset": 18446744073709551616}]
    write(d, "r.json", F.td_result(msgs))
    return {"args": ["r.json", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 10}, "out_validates": True}


@case("tdjson-over-cap-message", "tdesktop-json", fast=False)
def _(d):
    msgs = [F.td_message(i) for i in range(1, 6)]
    big = F.td_message(6, "x" * (70 << 20))
    path = d / "r.json"
    with path.open("w") as f:
        f.write(F.td_result(msgs + [big, F.td_message(7)]))
    return {
        "args": ["r.json", "--summary", "s.json", "-q"],
        "exit": 1,
        "counts": {"read": 7, "written": 6, "rejected": 1},
        "rss_mb": 128,
        "timeout": 300,
    }


@case("tdjson-ten-messages-near-the-cap", "tdesktop-json", fast=False)
def _(d):
    # Ten messages of 14 MiB each (7 MiB of text, twice: `text` and
    # `text_entities`), just under the reader's 16 MiB cap: all written, in
    # flat memory. (The case had 30 MB messages when the cap was 64 MiB.)
    path = d / "r.json"
    with path.open("w") as f:
        f.write(F.td_head())
        for i in range(1, 11):
            if i > 1:
                f.write(",\n")
            f.write(F.td_message_text(F.td_message(i, chr(0x61 + i) * (7 << 20))))
        f.write("\n ]\n}")
    return {
        "args": ["r.json", "--summary", "s.json", "-q", "-o", "o.jsonl"],
        "exit": 0,
        "counts": {"read": 10, "written": 10},
        "rss_mb": 128,
        "timeout": 600,
        "outputs": ["o.jsonl"],
    }


@case("tdjson-many-small-messages", "tdesktop-json", fast=False)
def _(d):
    path = d / "r.json"
    with path.open("w") as f:
        f.write(F.td_head())
        for i in range(1, 100001):
            if i > 1:
                f.write(",\n")
            f.write(F.td_message_text(F.td_message(i)))
        f.write("\n ]\n}")
    return {
        "args": ["r.json", "--summary", "s.json", "-q", "-o", "o.jsonl"],
        "exit": 0,
        "counts": {"read": 100000, "written": 100000},
        "rss_mb": 128,
        "timeout": 300,
        "outputs": ["o.jsonl"],
    }


@case("tdjson-from-web-html-forced", "tdesktop-json")
def _(d):
    r30(d)
    return {"args": ["r.json", "--from", "web-html"], "exit": 1, "out_lines": 0, "diag": [r"r\.json"]}


@case("tdjson-from-tdesktop-html-forced", "tdesktop-json")
def _(d):
    r30(d)
    return {"args": ["r.json", "--from", "tdesktop-html"], "exit": 1, "out_lines": 0, "diag": [r"r\.json"]}


# ===========================================================================
# tgnorm JSONL


def jsonl_with(bad: bytes, n=8, at=4) -> bytes:
    posts = [F.post(i) for i in range(1, n + 1)]
    return F.jsonl(posts[:at]).encode() + bad + F.jsonl(posts[at:]).encode()


@case("jsonl-invalid-utf8-line", "jsonl")
def _(d):
    line = json.dumps(F.post(99, "caf\u00e9"), ensure_ascii=False).encode().replace("caf\xc3\xa9".encode("latin-1"), b"caf\xe9")
    write(d, "in.jsonl", jsonl_with(line + b"\n"))
    return {
        "args": ["in.jsonl", "--summary", "s.json", "-q", "--rejects", "rej.jsonl"],
        "exit": 1,
        "counts": {"read": 9, "written": 8, "rejected": 1},
        "diag": [r'"line":\s*5\b'],
        "not_diag": [r"(?i)windows-1252|cp1252"],
    }


@case("jsonl-one-ff-byte", "jsonl")
def _(d):
    write(d, "in.jsonl", jsonl_with(b'{"x": "\xff"}\n'))
    return {
        "args": ["in.jsonl", "--summary", "s.json"],
        "exit": 1,
        "counts": {"written": 8, "rejected": 1},
        "diag": [r"in\.jsonl:5:\d+:"],
        "out_lines": 8,
    }


@case("jsonl-empty-object-line", "jsonl")
def _(d):
    write(d, "in.jsonl", jsonl_with(b"{}\n"))
    return {"args": ["in.jsonl", "--summary", "s.json"], "exit": 1, "counts": {"written": 8, "rejected": 1}, "diag": [r"in\.jsonl:5:\d+:"]}


@case("jsonl-non-object-lines", "jsonl")
def _(d):
    write(d, "in.jsonl", jsonl_with(b'[]\nnull\n"post"\n42\n'))
    return {"args": ["in.jsonl", "--summary", "s.json"], "exit": 1, "counts": {"read": 12, "written": 8, "rejected": 4}, "diag": [r"in\.jsonl:5:1:", r"in\.jsonl:8:1:"]}


@case("jsonl-blank-lines", "jsonl")
def _(d):
    write(d, "in.jsonl", jsonl_with(b"\n   \n\t\n"))
    return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 0, "counts": {"written": 8}, "out_lines": 8}


@case("jsonl-crlf", "jsonl")
def _(d):
    write(d, "in.jsonl", F.jsonl([F.post(i) for i in range(1, 9)]).replace("\n", "\r\n"))
    return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 0, "counts": {"written": 8}}


@case("jsonl-bom", "jsonl")
def _(d):
    write(d, "in.jsonl", "\ufeff" + F.jsonl([F.post(i) for i in range(1, 9)]))
    return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 0, "counts": {"written": 8}}


@case("jsonl-truncated-last-line", "jsonl")
def _(d):
    text = F.jsonl([F.post(i) for i in range(1, 9)])
    write(d, "in.jsonl", text[: len(text) - 40])
    return {"args": ["in.jsonl", "--summary", "s.json"], "exit": 1, "counts": {"read": 8, "written": 7, "rejected": 1}, "diag": [r"in\.jsonl:8:\d+:"]}


@case("jsonl-nul-bytes", "jsonl")
def _(d):
    write(d, "in.jsonl", jsonl_with(b'{"text": "a\x00b"}\n'))
    return {"args": ["in.jsonl", "--summary", "s.json"], "exit": 1, "counts": {"written": 8, "rejected": 1}, "diag": [r"in\.jsonl:5:\d+:"]}


@case("jsonl-deep-nesting", "jsonl")
def _(d):
    write(d, "in.jsonl", jsonl_with(b"[" * 200000 + b"]" * 200000 + b"\n"))
    return {"args": ["in.jsonl", "--summary", "s.json"], "exit": 1, "counts": {"written": 8, "rejected": 1}, "diag": [r"in\.jsonl:5:\d+:"]}


@case("jsonl-lone-surrogate", "jsonl")
def _(d):
    p = json.dumps(F.post(50, "X")).replace('"text": "X"', '"text": "\\ud800"')
    write(d, "in.jsonl", jsonl_with(p.encode() + b"\n"))
    return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 9}, "out_validates": True}


@case("jsonl-huge-id", "jsonl")
def _(d):
    p = json.dumps(F.post(50)).replace('"id": 50', '"id": 1e999')
    write(d, "in.jsonl", jsonl_with(p.encode() + b"\n"))
    return {"args": ["in.jsonl", "--summary", "s.json"], "exit": 1, "counts": {"written": 8, "rejected": 1}, "diag": [r"in\.jsonl:5:\d+:"]}


for _label, _date in [("feb-30", "2024-02-30T10:00:00Z"), ("hour-25", "2024-01-01T25:61:61Z"), ("empty", ""), ("space", "2024-01-01 00:00:00")]:

    def _jsonl_date(d, date=_date):
        write(d, "in.jsonl", jsonl_with(json.dumps(F.post(50, date=date)).encode() + b"\n"))
        return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 8, "rejected": 1}}

    def _jsonl_date_validate(d, date=_date):
        write(d, "in.jsonl", jsonl_with(json.dumps(F.post(50, date=date)).encode() + b"\n"))
        return {"args": ["validate", "in.jsonl"], "exit": 1, "diag": [r"in\.jsonl:5:"]}

    case(f"jsonl-bad-date-{_label}", "jsonl")(_jsonl_date)
    case(f"jsonl-bad-date-{_label}-validate", "validate")(_jsonl_date_validate)


for _label, _off in [("2pow64", "18446744073709551616"), ("float", "1.0"), ("negative", "-1")]:

    def _ent(d, off=_off):
        p = json.dumps(F.post(50, "hello world", entities=[{"type": "bold", "offset": 0, "length": 5}]))
        p = p.replace('"offset": 0', f'"offset": {off}')
        write(d, "in.jsonl", jsonl_with(p.encode() + b"\n"))
        return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 8, "rejected": 1}}

    def _ent_validate(d, off=_off):
        _ent(d, off)
        return {"args": ["validate", "in.jsonl"], "exit": 1, "diag": [r"in\.jsonl:5:"]}

    case(f"jsonl-entity-offset-{_label}", "jsonl")(_ent)
    case(f"jsonl-entity-offset-{_label}-validate", "validate")(_ent_validate)


@case("jsonl-duplicates", "jsonl")
def _(d):
    posts = [F.post(i % 100 + 1) for i in range(5000)]
    write(d, "in.jsonl", F.jsonl(posts))
    return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 0, "counts": {"read": 5000, "written": 100, "duplicates": 4900}}


@case("jsonl-xss-to-html", "jsonl")
def _(d):
    payloads = [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(2)>',
        "</div></div><script>alert(3)</script>",
        "<!-- x --><iframe src=javascript:alert(4)>",
    ]
    posts = [F.post(i + 1, t) for i, t in enumerate(payloads)]
    posts.append(F.post(9, "link", entities=[{"type": "text_link", "offset": 0, "length": 4, "href": "javascript:alert(5)"}]))
    write(d, "in.jsonl", F.jsonl(posts))
    return {
        "args": ["in.jsonl", "--to", "tdesktop-html", "-o", "site", "-q"],
        "exit": 0,
        "outputs": ["site"],
        "out_not_contains": {"site": ["<script>alert", "<img src=x", "<iframe", 'href="javascript:']},
    }


@case("jsonl-round-trip-tdesktop-json", "jsonl")
def _(d):
    write(d, "in.jsonl", F.jsonl([F.post(i, f"text {i} <&> \"q\"") for i in range(1, 21)]))
    return {"args": ["in.jsonl", "--to", "tdesktop-json", "-o", "result.json", "-q"], "exit": 0, "outputs": ["result.json"], "then": [["result.json", "--summary", "s2.json", "-q"], {"exit": 0, "counts": {"written": 20}}]}


@case("jsonl-long-lines-memory", "jsonl", fast=False)
def _(d):
    with (d / "in.jsonl").open("w") as f:
        for i in range(1, 401):
            f.write(json.dumps(F.post(i, chr(0x41 + i % 26) * 900_000)) + "\n")
    return {"args": ["in.jsonl", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": 0, "counts": {"written": 400}, "rss_mb": 128, "timeout": 600, "outputs": ["o.jsonl"]}


@case("jsonl-over-cap-line", "jsonl", fast=False)
def _(d):
    with (d / "in.jsonl").open("w") as f:
        f.write(F.jsonl([F.post(1)]))
        f.write(json.dumps(F.post(2, "y" * (70 << 20))) + "\n")
        f.write(F.jsonl([F.post(3)]))
    return {"args": ["in.jsonl", "--summary", "s.json", "-q"], "exit": 1, "counts": {"read": 3, "written": 2, "rejected": 1}, "rss_mb": 128, "timeout": 300}


# ===========================================================================
# Telegram Desktop messages*.html


def html_pages(d, pages, sub="exp"):
    for name, page in F.html_folder(pages).items():
        write(d, f"{sub}/{name}", page)


@case("html-empty-page-in-folder", "tdesktop-html")
def _(d):
    html_pages(d, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    write(d, "exp/messages2.html", b"")
    return {"args": ["exp", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 6}, "out_lines": 6}


@case("html-empty-page-in-folder-with-output", "tdesktop-html")
def _(d):
    html_pages(d, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    write(d, "exp/messages2.html", b"")
    return {"args": ["exp", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": 1, "counts": {"written": 6}, "out": "o.jsonl", "out_lines": 6}


@case("html-unreadable-page-in-folder", "tdesktop-html")
def _(d):
    html_pages(d, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    (d / "exp/messages2.html").unlink()
    os.symlink("nowhere.html", d / "exp/messages2.html")
    return {"args": ["exp", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 6}, "out_lines": 6}


@case("html-junk-page-in-folder", "tdesktop-html")
def _(d):
    html_pages(d, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    r = rng("html-junk")
    write(d, "exp/messages2.html", bytes(r.randrange(256) for _ in range(20000)))
    return {"args": ["exp", "--summary", "s.json", "-q"], "exit": 1, "counts": {"written": 6}, "out_lines": 6}


@case("html-truncated-mid-message", "tdesktop-html")
def _(d):
    page = F.html_page(list(range(1, 11)))
    cut = page.index('id="message8"') + 40
    write(d, "messages.html", page[:cut])
    return {"args": ["messages.html", "--summary", "s.json"], "exit": 1, "counts": {"written": 7}, "out_lines": 7, "diag": [r"messages\.html:\d+:\d+:"]}


@case("html-truncated-mid-message-validate", "validate")
def _(d):
    page = F.html_page(list(range(1, 11)))
    cut = page.index('id="message8"') + 40
    write(d, "messages.html", page[:cut])
    return {"args": ["validate", "messages.html"], "exit": 1, "diag": [r"messages\.html:\d+:\d+:"]}


@case("html-invalid-utf8-in-message", "tdesktop-html")
def _(d):
    msgs = [F.html_message(i) if i != 5 else F.html_message(5, "caf\udce9") for i in range(1, 11)]
    page = F.html_page(msgs).encode("utf-8", "surrogateescape")
    write(d, "messages.html", page)
    line = page[: page.index(b"caf\xe9")].count(b"\n") + 1
    return {
        "args": ["messages.html", "--summary", "s.json", "--rejects", "rej.jsonl", "-q"],
        "exit": 1,
        "counts": {"read": 10, "written": 9, "rejected": 1},
        "not_diag": [r"(?i)windows-1252|cp1252"],
        "diag": [rf'"line":\s*{line}\b'],
    }


@case("html-deep-nesting-in-message", "tdesktop-html")
def _(d):
    deep = "<div>" * 50000 + "deep" + "</div>" * 50000
    msgs = [F.html_message(i) if i != 5 else F.html_message(5, deep) for i in range(1, 11)]
    write(d, "messages.html", F.html_page(msgs))
    return {"args": ["messages.html", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 10}, "counts_min": {"written": 9}}


@case("html-unclosed-comment", "tdesktop-html")
def _(d):
    msgs = [F.html_message(i) if i != 5 else F.html_message(5, "before <!-- never closed") for i in range(1, 11)]
    write(d, "messages.html", F.html_page(msgs))
    return {"args": ["messages.html", "--summary", "s.json", "-q"], "exit": [0, 1], "counts_min": {"written": 4}}


@case("html-bad-date-title", "tdesktop-html")
def _(d):
    msgs = [F.html_message(i) if i != 5 else F.html_message(5, title="30.02.2024 25:61:61 UTC+00:00") for i in range(1, 11)]
    write(d, "messages.html", F.html_page(msgs))
    return {"args": ["messages.html", "--summary", "s.json", "-q"], "exit": [0, 1], "out_validates": True}


@case("html-xss-payloads", "tdesktop-html")
def _(d):
    payloads = ["&lt;script&gt;alert(1)&lt;/script&gt;", '<a href="javascript:alert(2)">x</a>', "<img src=x onerror=alert(3)>", "<script>alert(4)</script>"]
    msgs = [F.html_message(i + 1, t) for i, t in enumerate(payloads)]
    write(d, "messages.html", F.html_page(msgs))
    return {
        "args": ["messages.html", "--to", "tdesktop-html", "-o", "site", "-q"],
        "exit": [0, 1],
        "outputs": ["site"],
        "out_not_contains": {"site": ["<script>alert", "<img src=x", 'href="javascript:']},
    }


@case("html-over-cap-message", "tdesktop-html", fast=False)
def _(d):
    msgs = [F.html_message(i) if i != 3 else F.html_message(3, "z" * (9 << 20)) for i in range(1, 6)]
    write(d, "messages.html", F.html_page(msgs))
    return {"args": ["messages.html", "--summary", "s.json", "-q"], "exit": 1, "counts": {"read": 5, "written": 4, "rejected": 1}, "rss_mb": 128, "timeout": 300}


@case("html-over-cap-message-validate", "validate", fast=False)
def _(d):
    msgs = [F.html_message(i) if i != 3 else F.html_message(3, "z" * (9 << 20)) for i in range(1, 6)]
    write(d, "messages.html", F.html_page(msgs))
    return {"args": ["validate", "messages.html"], "exit": 1, "rss_mb": 128, "timeout": 300}


@case("html-many-messages", "tdesktop-html", fast=False)
def _(d):
    write(d, "messages.html", F.html_page(list(range(1, 20001))))
    return {"args": ["messages.html", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": 0, "counts": {"written": 20000}, "rss_mb": 128, "timeout": 300, "outputs": ["o.jsonl"]}


@case("html-amp-chain", "tdesktop-html", fast=False)
def _(d):
    chain = "&amp;" * (800_000)
    msgs = [F.html_message(i) if i != 2 else F.html_message(2, chain) for i in range(1, 5)]
    write(d, "messages.html", F.html_page(msgs))
    return {"args": ["messages.html", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": [0, 1], "counts": {"read": 4}, "rss_mb": 128, "timeout": 300, "outputs": ["o.jsonl"]}


@case("html-validate-as-web-html", "validate")
def _(d):
    write(d, "messages.html", F.html_page(list(range(1, 6))))
    return {"args": ["validate", "messages.html", "--schema", "web-html"], "exit": [1, 2]}


@case("html-account-export-missing-chat", "tdesktop-html")
def _(d):
    for k in (1, 2, 3):
        for name, page in F.html_folder([[k * 10 + 1, k * 10 + 2]]).items():
            write(d, f"acc/chats/chat_0{k}/{name}", page)
    links = "".join(
        f'<a class="entry block_link" href="chats/chat_0{k}/messages.html"><div class="name bold">c{k}</div></a>\n'
        for k in (1, 2, 3, 4)
    )
    write(d, "acc/export_results.html", F.PAGE_HEAD % "Exported Data" + links + F.PAGE_TAIL)
    return {"args": ["acc", "--summary", "s.json", "-q"], "exit": [0, 1], "counts_min": {"written": 6}}


@case("html-page-is-result-json-forced", "tdesktop-html")
def _(d):
    write(d, "messages.html", F.td_result([F.td_message(i) for i in range(1, 6)]))
    return {"args": ["messages.html", "--from", "tdesktop-html"], "exit": 1, "out_lines": 0}


# ===========================================================================
# Saved t.me/s pages


@case("web-deep-nested-post", "web-html")
def _(d):
    deep = "<div>" * 5000 + "deep" + "</div>" * 5000
    posts = [F.web_post(i) if i != 2 else F.web_post(2, deep) for i in range(1, 25)]
    write(d, "page.html", F.web_page(posts))
    return {"args": ["page.html", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 24}, "counts_min": {"written": 23}}


@case("web-cut-mid-post", "web-html")
def _(d):
    page = F.web_page(list(range(1, 11)))
    cut = page.index('data-post="hostile/8"') + 300
    write(d, "page.html", page[:cut])
    return {"args": ["page.html", "--summary", "s.json"], "exit": 1, "counts": {"written": 7}, "out_lines": 7, "diag": [r"page\.html:\d+:\d+:"]}


@case("web-cut-mid-post-validate", "validate")
def _(d):
    page = F.web_page(list(range(1, 11)))
    cut = page.index('data-post="hostile/8"') + 300
    write(d, "page.html", page[:cut])
    return {"args": ["validate", "page.html"], "exit": 1, "diag": [r"page\.html:\d+:\d+:"]}


for _label, _dt in [("feb-30", "2024-02-30T10:00:00+00:00"), ("hour-25", "2024-01-01T25:61:61+00:00"), ("empty", ""), ("space", "2024-01-01 00:00:00")]:

    def _web_date(d, dt=_dt):
        posts = [F.web_post(i) if i != 3 else F.web_post(3, datetime_=dt) for i in range(1, 6)]
        write(d, "page.html", F.web_page(posts))
        return {"args": ["page.html", "--summary", "s.json", "-q"], "exit": [0, 1], "out_validates": True, "counts": {"read": 5}}

    case(f"web-bad-datetime-{_label}", "web-html")(_web_date)


@case("web-xss-to-html", "web-html")
def _(d):
    posts = [
        F.web_post(1, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        F.web_post(2, '<a href="javascript:alert(2)">click</a>'),
        F.web_post(3, "<img src=x onerror=alert(3)>text"),
    ]
    write(d, "page.html", F.web_page(posts))
    return {
        "args": ["page.html", "--to", "tdesktop-html", "-o", "site", "-q"],
        "exit": [0, 1],
        "outputs": ["site"],
        "out_not_contains": {"site": ["<script>alert", "<img src=x", 'href="javascript:']},
    }


@case("web-overlapping-pages", "web-html")
def _(d):
    write(d, "pages/a.html", F.web_page(list(range(1, 21))))
    write(d, "pages/b.html", F.web_page(list(range(11, 31))))
    return {"args": ["pages", "--summary", "s.json", "-q"], "exit": 0, "out_lines": 30}


@case("web-missing-data-post", "web-html")
def _(d):
    posts = [F.web_post(i) for i in range(1, 6)]
    posts[2] = posts[2].replace('data-post="hostile/3" ', "")
    write(d, "page.html", F.web_page(posts))
    return {"args": ["page.html", "--summary", "s.json", "-q"], "exit": [0, 1], "counts_min": {"written": 4}, "out_validates": True}


@case("web-huge-post-id", "web-html")
def _(d):
    posts = [F.web_post(i) for i in range(1, 6)]
    posts[2] = posts[2].replace("hostile/3", "hostile/99999999999999999999999")
    write(d, "page.html", F.web_page(posts))
    return {"args": ["page.html", "--summary", "s.json", "-q"], "exit": [0, 1], "counts_min": {"written": 4}, "out_validates": True}


@case("web-fake-post-in-script", "web-html")
def _(d):
    script = "<script>var s = '" + F.web_post(77).replace("\n", " ").replace("'", "\\'") + "';</script>\n"
    page = F.web_page([1, 2, script, 3])
    write(d, "page.html", page)
    return {"args": ["page.html", "--summary", "s.json", "-q"], "exit": 0, "out_lines": 3}


@case("web-junk-forced", "web-html")
def _(d):
    write(d, "page.html", "<html><body><p>nothing to see</p></body></html>\n")
    return {"args": ["page.html", "--from", "web-html"], "exit": 1, "out_lines": 0}


@case("web-invalid-utf8-in-post", "web-html")
def _(d):
    page = F.web_page([F.web_post(i) if i != 3 else F.web_post(3, "caf\udce9") for i in range(1, 6)])
    write(d, "page.html", page.encode("utf-8", "surrogateescape"))
    return {"args": ["page.html", "--summary", "s.json", "-q"], "exit": [0, 1], "counts": {"read": 5}}


@case("web-many-posts", "web-html", fast=False)
def _(d):
    write(d, "page.html", F.web_page(list(range(1, 5001))))
    return {"args": ["page.html", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": 0, "counts": {"written": 5000}, "rss_mb": 128, "timeout": 300, "outputs": ["o.jsonl"]}


@case("web-20mb-post", "web-html", fast=False)
def _(d):
    big = ("word " * 4_000_000)
    write(d, "page.html", F.web_page([1, F.web_post(2, big), 3]))
    return {"args": ["page.html", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": [0, 1], "counts": {"read": 3}, "rss_mb": 128, "timeout": 300, "outputs": ["o.jsonl"]}


@case("web-amp-chain", "web-html", fast=False)
def _(d):
    chain = "&amp;amp;" * 450_000
    write(d, "page.html", F.web_page([1, F.web_post(2, chain), 3]))
    return {"args": ["page.html", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": [0, 1], "counts": {"read": 3}, "rss_mb": 128, "timeout": 300, "outputs": ["o.jsonl"]}


# ===========================================================================
# Plain-text dumps


@case("text-one-ff-byte", "text")
def _(d):
    text = F.text_dump(10).encode()
    at = text.index(b"number 6")
    write(d, "d.txt", text[:at] + b"\xff" + text[at:])
    line = text[:at].count(b"\n") + 1
    return {"args": ["d.txt", "--summary", "s.json"], "exit": 1, "diag": [rf"d\.txt:{line}:\d+:"], "not_diag": [r"(?i)windows-1252"]}


@case("text-half-cp1251-half-utf8", "text")
def _(d):
    ru = "Привет, это пост номер {}. Всё хорошо.\n"
    a = "".join(ru.format(i) for i in range(1, 6)).encode("cp1251")
    b = "".join(ru.format(i) for i in range(6, 11)).encode("utf-8")
    write(d, "d.txt", a + b"\n" + b)
    # Decided line by line: both halves come out right (no mojibake), and
    # the summary says how many lines were decoded how.
    # (UTF-8 read as cp1251 shows "Рџ" for "П"; cp1251 read as UTF-8, U+FFFD.)
    return {"args": ["d.txt", "--summary", "s.json"], "exit": 0, "counts": {"rejected": 0},
            "out_not_contains": {"-": ["\ufffd", "Рџ"]}}


@case("text-random-bytes", "text")
def _(d):
    r = rng("text-random")
    write(d, "d.txt", bytes(r.randrange(256) for _ in range(1 << 20)))
    return {"args": ["d.txt", "--summary", "s.json"], "exit": 1, "counts": {"written": 0}, "out_lines": 0}


@case("text-random-bytes-validate", "validate")
def _(d):
    r = rng("text-random")
    write(d, "d.txt", bytes(r.randrange(256) for _ in range(1 << 20)))
    return {"args": ["validate", "d.txt"], "exit": 1}


@case("text-nul-bytes", "text")
def _(d):
    write(d, "d.txt", F.text_dump(5).replace("number 3", "num\x00ber 3"))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": [0, 1], "out_not_contains": {"-": ["\\u0000"]}}


@case("text-ansi-escapes", "text")
def _(d):
    write(d, "d.txt", F.text_dump(5).replace("number 3", "\x1b[31mnumber\x1b[0m 3\x07\x08"))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": 0, "out_not_contains": {"-": ["\\u001b", "\\u0007", "\\b"]}}


@case("text-bidi-zero-width", "text")
def _(d):
    write(d, "d.txt", F.text_dump(5).replace("number 3", "\u202enumber\u200b\u2066 3\u00ad\ufeff"))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": 0, "out_validates": True}


@case("text-long-line", "text")
def _(d):
    write(d, "d.txt", F.text_dump(3) + "\n" + "L" * (3 << 20) + "\n\n" + F.text_dump(3))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": [0, 1], "rss_mb": 128}


@case("text-only-newlines", "text")
def _(d):
    write(d, "d.txt", "\n" * 200000)
    return {"args": ["d.txt", "--summary", "s.json"], "exit": [0, 1], "out_lines": 0, "diag": [r"(?i)no posts|empty|nothing"]}


@case("text-only-cr", "text")
def _(d):
    write(d, "d.txt", F.text_dump(5).replace("\n", "\r"))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": 0, "counts_min": {"written": 1}}


@case("text-mixed-line-ends", "text")
def _(d):
    t = F.text_dump(6).split("\n")
    ends = ["\n", "\r\n", "\r"]
    write(d, "d.txt", "".join(line + ends[k % 3] for k, line in enumerate(t)))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": 0, "counts_min": {"written": 1}}


@case("text-many-forward-headers", "text", fast=False)
def _(d):
    write(d, "d.txt", "Forwarded from X\n" * 100000)
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": [0, 1], "timeout": 60}


@case("text-only-placeholders", "text")
def _(d):
    write(d, "d.txt", "Media is too big\nVIEW IN TELEGRAM\n" * 5000)
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": [0, 1], "timeout": 60}


@case("text-repeated-posts", "text")
def _(d):
    write(d, "d.txt", ("Same body line here.\n\n") * 5000)
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": [0, 1], "timeout": 60}


@case("text-xss-to-html", "text")
def _(d):
    write(d, "d.txt", "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n")
    return {
        "args": ["d.txt", "--to", "tdesktop-html", "-o", "site", "-q"],
        "exit": [0, 1],
        "outputs": ["site"],
        "out_not_contains": {"site": ["<script>alert", "<img src=x"]},
    }


@case("text-cp1251-forced", "text")
def _(d):
    write(d, "d.txt", "Привет, мир.\nВторая строка.\n".encode("cp1251"))
    return {"args": ["d.txt", "--encoding", "windows-1251", "--summary", "s.json", "-q"], "exit": 0, "counts_min": {"written": 1}}


@case("text-utf16-no-bom", "text")
def _(d):
    write(d, "d.txt", F.text_dump(5).encode("utf-16-le"))
    return {"args": ["d.txt", "--summary", "s.json", "-q"], "exit": [0, 1], "out_validates": True}


@case("text-huge-single-post", "text", fast=False)
def _(d):
    with (d / "d.txt").open("w") as f:
        for i in range(400000):
            f.write(f"line {i} of one very long post without any boundary at all\n")
    return {"args": ["d.txt", "--summary", "s.json", "-q", "-o", "o.jsonl"], "exit": [0, 1], "rss_mb": 128, "timeout": 300, "outputs": ["o.jsonl"]}


# ===========================================================================
# The validator, beyond the pairs above


@case("validate-result-json-as-post", "validate")
def _(d):
    r30(d)
    return {"args": ["validate", "r.json", "--schema", "post"], "exit": [1, 2]}


@case("validate-jsonl-as-tdesktop", "validate")
def _(d):
    write(d, "in.jsonl", F.jsonl([F.post(i) for i in range(1, 5)]))
    return {"args": ["validate", "in.jsonl", "--schema", "tdesktop"], "exit": [1, 2]}


@case("validate-result-json-as-web-html", "validate")
def _(d):
    r30(d)
    return {"args": ["validate", "r.json", "--schema", "web-html"], "exit": [1, 2]}


@case("validate-result-json-as-tdesktop-html", "validate")
def _(d):
    r30(d)
    return {"args": ["validate", "r.json", "--schema", "tdesktop-html"], "exit": [1, 2]}


@case("validate-invalid-utf8-jsonl", "validate")
def _(d):
    write(d, "in.jsonl", jsonl_with(b'{"x": "\xff"}\n'))
    return {"args": ["validate", "in.jsonl"], "exit": 1, "diag": [r"in\.jsonl:5:.*(?i:utf-?8)"], "not_diag": [r"(?i)windows-1252"]}


@case("validate-truncated-result-json", "validate")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 31)])
    write(d, "r.json", text[: text.index('"message 20"')])
    return {"args": ["validate", "r.json"], "exit": 1, "diag": [r"r\.json:\d+:\d+:"]}


@case("validate-invalid-utf8-result-json", "validate")
def _(d):
    text = F.td_result([F.td_message(i) for i in range(1, 31)]).encode()
    at = text.index(b'"message 12"')
    write(d, "r.json", text[: at + 3] + b"\xff" + text[at + 3 :])
    line = text[:at].count(b"\n") + 1
    return {"args": ["validate", "r.json"], "exit": 1, "diag": [rf"r\.json:{line}:\d+:.*(?i:utf-?8)"]}


@case("validate-max-errors", "validate")
def _(d):
    write(d, "in.jsonl", "{}\n" * 100)
    return {"args": ["validate", "in.jsonl", "--max-errors", "3"], "exit": 1, "stdout_lines_max": 3}


@case("validate-missing-file", "validate")
def _(d):
    return {"args": ["validate", "nope.jsonl"], "exit": 2, "diag": [r"nope\.jsonl"]}


@case("validate-stdin", "validate")
def _(d):
    return {"args": ["validate", "-"], "stdin": F.jsonl([F.post(i) for i in range(1, 4)]) + "{}\n", "exit": 1, "diag": [r":4:"]}


@case("validate-jsonl-positions-have-columns", "validate")
def _(d):
    write(d, "in.jsonl", jsonl_with(json.dumps(F.post(50, views=-3)).encode() + b"\n"))
    return {"args": ["validate", "in.jsonl"], "exit": 1, "diag": [r"in\.jsonl:5:\d+: /views"]}


@case("validate-fifo-input", "validate")
def _(d):
    os.mkfifo(d / "in.fifo")
    return {
        "args": ["validate", "in.fifo"],
        "exit": 0,
        "mode": "fifo",
        "fifo_write": {"in.fifo": F.jsonl([F.post(i) for i in range(1, 11)])},
        "kinds": {"in.fifo": "fifo"},
        "timeout": 15,
    }


@case("validate-deep-nesting", "validate")
def _(d):
    write(d, "in.jsonl", jsonl_with(b"[" * 200000 + b"]" * 200000 + b"\n"))
    return {"args": ["validate", "in.jsonl"], "exit": 1, "diag": [r"in\.jsonl:5:\d+:"]}


@case("validate-folder-of-junk", "validate")
def _(d):
    r = rng("vjunk")
    for k in range(3):
        write(d, f"exp/messages{'' if k == 0 else k + 1}.html", bytes(r.randrange(256) for _ in range(4096)))
    return {"args": ["validate", "exp"], "exit": [1, 2]}


@case("validate-empty-file", "validate")
def _(d):
    write(d, "in.jsonl", b"")
    return {"args": ["validate", "in.jsonl"], "exit": [0, 1]}


@case("validate-long-lines-memory", "validate", fast=False)
def _(d):
    with (d / "in.jsonl").open("w") as f:
        for i in range(1, 401):
            f.write(json.dumps(F.post(i, chr(0x41 + i % 26) * 900_000)) + "\n")
    return {"args": ["validate", "in.jsonl"], "exit": 0, "rss_mb": 128, "timeout": 600}


@case("validate-over-cap-message", "validate", fast=False)
def _(d):
    msgs = [F.td_message(i) for i in range(1, 6)]
    write(d, "r.json", F.td_result(msgs + [F.td_message(6, "x" * (70 << 20)), F.td_message(7)]))
    return {"args": ["validate", "r.json"], "exit": 1, "rss_mb": 128, "timeout": 300}
