//! Hostile `result.json` and JSONL input (issue 12): valid files whose
//! layout looks like something else, numeric `document_id`s, invalid UTF-8,
//! impossible dates, files that stop half way. Every input is generated here
//! by small deterministic functions (fixtures/hostile-json/README.md); each
//! test checks what is written, what is rejected (with its position) and
//! that `read = written + rejected + duplicates`.

use crate::util::{file_report, root, tgnorm_raw};
use serde_json::Value;
use tgnorm::read::tdesktop_json::Reader;
use tgnorm::read::Notes;

/// A Telegram Desktop single-chat export (one-space indentation, messages
/// at two) holding `messages`, each already laid out at that indentation.
fn export(messages: &[String]) -> String {
    let mut s = String::from(
        "{\n \"name\": \"C\",\n \"type\": \"public_channel\",\n \"id\": 42,\n \"messages\": [",
    );
    s.push_str(&messages.join(","));
    s.push_str("\n ]\n}\n");
    s
}

/// A message as Telegram Desktop lays it out, with `text` (a JSON value,
/// already laid out) and `extra` lines before it.
fn message(id: u64, extra: &str, text: &str) -> String {
    format!(
        "\n  {{\n   \"id\": {id},\n   \"type\": \"message\",\n   \"date\": \"2024-01-01T00:00:00\",\n   \"date_unixtime\": \"1704067200\",{extra}\n   \"text\": {text}\n  }}"
    )
}

fn plain(id: u64) -> String {
    message(id, "", &format!("\"m{id}\""))
}

/// Text parts whose objects close at the message's own indentation (two
/// spaces), followed by `,` and the next `{`: valid JSON, and each of those
/// lines looks like the end of the message to a layout cut.
fn trap(id: u64) -> String {
    let text = "[\n    {\n     \"type\": \"bold\",\n     \"text\": \"b\"\n  },\n    {\n     \"type\": \"italic\",\n     \"text\": \"  },\\n  {\"\n  },\n    \"tail\"\n   ]";
    message(id, "", text)
}

/// Messages as an ordinary JSON parser counts them (`jq '.messages | length'`).
fn json_count(json: &[u8]) -> usize {
    let v: Value = serde_json::from_slice(json).unwrap();
    v["messages"].as_array().unwrap().len()
}

/// JSON and JSONL are UTF-8 by definition: every input is said to be UTF-8
/// by its format (`format`), and no encoding note is printed.
fn assert_utf8_by_definition(summary: &Value) {
    for file in summary["files"].as_array().unwrap() {
        assert_eq!(file["encoding"]["name"], "UTF-8", "{file}");
        assert_eq!(file["encoding"]["detection"], "format", "{file}");
        assert!(file["notes"].get("encoding").is_none(), "{file}");
    }
}

/// Each post (debug-printed) or error, the notes and the counters, read
/// with the layout cut, or walking every byte.
fn outcome(json: &[u8], walk: bool) -> (Vec<String>, String) {
    let notes = Notes::default();
    let reader = Reader::new(json, "in.json".into(), notes.clone());
    let reader = if walk { tgnorm::fuzzing::walk_only(reader) } else { reader };
    let items = reader.map(|r| r.map_or_else(|e| format!("error {e}"), |p| format!("{p:?}")));
    (items.collect(), format!("{:?} {:?}", notes.snapshot(), nonzero(notes.counters())))
}

/// What the binary made of `input` (a file named `name`): exit code, the
/// posts, the rejections (`file:line:col: [pointer:] reason`) and the
/// summary.
struct Run {
    code: i32,
    posts: Vec<Value>,
    rejects: Vec<String>,
    summary: Value,
}

fn run(input: &[u8], name: &str, extra_args: &[&str]) -> Run {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tgnorm-hostile-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, input).unwrap();
    let (sum, rej) = (dir.join("summary.json"), dir.join("rejects.jsonl"));
    let mut args = vec![name, "--summary", "summary.json", "--rejects", "rejects.jsonl", "-q"];
    args.extend_from_slice(extra_args);
    let out = tgnorm_raw(&dir, &args, b"");
    let posts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rejects = std::fs::read_to_string(&rej)
        .unwrap()
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            let pointer = r["pointer"].as_str().map(|p| format!(" {p}:")).unwrap_or_default();
            let (file, error) = (r["file"].as_str().unwrap(), r["error"].as_str().unwrap());
            format!("{file}:{}:{}:{pointer} {error}", r["line"], r["column"])
        })
        .collect();
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&sum).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Run { code: out.code, posts, rejects, summary }
}

/// `read = written + rejected + duplicates`, and the counts given.
fn assert_accounts(run: &Run, written: u64, rejected: u64) {
    let n = |k: &str| run.summary[k].as_u64().unwrap();
    assert_eq!(n("read"), n("written") + n("rejected") + n("duplicates"), "{}", run.summary);
    assert_eq!((n("written"), n("rejected")), (written, rejected), "{:#?}", run.rejects);
    assert_eq!(run.posts.len() as u64, written);
    assert_eq!(run.rejects.len() as u64, rejected, "every rejection is reported");
}

// ---------------------------------------------------------------------------
// One reader path, one answer.

/// Issue 12: the layout cut took the first line of `  }` after eight
/// well-laid-out messages for the end of a message, wrote 20 of 30
/// messages, rejected a phantom and lost the rest uncounted. Every cut is
/// now checked to be exactly one value; this one is walked instead.
#[test]
fn a_line_that_looks_like_a_message_end_does_not_cut_the_message() {
    let messages: Vec<String> = (1..=30)
        .map(|id| if [10, 11, 20, 30].contains(&id) { trap(id) } else { plain(id) })
        .collect();
    let json = export(&messages);
    assert_eq!(json_count(json.as_bytes()), 30);
    let (cut, walked) = (outcome(json.as_bytes(), false), outcome(json.as_bytes(), true));
    assert_eq!(cut, walked);
    assert!(cut.0.iter().all(|s| !s.starts_with("error")), "{:#?}", cut.0);
    let run = run(json.as_bytes(), "result.json", &[]);
    assert_eq!(run.code, 0, "{:?}", run.rejects);
    assert_accounts(&run, 30, 0);
    let ids: Vec<u64> = run.posts.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=30).collect::<Vec<_>>());
    assert_eq!(run.posts[9]["text"], "b  },\n  {tail");
    let validate = tgnorm_raw(&root(), &["validate", "-"], json.as_bytes());
    assert_eq!(validate.code, 0, "{}", String::from_utf8_lossy(&validate.stdout));
}

/// Adversarial layouts, all valid JSON: nested objects and arrays closed at
/// the message's indentation, strings holding `\n  }`, tabs and mixed
/// indentation, CRLF line ends; the layout cut and walking agree on each,
/// and every message is read.
#[test]
fn adversarial_valid_layouts_read_the_same_both_ways() {
    let odd = [
        "{\n     \"a\": [\n  ]\n  }",
        "[\n  [\n  ],\n  {}\n  ]",
        "\"\\n  }\\n  ,{\"",
        "{\"k\":\n  {\n  }\n  }",
        "[\t\"x\",\n\t{\"type\": \"bold\", \"text\": \"y\"}\n  ]",
    ];
    for (n, odd) in odd.iter().enumerate() {
        let messages: Vec<String> = (1..=20)
            .map(|id| {
                if id > 9 && id % 3 == 0 {
                    message(id, &format!("\n   \"odd\": {odd},"), "\"t\"")
                } else {
                    plain(id)
                }
            })
            .collect();
        for json in [export(&messages), export(&messages).replace('\n', "\r\n")] {
            assert_eq!(json_count(json.as_bytes()), 20, "case {n}");
            let (cut, walked) = (outcome(json.as_bytes(), false), outcome(json.as_bytes(), true));
            assert_eq!(cut, walked, "case {n}");
            assert_eq!(cut.0.len(), 20, "case {n}");
            assert!(cut.0.iter().all(|s| !s.starts_with("error")), "case {n}: {:#?}", cut.0);
        }
    }
}

// ---------------------------------------------------------------------------
// The `document_id` repair only where the input is not JSON.

fn custom_emoji(id: u64, document_id: &str) -> String {
    message(
        id,
        "",
        &format!("[\n    \"a\",\n    {{\n     \"type\": \"custom_emoji\",\n     \"text\": \"x\",\n     \"document_id\": {document_id}\n    }}\n   ]"),
    )
}

/// Issue 12: a valid numeric `document_id` was taken for an unquoted 2022
/// path and quoted up to the end of its line: in a minified export that
/// swallowed the rest of the file (27 of 30 messages lost uncounted);
/// pretty-printed, the value came out a string walking and a number cut.
#[test]
fn a_numeric_document_id_is_never_rewritten() {
    let messages: Vec<String> =
        (1..=30).map(|id| custom_emoji(id, &format!("{}", 5368324170671202286u64 + id))).collect();
    let pretty = export(&messages);
    let minified = serde_json::to_string(&serde_json::from_str::<Value>(&pretty).unwrap()).unwrap();
    assert!(!minified.contains('\n'));
    for (name, json) in [("pretty", &pretty), ("minified", &minified)] {
        assert_eq!(json_count(json.as_bytes()), 30);
        let (cut, walked) = (outcome(json.as_bytes(), false), outcome(json.as_bytes(), true));
        assert_eq!(cut, walked, "{name}");
        assert!(!cut.1.contains("repair"), "{name}: {}", cut.1);
        let run = run(json.as_bytes(), "result.json", &[]);
        assert_eq!(run.code, 0, "{name}: {:?}", run.rejects);
        assert_accounts(&run, 30, 0);
        for (i, post) in run.posts.iter().enumerate() {
            let want = 5368324170671202286u64 + i as u64 + 1;
            assert_eq!(post["entities"][0]["document_id"].as_u64(), Some(want), "{name}");
        }
    }
}

/// The 2022 writer's unquoted paths are still repaired, counted, and read
/// the same both ways; a number followed by more on its line is a path.
#[test]
fn an_unquoted_document_id_path_is_still_repaired() {
    let messages: Vec<String> = (1..=12)
        .map(|id| match id {
            10 => custom_emoji(id, "stickers/sticker (2).webm"),
            11 => custom_emoji(id, "12 (3).webp"),
            _ => custom_emoji(id, "\"stickers/s.webp\""),
        })
        .collect();
    let json = export(&messages);
    let (cut, walked) = (outcome(json.as_bytes(), false), outcome(json.as_bytes(), true));
    assert_eq!(cut, walked);
    let run = run(json.as_bytes(), "result.json", &[]);
    assert_accounts(&run, 12, 0);
    assert_eq!(run.posts[9]["entities"][0]["document_id"], "stickers/sticker (2).webm");
    assert_eq!(run.posts[10]["entities"][0]["document_id"], "12 (3).webp");
    let report = file_report(&run.summary, "result.json");
    assert_eq!(report["notes"]["repair"], "2 × unquoted document_id first at line 142 col 21");
    let want = serde_json::json!([{"kind": "unquoted-document-id", "count": 2, "line": 142, "column": 21}]);
    assert_eq!(report["repairs"], want);
    assert_eq!(run.summary["repairs"], 2);
}

// ---------------------------------------------------------------------------
// UTF-8 by definition.

/// Issue 12: an ASCII `result.json` with one 0xFF byte was decoded as
/// Windows-1252, exit 0. It is UTF-8 by definition: the message holding the
/// byte is rejected with its line and column, the others are written, and
/// no encoding is noted.
#[test]
fn invalid_utf8_in_result_json_rejects_its_message() {
    let messages: Vec<String> = (1..=12).map(plain).collect();
    let mut json = export(&messages).into_bytes();
    // Message 10's text is `"m10"`: put the byte after its `m`.
    let at = json.windows(5).position(|w| w == b"\"m10\"").unwrap() + 2;
    json.insert(at, 0xFF);
    let run = run(&json, "result.json", &[]);
    assert_eq!(run.code, 1);
    assert_accounts(&run, 11, 1);
    assert_eq!(
        run.rejects,
        ["result.json:74:14: /messages/9: message 10: invalid UTF-8 (byte 0xFF)"],
        "line of message 10's text, 1-based column of the byte"
    );
    assert_utf8_by_definition(&run.summary);
}

/// The same for JSONL: the line with the bad byte is rejected with its
/// column, the others are written, nothing is transcoded.
#[test]
fn invalid_utf8_in_jsonl_rejects_its_line() {
    let json = export(&(1..=5).map(plain).collect::<Vec<_>>());
    let jsonl = run(json.as_bytes(), "result.json", &[]).posts;
    let mut bytes = Vec::new();
    for (i, post) in jsonl.iter().enumerate() {
        let line = serde_json::to_string(post).unwrap();
        if i == 2 {
            let at = line.find("\"m3\"").unwrap() + 2;
            bytes.extend_from_slice(&line.as_bytes()[..at]);
            bytes.push(0xFF);
            bytes.extend_from_slice(&line.as_bytes()[at..]);
        } else {
            bytes.extend_from_slice(line.as_bytes());
        }
        bytes.push(b'\n');
    }
    let at = bytes.split(|&b| b == b'\n').nth(2).unwrap().iter().position(|&b| b == 0xFF).unwrap();
    let run = run(&bytes, "in.jsonl", &[]);
    assert_eq!(run.code, 1);
    assert_accounts(&run, 4, 1);
    assert_eq!(run.rejects.len(), 1);
    let want = format!("in.jsonl:3:{}: ", at + 1);
    assert!(run.rejects[0].starts_with(&want), "{:?} (want {want})", run.rejects);
    assert!(run.rejects[0].contains("invalid UTF-8 (byte 0xFF)"), "{:?}", run.rejects);
    assert_utf8_by_definition(&run.summary);
}

// ---------------------------------------------------------------------------
// Dates.

/// Issue 12: impossible or malformed dates were written into the clean
/// JSONL. Each such message is rejected with its position, and the reason
/// names the key and the value; a valid old date without `date_unixtime`
/// is still written without an offset.
#[test]
fn impossible_dates_reject_their_message() {
    let with = |id: u64, lines: &str| {
        format!(
            "\n  {{\n   \"id\": {id},\n   \"type\": \"message\",{lines},\n   \"text\": \"t\"\n  }}"
        )
    };
    let cases = [
        ("\n   \"date\": \"2024-02-30T00:00:00\"", "`date` is not a date and time: \"2024-02-30T00:00:00\""),
        ("\n   \"date\": \"2024-01-01T25:61:61\"", "`date` is not a date and time: \"2024-01-01T25:61:61\""),
        ("\n   \"date\": \"\"", "`date` is not a date and time: \"\""),
        ("\n   \"date\": \"2024-01-01 00:00:00\"", "`date` is not a date and time: \"2024-01-01 00:00:00\""),
        (
            "\n   \"date\": \"2024-01-01T00:00:00\",\n   \"date_unixtime\": \"17e8\"",
            "`date_unixtime` is not a Unix time (an integer string): \"17e8\"",
        ),
        (
            "\n   \"date\": \"2024-01-01T00:00:00\",\n   \"date_unixtime\": 1704067200",
            "`date_unixtime` is not a Unix time (an integer string): 1704067200",
        ),
        (
            "\n   \"date\": \"2024-01-01T00:00:00\",\n   \"edited\": \"2023-02-29T10:00:00\"",
            "`edited` is not a date and time: \"2023-02-29T10:00:00\"",
        ),
        (
            "\n   \"date\": \"2024-01-01T00:00:00\",\n   \"edited\": \"2024-01-02T00:00:00\",\n   \"edited_unixtime\": \"\"",
            "`edited_unixtime` is not a Unix time (an integer string): \"\"",
        ),
    ];
    let mut messages: Vec<String> = cases.iter().zip(1..).map(|((l, _), id)| with(id, l)).collect();
    messages.push(with(100, "\n   \"date\": \"2019-06-01T10:00:00\""));
    let json = export(&messages);
    let run = run(json.as_bytes(), "result.json", &[]);
    assert_eq!(run.code, 1);
    assert_accounts(&run, 1, cases.len() as u64);
    for ((_, want), (reject, id)) in cases.iter().zip(run.rejects.iter().zip(1..)) {
        let key = want.split('`').nth(1).unwrap();
        let start = json.find(&format!("{{\n   \"id\": {id},")).unwrap();
        let line = json[..start].matches('\n').count() + 1;
        let head = format!("result.json:{line}:3: /messages/{}/{key}: message {id}: ", id - 1);
        assert_eq!(reject, &format!("{head}{want}"));
    }
    assert_eq!(run.posts[0]["date"], "2019-06-01T10:00:00");
}

// ---------------------------------------------------------------------------
// Accounting and positions.

/// A file that stops half way (truncated, or damaged between two messages)
/// counts its stop as one rejection with its position, so that the
/// summary adds up.
#[test]
fn a_file_that_stops_is_counted() {
    let json = export(&(1..=20).map(plain).collect::<Vec<_>>());
    let truncated = &json.as_bytes()[..json.len() / 2];
    let damaged = json.replacen(",\n  {\n   \"id\": 15,", "\n  x {\n   \"id\": 15,", 1);
    for (name, input, written) in [("truncated", truncated, 9), ("damaged", damaged.as_bytes(), 14)]
    {
        let run = run(input, "result.json", &[]);
        assert_eq!(run.code, 1, "{name}");
        assert_accounts(&run, written, 1);
        assert!(run.rejects[0].starts_with("result.json:"), "{name}: {:?}", run.rejects);
        assert!(!run.rejects[0].contains(":0:"), "{name}: {:?}", run.rejects);
    }
}

/// Issue 12: a JSONL rejection without a place in serde_json's error (an
/// entity past the end of the text) printed column 0. Columns are 1-based:
/// the record's start.
#[test]
fn jsonl_columns_are_one_based() {
    let json = export(&[message(1, "", "[\"a\", {\"type\": \"bold\", \"text\": \"b\"}]")]);
    let post = &run(json.as_bytes(), "result.json", &[]).posts[0];
    let mut bad = post.clone();
    bad["entities"][0]["offset"] = Value::from(99);
    let lines = format!("{post}\n{bad}\n{{\n");
    let run = run(lines.as_bytes(), "in.jsonl", &[]);
    assert_accounts(&run, 1, 2);
    assert!(
        run.rejects[0]
            .starts_with("in.jsonl:2:255: not a tgnorm post: /entities/0: entity 99+1 runs past"),
        "{:?}",
        run.rejects
    );
    assert!(run.rejects[1].starts_with("in.jsonl:3:1: "), "{:?}", run.rejects);
}

/// The counters that are not zero, by name.
fn nonzero(counters: tgnorm::account::Counters) -> Vec<(&'static str, u64)> {
    counters.iter().filter(|(_, n)| *n > 0).collect()
}
