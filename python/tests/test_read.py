"""`tgnorm.read`, `fingerprint`: the CLI's posts, from Python (`read_arrow`:
test_arrow.py)."""

from __future__ import annotations

import json
import os
import threading

import pytest

import tgnorm

from conftest import ROOT, cli_rejection_column, fixture_inputs, run_cli

INPUTS = fixture_inputs()
# tgnorm's own output of every fixture that has posts.
JSONL = [p for p in INPUTS if p.endswith("expected.jsonl") and os.path.getsize(ROOT / p)]


def read_all(path, **options):
    posts = tgnorm.read(path, **options)
    return list(posts), posts


def test_there_are_fixtures_of_every_reader():
    formats = set()
    for path in INPUTS:
        if path.endswith(("result.json", "input.txt", "input.html", "-2023")) and "invalid" not in path:
            formats.update(p["source"]["format"] for p in tgnorm.read(path))
    assert formats == {"text", "tdesktop-json", "tdesktop-html", "web-html"}
    assert len(INPUTS) > 200


def read_until_stopped(path):
    """The posts, the rejected records, and the error that stopped the
    reading (None when it ran to the end)."""
    reader = tgnorm.read(path)
    posts = []
    try:
        for post in reader:
            posts.append(post)
    except tgnorm.Error as stop:
        return posts, reader, stop
    return posts, reader, None


def as_reject(error):
    return {"file": error.file, "line": error.line, "column": error.column, "error": error.message}


@pytest.mark.parametrize("path", INPUTS)
def test_dicts_equal_the_cli_jsonl(path, tmp_path):
    """On every fixture input: the dicts are the CLI's JSONL objects (keys
    in order, values equal), the rejected records are the CLI's rejects,
    position for position, and an error that stops the CLI stops the
    iteration after the same posts."""
    rejects_file = tmp_path / "rejects.jsonl"
    code, expected, stderr = run_cli(path, "--rejects", str(rejects_file))
    try:
        posts, reader, stop = read_until_stopped(path)
    except tgnorm.Error as refused:
        # Refused before any post: so does the CLI, with the same message.
        assert code != 0 and not expected
        assert f"tgnorm: {refused}" in stderr.splitlines()
        return
    assert posts == expected
    assert [list(p) for p in posts] == [list(e) for e in expected]  # key order
    cli_rejects = [json.loads(line) for line in rejects_file.read_text(encoding="utf-8").splitlines()]
    ours = [as_reject(e) for e in reader.rejected] + ([as_reject(stop)] if stop else [])
    assert ours == [{k: r.get(k) for k in ("file", "line", "column", "error")} for r in cli_rejects]
    assert code == (0 if not ours else 1)
    summary = reader.summary()
    assert summary["written"] == len(expected)
    # An error that stops the input is one item read and one rejected, as
    # the CLI counts it: the law holds either way.
    assert summary["rejected"] == len(reader.rejected) + (1 if stop else 0)
    assert summary["read"] == (
        summary["written"] + summary["rejected"] + summary["duplicates"] + summary["selected_out"]
    )


@pytest.mark.parametrize(
    "options, flags",
    [
        ({"no": ["dedup", "emoji"]}, ["--no-dedup", "--no-emoji"]),
        ({"emoji": "shortcode"}, ["--emoji", "shortcode"]),
        ({"passes": []}, ["--no-unicode", "--no-boilerplate", "--no-repeated-body", "--no-forward",
                          "--no-reply", "--no-emoji", "--no-whitespace", "--no-dedup"]),
        ({"chat": "Embassy@rusembindia"}, ["--as-chat", "Embassy@rusembindia"]),
        ({"format": "text"}, ["--from", "text"]),
    ],
)
def test_options_mirror_the_cli_flags(options, flags):
    path = "fixtures/text/rusembindia-2024/input.txt"
    code, expected, _ = run_cli(path, *flags)
    assert code == 0
    posts, _ = read_all(path, **options)
    assert posts == expected


def test_encoding_option_mirrors_the_cli():
    path = "fixtures/text/encodings-ru/input.cp1251.txt"
    code, expected, _ = run_cli(path, "--encoding", "windows-1251")
    assert code == 0
    assert read_all(path, encoding="windows-1251")[0] == expected


def test_several_paths_are_one_run():
    paths = ["fixtures/web/synthetic-2024/input.html", "fixtures/web/synthetic-2024/input.html"]
    code, expected, _ = run_cli(*paths)
    posts, reader = read_all(paths)
    # The CLI merges several inputs (`source.merged_from` names the other
    # versions); the library reads them as one run without merging.
    for post in expected:
        post["source"].pop("merged_from", None)
    assert posts == expected
    assert reader.summary()["duplicates"] == len(expected) > 0


def test_bad_record_raises_with_its_position_when_strict():
    path = "fixtures/invalid/post-views-negative/input.jsonl"
    with pytest.raises(tgnorm.Error) as raised:
        read_all(path, strict=True)
    err = raised.value
    assert isinstance(err, ValueError)
    # The CLI reports the same place (its first rejection line on stderr).
    column = cli_rejection_column(path)
    assert (err.file, err.line, err.column, err.kind) == (path, 1, column, "data")
    assert str(err) == f"{path}:1:{column}: not a tgnorm post: /views: -3 should be at least 0"


def test_bad_record_is_rejected_and_reading_goes_on(tmp_path):
    good = (ROOT / "fixtures/web/synthetic-2024/expected.jsonl").read_text(encoding="utf-8").splitlines()
    bad = "{\"chat\": 1}"
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([good[0], bad, *good[1:]]) + "\n", encoding="utf-8")
    seen = []
    posts = list(tgnorm.read(path, on_reject=seen.append))
    assert len(posts) == len(good)
    assert [(e.file, e.line, e.column) for e in seen] == [(str(path), 2, 1)]


def test_strict_gives_the_posts_before_the_error(tmp_path):
    good = (ROOT / "fixtures/web/synthetic-2024/expected.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([*good[:2], "not json", *good[2:]]) + "\n", encoding="utf-8")
    posts = tgnorm.read(path, strict=True)
    assert next(posts)["id"] == json.loads(good[0])["id"]
    assert next(posts)["id"] == json.loads(good[1])["id"]
    with pytest.raises(tgnorm.Error) as raised:
        next(posts)
    assert (raised.value.line, raised.value.column) == (3, 1)
    assert list(posts) == []


def test_unreadable_input_raises():
    with pytest.raises(tgnorm.Error) as raised:
        tgnorm.read("fixtures/no-such-file.json")
    assert raised.value.kind == "io"
    assert raised.value.file == "fixtures/no-such-file.json"


def test_bad_options_are_value_errors():
    with pytest.raises(ValueError, match="unknown pass `dedupe`"):
        tgnorm.read("fixtures/web/synthetic-2024/input.html", no=["dedupe"])
    with pytest.raises(ValueError, match="emoji"):
        tgnorm.read("fixtures/web/synthetic-2024/input.html", emoji="nope")
    with pytest.raises(ValueError, match="unknown encoding"):
        tgnorm.read("fixtures/web/synthetic-2024/input.html", encoding="klingon")


def test_version_is_cargos():
    cargo = (ROOT / "python" / "Cargo.toml").read_text(encoding="utf-8")
    assert f'version = "{tgnorm.__version__}"' in cargo


def test_reading_in_threads_gives_the_same_posts():
    """The GIL is released while a batch is read: readers on several
    threads interleave and each gets its own posts, whole."""
    path = "fixtures/tdesktop/pachum-channel/result.json"
    expected = read_all(path)[0]
    results = {}

    def work(i):
        results[i] = read_all(path)[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i] == expected for i in range(4))


# --- fingerprints -----------------------------------------------------------


@pytest.mark.parametrize("path", JSONL)
def test_fingerprint_is_the_dedup_key(path, tmp_path):
    """Reading a file twice over: the posts dedup keeps are exactly one per
    distinct fingerprint, and `fingerprint(dict)` is the Rust side's."""
    doubled = tmp_path / "doubled.jsonl"
    text = (ROOT / path).read_text(encoding="utf-8")
    doubled.write_text(text + text, encoding="utf-8")
    everything = list(tgnorm.read(doubled, no=["dedup"]))
    kept = list(tgnorm.read(doubled))
    keys = [tgnorm.fingerprint(p) for p in everything]
    assert len(set(keys)) == len(kept)
    assert len(kept) == len(text.splitlines())
    table = tgnorm.read_arrow(doubled, no=["dedup"]).read_all()
    assert table.column("fingerprint").to_pylist() == keys


def test_fingerprint_of_a_non_post_raises():
    with pytest.raises(tgnorm.Error, match="not a tgnorm post"):
        tgnorm.fingerprint({"chat": None})
