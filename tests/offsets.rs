//! Issue 15 item 1: one JSON type per key. Dates always carry an offset
//! (`--assume-offset` where the source has none: flagged, kept, counted);
//! `edited` is a flag and `edited_at` a date; writers of local-time formats
//! give the source's local dates back.

use crate::util::{assert_accounting, assert_schema_valid, scratch, summary, tgnorm, tgnorm_in};
use serde_json::Value;

/// result.json of 2020: local dates, no `date_unixtime`, some `edited`.
const OLD_JSON: &str = "fixtures/tdesktop/tg2md-2020/result.json";
/// Telegram Desktop pages of 2020: date titles without ` UTC±hh:mm`.
const OLD_HTML: &str = "fixtures/tdesktop-html/quoxent-group-2020";
/// result.json of 2026: every date with its `date_unixtime`.
const NEW_JSON: &str = "fixtures/tdesktop/pachum-channel/result.json";

fn posts(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `INPUT ARGS --summary`: the posts and the summary, checked against the
/// schema and the accounting law.
fn convert(input: &str, args: &[&str], name: &str) -> (Vec<Value>, Value) {
    let sum = scratch(name).join("summary.json");
    let sum_arg = sum.display().to_string();
    let mut all = vec![input, "-q", "--summary", &sum_arg];
    all.extend_from_slice(args);
    let run = tgnorm(&all);
    assert_eq!(run.code, 0, "{input}: {}", run.stderr);
    assert_schema_valid(input, &run.stdout);
    let s = summary(&sum);
    assert_accounting(input, &s);
    (posts(&run.stdout), s)
}

/// A local date with the offset appended: the date, its local form kept in
/// `source.local_dates` under `key`, the post flagged.
fn assert_assumed(post: &Value, pointer: &str, key: &str, offset: &str) {
    let date = post.pointer(pointer).and_then(Value::as_str).unwrap();
    let local = post["source"]["local_dates"][key].as_str().unwrap_or_else(|| panic!("{post}"));
    assert_eq!(date, format!("{local}{offset}"), "{post}");
    assert_eq!(local.len(), 19, "{local}");
    let flags = post["source"]["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f == "assumed_offset"), "{post}");
}

#[test]
fn local_dates_get_the_assumed_offset_flagged_kept_and_counted() {
    for (offset, arg) in [("+00:00", None), ("-05:30", Some("-05:30")), ("+03:00", Some("+03:00"))]
    {
        let args: Vec<&str> = arg.map(|a| vec!["--assume-offset", a]).unwrap_or_default();
        let (posts, s) = convert(OLD_JSON, &args, &format!("offsets-old-json{offset}"));
        assert_eq!(s["assumed_offset"], s["written"], "{offset}: every post of 2020 is local");
        let mut edited = 0;
        for post in &posts {
            assert_assumed(post, "/date", "date", offset);
            if post["edited_at"].is_string() {
                assert_eq!(post["edited"], true);
                assert_assumed(post, "/edited_at", "edited_at", offset);
                edited += 1;
            }
        }
        assert!(edited > 0, "tg2md-2020 has edited posts");
    }
    // Pages of 2020: the same rule for date titles without an offset.
    let (posts, s) = convert(OLD_HTML, &[], "offsets-old-html");
    assert!(s["assumed_offset"].as_u64().unwrap() > 0);
    let dated: Vec<&Value> = posts.iter().filter(|p| p["date"].is_string()).collect();
    assert_eq!(s["assumed_offset"].as_u64().unwrap(), dated.len() as u64);
    dated.iter().for_each(|p| assert_assumed(p, "/date", "date", "+00:00"));
}

#[test]
fn dates_with_their_own_offset_are_left_alone() {
    let (posts, s) = convert(NEW_JSON, &["--assume-offset", "+09:00"], "offsets-new-json");
    assert_eq!(s["assumed_offset"], 0);
    for post in &posts {
        assert!(post["date"].as_str().unwrap().ends_with("+04:00"), "{post}");
        assert!(post["source"].get("local_dates").is_none(), "{post}");
        assert!(post["source"].get("flags").is_none(), "{post}");
    }
    let edited: Vec<&Value> = posts.iter().filter(|p| p["edited"] == true).collect();
    assert!(!edited.is_empty());
    assert!(edited.iter().all(|p| p["edited_at"].as_str().unwrap().ends_with("+04:00")));
}

/// Web pages say only that a post was edited: `edited` true, no time.
#[test]
fn an_edit_without_a_time_is_a_flag() {
    let (posts, _) =
        convert("fixtures/web/tchantest-signed-edited-text-message/input.html", &[], "offsets-web");
    assert_eq!((&posts[0]["edited"], &posts[0]["edited_at"]), (&Value::Bool(true), &Value::Null));
}

#[test]
fn a_bad_offset_is_a_usage_error() {
    for bad in ["+25:00", "3", "+03", "UTC+3"] {
        let run = tgnorm(&[OLD_JSON, "--assume-offset", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("--assume-offset"), "{bad}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

/// A local date goes back to Telegram Desktop's JSON as the source had it,
/// with no `date_unixtime` made up from the assumed offset, whatever the
/// offset was; read back, it gets the default offset again.
#[test]
fn writers_give_the_local_dates_back() {
    let d = scratch("offsets-writers");
    let first = tgnorm(&[OLD_JSON, "-q", "--assume-offset", "+03:00"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    std::fs::write(d.join("in.jsonl"), &first.stdout).unwrap();
    let run = tgnorm_in(&d, &["in.jsonl", "-q", "--to", "tdesktop-json", "-o", "out.json"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out.json")).unwrap()).unwrap();
    let source: Value =
        serde_json::from_str(&std::fs::read_to_string(crate::util::root().join(OLD_JSON)).unwrap())
            .unwrap();
    let pick = |v: &Value, key: &str| -> Vec<Value> {
        v["messages"].as_array().unwrap().iter().map(|m| m[key].clone()).collect()
    };
    for key in ["date", "edited", "date_unixtime", "edited_unixtime"] {
        assert_eq!(pick(&written, key), pick(&source, key), "{key}");
    }
    let back = posts(&tgnorm_in(&d, &["out.json", "-q"], b"").stdout);
    let before = posts(&first.stdout);
    assert_eq!(back.len(), before.len());
    for (b, a) in back.iter().zip(&before) {
        assert_eq!(b["source"]["local_dates"], a["source"]["local_dates"]);
        assert_eq!(b["date"].as_str().unwrap().replace("+00:00", "+03:00"), a["date"]);
    }
    // Telegram Desktop pages: a title without ` UTC±hh:mm`, as the source.
    let run = tgnorm_in(&d, &["in.jsonl", "-q", "--to", "tdesktop-html", "-o", "html"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(d.join("html/messages.html")).unwrap();
    assert!(page.contains("title=\"12.11.2020 12:54:07\""), "{page}");
    assert!(!page.contains(" UTC+03:00\""));
    // Text dumps: the time without an offset.
    let run = tgnorm_in(&d, &["in.jsonl", "-q", "--to", "text"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("UTC+03:00") && !run.stdout.contains("+03:00"), "{}", run.stdout);
}

/// The library reader takes the same option.
#[test]
fn the_library_reader_assumes_the_same_offset() {
    let offset: tgnorm::read::offset::Offset = "-05:30".parse().unwrap();
    let mut reader = tgnorm::ReaderBuilder::new()
        .assume_offset(offset)
        .from_path(crate::util::root().join(OLD_JSON))
        .unwrap();
    let posts: Vec<tgnorm::model::Post> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert!(posts.iter().all(|p| p.date.as_deref().unwrap().ends_with("-05:30")));
    assert!(posts.iter().all(|p| p.source.flags.iter().any(|f| f == "assumed_offset")));
    assert_eq!(reader.summary().counters.assumed_offset, posts.len() as u64);
}
