//! Text dumps: fixture in, exact JSONL out; the rusembindia oracle; encodings.

use crate::util::*;
use serde_json::Value;

/// Every `fixtures/text/<case>/input.txt` against its `expected.jsonl`.
#[test]
fn golden_text_fixtures() {
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("fixtures/text")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("input.txt").exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let sum = scratch(&format!("golden-{name}")).join("summary.json");
        let run = tgnorm_in(&dir, &["input.txt", "--summary", sum.to_str().unwrap()], b"");
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_snapshot(&format!("fixtures/text/{name}/expected.jsonl"), &run.stdout);
        assert_schema_valid(&name, &run.stdout);
        assert_accounting(&name, &summary(&sum));
        cases += 1;
    }
    assert!(cases >= 5, "only {cases} text fixtures found");
}

fn posts(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The 15 posts of `expected_segmentation.json` (docs/web-preview-format.md §7).
#[test]
fn rusembindia_matches_the_oracle() {
    let dir = root().join("fixtures/text/rusembindia-2024");
    let oracle: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected_segmentation.json")).unwrap(),
    )
    .unwrap();
    let sum = scratch("oracle").join("summary.json");
    let run =
        tgnorm_in(&dir, &["input.txt", "--emoji", "keep", "--summary", sum.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got = posts(&run.stdout);
    let want = oracle["posts"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let n = &w["post"];
        assert_eq!(g["source"]["line"], w["start_line"], "post {n} start");
        assert_eq!(g["source"]["end_line"], w["end_line"], "post {n} end");
        assert_eq!(g["kind"], w["kind"], "post {n} kind");
        assert_eq!(g["forwarded_from"]["name"], w["forwarded_from"]["name"], "post {n} forward");
        let text = w["text"].as_str().unwrap_or("");
        assert_eq!(g["text"].as_str().unwrap(), text, "post {n} text");
        let media: Vec<(Value, Value)> = g["media"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["type"].clone(), m["status"].clone()))
            .collect();
        let want_media: Vec<(Value, Value)> = w["media"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["type"].clone(), m["status"].clone()))
            .collect();
        assert_eq!(media, want_media, "post {n} media");
        match w["repeat"].as_object() {
            Some(r) => {
                assert_eq!(g["source"]["repeat"]["kept"], r["first_copy"], "post {n} kept copy");
                assert_eq!(
                    g["source"]["repeat"]["dropped"], r["second_copy"],
                    "post {n} dropped copy"
                );
            }
            None => assert!(g["source"].get("repeat").is_none(), "post {n} has no repeat"),
        }
        if w["reply_to"].is_null() {
            assert!(g["reply_to"].is_null(), "post {n} reply");
        } else {
            assert_eq!(g["reply_to"]["author"], w["reply_to"]["author"], "post {n} reply author");
            assert_eq!(g["reply_to"]["quote"], w["reply_to"]["quote"], "post {n} reply quote");
            // Linked to the quoted post, which starts at line 17.
            let quoted = w["reply_to"]["quote_matches_post"].as_u64().unwrap() as usize;
            assert_eq!(
                g["reply_to"]["source_line"],
                want[quoted - 1]["start_line"],
                "post {n} link"
            );
        }
        assert!(g["source"].get("flags").is_none(), "post {n}: no doubt flags");
    }
    let s = summary(&sum);
    for (key, value) in [
        ("read", 15),
        ("written", 15),
        ("rejected", 0),
        ("boilerplate_lines", 10),
        ("repeated_bodies", 12),
        ("text_lines", 120),
    ] {
        assert_eq!(s[key], value, "summary {key}");
    }
    assert!(
        run.stderr.contains(
            "read 15 · written 15 · rejected 0 · boilerplate 10 lines · repeated bodies 12"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("text flavour input.txt: served-HTML dump"), "{}", run.stderr);
}

/// With the default `--emoji qualify` the only difference from `keep` is
/// added U+FE0F.
#[test]
fn rusembindia_qualify_only_adds_fe0f() {
    let dir = root().join("fixtures/text/rusembindia-2024");
    let keep = posts(&tgnorm_in(&dir, &["input.txt", "--emoji", "keep", "-q"], b"").stdout);
    let qualify = posts(&tgnorm_in(&dir, &["input.txt", "-q"], b"").stdout);
    let mut added = 0;
    for (k, q) in keep.iter().zip(&qualify) {
        let (k, q) = (k["text"].as_str().unwrap(), q["text"].as_str().unwrap());
        // Walk both: every difference must be a U+FE0F that qualify added.
        let mut kc = k.chars().peekable();
        for c in q.chars() {
            if kc.peek() == Some(&c) {
                kc.next();
            } else {
                assert_eq!(c, '\u{fe0f}', "qualify changed more than U+FE0F in {k:?}");
                added += 1;
            }
        }
        assert_eq!(kc.next(), None, "qualify dropped text from {k:?}");
    }
    assert!(added > 0, "🎙 and friends gain U+FE0F");
}

/// The same Russian dump as Windows-1251, KOI8-R, UTF-16 LE/BE with BOM,
/// CRLF, and UTF-8 with BOM and CR line ends gives the same posts.
#[test]
fn encodings_give_the_same_posts() {
    let dir = root().join("fixtures/text/encodings-ru");
    let strip_file = |s: &str| -> Vec<Value> {
        posts(s)
            .into_iter()
            .map(|mut p| {
                p["source"]["file"] = Value::Null;
                p
            })
            .collect()
    };
    let reference = strip_file(&tgnorm_in(&dir, &["input.txt", "-q"], b"").stdout);
    assert_eq!(reference.len(), 5);
    for twin in [
        "input.cp1251.txt",
        "input.koi8r.txt",
        "input.utf16le.txt",
        "input.utf16be.txt",
        "input.crlf.txt",
        "input.bom-cr.txt",
    ] {
        let run = tgnorm_in(&dir, &[twin], b"");
        assert_eq!(run.code, 0, "{twin}: {}", run.stderr);
        assert_eq!(strip_file(&run.stdout), reference, "{twin}");
    }
    // Detection is reported, and --encoding forces it.
    let run = tgnorm_in(&dir, &["input.cp1251.txt"], b"");
    assert!(run.stderr.contains("windows-1251 (guessed)"), "{}", run.stderr);
    let run = tgnorm_in(&dir, &["input.koi8r.txt", "--encoding", "koi8-r"], b"");
    assert!(run.stderr.contains("KOI8-R (--encoding)"), "{}", run.stderr);
    assert_eq!(strip_file(&run.stdout), reference);
}

/// Standard input works, and `-` names it.
#[test]
fn reads_stdin() {
    let run = tgnorm_in(&root(), &["-"], b"Forwarded from X\nHello there\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let p = posts(&run.stdout);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["source"]["file"], "-");
    assert_eq!(p[0]["text"], "Hello there");
}

/// Switching a structural pass off keeps its lines as text.
#[test]
fn passes_can_be_switched_off() {
    let dump = b"Forwarded from X\nMedia is too big\nVIEW IN TELEGRAM\nCaption";
    let on = posts(&tgnorm_in(&root(), &["-"], dump).stdout);
    assert_eq!(on[0]["text"], "Caption");
    let off = posts(&tgnorm_in(&root(), &["-", "--no-boilerplate", "--no-forward"], dump).stdout);
    assert_eq!(off[0]["text"], "Forwarded from X\nMedia is too big\nVIEW IN TELEGRAM\nCaption");
    assert!(off[0]["forwarded_from"].is_null());
    assert_eq!(off[0]["media"], serde_json::json!([]));
}

/// Emoji modes on flags, keycaps, skin tones, ZWJ sequences, text-default
/// emoji with and without U+FE0F, emoji touching words, prose symbols.
#[test]
fn emoji_modes() {
    let dir = root().join("fixtures/text/emoji");
    for mode in ["keep", "strip", "shortcode"] {
        let run = tgnorm_in(&dir, &["input.txt", "--emoji", mode, "-q"], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_snapshot(&format!("fixtures/text/emoji/expected-{mode}.jsonl"), &run.stdout);
        assert_schema_valid(mode, &run.stdout);
    }
    let keep = posts(&tgnorm_in(&dir, &["input.txt", "--emoji", "keep", "-q"], b"").stdout);
    let input = std::fs::read_to_string(dir.join("input.txt")).unwrap();
    let body: Vec<&str> = input.lines().skip(1).collect();
    assert_eq!(keep[0]["text"], body.join("\n").replacen("\u{fe0f}Orphan", "Orphan", 0).trim_end());
    let qualify = posts(&tgnorm_in(&dir, &["input.txt", "-q"], b"").stdout);
    let text = qualify[0]["text"].as_str().unwrap();
    assert!(text.contains("🎙\u{fe0f}Foreign"), "🎙 gains U+FE0F");
    assert!(text.contains("🇷🇺🇮🇳"), "flags stay whole");
    assert!(text.contains("👨\u{200d}👩\u{200d}👧\u{200d}👦"), "ZWJ family whole");
    assert!(text.contains("©2024"), "prose symbols unchanged");
    assert!(text.contains("\nOrphan selector"), "stray U+FE0F dropped");
    let strip = posts(&tgnorm_in(&dir, &["input.txt", "--emoji", "strip", "-q"], b"").stdout);
    let text = strip[0]["text"].as_str().unwrap();
    assert!(
        !text.contains("  ") && !text.contains("\n\n"),
        "strip leaves no double spaces or empty lines"
    );
}
