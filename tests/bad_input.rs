//! Bad input: each case gives a clear message with a position and the
//! documented exit code (0 ok, 1 invalid data, 2 usage or I/O), and none
//! panics.

use crate::util::*;
use std::path::Path;

/// Runs tgnorm in `dir` and checks the exit code and a fragment of stderr.
fn expect(dir: &Path, args: &[&str], stdin: &[u8], code: i32, stderr_has: &str) -> Run {
    let run = tgnorm_in(dir, args, stdin);
    assert_eq!(run.code, code, "args {args:?}: stderr was:\n{}", run.stderr);
    assert!(
        run.stderr.contains(stderr_has),
        "args {args:?}: expected {stderr_has:?} in:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn invalid_utf8_in_a_utf8_file() {
    let d = scratch("bad-utf8");
    write(&d, "in.txt", "Привет, мир\nстрока \u{1F399}\nab\u{e9}".as_bytes());
    let mut bytes = std::fs::read(d.join("in.txt")).unwrap();
    bytes.extend_from_slice(b"\nxy\xFFz\nlast line");
    write(&d, "in.txt", &bytes);
    let run = expect(&d, &["in.txt"], b"", 1, "in.txt:4:3: invalid UTF-8 (byte 0xFF)");
    assert!(run.stderr.contains("rejected 1"), "{}", run.stderr);
    assert!(run.stdout.contains("last line"), "the rest is still read");
}

#[test]
fn nul_bytes() {
    let d = scratch("nul");
    write(&d, "bin.txt", b"ok\n\x00\x01\x02\x03");
    expect(&d, &["bin.txt"], b"", 1, "bin.txt:2:1: binary data (NUL byte)");
    write(&d, "late.txt", format!("{}\nab\x00cd\nmore", "x".repeat(70_000)).as_bytes());
    expect(&d, &["late.txt"], b"", 1, "late.txt:2:3: NUL byte in a text line");
}

#[test]
fn a_50_mb_line() {
    let d = scratch("long-line");
    let mut bytes = b"first\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 50 << 20));
    bytes.extend_from_slice(b"\nForwarded from X\nafter");
    write(&d, "long.txt", &bytes);
    let run = expect(&d, &["long.txt"], b"", 1, "long.txt:2: line longer than 1 MiB; skipped");
    assert!(run.stdout.contains("\"text\":\"after\""));
}

#[test]
fn empty_file() {
    let d = scratch("empty");
    write(&d, "empty.txt", b"");
    expect(&d, &["empty.txt"], b"", 1, "empty.txt: empty input");
}

#[test]
fn folder_without_exports() {
    let d = scratch("no-export");
    std::fs::create_dir_all(d.join("dir")).unwrap();
    write(&d, "dir/notes.txt", b"hello");
    expect(&d, &["dir"], b"", 2, "dir: folder holds no Telegram export");
}

#[test]
fn missing_path() {
    let d = scratch("missing");
    expect(&d, &["nope.txt"], b"", 2, "nope.txt: No such file or directory");
}

#[cfg(unix)]
#[test]
fn unreadable_path() {
    // Tests run as root in CI, where permission bits do not stop reads; a
    // path through a regular file cannot be opened by anyone.
    let d = scratch("unreadable");
    write(&d, "file.txt", b"x");
    expect(&d, &["file.txt/result.json"], b"", 2, "file.txt/result.json: Not a directory");
}

#[test]
fn output_equal_to_input() {
    let d = scratch("overwrite");
    write(&d, "in.txt", b"hello");
    expect(
        &d,
        &["in.txt", "-o", "in.txt"],
        b"",
        2,
        "refusing to write the output over the input in.txt",
    );
    expect(&d, &["in.txt", "-o", "./in.txt"], b"", 2, "refusing");
    assert_eq!(std::fs::read(d.join("in.txt")).unwrap(), b"hello");
}

#[test]
fn jsonl_line_not_an_object() {
    let d = scratch("jsonl-array");
    expect(
        &d,
        &["--from", "jsonl", "-"],
        b"[1, 2]\n",
        1,
        "-:1:1: not a tgnorm post: a JSONL line must be one JSON object",
    );
}

#[test]
fn jsonl_syntax_error() {
    let d = scratch("jsonl-syntax");
    expect(
        &d,
        &["--from", "jsonl", "-"],
        b"\n{\"chat\": nul}\n",
        1,
        "-:2:13: invalid JSON: expected ident",
    );
}

#[test]
fn jsonl_unknown_key_and_missing_key() {
    let d = scratch("jsonl-keys");
    let good = tgnorm_in(&d, &["-"], b"hello").stdout;
    let extra = good.replacen("{\"chat\"", "{\"bogus\":1,\"chat\"", 1);
    expect(
        &d,
        &["--from", "jsonl", "-"],
        extra.as_bytes(),
        1,
        "not a tgnorm post: /bogus: unknown key \"bogus\": post objects have no such key",
    );
    let missing = good.replacen("\"kind\":\"message\",", "", 1);
    expect(
        &d,
        &["--from", "jsonl", "-"],
        missing.as_bytes(),
        1,
        "not a tgnorm post: /: missing key \"kind\" (a post must have it)",
    );
}

#[test]
fn jsonl_bad_entities() {
    let d = scratch("jsonl-entities");
    let good = tgnorm_in(&d, &["-"], b"hello").stdout;
    let bad = good.replacen(
        "\"entities\":[]",
        "\"entities\":[{\"type\":\"bold\",\"offset\":3,\"length\":9}]",
        1,
    );
    expect(&d, &["--from", "jsonl", "-"], bad.as_bytes(), 1, "runs past the end of the text");
}

#[test]
fn jsonl_truncated_last_line() {
    let d = scratch("jsonl-truncated");
    let good = tgnorm_in(&d, &["-"], b"Forwarded from A\none\nForwarded from B\ntwo").stdout;
    let cut = &good[..good.len() - 20];
    let run = expect(&d, &["--from", "jsonl", "-"], cut.as_bytes(), 1, "-:2:");
    assert_eq!(run.stdout.lines().count(), 1, "the good line is still written");
}

#[test]
fn strict_stops_and_leaves_no_output_file() {
    let d = scratch("strict");
    write(&d, "in.jsonl", b"{\"chat\":1}\n");
    expect(
        &d,
        &["--from", "jsonl", "in.jsonl", "--strict", "-o", "out.jsonl"],
        b"",
        1,
        "in.jsonl:1:",
    );
    assert!(!d.join("out.jsonl").exists(), "a failed run leaves no output");
    let leftovers: Vec<_> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
}

#[test]
fn rejects_file_names_each_record() {
    let d = scratch("rejects");
    write(&d, "in.jsonl", b"{\"chat\":1}\nnot json\n");
    let run = expect(
        &d,
        &["--from", "jsonl", "in.jsonl", "--rejects", "rej.jsonl"],
        b"",
        1,
        "rejected 2",
    );
    assert_eq!(run.stdout, "");
    let rejects = std::fs::read_to_string(d.join("rej.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> =
        rejects.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["file"], "in.jsonl");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].as_str().unwrap().contains("not a tgnorm post"));
}

#[test]
fn unknown_format_encoding_pass_and_mode() {
    let d = scratch("usage");
    write(&d, "in.txt", b"hello");
    expect(&d, &["in.txt", "--from", "xml"], b"", 2, "unknown input format `xml`");
    expect(&d, &["in.txt", "--to", "yaml"], b"", 2, "unknown output format `yaml`");
    expect(&d, &["in.txt", "--encoding", "klingon"], b"", 2, "unknown encoding `klingon`");
    expect(&d, &["in.txt", "--no", "spelling"], b"", 2, "unknown pass `spelling`");
    expect(&d, &["in.txt", "--emoji", "sparkle"], b"", 2, "sparkle");
    expect(&d, &[], b"", 2, "Usage");
}

#[test]
fn html_that_is_not_telegram() {
    let d = scratch("other-html");
    write(&d, "page.html", b"<!DOCTYPE html>\n<html><body><p>Hello</p></body></html>");
    expect(&d, &["page.html"], b"", 1, "page.html: an HTML page that is neither a Telegram Desktop export nor a t.me/s channel page");
    // --from text reads it anyway, as the user asked.
    let run = tgnorm_in(&d, &["page.html", "--from", "text", "-q"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn broken_pipe_exits_quietly() {
    // A big input piped into a reader that closes early.
    let d = scratch("pipe");
    let mut dump = String::new();
    for i in 0..20_000 {
        dump.push_str(&format!("Forwarded from Channel {i}\nPost number {i} with some text\n"));
    }
    write(&d, "big.txt", dump.as_bytes());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' big.txt | head -c 100 > /dev/null; echo \"${{PIPESTATUS:-}}\"",
            env!("CARGO_BIN_EXE_tgnorm")
        ))
        .current_dir(&d)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' -q big.txt | head -c 100 > /dev/null; echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_tgnorm")
        ))
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "0");
}
