//! `X → text → posts` gives the same posts (issue 11 item 5): every reader's
//! fixtures, written with `--to text` and read back, agree with the posts
//! read from the source on what a text dump carries. `docs/notes/2026-12-06-h-text.md`
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
        // (docs §6.4 step 3); a wrong link never is. (A quote that matches
        // an earlier post links to it, as in any dump, even when the
        // source did not say which post it quoted.)
        let short = one_line(&qr["quote"])
            .is_none_or(|q| q.trim_end_matches(['…', '.']).chars().count() < 16);
        if want.is_some() && (got.is_some() || !short) {
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

/// Writes `path` as text, reads it back, and compares; returns the source
/// posts and the read-back.
fn round_trip(path: &str) -> Option<(Vec<Value>, Vec<Value>, String)> {
    let direct = tgnorm_in(&root(), &[path, "-q"], b"");
    if direct.code == 2 {
        return None; // Not readable at all (a fixture of a fatal error).
    }
    let src = posts(&direct.stdout);
    let dump = run(&[path, "-q", "--to", "text"], b"").stdout;
    let back = run(&["-", "-q", "--no-dedup", "--from", "text"], dump.as_bytes());
    assert_eq!(back.code, 0, "{path}: reading the dump back: {}", back.stderr);
    let back = posts(&back.stdout);
    assert_eq!(back.len(), src.len(), "{path}: post count\n{dump}");
    let mut wrong = Vec::new();
    for i in 0..src.len() {
        for d in differences(&src, &back, i) {
            wrong.push(format!("{path} post #{i}: {d}"));
        }
    }
    assert!(wrong.is_empty(), "{}\n(dump:\n{dump})", wrong.join("\n"));
    Some((src, back, dump))
}

#[test]
fn every_fixture_reads_back_from_text() {
    let mut checked = (0, 0);
    let mut seen = [0usize; 6];
    for input in inputs() {
        let Some((src, back, _)) = round_trip(input.to_str().unwrap()) else { continue };
        checked.0 += 1;
        checked.1 += src.len();
        for (i, p) in src.iter().enumerate() {
            let n = |k: &str| usize::from(!p[k].is_null());
            seen[0] += n("date");
            seen[1] += n("reply_to");
            seen[2] += usize::from(!back[i]["reply_to"].is_null() && target(&back, i).is_some());
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

/// Texts, names and quotes that look like the dump's own lines (headers,
/// placeholders, footers, dates, service lines, the signature, the escape
/// character, blank lines, a reply-like start) do not break segmentation:
/// they are escaped, and come back as they were.
#[test]
fn texts_that_look_like_markers_read_back() {
    let looks_like = [
        "Forwarded from X",
        "Media is too big",
        "VIEW IN TELEGRAM",
        "Please open Telegram to view this post",
        "This media is not supported in your browser",
        "2 views 07:33",
        "07:33",
        "edited",
        "July 3, 2023",
        "July 3",
        "Channel created",
        "Service message",
        "Service message: create_group",
        "Media: photo",
        "Unsupported post",
        "No posts found",
        "—",
        "❤1",
        "tgnorm text dump v1 (posts between blank lines; a line opening with U+200B is text)",
        "Alice\nHello there, this looks like a reply header",
        "first\n\n\nafter blank lines",
        "2 views 07:33 UTC+03:00",
    ];
    let template: Value = serde_json::from_str(
        r#"{"chat":null,"id":null,"kind":"message","date":null,"edited":null,"edited_at":null,"from":null,"author":null,"forwarded_from":null,"reply_to":null,"via_bot":null,"text":"","entities":[],"media":[],"service":null,"reactions":[],"views":null,"source":{"format":"jsonl","file":"x","line":1},"cleaned":[]}"#,
    )
    .unwrap();
    let mut jsonl = String::new();
    for (i, text) in looks_like.iter().enumerate() {
        let mut p = template.clone();
        p["text"] = (*text).into();
        p["id"] = (i as i64 + 1).into();
        p["date"] = format!("2024-01-0{}T0{}:3{}:00+03:00", i % 9 + 1, i % 10, i % 10).into();
        p["chat"] = serde_json::json!({"name": looks_like[(i + 1) % looks_like.len()].replace('\n', " "), "id": null, "username": null, "type": null});
        jsonl.push_str(&format!("{p}\n"));
        // The same text as a reply quote and a forward name, after it.
        let mut q = template.clone();
        q["id"] = (i as i64 + 100).into();
        q["text"] = "ok".into();
        q["forwarded_from"] = serde_json::json!({"name": text.replace('\n', " "), "id": null, "username": null, "message_id": null, "date": null});
        q["reply_to"] = serde_json::json!({"message_id": null, "author": text.replace('\n', " "), "quote": text.replace('\n', " ")});
        jsonl.push_str(&format!("{q}\n"));
    }
    let d = scratch("text-markers");
    std::fs::write(d.join("markers.jsonl"), &jsonl).unwrap();
    let (src, back, dump) = round_trip(d.join("markers.jsonl").to_str().unwrap()).unwrap();
    assert_eq!(src.len(), looks_like.len() * 2);
    assert!(dump.contains("\u{200B}Forwarded from X\n"), "{dump}");
    // Forward names and reply authors that look like markers: the forward
    // header still reads as one, an author that cannot be written plainly
    // is shown as `Unknown`.
    assert_eq!(back[1]["forwarded_from"]["name"], "Forwarded from X");
}
