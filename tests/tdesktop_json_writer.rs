//! Issue 11 for the tdesktop-json writer: every reader's posts through
//! `--to tdesktop-json` give a file `tgnorm validate` accepts and that reads
//! back to the same posts; several chats give a full-account export whose
//! chats stay apart; control characters are JSON escapes by default; rich
//! messages keep their raw value, show their text, and go back as they came.

use crate::util::{assert_accounting, root, scratch, summary, tgnorm_in, tgnorm_raw};
use serde_json::Value;
use std::path::Path;

/// The text passes are off with `--to tdesktop-json`; the originals are read
/// the same way to compare.
const NO_TEXT_PASSES: [&str; 3] = ["--no-unicode", "--no-emoji", "--no-whitespace"];

fn run(args: &[&str]) -> crate::util::RawRun {
    tgnorm_raw(&root(), args, b"")
}

fn posts(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A post as the comparison sees it: `source` is where it was read from,
/// and an id the writer had to assign is not the source's.
fn comparable(mut p: Value, original_id: &Value) -> Value {
    let assigned =
        p["source"]["flags"].as_array().is_some_and(|f| f.iter().any(|f| f == "id_assigned"));
    if assigned && original_id.is_null() {
        p["id"] = Value::Null;
    }
    p.as_object_mut().unwrap().remove("source");
    p
}

/// One input through the writer: valid, counted, and the same posts back.
/// Returns the written export.
fn check(input: &str, from: Option<&str>, dir: &Path) -> Value {
    let mut args = vec![input, "-q"];
    args.extend(NO_TEXT_PASSES);
    if let Some(f) = from {
        args.extend(["--from", f]);
    }
    let first = run(&args);
    assert_eq!(first.code, 0, "{input}: {}", first.stderr);
    let original = posts(&first.stdout);
    let dated: Vec<&Value> =
        original.iter().filter(|p| !p["date"].is_null() || p["kind"] == "unsupported").collect();

    let (out, sum) = (dir.join("out.json"), dir.join("summary.json"));
    let mut args = vec![input, "-q", "--to", "tdesktop-json", "-o", s(&out), "--summary", s(&sum)];
    if let Some(f) = from {
        args.extend(["--from", f]);
    }
    let written = run(&args);
    let all_dated = dated.len() == original.len();
    assert_eq!(written.code, if all_dated { 0 } else { 1 }, "{input}: {}", written.stderr);
    let sm = summary(&sum);
    assert_accounting(input, &sm);
    assert_eq!(sm["written"], dated.len() as u64, "{input}");
    assert_eq!(sm["rejected"], (original.len() - dated.len()) as u64, "{input}");

    let valid = run(&["validate", s(&out)]);
    let report = String::from_utf8_lossy(&valid.stdout).into_owned() + &valid.stderr;
    assert_eq!(valid.code, 0, "{input}: {report}");
    assert!(report.contains(" 0 errors"), "{input}: {report}");

    let mut args = vec![s(&out), "-q"];
    args.extend(NO_TEXT_PASSES);
    let back = run(&args);
    assert_eq!(back.code, 0, "{input}: {}", back.stderr);
    let back = posts(&back.stdout);
    assert_eq!(back.len(), dated.len(), "{input}");
    for (before, after) in dated.into_iter().zip(back) {
        let id = &before["id"];
        assert_eq!(comparable(before.clone(), id), comparable(after, id), "{input}");
    }
    serde_json::from_slice(&std::fs::read(&out).unwrap()).expect("valid JSON")
}

/// Every message of a written export has the keys real exports always have.
fn assert_telegram_keys(export: &Value, what: &str) {
    let chats: Vec<&Value> = match export["chats"]["list"].as_array() {
        Some(list) => list.iter().collect(),
        None => vec![export],
    };
    for chat in chats {
        for m in chat["messages"].as_array().unwrap() {
            assert!(m["id"].is_i64(), "{what}: {m}");
            if m["type"] == "message" {
                for key in ["date", "date_unixtime", "from", "from_id", "text", "text_entities"] {
                    assert!(m.get(key).is_some(), "{what}: no {key} in {m}");
                }
                assert_ne!(m["date"], "1970-01-01T00:00:00", "{what}");
            }
        }
    }
}

#[test]
fn every_reader_through_tdesktop_json_is_valid_and_reads_back() {
    let dir = scratch("tdjson-writer-matrix");
    let jsonl = dir.join("posts.jsonl");
    let made = run(&["fixtures/tdesktop-html/teleaudio-2025", "-q", "-o", s(&jsonl)]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let inputs: [(&str, Option<&str>); 10] = [
        ("fixtures/text/rusembindia-2024/input.txt", None),
        ("fixtures/text/scraper-album-2023/input.txt", None),
        ("fixtures/web/mchs-bryansk-2024/input.html", None),
        ("fixtures/web/synthetic-2024/input.html", None),
        ("fixtures/tdesktop-html/civil-updates-2023", None),
        ("fixtures/tdesktop-html/hand-quirks-2024", None),
        ("fixtures/tdesktop-html/account-export", None),
        ("fixtures/tdesktop/salaf-channel-rtl/result.json", None),
        ("fixtures/tdesktop/full-export/result.json", None),
        (s(&jsonl), Some("jsonl")),
    ];
    for (input, from) in inputs {
        let export = check(input, from, &dir);
        assert_telegram_keys(&export, input);
    }
}

/// Media from HTML exports and web pages in Telegram's own keys (what other
/// tools read), the rest of each entry under `tgnorm`.
#[test]
fn media_go_in_telegrams_keys() {
    let dir = scratch("tdjson-writer-media");
    let export = check("fixtures/web/synthetic-2024/input.html", None, &dir);
    let messages = export["messages"].as_array().unwrap();
    let native = ["photo", "file", "media_type", "location_information", "poll"];
    let with_media = messages.iter().filter(|m| native.iter().any(|k| m.get(k).is_some())).count();
    assert!(with_media > 0);
    let located = messages.iter().find(|m| m.get("location_information").is_some());
    if let Some(m) = located {
        assert!(m["location_information"]["latitude"].is_number(), "{m}");
    }
    let export = check("fixtures/tdesktop-html/civil-updates-2023", None, &dir);
    let files = export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["file"].as_str().is_some_and(|f| f.starts_with("(File not included")))
        .count();
    assert!(files > 0, "documents of the HTML export are in `file`");
    let export = check("fixtures/web/tchantest-poll/input.html", None, &dir);
    let poll = &export["messages"][0]["poll"];
    assert_eq!(poll["question"], "Let's do a quick poll quizz mode", "{poll}");
    assert_eq!(poll["answers"][0]["text"], "Opt1", "{poll}");
    let export = check("fixtures/tdesktop-html/hand-quirks-2024", None, &dir);
    let contact = export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m.get("contact_information"))
        .expect("the HTML contact in Telegram's key");
    assert!(contact["phone_number"].is_string(), "{contact}");
}

/// Two single-chat exports in, one full-account export out: each chat with
/// its own name, id and messages, read back apart.
#[test]
fn two_chats_become_a_full_account_export() {
    let dir = scratch("tdjson-writer-chats");
    let out = dir.join("out.json");
    let a = "fixtures/tdesktop/pachum-channel/result.json";
    let b = "fixtures/tdesktop/salaf-channel-rtl/result.json";
    let written = run(&[a, b, "-q", "--to", "tdesktop-json", "-o", s(&out)]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let export: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(export.get("messages").is_none());
    let list = export["chats"]["list"].as_array().unwrap();
    let each: Vec<(&Value, usize)> =
        list.iter().map(|c| (&c["id"], c["messages"].as_array().unwrap().len())).collect();
    for (chat, (file, count)) in list.iter().zip([(a, 3), (b, 213)]) {
        let source: Value = serde_json::from_slice(&std::fs::read(root().join(file)).unwrap())
            .expect("source is JSON");
        assert_eq!((&chat["name"], &chat["type"]), (&source["name"], &source["type"]));
        assert_eq!(chat["messages"].as_array().unwrap().len(), count, "{each:?}");
        assert_eq!(chat["messages"], source["messages"], "{file}: the messages as they were");
    }
    let valid = run(&["validate", s(&out)]);
    assert_eq!(valid.code, 0, "{}", String::from_utf8_lossy(&valid.stdout));
    let back = posts(&run(&[s(&out), "-q"]).stdout);
    let separate: Vec<Value> = [a, b].iter().flat_map(|f| posts(&run(&[f, "-q"]).stdout)).collect();
    assert_eq!(back.len(), separate.len());
    for (x, y) in back.into_iter().zip(separate) {
        assert_eq!(x["chat"], y["chat"]);
        assert_eq!(comparable(x, &Value::Null), comparable(y, &Value::Null));
    }
}

/// `\xHH` only on request; by default the file is JSON.
#[test]
fn control_characters_are_json_escapes_by_default() {
    let file = "fixtures/tdesktop/repairs-2022/result.json";
    let json = run(&[file, "-q", "--to", "tdesktop-json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let text = String::from_utf8(json.stdout.clone()).unwrap();
    assert!(!text.contains("\\x") && text.contains("\\u000b"), "{text}");
    serde_json::from_slice::<Value>(&json.stdout).expect("valid JSON");
    let raw = run(&[file, "-q", "--to", "tdesktop-json", "--tdesktop-escapes"]);
    assert!(String::from_utf8(raw.stdout).unwrap().contains("\\x0B"));
}

/// A rich message shows its text (flagged, raw value kept) and goes back
/// byte for byte, straight or through JSONL.
#[test]
fn rich_messages_show_their_text_and_go_back_as_they_came() {
    let file = "fixtures/tdjson-writer/rich-2026/result.json";
    let read = run(&[file, "-q"]);
    assert_eq!(read.code, 0, "{}", read.stderr);
    let p = posts(&read.stdout);
    assert_eq!(p[0]["text"], "plain message before");
    assert_eq!(p[0]["source"].get("flags"), None);
    assert_eq!(
        p[1]["text"],
        "Release checklist\nShip v2.0 on Friday.\n[x] tests green\n[ ] notes written\n1. tag\n\
         2. publish\nDone is better than perfect.\ngit tag v2.0\nWhy Friday?\nFewer users online.\n\
         The board\nAnn\nowner\nAnn"
    );
    let kinds: Vec<&Value> =
        p[1]["entities"].as_array().unwrap().iter().map(|e| &e["type"]).collect();
    assert_eq!(kinds, ["bold", "text_link", "italic", "pre", "mention_name"]);
    assert_eq!(p[1]["entities"][1]["href"], "https://example.org/plan");
    assert_eq!(p[1]["entities"][3]["language"], "sh");
    assert_eq!(p[1]["entities"][4]["user_id"], 1001);
    assert_eq!(p[1]["source"]["flags"], serde_json::json!(["rich_message"]));
    assert_eq!(p[1]["extra"]["rich_message"]["blocks"][0]["level"], 2);
    // A block kind and a rich-text kind tgnorm does not know give their text.
    assert_eq!(p[2]["text"], "a future block follows\nLunch?\nbc\nd");
    assert_eq!(p[2]["entities"], serde_json::json!([{"type": "code", "offset": 31, "length": 1}]));

    // Telegram Desktop writes no `text` for a rich message: still valid.
    let valid = run(&["validate", file]);
    assert_eq!(valid.code, 0, "{}{}", String::from_utf8_lossy(&valid.stdout), valid.stderr);

    let original = std::fs::read(root().join(file)).unwrap();
    let back = run(&[file, "-q", "--to", "tdesktop-json"]);
    assert!(back.stdout == original, "{}", String::from_utf8_lossy(&back.stdout));
    let through = tgnorm_raw(&root(), &["-", "-q", "--to", "tdesktop-json"], &read.stdout);
    assert!(through.stdout == original, "{}", String::from_utf8_lossy(&through.stdout));
}

/// `validate` accepts `rich_message` in place of `text`, and still
/// reports a message with neither, or a rich message without blocks.
#[test]
fn validate_takes_rich_message_instead_of_text() {
    let file = "fixtures/tdjson-writer/rich-2026/result.json";
    let export = std::fs::read_to_string(root().join(file)).unwrap();
    let dir = scratch("tdjson-writer-rich-validate");
    let cases = [
        ("\"rich_message\": {\n    \"rtl\": false,\n    \"part\": false,", "\"other\": {",
            "result.json:21:3: /messages/1: missing key \"text\" (a message must have it)"),
        ("\"part\": true,\n    \"blocks\"", "\"part\": true,\n    \"blockz\"",
            "result.json:245:20: /messages/2/rich_message: missing key \"blocks\" (a rich message must have it)"),
    ];
    for (old, new, expected) in cases {
        assert_eq!(export.matches(old).count(), 1, "{old}");
        std::fs::write(dir.join("result.json"), export.replacen(old, new, 1)).unwrap();
        let run = tgnorm_in(&dir, &["validate", "result.json"], b"");
        assert_eq!(run.stdout, format!("{expected}\n"), "{old} → {new}");
        assert_eq!(run.code, 1);
    }
}

/// A post the writer cannot hold is a rejection like a bad record: in
/// `--rejects` with its position, and `--strict` stops at it.
#[test]
fn dateless_posts_are_rejected_with_their_positions() {
    let dir = scratch("tdjson-writer-rejects");
    let (out, rejects) = (dir.join("out.json"), dir.join("rejects.jsonl"));
    let input = "fixtures/text/rusembindia-2024/input.txt";
    let run1 =
        run(&[input, "-q", "--to", "tdesktop-json", "-o", s(&out), "--rejects", s(&rejects)]);
    assert_eq!(run1.code, 1, "{}", run1.stderr);
    let rejected = posts(&std::fs::read(&rejects).unwrap());
    let mut args = vec![input, "-q"];
    args.extend(NO_TEXT_PASSES);
    let original = posts(&run(&args).stdout);
    let dateless: Vec<&Value> =
        original.iter().filter(|p| p["date"].is_null() && p["kind"] != "unsupported").collect();
    assert!(dateless.len() > 10 && dateless.len() < original.len(), "{}", dateless.len());
    assert_eq!(rejected.len(), dateless.len());
    for (r, p) in rejected.iter().zip(dateless) {
        assert_eq!(r["file"], input);
        assert_eq!(r["line"], p["source"]["line"], "{r}");
        assert!(r["error"].as_str().unwrap().starts_with("post without a date"), "{r}");
    }
    let strict = run(&[input, "--strict", "--to", "tdesktop-json", "-o", s(&out)]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(strict.stderr.contains("post without a date"), "{}", strict.stderr);
}
