//! Telegram Desktop `result.json`: the reader on every corpus file, the
//! writer's round trips, repairs, and bad input. Runs the real binary on
//! `fixtures/tdesktop/` (see its README for where each file came from).
//!
//! `BLESS=1 cargo test` rewrites the snapshot under `tests/snapshots/tdesktop_json/`.

use serde_json::Value;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Local helpers (the runner itself is `util::tgnorm_raw`).

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

use crate::util::{file_report, root};

/// Runs `tgnorm ARGS` in the project root with `stdin`.
fn tgnorm(args: &[&str], stdin: &[u8]) -> Out {
    let run = crate::util::tgnorm_raw(&root(), args, stdin);
    Out { code: run.code, stdout: run.stdout, stderr: run.stderr }
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tgnorm-tdjson-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn summary(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn jsonl(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn without_source(mut posts: Vec<Value>) -> Vec<Value> {
    for p in &mut posts {
        p.as_object_mut().unwrap().remove("source");
    }
    posts
}

const CORPUS: [&str; 7] = [
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/tdesktop/salaf-channel-rtl/result.json",
    "fixtures/tdesktop/ragtgbot-group/result.json",
    "fixtures/tdesktop/tg2md-2020/result.json",
    "fixtures/tdesktop/tg2md-2021/result.json",
    "fixtures/tdesktop/innerdvations-parser-tests/saved.json",
    "fixtures/tdesktop/innerdvations-parser-tests/public_channel.json",
];

/// Messages a valid fixture holds, counted by an ordinary JSON parser.
fn message_count(file: &str) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(root().join(file)).unwrap()).unwrap();
    v["messages"].as_array().unwrap().len() as u64
}

// ---------------------------------------------------------------------------
// Reading.

#[test]
fn every_corpus_file_reads_whole() {
    let dir = scratch("counts");
    for file in CORPUS {
        let sum = dir.join("summary.json");
        let out = tgnorm(&[file, "-q", "--summary", s(&sum)], b"");
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
        let sm = summary(&sum);
        let n = message_count(file);
        assert_eq!(sm["read"], n, "{file}");
        assert_eq!(sm["rejected"], 0, "{file}");
        assert_eq!(sm["duplicates"], 0, "{file}");
        assert_eq!(sm["read"], sm["written"].as_u64().unwrap() + sm["rejected"].as_u64().unwrap());
        let posts = jsonl(&out.stdout);
        assert_eq!(posts.len() as u64, n, "{file}");
        for p in &posts {
            assert_eq!(p["source"]["format"], "tdesktop-json");
            assert!(p["id"].is_i64(), "{file}: {p}");
        }
    }
}

#[test]
fn error_unexpected_rejections_are_pinned() {
    let dir = scratch("rejects");
    let rejects = dir.join("rejects.jsonl");
    let sum = dir.join("summary.json");
    let file = "fixtures/tdesktop/innerdvations-parser-tests/error-unexpected.json";
    let out = tgnorm(&[file, "-q", "--rejects", s(&rejects), "--summary", s(&sum)], b"");
    assert_eq!(out.code, 1, "some records are rejected: {}", out.stderr);
    let got = std::fs::read_to_string(&rejects).unwrap();
    let snap = root().join("tests/snapshots/tdesktop_json/error-unexpected.rejects.jsonl");
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, &got).unwrap();
    }
    let want = std::fs::read_to_string(&snap).expect("snapshot (BLESS=1 to create)");
    assert_eq!(got, want, "rejections changed; BLESS=1 and review the diff");
    // Every rejection names the message: its index, its line, and its id
    // whenever the message has one.
    for r in jsonl(got.as_bytes()) {
        assert!(r["index"].is_u64() && r["line"].is_u64() && r["pointer"].is_string(), "{r}");
        let e = r["error"].as_str().unwrap();
        assert!(e.starts_with("message ") || e.contains("without `id`"), "{e}");
    }
    let sm = summary(&sum);
    assert_eq!(sm["read"], 16);
    assert_eq!(sm["rejected"], 5);
    assert_eq!(
        sm["read"],
        sm["written"].as_u64().unwrap()
            + sm["rejected"].as_u64().unwrap()
            + sm["duplicates"].as_u64().unwrap()
    );
}

#[test]
fn error_unexpected_strict_stops_at_the_first() {
    let file = "fixtures/tdesktop/innerdvations-parser-tests/error-unexpected.json";
    let out = tgnorm(&[file, "--strict", "-q"], b"");
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("error-unexpected.json:5:3"), "{}", out.stderr);
    assert!(out.stderr.contains("unknown message type"), "{}", out.stderr);
}

#[test]
fn repairs_are_counted_with_their_first_position() {
    let dir = scratch("repairs");
    let sum = dir.join("summary.json");
    let file = "fixtures/tdesktop/repairs-2022/result.json";
    let out = tgnorm(&[file, "--summary", s(&sum), "--no-unicode"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sm = summary(&sum);
    assert_eq!(sm["read"], 2);
    let report = file_report(&sm, file);
    let want = serde_json::json!([
        {"kind": "x-escape", "count": 3, "line": 19, "column": 29},
        {"kind": "unquoted-document-id", "count": 1, "line": 17, "column": 21}
    ]);
    assert_eq!(report["repairs"], want);
    assert_eq!(sm["repairs"], 4);
    let note = report["notes"]["repair"].as_str().unwrap();
    assert_eq!(
        note,
        "3 × \\xHH escape first at line 19 col 29; 1 × unquoted document_id first at line 17 col 21"
    );
    assert!(out.stderr.contains(note));
    let posts = jsonl(&out.stdout);
    assert_eq!(posts[0]["entities"][0]["document_id"], "video_files/sticker (2).webm");
    assert_eq!(posts[0]["text"], "😮tab\there, vertical tab\u{b}there");
    assert_eq!(posts[1]["extra"]["inline_bot_buttons"][0][0]["data"], "\u{0}");
    // The default unicode pass strips the control characters from the text.
    let cleaned = jsonl(&tgnorm(&[file, "-q"], b"").stdout);
    assert_eq!(cleaned[0]["text"], "😮tab\there, vertical tabthere");
}

#[test]
fn repaired_file_writes_back_with_its_own_escapes() {
    let file = "fixtures/tdesktop/repairs-2022/result.json";
    let out = tgnorm(&[file, "--to", "tdesktop-json", "-q", "--tdesktop-escapes"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let original = std::fs::read_to_string(root().join(file)).unwrap();
    // With --tdesktop-escapes, `\xHH` is what the source had, so it is what
    // comes back; the unquoted document_id comes back quoted (the only change).
    let fixed = original.replace(
        "\"document_id\": video_files/sticker (2).webm",
        "\"document_id\": \"video_files/sticker (2).webm\"",
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), fixed);
    // By default the same bytes, but JSON: `\u00hh` for every `\xHH`.
    let out = tgnorm(&[file, "--to", "tdesktop-json", "-q"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json =
        fixed.replace("\\x0B", "\\u000b").replace("\\x01", "\\u0001").replace("\\x00", "\\u0000");
    assert_eq!(String::from_utf8(out.stdout.clone()).unwrap(), json);
    serde_json::from_slice::<Value>(&out.stdout).expect("valid JSON");
}

#[test]
fn full_export_reads_every_chat_and_skips_the_rest() {
    let dir = scratch("full");
    let sum = dir.join("summary.json");
    let file = "fixtures/tdesktop/full-export/result.json";
    let out = tgnorm(&[file, "--summary", s(&sum), "-q"], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let posts = jsonl(&out.stdout);
    assert_eq!(posts.len(), 4);
    let chats: Vec<&Value> = posts.iter().map(|p| &p["chat"]["id"]).collect();
    assert_eq!(chats, ["user5", "channel77", "channel77", "channel99"]);
    assert_eq!(posts[0]["date"], "2024-01-01T03:00:00+03:00");
    assert_eq!(posts[0]["reply_to"]["message_id"], 9);
    assert_eq!(posts[1]["id"], -999999939);
    assert_eq!(posts[1]["service"]["action"], "migrate_to_supergroup");
    assert_eq!(posts[2]["forwarded_from"]["id"], "channel3397140320");
    assert_eq!(posts[2]["media"][0]["type"], "location");
    assert_eq!(posts[2]["media"][0]["extra"]["location_information"]["latitude"], 55.75);
    assert_eq!(posts[3]["kind"], "unsupported");
    assert_eq!(posts[3]["source"]["index"], 3);
    let sm = summary(&sum);
    let report = file_report(&sm, file);
    let skipped = report["notes"]["skipped"].as_str().unwrap();
    let sections: Vec<&str> =
        report["skipped"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(sections.contains(&"personal_information") && sections.contains(&"other_data"));
    assert!(
        skipped.contains("personal_information") && skipped.contains("other_data"),
        "{skipped}"
    );
    // The \x07 in the skipped bio is repaired (and counted) on the way past.
    assert!(report["notes"]["repair"].as_str().unwrap().starts_with("1 × \\xHH"));
    assert_eq!(report["repairs"][0]["kind"], "x-escape");
}

// ---------------------------------------------------------------------------
// Writing.

#[test]
fn current_exports_round_trip_byte_for_byte() {
    for file in [
        "fixtures/tdesktop/pachum-channel/result.json",
        "fixtures/tdesktop/salaf-channel-rtl/result.json",
        // Older writers happen to come back byte for byte too.
        "fixtures/tdesktop/tg2md-2020/result.json",
        "fixtures/tdesktop/tg2md-2021/result.json",
        "fixtures/tdesktop/innerdvations-parser-tests/public_channel.json",
    ] {
        let out = tgnorm(&[file, "--to", "tdesktop-json"], b"");
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
        let original = std::fs::read(root().join(file)).unwrap();
        assert!(out.stdout == original, "{file} did not come back byte for byte");
    }
}

#[test]
fn older_exports_round_trip_as_json_values() {
    for file in CORPUS {
        let out = tgnorm(&[file, "--to", "tdesktop-json", "-q"], b"");
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
        let a: Value = serde_json::from_slice(&std::fs::read(root().join(file)).unwrap()).unwrap();
        let b: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        assert_eq!(a, b, "{file}");
    }
}

#[test]
fn jsonl_to_tdesktop_json_to_jsonl_is_the_identity() {
    let dir = scratch("identity");
    let mut inputs: Vec<&str> = CORPUS.to_vec();
    inputs.push("fixtures/tdesktop/full-export/result.json");
    for file in inputs {
        let a = dir.join("a.jsonl");
        let b = dir.join("b.json");
        assert_eq!(tgnorm(&[file, "-q", "-o", s(&a)], b"").code, 0, "{file}");
        let out = tgnorm(&[s(&a), "--to", "tdesktop-json", "-q", "-o", s(&b)], b"");
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
        let c = tgnorm(&[s(&b), "-q"], b"");
        assert_eq!(c.code, 0, "{file}: {}", c.stderr);
        let first = without_source(jsonl(&std::fs::read(&a).unwrap()));
        let back = without_source(jsonl(&c.stdout));
        assert_eq!(first.len(), back.len(), "{file}");
        for (x, y) in first.iter().zip(&back) {
            assert_eq!(x, y, "{file}");
        }
    }
}

/// A text dump has no dates: its posts are rejected with their positions
/// (never written with a made-up date); given dates, its posts get ids
/// numbered in input order and a derived sender id, and read back the same.
#[test]
fn text_dump_posts_need_dates_and_get_numbered_ids() {
    let dump = "Forwarded from Russian MFA 🇷🇺\n🎙 Remarks\n\nMedia is too big\nVIEW IN TELEGRAM\nCaption here\n";
    let dir = scratch("dump");
    let sum = dir.join("summary.json");
    let out = tgnorm(
        &["-", "--from", "text", "--to", "tdesktop-json", "--summary", s(&sum)],
        dump.as_bytes(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("rejected: -:1: post without a date"), "{}", out.stderr);
    assert!(out.stderr.contains("rejected: -:4: post without a date"), "{}", out.stderr);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\n \"name\": null,\n \"type\": null,\n \"messages\": []\n}"
    );
    let sm = summary(&sum);
    assert_eq!((sm["read"].as_u64(), sm["rejected"].as_u64()), (Some(2), Some(2)));
    crate::util::assert_accounting("dump", &sm);

    let opts = ["--no-unicode", "--no-emoji", "--no-whitespace"];
    let mut args = vec!["-", "--from", "text", "-q"];
    args.extend(opts);
    let mut raw = without_source(jsonl(&tgnorm(&args, dump.as_bytes()).stdout));
    let mut dated = Vec::new();
    for (i, p) in raw.iter_mut().enumerate() {
        p["date"] = Value::from(format!("2024-07-0{}T10:00:00+05:30", i + 1));
        p["source"] = serde_json::json!({"format": "text", "file": "-"});
        dated.extend_from_slice(serde_json::to_string(p).unwrap().as_bytes());
        dated.push(b'\n');
    }
    let out = tgnorm(&["-", "--to", "tdesktop-json", "-q"], &dated);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let export: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let messages = export["messages"].as_array().unwrap();
    assert_eq!(messages.len(), raw.len());
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m["id"], i as u64 + 1);
        assert_eq!(m["date"], format!("2024-07-0{}T10:00:00", i + 1));
        assert!(m["date_unixtime"].is_string(), "{m}");
        assert_eq!(
            (&m["from"], &m["tgnorm"]["derived"]),
            (&Value::Null, &serde_json::json!(["from", "from_id"]))
        );
        let from_id = m["from_id"].as_str().unwrap();
        assert!(from_id.starts_with("user"), "{m}");
        assert!(tgnorm::format::tdesktop_json::is_derived_peer_id(from_id), "{m}");
    }
    let mut args = vec!["-", "-q"];
    args.extend(opts);
    let mut back = without_source(jsonl(&tgnorm(&args, &out.stdout).stdout));
    for (i, p) in back.iter_mut().enumerate() {
        assert_eq!(p["id"], i as u64 + 1);
        p["id"] = Value::Null;
    }
    let raw = without_source(raw);
    assert_eq!(back, raw);
}

// ---------------------------------------------------------------------------
// Bad input: clear errors with positions, never a panic.

fn message(body: &str) -> String {
    format!("{{\n \"messages\": [\n  {body}\n ]\n}}")
}

#[test]
fn deep_nesting_is_a_rejection_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let input = message(&format!(
        "{{\"id\": 1, \"type\": \"message\", \"date\": \"2024-01-01T00:00:00\", \"x\": {deep}, \"text\": \"\"}},\n  {{\"id\": 2, \"type\": \"unsupported\"}}"
    ));
    let out = tgnorm(&["-", "--from", "tdesktop-json"], input.as_bytes());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("<stdin>:3:") || out.stderr.contains("-:3:"), "{}", out.stderr);
    assert!(out.stderr.contains("recursion limit"), "{}", out.stderr);
    assert_eq!(jsonl(&out.stdout).len(), 1);
}

#[test]
fn huge_numbers_and_strings() {
    let big = "x".repeat(5_000_000);
    let input = message(&format!(
        "{{\"id\": 123456789012345678901234567890, \"type\": \"unsupported\"}},\n  {{\"id\": 2, \"type\": \"message\", \"date\": \"2024-01-01T00:00:00\", \"n\": 1e999, \"text\": \"{big}\"}},\n  {{\"id\": 3, \"type\": \"message\", \"date\": \"2024-01-01T00:00:00\", \"file\": \"f\", \"file_size\": 18446744073709551616, \"text\": \"\"}}"
    ));
    let out = tgnorm(&["-", "-q", "--rejects", "/dev/stderr"], input.as_bytes());
    assert_eq!(out.code, 1);
    let posts = jsonl(&out.stdout);
    assert_eq!(posts.len(), 0, "{}", out.stderr);
    assert!(out.stderr.contains("\"line\":3"), "{}", out.stderr);
    assert!(
        out.stderr.contains("message 3: `file_size` must be a non-negative integer"),
        "{}",
        out.stderr
    );
}

#[test]
fn truncated_file_names_its_position() {
    let full = std::fs::read(root().join("fixtures/tdesktop/pachum-channel/result.json")).unwrap();
    let cut = &full[..full.len() * 3 / 4];
    let out = tgnorm(&["-"], cut);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("unexpected end of file inside message #1, which starts at line 167"),
        "{}",
        out.stderr
    );
    // The first message is complete and is written.
    assert_eq!(jsonl(&out.stdout).len(), 1);
}

#[test]
fn wrong_types_are_clear_errors() {
    let cases = [
        ("{\"messages\": 5}", "expected `[` (the messages array), found `5`"),
        ("[]", "top level must be an object"),
        ("{\"name\": 5, \"messages\": []}", "chat `name` must be a string or null"),
        (&message("{\"id\": \"1\", \"type\": \"message\"}"), "`id` must be an integer"),
        (&message("{\"id\": 1, \"type\": \"message\", \"date\": 5, \"text\": \"\"}"), "message 1: `date` is not a date and time: 5"),
        (&message("{\"id\": 1, \"type\": \"message\", \"date\": \"d\", \"text\": [1]}"), "message 1: `text`: invalid type: integer"),
        (&message("{\"id\": 1, \"type\": \"message\", \"date\": \"2024-01-01T00:00:00\", \"text\": \"\", \"reactions\": [{\"type\": \"emoji\"}]}"), "a reaction without `count`"),
        (&message("{\"id\": 1, \"type\": \"message\", \"date\": \"d\", \"text\": \"\"} x"), "expected `,` or `]`, found `x`"),
        (&message("7"), "a message must be an object"),
        (&message("{\"id\": 1, \"type\": \"message\", \"date\": \"d\", \"text\": \"a\\qb\"}"), "invalid escape"),
    ];
    for (input, want) in cases {
        let out = tgnorm(
            &["-", "--from", "tdesktop-json", "-q", "--rejects", "/dev/stderr"],
            input.as_bytes(),
        );
        assert_eq!(out.code, 1, "{input}: {}", out.stderr);
        assert!(out.stderr.contains(want), "{input}\nwant: {want}\ngot: {}", out.stderr);
    }
}

#[test]
fn unknown_keys_actions_entities_and_media_types_pass_through() {
    let input = message(
        r#"{
   "id": 1,
   "type": "service",
   "date": "2030-01-01T00:00:00",
   "actor": "A",
   "actor_id": "user1",
   "action": "teleport",
   "destination": "Mars",
   "text": "",
   "text_entities": []
  },
  {
   "id": 2,
   "type": "message",
   "date": "2030-01-01T00:00:01",
   "from": "A",
   "from_id": "user1",
   "future_key": {"a": [1, 2]},
   "file": "files/x.holo",
   "media_type": "hologram",
   "text": [
    {
     "type": "sparkle",
     "text": "wow",
     "intensity": 3
    }
   ],
   "text_entities": [
    {
     "type": "sparkle",
     "text": "wow",
     "intensity": 3
    }
   ],
   "next_year_key": true
  }"#,
    );
    let out = tgnorm(&["-", "-q"], input.as_bytes());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let posts = jsonl(&out.stdout);
    assert_eq!(posts[0]["service"]["action"], "teleport");
    assert_eq!(posts[0]["service"]["destination"], "Mars");
    assert_eq!(posts[1]["extra"]["future_key"]["a"][1], 2);
    let keys: Vec<&String> = posts[1]["extra"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["future_key", "next_year_key"], "input order");
    assert_eq!(posts[1]["media"][0]["type"], "hologram");
    assert_eq!(posts[1]["entities"][0]["type"], "sparkle");
    assert_eq!(posts[1]["entities"][0]["intensity"], 3);
    let back = tgnorm(&["-", "-q", "--to", "tdesktop-json"], input.as_bytes());
    let a: Value = serde_json::from_str(&input).unwrap();
    let b: Value = serde_json::from_slice(&back.stdout).unwrap();
    assert_eq!(a["messages"], b["messages"]);
}

/// Posts from every other reader (web pages carry views, albums, map links;
/// Telegram HTML carries sizes; text dumps carry no ids) survive
/// `JSONL → tdesktop-json → JSONL`, `source` and assigned ids aside.
/// Regression: media keys Telegram has no key for came back as message keys,
/// a service post's `from` came back as an action detail, and coordinates
/// lost digits.
#[test]
fn other_readers_posts_survive_tdesktop_json() {
    let dir = scratch("others");
    let mut inputs: Vec<PathBuf> = Vec::new();
    for group in ["fixtures/web", "fixtures/tdesktop-html", "fixtures/text"] {
        let Ok(cases) = std::fs::read_dir(root().join(group)) else { continue };
        for case in cases {
            let case = case.unwrap().path();
            let Ok(files) = std::fs::read_dir(&case) else { continue };
            for f in files {
                let f = f.unwrap().path();
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("input") || name.starts_with("messages") {
                    inputs.push(if name.starts_with("messages") { case.clone() } else { f });
                }
            }
        }
    }
    inputs.sort();
    inputs.dedup();
    assert!(inputs.len() >= 10, "{inputs:?}");
    let (a, b) = (dir.join("a.jsonl"), dir.join("b.json"));
    for input in inputs {
        let first = tgnorm(&[s(&input), "-q", "-o", s(&a)], b"");
        if first.code != 0 || std::fs::metadata(&a).map_or(true, |m| m.len() == 0) {
            continue; // inputs meant to be rejected, pages without posts
        }
        let out = tgnorm(&[s(&a), "--to", "tdesktop-json", "-q", "-o", s(&b)], b"");
        // Posts without a date are rejected (never dated 1970), the rest
        // written.
        let before: Vec<Value> = jsonl(&std::fs::read(&a).unwrap())
            .into_iter()
            .filter(|p| !p["date"].is_null() || p["kind"] == "unsupported")
            .collect();
        let all = jsonl(&std::fs::read(&a).unwrap()).len();
        let code = if before.len() == all { 0 } else { 1 };
        assert_eq!(out.code, code, "{input:?}: {}", out.stderr);
        let valid = tgnorm(&["validate", s(&b)], b"");
        assert_eq!(valid.code, 0, "{input:?}: {}", String::from_utf8_lossy(&valid.stdout));
        let back = tgnorm(&[s(&b), "-q", "--no-unicode", "--no-emoji", "--no-whitespace"], b"");
        assert_eq!(back.code, 0, "{input:?}: {}", back.stderr);
        let before = without_source(before);
        let after = jsonl(&back.stdout);
        assert_eq!(before.len(), after.len(), "{input:?}");
        for (x, mut y) in before.into_iter().zip(after) {
            let assigned = y["source"]["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == "id_assigned"));
            y.as_object_mut().unwrap().remove("source");
            if x["id"].is_null() && assigned {
                y["id"] = Value::Null;
            }
            assert_eq!(x, y, "{input:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// The pipeline: many batches, several workers.

/// A single-chat export of `n` messages (ids 1..=n), with message 100
/// repeated after message 4500 and a broken message (`"text": {}`) at each
/// position in `broken`.
fn many_messages(n: usize, broken: &[usize]) -> String {
    let message = |id: usize| {
        if broken.contains(&id) {
            format!(
                r#"{{"id": {id}, "type": "message", "date": "2024-01-01T00:00:00", "text": {{}}}}"#
            )
        } else {
            format!(
                r#"{{"id": {id}, "type": "message", "date": "2024-01-01T00:00:00", "from": "A", "from_id": "user1", "text": "post {id} caf\u0065\u0301"}}"#
            )
        }
    };
    let mut list: Vec<String> = (1..=n).map(message).collect();
    list.insert(4500, message(100));
    format!(
        r#"{{"name": "C", "type": "public_channel", "id": 7, "messages": [{}]}}"#,
        list.join(",\n")
    )
}

#[test]
fn many_batches_come_out_in_input_order_with_every_message_accounted_for() {
    let dir = scratch("many");
    let file = dir.join("result.json");
    std::fs::write(&file, many_messages(6000, &[7, 2600, 5999])).unwrap();
    let (out, sum, rej) = (dir.join("out.jsonl"), dir.join("sum.json"), dir.join("rej.jsonl"));
    let run =
        tgnorm(&[s(&file), "-o", s(&out), "--summary", s(&sum), "--rejects", s(&rej), "-q"], b"");
    assert_eq!(run.code, 1, "records were rejected: {}", run.stderr);
    let posts = jsonl(&std::fs::read(&out).unwrap());
    let ids: Vec<u64> = posts.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    let want: Vec<u64> = (1..=6000).filter(|i| ![7, 2600, 5999].contains(i)).collect();
    assert_eq!(ids, want, "input order, the repeat of 100 dropped, the broken ones rejected");
    // Cleaned on the workers: NFC applied to every post.
    assert_eq!(posts[0]["text"], "post 1 café");
    let s = summary(&sum);
    assert_eq!((s["read"].as_u64(), s["written"].as_u64()), (Some(6001), Some(5997)));
    assert_eq!((s["rejected"].as_u64(), s["duplicates"].as_u64()), (Some(3), Some(1)));
    assert_eq!(s["cleaned"]["unicode"].as_u64(), Some(5997));
    let rejects = jsonl(&std::fs::read(&rej).unwrap());
    let indexes: Vec<u64> = rejects.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(
        indexes,
        [6, 2599, 5999],
        "rejections in input order (message 100's repeat is #4500)"
    );
}

#[test]
fn strict_mode_stops_at_the_first_broken_message_having_written_all_before_it() {
    let dir = scratch("many-strict");
    let file = dir.join("result.json");
    std::fs::write(&file, many_messages(6000, &[3001, 5000])).unwrap();
    let out = dir.join("out.jsonl");
    let run = tgnorm(&[s(&file), "-o", s(&out), "--strict", "-q"], b"");
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("message 3001"), "{}", run.stderr);
    // `-o` is atomic: a failed run leaves no output file behind.
    assert!(!out.exists());
    let run = tgnorm(&[s(&file), "--strict", "-q"], b"");
    let ids: Vec<u64> = jsonl(&run.stdout).iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=3000).collect::<Vec<u64>>());
}

/// On every corpus file (and the broken one), cutting messages out by their
/// layout gives exactly what walking every byte gives: each post, each
/// rejection with its position, the notes (repairs) and the counters.
#[test]
fn cutting_by_layout_equals_walking_on_the_corpus() {
    use tgnorm::read::tdesktop_json::Reader;
    use tgnorm::read::Notes;
    fn outcome(reader: Reader<&[u8]>, notes: &Notes) -> (Vec<String>, String) {
        let items = reader
            .map(|r| match r {
                Ok(p) => format!("{p:?}"),
                Err(e) => format!("error {e}"),
            })
            .collect();
        (items, format!("{:?} {:?}", notes.snapshot(), nonzero(notes.counters())))
    }
    let broken = "fixtures/tdesktop/innerdvations-parser-tests/error-unexpected.json";
    for file in CORPUS.iter().copied().chain([broken]) {
        let bytes = std::fs::read(root().join(file)).unwrap();
        let (a, b) = (Notes::default(), Notes::default());
        let cut = outcome(Reader::new(&bytes[..], file.into(), a.clone()), &a);
        let walked = outcome(
            tgnorm::fuzzing::walk_only(Reader::new(&bytes[..], file.into(), b.clone())),
            &b,
        );
        assert!(!cut.0.is_empty(), "{file}");
        assert_eq!(cut, walked, "{file}");
    }
}

/// Fuzz crashes 581ae2cc and b6a2381d: a text part (in `text` or in
/// `text_entities`) with a second `text` key was read with the second kept
/// as an attribute, which then replaced the part's text when written back,
/// so the output did not read back. Such a part is now an error that names
/// the key (the message is rejected with its position); the writer also
/// never lets an attribute named `type` or `text` replace a part's own
/// (tested in `src/write/tdesktop_json.rs`).
#[test]
fn fuzz_581ae2cc_b6a2381d_a_part_with_a_second_text_is_rejected() {
    use tgnorm::read::tdesktop_json::Reader;
    use tgnorm::read::Notes;
    let json = r#"{
 "name": "c",
 "type": "private_channel",
 "id": 1,
 "messages": [
  {
   "id": 7,
   "type": "message",
   "date": "2021-03-15T16:42:45",
   "text": [
    "a ",
    {
     "type": "strikethrough",
     "text": "5:32",
     "text": [{"type": "italic", "text": "b"}]
    }
   ]
  }
 ]
}"#;
    let in_entities =
        json.replace("\"text\": [\n", "\"text\": \"a 5:32\",\n   \"text_entities\": [\n");
    let message = "message #0: /messages/0: message 7";
    for (json, want) in [
        (json.to_owned(), format!("in:15:11: {message}: `text`: a text part with a second `text`")),
        (
            in_entities,
            format!("in:16:11: {message}: `text_entities`: a text part with a second `text`"),
        ),
    ] {
        let items: Vec<_> = Reader::new(json.as_bytes(), "in".into(), Notes::default()).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap_err().to_string(), want);
    }
}

/// The counters that are not zero, by name.
fn nonzero(counters: tgnorm::account::Counters) -> Vec<(&'static str, u64)> {
    counters.iter().filter(|(_, n)| *n > 0).collect()
}
