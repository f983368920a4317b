//! `--to csv` (issue 15 item 3): exact output for a text dump, a
//! result.json and a web page; one row per written post whose cells say
//! what the JSONL of the same input says (the flat columns field by field,
//! and the whole post back from the row); quoting of commas, quotes and
//! line breaks.

use crate::util::{assert_accounting, assert_snapshot, root, scratch, summary, tgnorm_raw};
use serde_json::{json, Map, Value};
use std::path::Path;

/// One input of each kind, with the name of its golden file.
const GOLDEN: [(&str, &str); 3] = [
    ("fixtures/text/scraper-album-2023/input.txt", "text-scraper-album-2023"),
    ("fixtures/tdesktop/tg2md-2021/result.json", "tdesktop-tg2md-2021"),
    ("fixtures/web/synthetic-2024/input.html", "web-synthetic-2024"),
];

/// More inputs for the laws: reactions, forwards, replies, service posts,
/// several pages.
const MORE: [&str; 5] = [
    "fixtures/tdesktop/pachum-channel/result.json",
    "fixtures/web/mchs-bryansk-2024/input.html",
    "fixtures/tdesktop/repairs-2022/result.json",
    "fixtures/tdesktop/innerdvations-parser-tests/public_channel.json",
    "fixtures/text/rusembindia-2024/input.txt",
];

const HEADER: [&str; 23] = [
    "chat_name",
    "chat_id",
    "chat_username",
    "id",
    "kind",
    "date",
    "edited",
    "from_name",
    "from_id",
    "author",
    "forwarded_from_name",
    "reply_to_id",
    "text",
    "media_types",
    "media_count",
    "views",
    "reactions",
    "source_format",
    "source_file",
    "source_line",
    "entities",
    "edited_at",
    "extra",
];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run_ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let run = tgnorm_raw(&root(), args, stdin);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

/// The CSV's header and rows, parsed back with the csv crate.
fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    (header, rows)
}

#[test]
fn golden_files() {
    for (input, name) in GOLDEN {
        let csv = run_ok(&[input, "-q", "--to", "csv"], b"");
        let text = String::from_utf8(csv).expect("CSV is UTF-8");
        assert_snapshot(&format!("fixtures/csv/{name}/expected.csv"), &text);
    }
}

/// What a flat column says of a JSONL post, computed here from the JSON so
/// that the writer is checked against the JSONL writer, not against itself.
fn flat_cell(post: &Value, column: &str) -> String {
    let str_at = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match column {
        "chat_name" => str_at(&post["chat"]["name"]),
        "chat_id" => str_at(&post["chat"]["id"]),
        "chat_username" => str_at(&post["chat"]["username"]),
        "from_name" => str_at(&post["from"]["name"]),
        "from_id" => str_at(&post["from"]["id"]),
        "forwarded_from_name" => str_at(&post["forwarded_from"]["name"]),
        "reply_to_id" => str_at(&post["reply_to"]["message_id"]),
        "source_format" => str_at(&post["source"]["format"]),
        "source_file" => str_at(&post["source"]["file"]),
        "source_line" => str_at(&post["source"]["line"]),
        "media_types" => {
            media(post).iter().map(|m| str_at(&m["type"])).collect::<Vec<_>>().join(" ")
        }
        "media_count" => media(post).len().to_string(),
        "reactions" => post["reactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match (&r["type"], &r["emoji"]) {
                (t, Value::String(e)) if t == "emoji" => format!("{e}:{}", r["count"]),
                (t, _) => format!("{}:{}", str_at(t), r["count"]),
            })
            .collect::<Vec<_>>()
            .join(" "),
        key => str_at(&post[key]),
    }
}

fn media(post: &Value) -> &Vec<Value> {
    post["media"].as_array().unwrap()
}

/// Drops `null`, `[]` and `{}` values from objects, at every depth: CSV
/// shows all three as an empty cell.
fn without_empties(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_empties(v)))
                .filter(|(_, v)| {
                    !(v.is_null()
                        || v.as_array().is_some_and(Vec::is_empty)
                        || v.as_object().is_some_and(Map::is_empty))
                })
                .collect(),
        ),
        Value::Array(list) => Value::Array(list.into_iter().map(without_empties).collect()),
        other => other,
    }
}

/// Sets the value at `path`, making the objects on the way.
fn put(post: &mut Value, path: &[&str], value: Value) {
    let mut at = post;
    for key in &path[..path.len() - 1] {
        let map = at.as_object_mut().unwrap();
        at = map.entry(key.to_string()).or_insert_with(|| json!({}));
    }
    at[path[path.len() - 1]] = value;
}

/// The post a row stands for: `extra` with the flat columns put back.
fn rebuild(row: &[String]) -> Value {
    let cell = |name: &str| row[HEADER.iter().position(|h| *h == name).unwrap()].as_str();
    let mut post = match cell("extra") {
        "" => json!({}),
        text => serde_json::from_str(text).expect("extra is a JSON object"),
    };
    let string = |name: &str| match cell(name) {
        "" => Value::Null,
        s => json!(s),
    };
    let number = |name: &str| match cell(name) {
        "" => Value::Null,
        s => json!(s.parse::<i64>().expect("a number cell")),
    };
    for (path, column) in [
        (&["chat", "name"][..], "chat_name"),
        (&["chat", "id"], "chat_id"),
        (&["chat", "username"], "chat_username"),
        (&["kind"], "kind"),
        (&["date"], "date"),
        (&["edited_at"], "edited_at"),
        (&["from", "name"], "from_name"),
        (&["from", "id"], "from_id"),
        (&["author"], "author"),
        (&["forwarded_from", "name"], "forwarded_from_name"),
        (&["source", "format"], "source_format"),
        (&["source", "file"], "source_file"),
    ] {
        put(&mut post, path, string(column));
    }
    for (path, column) in [
        (&["id"][..], "id"),
        (&["reply_to", "message_id"], "reply_to_id"),
        (&["views"], "views"),
        (&["source", "line"], "source_line"),
    ] {
        put(&mut post, path, number(column));
    }
    put(&mut post, &["text"], json!(cell("text")));
    put(&mut post, &["edited"], if cell("edited") == "true" { json!(true) } else { Value::Null });
    if !cell("entities").is_empty() {
        put(&mut post, &["entities"], serde_json::from_str(cell("entities")).unwrap());
    }
    if post.get("reactions").is_none() {
        let reactions: Vec<Value> = cell("reactions")
            .split_whitespace()
            .map(|token| {
                let (name, count) = token.rsplit_once(':').unwrap();
                let count: u64 = count.parse().unwrap();
                if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    json!({"type": name, "count": count})
                } else {
                    json!({"type": "emoji", "count": count, "emoji": name})
                }
            })
            .collect();
        put(&mut post, &["reactions"], json!(reactions));
    }
    post
}

/// One input through both writers: as many rows as posts written, each row
/// the JSONL post's flat fields, and the whole post back from the row.
fn check_against_jsonl(input: &str, dir: &Path) {
    let jsonl = String::from_utf8(run_ok(&[input, "-q"], b"")).unwrap();
    let posts: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (out, sum) = (dir.join("out.csv"), dir.join("summary.json"));
    run_ok(&[input, "-q", "--to", "csv", "-o", s(&out), "--summary", s(&sum)], b"");
    let sm = summary(&sum);
    assert_accounting(input, &sm);
    let (header, rows) = parse(&std::fs::read(&out).unwrap());
    assert_eq!(header, HEADER, "{input}");
    assert_eq!(rows.len() as u64, sm["written"].as_u64().unwrap(), "{input}: rows != written");
    assert_eq!(rows.len(), posts.len(), "{input}");
    for (i, (row, post)) in rows.iter().zip(&posts).enumerate() {
        for (column, cell) in HEADER.iter().zip(row) {
            if !["entities", "extra"].contains(column) {
                assert_eq!(*cell, flat_cell(post, column), "{input}: row {}, {column}", i + 1);
            }
        }
        assert_eq!(
            without_empties(rebuild(row)),
            without_empties(post.clone()),
            "{input}: row {} does not give its post back",
            i + 1
        );
    }
}

#[test]
fn rows_are_the_written_posts() {
    let dir = scratch("csv-rows");
    for input in GOLDEN.iter().map(|(i, _)| *i).chain(MORE) {
        check_against_jsonl(input, &dir);
    }
}

#[test]
fn an_empty_run_writes_the_header() {
    let csv = run_ok(&["-", "-q", "--from", "jsonl", "--to", "csv"], b"");
    assert_eq!(String::from_utf8(csv).unwrap(), HEADER.join(",") + "\r\n");
}

/// Commas, quotes, line breaks (LF, CRLF, CR) and leading spaces in a text
/// and a chat name: quoted as RFC 4180 says, and read back unchanged.
#[test]
fn quoting() {
    let jsonl = run_ok(&["fixtures/web/synthetic-2024/input.html", "-q"], b"");
    let first = String::from_utf8(jsonl).unwrap().lines().next().unwrap().to_owned();
    let mut post: Value = serde_json::from_str(&first).unwrap();
    let text = "a, \"quoted\" word\nline two\r\nline three\rend ";
    post["text"] = json!(text);
    post["entities"] = json!([]);
    post["chat"]["name"] = json!("Name, \"with\" quotes");
    post["author"] = json!(" plain author");
    let input = post.to_string() + "\n";
    let args = ["-", "-q", "--from", "jsonl", "--to", "csv", "--no-whitespace", "--no-unicode"];
    let csv = String::from_utf8(run_ok(&args, input.as_bytes())).unwrap();
    let body = csv.split_once("\r\n").unwrap().1;
    assert!(body.starts_with("\"Name, \"\"with\"\" quotes\",channel1234567890,"), "{body}");
    assert!(body.contains(",Example Channel,channel1234567890, plain author,"), "{body}");
    assert!(body.contains(",\"a, \"\"quoted\"\" word\nline two\r\nline three\rend \","), "{body}");
    assert!(body.ends_with("\r\n") && !body.ends_with("\r\n\r\n"), "{body:?}");
    let (_, rows) = parse(csv.as_bytes());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "Name, \"with\" quotes");
    assert_eq!(rows[0][9], " plain author");
    assert_eq!(rows[0][12], text);
}

/// CSV is an output format only: a CSV tgnorm wrote, given back as input, is
/// refused with its position (exit 1) instead of being read as a text dump
/// holding one post (the whole table).
#[test]
fn a_written_csv_is_not_read_as_a_text_dump() {
    let csv = run_ok(&["fixtures/text/scraper-album-2023/input.txt", "-q", "--to", "csv"], b"");
    let back = tgnorm_raw(&root(), &["-", "-q"], &csv);
    assert_eq!(back.code, 1, "{}", back.stderr);
    assert!(back.stdout.is_empty());
    assert!(
        back.stderr.contains(
            "-:1:1: a CSV file written by `tgnorm --to csv`: CSV is an output format only"
        ),
        "{}",
        back.stderr
    );
}
