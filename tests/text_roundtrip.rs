//! `X → text → posts` gives the same posts (issue 11 item 5): every reader's
//! fixtures, written with `--to text` and read back, agree with the posts
//! read from the source on what a text dump carries. `notes/h-text.md`
//! lists what it does not carry and why.

use crate::util::*;
use serde_json::Value;
use std::path::PathBuf;

/// Every fixture input of every reader: text dumps, saved web pages (and a
/// folder of them), Telegram Desktop HTML folders, `result.json` files, and
/// the expected JSONL files read as JSONL.
fn inputs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let dirs = |group: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures").join(group))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        v
    };
    for dir in dirs("text") {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        out.extend(files.into_iter().filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("input") || (name.starts_with("expected") && name.ends_with(".jsonl"))
        }));
    }
    for dir in dirs("web") {
        out.extend(
            ["input.html", "input", "expected.jsonl"]
                .iter()
                .map(|n| dir.join(n))
                .filter(|p| p.exists()),
        );
    }
    for dir in dirs("tdesktop-html") {
        out.push(dir.clone());
        out.push(dir.join("expected.jsonl"));
    }
    for dir in dirs("tdesktop") {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

fn posts(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Whitespace runs as single spaces; empty as null.
fn one_line(v: &Value) -> Option<String> {
    let s = v.as_str()?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// The minute of an RFC 3339 date, `Z` spelled `+00:00`.
fn minute(v: &Value) -> Option<String> {
    let d = v.as_str()?;
    let rest = d.get(16..)?;
    let offset = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == '.');
    let offset = if offset == "Z" { "+00:00" } else { offset };
    Some(format!("{}:00{offset}", d.get(..16)?))
}

fn media(p: &Value) -> Vec<(String, String)> {
    p["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["type"].as_str().unwrap().to_owned(), m["status"].as_str().unwrap().to_owned()))
        .collect()
}

/// The index of the post `p` (at `i`) replies to, among `all`: by id in the
/// same chat, or by the replied post's first source line.
fn target(all: &[Value], i: usize) -> Option<usize> {
    let reply = &all.get(i)?["reply_to"];
    let p = &all[i];
    let earlier = all.get(..i)?;
    if let Some(id) = reply["message_id"].as_i64() {
        return earlier
            .iter()
            .rposition(|q| q["id"].as_i64() == Some(id) && q["chat"]["name"] == p["chat"]["name"]);
    }
    let line = reply["source_line"].as_u64()?;
    earlier.iter().rposition(|q| q["source"]["line"].as_u64() == Some(line))
}

/// The differences between a source post and its read-back, on the fields
/// a text dump carries.
fn differences(src: &[Value], back: &[Value], i: usize) -> Vec<String> {
    let (p, q) = (&src[i], &back[i]);
    let mut out = Vec::new();
    let mut same = |what: &str, a: Value, b: Value| {
        if a != b {
            out.push(format!("{what}: {a} ≠ {b}"));
        }
    };
    same("kind", p["kind"].clone(), q["kind"].clone());
    same("text", p["text"].clone(), q["text"].clone());
    same("chat", p["chat"]["name"].clone(), q["chat"]["name"].clone());
    same(
        "forward",
        one_line(&p["forwarded_from"]["name"]).into(),
        one_line(&q["forwarded_from"]["name"]).into(),
    );
    same("media", serde_json::json!(media(p)), serde_json::json!(media(q)));
    same("date", minute(&p["date"]).into(), minute(&q["date"]).into());
    same("views", p["views"].clone(), q["views"].clone());
    same("edited", p["edited"].is_null().into(), q["edited"].is_null().into());
    let (pr, qr) = (&p["reply_to"], &q["reply_to"]);
    let want = target(src, i);
    let shown = !pr.is_null() && (one_line(&pr["quote"]).is_some() || want.is_some());
    same("reply", shown.into(), (!qr.is_null()).into());
    if let Some(quote) = one_line(&pr["quote"]) {
        same("reply quote", quote.into(), one_line(&qr["quote"]).into());
    }
    if !qr.is_null() {
        let got = target(back, i);
        // Unlinked is allowed only for a quote too short to prove anything
        // (docs §6.4 step 3); a wrong link never is.
        let short = one_line(&qr["quote"])
            .is_none_or(|q| q.trim_end_matches(['…', '.']).chars().count() < 16);
        if got.is_some() || !short {
            same("reply target", want.into(), got.into());
        }
    }
    out
}

/// Runs `tgnorm ARGS` with `stdin`, expecting exit 0 or 1 (rejections are
/// the fixtures' own).
fn run(args: &[&str], stdin: &[u8]) -> Run {
    let r = tgnorm_in(&root(), args, stdin);
    assert!(r.code == 0 || r.code == 1, "{args:?}: exit {}: {}", r.code, r.stderr);
    r
}

#[test]
fn every_fixture_reads_back_from_text() {
    let mut checked = (0, 0);
    let mut seen = [0usize; 6];
    for input in inputs() {
        let name = input.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
        let path = input.to_str().unwrap();
        let direct = tgnorm_in(&root(), &[path, "-q"], b"");
        if direct.code == 2 {
            continue; // Not readable at all (a fixture of a fatal error).
        }
        let src = posts(&direct.stdout);
        let dump = run(&[path, "-q", "--to", "text"], b"").stdout;
        let back = run(&["-", "-q", "--no-dedup", "--from", "text"], dump.as_bytes());
        assert_eq!(back.code, 0, "{name}: reading the dump back: {}", back.stderr);
        let back = posts(&back.stdout);
        assert_eq!(back.len(), src.len(), "{name}: post count\n{dump}");
        let mut wrong = Vec::new();
        for i in 0..src.len() {
            for d in differences(&src, &back, i) {
                wrong.push(format!("{name} post #{i}: {d}"));
            }
        }
        assert!(wrong.is_empty(), "{}\n(dump:\n{dump})", wrong.join("\n"));
        checked.0 += 1;
        checked.1 += src.len();
        for (p, q) in src.iter().zip(&back) {
            let n = |k: &str| usize::from(!p[k].is_null());
            seen[0] += n("date");
            seen[1] += n("reply_to");
            seen[2] += usize::from(
                target(&back, back.iter().position(|x| x == q).unwrap_or(0)).is_some()
                    && !q["reply_to"].is_null(),
            );
            seen[3] += n("forwarded_from");
            seen[4] += usize::from(!media(p).is_empty());
            seen[5] += usize::from(p["kind"] != "message");
        }
    }
    // What was compared: inputs, posts; and posts with a date, a reply, a
    // reply linked back to its post, a forward, media, another kind.
    assert!(checked.0 >= 100 && checked.1 >= 800, "checked {checked:?}");
    assert!(seen.iter().all(|&n| n >= 15), "seen {seen:?}");
}
